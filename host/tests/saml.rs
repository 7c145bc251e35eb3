//! SAML sign-in through the real host: the stub identity provider's response goes in once
//! (`saml_roles`), each chosen role comes out as a console sign-in URL (`saml_open`:
//! AssumeRoleWithSAML on moto, then the federation stub), and the assertion goes nowhere else.

mod support;

use serde_json::{json, Value};
use support::emulator::Emulator;
use support::{err_code, HostEnv};

fn roles_of(reply: &Value) -> Vec<(String, String, String)> {
    reply["ok"]["roles"]
        .as_array()
        .unwrap_or_else(|| panic!("{reply}"))
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (s("account_id"), s("role"), s("name"))
        })
        .collect()
}

#[test]
fn each_role_of_one_assertion_opens_its_own_console_and_the_assertion_stays_in_the_host() {
    let aws = Emulator::start();
    let assertion = aws.saml_response("roles=dev,prod,audit&duration=7200");
    let frames = tempfile::tempdir().expect("tempdir");
    let frames_file = frames.path().join("frames.jsonl");
    let env = aws
        .host_env(HostEnv::new(""))
        .var(
            "ROLEPORT_RECORD_FRAMES",
            frames_file.to_str().expect("utf-8"),
        )
        .var("ROLEPORT_LOG", "debug");
    let mut host = env.spawn();

    let listed = host.request(1, "saml_roles", json!({"saml_response": assertion}));
    assert_eq!(listed["ok"]["type"], "saml_roles", "{listed}");
    assert_eq!(
        roles_of(&listed),
        [
            ("111111111111", "Admin", "saml:111111111111/Admin"),
            ("222222222222", "Developer", "saml:222222222222/Developer"),
            ("333333333333", "ReadOnly", "saml:333333333333/ReadOnly"),
        ]
        .map(|(a, r, n)| (a.to_owned(), r.to_owned(), n.to_owned()))
    );
    assert_eq!(listed["ok"]["session_name"], "alice@example.com");
    assert_eq!(listed["ok"]["session_duration"], 7200);
    assert!(listed["ok"]["expires_at"].is_string(), "{listed}");
    let handle = listed["ok"]["handle"].as_str().expect("handle").to_owned();

    for (id, key, account, role) in [
        (2, "prod", "111111111111", "Admin"),
        (3, "dev", "222222222222", "Developer"),
    ] {
        let opened = host.request(
            id,
            "saml_open",
            json!({"handle": handle, "role_arn": aws.role(key)}),
        );
        let ok = &opened["ok"];
        assert_eq!(ok["type"], "saml_open", "{opened}");
        assert_eq!(ok["profile"], format!("saml:{account}/{role}"));
        assert_eq!(
            (ok["account_id"].as_str(), ok["role"].as_str()),
            (Some(account), Some(role))
        );
        let (status, page) = aws.follow(ok["url"].as_str().expect("url"));
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains(&format!(r#"<span id="account">{account}</span>"#)),
            "{page}"
        );
        assert!(
            page.contains(&format!(r#"<span id="role">{role}</span>"#)),
            "{page}"
        );
        assert!(
            page.contains(r#"<span id="session-name">alice@example.com</span>"#),
            "{page}"
        );
    }

    // STS was asked for the chosen role through its own provider, for SessionDuration.
    let calls = aws.recorded("AssumeRoleWithSAML");
    assert_eq!(calls.len(), 2, "{calls:?}");
    let prod_role =
        url::form_urlencoded::byte_serialize(aws.role("prod").as_bytes()).collect::<String>();
    let prod_idp = url::form_urlencoded::byte_serialize(
        b"arn:aws:iam::111111111111:saml-provider/roleport-adfs",
    )
    .collect::<String>();
    assert!(
        calls
            .iter()
            .any(|c| c.contains(&format!("RoleArn={prod_role}"))
                && c.contains(&format!("PrincipalArn={prod_idp}"))
                && c.contains("DurationSeconds=7200")),
        "{calls:?}"
    );

    let audit = std::fs::read_to_string(host.home_path().join(".local/state/roleport/audit.jsonl"))
        .expect("audit log");
    let (_, stderr) = host.finish();
    let records: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert!(
        records.iter().any(|r| r["action"] == "AssumeRoleWithSAML"
            && r["role_arn"] == aws.role("prod")
            && r["profile"] == "saml:111111111111/Admin"),
        "{audit}"
    );
    assert_eq!(
        records.iter().filter(|r| r["event"] == "console").count(),
        2,
        "{audit}"
    );
    // The canary: no part of the assertion in the log, the audit log or any frame to the browser.
    let sent = std::fs::read_to_string(&frames_file).expect("frames");
    assert!(
        sent.contains(r#""saml_open""#),
        "the recording saw the replies"
    );
    use base64::Engine;
    let xml = base64::engine::general_purpose::STANDARD
        .decode(&assertion)
        .expect("base64");
    let xml = String::from_utf8(xml).expect("utf-8");
    // Its base64 (start and middle) and, decoded, its unique response and assertion ids.
    let middle = assertion.len() / 2;
    let mut canaries = vec![&assertion[..64], &assertion[middle..middle + 64]];
    canaries.extend(
        xml.split(r#"ID="_"#)
            .skip(1)
            .filter_map(|rest| rest.get(..32)),
    );
    assert_eq!(canaries.len(), 4, "two ids in the stub's response");
    for (what, text) in [
        ("stderr", &stderr),
        ("audit log", &audit),
        ("frames", &sent),
    ] {
        for canary in &canaries {
            assert!(!text.contains(canary), "the assertion reached the {what}");
        }
    }
}

#[test]
fn unusable_expired_and_unknown_sign_ins_get_their_own_codes() {
    let aws = Emulator::start();
    let mut host = aws.host_env(HostEnv::new("")).spawn();
    let garbage = host.request(1, "saml_roles", json!({"saml_response": "bm90IFhNTA=="}));
    assert_eq!(err_code(&garbage), "saml_invalid", "{garbage}");
    let expired = aws.saml_response("roles=prod&expired=1");
    let reply = host.request(2, "saml_roles", json!({"saml_response": expired}));
    assert_eq!(err_code(&reply), "saml_expired", "{reply}");
    assert!(reply["err"]["hint"]
        .as_str()
        .unwrap_or_default()
        .contains("identity provider again"));

    let listed = host.request(
        3,
        "saml_roles",
        json!({"saml_response": aws.saml_response("roles=prod")}),
    );
    let handle = listed["ok"]["handle"]
        .as_str()
        .unwrap_or_else(|| panic!("{listed}"))
        .to_owned();
    let other_role = host.request(
        4,
        "saml_open",
        json!({"handle": handle, "role_arn": aws.role("dev")}),
    );
    assert_eq!(err_code(&other_role), "invalid_request", "{other_role}");
    let unknown = host.request(
        5,
        "saml_open",
        json!({"handle": "0".repeat(32), "role_arn": aws.role("prod")}),
    );
    assert_eq!(err_code(&unknown), "saml_expired", "{unknown}");
    // Nothing was asked of STS for any of these.
    assert!(aws.recorded("AssumeRoleWithSAML").is_empty());
    host.finish();
}

#[test]
fn the_cli_socket_never_takes_an_assertion() {
    // Only the browser sees identity providers' posts: the socket for `roleport open` serves
    // `hello` and `open_in_browser` alone.
    assert!(!roleport::ipc::SOCKET_TYPES.contains(&"saml_roles"));
    assert!(!roleport::ipc::SOCKET_TYPES.contains(&"saml_open"));
    assert!(roleport::native::NATIVE_TYPES.contains(&"saml_roles"));
}
