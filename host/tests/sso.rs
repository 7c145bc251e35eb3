//! IAM Identity Center against the SSO/OIDC stub (`tests/aws/emu_sso.py`): the device
//! login (`roleport sso login`) into the AWS CLI's token cache, then GetRoleCredentials and
//! a console signed in to the SSO account and role. The AWS CLI side of the shared cache is
//! played by botocore itself (its own token writer and SSO credential provider).

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::emulator::Emulator;
use support::sso_home::*;
use support::{err_code, HostEnv};

fn is_cli_time(value: &Value) -> bool {
    // botocore's `_serialize_utc_timestamp`: 2026-11-29T19:00:00Z
    value.as_str().is_some_and(|s| {
        s.len() == 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T' && s.as_bytes()[4] == b'-'
    })
}

#[test]
fn device_login_fills_the_aws_cli_cache_and_the_console_opens() {
    let aws = Emulator::start();
    let home = Home::new();
    let (ok, stderr) = home.login(&aws, "my-sso", |code| approve(&aws, code));
    assert!(ok, "{stderr}");
    assert!(stderr.contains("/device?user_code="), "{stderr}");
    let token = read_json(&home.cache(SESSION_FILE));
    assert_eq!(token["startUrl"], START_URL);
    assert_eq!(token["region"], "us-east-1");
    for field in ["accessToken", "clientId", "clientSecret", "refreshToken"] {
        assert!(
            token[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field}: {token}"
        );
    }
    assert!(is_cli_time(&token["expiresAt"]), "{token}");
    assert!(is_cli_time(&token["registrationExpiresAt"]), "{token}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.cache(SESSION_FILE))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the token file must be private");
    }
    // No secret of the login reaches a terminal: not while logging in, not in `url`.
    let out = home.run(&aws, &["url", "sso-admin"]);
    let printed = format!("{stderr}{}", String::from_utf8_lossy(&out.stderr));
    for secret in ["accessToken", "clientSecret", "refreshToken"] {
        let value = token[secret].as_str().expect("secret");
        assert!(!printed.contains(value), "{secret} was printed");
    }
    let page = sign_in(&aws, &home, "sso-admin");
    assert!(
        page.contains(r#"<span id="account">100000000002</span>"#),
        "{page}"
    );
    assert!(
        page.contains(r#"<span id="role">AdministratorAccess</span>"#),
        "{page}"
    );
    // The AWS CLI's own SSO provider (botocore) takes roleport's token as it is.
    let out = botocore(
        &aws,
        &home,
        "import boto3; print(boto3.Session(profile_name='sso-admin').client('sts')\
         .get_caller_identity()['Arn'])",
    );
    let arn = String::from_utf8_lossy(&out.stdout);
    assert!(
        arn.starts_with("arn:aws:sts::100000000002:assumed-role/AdministratorAccess/"),
        "{arn} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_token_the_aws_cli_wrote_is_reused() {
    let aws = Emulator::start();
    let home = Home::new();
    // botocore's own device flow and its own cache writer (SSOTokenLoader + _sso_json_dumps),
    // for the legacy profile: the file is named after the start URL.
    let script = r#"
import datetime, json, os, urllib.request
import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.tokens import _sso_json_dumps
from botocore.utils import JSONFileCache, SSOTokenLoader
oidc = boto3.client("sso-oidc", region_name="us-east-1", config=Config(signature_version=UNSIGNED))
reg = oidc.register_client(clientName="aws-cli", clientType="public")
auth = oidc.start_device_authorization(clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=os.environ["START_URL"])
urllib.request.urlopen(urllib.request.Request(os.environ["SSO_CONTROL"] + "/approve?user_code=" + auth["userCode"], data=b"", method="POST"))
tok = oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"], grantType="urn:ietf:params:oauth:grant-type:device_code", deviceCode=auth["deviceCode"])
now = datetime.datetime.now(datetime.timezone.utc)
cache = JSONFileCache(os.path.expanduser("~/.aws/sso/cache"), dumps_func=_sso_json_dumps)
SSOTokenLoader(cache=cache).save_token(os.environ["START_URL"], {
    "startUrl": os.environ["START_URL"], "region": "us-east-1", "accessToken": tok["accessToken"],
    "expiresAt": now + datetime.timedelta(seconds=tok["expiresIn"])})
"#;
    let out = botocore(&aws, &home, script);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(home.cache(LEGACY_FILE).exists());
    let page = sign_in(&aws, &home, "legacy");
    assert!(
        page.contains(r#"<span id="account">100000000003</span>"#),
        "{page}"
    );
    assert!(
        page.contains(r#"<span id="role">ReadOnlyAccess</span>"#),
        "{page}"
    );
}

#[test]
fn without_a_login_the_error_is_coded_and_says_how_to_sign_in() {
    let aws = Emulator::start();
    let env = HostEnv::new(&config())
        .var("AWS_ENDPOINT_URL_SSO", &aws.get("sso"))
        .var("AWS_ENDPOINT_URL_SSO_OIDC", &aws.get("sso"));
    let mut host = aws.host_env(env).spawn();
    let reply = host.request(1, "open_console", json!({"profile": "sso-admin"}));
    host.finish();
    assert_eq!(err_code(&reply), "sso_login_required", "{reply}");
    let message = reply["err"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("`my-sso`"), "{reply}");
    let hint = reply["err"]["hint"].as_str().unwrap_or_default();
    assert!(hint.contains("roleport sso login my-sso"), "{reply}");
    // The legacy profile's hint names the profile, which `sso login` accepts too.
    let home = Home::new();
    let out = home.run(&aws, &["url", "legacy"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("roleport sso login legacy"), "{stderr}");
}

#[test]
fn an_expired_token_is_refreshed_else_login_is_asked_for() {
    let aws = Emulator::start();
    let home = Home::new();
    let (ok, stderr) = home.login(&aws, "sso-admin", |code| approve(&aws, code));
    assert!(ok, "{stderr}");
    let path = home.cache(SESSION_FILE);
    let mut token = read_json(&path);
    let old_access = token["accessToken"].clone();
    // Expired an hour ago, but it has a refresh token: roleport refreshes and saves it.
    token["expiresAt"] = json!("2020-01-01T00:00:00Z");
    std::fs::write(&path, token.to_string()).expect("write");
    let page = sign_in(&aws, &home, "sso-admin");
    assert!(
        page.contains(r#"<span id="account">100000000002</span>"#),
        "{page}"
    );
    let refreshed = read_json(&path);
    assert_ne!(refreshed["accessToken"], old_access);
    assert!(is_cli_time(&refreshed["expiresAt"]));
    assert_ne!(refreshed["expiresAt"], "2020-01-01T00:00:00Z");
    // Expired, nothing to refresh with: a coded error naming the login.
    let mut token = refreshed;
    token["expiresAt"] = json!("2020-01-01T00:00:00Z");
    token
        .as_object_mut()
        .expect("object")
        .remove("refreshToken");
    std::fs::write(&path, token.to_string()).expect("write");
    let out = home.run(&aws, &["url", "sso-admin"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("roleport sso login my-sso"), "{stderr}");
    assert!(
        stderr.contains("expired at 2020-01-01T00:00:00Z"),
        "{stderr}"
    );
    // A token the portal no longer knows (revoked) asks for a login too.
    let (ok, stderr) = home.login(&aws, "my-sso", |code| approve(&aws, code));
    assert!(ok, "{stderr}");
    control(&aws, "POST", "expire?all_tokens=1");
    let mut token = read_json(&path);
    token
        .as_object_mut()
        .expect("object")
        .remove("refreshToken");
    std::fs::write(&path, token.to_string()).expect("write");
    let out = home.run(&aws, &["url", "sso-admin"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("roleport sso login my-sso"),
        "{stderr}"
    );
}

#[test]
fn denied_and_expired_codes_fail_the_login_and_write_nothing() {
    let aws = Emulator::start();
    let home = Home::new();
    let (ok, stderr) = home.login(&aws, "my-sso", |code| {
        control(&aws, "POST", &format!("deny?user_code={code}"));
    });
    assert!(!ok);
    assert!(stderr.contains("was denied"), "{stderr}");
    assert!(
        stderr.contains("hint: Run `roleport sso login my-sso` again"),
        "{stderr}"
    );
    let (ok, stderr) = home.login(&aws, "my-sso", |code| {
        control(&aws, "POST", &format!("expire?user_code={code}"));
    });
    assert!(!ok);
    assert!(
        stderr.contains("expired before it was approved"),
        "{stderr}"
    );
    assert!(!home.cache(SESSION_FILE).exists());
}

#[test]
fn slow_down_makes_the_login_poll_five_seconds_slower() {
    let aws = Emulator::start();
    let home = Home::new();
    control(&aws, "POST", "settings?force_slow_down=1");
    let started = Instant::now();
    let (ok, stderr) = home.login(&aws, "my-sso", |code| approve(&aws, code));
    assert!(ok, "{stderr}");
    assert!(
        started.elapsed() >= Duration::from_secs(7),
        "{:?}",
        started.elapsed()
    );
    let requests = control(&aws, "GET", "requests");
    let polls: Vec<(f64, Option<&str>)> = requests["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter(|r| r["operation"] == "CreateToken")
        .map(|r| (r["time"].as_f64().expect("time"), r["error"].as_str()))
        .collect();
    assert_eq!(polls.len(), 2, "{polls:?}");
    assert_eq!(polls[0].1, Some("SlowDownException"));
    assert_eq!(polls[1].1, None);
    // interval 1 s + 5 s after slow_down.
    assert!(polls[1].0 - polls[0].0 >= 5.9, "{polls:?}");
    assert!(home.cache(SESSION_FILE).exists());
}

#[test]
fn a_legacy_profile_logs_in_by_its_own_name_without_refresh_token() {
    let aws = Emulator::start();
    let home = Home::new();
    let (ok, stderr) = home.login(&aws, "legacy", |code| approve(&aws, code));
    assert!(ok, "{stderr}");
    // Legacy logins are keyed by the start URL and register without scopes, as the AWS CLI.
    let token = read_json(&home.cache(LEGACY_FILE));
    assert_eq!(token["startUrl"], START_URL);
    assert!(token.get("refreshToken").is_none(), "{token}");
    assert!(!home.cache(SESSION_FILE).exists());
    let requests = control(&aws, "GET", "requests");
    let register = requests["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .find(|r| r["operation"] == "RegisterClient")
        .cloned()
        .expect("RegisterClient");
    assert!(register["scopes"].is_null(), "{register}");
    let page = sign_in(&aws, &home, "legacy");
    assert!(
        page.contains(r#"<span id="account">100000000003</span>"#),
        "{page}"
    );
    // The portal saw the bearer token in its header, and the request log keeps no token.
    let log = control(&aws, "GET", "requests").to_string();
    assert!(!log.contains(token["accessToken"].as_str().expect("token")));
    assert!(log.contains(r#""operation":"GetRoleCredentials""#), "{log}");
}

#[test]
fn the_browser_signs_in_over_native_messaging_and_the_console_opens() {
    let aws = Emulator::start();
    let env = HostEnv::new(&config())
        .var("AWS_ENDPOINT_URL_SSO", &aws.get("sso"))
        .var("AWS_ENDPOINT_URL_SSO_OIDC", &aws.get("sso"));
    let mut host = aws.host_env(env).spawn();
    let reply = host.request(1, "open_console", json!({"profile": "sso-admin"}));
    assert_eq!(err_code(&reply), "sso_login_required", "{reply}");

    host.send(&json!({"v": 1, "id": 2, "type": "sso_login", "profile": "sso-admin"}));
    let event = host.recv().expect("the device code event");
    assert_eq!(event["event"], "sso_device_code", "{event}");
    assert_eq!(event["profile"], "sso-admin", "{event}");
    assert!(event["event_id"].is_u64(), "{event}");
    assert!(
        event["expires_in"].as_i64().is_some_and(|s| s > 0),
        "{event}"
    );
    let code = event["user_code"].as_str().expect("user_code").to_owned();
    let page = event["verification_uri_complete"].as_str().expect("page");
    assert!(
        page.starts_with(&format!("{}/device?user_code=", aws.get("sso"))),
        "{event}"
    );
    approve(&aws, &code);
    let reply = host.recv().expect("the sso_login reply");
    assert_eq!(reply["id"], 2, "{reply}");
    assert_eq!(
        reply["ok"],
        json!({"type": "sso_login", "profile": "sso-admin", "login": "my-sso"}),
        "{reply}"
    );
    assert!(host
        .home_path()
        .join(".aws/sso/cache")
        .join(SESSION_FILE)
        .exists());

    let reply = host.request(3, "open_console", json!({"profile": "sso-admin"}));
    let url = reply["ok"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{reply}"));
    let (status, page) = aws.follow(url);
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(r#"<span id="account">100000000002</span>"#),
        "{page}"
    );
    // The token never reached the log.
    let token = read_json(&host.home_path().join(".aws/sso/cache").join(SESSION_FILE));
    let (_, stderr) = host.finish();
    assert!(!stderr.contains(token["accessToken"].as_str().expect("token")));
}

#[test]
fn a_denied_browser_login_is_a_coded_error() {
    let aws = Emulator::start();
    let env = HostEnv::new(&config())
        .var("AWS_ENDPOINT_URL_SSO", &aws.get("sso"))
        .var("AWS_ENDPOINT_URL_SSO_OIDC", &aws.get("sso"));
    let mut host = aws.host_env(env).spawn();
    host.send(&json!({"v": 1, "id": 1, "type": "sso_login", "profile": "legacy"}));
    let event = host.recv().expect("the device code event");
    let code = event["user_code"].as_str().expect("user_code").to_owned();
    control(&aws, "POST", &format!("deny?user_code={code}"));
    let reply = host.recv().expect("the sso_login reply");
    assert_eq!(err_code(&reply), "access_denied", "{reply}");
    assert!(
        reply["err"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("was denied")),
        "{reply}"
    );
    host.finish();
}
