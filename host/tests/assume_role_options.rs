//! AssumeRole with all its options, against moto with IAM authorisation switched on, so a
//! wrong ExternalId or a missing permission really fails.

mod support;

use serde_json::json;
use support::emulator::Emulator;
use support::{err_code, HostEnv};

fn config(aws: &Emulator, extra: &str) -> String {
    format!(
        "[profile alice]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n\n{extra}",
        key = aws.user("access_key_id"),
        secret = aws.user("secret_access_key"),
    )
}

fn open(aws: &Emulator, config: &str, profile: &str) -> serde_json::Value {
    let mut host = aws.host_env(HostEnv::new(config)).spawn();
    host.request(1, "open_console", json!({"profile": profile}))
}

#[test]
fn the_right_external_id_opens_and_a_wrong_one_is_denied() {
    let aws = Emulator::start();
    aws.enforce_iam();
    let partner = aws.role("partner");
    let ext = aws.info["partner_external_id"]
        .as_str()
        .expect("external id");
    let cfg = config(
        &aws,
        &format!(
            "[profile good]\nrole_arn = {partner}\nsource_profile = alice\nexternal_id = {ext}\n\n\
             [profile bad]\nrole_arn = {partner}\nsource_profile = alice\nexternal_id = not-{ext}\n"
        ),
    );
    let good = open(&aws, &cfg, "good");
    assert_eq!(good["ok"]["role"], "Partner", "{good}");
    let bad = open(&aws, &cfg, "bad");
    assert_eq!(err_code(&bad), "access_denied", "{bad}");
    assert!(bad["err"]["hint"]
        .as_str()
        .unwrap_or_default()
        .contains("ExternalId"));
    let sent = aws.recorded("AssumeRole");
    assert!(
        sent.iter()
            .any(|b| b.contains(&format!("ExternalId={ext}"))),
        "{sent:?}"
    );
}

#[test]
fn a_role_the_user_may_not_assume_is_denied() {
    let aws = Emulator::start();
    aws.enforce_iam();
    let cfg = config(
        &aws,
        "[profile nope]\nrole_arn = arn:aws:iam::444444444444:role/Nope\nsource_profile = alice\n",
    );
    let reply = open(&aws, &cfg, "nope");
    assert_eq!(err_code(&reply), "access_denied", "{reply}");
}

#[test]
fn a_three_hop_chain_carries_source_identity_and_caps_its_duration() {
    let aws = Emulator::start();
    aws.enforce_iam();
    let cfg = config(
        &aws,
        &format!(
            "[profile hop1]\nrole_arn = {prod}\nsource_profile = alice\nroleport_source_identity = alice@example.com\n\n\
             [profile hop2]\nrole_arn = {dev}\nsource_profile = hop1\n\n\
             [profile hop3]\nrole_arn = {audit}\nsource_profile = hop2\nduration_seconds = 7200\n",
            prod = aws.role("prod"),
            dev = aws.role("dev"),
            audit = aws.role("audit"),
        ),
    );
    let reply = open(&aws, &cfg, "hop3");
    assert_eq!(reply["ok"]["account_id"], "333333333333", "{reply}");
    let notices = reply["ok"]["notices"].to_string();
    assert!(notices.contains("capped at 3600"), "{reply}");

    let sent = aws.recorded("AssumeRole");
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(
        sent.iter()
            .all(|b| b.contains("SourceIdentity=alice%40example.com")),
        "{sent:?}"
    );
    assert!(sent[2].contains("DurationSeconds=3600"), "{}", sent[2]);
    assert!(
        sent.iter().all(|b| b.contains("RoleSessionName=roleport-")),
        "{sent:?}"
    );
}

#[test]
fn session_tags_and_transitive_keys_are_sent() {
    let aws = Emulator::start();
    aws.enforce_iam();
    let cfg = config(
        &aws,
        &format!(
            "[profile tagged]\nrole_arn = {prod}\nsource_profile = alice\nroleport_tags = team=blue, env=prod\n\
             roleport_transitive_tag_keys = team\nrole_session_name = alice-laptop\n",
            prod = aws.role("prod"),
        ),
    );
    let reply = open(&aws, &cfg, "tagged");
    assert_eq!(reply["ok"]["account_id"], "111111111111", "{reply}");
    let sent = aws.recorded("AssumeRole");
    let body = sent.first().expect("one AssumeRole");
    for part in [
        "Tags.member.1.Key=team",
        "Tags.member.1.Value=blue",
        "Tags.member.2.Key=env",
        "TransitiveTagKeys.member.1=team",
        "RoleSessionName=alice-laptop",
    ] {
        assert!(body.contains(part), "{part} missing from {body}");
    }
}
