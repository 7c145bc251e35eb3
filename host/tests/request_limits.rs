//! What bounds a request in the host (`host/src/limits.rs`): a request that hangs gets the
//! host's coded `request_timeout`, naming what it waited for, before the extension's own limit;
//! beyond the cap of requests in flight the answer is `busy` at once, never a queue; a reply
//! over the browser's 1 MiB limit becomes a coded error with a hint.
//!
//! `ROLEPORT_REQUEST_TIMEOUT_MS` shortens the limit; the assertions are on codes, not durations.

mod support;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use support::{err_code, HostEnv};

/// `roleport::limits::MAX_IN_FLIGHT`.
const MAX_IN_FLIGHT: u64 = 16;

const HUNG: &str = "
[profile hung]
credential_process = sleep 300
";

#[test]
fn a_hung_credential_process_gets_request_timeout_naming_it() {
    let mut host = HostEnv::new(HUNG)
        .var("ROLEPORT_REQUEST_TIMEOUT_MS", "1000")
        .spawn();
    let reply = host.request(1, "open_console", json!({"profile": "hung"}));
    assert_eq!(err_code(&reply), "request_timeout", "{reply}");
    let message = reply["err"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("open_console did not finish within 1 s")
            && message.contains("credential_process `sleep` of profile `hung`"),
        "{reply}"
    );
    assert!(
        reply["err"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("roleport url PROFILE")),
        "{reply}"
    );
    // The port stays usable: the host answers the next request.
    let hello = host.request(2, "hello", json!({"client": "t", "version": "0"}));
    assert_eq!(hello["ok"]["type"], "hello");
    let (code, stderr) = host.finish();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn beyond_the_cap_of_requests_in_flight_the_answer_is_busy_at_once() {
    let mut host = HostEnv::new(HUNG)
        .var("ROLEPORT_REQUEST_TIMEOUT_MS", "5000")
        .spawn();
    for id in 1..=MAX_IN_FLIGHT + 1 {
        host.send(&json!({"v": 1, "id": id, "type": "open_console", "profile": "hung"}));
    }
    // hello is not counted: a full host still says who it is.
    host.send(&json!({"v": 1, "id": 100, "type": "hello", "client": "t", "version": "0"}));
    let mut replies = BTreeMap::new();
    for _ in 0..2 {
        let reply = host.recv().expect("a reply");
        replies.insert(reply["id"].as_u64().expect("id"), reply);
    }
    // The two answered first: the request over the cap (refused, not queued) and hello; the
    // sixteen in flight are all still waiting on their credential process.
    let over = &replies[&(MAX_IN_FLIGHT + 1)];
    assert_eq!(err_code(over), "busy", "{over}");
    assert!(
        over["err"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("16 requests")),
        "{over}"
    );
    assert_eq!(replies[&100]["ok"]["type"], "hello");
    // The sixteen in flight each get their own request_timeout, and the port stays usable.
    let mut timed_out = Vec::new();
    for _ in 0..MAX_IN_FLIGHT {
        let reply = host.recv().expect("a reply");
        assert_eq!(err_code(&reply), "request_timeout", "{reply}");
        timed_out.push(reply["id"].as_u64().expect("id"));
    }
    timed_out.sort_unstable();
    assert_eq!(timed_out, (1..=MAX_IN_FLIGHT).collect::<Vec<_>>());
    let again = host.request(200, "open_console", json!({"profile": "nope"}));
    assert_eq!(err_code(&again), "unknown_profile", "{again}");
    let (code, stderr) = host.finish();
    assert_eq!(code, Some(0), "{stderr}");
}

fn many_profiles(n: usize) -> String {
    let mut config = String::from(
        "[profile base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = do-not-leak\n",
    );
    for i in 0..n {
        config.push_str(&format!(
            "\n[profile team-{i:05}]\nrole_arn = arn:aws:iam::{:012}:role/Engineer\nsource_profile = base\n",
            100_000_000_000u64 + i as u64
        ));
    }
    config
}

#[test]
fn a_profile_list_over_the_browsers_1_mib_limit_is_a_coded_error_and_the_port_stays_usable() {
    let mut host = HostEnv::new(&many_profiles(20_000)).spawn();
    let reply = host.request(1, "list_profiles", json!({}));
    assert_eq!(
        (err_code(&reply), &reply["id"]),
        ("frame_too_large", &json!(1))
    );
    let message = reply["err"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("20001 profiles") && message.contains("1048576"),
        "{reply}"
    );
    assert!(
        reply["err"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("roleport open PROFILE")),
        "{reply}"
    );
    let hello: Value = host.request(2, "hello", json!({"client": "t", "version": "0"}));
    assert_eq!(hello["ok"]["type"], "hello");
    let (code, stderr) = host.finish();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_few_thousand_profiles_still_fit_in_one_reply() {
    let mut host = HostEnv::new(&many_profiles(3_000)).spawn();
    let reply = host.request(1, "list_profiles", json!({}));
    assert_eq!(
        reply["ok"]["profiles"].as_array().map(Vec::len),
        Some(3_001),
        "{}",
        reply.to_string().chars().take(300).collect::<String>()
    );
}
