//! MFA the aws-vault way (one code per source, its session reused for every role) and the
//! audit log, against moto with a virtual MFA device whose codes the stub computes.

mod support;

use serde_json::json;
use support::emulator::Emulator;
use support::{err_code, HostEnv};

fn config(aws: &Emulator) -> String {
    format!(
        "[profile alice]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\nmfa_serial = {serial}\n\n\
         [profile prod]\nrole_arn = {prod}\nsource_profile = alice\n\n\
         [profile dev]\nrole_arn = {dev}\nsource_profile = alice\n",
        key = aws.user("access_key_id"),
        secret = aws.user("secret_access_key"),
        serial = aws.info["mfa"]["serial"].as_str().expect("serial"),
        prod = aws.role("prod"),
        dev = aws.role("dev"),
    )
}

#[test]
fn one_code_opens_every_role_of_the_source() {
    let aws = Emulator::start();
    let mut host = aws.host_env(HostEnv::new(&config(&aws))).spawn();

    let asked = host.request(1, "open_console", json!({"profile": "prod"}));
    assert_eq!(err_code(&asked), "mfa_required");
    assert!(
        asked["err"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("mfa/alice"),
        "{asked}"
    );

    let code = aws.totp();
    let prod = host.request(
        2,
        "open_console",
        json!({"profile": "prod", "mfa_code": code}),
    );
    assert_eq!(prod["ok"]["account_id"], "111111111111", "{prod}");
    let dev = host.request(3, "open_console", json!({"profile": "dev"}));
    assert_eq!(
        dev["ok"]["account_id"], "222222222222",
        "no second prompt: {dev}"
    );

    let sessions = aws.recorded("GetSessionToken");
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert!(
        sessions[0].contains("SerialNumber=") && sessions[0].contains(&format!("TokenCode={code}"))
    );
    let assumes = aws.recorded("AssumeRole");
    assert_eq!(assumes.len(), 2);
    assert!(
        assumes.iter().all(|b| !b.contains("TokenCode")),
        "roles are assumed from the session"
    );
}

#[test]
fn a_wrong_code_is_refused_clearly_and_a_retry_works() {
    let aws = Emulator::start();
    let mut host = aws.host_env(HostEnv::new(&config(&aws))).spawn();
    let wrong = host.request(
        1,
        "open_console",
        json!({"profile": "prod", "mfa_code": "000000"}),
    );
    assert_eq!(err_code(&wrong), "mfa_invalid", "{wrong}");
    assert!(wrong["err"]["hint"]
        .as_str()
        .unwrap_or_default()
        .contains("next code"));
    let right = host.request(
        2,
        "open_console",
        json!({"profile": "prod", "mfa_code": aws.totp()}),
    );
    assert_eq!(right["ok"]["account_id"], "111111111111", "{right}");
}

#[test]
fn every_issue_and_open_is_audited_without_secrets() {
    let aws = Emulator::start();
    let mut host = aws.host_env(HostEnv::new(&config(&aws))).spawn();
    let ok = host.request(
        1,
        "open_console",
        json!({"profile": "prod", "mfa_code": aws.totp()}),
    );
    assert!(ok.get("ok").is_some(), "{ok}");
    // The host writes each record before it replies; its HOME lives as long as `host`.
    let home = host.home_path();
    let log = home.join(".local/state/roleport/audit.jsonl");
    let text = std::fs::read_to_string(&log).expect("audit log written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir = std::fs::metadata(log.parent().expect("dir"))
            .expect("stat")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir, 0o700);
    }
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let actions: Vec<_> = records
        .iter()
        .map(|r| {
            r["action"]
                .as_str()
                .unwrap_or(r["event"].as_str().unwrap_or_default())
        })
        .collect();
    assert_eq!(
        actions,
        ["GetSessionToken", "AssumeRole", "console"],
        "{text}"
    );
    assert!(records.iter().all(|r| r["requester"] == "popup"));
    assert_eq!(records[1]["account_id"], "111111111111");
    assert!(records[1]["session_name"]
        .as_str()
        .unwrap_or_default()
        .starts_with("roleport-"));
    for secret in [aws.user("access_key_id"), aws.user("secret_access_key")] {
        assert!(!text.contains(&secret));
    }

    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_roleport"))
        .args(["audit", "--profile", "prod", "--since", "1h", "--json"])
        .env("HOME", &home)
        .output()
        .expect("roleport audit");
    assert!(cli.status.success());
    assert_eq!(String::from_utf8_lossy(&cli.stdout).lines().count(), 3);
    host.finish();
}

#[test]
fn the_mfa_session_is_shared_across_processes_through_the_sealed_cache() {
    let aws = Emulator::start();
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(home.path().join(".aws")).expect("mkdir");
    std::fs::write(home.path().join(".aws/config"), config(&aws)).expect("config");
    let url = |profile: &str, code: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_roleport"));
        cmd.arg("url")
            .arg(profile)
            .args(code.map(|c| ["--mfa-code", c]).into_iter().flatten());
        cmd.env_clear()
            .env("HOME", home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_ENDPOINT_URL_STS", aws.get("moto"))
            .env("ROLEPORT_SIGNIN_URL", aws.get("signin"))
            .env("ROLEPORT_CONSOLE_URL", aws.get("console"))
            // The encrypted-file store, so the test needs no keyring.
            .env("ROLEPORT_STORE", "file")
            .env("ROLEPORT_STORE_PASSPHRASE", "correct horse battery staple")
            .stdin(std::process::Stdio::null());
        cmd.output().expect("roleport url")
    };
    let first = url("prod", Some(&aws.totp()));
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = url("dev", None);
    assert!(
        second.status.success(),
        "no code asked again: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(aws.recorded("GetSessionToken").len(), 1);
    let cache = std::fs::read_dir(home.path().join(".local/share/roleport"))
        .expect("store dir")
        .filter_map(Result::ok)
        .map(|e| std::fs::read(e.path()).unwrap_or_default())
        .collect::<Vec<_>>()
        .concat();
    let session = String::from_utf8_lossy(&cache);
    for issued in aws.issued_secrets() {
        assert!(
            !session.contains(&issued),
            "the sealed cache holds a plaintext secret"
        );
    }
}
