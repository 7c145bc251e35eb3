//! How the popup's model answers each message: the specification of `model.rs`.

use super::*;
use crate::messages::{OpenOutcome, Place};
use crate::sessions::registry::SessionState;
use roleport_protocol::{Appearance, ErrorCode, ProfileKind};

fn profile(name: &str, account: Option<&str>, role: Option<&str>) -> ProfileSummary {
    ProfileSummary {
        name: name.into(),
        kind: ProfileKind::AssumeRole,
        account_id: account.map(Into::into),
        role: role.map(Into::into),
        region: None,
        account_name: None,
        discovered: false,
        tags: Vec::new(),
        appearance: Appearance::default_for(name),
    }
}

/// A new popup once the stored favourites and recents (none) have arrived.
fn opened() -> Model {
    let (mut model, _) = Model::new();
    model.update(Msg::PrefsLoaded(Prefs::default()));
    model
}

/// A new popup over the same four profiles, with what the last one stored.
fn reopened(prefs: Prefs) -> Model {
    let mut model = loaded();
    model.update(Msg::PrefsLoaded(prefs));
    model
}

fn loaded() -> Model {
    let mut model = opened();
    let profiles = vec![
        profile("dev", Some("111111111111"), Some("Developer")),
        profile("prod", Some("222222222222"), Some("Admin")),
        profile("prod-eu", Some("333333333333"), Some("ReadOnly")),
        profile("sandbox", None, None),
    ];
    model.update(Msg::Loaded(Ok(ProfileList {
        profiles,
        settings_error: None,
    })));
    model
}

fn names(model: &Model) -> Vec<&str> {
    model.visible().iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn opens_by_asking_for_profiles_and_says_it_is_loading() {
    let (model, first) = Model::new();
    assert_eq!(first, PopupRequest::list(true));
    assert_eq!(model.status(), "Loading profiles…");
    assert_eq!(loaded().status(), "4 profiles");
}

#[test]
fn filter_matches_name_account_and_role_ignoring_case() {
    let mut model = loaded();
    model.update(Msg::Filter("PROD".into()));
    assert_eq!(names(&model), ["prod", "prod-eu"]);
    model.update(Msg::Filter("2222".into()));
    assert_eq!(names(&model), ["prod"]);
    model.update(Msg::Filter("readonly".into()));
    assert_eq!(names(&model), ["prod-eu"]);
    model.update(Msg::Filter("prod admin".into()));
    assert_eq!(names(&model), ["prod"]);
    assert_eq!(model.status(), "1 of 4 profiles");
    model.update(Msg::Filter("nothing".into()));
    assert!(names(&model).is_empty());
    assert_eq!(model.status(), "No profile matches “nothing”");
    model.update(Msg::Filter("   ".into()));
    assert_eq!(names(&model).len(), 4);
}

#[test]
fn the_rows_are_drawn_before_the_search_fields_are_made_and_a_new_list_gets_its_own() {
    let mut model = loaded();
    assert!(
        model.haystacks.is_empty(),
        "the first paint makes no search fields"
    );
    assert_eq!(names(&model).len(), 4);
    model.prepare_search();
    model.update(Msg::Filter("prod".into()));
    assert_eq!(names(&model), ["prod", "prod-eu"]);
    // A fresh list of the same length, other names: the old fields must not be searched.
    model.update(Msg::Loaded(Ok(ProfileList {
        profiles: ["alpha", "beta", "gamma", "prod-us"]
            .map(|n| profile(n, None, None))
            .into(),
        settings_error: None,
    })));
    assert_eq!(names(&model), ["prod-us"]);
}

#[test]
fn enter_opens_the_first_visible_row_or_the_one_moved_to() {
    let mut model = loaded();
    model.update(Msg::Filter("prod".into()));
    assert_eq!(
        model.update(Msg::OpenSelected { background: false }),
        Some(PopupRequest::Open {
            profile: "prod".into(),
            mfa_code: None,
            password: None,
            background: false,
        })
    );
    model.update(Msg::Move(5));
    assert_eq!(model.selected, 1, "clamped to the last visible row");
    assert_eq!(
        model.update(Msg::OpenSelected { background: false }),
        Some(PopupRequest::Open {
            profile: "prod-eu".into(),
            mfa_code: None,
            password: None,
            background: false,
        })
    );
    model.update(Msg::Move(-9));
    assert_eq!(model.selected, 0);
    model.update(Msg::Filter("nothing".into()));
    assert_eq!(model.update(Msg::OpenSelected { background: false }), None);
}

#[test]
fn an_open_reports_progress_then_the_result() {
    let mut model = loaded();
    model.update(Msg::Open("prod".into()));
    assert_eq!(model.status(), "Opening prod…");
    let tab = OpenedTab {
        profile: "prod".into(),
        tab_id: 3,
        place: Place::Group(1),
        notices: Vec::new(),
    };
    model.update(Msg::Opened(Ok(tab)));
    assert_eq!(model.status(), "Opened prod");
    assert_eq!(model.error, None);
}

#[test]
fn errors_are_kept_for_the_alert_and_cleared_by_the_next_try() {
    let mut model = opened();
    let down = ProtocolError::new(ErrorCode::HostUnavailable, "no host", "install it");
    model.update(Msg::Loaded(Err(down.clone())));
    assert_eq!(model.error, Some(down));
    assert_eq!(model.status(), "");

    let mut model = loaded();
    let denied = ProtocolError::new(ErrorCode::AccessDenied, "denied", "fix the trust policy");
    model.update(Msg::Open("prod".into()));
    model.update(Msg::Opened(Err(denied.clone())));
    assert_eq!(model.error, Some(denied));
    model.update(Msg::Open("dev".into()));
    assert_eq!(model.error, None);
}

#[test]
fn empty_config_says_where_profiles_come_from() {
    let mut model = opened();
    model.update(Msg::Loaded(Ok(ProfileList {
        profiles: vec![],
        settings_error: None,
    })));
    assert_eq!(model.status(), "No profiles in ~/.aws/config");
    assert_eq!(model.update(Msg::OpenSelected { background: false }), None);
    model.update(Msg::Move(1));
    assert_eq!(model.selected, 0);
}

fn mfa_error(code: ErrorCode) -> ProtocolError {
    ProtocolError::new(
        code,
        "profile `prod` needs the code of arn:aws:iam::1:mfa/alice",
        "Enter it.",
    )
}

#[test]
fn mfa_required_prompts_and_the_code_reopens_the_same_profile() {
    let mut model = loaded();
    model.update(Msg::Open("prod".into()));
    model.update(Msg::Opened(Err(mfa_error(ErrorCode::MfaRequired))));
    let prompt = model.mfa.clone().expect("a prompt");
    assert_eq!(prompt.profile, "prod");
    assert!(prompt.message.contains("mfa/alice"));
    assert_eq!(model.error, None, "a first prompt is not an error");
    assert_eq!(
        model.update(Msg::SubmitMfa(" 123 456 ".into())),
        Some(PopupRequest::Open {
            profile: "prod".into(),
            mfa_code: Some("123456".into()),
            password: None,
            background: false,
        })
    );
}

#[test]
fn password_required_prompts_for_a_password_that_goes_with_the_next_open() {
    let mut model = loaded();
    model.update(Msg::Open("prod".into()));
    let asked = ProtocolError::new(
        ErrorCode::PasswordRequired,
        "profile `prod` needs the Cognito password of `carol`",
        "Type it.",
    );
    model.update(Msg::Opened(Err(asked)));
    let prompt = model.mfa.clone().expect("a prompt");
    assert_eq!(prompt.kind, PromptKind::Password);
    assert_eq!(model.error, None, "a first prompt is not an error");
    // Spaces are part of a password: nothing is stripped or checked for digits.
    assert_eq!(
        model.update(Msg::SubmitMfa(" pass word ".into())),
        Some(PopupRequest::Open {
            profile: "prod".into(),
            mfa_code: None,
            password: Some(" pass word ".into()),
            background: false,
        })
    );
    assert_eq!(model.mfa, None, "the prompt closes while the host signs in");
    // Refused: asked again, with Cognito's reason in the prompt.
    let refused = ProtocolError::new(
        ErrorCode::PasswordRequired,
        "Cognito refused the password of `carol` (profile `prod`): Incorrect username or password.",
        "Type it.",
    );
    model.update(Msg::Opened(Err(refused)));
    let again = model.mfa.clone().expect("asked again");
    assert!(again.message.contains("Incorrect username or password"));
    assert_eq!(model.update(Msg::SubmitMfa(String::new())), None);
    assert_eq!(
        model.error.as_ref().map(|e| e.code),
        Some(ErrorCode::PasswordRequired)
    );
}

#[test]
fn a_refused_code_shows_why_and_prompts_again_with_a_fresh_field() {
    let mut model = loaded();
    model.update(Msg::Open("prod".into()));
    model.update(Msg::Opened(Err(mfa_error(ErrorCode::MfaRequired))));
    let first = model.mfa.as_ref().map(|m| m.serial);
    model.update(Msg::SubmitMfa("000000".into()));
    model.update(Msg::Opened(Err(mfa_error(ErrorCode::MfaInvalid))));
    assert_eq!(
        model.error.as_ref().map(|e| e.code),
        Some(ErrorCode::MfaInvalid)
    );
    assert_ne!(
        model.mfa.as_ref().map(|m| m.serial),
        first,
        "the field is cleared"
    );
    assert_eq!(model.mfa.as_ref().map(|m| m.profile.as_str()), Some("prod"));
}

#[test]
fn malformed_codes_are_caught_before_asking_aws() {
    let mut model = loaded();
    model.update(Msg::Open("prod".into()));
    model.update(Msg::Opened(Err(mfa_error(ErrorCode::MfaRequired))));
    assert_eq!(model.update(Msg::SubmitMfa("12345".into())), None);
    assert_eq!(model.update(Msg::SubmitMfa("abcdef".into())), None);
    assert!(model.error.is_some() && model.mfa.is_some());
}

#[test]
fn success_or_another_open_dismisses_the_prompt() {
    let mut model = loaded();
    model.update(Msg::Open("prod".into()));
    model.update(Msg::Opened(Err(mfa_error(ErrorCode::MfaRequired))));
    model.update(Msg::Open("dev".into()));
    assert_eq!(model.mfa, None);
    model.update(Msg::Opened(Err(mfa_error(ErrorCode::MfaRequired))));
    model.update(Msg::SubmitMfa("123456".into()));
    model.update(Msg::Opened(Ok(OpenedTab {
        profile: "dev".into(),
        tab_id: 1,
        place: Place::Group(2),
        notices: Vec::new(),
    })));
    assert_eq!(
        (model.mfa.clone(), model.opened.as_deref()),
        (None, Some("dev"))
    );
    model.update(Msg::Opened(Err(mfa_error(ErrorCode::MfaRequired))));
    model.update(Msg::CancelMfa);
    assert_eq!((model.mfa.clone(), model.error.clone()), (None, None));
}

#[test]
fn sso_login_required_offers_a_sign_in_that_shows_the_code_and_reopens() {
    let mut model = loaded();
    model.update(Msg::Open("prod".into()));
    let required = ProtocolError::new(
        ErrorCode::SsoLoginRequired,
        "IAM Identity Center login `my-sso` needs signing in again: no token",
        "Sign in from the popup.",
    );
    model.update(Msg::Opened(Err(required)));
    let prompt = model.sso.clone().expect("a prompt");
    assert_eq!(
        (prompt.profile.as_str(), prompt.login.as_str()),
        ("prod", "my-sso")
    );
    assert!(!prompt.waiting);
    assert_eq!(model.error, None);
    assert_eq!(model.update(Msg::SsoCode(Some("X".into()))), None);
    assert_eq!(
        model.sso.as_ref().and_then(|p| p.user_code.clone()),
        None,
        "not asked yet"
    );
    assert_eq!(
        model.update(Msg::SsoLogin),
        Some(PopupRequest::SsoLogin {
            profile: "prod".into()
        })
    );
    assert_eq!(model.update(Msg::SsoLogin), None, "one login at a time");
    assert!(model.status().contains("my-sso"), "{}", model.status());
    model.update(Msg::SsoCode(None));
    model.update(Msg::SsoCode(Some("ABCD-EFGH".into())));
    assert_eq!(
        model.sso.as_ref().and_then(|p| p.user_code.as_deref()),
        Some("ABCD-EFGH")
    );
    model.update(Msg::SsoDone(Ok(OpenedTab {
        profile: "prod".into(),
        tab_id: 5,
        place: Place::Group(2),
        notices: Vec::new(),
    })));
    assert_eq!(model.sso, None);
    assert_eq!(model.status(), "Opened prod");
    // A refused login shows why; the prompt is gone.
    model.update(Msg::Open("prod".into()));
    model.update(Msg::Opened(Err(ProtocolError::new(
        ErrorCode::SsoLoginRequired,
        "login `x` needs signing in",
        "h",
    ))));
    model.update(Msg::SsoLogin);
    let denied = ProtocolError::new(ErrorCode::AccessDenied, "was denied", "again");
    model.update(Msg::SsoDone(Err(denied.clone())));
    assert_eq!(
        (model.sso.clone(), model.error.clone()),
        (None, Some(denied))
    );
}

#[test]
fn space_marks_rows_and_enter_opens_every_marked_one_at_once() {
    let mut model = loaded();
    model.update(Msg::ToggleMark);
    model.update(Msg::Move(1));
    model.update(Msg::ToggleMark);
    model.update(Msg::Move(1));
    model.update(Msg::ToggleMark);
    model.update(Msg::ToggleMark);
    assert_eq!(model.marked, ["dev", "prod"], "a second Space unmarks");
    assert_eq!(
        model.update(Msg::OpenSelected { background: true }),
        Some(PopupRequest::OpenMany {
            profiles: vec!["dev".into(), "prod".into()],
            background: true,
        })
    );
    assert!(model.marked.is_empty());
    let tab = |p: &str| OpenedTab {
        profile: p.into(),
        tab_id: 1,
        place: Place::Group(1),
        notices: Vec::new(),
    };
    let failed = ProtocolError::new(ErrorCode::AccessDenied, "denied", "check the trust policy");
    model.update(Msg::OpenedMany(Ok(vec![
        OpenOutcome {
            profile: "dev".into(),
            reply: crate::messages::PopupReply::Ok(tab("dev")),
        },
        OpenOutcome {
            profile: "prod".into(),
            reply: crate::messages::PopupReply::Err(failed),
        },
    ])));
    assert_eq!(model.opened.as_deref(), Some("dev"));
    let error = model.error.clone().expect("prod's failure is shown");
    assert_eq!(error.message, "prod: denied");
}

#[test]
fn ctrl_enter_opens_the_highlighted_row_in_the_background() {
    let mut model = loaded();
    assert_eq!(
        model.update(Msg::OpenSelected { background: true }),
        Some(PopupRequest::Open {
            profile: "dev".into(),
            mfa_code: None,
            password: None,
            background: true
        })
    );
}

#[test]
fn fuzzy_matches_rank_the_best_first() {
    let mut model = loaded();
    model.update(Msg::Filter("prd".into()));
    assert_eq!(names(&model), ["prod", "prod-eu"]);
    model.update(Msg::Filter("eu".into()));
    assert_eq!(names(&model)[0], "prod-eu");
}

#[test]
fn rows_wait_for_the_stored_favourites_so_they_never_jump_under_a_click() {
    let (mut model, _) = Model::new();
    model.update(Msg::Loaded(Ok(ProfileList {
        profiles: vec![profile("dev", None, None), profile("prod", None, None)],
        settings_error: None,
    })));
    assert!(
        names(&model).is_empty(),
        "no row before the favourites are known"
    );
    assert!(model.loading());
    assert_eq!(model.status(), "Loading profiles…");
    assert_eq!(model.update(Msg::ToggleFavourite(None)), None);
    let mut stored = Prefs::default();
    stored.toggle_favourite("prod");
    model.update(Msg::PrefsLoaded(stored.clone()));
    assert!(!model.loading());
    assert_eq!(
        names(&model),
        ["prod", "dev"],
        "drawn once, favourite first"
    );
    assert_eq!(
        model.prefs, stored,
        "nothing done meanwhile overwrote what was stored"
    );
}

#[test]
fn favourites_are_pinned_and_recents_follow_when_nothing_is_typed() {
    let mut model = loaded();
    model.update(Msg::ToggleFavourite(Some("sandbox".into())));
    model.update(Msg::Open("prod-eu".into()));
    model.update(Msg::Opened(Ok(OpenedTab {
        profile: "prod-eu".into(),
        tab_id: 1,
        place: Place::Group(1),
        notices: Vec::new(),
    })));
    assert_eq!(
        names(&model),
        ["sandbox", "dev", "prod", "prod-eu"],
        "the star moves its row at once; the open is for the next popup"
    );
    assert_eq!(model.prefs.recents, ["prod-eu"]);

    // The next popup: the favourite, then the recently opened, then the rest.
    let mut model = reopened(model.prefs.clone());
    assert_eq!(names(&model), ["sandbox", "prod-eu", "dev", "prod"]);
    model.update(Msg::Filter("prod".into()));
    assert_eq!(
        names(&model),
        ["prod", "prod-eu"],
        "typing ranks by match; recents no longer lead"
    );
    model.update(Msg::Filter(String::new()));
    model.update(Msg::ToggleFavourite(None));
    assert!(
        model.prefs.favourites.is_empty(),
        "`*` on the highlighted row (sandbox) unstars it"
    );
}

#[test]
fn the_sync_button_runs_one_sync_then_reloads_the_profiles() {
    let mut model = opened();
    assert_eq!(model.update(Msg::Sync), Some(PopupRequest::SsoSync));
    assert_eq!(model.update(Msg::Sync), None, "one sync at a time");
    let progress = roleport_protocol::SsoSyncProgress {
        event_id: 3,
        login: "corp".into(),
        accounts: 1000,
        stale: 1000,
        done: 10,
        throttled: 0,
    };
    model.update(Msg::SyncProgress(Some(progress)));
    assert_eq!(
        model.sync.text().as_deref(),
        Some("corp: roles of 10/1000 accounts…")
    );
    let synced = roleport_protocol::SsoSynced {
        logins: vec![roleport_protocol::SyncedLogin {
            login: "corp".into(),
            accounts: 1000,
            roles: 3000,
            refreshed: 1000,
            failed: 0,
            skipped: None,
        }],
    };
    assert_eq!(
        model.update(Msg::Synced(Ok(synced))),
        Some(PopupRequest::list(false))
    );
    assert_eq!(
        model.sync.text().as_deref(),
        Some("corp: 1000 accounts, 3000 roles.")
    );
}

#[test]
fn a_failed_sync_shows_the_hosts_error() {
    let mut model = opened();
    model.update(Msg::Sync);
    let err = ProtocolError::new(ErrorCode::SsoLoginRequired, "sign in to corp", "run it");
    assert_eq!(model.update(Msg::Synced(Err(err.clone()))), None);
    assert_eq!(model.error, Some(err));
    assert!(!model.sync.running());
}

#[test]
fn without_the_host_the_remembered_role_profiles_are_offered_as_switch_role_links() {
    let mut model = opened();
    let remembered = vec![crate::switch_roles::SwitchRole {
        name: "prod".into(),
        account_id: "111111111111".into(),
        role: "Admin".into(),
        color: roleport_protocol::Color::Red,
    }];
    model.update(Msg::OfflineLoaded(remembered.clone()));
    assert!(
        model.switch_roles().is_empty(),
        "not while the host may answer"
    );
    // The background's last list shows first; then the host turns out to be gone.
    model.update(Msg::Loaded(Ok(ProfileList {
        profiles: vec![profile("prod", Some("111111111111"), Some("Admin"))],
        settings_error: None,
    })));
    assert!(!model.host_missing(), "a host that listed is not missing");
    let missing = ProtocolError::new(ErrorCode::HostUnavailable, "no host", "install it");
    model.update(Msg::Loaded(Err(missing)));
    assert!(model.host_missing());
    assert_eq!(model.switch_roles(), remembered.as_slice());
    assert!(
        model.visible().is_empty(),
        "rows that cannot open are not offered"
    );
    // Any other failure is not the host's absence: no links.
    let mut other = opened();
    other.update(Msg::OfflineLoaded(remembered));
    other.update(Msg::Loaded(Err(ProtocolError::new(
        ErrorCode::ConfigUnreadable,
        "bad config",
        "fix it",
    ))));
    assert!(other.switch_roles().is_empty());
}

#[test]
fn thousands_of_profiles_draw_at_most_the_row_limit_and_say_how_many_match() {
    let mut model = opened();
    let profiles = (0..5000)
        .map(|i| profile(&format!("acct-{i:04}"), Some("111111111111"), Some("Admin")))
        .collect();
    model.update(Msg::Loaded(Ok(ProfileList {
        profiles,
        settings_error: None,
    })));
    assert_eq!(model.visible().len(), ROW_LIMIT);
    assert_eq!(model.matches(), 5000);
    assert_eq!(model.status(), "5000 profiles");
    model.update(Msg::Filter("acct-12".into()));
    // acct-1200…acct-1299 hold it whole; others only as a subsequence (acct-1x2…), below.
    assert!(model.matches() > ROW_LIMIT, "{}", model.matches());
    assert!(model.visible()[..100]
        .iter()
        .all(|p| p.name.starts_with("acct-12")));
    model.update(Msg::Move(1000));
    assert_eq!(
        model.selected,
        ROW_LIMIT - 1,
        "the highlight stays on a drawn row"
    );
}

fn session(profile: &str, state: SessionState, expires_at: Option<i64>) -> SessionInfo {
    SessionInfo {
        profile: profile.into(),
        state,
        account_id: None,
        role: None,
        region: Some("eu-west-1".into()),
        expires_at,
        tabs: 1,
    }
}

#[test]
fn sessions_count_down_from_the_time_the_background_gave() {
    let mut model = loaded();
    let live = session("prod", SessionState::Live, Some(1_000_000 + 185_000));
    let unknown = session("dev", SessionState::Live, None);
    let over = session("sandbox", SessionState::Expired, Some(900_000));
    model.update(Msg::Sessions(vec![live, unknown, over], 1_000_000));
    let shown: Vec<String> = model.sessions.iter().map(|s| model.time_left(s)).collect();
    assert_eq!(shown, ["3:05", "signed in", "expired"]);
    assert_eq!(
        model.session("sandbox").map(|s| s.state),
        Some(SessionState::Expired)
    );
    assert!(model.session("prod-eu").is_none());
    // A second later only the countdown moved: the rows' markers are the same.
    let markers: Vec<(String, SessionState)> = (model.session_markers().iter())
        .map(|(p, s)| (p.to_string(), *s))
        .collect();
    let again = model.sessions.clone();
    model.update(Msg::Sessions(again, 1_001_000));
    assert_eq!(model.time_left(&model.sessions[0]), "3:04");
    let now: Vec<(String, SessionState)> = (model.session_markers().iter())
        .map(|(p, s)| (p.to_string(), *s))
        .collect();
    assert_eq!(markers, now);
}

#[test]
fn sign_out_asks_the_background_and_says_how_it_went() {
    let mut model = loaded();
    model.update(Msg::Sessions(
        vec![session("prod", SessionState::Live, None)],
        0,
    ));
    assert_eq!(
        model.update(Msg::SignOut("prod".into())),
        Some(PopupRequest::SignOut {
            profile: "prod".into()
        })
    );
    assert_eq!(model.status(), "Signing out of prod…");
    model.update(Msg::SignedOut("prod".into(), Ok(())));
    assert_eq!(model.status(), "Signed out of prod");
    assert!(model.sessions.is_empty());

    let refused = ProtocolError::new(ErrorCode::InvalidRequest, "No console session", "h");
    model.update(Msg::SignOut("dev".into()));
    model.update(Msg::SignedOut("dev".into(), Err(refused.clone())));
    assert_eq!(model.error, Some(refused));
    // Opening something else replaces the note.
    model.update(Msg::Open("dev".into()));
    assert_eq!(model.status(), "Opening dev…");
}

#[test]
fn a_broken_settings_file_lists_the_profiles_and_shows_why_in_the_alert() {
    let mut model = opened();
    let broken = ProtocolError::new(
        ErrorCode::SettingsInvalid,
        "config.toml, line 4, column 9: unknown variant `mauve`",
        "Fix that line",
    );
    model.update(Msg::Loaded(Ok(ProfileList {
        profiles: vec![profile("prod", Some("111111111111"), Some("Admin"))],
        settings_error: Some(broken.clone()),
    })));
    assert_eq!(model.visible().len(), 1);
    assert_eq!(model.error, Some(broken));
}
