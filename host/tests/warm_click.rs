//! A warm click is one round trip: a running host keeps a role's console credentials in memory
//! (`credentials/cache.rs`) and the next click on that profile calls only getSigninToken.
//! The round trips are counted by the emulator itself (moto's recorder, the stub's log).

mod support;

use serde_json::{json, Value};
use support::emulator::{ureq_get, Emulator};
use support::HostEnv;

fn config(aws: &Emulator, extra: &str) -> String {
    format!(
        "[profile alice]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n\n\
         [profile prod]\nrole_arn = {prod}\nsource_profile = alice\n\n\
         [profile dev]\nrole_arn = {dev}\nsource_profile = alice\n\n\
         [profile short]\nrole_arn = {prod}\nsource_profile = alice\nduration_seconds = 900\n{extra}",
        key = aws.user("access_key_id"),
        secret = aws.user("secret_access_key"),
        prod = aws.role("prod"),
        dev = aws.role("dev"),
    )
}

/// getSigninToken calls the sign-in stub has answered.
fn federation_calls(aws: &Emulator) -> usize {
    let (_, _, body) = ureq_get(
        &format!("http://127.0.0.1:{}/_stub/requests", aws.info["port"]),
        None,
    );
    let v: Value = serde_json::from_str(&body).expect("json");
    v["requests"].as_array().map_or(0, |r| {
        r.iter()
            .filter(|e| e.to_string().contains("getSigninToken"))
            .count()
    })
}

fn signed_in_as(aws: &Emulator, reply: &Value) -> String {
    let url = reply["ok"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{reply}"));
    let (status, page) = aws.follow(url);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(r#"<span id="account">"#), "{page}");
    page
}

#[test]
fn a_second_click_reuses_the_role_and_makes_one_round_trip() {
    let aws = Emulator::start();
    let mut host = aws.host_env(HostEnv::new(&config(&aws, ""))).spawn();
    let first = host.request(1, "open_console", json!({"profile": "prod"}));
    let second = host.request(2, "open_console", json!({"profile": "prod"}));
    assert_eq!(
        aws.recorded("AssumeRole").len(),
        1,
        "the role is assumed once"
    );
    assert_eq!(
        federation_calls(&aws),
        2,
        "each click gets its own sign-in token"
    );
    // Both URLs sign in, as the same role, and each one only once.
    for reply in [&first, &second] {
        let page = signed_in_as(&aws, reply);
        assert!(page.contains(r#"<span id="role">Admin</span>"#), "{page}");
    }
    assert_ne!(first["ok"]["url"], second["ok"]["url"]);
    assert_eq!(first["ok"]["expires_at"], second["ok"]["expires_at"]);

    // Another profile is another role: its own AssumeRole.
    let dev = host.request(3, "open_console", json!({"profile": "dev"}));
    assert_eq!(dev["ok"]["account_id"], "222222222222", "{dev}");
    assert_eq!(aws.recorded("AssumeRole").len(), 2);
    host.finish();
}

#[test]
fn credentials_too_close_to_their_expiry_are_not_reused() {
    // 15-minute credentials never have more than the reuse margin left: every click assumes.
    let aws = Emulator::start();
    let mut host = aws.host_env(HostEnv::new(&config(&aws, ""))).spawn();
    for id in 1..=2 {
        let reply = host.request(id, "open_console", json!({"profile": "short"}));
        signed_in_as(&aws, &reply);
    }
    let assumed = aws.recorded("AssumeRole");
    assert_eq!(assumed.len(), 2, "{assumed:?}");
    assert!(assumed.iter().all(|b| b.contains("DurationSeconds=900")));
    host.finish();
}

#[test]
fn a_changed_config_is_never_served_from_memory() {
    let aws = Emulator::start();
    let mut host = aws.host_env(HostEnv::new(&config(&aws, ""))).spawn();
    let first = host.request(1, "open_console", json!({"profile": "prod"}));
    signed_in_as(&aws, &first);
    // The same profile, but the file changed (here: a new profile beside it). What a role
    // profile means may have changed with it, so the host asks STS again.
    let config_file = host.home_path().join(".aws/config");
    std::fs::write(
        &config_file,
        config(&aws, "\n[profile later]\nregion = eu-west-1\n"),
    )
    .expect("rewrite config");
    let second = host.request(2, "open_console", json!({"profile": "prod"}));
    signed_in_as(&aws, &second);
    assert_eq!(aws.recorded("AssumeRole").len(), 2);
    host.finish();
}
