//! The host as a browser sees it: framing, errors and callers, without AWS.

mod support;

use serde_json::json;
use support::{err_code, HostEnv};

const CONFIG: &str = "
[profile base]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = do-not-leak

[profile prod]
role_arn = arn:aws:iam::111111111111:role/Admin
source_profile = base
roleport_color = red

[profile loop-a]
role_arn = arn:aws:iam::1:role/A
source_profile = loop-b

[profile loop-b]
role_arn = arn:aws:iam::1:role/B
source_profile = loop-a
";

#[test]
fn hello_reports_version_and_capabilities() {
    let mut host = HostEnv::new(CONFIG).spawn();
    let reply = host.request(1, "hello", json!({"client": "test", "version": "0"}));
    assert_eq!(reply["id"], 1);
    assert_eq!(reply["ok"]["type"], "hello");
    assert_eq!(reply["ok"]["protocol"], 1);
    assert_eq!(
        reply["ok"]["capabilities"],
        json!([
            "hello",
            "list_profiles",
            "open_console",
            "open_in_browser",
            "open_tab_result",
            "sso_login",
            "saml_roles",
            "saml_open",
            "sso_sync",
            "settings_get",
            "settings_put"
        ])
    );
    let (code, stderr) = host.finish();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_running_host_reads_the_config_again_once_it_changes() {
    let mut host = HostEnv::new(CONFIG).spawn();
    let names = |reply: &serde_json::Value| -> Vec<String> {
        reply["ok"]["profiles"]
            .as_array()
            .expect("profiles")
            .iter()
            .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let before = names(&host.request(1, "list_profiles", json!({})));
    assert_eq!(before, ["base", "loop-a", "loop-b", "prod"]);
    // Unchanged files are not parsed again, but any edit is seen by the next request.
    assert_eq!(names(&host.request(2, "list_profiles", json!({}))), before);
    let config = host.home_path().join(".aws/config");
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str(
        "\n[profile added]\nrole_arn = arn:aws:iam::222222222222:role/Dev\nsource_profile = base\n",
    );
    std::fs::write(&config, text).expect("edit");
    assert!(names(&host.request(3, "list_profiles", json!({}))).contains(&"added".to_owned()));
    // Even an edit that keeps the file's size.
    let text = std::fs::read_to_string(&config)
        .expect("config")
        .replace("[profile prod]", "[profile prxd]");
    std::fs::write(&config, text).expect("edit");
    let after = names(&host.request(4, "list_profiles", json!({})));
    assert!(
        after.contains(&"prxd".to_owned()) && !after.contains(&"prod".to_owned()),
        "{after:?}"
    );
}

#[test]
fn list_profiles_shows_names_accounts_and_colours_but_no_keys() {
    let mut host = HostEnv::new(CONFIG).spawn();
    let reply = host.request(2, "list_profiles", json!({}));
    let profiles = reply["ok"]["profiles"].as_array().expect("profiles");
    let names: Vec<_> = profiles
        .iter()
        .map(|p| p["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, ["base", "loop-a", "loop-b", "prod"]);
    let prod = &profiles[3];
    assert_eq!(
        (prod["account_id"].as_str(), prod["role"].as_str()),
        (Some("111111111111"), Some("Admin"))
    );
    assert_eq!(prod["color"], "red");
    let text = reply.to_string();
    assert!(
        !text.contains("AKIDEXAMPLE") && !text.contains("do-not-leak"),
        "{text}"
    );
}

#[test]
fn invalid_json_is_answered_and_the_port_stays_usable() {
    let mut host = HostEnv::new(CONFIG).spawn();
    host.send_raw(&[5, 0, 0, 0]);
    host.send_raw(b"{nope");
    let reply = host.recv().expect("reply");
    assert_eq!(
        (err_code(&reply), &reply["id"]),
        ("bad_frame", &json!(null))
    );
    let ok = host.request(3, "hello", json!({"client": "t", "version": "0"}));
    assert_eq!(ok["ok"]["type"], "hello");
}

#[test]
fn unknown_message_type_names_the_type_and_keeps_the_id() {
    let mut host = HostEnv::new(CONFIG).spawn();
    let reply = host.request(9, "delete_everything", json!({}));
    assert_eq!(
        (err_code(&reply), reply["id"].as_u64()),
        ("unknown_message", Some(9))
    );
    assert!(reply["err"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("delete_everything"));
    assert!(!reply["err"]["hint"].as_str().unwrap_or_default().is_empty());
}

#[test]
fn wrong_protocol_version_is_refused_with_a_hint() {
    let mut host = HostEnv::new(CONFIG).spawn();
    host.send(&json!({"v": 2, "id": 4, "type": "hello", "client": "t", "version": "0"}));
    assert_eq!(
        err_code(&host.recv().expect("reply")),
        "unsupported_version"
    );
}

#[test]
fn oversize_frame_is_refused_before_it_is_read_and_the_host_exits_cleanly() {
    let mut host = HostEnv::new(CONFIG).spawn();
    host.send_raw(&(512u32 * 1024 * 1024).to_ne_bytes());
    let reply = host.recv().expect("reply");
    assert_eq!(err_code(&reply), "frame_too_large");
    assert!(
        host.recv().is_none(),
        "the host closes the desynchronised stream"
    );
    let (code, stderr) = host.finish();
    assert_eq!(code, Some(0));
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn truncated_frame_gets_bad_frame_without_a_panic() {
    let mut host = HostEnv::new(CONFIG).spawn();
    host.send_raw(&100u32.to_ne_bytes());
    host.send_raw(b"{\"v\":1,");
    host.close_stdin();
    let reply = host.recv().expect("reply");
    assert_eq!(err_code(&reply), "bad_frame");
    let (code, stderr) = host.finish();
    assert_eq!(code, Some(0));
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn truncated_length_prefix_is_a_bad_frame_too() {
    let mut host = HostEnv::new(CONFIG).spawn();
    host.send_raw(&[1, 0]);
    host.close_stdin();
    assert_eq!(err_code(&host.recv().expect("reply")), "bad_frame");
}

#[test]
fn unknown_profile_names_the_profile_and_how_to_fix_it() {
    let mut host = HostEnv::new(CONFIG).spawn();
    let reply = host.request(5, "open_console", json!({"profile": "prdo"}));
    assert_eq!(err_code(&reply), "unknown_profile");
    assert!(reply["err"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("prdo"));
    assert!(reply["err"]["hint"]
        .as_str()
        .unwrap_or_default()
        .contains("roleport list"));
}

#[test]
fn source_profile_cycle_is_a_coded_error_naming_the_chain() {
    let mut host = HostEnv::new(CONFIG).spawn();
    let reply = host.request(6, "open_console", json!({"profile": "loop-a"}));
    assert_eq!(err_code(&reply), "profile_cycle");
    assert!(reply["err"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("loop-a -> loop-b -> loop-a"));
}

#[test]
fn destination_outside_the_console_is_refused_before_any_aws_call() {
    // No STS endpoint is reachable here: reaching STS would fail with a different code.
    let mut host = HostEnv::new(CONFIG)
        .var("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
        .spawn();
    let reply = host.request(
        7,
        "open_console",
        json!({"profile": "prod", "destination": "https://evil.example/"}),
    );
    assert_eq!(err_code(&reply), "destination_not_allowed");
}

#[test]
fn unreachable_sts_is_a_coded_error_not_a_hang() {
    let mut host = HostEnv::new(CONFIG)
        .var("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
        .var("AWS_MAX_ATTEMPTS", "1")
        .spawn();
    let reply = host.request(8, "open_console", json!({"profile": "prod"}));
    assert_eq!(err_code(&reply), "sts_failed");
    assert!(reply["err"]["hint"]
        .as_str()
        .unwrap_or_default()
        .contains("AWS_ENDPOINT_URL_STS"));
}

#[test]
fn broken_config_is_reported_with_its_line() {
    let mut host = HostEnv::new("[profile ok]\nregion = x\n[broken\n").spawn();
    let reply = host.request(1, "list_profiles", json!({}));
    assert_eq!(err_code(&reply), "config_unreadable");
    assert!(
        reply["err"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("line 3"),
        "{reply}"
    );
}

#[test]
fn concurrent_requests_each_get_exactly_one_reply() {
    let mut host = HostEnv::new(CONFIG).spawn();
    for id in 100..120 {
        host.send(&json!({"v": 1, "id": id, "type": "list_profiles"}));
    }
    let mut ids: Vec<u64> = (0..20)
        .filter_map(|_| host.recv()?["id"].as_u64())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (100..120).collect::<Vec<_>>());
    host.close_stdin();
    assert!(host.recv().is_none(), "no extra frames");
}

#[test]
fn a_caller_that_is_not_our_extension_is_refused() {
    for args in [
        vec!["chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"],
        vec!["/tmp/dev.roleport.host.json", "evil@example.com"],
    ] {
        let mut host = HostEnv::new(CONFIG).args(&args).spawn();
        let reply = host.recv().expect("a refusal");
        assert_eq!(err_code(&reply), "caller_not_allowed");
        let (code, _) = host.finish();
        assert_eq!(code, Some(2));
    }
}

#[test]
fn firefox_caller_is_served() {
    let mut host = HostEnv::new(CONFIG)
        .args(&[
            "/home/u/.mozilla/native-messaging-hosts/dev.roleport.host.json",
            "roleport@roleport.dev",
        ])
        .spawn();
    assert_eq!(
        host.request(1, "hello", json!({"client": "t", "version": "0"}))["ok"]["type"],
        "hello"
    );
}
