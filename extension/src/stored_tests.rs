use serde_json::{json, Value};

use super::*;

fn tree<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("serialises")
}

fn session(profile: &str, place: Place, tabs: Vec<i64>) -> Session {
    Session {
        profile: profile.into(),
        place,
        isolated: false,
        tabs,
        account_id: None,
        role: None,
        region: None,
        expires_at: None,
        opened_at: 1_700_000_000_000.0,
        console_url: None,
        logout_url: None,
        marked: false,
    }
}

#[test]
fn the_registry_reads_back_as_it_was_written() {
    let mut full = session("prod", Place::Group(7), vec![3, 9]);
    full.isolated = true;
    full.account_id = Some("111111111111".into());
    full.role = Some("Admin".into());
    full.region = Some("eu-west-1".into());
    full.expires_at = Some(1_700_000_360_000.5);
    full.console_url = Some("https://console.test/".into());
    full.logout_url = Some("https://signin.test/logout".into());
    full.marked = true;
    let bare = session(
        "dev",
        Place::Container("firefox-container-2".into()),
        vec![4],
    );
    let mut written = Registry::default();
    written.sessions.insert("prod".into(), full);
    written.sessions.insert("dev".into(), bare);
    for registry in [written, Registry::default()] {
        let value = tree(&registry);
        assert_eq!(super::registry(&value), Some(registry), "{value}");
    }
}

#[test]
fn the_registry_of_an_earlier_version_still_reads() {
    // Empty maps were written as `{}`; they are now written as `[]`. Both read.
    for empty in [json!({"sessions": {}}), json!({"sessions": []}), json!({})] {
        assert_eq!(registry(&empty), Some(Registry::default()), "{empty}");
    }
    let stored = json!({"sessions": {"prod": {"profile": "prod", "group": 7, "isolated": true,
        "tabs": [3, 9], "opened_at": 1.0, "marked": false, "role": null}}});
    let r = registry(&stored).expect("reads");
    assert_eq!(r.sessions[&"prod".to_owned()].tabs, [3, 9]);
    assert_eq!(r.profile_of(9), Some("prod"));
    assert_eq!(r.sessions[&"prod".to_owned()].place, Place::Group(7));
}

#[test]
fn a_registry_serde_would_refuse_is_unreadable() {
    let with = |fields: Value| json!({"sessions": {"prod": fields}});
    for broken in [
        with(json!({"profile": "prod", "tabs": [3], "opened_at": 1.0})),
        with(json!({"profile": "prod", "group": 1, "container": "c", "opened_at": 1.0})),
        with(json!({"profile": "prod", "group": 1.5, "opened_at": 1.0})),
        with(json!({"profile": "prod", "group": 1})),
        with(json!({"profile": "prod", "group": 1, "opened_at": 1.0, "role": 5})),
        with(json!({"profile": "prod", "group": 1, "opened_at": 1.0, "tabs": ["3"]})),
        json!({"sessions": [["prod", {}]]}),
        json!({"sessions": "prod"}),
    ] {
        assert_eq!(registry(&broken), None, "{broken}");
    }
}

#[test]
fn the_isolation_state_reads_back_as_it_was_written() {
    let mut state = State::default();
    state.assign(42, "prod");
    state.assign(-3, "dev");
    state.gates.insert(42, "signin.aws.amazon.com".into());
    let jar = state.jar_of(42).expect("jar");
    jar.cookies.push(Cookie {
        name: "s".into(),
        value: "P".into(),
        domain: "aws.amazon.com".into(),
        path: "/".into(),
        expires: Some(1_700_000_000_000.0),
    });
    jar.cookies.push(Cookie {
        name: "t".into(),
        value: "".into(),
        domain: "console.aws.amazon.com".into(),
        path: "/x".into(),
        expires: None,
    });
    for state in [state, State::default()] {
        let value = tree(&state);
        assert_eq!(isolation(&value), Some(state), "{value}");
    }
}

#[test]
fn the_isolation_state_of_an_earlier_version_still_reads() {
    let stored = json!({"jars": {"prod": {"cookies": []}}, "tabs": {"42": "prod"}, "gates": {}});
    let state = isolation(&stored).expect("reads");
    assert_eq!(state.tabs.get(&42).map(String::as_str), Some("prod"));
    assert!(state.gates.is_empty());
    for broken in [
        json!({"jars": {"prod": {}}}),
        json!({"tabs": {"x": "prod"}}),
        json!({"gates": {"1": 2}}),
        json!({"jars": {"prod": {"cookies": [{"name": "s", "value": "v", "domain": "d"}]}}}),
    ] {
        assert_eq!(isolation(&broken), None, "{broken}");
    }
}
