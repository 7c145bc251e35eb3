//! Requests, replies and their payloads.
//!
//! Wire shape (JSON, one object per native-messaging frame):
//! - request: `{"v":1,"id":7,"type":"open_console",...fields}`
//! - reply:   `{"v":1,"id":7,"ok":{"type":"open_console",...}}` or
//!   `{"v":1,"id":7,"err":{"code":"unknown_profile","message":"…","hint":"…"}}`

use serde::{Deserialize, Serialize};

use crate::{Appearance, ProtocolError, PROTOCOL_VERSION};

/// A request with its envelope: protocol version and the id its reply will carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Protocol version the sender speaks.
    pub v: u32,
    /// Chosen by the sender; echoed in the reply.
    pub id: u64,
    /// The request itself; its `type` tag sits beside `v` and `id`.
    #[serde(flatten)]
    pub request: Request,
}

impl Envelope {
    /// Wraps a request in an envelope of the current protocol version.
    pub fn new(id: u64, request: Request) -> Envelope {
        Envelope {
            v: PROTOCOL_VERSION,
            id,
            request,
        }
    }
}

/// Everything the extension or CLI can ask of the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Version handshake; the first request on every port.
    Hello(Hello),
    /// The profiles the popup can show.
    ListProfiles,
    /// Sign in to a profile's console and return the one-time sign-in URL.
    OpenConsole(OpenConsole),
}

impl Request {
    /// Every request `type`, as on the wire.
    pub const TYPES: &'static [&'static str] = &["hello", "list_profiles", "open_console"];

    /// This request's `type` on the wire.
    pub fn type_name(&self) -> &'static str {
        match self {
            Request::Hello(_) => "hello",
            Request::ListProfiles => "list_profiles",
            Request::OpenConsole(_) => "open_console",
        }
    }
}

/// `hello`: who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// `roleport-extension` or `roleport-cli`.
    pub client: String,
    /// The client's own version.
    pub version: String,
}

/// `open_console`: which profile, and optionally where in the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenConsole {
    /// Profile name as in `~/.aws/config`.
    pub profile: String,
    /// Console region; defaults to the profile's `region`, then `us-east-1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// A console URL to land on. Must be inside the partition's console domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// The current code of the profile's MFA device, sent after an `mfa_required` error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_code: Option<String>,
}

/// A reply: the request's id and either a result or a coded error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// Protocol version of the host.
    pub v: u32,
    /// The id of the request this answers; `null` only when the request was unreadable.
    pub id: Option<u64>,
    /// `ok` or `err`.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Reply {
    /// A successful reply.
    pub fn ok(id: u64, response: Response) -> Reply {
        Reply {
            v: PROTOCOL_VERSION,
            id: Some(id),
            outcome: Outcome::Ok(response),
        }
    }

    /// A failed reply; `id` is `None` when the request could not be read far enough to find it.
    pub fn err(id: Option<u64>, error: ProtocolError) -> Reply {
        Reply {
            v: PROTOCOL_VERSION,
            id,
            outcome: Outcome::Err(error),
        }
    }
}

/// Success or failure of one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The result, tagged with the request's type.
    Ok(Response),
    /// What went wrong and what to do about it.
    Err(ProtocolError),
}

/// The result of each request type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    /// Answer to `hello`.
    Hello(HelloOk),
    /// Answer to `list_profiles`.
    ListProfiles(ProfileList),
    /// Answer to `open_console`.
    OpenConsole(OpenConsoleOk),
}

/// The host's side of the handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloOk {
    /// The host's version (`roleport --version`).
    pub host_version: String,
    /// Protocol version the host speaks.
    pub protocol: u32,
    /// Request types this host serves.
    pub capabilities: Vec<String>,
}

/// Answer to `list_profiles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileList {
    /// Profiles that can open a console, sorted by name.
    pub profiles: Vec<ProfileSummary>,
}

/// What the popup shows for one profile. Never a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileSummary {
    /// Profile name.
    pub name: String,
    /// Where its credentials come from.
    pub kind: ProfileKind,
    /// The account, when the profile says it (from `role_arn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The role name, for role profiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The profile's `region`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Container / tab-group colour and icon.
    #[serde(flatten)]
    pub appearance: Appearance,
}

/// Where a profile's credentials come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileKind {
    /// Long-term access keys (federated through GetFederationToken).
    StaticKeys,
    /// `role_arn` assumed from a `source_profile`.
    AssumeRole,
}

/// Answer to `open_console`: the one-time sign-in URL and how to show its tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenConsoleOk {
    /// The profile that was opened.
    pub profile: String,
    /// One-time federation login URL (valid 15 minutes, single use).
    pub url: String,
    /// The account signed in to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The role signed in as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// When the console session's credentials expire (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Container / tab-group colour and icon.
    #[serde(flatten)]
    pub appearance: Appearance,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Color, ErrorCode, Icon};
    use serde_json::json;

    #[test]
    fn request_type_sits_beside_envelope_fields() {
        let env = Envelope::new(
            7,
            Request::OpenConsole(OpenConsole {
                profile: "prod".into(),
                region: None,
                destination: None,
                mfa_code: None,
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
        assert_eq!(env.request, Request::ListProfiles);
    }

    #[test]
    fn reply_carries_ok_or_err() {
        let ok = Reply::ok(
            3,
            Response::ListProfiles(ProfileList {
                profiles: vec![ProfileSummary {
                    name: "dev".into(),
                    kind: ProfileKind::StaticKeys,
                    account_id: None,
                    role: None,
                    region: None,
                    appearance: Appearance {
                        color: Color::Blue,
                        icon: Icon::Tree,
                    },
                }],
            }),
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
    }

    #[test]
    fn type_names_match_serde_tags() {
        let all = [
            Request::Hello(Hello {
                client: "c".into(),
                version: "1".into(),
            }),
            Request::ListProfiles,
            Request::OpenConsole(OpenConsole {
                profile: "p".into(),
                region: None,
                destination: None,
                mfa_code: None,
            }),
        ];
        assert_eq!(all.len(), Request::TYPES.len());
        for (req, name) in all.iter().zip(Request::TYPES) {
            let json = serde_json::to_value(req).expect("serialises");
            assert_eq!(json["type"], *name);
            assert_eq!(req.type_name(), *name);
        }
    }
}
