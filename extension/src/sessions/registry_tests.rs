use super::*;

fn session(profile: &str, tab: i64, place: Place) -> Session {
    Session {
        profile: profile.into(),
        place,
        isolated: false,
        tabs: vec![tab],
        account_id: Some("111111111111".into()),
        role: Some("Admin".into()),
        region: Some("eu-west-1".into()),
        expires_at: Some(10_000.0),
        opened_at: 1_000.0,
        console_url: None,
        logout_url: None,
        marked: false,
    }
}

#[test]
fn a_sign_in_is_one_session_per_profile_and_a_second_one_keeps_its_tabs() {
    let mut r = Registry::default();
    r.signed_in(session("prod", 1, Place::Group(7)));
    r.signed_in(session("dev", 2, Place::Group(8)));
    let mut renewed = session("prod", 3, Place::Group(7));
    renewed.expires_at = Some(20_000.0);
    r.signed_in(renewed);
    let prod = &r.sessions[&"prod".to_owned()];
    assert_eq!(prod.tabs, [1, 3]);
    assert_eq!(prod.expires_at, Some(20_000.0));
    assert_eq!(r.profile_of(2), Some("dev"));
}

#[test]
fn a_sign_in_in_another_place_replaces_the_old_session() {
    let mut r = Registry::default();
    r.signed_in(session("prod", 1, Place::Group(7)));
    // The group was closed and the profile opened again: a new group, a new session.
    r.signed_in(session("prod", 5, Place::Group(9)));
    assert_eq!(r.sessions[&"prod".to_owned()].tabs, [5]);
}

#[test]
fn a_tab_reused_for_another_profile_leaves_its_old_session() {
    let mut r = Registry::default();
    r.signed_in(session("prod", 1, Place::Group(7)));
    r.signed_in(session("dev", 1, Place::Group(8)));
    assert!(!r.sessions.contains_key("prod"));
    assert_eq!(r.profile_of(1), Some("dev"));
}

#[test]
fn tabs_opened_from_a_session_tab_join_it_and_the_last_closed_tab_ends_it() {
    let mut r = Registry::default();
    r.signed_in(session("prod", 1, Place::Container("c1".into())));
    assert!(r.opened_from(1, 4));
    assert!(
        !r.opened_from(99, 5),
        "a tab opened from elsewhere joins nothing"
    );
    assert_eq!(r.tab_closed(1).as_deref(), Some("prod"));
    assert_eq!(r.sessions[&"prod".to_owned()].tabs, [4]);
    assert_eq!(r.tab_closed(4).as_deref(), Some("prod"));
    assert!(r.sessions.is_empty());
    assert_eq!(r.tab_closed(4), None);
}

#[test]
fn tabs_gone_while_nobody_watched_are_dropped() {
    let mut r = Registry::default();
    r.signed_in(session("prod", 1, Place::Group(7)));
    r.add_tab("prod", 2);
    r.signed_in(session("dev", 3, Place::Group(8)));
    assert!(r.keep_tabs(&[2]));
    assert_eq!(r.sessions.keys().collect::<Vec<_>>(), ["prod"]);
    assert_eq!(r.sessions[&"prod".to_owned()].tabs, [2]);
    assert!(!r.keep_tabs(&[2]));
}

#[test]
fn expiry_is_reported_once_and_the_next_one_is_known() {
    let mut r = Registry::default();
    r.signed_in(session("prod", 1, Place::Group(7)));
    let mut dev = session("dev", 2, Place::Group(8));
    dev.expires_at = Some(30_000.0);
    r.signed_in(dev);
    let mut unknown = session("alice", 3, Place::Group(9));
    unknown.expires_at = None;
    r.signed_in(unknown);
    assert_eq!(r.next_expiry(), Some(10_000.0));
    assert!(r.newly_expired(9_999.0).is_empty());
    let ended: Vec<String> = r
        .newly_expired(10_000.0)
        .into_iter()
        .map(|s| s.profile)
        .collect();
    assert_eq!(ended, ["prod"]);
    assert!(r.newly_expired(10_001.0).is_empty(), "marked once");
    assert_eq!(r.next_expiry(), Some(30_000.0));

    let infos = r.infos(10_000.0);
    let states: Vec<(&str, SessionState)> = infos
        .iter()
        .map(|i| (i.profile.as_str(), i.state))
        .collect();
    assert_eq!(
        states,
        [
            ("alice", SessionState::Live),
            ("dev", SessionState::Live),
            ("prod", SessionState::Expired)
        ]
    );
    assert_eq!(infos[2].region.as_deref(), Some("eu-west-1"));
}

#[test]
fn a_renewed_session_is_unmarked() {
    let mut r = Registry::default();
    r.signed_in(session("prod", 1, Place::Group(7)));
    assert_eq!(r.newly_expired(10_000.0).len(), 1);
    let mut renewed = session("prod", 1, Place::Group(7));
    renewed.expires_at = Some(50_000.0);
    r.signed_in(renewed);
    assert!(!r.sessions[&"prod".to_owned()].marked);
    assert_eq!(r.infos(20_000.0)[0].state, SessionState::Live);
}

#[test]
fn the_stored_form_round_trips_and_names_its_place() {
    let mut r = Registry::default();
    r.signed_in(session(
        "prod",
        1,
        Place::Container("firefox-container-2".into()),
    ));
    let value = serde_json::to_value(&r).expect("serialises");
    assert_eq!(
        value["sessions"]["prod"]["container"],
        "firefox-container-2"
    );
    assert_eq!(crate::stored::registry(&value), Some(r));
}

#[test]
fn countdowns_read_at_a_glance() {
    assert_eq!(countdown(0.0), "expired");
    assert_eq!(countdown(-5.0), "expired");
    assert_eq!(countdown(f64::NAN), "expired");
    assert_eq!(countdown(1.0), "0:01");
    assert_eq!(countdown(185_000.0), "3:05");
    assert_eq!(countdown(599_000.0), "9:59");
    assert_eq!(countdown(600_000.0), "10 min");
    assert_eq!(countdown(42.0 * 60_000.0 - 500.0), "42 min");
    assert_eq!(countdown(3_600_000.0), "1 h");
    assert_eq!(countdown(2.0 * 3_600_000.0 + 5.0 * 60_000.0), "2 h 5 min");
}
