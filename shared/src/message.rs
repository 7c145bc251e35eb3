//! Requests, replies and their payloads.
//!
//! Wire shape (JSON, one object per native-messaging frame):
//! - request: `{"v":1,"id":7,"type":"open_console",...fields}`
//! - reply:   `{"v":1,"id":7,"ok":{"type":"open_console",...}}` or
//!   `{"v":1,"id":7,"err":{"code":"unknown_profile","message":"…","hint":"…"}}`
//! - event (host → extension, unasked): `{"v":1,"event":"open_tab",...fields}`

use serde::{Deserialize, Serialize};

use crate::discovery::{SsoSync, SsoSyncProgress, SsoSynced};
use crate::saml::{SamlOpen, SamlRoleList, SamlRoles};
use crate::settings::{SettingsDoc, SettingsPut};
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
    /// The profiles the popup can show; with a `cursor`, one page of them.
    ListProfiles(ListProfiles),
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
    /// From the extension: the SAML response an identity provider posted to AWS; the host
    /// keeps it and answers with its roles and a handle.
    SamlRoles(SamlRoles),
    /// From the extension: sign in as one role of a `saml_roles` answer (AssumeRoleWithSAML).
    SamlOpen(SamlOpen),
    /// From the extension: discover every account and role of the IAM Identity Center logins
    /// (`sso_sync_progress` events while it runs).
    SsoSync(SsoSync),
    /// From the extension's options page: roleport's own settings file, parsed.
    SettingsGet,
    /// From the extension's options page: check these settings and save them in the file.
    SettingsPut(SettingsPut),
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
        "saml_roles",
        "saml_open",
        "sso_sync",
        "settings_get",
        "settings_put",
    ];

    /// This request's `type` on the wire.
    pub fn type_name(&self) -> &'static str {
        match self {
            Request::Hello(_) => "hello",
            Request::ListProfiles(_) => "list_profiles",
            Request::OpenConsole(_) => "open_console",
            Request::OpenInBrowser(_) => "open_in_browser",
            Request::OpenTabResult(_) => "open_tab_result",
            Request::SsoLogin(_) => "sso_login",
            Request::SamlRoles(_) => "saml_roles",
            Request::SamlOpen(_) => "saml_open",
            Request::SsoSync(_) => "sso_sync",
            Request::SettingsGet => "settings_get",
            Request::SettingsPut(_) => "settings_put",
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
/// `Debug` hides `password` (and `mfa_code`), so a logged request shows no secret.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A Cognito profile's password, sent after a `password_required` error. The host uses
    /// it for one sign-in and keeps it nowhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl std::fmt::Debug for OpenConsole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "[REDACTED]");
        f.debug_struct("OpenConsole")
            .field("profile", &self.profile)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("destination", &self.destination)
            .field("mfa_code", &hidden(&self.mfa_code))
            .field("password", &hidden(&self.password))
            .finish()
    }
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
#[serde(try_from = "crate::decode::ReplyFields")]
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

/// The result of each request type. Decoded by `decode.rs`, which needs `type` first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    /// Answer to `hello`.
    Hello(HelloOk),
    /// Answer to `list_profiles`: the whole list, or one page of it.
    ListProfiles(ProfilePage),
    /// Answer to `open_console`.
    OpenConsole(OpenConsoleOk),
    /// Answer to `open_in_browser`: where the browser opened the console.
    OpenInBrowser(OpenedInBrowser),
    /// Answer to `open_tab_result`: the host took note.
    OpenTabResult,
    /// Answer to `sso_login`: signed in, the token is stored.
    SsoLogin(SsoLoggedIn),
    /// Answer to `sso_sync`: what each login's sync found.
    SsoSync(SsoSynced),
    /// Answer to `saml_roles`: the assertion's roles and its handle.
    SamlRoles(SamlRoleList),
    /// Answer to `saml_open`: as `open_console`'s, `profile` being the role's `name`.
    SamlOpen(OpenConsoleOk),
    /// Answer to `settings_get`: the settings file and what it says.
    SettingsGet(SettingsDoc),
    /// Answer to `settings_put`: the file as saved.
    SettingsPut(SettingsDoc),
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

/// `list_profiles`: without `cursor` (old extensions, the CLI) the whole list in one reply;
/// with one, the page of profiles starting at that index, small enough for the browser's 1 MiB
/// limit whatever the number of profiles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListProfiles {
    /// Index of the first profile wanted: `0`, then each page's `next`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<u64>,
}

impl ListProfiles {
    /// The whole list in one reply (as before pages existed).
    pub fn whole() -> ListProfiles {
        ListProfiles::default()
    }

    /// The page that starts at profile `cursor`.
    pub fn page(cursor: u64) -> ListProfiles {
        ListProfiles {
            cursor: Some(cursor),
        }
    }
}

/// Answer to `list_profiles`: profiles, and where the next page starts when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "crate::decode::PageFields")]
pub struct ProfilePage {
    /// This page's profiles (all of them, without a `cursor`).
    #[serde(flatten)]
    pub list: ProfileList,
    /// The `cursor` of the next page; absent on the last (or only) one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<u64>,
}

impl ProfilePage {
    /// A reply holding the whole list.
    pub fn whole(list: ProfileList) -> ProfilePage {
        ProfilePage { list, next: None }
    }
}

/// Profiles, as the popup shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileList {
    /// Profiles that can open a console, sorted by name.
    pub profiles: Vec<ProfileSummary>,
    /// roleport's settings file is broken (`settings_invalid`, naming line and column): the
    /// profiles above carry their own and default colours until it is fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings_error: Option<ProtocolError>,
}

/// What the popup shows for one profile. Never a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "crate::decode::SummaryFields")]
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
    /// The account's name, when known (IAM Identity Center discovery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    /// Not in `~/.aws/config`: a role found by `sso_sync` (`roleport sso sync`), named
    /// `<account>/<role>`; it opens like a configured SSO profile.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub discovered: bool,
    /// `roleport_tags` (`key=value` each): the role's session tags, which the popup's search
    /// also matches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Container / tab-group colour, icon and label.
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
    /// A Cognito user pool + identity pool (`roleport_cognito_*` keys).
    Cognito,
}

/// Answer to `open_console`: the one-time sign-in URL and how to show its tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "crate::decode::ConsoleFields")]
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
    /// The console region the session opens in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Where this session signs out: the partition's `…/oauth?Action=logout` on the sign-in
    /// host that signed it in (chosen by the host only, like every sign-in host). The
    /// extension loads it in the session's container / tab group on "Sign out".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logout_url: Option<String>,
    /// Container / tab-group colour, icon and label.
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
    /// A running `sso_sync` moved on. No answer.
    SsoSyncProgress(SsoSyncProgress),
}

impl Event {
    /// Every event name, as on the wire.
    pub const NAMES: &'static [&'static str] =
        &["open_tab", "sso_device_code", "sso_sync_progress"];

    /// This event's name on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Event::OpenTab(_) => "open_tab",
            Event::SsoDeviceCode(_) => "sso_device_code",
            Event::SsoSyncProgress(_) => "sso_sync_progress",
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
#[serde(try_from = "crate::decode::ConsoleFields")]
pub struct OpenTab {
    /// Chosen by the host; named by the `open_tab_result` that answers this event.
    pub event_id: u64,
    /// The sign-in URL and how to show its tab, exactly as `open_console` answers.
    #[serde(flatten)]
    pub console: OpenConsoleOk,
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
