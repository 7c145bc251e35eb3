//! What the popup and the background say to each other over `runtime.sendMessage`.
//!
//! Requests: `{"type":"list_profiles"}`, `{"type":"open","profile":"prod"}`.
//! Replies:  `{"ok": …}` or `{"err": {"code","message","hint"}}` (the protocol's error).

use roleport_protocol::{ProfileList, ProtocolError, SamlRoleList};
use serde::{Deserialize, Serialize};

use crate::tree::{list, named, optional, Tree};

/// A request from one of the extension's own pages to the background.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PopupRequest {
    /// The profiles to show; answered with a [`ProfileList`]. `cached`: the background may
    /// answer with the list the host gave it last (at once, without a round trip); the popup
    /// then asks again without it and redraws if the list changed.
    ListProfiles {
        /// Accept the background's last list.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        cached: bool,
        /// Answer with the reply as JSON text (a string) instead of an object. At 5,000
        /// profiles one string crosses between the pages at the cost of a copy, where a tree
        /// of objects costs a structured clone and a conversion on each side.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        text: bool,
    },
    /// Sign in to a profile's console in a tab of its own; answered with an [`OpenedTab`].
    Open {
        /// Profile name as in `~/.aws/config`.
        profile: String,
        /// The MFA code the person typed after an `mfa_required` error.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mfa_code: Option<String>,
        /// The Cognito password the person typed after a `password_required` error; it goes
        /// on to the host and is kept nowhere.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
        /// Open the tab without switching to it (Ctrl/Cmd+Enter).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        background: bool,
    },
    /// Several profiles at once: each signs in concurrently and its tab opens as soon as its
    /// URL is ready; one profile's failure holds back none of the others. Answered with a
    /// list of [`OpenOutcome`]s in the order asked.
    OpenMany {
        /// Profile names.
        profiles: Vec<String>,
        /// Open the tabs without switching to them.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        background: bool,
    },
    /// After `sso_login_required`: sign in to the profile's IAM Identity Center login (the
    /// host's `sso_login`; the background opens the verification page in a normal tab), then
    /// open the profile as [`PopupRequest::Open`] does. Answered with an [`OpenedTab`] once
    /// the console tab is open. The background does the re-open itself, because opening the
    /// verification page closes a real popup.
    SsoLogin {
        /// Profile name as in `~/.aws/config`.
        profile: String,
    },
    /// The user code of the profile's login in progress, for the popup to show while it
    /// waits; answered with an [`SsoStatus`].
    SsoStatus {
        /// Profile name as in `~/.aws/config`.
        profile: String,
    },
    /// Discovers every account and role of the IAM Identity Center logins (the host's
    /// `sso_sync`); answered with the host's [`roleport_protocol::SsoSynced`] when it is over.
    SsoSync,
    /// The last `sso_sync_progress` the host sent; answered with an `Option` of it.
    SsoSyncStatus,
    /// From `saml.html#KEY`: the roles of the SAML sign-in the background saw (the page's
    /// URL names it); answered with the host's [`SamlRoleList`], or the error that stopped it.
    SamlPending {
        /// The fragment of the page's URL.
        key: String,
    },
    /// Opens each role of a SAML sign-in in its own container / tab group, concurrently;
    /// answered with one [`SamlOutcome`] per role, in the order asked.
    SamlOpen {
        /// The `handle` of the [`SamlRoleList`].
        handle: String,
        /// Role ARNs from that list.
        roles: Vec<String>,
    },
    /// The console sessions the background knows of; answered with a list of
    /// [`crate::sessions::registry::SessionInfo`], by profile name.
    Sessions,
    /// Signs a profile's console session out (its partition's logout URL in its container /
    /// tab group) and closes its tabs; answered with `null` when done.
    SignOut {
        /// Profile name.
        profile: String,
    },
    /// From `options.html`: roleport's settings file (the host's `settings_get`); answered
    /// with a [`roleport_protocol::SettingsDoc`].
    SettingsGet,
    /// From `options.html`: check and save these settings (the host's `settings_put`);
    /// answered with the [`roleport_protocol::SettingsDoc`] as saved.
    SettingsPut {
        /// The whole settings: defaults and every rule, in order.
        settings: roleport_protocol::Settings,
    },
}

impl PopupRequest {
    /// The popup's `list_profiles`: answered as JSON text.
    pub fn list(cached: bool) -> PopupRequest {
        PopupRequest::ListProfiles { cached, text: true }
    }

    /// Every request type, as on the wire.
    pub const TYPES: &'static [&'static str] = &[
        "list_profiles",
        "open",
        "open_many",
        "sso_login",
        "sso_status",
        "sso_sync",
        "sso_sync_status",
        "saml_pending",
        "saml_open",
        "sessions",
        "sign_out",
        "settings_get",
        "settings_put",
    ];
}

impl PopupRequest {
    /// The request a page sent (the object `runtime.onMessage` delivers), read as its derived
    /// encoder writes it; the error says what is missing or of another type.
    pub fn read<T: Tree>(request: &T) -> Result<PopupRequest, serde::de::value::Error> {
        PopupRequest::try_from(RequestFields::read(request)?)
    }
}

/// A [`PopupRequest`] as on the wire: every variant's fields beside `type`, in one flat
/// struct, read field by field ([`crate::tree`]): serde's decoder of an internally tagged enum
/// first copies the object into a tree (its `Content`), and even a flat struct's decoder cost
/// the background's wasm several times what the reader does.
struct RequestFields {
    kind: String,
    cached: bool,
    text: bool,
    profile: Option<String>,
    mfa_code: Option<String>,
    password: Option<String>,
    background: bool,
    profiles: Option<Vec<String>>,
    key: Option<String>,
    handle: Option<String>,
    roles: Option<Vec<String>>,
    settings: Option<roleport_protocol::Settings>,
}

impl RequestFields {
    fn read<T: Tree>(request: &T) -> Result<RequestFields, serde::de::value::Error> {
        use serde::de::Error;
        if request.members().is_none() {
            return Err(Error::custom("a request is an object"));
        }
        fn given<T: Tree, V>(
            request: &T,
            name: &'static str,
            read: fn(&T) -> Option<V>,
        ) -> Result<Option<V>, serde::de::value::Error> {
            optional(request, name, read)
                .ok_or_else(|| Error::custom(format_args!("`{name}` is of another type")))
        }
        let text = |name| given(request, name, T::string);
        let flag = |name| {
            Ok::<_, serde::de::value::Error>(given(request, name, T::boolean)?.unwrap_or(false))
        };
        let strings = |name| {
            given(request, name, |v: &T| {
                v.items()?.iter().map(T::string).collect()
            })
        };
        Ok(RequestFields {
            kind: text("type")?.ok_or_else(|| Error::missing_field("type"))?,
            cached: flag("cached")?,
            text: flag("text")?,
            profile: text("profile")?,
            mfa_code: text("mfa_code")?,
            password: text("password")?,
            background: flag("background")?,
            profiles: strings("profiles")?,
            key: text("key")?,
            handle: text("handle")?,
            roles: strings("roles")?,
            settings: given(request, "settings", settings)?,
        })
    }
}

/// The [`roleport_protocol::Settings`] of a `settings_put`, as their derived decoder reads them.
fn settings<T: Tree>(settings: &T) -> Option<roleport_protocol::Settings> {
    let defaults = match settings.member("defaults") {
        Some(defaults) => roleport_protocol::Defaults {
            region: optional(&defaults, "region", T::string)?,
        },
        None => roleport_protocol::Defaults::default(),
    };
    Some(roleport_protocol::Settings {
        defaults,
        rules: list(settings, "rules", rule)?,
    })
}

fn rule<T: Tree>(rule: &T) -> Option<roleport_protocol::Rule> {
    let text = |name| optional(rule, name, T::string);
    // An object: every field is optional, so `5` would read as the empty rule.
    rule.members()?;
    Some(roleport_protocol::Rule {
        name: text("name")?,
        account_id: text("account_id")?,
        account_name: text("account_name")?,
        tag: text("tag")?,
        regex: optional(rule, "regex", T::boolean)?.unwrap_or(false),
        color: optional(rule, "color", named)?,
        icon: optional(rule, "icon", named)?,
        label: text("label")?,
    })
}

impl TryFrom<RequestFields> for PopupRequest {
    type Error = serde::de::value::Error;

    fn try_from(wire: RequestFields) -> Result<PopupRequest, Self::Error> {
        use serde::de::Error;
        fn given<T>(field: Option<T>, name: &'static str) -> Result<T, serde::de::value::Error> {
            field.ok_or_else(|| Error::missing_field(name))
        }
        let profile = || given(wire.profile.clone(), "profile");
        Ok(match wire.kind.as_str() {
            "list_profiles" => PopupRequest::ListProfiles {
                cached: wire.cached,
                text: wire.text,
            },
            "open" => PopupRequest::Open {
                profile: profile()?,
                mfa_code: wire.mfa_code,
                password: wire.password,
                background: wire.background,
            },
            "open_many" => PopupRequest::OpenMany {
                profiles: given(wire.profiles, "profiles")?,
                background: wire.background,
            },
            "sso_login" => PopupRequest::SsoLogin {
                profile: profile()?,
            },
            "sso_status" => PopupRequest::SsoStatus {
                profile: profile()?,
            },
            "sso_sync" => PopupRequest::SsoSync,
            "sso_sync_status" => PopupRequest::SsoSyncStatus,
            "saml_pending" => PopupRequest::SamlPending {
                key: given(wire.key, "key")?,
            },
            "saml_open" => PopupRequest::SamlOpen {
                handle: given(wire.handle, "handle")?,
                roles: given(wire.roles, "roles")?,
            },
            "sessions" => PopupRequest::Sessions,
            "sign_out" => PopupRequest::SignOut {
                profile: profile()?,
            },
            "settings_get" => PopupRequest::SettingsGet,
            "settings_put" => PopupRequest::SettingsPut {
                settings: given(wire.settings, "settings")?,
            },
            other => return Err(Error::unknown_variant(other, PopupRequest::TYPES)),
        })
    }
}

/// Reply to [`PopupRequest::Sessions`].
pub type SessionsReply = PopupReply<Vec<crate::sessions::registry::SessionInfo>>;

/// Reply to [`PopupRequest::SettingsGet`] and [`PopupRequest::SettingsPut`].
pub type SettingsReply = PopupReply<roleport_protocol::SettingsDoc>;

/// Reply to [`PopupRequest::SamlPending`].
pub type SamlPendingReply = PopupReply<SamlRoleList>;

/// How one role of a `saml_open` went: `{"role_arn": "…", "ok": {…}}` or `{…, "err": {…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlOutcome {
    /// The role.
    pub role_arn: String,
    /// Its tab, or why it did not open.
    #[serde(flatten)]
    pub reply: PopupReply<OpenedTab>,
}

/// Reply to [`PopupRequest::SamlOpen`].
pub type SamlOpenReply = PopupReply<Vec<SamlOutcome>>;

/// Answer to [`PopupRequest::SsoStatus`]: `{}` until the host has the code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoStatus {
    /// The code the verification page shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_code: Option<String>,
}

/// Reply to [`PopupRequest::SsoStatus`].
pub type SsoStatusReply = PopupReply<SsoStatus>;

/// Reply to [`PopupRequest::SsoSync`].
pub type SsoSyncReply = PopupReply<roleport_protocol::SsoSynced>;

/// Reply to [`PopupRequest::SsoSyncStatus`].
pub type SsoSyncStatusReply = PopupReply<Option<roleport_protocol::SsoSyncProgress>>;

/// The background's answer: a result or a coded error, never both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PopupReply<T> {
    /// The request succeeded.
    Ok(T),
    /// What went wrong and what to do about it.
    Err(ProtocolError),
}

impl<T> From<Result<T, ProtocolError>> for PopupReply<T> {
    fn from(result: Result<T, ProtocolError>) -> Self {
        match result {
            Ok(value) => PopupReply::Ok(value),
            Err(error) => PopupReply::Err(error),
        }
    }
}

impl<T> From<PopupReply<T>> for Result<T, ProtocolError> {
    fn from(reply: PopupReply<T>) -> Self {
        match reply {
            PopupReply::Ok(value) => Ok(value),
            PopupReply::Err(error) => Err(error),
        }
    }
}

/// Reply to [`PopupRequest::ListProfiles`].
pub type ListReply = PopupReply<ProfileList>;

/// How one profile of an `open_many` went: `{"profile": "dev", "ok": {…}}` or `{…, "err": {…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenOutcome {
    /// The profile.
    pub profile: String,
    /// Its tab, or why it did not open.
    #[serde(flatten)]
    pub reply: PopupReply<OpenedTab>,
}

impl OpenOutcome {
    /// The outcome as a `Result`.
    pub fn result(&self) -> Result<&OpenedTab, &ProtocolError> {
        match &self.reply {
            PopupReply::Ok(tab) => Ok(tab),
            PopupReply::Err(e) => Err(e),
        }
    }
}

/// Reply to [`PopupRequest::OpenMany`].
pub type OpenManyReply = PopupReply<Vec<OpenOutcome>>;

/// Reply to [`PopupRequest::Open`].
pub type OpenReply = PopupReply<OpenedTab>;

/// Where a profile's console was opened, and in what: the protocol's own types, because the
/// host also hears of it (`open_tab_result`, after `roleport open`).
pub use roleport_protocol::{OpenedTab, Place};

#[cfg(test)]
mod tests {
    use super::*;
    use roleport_protocol::ErrorCode;
    use serde_json::json;

    #[test]
    fn requests_are_tagged_by_type() {
        let list = PopupRequest::read(&json!({"type": "list_profiles"})).expect("reads");
        assert_eq!(
            list,
            PopupRequest::ListProfiles {
                cached: false,
                text: false
            }
        );
        let open = PopupRequest::Open {
            profile: "prod".into(),
            mfa_code: None,
            password: None,
            background: false,
        };
        assert_eq!(
            serde_json::to_value(&open).expect("serialises"),
            json!({"type": "open", "profile": "prod"})
        );
    }

    #[test]
    fn every_request_reads_back_as_it_was_written() {
        let full = roleport_protocol::Rule {
            name: Some("prod*".into()),
            account_id: Some("1111*".into()),
            account_name: Some("Production".into()),
            tag: Some("env=prod".into()),
            regex: true,
            color: Some(roleport_protocol::Color::Red),
            icon: Some(roleport_protocol::Icon::Fence),
            label: Some("PROD".into()),
        };
        let settings = roleport_protocol::Settings {
            rules: vec![full, roleport_protocol::Rule::default()],
            defaults: roleport_protocol::Defaults {
                region: Some("eu-west-1".into()),
            },
        };
        let profile = || "prod".to_owned();
        let requests = [
            PopupRequest::list(true),
            PopupRequest::ListProfiles {
                cached: false,
                text: false,
            },
            PopupRequest::Open {
                profile: profile(),
                mfa_code: Some("123456".into()),
                password: Some("pw".into()),
                background: true,
            },
            PopupRequest::OpenMany {
                profiles: vec![profile(), "dev".into()],
                background: false,
            },
            PopupRequest::SsoLogin { profile: profile() },
            PopupRequest::SsoStatus { profile: profile() },
            PopupRequest::SsoSync,
            PopupRequest::SsoSyncStatus,
            PopupRequest::SamlPending { key: "k".into() },
            PopupRequest::SamlOpen {
                handle: "h".into(),
                roles: vec!["arn:aws:iam::1:role/r".into()],
            },
            PopupRequest::Sessions,
            PopupRequest::SignOut { profile: profile() },
            PopupRequest::SettingsGet,
            PopupRequest::SettingsPut { settings },
            PopupRequest::SettingsPut {
                settings: roleport_protocol::Settings::default(),
            },
        ];
        assert_eq!(requests.len(), PopupRequest::TYPES.len() + 2);
        for request in requests {
            let value = serde_json::to_value(&request).expect("serialises");
            let back = PopupRequest::read(&value).expect("reads");
            assert_eq!(back, request, "{value}");
        }
        // The type need not come first.
        let late = PopupRequest::read(&json!({"profile": "prod", "type": "sign_out"}));
        let late = late.expect("reads");
        assert_eq!(late, PopupRequest::SignOut { profile: profile() });
    }

    #[test]
    fn unknown_request_types_are_refused() {
        assert!(PopupRequest::read(&json!({"type": "open_console"})).is_err());
        assert!(PopupRequest::read(&json!({"type": "open"})).is_err());
        assert!(PopupRequest::read(&json!({"profile": "prod"})).is_err());
        let odd = PopupRequest::read(&json!({"type": "open", "profile": 5}));
        assert!(odd.expect_err("a number").to_string().contains("`profile`"));
        assert!(PopupRequest::read(&json!(["open"])).is_err());
        for rules in [
            json!([{"color": "reddish"}]),
            json!([5]),
            json!({"name": "x"}),
        ] {
            let put = json!({"type": "settings_put", "settings": {"rules": rules}});
            assert!(PopupRequest::read(&put).is_err(), "{put}");
        }
    }

    #[test]
    fn opened_tab_flattens_its_place() {
        let firefox = OpenReply::Ok(OpenedTab {
            profile: "prod".into(),
            tab_id: 4,
            place: Place::Container("firefox-container-2".into()),
            notices: Vec::new(),
        });
        let value = serde_json::to_value(&firefox).expect("serialises");
        assert_eq!(
            value,
            json!({"ok": {"profile": "prod", "tab_id": 4, "container": "firefox-container-2"}})
        );
        assert_eq!(
            serde_json::from_value::<OpenReply>(value).expect("parses"),
            firefox
        );

        let chromium = OpenedTab {
            profile: "dev".into(),
            tab_id: 9,
            place: Place::Group(3),
            notices: Vec::new(),
        };
        assert_eq!(
            serde_json::to_value(&chromium).expect("serialises"),
            json!({"profile": "dev", "tab_id": 9, "group": 3})
        );
    }

    #[test]
    fn errors_reuse_the_protocol_error() {
        let reply: ListReply = Err(ProtocolError::new(ErrorCode::HostUnavailable, "m", "h")).into();
        assert_eq!(
            serde_json::to_value(&reply).expect("serialises"),
            json!({"err": {"code": "host_unavailable", "message": "m", "hint": "h"}})
        );
    }
}
