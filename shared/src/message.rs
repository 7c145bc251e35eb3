//! Requests, replies and their payloads.
//!
//! Wire shape (JSON, one object per native-messaging frame):
//! - request: `{"v":1,"id":7,"type":"open_console",...fields}`
//! - reply:   `{"v":1,"id":7,"ok":{"type":"open_console",...}}` or
//!   `{"v":1,"id":7,"err":{"code":"unknown_profile","message":"…","hint":"…"}}`
//! - event (host → extension, unasked): `{"v":1,"event":"open_tab",...fields}`

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
    /// From the CLI, over the host's local socket: sign in as `open_console` does, and have the
    /// browser that runs this host open the console tab (the `open_tab` event).
    OpenInBrowser(OpenConsole),
    /// From the extension: how an `open_tab` event ended.
    OpenTabResult(OpenTabResult),
    /// From the extension: sign in to the IAM Identity Center login of an SSO profile (the
    /// device flow; the host sends `sso_device_code` when the code is ready).
    SsoLogin(SsoLogin),
}

impl Request {
    /// Every request `type`, as on the wire.
    pub const TYPES: &'static [&'static str] = &[
        "hello",
        "list_profiles",
        "open_console",
        "open_in_browser",
        "open_tab_result",
        "sso_login",
    ];

    /// This request's `type` on the wire.
    pub fn type_name(&self) -> &'static str {
        match self {
            Request::Hello(_) => "hello",
            Request::ListProfiles => "list_profiles",
            Request::OpenConsole(_) => "open_console",
            Request::OpenInBrowser(_) => "open_in_browser",
            Request::OpenTabResult(_) => "open_tab_result",
            Request::SsoLogin(_) => "sso_login",
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

/// `open_console` and `open_in_browser`: which profile, and optionally where in the console.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenConsole {
    /// Profile name as in `~/.aws/config`.
    pub profile: String,
    /// Console region; defaults to the profile's `region`, then the partition's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// A service shortcut (`ec2`, `s3`, `iam`, …: `roleport services` lists them) to land on.
    /// Exclusive with `destination`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// A console URL to land on. Must be inside the partition's console domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// The current code of the profile's MFA device, sent after an `mfa_required` error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_code: Option<String>,
}

/// `sso_login`: the SSO profile whose login to sign in to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoLogin {
    /// An SSO profile (or an `[sso-session]` name).
    pub profile: String,
}

/// Answer to `sso_login`: the token is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoLoggedIn {
    /// The profile asked for.
    pub profile: String,
    /// The login signed in to: the `sso-session` name, or the legacy profile's name.
    pub login: String,
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
    /// Answer to `open_in_browser`: where the browser opened the console.
    OpenInBrowser(OpenedInBrowser),
    /// Answer to `open_tab_result`: the host took note.
    OpenTabResult,
    /// Answer to `sso_login`: signed in, the token is stored.
    SsoLogin(SsoLoggedIn),
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
    /// `role_arn` assumed from a `source_profile` (or a `credential_source`).
    AssumeRole,
    /// `credential_process`: a program prints the credentials.
    CredentialProcess,
    /// IAM Identity Center (`sso_session` or `sso_start_url`).
    Sso,
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
    /// What the person should know about this session (e.g. a duration capped by AWS).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    /// Container / tab-group colour and icon.
    #[serde(flatten)]
    pub appearance: Appearance,
}

/// Where a profile's console tab was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedTab {
    /// The profile that was opened.
    pub profile: String,
    /// The browser's id of the new tab.
    pub tab_id: i64,
    /// The container or tab group holding it.
    #[serde(flatten)]
    pub place: Place,
    /// What the host said the person should know about the session (e.g. a capped duration).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}

/// The isolation a tab was opened in: `{"container": "firefox-container-3"}` or `{"group": 7}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// Firefox: the container's `cookieStoreId`.
    Container(String),
    /// Chromium: the tab group's id.
    Group(i64),
}

/// The browser family a host was started by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Browser {
    /// Firefox (containers).
    Firefox,
    /// Chromium, Chrome, Edge, Brave, Vivaldi… (tab groups).
    Chromium,
}

impl Browser {
    /// Its name on the wire and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Browser::Firefox => "firefox",
            Browser::Chromium => "chromium",
        }
    }
}

/// Answer to `open_in_browser`. Never holds the sign-in URL: only the browser sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedInBrowser {
    /// The browser that opened the tab.
    pub browser: Browser,
    /// The profile, the tab and its container / tab group.
    #[serde(flatten)]
    pub tab: OpenedTab,
    /// The account signed in to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The role signed in as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// `open_tab_result`: the extension's report on one `open_tab` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenTabResult {
    /// The `event_id` of the `open_tab` event this reports on.
    pub event_id: u64,
    /// `ok`: where the tab was opened; `err`: why it was not.
    #[serde(flatten)]
    pub outcome: TabOutcome,
}

/// How opening a tab ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TabOutcome {
    /// The tab is open.
    Ok(OpenedTab),
    /// The browser refused (or the extension failed); the error says why.
    Err(ProtocolError),
}

/// A host-initiated message to the extension: `{"v":1,"event":"open_tab",…}`. It has no `id`
/// and gets no reply; an event that wants an answer carries an `event_id` that the
/// extension's answering request names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFrame {
    /// Protocol version of the host.
    pub v: u32,
    /// The event; its `event` tag sits beside `v`.
    #[serde(flatten)]
    pub event: Event,
}

impl EventFrame {
    /// Wraps an event in a frame of the current protocol version.
    pub fn new(event: Event) -> EventFrame {
        EventFrame {
            v: PROTOCOL_VERSION,
            event,
        }
    }
}

/// Everything the host can tell the extension without being asked. Events come only over
/// the native-messaging port, never from a web page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Open this one-time sign-in URL in the profile's container / tab group, then answer
    /// with `open_tab_result`. Sent when `roleport open` asks the running browser.
    OpenTab(OpenTab),
    /// An `sso_login` is waiting for the person: open the verification page in a normal tab
    /// (it is the identity provider's page, not an account's console). No answer.
    SsoDeviceCode(SsoDeviceCode),
}

impl Event {
    /// Every event name, as on the wire.
    pub const NAMES: &'static [&'static str] = &["open_tab", "sso_device_code"];

    /// This event's name on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Event::OpenTab(_) => "open_tab",
            Event::SsoDeviceCode(_) => "sso_device_code",
        }
    }
}

/// `sso_device_code`: the page where the person approves an `sso_login`, and its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoDeviceCode {
    /// Chosen by the host (events are numbered in one sequence).
    pub event_id: u64,
    /// The profile of the `sso_login` this belongs to.
    pub profile: String,
    /// The code the verification page shows, for the person to compare.
    pub user_code: String,
    /// The verification page with the code filled in (checked by the host: an AWS host, or
    /// the configured `AWS_ENDPOINT_URL_SSO_OIDC`).
    pub verification_uri_complete: String,
    /// Seconds the code stays valid.
    pub expires_in: i64,
}

/// `open_tab`: an `open_console` result to put in a tab, and the id to answer with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenTab {
    /// Chosen by the host; named by the `open_tab_result` that answers this event.
    pub event_id: u64,
    /// The sign-in URL and how to show its tab, exactly as `open_console` answers.
    #[serde(flatten)]
    pub console: OpenConsoleOk,
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
                appearance: Appearance {
                    color: Color::Red,
                    icon: Icon::Fence,
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
        assert_eq!(
            serde_json::from_value::<Response>(value).expect("parses"),
            ok
        );
    }
}
