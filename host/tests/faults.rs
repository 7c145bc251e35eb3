//! STS and the sign-in endpoint misbehaving on purpose (`tests/aws/emu_faults.py`): a few
//! throttles or 5xx are retried (with backoff and jitter) and the console opens; persistent
//! ones end, after a bounded number of attempts, in a coded error with a hint; a call that
//! never answers ends in the host's own `request_timeout`, naming that call.
//!
//! `ROLEPORT_RETRY_BASE_MS=1` shrinks the backoff so many failing attempts cost milliseconds;
//! nothing here measures time.

mod support;

use serde_json::{json, Value};
use support::emulator::Emulator;
use support::{err_code, HostEnv};

/// `roleport::credentials::sts::STS_MAX_ATTEMPTS` (the crate keeps the module private).
const STS_ATTEMPTS: u64 = 4;
/// `federation::exchange::MAX_ATTEMPTS`.
const FEDERATION_ATTEMPTS: u64 = 3;

fn config(aws: &Emulator) -> String {
    format!(
        "[profile alice]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n\n\
         [profile prod]\nrole_arn = {prod}\nsource_profile = alice\n",
        key = aws.user("access_key_id"),
        secret = aws.user("secret_access_key"),
        prod = aws.role("prod"),
    )
}

fn open_with(aws: &Emulator, profile: &str, vars: &[(&str, &str)]) -> Value {
    let mut env = aws
        .host_env(HostEnv::new(&config(aws)))
        .var("ROLEPORT_RETRY_BASE_MS", "1");
    for (k, v) in vars {
        env = env.var(k, v);
    }
    let mut host = env.spawn();
    let reply = host.request(1, "open_console", json!({"profile": profile}));
    let (code, stderr) = host.finish();
    assert_eq!(code, Some(0), "{stderr}");
    reply
}

fn open(aws: &Emulator, profile: &str) -> Value {
    open_with(aws, profile, &[])
}

/// The console the reply's URL opens, as a fresh browser would see it.
fn console_account(aws: &Emulator, reply: &Value) -> String {
    let url = reply["ok"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("no URL: {reply}"));
    let (status, page) = aws.follow(url);
    assert_eq!(status, 200, "{page}");
    page.split(r#"<span id="account">"#)
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_few_sts_throttles_or_5xx_are_retried_and_the_console_opens() {
    let aws = Emulator::start();
    for fault in ["throttling", "too_many_requests", "internal", "unavailable"] {
        let before = aws.attempts("AssumeRole");
        aws.fault("AssumeRole", fault, 2);
        let reply = open(&aws, "prod");
        assert_eq!(console_account(&aws, &reply), "111111111111", "{fault}");
        assert_eq!(
            aws.attempts("AssumeRole") - before,
            3,
            "{fault}: 2 faults + 1 success"
        );
    }
    // GetFederationToken (plain long-term keys) goes through the same client construction.
    aws.fault("GetFederationToken", "unavailable", 3);
    let reply = open(&aws, "alice");
    assert_eq!(console_account(&aws, &reply), "123456789012");
    assert_eq!(aws.attempts("GetFederationToken"), 4);
}

#[test]
fn persistent_sts_faults_end_in_a_coded_error_after_a_bounded_number_of_attempts() {
    let aws = Emulator::start();
    aws.fault("AssumeRole", "throttling", -1);
    let reply = open(&aws, "prod");
    assert_eq!(err_code(&reply), "throttled", "{reply}");
    assert!(
        reply["err"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("AssumeRole") && m.contains("`prod`")),
        "{reply}"
    );
    assert!(
        reply["err"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("try again")),
        "{reply}"
    );
    assert_eq!(aws.attempts("AssumeRole"), STS_ATTEMPTS);

    aws.fault("AssumeRole", "unavailable", -1);
    let reply = open(&aws, "prod");
    assert_eq!(err_code(&reply), "sts_failed", "{reply}");
    let message = reply["err"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("503") && message.contains("ServiceUnavailable"),
        "{reply}"
    );
    assert!(
        reply["err"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("health.aws.amazon.com")),
        "{reply}"
    );
    assert_eq!(aws.attempts("AssumeRole"), 2 * STS_ATTEMPTS);
}

#[test]
fn sign_in_endpoint_faults_are_retried_then_end_in_federation_failed() {
    let aws = Emulator::start();
    aws.fault("getSigninToken", "unavailable", 2);
    let reply = open(&aws, "prod");
    assert_eq!(console_account(&aws, &reply), "111111111111");
    assert_eq!(aws.attempts("getSigninToken"), 3);

    aws.fault("getSigninToken", "too_many_requests", -1);
    let reply = open(&aws, "prod");
    assert_eq!(err_code(&reply), "federation_failed", "{reply}");
    assert!(
        reply["err"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("429")),
        "{reply}"
    );
    assert_eq!(aws.attempts("getSigninToken"), 3 + FEDERATION_ATTEMPTS);
    // A refusal is final at once: the federation stub refuses forged credentials with 400.
    aws.clear_faults();
}

#[test]
fn a_hung_aws_call_gets_the_hosts_request_timeout_naming_that_call() {
    let aws = Emulator::start();
    let quick = [("ROLEPORT_REQUEST_TIMEOUT_MS", "1500")];
    aws.fault("AssumeRole", "hang", -1);
    let reply = open_with(&aws, "prod", &quick);
    assert_eq!(err_code(&reply), "request_timeout", "{reply}");
    let message = reply["err"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("AssumeRole of arn:aws:iam::111111111111:role/Admin")
            && message.contains("`prod`"),
        "{reply}"
    );
    aws.clear_faults();

    aws.fault("getSigninToken", "hang", -1);
    let reply = open_with(&aws, "prod", &quick);
    assert_eq!(err_code(&reply), "request_timeout", "{reply}");
    assert!(
        reply["err"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("getSigninToken")),
        "{reply}"
    );
    aws.clear_faults();
}
