//! Cognito profiles against moto's cognito-idp and cognito-identity, made honest by
//! `tests/aws/emu_cognito.py` (real SRP checked against the stored password; identity pool
//! credentials minted by moto's AssumeRole, so the federation stub accepts them). The
//! password goes into the encrypted-file store with `roleport add --cognito-password`, as a
//! person would store it; a browser-started host reads it from there.

mod secret_service;
mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use support::emulator::Emulator;
use support::{err_code, Host, HostEnv};

const PASSPHRASE: &str = "cognito test passphrase";

/// A Cognito profile of the seeded pools and user, plus `extra` lines.
fn profile(aws: &Emulator, name: &str, extra: &str) -> String {
    format!(
        "[profile {name}]\nregion = us-east-1\n\
         roleport_cognito_user_pool_id = {pool}\n\
         roleport_cognito_client_id = {client}\n\
         roleport_cognito_identity_pool_id = {identity}\n\
         roleport_cognito_username = {user}\n{extra}\n",
        pool = aws.cognito("user_pool_id"),
        client = aws.cognito("client_id"),
        identity = aws.cognito("identity_pool_id"),
        user = aws.cognito("username"),
    )
}

/// `roleport add PROFILE --cognito-password --stdin` into the file store in `store`.
fn store_password(store: &Path, profile: &str, password: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_roleport"))
        .args(["add", profile, "--cognito-password", "--stdin", "--force"])
        .env("ROLEPORT_HOME", store)
        .env("ROLEPORT_STORE", "file")
        .env("ROLEPORT_STORE_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("roleport add");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("stored the Cognito password"), "{text}");
    assert!(!text.contains(password), "the password was printed: {text}");
}

fn host(aws: &Emulator, config: &str, store: &Path) -> Host {
    aws.host_env(HostEnv::new(config))
        .var("ROLEPORT_HOME", &store.display().to_string())
        .var("ROLEPORT_STORE_PASSPHRASE", PASSPHRASE)
        .spawn()
}

fn open(host: &mut Host, id: u64, profile: &str) -> Value {
    host.request(id, "open_console", json!({"profile": profile}))
}

/// Follows the sign-in URL; returns the fake console's (account, role).
fn console(aws: &Emulator, reply: &Value) -> (String, String) {
    let url = reply["ok"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("no url: {reply}"));
    let (status, page) = aws.follow(url);
    assert_eq!(status, 200, "{page}");
    let field = |id: &str| {
        let start = page
            .find(&format!("id=\"{id}\">"))
            .unwrap_or_else(|| panic!("no #{id} in {page}"))
            + id.len()
            + 6;
        page[start..]
            .split('<')
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    (field("account"), field("role"))
}

fn operations(aws: &Emulator) -> Vec<String> {
    aws.recorded_targets()
        .into_iter()
        .map(|(t, _)| t.rsplit('.').next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn srp_sign_in_opens_the_identity_pools_role_in_its_account() {
    let aws = Emulator::start();
    let store = tempfile::tempdir().expect("tempdir");
    store_password(store.path(), "cog", &aws.cognito("password"));
    let mut host = host(&aws, &profile(&aws, "cog", ""), store.path());

    let listed = host.request(1, "list_profiles", json!({}));
    let summary = &listed["ok"]["profiles"][0];
    assert_eq!(summary["name"], "cog", "{listed}");
    assert_eq!(summary["kind"], "cognito", "{listed}");

    let reply = open(&mut host, 2, "cog");
    assert_eq!(
        console(&aws, &reply),
        (aws.cognito("account_id"), "CognitoUser".to_owned())
    );
    // SRP, not the password: the password never went to Cognito.
    let calls = aws.recorded_targets();
    assert!(
        calls
            .iter()
            .all(|(_, body)| !body.contains(&aws.cognito("password"))),
        "{calls:?}"
    );
    assert_eq!(
        operations(&aws),
        [
            "InitiateAuth",
            "RespondToAuthChallenge",
            "GetId",
            "GetCredentialsForIdentity"
        ]
    );
    assert!(calls[0].1.contains("USER_SRP_AUTH"), "{}", calls[0].1);

    // The second open reuses the IdToken kept in the host's memory: no sign-in.
    let again = open(&mut host, 3, "cog");
    assert!(again["ok"]["url"].is_string(), "{again}");
    let ops = operations(&aws);
    assert_eq!(
        ops.iter().filter(|o| *o == "InitiateAuth").count(),
        1,
        "{ops:?}"
    );

    let (_, stderr) = host.finish();
    assert!(!stderr.contains(&aws.cognito("password")), "{stderr}");
}

/// The `AuthFlow` of every InitiateAuth, in order.
fn auth_flows(aws: &Emulator) -> Vec<String> {
    aws.recorded_targets()
        .into_iter()
        .filter(|(t, _)| t.ends_with(".InitiateAuth"))
        .filter_map(|(_, body)| {
            let v: Value = serde_json::from_str(&body).ok()?;
            v["AuthFlow"].as_str().map(str::to_owned)
        })
        .collect()
}

#[test]
fn an_id_token_near_expiry_is_renewed_with_the_refresh_token_and_a_revoked_one_signs_in_again() {
    let aws = Emulator::start();
    let store = tempfile::tempdir().expect("tempdir");
    store_password(store.path(), "cog", &aws.cognito("password"));
    // This app client's IdTokens last five minutes: roleport renews them at once.
    let config = profile(&aws, "cog", "").replace(
        &format!("client_id = {}", aws.cognito("client_id")),
        &format!("client_id = {}", aws.cognito("short_client_id")),
    );
    let mut host = host(&aws, &config, store.path());
    let first = open(&mut host, 1, "cog");
    assert!(first["ok"]["url"].is_string(), "{first}");
    let renewed = open(&mut host, 2, "cog");
    assert!(renewed["ok"]["url"].is_string(), "{renewed}");
    assert_eq!(auth_flows(&aws), ["USER_SRP_AUTH", "REFRESH_TOKEN_AUTH"]);

    // Signed out everywhere: the refresh token is refused, and the stored password signs in.
    aws.cognito_admin(
        "AdminUserGlobalSignOut",
        &json!({"UserPoolId": aws.cognito("user_pool_id"), "Username": aws.cognito("username")}),
    );
    let again = open(&mut host, 3, "cog");
    assert_eq!(
        console(&aws, &again),
        (aws.cognito("account_id"), "CognitoUser".to_owned())
    );
    assert_eq!(
        auth_flows(&aws),
        [
            "USER_SRP_AUTH",
            "REFRESH_TOKEN_AUTH",
            "REFRESH_TOKEN_AUTH",
            "USER_SRP_AUTH"
        ]
    );
}

#[test]
fn user_password_auth_with_a_preferred_role() {
    let aws = Emulator::start();
    let store = tempfile::tempdir().expect("tempdir");
    store_password(store.path(), "cog-admin", &aws.cognito("password"));
    let extra = format!(
        "roleport_cognito_auth = password\nroleport_cognito_role_arn = {}",
        aws.cognito("admin_role")
    );
    let mut host = host(&aws, &profile(&aws, "cog-admin", &extra), store.path());
    let reply = open(&mut host, 1, "cog-admin");
    assert_eq!(
        reply["ok"]["account_id"],
        aws.cognito("account_id"),
        "{reply}"
    );
    assert_eq!(reply["ok"]["role"], "CognitoAdmin", "{reply}");
    assert_eq!(
        console(&aws, &reply),
        (aws.cognito("account_id"), "CognitoAdmin".to_owned())
    );
    let calls = aws.recorded_targets();
    assert!(calls[0].1.contains("USER_PASSWORD_AUTH"), "{}", calls[0].1);
    let custom = calls
        .iter()
        .find(|(t, _)| t.ends_with("GetCredentialsForIdentity"))
        .expect("GetCredentialsForIdentity");
    assert!(custom.1.contains("CustomRoleArn"), "{}", custom.1);
}

#[test]
fn basic_flow_assumes_the_role_with_the_identitys_open_id_token() {
    let aws = Emulator::start();
    let store = tempfile::tempdir().expect("tempdir");
    store_password(store.path(), "cog-basic", &aws.cognito("password"));
    let extra = format!(
        "roleport_cognito_flow = basic\nroleport_cognito_role_arn = {}",
        aws.cognito("role")
    );
    let mut host = host(&aws, &profile(&aws, "cog-basic", &extra), store.path());
    let reply = open(&mut host, 1, "cog-basic");
    assert_eq!(
        console(&aws, &reply),
        (aws.cognito("account_id"), "CognitoUser".to_owned())
    );
    assert!(operations(&aws).contains(&"GetOpenIdToken".to_owned()));
    assert_eq!(aws.recorded("AssumeRoleWithWebIdentity").len(), 1);
}

#[test]
fn role_arn_on_top_assumes_a_role_in_another_account_with_the_identitys_credentials() {
    let aws = Emulator::start();
    let store = tempfile::tempdir().expect("tempdir");
    store_password(store.path(), "cog", &aws.cognito("password"));
    // Both ways: role_arn on the Cognito profile itself, or source_profile = the Cognito one.
    let config = format!(
        "{}\n[profile cross]\nrole_arn = {dev}\nsource_profile = cog\n",
        profile(&aws, "cog", &format!("role_arn = {}", aws.role("prod"))),
        dev = aws.role("dev"),
    );
    let mut host = host(&aws, &config, store.path());
    let own = open(&mut host, 1, "cog");
    assert_eq!(console(&aws, &own), ("111111111111".into(), "Admin".into()));
    let cross = open(&mut host, 2, "cross");
    assert_eq!(
        console(&aws, &cross),
        ("222222222222".into(), "Developer".into())
    );
    // `cross` chains through `cog`'s own role: Admin once for `cog`, Admin then Developer
    // for `cross`, all from one sign-in.
    assert_eq!(aws.recorded("AssumeRole").len(), 3);
    let ops = operations(&aws);
    assert_eq!(
        ops.iter().filter(|o| *o == "InitiateAuth").count(),
        1,
        "{ops:?}"
    );
}

#[test]
fn a_wrong_password_is_refused_with_what_to_do() {
    let aws = Emulator::start();
    let store = tempfile::tempdir().expect("tempdir");
    for (auth, name) in [("srp", "cog-srp"), ("password", "cog-pw")] {
        store_password(store.path(), name, "Wrong-Password-1");
        let config = profile(&aws, name, &format!("roleport_cognito_auth = {auth}"));
        let mut host = host(&aws, &config, store.path());
        let reply = open(&mut host, 1, name);
        assert_eq!(err_code(&reply), "access_denied", "{reply}");
        let message = reply["err"]["message"].as_str().unwrap_or_default();
        let hint = reply["err"]["hint"].as_str().unwrap_or_default();
        assert!(
            message.contains("Cognito refused the sign-in of `carol`"),
            "{message}"
        );
        assert!(
            hint.contains(&format!("roleport add {name} --cognito-password --force")),
            "{hint}"
        );
        assert!(!reply.to_string().contains("Wrong-Password-1"), "{reply}");
        let (_, stderr) = host.finish();
        assert!(!stderr.contains("Wrong-Password-1"), "{stderr}");
    }
}

#[test]
fn without_a_stored_password_the_popup_is_asked_for_one() {
    let aws = Emulator::start();
    let store = tempfile::tempdir().expect("tempdir");
    let mut host = host(&aws, &profile(&aws, "cog", ""), store.path());
    let reply = open(&mut host, 1, "cog");
    assert_eq!(err_code(&reply), "password_required", "{reply}");
    let hint = reply["err"]["hint"].as_str().unwrap_or_default();
    assert!(
        hint.contains("roleport add cog --cognito-password"),
        "{hint}"
    );
    assert!(operations(&aws).is_empty(), "nothing was asked of Cognito");

    // A wrong password typed in the popup is asked for again, saying why.
    let wrong = host.request(
        2,
        "open_console",
        json!({"profile": "cog", "password": "Wrong-Password-1"}),
    );
    assert_eq!(err_code(&wrong), "password_required", "{wrong}");
    let message = wrong["err"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Cognito refused the password of `carol`"),
        "{message}"
    );

    let typed = host.request(
        3,
        "open_console",
        json!({"profile": "cog", "password": aws.cognito("password")}),
    );
    assert_eq!(
        console(&aws, &typed),
        (aws.cognito("account_id"), "CognitoUser".to_owned())
    );
    // The typed password is not kept, but the tokens are: the next open needs neither.
    assert!(
        !store.path().join("index.json").exists(),
        "nothing was stored"
    );
    let again = open(&mut host, 4, "cog");
    assert!(again["ok"]["url"].is_string(), "{again}");
    let (_, stderr) = host.finish();
    assert!(!stderr.contains(&aws.cognito("password")), "{stderr}");
    assert!(!stderr.contains("Wrong-Password-1"), "{stderr}");
}

#[test]
fn an_incomplete_cognito_profile_names_what_is_missing() {
    let aws = Emulator::start();
    let store = tempfile::tempdir().expect("tempdir");
    let config = "[profile half]\nroleport_cognito_user_pool_id = us-east-1_abc\n\
                  roleport_cognito_flow = basic\n";
    let mut host = host(&aws, config, store.path());
    let reply = open(&mut host, 1, "half");
    assert_eq!(err_code(&reply), "profile_incomplete", "{reply}");
    let message = reply["err"]["message"].as_str().unwrap_or_default();
    for key in [
        "roleport_cognito_client_id",
        "roleport_cognito_identity_pool_id",
        "roleport_cognito_username",
    ] {
        assert!(message.contains(key), "{message}");
    }
}

#[test]
fn the_password_can_live_in_the_os_keyring() {
    secret_service::run("the_password_can_live_in_the_os_keyring", || {
        let aws = Emulator::start();
        let store = tempfile::tempdir().expect("tempdir");
        let password = aws.cognito("password");
        let mut child = Command::new(env!("CARGO_BIN_EXE_roleport"))
            .args(["add", "cog", "--cognito-password", "--stdin"])
            .env("ROLEPORT_HOME", store.path())
            .env("ROLEPORT_STORE", "keyring")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("roleport add");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(password.as_bytes())
            .expect("write");
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // In the Secret Service itself, under the item name of the profile's password.
        let service = format!("roleport:{}", store.path().display());
        let item = secret_service::secret_tool_lookup(&service, "cognito-password#cog")
            .expect("a keyring item");
        assert!(item.contains(&password));
        let mut host = aws
            .host_env(HostEnv::new(&profile(&aws, "cog", "")))
            .var("ROLEPORT_HOME", &store.path().display().to_string())
            .var(
                "DBUS_SESSION_BUS_ADDRESS",
                &std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default(),
            )
            .spawn();
        let reply = open(&mut host, 1, "cog");
        assert_eq!(
            console(&aws, &reply),
            (aws.cognito("account_id"), "CognitoUser".to_owned())
        );
        let removed = Command::new(env!("CARGO_BIN_EXE_roleport"))
            .args(["remove", "cog", "--cognito-password"])
            .env("ROLEPORT_HOME", store.path())
            .output()
            .expect("roleport remove");
        assert!(removed.status.success());
        assert!(secret_service::secret_tool_lookup(&service, "cognito-password#cog").is_none());
    });
}
