//! The wire shapes of `message.rs`, pinned: what each type looks like as JSON.

use super::*;
use crate::{Color, ErrorCode, Icon};
use serde_json::json;

#[test]
fn request_type_sits_beside_envelope_fields() {
    let env = Envelope::new(
        7,
        Request::OpenConsole(OpenConsole {
            profile: "prod".into(),
            ..OpenConsole::default()
        }),
    );
    let json = serde_json::to_value(&env).expect("serialises");
    assert_eq!(
        json,
        json!({"v": 1, "id": 7, "type": "open_console", "profile": "prod"})
    );
    assert_eq!(
        serde_json::from_value::<Envelope>(json).expect("parses"),
        env
    );
}

#[test]
fn unit_request_needs_only_its_type() {
    let env: Envelope =
        serde_json::from_str(r#"{"v":1,"id":1,"type":"list_profiles"}"#).expect("parses");
    assert_eq!(env.request, Request::ListProfiles(ListProfiles::whole()));
}

#[test]
fn list_profiles_takes_a_cursor_and_its_reply_says_where_the_next_page_starts() {
    let env: Envelope =
        serde_json::from_str(r#"{"v":1,"id":2,"type":"list_profiles","cursor":500}"#)
            .expect("parses");
    assert_eq!(env.request, Request::ListProfiles(ListProfiles::page(500)));
    let page = Response::ListProfiles(ProfilePage {
        list: ProfileList::default(),
        next: Some(900),
    });
    let value = serde_json::to_value(&page).expect("serialises");
    assert_eq!(
        value,
        json!({"type":"list_profiles","profiles":[],"next":900})
    );
    let text = serde_json::to_string(&page).expect("serialises");
    assert_eq!(
        serde_json::from_str::<Response>(&text).expect("parses"),
        page
    );
}

#[test]
fn a_result_is_read_type_first_and_one_without_type_first_is_refused_saying_so() {
    let text = r#"{"v":1,"id":4,"ok":{"type":"open_tab_result"}}"#;
    let reply: Reply = serde_json::from_str(text).expect("parses");
    assert_eq!(reply, Reply::ok(4, Response::OpenTabResult));
    let late = r#"{"v":1,"id":4,"ok":{"profiles":[],"type":"list_profiles"}}"#;
    let err = serde_json::from_str::<Reply>(late).expect_err("type is not first");
    assert!(
        err.to_string()
            .contains("a result's first key must be `type`"),
        "{err}"
    );
    let unknown = r#"{"v":1,"id":4,"ok":{"type":"teleport"}}"#;
    let err = serde_json::from_str::<Reply>(unknown).expect_err("no such result");
    assert!(
        err.to_string().contains("unknown variant `teleport`"),
        "{err}"
    );
    let both = r#"{"v":1,"id":4,"ok":{"type":"open_tab_result"},"err":{"code":"internal","message":"m","hint":"h"}}"#;
    let err = serde_json::from_str::<Reply>(both).expect_err("ok and err");
    assert!(
        err.to_string().contains("exactly one of `ok` and `err`"),
        "{err}"
    );
}

#[test]
fn reply_carries_ok_or_err() {
    let ok = Reply::ok(
        3,
        Response::ListProfiles(ProfilePage::whole(ProfileList {
            profiles: vec![ProfileSummary {
                name: "dev".into(),
                kind: ProfileKind::StaticKeys,
                account_id: None,
                role: None,
                region: None,
                account_name: None,
                discovered: false,
                tags: Vec::new(),
                appearance: Appearance {
                    color: Color::Blue,
                    icon: Icon::Tree,
                    label: None,
                },
            }],
            settings_error: None,
        })),
    );
    assert_eq!(
        serde_json::to_value(&ok).expect("serialises"),
        json!({"v":1,"id":3,"ok":{"type":"list_profiles","profiles":[
            {"name":"dev","kind":"static_keys","color":"blue","icon":"tree"}]}})
    );
    let err = Reply::err(None, ProtocolError::new(ErrorCode::BadFrame, "m", "h"));
    let value = serde_json::to_value(&err).expect("serialises");
    assert_eq!(
        value,
        json!({"v":1,"id":null,"err":{"code":"bad_frame","message":"m","hint":"h"}})
    );
    assert_eq!(serde_json::from_value::<Reply>(value).expect("parses"), err);
    let text = serde_json::to_string(&ok).expect("serialises");
    assert_eq!(serde_json::from_str::<Reply>(&text).expect("parses"), ok);
}

#[test]
fn type_names_match_serde_tags() {
    let all = [
        Request::Hello(Hello {
            client: "c".into(),
            version: "1".into(),
        }),
        Request::ListProfiles(ListProfiles::page(0)),
        Request::OpenConsole(OpenConsole {
            profile: "p".into(),
            ..OpenConsole::default()
        }),
        Request::OpenInBrowser(OpenConsole {
            profile: "p".into(),
            service: Some("ec2".into()),
            ..OpenConsole::default()
        }),
        Request::OpenTabResult(OpenTabResult {
            event_id: 1,
            outcome: TabOutcome::Ok(OpenedTab {
                profile: "p".into(),
                tab_id: 2,
                place: Place::Group(3),
                notices: Vec::new(),
            }),
        }),
        Request::SsoLogin(SsoLogin {
            profile: "p".into(),
        }),
        Request::SamlRoles(SamlRoles {
            saml_response: "PHg+".into(),
        }),
        Request::SamlOpen(SamlOpen {
            handle: "h".into(),
            role_arn: "arn:aws:iam::111111111111:role/Admin".into(),
            region: None,
        }),
        Request::SsoSync(SsoSync::default()),
        Request::SettingsGet,
        Request::SettingsPut(crate::SettingsPut {
            settings: crate::Settings::default(),
        }),
    ];
    assert_eq!(all.len(), Request::TYPES.len());
    for (req, name) in all.iter().zip(Request::TYPES) {
        let json = serde_json::to_value(req).expect("serialises");
        assert_eq!(json["type"], *name);
        assert_eq!(req.type_name(), *name);
    }
}

#[test]
fn events_carry_their_name_beside_v_and_round_trip() {
    let event = EventFrame::new(Event::OpenTab(OpenTab {
        event_id: 4,
        console: OpenConsoleOk {
            profile: "prod".into(),
            url: "https://signin.example/federation?Action=login".into(),
            account_id: Some("111111111111".into()),
            role: None,
            expires_at: None,
            notices: Vec::new(),
            region: None,
            logout_url: None,
            appearance: Appearance {
                color: Color::Red,
                icon: Icon::Fence,
                label: None,
            },
        },
    }));
    let value = serde_json::to_value(&event).expect("serialises");
    assert_eq!(
        value,
        json!({"v": 1, "event": "open_tab", "event_id": 4, "profile": "prod",
               "url": "https://signin.example/federation?Action=login",
               "account_id": "111111111111", "color": "red", "icon": "fence"})
    );
    assert_eq!(
        serde_json::from_value::<EventFrame>(value).expect("parses"),
        event
    );
    assert_eq!(Event::NAMES[0], event.event.name());
    let code = Event::SsoDeviceCode(SsoDeviceCode {
        event_id: 5,
        profile: "sso".into(),
        user_code: "ABCD-EFGH".into(),
        verification_uri_complete: "https://d-1.awsapps.com/start/#/device?user_code=ABCD-EFGH"
            .into(),
        expires_in: 600,
    });
    assert_eq!(Event::NAMES[1], code.name());
    assert_eq!(
        serde_json::to_value(EventFrame::new(code)).expect("serialises")["event"],
        "sso_device_code"
    );
    // An event is never mistaken for a reply, nor a reply for an event.
    let reply = json!({"v": 1, "id": 1, "ok": {"type": "open_tab_result"}});
    assert!(serde_json::from_value::<EventFrame>(reply.clone()).is_err());
    assert!(serde_json::from_value::<Reply>(serde_json::to_value(&event).expect("v")).is_err());
    assert!(serde_json::from_value::<Reply>(reply).is_ok());
}

#[test]
fn open_tab_result_carries_ok_or_err_beside_its_type() {
    let ok: Envelope = serde_json::from_value(json!({"v": 1, "id": 9, "type": "open_tab_result",
        "event_id": 4, "ok": {"profile": "prod", "tab_id": 7, "container": "firefox-container-2"}}))
    .expect("parses");
    assert_eq!(
        ok.request,
        Request::OpenTabResult(OpenTabResult {
            event_id: 4,
            outcome: TabOutcome::Ok(OpenedTab {
                profile: "prod".into(),
                tab_id: 7,
                place: Place::Container("firefox-container-2".into()),
                notices: Vec::new(),
            }),
        })
    );
    let err = Envelope::new(
        10,
        Request::OpenTabResult(OpenTabResult {
            event_id: 5,
            outcome: TabOutcome::Err(ProtocolError::new(ErrorCode::BrowserApiFailed, "m", "h")),
        }),
    );
    let value = serde_json::to_value(&err).expect("serialises");
    assert_eq!(
        value,
        json!({"v": 1, "id": 10, "type": "open_tab_result", "event_id": 5,
               "err": {"code": "browser_api_failed", "message": "m", "hint": "h"}})
    );
    assert_eq!(
        serde_json::from_value::<Envelope>(value).expect("parses"),
        err
    );
    let answer = Reply::ok(10, Response::OpenTabResult);
    assert_eq!(
        serde_json::to_value(&answer).expect("serialises"),
        json!({"v": 1, "id": 10, "ok": {"type": "open_tab_result"}})
    );
}

#[test]
fn opened_in_browser_flattens_the_tab_and_has_no_url() {
    let ok = Response::OpenInBrowser(OpenedInBrowser {
        browser: Browser::Chromium,
        tab: OpenedTab {
            profile: "prod".into(),
            tab_id: 3,
            place: Place::Group(8),
            notices: Vec::new(),
        },
        account_id: Some("111111111111".into()),
        role: Some("Admin".into()),
    });
    let value = serde_json::to_value(&ok).expect("serialises");
    assert_eq!(
        value,
        json!({"type": "open_in_browser", "browser": "chromium", "profile": "prod",
               "tab_id": 3, "group": 8, "account_id": "111111111111", "role": "Admin"})
    );
    let text = serde_json::to_string(&ok).expect("serialises");
    assert_eq!(serde_json::from_str::<Response>(&text).expect("parses"), ok);
}

#[test]
fn settings_put_carries_rules_in_order_with_unset_fields_left_out() {
    let env: Envelope = serde_json::from_value(json!({
        "v": 1, "id": 4, "type": "settings_put",
        "settings": {"defaults": {"region": "eu-west-1"},
                     "rules": [{"name": "prod-*", "color": "red", "label": "PROD"}, {"tag": "env=dev", "regex": true}]}
    }))
    .expect("parses");
    let Request::SettingsPut(put) = &env.request else {
        panic!("{env:?}")
    };
    assert_eq!(put.settings.rules[0].color, Some(Color::Red));
    assert!(put.settings.rules[1].regex);
    let back = serde_json::to_value(&env).expect("serialises");
    assert_eq!(
        back["settings"]["rules"][0],
        json!({"name": "prod-*", "color": "red", "label": "PROD"})
    );
}
