//! Decoders for the replies that carry lists, written so that nothing is decoded twice.
//!
//! serde's derived decoders for `#[serde(flatten)]` fields and internally tagged enums first
//! copy the whole object into an in-memory tree (`Content`), then decode that tree. A
//! `list_profiles` page went through that three times over (the reply's `ok`/`err`, the
//! result's `type`, the page's list) and once more for each of its thousands of profiles
//! (the appearance fields), which made it the slowest thing the extension's background did
//! at 5,000 profiles, and `Content`'s code a large part of its wasm. Here:
//! - [`Reply`] and [`ProfilePage`], [`ProfileSummary`], [`OpenConsoleOk`] and [`OpenTab`],
//!   [`SamlRole`] decode through flat copies of their fields (`try_from` / `from`), which
//!   derived decoders read straight from the text;
//! - [`Response`] reads its `type` and then decodes that variant from the rest of the same
//!   object, which needs `type` to be the object's first key. Every result a host sends has
//!   it first (serde writes an internally tagged enum's tag first), and a browser keeps the
//!   keys of a native message in order.
//!
//! Encoding is unchanged (serde's `flatten` and tags write without any buffering), and the
//! JSON is the same both ways: `message_tests.rs` round-trips every shape.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use crate::discovery::SsoSynced;
use crate::saml::{SamlRole, SamlRoleList};
use crate::settings::SettingsDoc;
use crate::{
    Appearance, Color, HelloOk, Icon, OpenConsoleOk, OpenTab, OpenedInBrowser, Outcome,
    ProfileKind, ProfileList, ProfilePage, ProfileSummary, ProtocolError, Reply, Request, Response,
    SsoLoggedIn,
};

/// [`Reply`] as on the wire: `ok` and `err` beside `v` and `id`.
#[derive(Deserialize)]
pub(crate) struct ReplyFields {
    v: u32,
    id: Option<u64>,
    #[serde(default)]
    ok: Option<Response>,
    #[serde(default)]
    err: Option<ProtocolError>,
}

impl TryFrom<ReplyFields> for Reply {
    type Error = &'static str;

    fn try_from(wire: ReplyFields) -> Result<Reply, Self::Error> {
        let outcome = match (wire.ok, wire.err) {
            (Some(ok), None) => Outcome::Ok(ok),
            (None, Some(err)) => Outcome::Err(err),
            _ => return Err("a reply carries exactly one of `ok` and `err`"),
        };
        Ok(Reply {
            v: wire.v,
            id: wire.id,
            outcome,
        })
    }
}

/// [`ProfilePage`] as on the wire: the list's fields beside `next`.
#[derive(Deserialize)]
pub(crate) struct PageFields {
    profiles: Vec<ProfileSummary>,
    #[serde(default)]
    settings_error: Option<ProtocolError>,
    #[serde(default)]
    next: Option<u64>,
}

impl From<PageFields> for ProfilePage {
    fn from(wire: PageFields) -> ProfilePage {
        ProfilePage {
            list: ProfileList {
                profiles: wire.profiles,
                settings_error: wire.settings_error,
            },
            next: wire.next,
        }
    }
}

/// [`ProfileSummary`] as on the wire: the appearance's fields beside the others.
#[derive(Deserialize)]
pub(crate) struct SummaryFields {
    name: String,
    kind: ProfileKind,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    account_name: Option<String>,
    #[serde(default)]
    discovered: bool,
    #[serde(default)]
    tags: Vec<String>,
    color: Color,
    icon: Icon,
    #[serde(default)]
    label: Option<String>,
}

impl From<SummaryFields> for ProfileSummary {
    fn from(wire: SummaryFields) -> ProfileSummary {
        ProfileSummary {
            name: wire.name,
            kind: wire.kind,
            account_id: wire.account_id,
            role: wire.role,
            region: wire.region,
            account_name: wire.account_name,
            discovered: wire.discovered,
            tags: wire.tags,
            appearance: Appearance {
                color: wire.color,
                icon: wire.icon,
                label: wire.label,
            },
        }
    }
}

/// [`OpenConsoleOk`] as on the wire: the appearance's fields beside the others; with the
/// `event_id` of an [`OpenTab`], which is one beside the same fields.
#[derive(Deserialize)]
pub(crate) struct ConsoleFields {
    #[serde(default)]
    event_id: Option<u64>,
    profile: String,
    url: String,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    expires_at: Option<String>,
    #[serde(default)]
    notices: Vec<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    logout_url: Option<String>,
    color: Color,
    icon: Icon,
    #[serde(default)]
    label: Option<String>,
}

impl From<ConsoleFields> for OpenConsoleOk {
    fn from(wire: ConsoleFields) -> OpenConsoleOk {
        OpenConsoleOk {
            profile: wire.profile,
            url: wire.url,
            account_id: wire.account_id,
            role: wire.role,
            expires_at: wire.expires_at,
            notices: wire.notices,
            region: wire.region,
            logout_url: wire.logout_url,
            appearance: Appearance {
                color: wire.color,
                icon: wire.icon,
                label: wire.label,
            },
        }
    }
}

impl TryFrom<ConsoleFields> for OpenTab {
    type Error = de::value::Error;

    fn try_from(mut wire: ConsoleFields) -> Result<OpenTab, Self::Error> {
        let event_id = wire
            .event_id
            .take()
            .ok_or_else(|| de::Error::missing_field("event_id"))?;
        Ok(OpenTab {
            event_id,
            console: wire.into(),
        })
    }
}

/// [`SamlRole`] as on the wire: the appearance's fields beside the others.
#[derive(Deserialize)]
pub(crate) struct RoleFields {
    role_arn: String,
    principal_arn: String,
    account_id: String,
    role: String,
    name: String,
    color: Color,
    icon: Icon,
    #[serde(default)]
    label: Option<String>,
}

impl From<RoleFields> for SamlRole {
    fn from(wire: RoleFields) -> SamlRole {
        SamlRole {
            role_arn: wire.role_arn,
            principal_arn: wire.principal_arn,
            account_id: wire.account_id,
            role: wire.role,
            name: wire.name,
            appearance: Appearance {
                color: wire.color,
                icon: wire.icon,
                label: wire.label,
            },
        }
    }
}

impl<'de> Deserialize<'de> for Response {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Response, D::Error> {
        deserializer.deserialize_map(TypeFirst)
    }
}

struct TypeFirst;

impl<'de> Visitor<'de> for TypeFirst {
    type Value = Response;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a result object whose first key is `type`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Response, A::Error> {
        match map.next_key::<String>()?.as_deref() {
            Some("type") => {}
            _ => return Err(de::Error::custom("a result's first key must be `type`")),
        }
        let kind: String = map.next_value()?;
        let rest = de::value::MapAccessDeserializer::new(map);
        Ok(match kind.as_str() {
            "hello" => Response::Hello(HelloOk::deserialize(rest)?),
            "list_profiles" => Response::ListProfiles(ProfilePage::deserialize(rest)?),
            "open_console" => Response::OpenConsole(OpenConsoleOk::deserialize(rest)?),
            "open_in_browser" => Response::OpenInBrowser(OpenedInBrowser::deserialize(rest)?),
            "open_tab_result" => {
                IgnoredAny::deserialize(rest)?;
                Response::OpenTabResult
            }
            "sso_login" => Response::SsoLogin(SsoLoggedIn::deserialize(rest)?),
            "sso_sync" => Response::SsoSync(SsoSynced::deserialize(rest)?),
            "saml_roles" => Response::SamlRoles(SamlRoleList::deserialize(rest)?),
            "saml_open" => Response::SamlOpen(OpenConsoleOk::deserialize(rest)?),
            "settings_get" => Response::SettingsGet(SettingsDoc::deserialize(rest)?),
            "settings_put" => Response::SettingsPut(SettingsDoc::deserialize(rest)?),
            other => return Err(de::Error::unknown_variant(other, Request::TYPES)),
        })
    }
}
