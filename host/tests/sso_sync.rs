//! Discovery (`roleport sso sync`) against the SSO stub: every account and role of an
//! organisation, at the portal's rate limit without a failed account, incremental, listed and
//! opened beside the configured profiles, and written into ~/.aws/config only when asked and
//! never over a profile written by hand.

mod support;

use serde_json::Value;
use support::emulator::Emulator;
use support::sso_home::*;

/// `roleport sso sync ARGS --json` → (success, the JSON result, stderr).
fn sync(aws: &Emulator, home: &Home, args: &[&str]) -> (bool, Value, String) {
    let mut all = vec!["sso", "sync"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = home.run(aws, &all);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), json, stderr)
}

fn logged_in(aws: &Emulator, accounts: usize, roles: usize) -> Home {
    control(
        aws,
        "POST",
        &format!("seed?accounts={accounts}&roles={roles}"),
    );
    let home = Home::new();
    let (ok, stderr) = home.login(aws, "my-sso", |code| approve(aws, code));
    assert!(ok, "{stderr}");
    home
}

/// The portal calls the stub saw, by operation and status.
fn calls(aws: &Emulator, operation: &str, status: u64) -> usize {
    control(aws, "GET", "requests")["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter(|r| r["operation"] == operation && r["status"] == status)
        .count()
}

fn listed(aws: &Emulator, home: &Home) -> Vec<Value> {
    let out = home.run(aws, &["list", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).expect("list json");
    list["profiles"].as_array().cloned().unwrap_or_default()
}

#[test]
fn a_thousand_accounts_sync_at_ten_calls_a_second_without_a_failed_account() {
    let aws = Emulator::start();
    let home = logged_in(&aws, 1000, 3);
    control(&aws, "POST", "settings?rate_limit=10");
    let (ok, result, stderr) = sync(&aws, &home, &["my-sso"]);
    assert!(ok, "{stderr}");
    let login = &result["logins"][0];
    assert_eq!(login["accounts"], 1000, "{result}");
    assert_eq!(login["roles"], 3000, "{result}");
    assert_eq!(login["failed"], serde_json::json!([]), "{result}");
    // Every account's roles were read exactly once with success, however often the portal
    // throttled (each 429 was retried, none failed an account).
    assert_eq!(calls(&aws, "ListAccountRoles", 200), 1000);
    assert_eq!(calls(&aws, "ListAccounts", 200), 10);
    let throttled = calls(&aws, "ListAccountRoles", 429) + calls(&aws, "ListAccounts", 429);
    assert_eq!(login["throttled"], throttled as u64, "{result}");
    // Beside the configured profiles, named <account>/<role>, marked as discovered.
    let list = listed(&aws, &home);
    let found = list
        .iter()
        .find(|p| p["name"] == "account-0999/Billing")
        .unwrap_or_else(|| panic!("account-0999/Billing not listed"));
    assert_eq!(found["account_id"], "100000001000");
    assert_eq!(found["account_name"], "account-0999");
    assert_eq!(found["discovered"], true);
    assert!(list
        .iter()
        .any(|p| p["name"] == "sso-admin" && p.get("discovered").is_none()));
    // The configured sso-admin (account 100000000002, AdministratorAccess) is not listed twice.
    assert!(!list
        .iter()
        .any(|p| p["name"] == "account-0001/AdministratorAccess"));
    // 3,000 roles less the two that configured profiles already open (sso-admin, legacy).
    assert_eq!(
        list.iter().filter(|p| p["discovered"] == true).count(),
        2998
    );
}

#[test]
fn a_discovered_role_opens_its_console() {
    let aws = Emulator::start();
    let home = logged_in(&aws, 4, 2);
    let (ok, _, stderr) = sync(&aws, &home, &[]);
    assert!(ok, "{stderr}");
    let page = sign_in(&aws, &home, "account-0003/ReadOnlyAccess");
    assert!(
        page.contains(r#"<span id="account">100000000004</span>"#),
        "{page}"
    );
    assert!(
        page.contains(r#"<span id="role">ReadOnlyAccess</span>"#),
        "{page}"
    );
}

#[test]
fn a_second_sync_reads_only_new_and_stale_accounts() {
    let aws = Emulator::start();
    let home = logged_in(&aws, 5, 2);
    let (ok, first, stderr) = sync(&aws, &home, &["my-sso"]);
    assert!(ok, "{stderr}");
    assert_eq!(first["logins"][0]["refreshed"], 5);
    let (ok, second, stderr) = sync(&aws, &home, &["my-sso"]);
    assert!(ok, "{stderr}");
    assert_eq!(second["logins"][0]["refreshed"], 0, "{second}");
    assert_eq!(second["logins"][0]["roles"], 10);
    assert_eq!(calls(&aws, "ListAccountRoles", 200), 5);
    // Two accounts join the organisation (the first five keep their ids): only they are read.
    control(&aws, "POST", "seed?accounts=7&roles=2");
    let (ok, third, stderr) = sync(&aws, &home, &["my-sso"]);
    assert!(ok, "{stderr}");
    assert_eq!(third["logins"][0]["refreshed"], 2, "{third}");
    assert_eq!(third["logins"][0]["accounts"], 7);
    // --full reads every account again; accounts that left are dropped.
    control(&aws, "POST", "seed?accounts=6&roles=1");
    let (ok, full, stderr) = sync(&aws, &home, &["my-sso", "--full"]);
    assert!(ok, "{stderr}");
    assert_eq!(full["logins"][0]["refreshed"], 6, "{full}");
    assert_eq!(full["logins"][0]["roles"], 6, "{full}");
}

#[test]
fn retry_after_and_server_errors_are_survived() {
    let aws = Emulator::start();
    let home = logged_in(&aws, 30, 1);
    control(
        &aws,
        "POST",
        "settings?rate_limit=4&retry_after=1&fail_next=3",
    );
    let (ok, result, stderr) = sync(&aws, &home, &["my-sso"]);
    assert!(ok, "{stderr}");
    assert_eq!(result["logins"][0]["accounts"], 30, "{result}");
    assert_eq!(
        result["logins"][0]["failed"],
        serde_json::json!([]),
        "{result}"
    );
    // The portal did throttle (so Retry-After was sent and honoured: the pacer's unit tests
    // show every worker waits it out) and did fail three calls, and no account failed.
    assert!(calls(&aws, "ListAccountRoles", 429) + calls(&aws, "ListAccounts", 429) > 0);
    assert_eq!(
        calls(&aws, "ListAccounts", 500) + calls(&aws, "ListAccountRoles", 500),
        3
    );
}

#[test]
fn an_expired_login_is_a_coded_error_and_keeps_what_was_synced() {
    let aws = Emulator::start();
    let home = logged_in(&aws, 3, 1);
    let (ok, _, stderr) = sync(&aws, &home, &["my-sso"]);
    assert!(ok, "{stderr}");
    control(&aws, "POST", "expire?all_tokens=1");
    let out = home.run(&aws, &["sso", "sync", "my-sso"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("sso_login_required"), "{stderr}");
    assert!(stderr.contains("roleport sso login my-sso"), "{stderr}");
    // The earlier sync's roles are still listed.
    assert_eq!(
        listed(&aws, &home)
            .iter()
            .filter(|p| p["discovered"] == true)
            .count(),
        2
    );
}

#[test]
fn write_config_adds_profiles_the_aws_cli_reads_and_never_touches_hand_written_ones() {
    let aws = Emulator::start();
    control(&aws, "POST", "seed?accounts=3&roles=2");
    // A hand-written profile that takes a name discovery would give.
    let hand_written = format!(
        "{}\n[profile account-0000/ReadOnlyAccess]\n# mine, do not touch\nsso_session = my-sso\n\
         sso_account_id = 100000000001\nsso_role_name = AdministratorAccess\n",
        config()
    );
    let home = Home::with_config(&hand_written);
    let (ok, stderr) = home.login(&aws, "my-sso", |code| approve(&aws, code));
    assert!(ok, "{stderr}");
    let (ok, result, stderr) = sync(&aws, &home, &["my-sso", "--write-config"]);
    assert!(ok, "{stderr}");
    let written = &result["logins"][0]["written"];
    assert_eq!(
        written["skipped"],
        serde_json::json!(["account-0000/ReadOnlyAccess"])
    );
    let text = std::fs::read_to_string(home.path().join(".aws/config")).expect("config");
    assert!(text.starts_with(&hand_written), "{text}");
    assert!(text.contains("[profile account-0002/ReadOnlyAccess]\nsso_session = my-sso\n"));
    // botocore (the AWS CLI) reads the written profile and signs in with roleport's token.
    let out = botocore(
        &aws,
        &home,
        "import boto3; print(boto3.Session(profile_name='account-0002/ReadOnlyAccess')\
         .client('sts').get_caller_identity()['Arn'])",
    );
    let arn = String::from_utf8_lossy(&out.stdout);
    assert!(
        arn.starts_with("arn:aws:sts::100000000003:assumed-role/ReadOnlyAccess/"),
        "{arn} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A second write replaces roleport's block only; the file is otherwise unchanged.
    let (ok, _, stderr) = sync(&aws, &home, &["my-sso", "--write-config"]);
    assert!(ok, "{stderr}");
    let again = std::fs::read_to_string(home.path().join(".aws/config")).expect("config");
    assert_eq!(again, text);
}
