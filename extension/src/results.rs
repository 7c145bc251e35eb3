//! The host's results and events the background reads itself: [`OpenConsoleOk`] (the
//! `open_console` and `saml_open` results, and inside `open_tab`), [`SamlRoleList`] (the
//! `saml_roles` result), [`ProfilePage`] (`list_profiles`), a reply's [`ProtocolError`] and
//! the events. With these, nothing in the background parses JSON text any more: serde_json's
//! decoder, its errors and the float formatting they print were a fifth of its wasm. Read field
//! by field ([`crate::tree`]), as the protocol's derived decoders read them: those decoders cost
//! the background's wasm several times as much. Results the background only hands on to a page
//! are not read at all.

use roleport_protocol::{
    Appearance, Event, EventFrame, OpenConsoleOk, OpenTab, ProfileList, ProfilePage,
    ProfileSummary, ProtocolError, SamlRole, SamlRoleList, SsoDeviceCode, SsoSyncProgress,
};

use crate::codec::unreadable;
use crate::tree::{int, list, named, optional, Tree};

/// An `open_console` / `saml_open` result (its `type` already checked), or `None` when a field
/// is missing or of another type.
pub fn console<T: Tree>(ok: &T) -> Option<OpenConsoleOk> {
    let text = |name| optional(ok, name, T::string);
    Some(OpenConsoleOk {
        profile: ok.member("profile")?.string()?,
        url: ok.member("url")?.string()?,
        account_id: text("account_id")?,
        role: text("role")?,
        expires_at: text("expires_at")?,
        notices: list(ok, "notices", T::string)?,
        region: text("region")?,
        logout_url: text("logout_url")?,
        appearance: appearance(ok)?,
    })
}

/// A `saml_roles` result (its `type` already checked).
pub fn saml_roles<T: Tree>(ok: &T) -> Option<SamlRoleList> {
    let text = |name| optional(ok, name, T::string);
    let duration = optional(ok, "session_duration", int)?;
    let roles = ok.member("roles")?.items()?;
    Some(SamlRoleList {
        handle: ok.member("handle")?.string()?,
        session_name: text("session_name")?,
        expires_at: text("expires_at")?,
        session_duration: duration.map(i32::try_from).transpose().ok()?,
        roles: roles.iter().map(saml_role).collect::<Option<_>>()?,
    })
}

fn saml_role<T: Tree>(role: &T) -> Option<SamlRole> {
    let text = |name| role.member(name)?.string();
    Some(SamlRole {
        role_arn: text("role_arn")?,
        principal_arn: text("principal_arn")?,
        account_id: text("account_id")?,
        role: text("role")?,
        name: text("name")?,
        appearance: appearance(role)?,
    })
}

/// A `list_profiles` page (its `type` already checked).
pub fn profile_page<T: Tree>(ok: &T) -> Option<ProfilePage> {
    let profiles = ok.member("profiles")?.items()?;
    Some(ProfilePage {
        list: ProfileList {
            profiles: profiles.iter().map(profile).collect::<Option<_>>()?,
            settings_error: optional(ok, "settings_error", error)?,
        },
        next: optional(ok, "next", |next| u64::try_from(int(next)?).ok())?,
    })
}

fn profile<T: Tree>(profile: &T) -> Option<ProfileSummary> {
    let text = |name| optional(profile, name, T::string);
    Some(ProfileSummary {
        name: profile.member("name")?.string()?,
        kind: named(&profile.member("kind")?)?,
        account_id: text("account_id")?,
        role: text("role")?,
        region: text("region")?,
        account_name: text("account_name")?,
        discovered: optional(profile, "discovered", T::boolean)?.unwrap_or(false),
        tags: list(profile, "tags", T::string)?,
        appearance: appearance(profile)?,
    })
}

/// A coded error of the host's (a reply's `err`, a list's `settings_error`).
pub fn error<T: Tree>(error: &T) -> Option<ProtocolError> {
    let text = |name| error.member(name)?.string();
    Some(ProtocolError::new(
        named(&error.member("code")?)?,
        text("message")?,
        text("hint")?,
    ))
}

/// An [`Appearance`] flattened into the object it is of.
fn appearance<T: Tree>(of: &T) -> Option<Appearance> {
    Some(Appearance {
        color: named(&of.member("color")?)?,
        icon: named(&of.member("icon")?)?,
        label: optional(of, "label", T::string)?,
    })
}

/// A host event frame, as [`EventFrame`]'s derived decoder reads it.
pub fn event<T: Tree>(frame: &T) -> Result<EventFrame, ProtocolError> {
    let what = "an event from the host";
    let broken = || unreadable(what, "a field is missing or of another type");
    let v = frame.member("v").as_ref().and_then(int);
    let v = v.and_then(|v| u32::try_from(v).ok()).ok_or_else(broken)?;
    let name = frame
        .member("event")
        .and_then(|e| e.string())
        .ok_or_else(broken)?;
    let event = match name.as_str() {
        "open_tab" => Event::OpenTab(open_tab(frame).ok_or_else(broken)?),
        "sso_device_code" => Event::SsoDeviceCode(device_code(frame).ok_or_else(broken)?),
        "sso_sync_progress" => Event::SsoSyncProgress(progress(frame).ok_or_else(broken)?),
        other => {
            let why: serde::de::value::Error =
                serde::de::Error::unknown_variant(other, Event::NAMES);
            return Err(unreadable(what, why));
        }
    };
    Ok(EventFrame { v, event })
}

fn open_tab<T: Tree>(frame: &T) -> Option<OpenTab> {
    Some(OpenTab {
        event_id: unsigned(frame, "event_id")?,
        console: console(frame)?,
    })
}

fn device_code<T: Tree>(frame: &T) -> Option<SsoDeviceCode> {
    let text = |name| frame.member(name)?.string();
    Some(SsoDeviceCode {
        event_id: unsigned(frame, "event_id")?,
        profile: text("profile")?,
        user_code: text("user_code")?,
        verification_uri_complete: text("verification_uri_complete")?,
        expires_in: int(&frame.member("expires_in")?)?,
    })
}

fn progress<T: Tree>(frame: &T) -> Option<SsoSyncProgress> {
    let count = |name| u32::try_from(unsigned(frame, name)?).ok();
    Some(SsoSyncProgress {
        event_id: unsigned(frame, "event_id")?,
        login: frame.member("login")?.string()?,
        accounts: count("accounts")?,
        stale: count("stale")?,
        done: count("done")?,
        throttled: count("throttled")?,
    })
}

fn unsigned<T: Tree>(value: &T, name: &str) -> Option<u64> {
    u64::try_from(int(&value.member(name)?)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode;
    use roleport_protocol::{Color, ErrorCode, Icon};
    use serde_json::{json, Value};

    fn tree<T: serde::Serialize>(value: &T) -> Value {
        serde_json::from_str(&encode(value)).expect("json")
    }

    fn opened(full: bool) -> OpenConsoleOk {
        let some = |text: &str| full.then(|| text.to_owned());
        OpenConsoleOk {
            profile: "prod".into(),
            url: "https://signin.test/federation".into(),
            account_id: some("111111111111"),
            role: some("Admin"),
            expires_at: some("2026-12-07T16:00:00Z"),
            notices: if full {
                vec!["capped".into()]
            } else {
                Vec::new()
            },
            region: some("eu-west-1"),
            logout_url: some("https://signin.test/logout"),
            appearance: Appearance {
                color: Color::Red,
                icon: Icon::Fence,
                label: some("PROD"),
            },
        }
    }

    #[test]
    fn console_results_read_as_the_host_writes_them() {
        for ok in [opened(true), opened(false)] {
            let value = tree(&ok);
            assert_eq!(console(&value), Some(ok), "{value}");
        }
        let mut odd = tree(&opened(false));
        odd["color"] = json!("reddish");
        assert_eq!(console(&odd), None);
    }

    #[test]
    fn saml_role_lists_read_as_the_host_writes_them() {
        let role = SamlRole {
            role_arn: "arn:aws:iam::111111111111:role/Admin".into(),
            principal_arn: "arn:aws:iam::111111111111:saml-provider/idp".into(),
            account_id: "111111111111".into(),
            role: "Admin".into(),
            name: "prod".into(),
            appearance: opened(true).appearance,
        };
        let full = SamlRoleList {
            handle: "h".into(),
            session_name: Some("alice".into()),
            expires_at: Some("2026-12-07T16:00:00Z".into()),
            session_duration: Some(3600),
            roles: vec![role.clone(), role],
        };
        let bare = SamlRoleList {
            handle: "h".into(),
            session_name: None,
            expires_at: None,
            session_duration: None,
            roles: Vec::new(),
        };
        for list in [full, bare] {
            let value = tree(&list);
            assert_eq!(saml_roles(&value), Some(list), "{value}");
        }
        assert_eq!(saml_roles(&json!({"handle": "h"})), None, "no roles");
        let long = json!({"handle": "h", "roles": [], "session_duration": 1u64 << 40});
        assert_eq!(saml_roles(&long), None, "beyond i32");
    }

    #[test]
    fn profile_pages_read_as_the_host_writes_them() {
        use roleport_protocol::{ErrorCode, ProfileKind};
        let full = ProfileSummary {
            name: "prod".into(),
            kind: ProfileKind::Sso,
            account_id: Some("111111111111".into()),
            role: Some("Admin".into()),
            region: Some("eu-west-1".into()),
            account_name: Some("Production".into()),
            discovered: true,
            tags: vec!["env=prod".into()],
            appearance: opened(true).appearance,
        };
        let bare = ProfileSummary {
            name: "dev".into(),
            kind: ProfileKind::AssumeRole,
            account_id: None,
            role: None,
            region: None,
            account_name: None,
            discovered: false,
            tags: Vec::new(),
            appearance: opened(false).appearance,
        };
        let broken = ProtocolError::new(ErrorCode::SettingsInvalid, "line 3", "Fix that line.");
        for page in [
            ProfilePage {
                list: ProfileList {
                    profiles: vec![full, bare],
                    settings_error: Some(broken),
                },
                next: Some(2),
            },
            ProfilePage {
                list: ProfileList::default(),
                next: None,
            },
        ] {
            let value = tree(&page);
            assert_eq!(profile_page(&value), Some(page), "{value}");
        }
        let odd =
            json!({"profiles": [{"name": "x", "kind": "wizard", "color": "red", "icon": "fence"}]});
        assert_eq!(profile_page(&odd), None);
        let odd =
            json!({"profiles": [], "settings_error": {"code": "nope", "message": "", "hint": ""}});
        assert_eq!(profile_page(&odd), None);
    }

    #[test]
    fn events_read_as_the_host_writes_them() {
        let code = SsoDeviceCode {
            event_id: 4,
            profile: "sso".into(),
            user_code: "ABCD-EFGH".into(),
            verification_uri_complete: "https://device.test/?code=ABCD-EFGH".into(),
            expires_in: 600,
        };
        let progress = SsoSyncProgress {
            event_id: 5,
            login: "corp".into(),
            accounts: 3,
            stale: 1,
            done: 2,
            throttled: 0,
        };
        for event in [
            Event::OpenTab(OpenTab {
                event_id: 3,
                console: opened(true),
            }),
            Event::SsoDeviceCode(code),
            Event::SsoSyncProgress(progress),
        ] {
            let frame = EventFrame::new(event);
            let value = tree(&frame);
            assert_eq!(super::event(&value).expect("reads"), frame, "{value}");
        }
        let unknown = super::event(&json!({"v": 1, "event": "sso_done", "event_id": 1}));
        assert!(unknown.expect_err("unknown").message.contains("sso_done"));
        let broken = super::event(&json!({"v": 1, "event": "open_tab", "event_id": 1}));
        assert_eq!(broken.expect_err("no console").code, ErrorCode::BadFrame);
        let negative = super::event(&json!({"v": -1, "event": "sso_done"}));
        assert_eq!(negative.expect_err("no version").code, ErrorCode::BadFrame);
        let minus = tree(&EventFrame::new(Event::SsoSyncProgress(SsoSyncProgress {
            event_id: 1,
            login: "corp".into(),
            accounts: 0,
            stale: 0,
            done: 0,
            throttled: 0,
        })));
        let mut minus = minus;
        minus["done"] = json!(-1);
        assert!(super::event(&minus).is_err());
    }
}
