//! The whole host path against moto and the sign-in stub: profile → STS → federation →
//! a console page that shows the right account and role.

mod support;

use serde_json::json;
use support::emulator::Emulator;
use support::{err_code, HostEnv};

fn config(aws: &Emulator) -> String {
    format!(
        "[profile alice]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n\n\
         [profile prod]\nrole_arn = {prod}\nsource_profile = alice\nduration_seconds = 3600\n\n\
         [profile audit]\nrole_arn = {audit}\nsource_profile = prod\n\n\
         [profile dev-endpoint]\nrole_arn = {dev}\nsource_profile = alice\nendpoint_url = {moto}\n",
        key = aws.user("access_key_id"),
        secret = aws.user("secret_access_key"),
        prod = aws.role("prod"),
        audit = aws.role("audit"),
        dev = aws.role("dev"),
        moto = aws.get("moto"),
    )
}

fn open(aws: &Emulator, env: HostEnv, profile: &str) -> serde_json::Value {
    let mut host = env.spawn();
    let reply = host.request(1, "open_console", json!({"profile": profile}));
    let (_, stderr) = host.finish();
    for secret in [aws.user("access_key_id"), aws.user("secret_access_key")] {
        assert!(
            !reply.to_string().contains(&secret),
            "a key reached the reply"
        );
        assert!(!stderr.contains(&secret), "a key reached the log");
    }
    reply
}

#[test]
fn assumed_role_signs_in_to_its_account() {
    let aws = Emulator::start();
    let reply = open(&aws, aws.host_env(HostEnv::new(&config(&aws))), "prod");
    let ok = &reply["ok"];
    assert_eq!(
        (ok["account_id"].as_str(), ok["role"].as_str()),
        (Some("111111111111"), Some("Admin")),
        "{reply}"
    );
    let (status, page) = aws.follow(ok["url"].as_str().expect("url"));
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<span id="account">111111111111</span>"#),
        "{page}"
    );
    assert!(page.contains(r#"<span id="role">Admin</span>"#), "{page}");
}

#[test]
fn role_chain_signs_in_without_session_duration() {
    // The stub, like AWS, refuses SessionDuration for chained credentials.
    let aws = Emulator::start();
    let reply = open(&aws, aws.host_env(HostEnv::new(&config(&aws))), "audit");
    let (status, page) = aws.follow(
        reply["ok"]["url"]
            .as_str()
            .unwrap_or_else(|| panic!("{reply}")),
    );
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<span id="account">333333333333</span>"#),
        "{page}"
    );
}

#[test]
fn static_keys_sign_in_through_a_federation_token() {
    let aws = Emulator::start();
    let reply = open(&aws, aws.host_env(HostEnv::new(&config(&aws))), "alice");
    assert_eq!(reply["ok"]["account_id"], aws.user("account_id"), "{reply}");
    let (status, page) = aws.follow(reply["ok"]["url"].as_str().expect("url"));
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!(
            r#"<span id="account">{}</span>"#,
            aws.user("account_id")
        )),
        "{page}"
    );
}

#[test]
fn endpoint_url_in_the_profile_is_honoured() {
    let aws = Emulator::start();
    // No AWS_ENDPOINT_URL_STS: only the profile's endpoint_url can lead to moto.
    let env = HostEnv::new(&config(&aws))
        .var("ROLEPORT_SIGNIN_URL", &aws.get("signin"))
        .var("ROLEPORT_CONSOLE_URL", &aws.get("console"));
    let reply = open(&aws, env, "dev-endpoint");
    assert_eq!(reply["ok"]["account_id"], "222222222222", "{reply}");
}

#[test]
fn an_unreachable_sign_in_endpoint_is_a_coded_federation_error() {
    let aws = Emulator::start();
    let env = aws
        .host_env(HostEnv::new(&config(&aws)))
        .var("ROLEPORT_SIGNIN_URL", "http://127.0.0.1:9/federation");
    let reply = open(&aws, env, "prod");
    assert_eq!(err_code(&reply), "federation_failed", "{reply}");
    assert!(
        !reply["err"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Session"),
        "{reply}"
    );
}

#[test]
fn a_ca_bundle_that_cannot_be_read_is_told_before_any_call_and_a_readable_one_signs_in() {
    let aws = Emulator::start();
    let text = config(&aws).replace(
        "[profile prod]\n",
        "[profile prod]\nca_bundle = /nonexistent/corp-ca.pem\n",
    );
    let reply = open(&aws, aws.host_env(HostEnv::new(&text)), "prod");
    assert_eq!(err_code(&reply), "config_unreadable", "{reply}");
    let hint = reply["err"]["hint"].as_str().unwrap_or_default();
    assert!(hint.contains("`ca_bundle` of profile `prod`"), "{reply}");
    assert!(
        aws.recorded("AssumeRole").is_empty(),
        "no STS call was made"
    );

    // AWS_CA_BUNDLE wins over the profile's: a readable bundle, and the emulator (plain
    // HTTP here) signs in through a client that trusts only it.
    let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/src/testdata/ca.pem");
    let env = aws.host_env(HostEnv::new(&text)).var("AWS_CA_BUNDLE", ca);
    let reply = open(&aws, env, "prod");
    assert_eq!(reply["ok"]["account_id"], "111111111111", "{reply}");
}
