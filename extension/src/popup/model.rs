//! The popup's state and how each message changes it. No DOM here: [`super::view`] draws a
//! [`Model`], [`super::app`] feeds it [`Msg`]s and carries out the requests it returns.

use roleport_protocol::{
    ErrorCode, ProfileKind, ProfileList, ProfileSummary, ProtocolError, SsoSyncProgress, SsoSynced,
};

use super::fuzzy;
use super::narrowing::Narrowing;
use super::prefs::Prefs;
use super::sync::{self, SyncState};
use crate::messages::{OpenOutcome, OpenedTab, PopupRequest};
use crate::sessions::registry::SessionInfo;
use crate::switch_roles::SwitchRole;

/// Everything the popup shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Model {
    /// Profiles from the host, sorted by name.
    pub profiles: Vec<ProfileSummary>,
    /// True until the first answer to `list_profiles`.
    listing: bool,
    /// What the search box holds.
    pub filter: String,
    /// Index of the highlighted row among the visible ones.
    pub selected: usize,
    /// The profile being opened, if any.
    pub opening: Option<String>,
    /// The profile opened last.
    pub opened: Option<String>,
    /// What the host said about that session (e.g. its duration was capped).
    pub notices: Vec<String>,
    /// The error to show, with its hint.
    pub error: Option<ProtocolError>,
    /// The MFA code the host asked for, while the person types it.
    pub mfa: Option<MfaPrompt>,
    /// Profiles marked to open together, in the order they were marked.
    pub marked: Vec<String>,
    /// Favourites and recents, remembered across openings.
    pub prefs: Prefs,
    /// The stored favourites and recents have arrived. Until then no row is drawn: rows drawn
    /// alphabetically would jump when the favourites move to the top, under a click already
    /// on its way, and a star or an open recorded meanwhile would overwrite what was stored.
    prefs_known: bool,
    /// The order the rows are drawn in: the stored recents as this popup opened, and the
    /// favourites as they are now. An open is remembered for the next popup, not applied to
    /// this one: rows moving as a reply arrives would put another row under the next click.
    ranking: Prefs,
    /// The IAM Identity Center sign-in the host asked for.
    pub sso: Option<SsoPrompt>,
    /// The "Sync SSO accounts" button's discovery.
    pub sync: SyncState,
    /// Role profiles remembered from the last listing: Switch Role links when the host is
    /// not reachable.
    pub offline: Vec<SwitchRole>,
    /// Each profile's lowercased search fields, in `profiles` order; empty until the first
    /// search needs them ([`Model::prepare_search`]): at 5,000 profiles making them costs the
    /// popup's first paint milliseconds that the unfiltered list does not need.
    haystacks: Vec<fuzzy::Haystack>,
    /// The matches of the filters typed so far (a keystroke ranks only what can still match).
    narrowing: Narrowing,
    /// Indices into `profiles` of the rows to draw, best first, at most [`ROW_LIMIT`];
    /// recomputed after every message (ranking 5,000 profiles once, not once per use).
    shown: Vec<usize>,
    /// How many profiles the filter lets through (`shown` may hold fewer).
    matches: usize,
    /// The console sessions the background knows of, by profile name.
    pub sessions: Vec<SessionInfo>,
    /// When the background last listed them (ms since the epoch): the countdowns count from it.
    pub now: i64,
    /// What the last sign-out did, for the status line.
    pub session_note: Option<String>,
}

/// The most rows the popup draws: beyond that, typing narrows faster than scrolling, and
/// drawing thousands of rows would cost every keystroke tens of milliseconds.
pub const ROW_LIMIT: usize = 100;

/// An SSO profile whose login has no usable token: the "Sign in" button, then the wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoPrompt {
    /// The profile whose open needs the login.
    pub profile: String,
    /// The login's name (`sso-session` or legacy profile), as the host's message gives it.
    pub login: String,
    /// The host's words: which login, and why.
    pub message: String,
    /// True once the person clicked "Sign in" and the background is waiting for approval.
    pub waiting: bool,
    /// The code the verification page shows, once the host has it.
    pub user_code: Option<String>,
}

/// What a prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// The current code of an MFA device (`mfa_required`).
    MfaCode,
    /// A Cognito user's password (`password_required`).
    Password,
}

/// A request for the code of a profile's MFA device, or for a Cognito password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaPrompt {
    /// The profile whose open is waiting for the code.
    pub profile: String,
    /// A code or a password.
    pub kind: PromptKind,
    /// The host's words: which device, and why.
    pub message: String,
    /// Changes with every new prompt, so the view knows to clear the field.
    pub serial: u32,
}

/// Something that happened in the popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// The background answered `list_profiles`.
    Loaded(Result<ProfileList, ProtocolError>),
    /// The search box changed.
    Filter(String),
    /// Arrow keys: move the highlight by this many visible rows.
    Move(isize),
    /// Enter: open the marked rows, else the highlighted one (the first visible one unless
    /// moved); `background`: Ctrl/Cmd+Enter, the tabs open without taking focus.
    OpenSelected {
        /// Open without switching to the new tab.
        background: bool,
    },
    /// Space: mark or unmark the highlighted row.
    ToggleMark,
    /// The stored favourites and recents arrived.
    PrefsLoaded(Prefs),
    /// The star of a row, or `*` on the highlighted row.
    ToggleFavourite(Option<String>),
    /// The background answered `open_many`.
    OpenedMany(Result<Vec<OpenOutcome>, ProtocolError>),
    /// A row was clicked.
    Open(String),
    /// The background answered `open`.
    Opened(Result<OpenedTab, ProtocolError>),
    /// The person submitted an MFA code.
    SubmitMfa(String),
    /// The person dismissed the MFA prompt.
    CancelMfa,
    /// The "Sign in to …" button of the SSO prompt.
    SsoLogin,
    /// The background's answer to `sso_status`: the code to show, once known.
    SsoCode(Option<String>),
    /// The background answered `sso_login`: signed in and the console opened, or why not.
    SsoDone(Result<OpenedTab, ProtocolError>),
    /// The person dismissed the SSO prompt.
    CancelSso,
    /// The "Sync SSO accounts" button.
    Sync,
    /// The background's latest `sso_sync_progress`, while the sync runs.
    SyncProgress(Option<SsoSyncProgress>),
    /// The background answered `sso_sync`.
    Synced(Result<SsoSynced, ProtocolError>),
    /// The role profiles remembered from an earlier listing arrived from storage.
    OfflineLoaded(Vec<SwitchRole>),
    /// The background's sessions, and the time it is (the popup asks every second).
    Sessions(Vec<SessionInfo>, i64),
    /// The "Sign out" button of a session.
    SignOut(String),
    /// The background answered `sign_out`.
    SignedOut(String, Result<(), ProtocolError>),
}

impl Model {
    /// The popup as it opens, and the request that fills it.
    pub fn new() -> (Model, PopupRequest) {
        (
            Model {
                listing: true,
                ..Model::default()
            },
            PopupRequest::list(true),
        )
    }

    /// Applies `msg`; returns the request to send to the background, if one is due.
    pub fn update(&mut self, msg: Msg) -> Option<PopupRequest> {
        let request = self.apply(msg);
        self.refresh();
        request
    }

    fn apply(&mut self, msg: Msg) -> Option<PopupRequest> {
        match msg {
            Msg::Loaded(result) => {
                self.listing = false;
                match result {
                    Ok(list) => {
                        self.haystacks.clear();
                        self.narrowing.clear();
                        self.profiles = list.profiles;
                        // A broken settings file: the profiles still list, and the alert
                        // says which line.
                        self.error = list.settings_error;
                    }
                    Err(e) => {
                        // Profiles shown from the background's last list cannot be opened
                        // without a host: the Switch Role links take their place.
                        if e.code == ErrorCode::HostUnavailable {
                            self.profiles.clear();
                            self.haystacks.clear();
                            self.narrowing.clear();
                        }
                        self.error = Some(e);
                    }
                }
                None
            }
            Msg::Filter(filter) => {
                self.filter = filter;
                self.selected = 0;
                None
            }
            Msg::Move(by) => {
                let count = self.visible().len();
                if count > 0 {
                    let moved = self.selected as isize + by;
                    self.selected = moved.clamp(0, count as isize - 1) as usize;
                }
                None
            }
            Msg::OpenSelected { background } => {
                if !self.marked.is_empty() {
                    let profiles = std::mem::take(&mut self.marked);
                    self.opening = Some(profiles.join(", "));
                    self.opened = None;
                    self.notices.clear();
                    self.error = None;
                    return Some(PopupRequest::OpenMany {
                        profiles,
                        background,
                    });
                }
                let name = self.visible().get(self.selected).map(|p| p.name.clone())?;
                self.open_with(name, None, background)
            }
            Msg::PrefsLoaded(prefs) => {
                self.ranking = prefs.clone();
                self.prefs = prefs;
                self.prefs_known = true;
                None
            }
            Msg::ToggleFavourite(name) => {
                let name =
                    name.or_else(|| self.visible().get(self.selected).map(|p| p.name.clone()))?;
                self.prefs.toggle_favourite(&name);
                self.ranking.favourites.clone_from(&self.prefs.favourites);
                None
            }
            Msg::ToggleMark => {
                let name = self.visible().get(self.selected).map(|p| p.name.clone())?;
                match self.marked.iter().position(|m| *m == name) {
                    Some(at) => {
                        self.marked.remove(at);
                    }
                    None => self.marked.push(name),
                }
                None
            }
            Msg::OpenedMany(result) => {
                self.opening = None;
                match result {
                    Err(e) => self.error = Some(e),
                    Ok(outcomes) => {
                        let (opened, failed): (Vec<_>, Vec<_>) =
                            outcomes.into_iter().partition(|o| o.result().is_ok());
                        for o in opened.iter().rev() {
                            self.prefs.opened(&o.profile);
                        }
                        self.opened = (!opened.is_empty()).then(|| {
                            opened
                                .iter()
                                .map(|o| o.profile.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        });
                        self.error = failed.first().map(|_| many_failed(&failed));
                    }
                }
                None
            }
            Msg::Open(profile) => self.open(profile, None),
            Msg::Opened(result) => {
                let profile = self.opening.take();
                match result {
                    Ok(tab) => {
                        self.prefs.opened(&tab.profile);
                        self.opened = Some(tab.profile);
                        self.notices = tab.notices;
                        self.mfa = None;
                    }
                    Err(e) if e.code == ErrorCode::SsoLoginRequired => {
                        let profile = profile.unwrap_or_default();
                        self.mfa = None;
                        self.error = None;
                        self.sso = Some(SsoPrompt {
                            login: first_code(&e.message).unwrap_or(&profile).to_owned(),
                            profile,
                            message: e.message,
                            waiting: false,
                            user_code: None,
                        });
                    }
                    Err(e) if is_mfa_prompt(&e) => {
                        let serial = self.mfa.as_ref().map_or(0, |m| m.serial + 1);
                        let kind = if e.code == ErrorCode::PasswordRequired {
                            PromptKind::Password
                        } else {
                            PromptKind::MfaCode
                        };
                        self.mfa = Some(MfaPrompt {
                            profile: profile.unwrap_or_default(),
                            kind,
                            message: e.message.clone(),
                            serial,
                        });
                        // A first prompt needs no alert; a refused code does.
                        self.error = (e.code == ErrorCode::MfaInvalid).then_some(e);
                    }
                    Err(e) => {
                        self.mfa = None;
                        self.error = Some(e);
                    }
                }
                None
            }
            Msg::SubmitMfa(code) => {
                let prompt = self.mfa.clone()?;
                if prompt.kind == PromptKind::Password {
                    return self.open_with_password(prompt.profile, code);
                }
                let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
                if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
                    self.error = Some(ProtocolError::new(
                        ErrorCode::MfaInvalid,
                        "An MFA code is six digits.",
                        "Type the code your authenticator shows now.",
                    ));
                    return None;
                }
                self.open(prompt.profile, Some(code))
            }
            Msg::CancelMfa => {
                self.mfa = None;
                self.error = None;
                None
            }
            Msg::SsoLogin => {
                let prompt = self.sso.as_mut().filter(|p| !p.waiting)?;
                prompt.waiting = true;
                self.error = None;
                self.opened = None;
                self.notices.clear();
                Some(PopupRequest::SsoLogin {
                    profile: prompt.profile.clone(),
                })
            }
            Msg::SsoCode(code) => {
                if let Some(prompt) = self.sso.as_mut().filter(|p| p.waiting) {
                    if code.is_some() {
                        prompt.user_code = code;
                    }
                }
                None
            }
            Msg::SsoDone(result) => {
                let prompt = self.sso.take();
                if self.opening.is_none() {
                    self.opening = prompt.map(|p| p.profile);
                }
                self.apply(Msg::Opened(result))
            }
            Msg::CancelSso => {
                self.sso = None;
                None
            }
            Msg::Sync => {
                if self.sync.running() {
                    return None;
                }
                self.sync = SyncState::Running(None);
                self.error = None;
                Some(PopupRequest::SsoSync)
            }
            Msg::SyncProgress(progress) => {
                if self.sync.running() && progress.is_some() {
                    self.sync = SyncState::Running(progress);
                }
                None
            }
            Msg::Synced(Ok(synced)) => {
                self.sync = SyncState::Done(sync::summary(&synced));
                Some(PopupRequest::list(false))
            }
            Msg::Synced(Err(e)) => {
                self.sync = SyncState::Idle;
                self.error = Some(e);
                None
            }
            Msg::OfflineLoaded(roles) => {
                self.offline = roles;
                None
            }
            Msg::Sessions(sessions, now) => {
                self.sessions = sessions;
                self.now = now;
                None
            }
            Msg::SignOut(profile) => {
                self.error = None;
                self.opened = None;
                self.session_note = Some(format!("Signing out of {profile}…"));
                Some(PopupRequest::SignOut { profile })
            }
            Msg::SignedOut(profile, result) => {
                match result {
                    Ok(()) => {
                        self.sessions.retain(|s| s.profile != profile);
                        self.session_note = Some(format!("Signed out of {profile}"));
                    }
                    Err(e) => {
                        self.session_note = None;
                        self.error = Some(e);
                    }
                }
                None
            }
        }
    }

    /// The Switch Role links to offer: only while the host cannot be reached.
    pub fn switch_roles(&self) -> &[SwitchRole] {
        if self.host_missing() {
            &self.offline
        } else {
            &[]
        }
    }

    /// The host cannot be reached and nothing is listed: the popup offers Switch Role links.
    pub fn host_missing(&self) -> bool {
        matches!(&self.error, Some(e) if e.code == ErrorCode::HostUnavailable)
            && self.profiles.is_empty()
    }

    /// Whether any profile uses IAM Identity Center (the sync button is shown then).
    pub fn has_sso(&self) -> bool {
        self.profiles.iter().any(|p| p.kind == ProfileKind::Sso)
    }

    /// Opens with a typed Cognito password. The prompt closes; the host asks again
    /// (`password_required`) when Cognito refuses it.
    fn open_with_password(&mut self, profile: String, password: String) -> Option<PopupRequest> {
        if password.is_empty() {
            self.error = Some(ProtocolError::new(
                ErrorCode::PasswordRequired,
                "The password is empty.",
                "Type the Cognito user's password.",
            ));
            return None;
        }
        let mut request = self.open(profile, None);
        if let Some(PopupRequest::Open { password: slot, .. }) = request.as_mut() {
            *slot = Some(password);
        }
        request
    }

    fn open(&mut self, profile: String, mfa_code: Option<String>) -> Option<PopupRequest> {
        self.open_with(profile, mfa_code, false)
    }

    fn open_with(
        &mut self,
        profile: String,
        mfa_code: Option<String>,
        background: bool,
    ) -> Option<PopupRequest> {
        if mfa_code.is_none() {
            self.mfa = None;
        }
        if self.sso.as_ref().is_some_and(|p| !p.waiting) {
            self.sso = None;
        }
        self.opening = Some(profile.clone());
        self.opened = None;
        self.session_note = None;
        self.notices.clear();
        self.error = None;
        Some(PopupRequest::Open {
            profile,
            mfa_code,
            password: None,
            background,
        })
    }

    /// True until both the profiles and the stored favourites have arrived.
    pub fn loading(&self) -> bool {
        self.listing || !self.prefs_known
    }

    /// The rows to draw: the profiles the filter lets through, best first (with no filter,
    /// favourites, then recents, then the host's alphabetical order), at most [`ROW_LIMIT`].
    pub fn visible(&self) -> Vec<&ProfileSummary> {
        self.shown.iter().map(|&i| &self.profiles[i]).collect()
    }

    /// How many profiles match the filter (more than [`Model::visible`] holds past the limit).
    pub fn matches(&self) -> usize {
        self.matches
    }

    /// Makes the profiles' search fields now, if not made yet: the popup calls this once the
    /// first rows are drawn, so the first keystroke need not.
    pub fn prepare_search(&mut self) {
        if self.haystacks.len() != self.profiles.len() {
            self.haystacks = self.profiles.iter().map(fuzzy::Haystack::of).collect();
        }
    }

    /// Ranks the profiles for the current filter and keeps the selection on a drawn row.
    fn refresh(&mut self) {
        if !self.prefs_known {
            self.shown.clear();
            self.matches = 0;
            return;
        }
        let words = fuzzy::words(&self.filter);
        // No words match every profile equally: no haystack needed.
        let mut ranked: Vec<(u32, usize)> = if words.is_empty() {
            (0..self.profiles.len()).map(|i| (0, i)).collect()
        } else {
            self.prepare_search();
            self.narrowing.matches(&words, &self.haystacks).to_vec()
        };
        // Stable: equal ranks keep the host's order. Favourites lead; with nothing typed,
        // the recently opened come next. Each key once (a favourite's lookup), not per
        // comparison.
        let typing = !words.is_empty();
        ranked.sort_by_cached_key(|&(rank, i)| {
            let (tier, at) = self.ranking.tier(&self.profiles[i].name);
            let tier = if typing { tier.min(1) } else { tier };
            (tier, std::cmp::Reverse(rank), at)
        });
        self.matches = ranked.len();
        self.shown = ranked.into_iter().take(ROW_LIMIT).map(|(_, i)| i).collect();
        self.selected = self.selected.min(self.shown.len().saturating_sub(1));
    }

    /// The line in the status area.
    pub fn status(&self) -> String {
        if let Some(prompt) = self.sso.as_ref().filter(|p| p.waiting) {
            return format!(
                "Waiting for the sign-in to {} to be approved in the new tab…",
                prompt.login
            );
        }
        if let Some(name) = &self.opening {
            return format!("Opening {name}…");
        }
        if let Some(note) = &self.session_note {
            return note.clone();
        }
        if let Some(name) = &self.opened {
            return match self.notices.as_slice() {
                [] => format!("Opened {name}"),
                notices => format!("Opened {name}. {}", notices.join(" ")),
            };
        }
        if self.loading() {
            return "Loading profiles…".to_owned();
        }
        if self.error.is_some() && self.profiles.is_empty() {
            return String::new();
        }
        match (self.profiles.len(), self.matches) {
            (0, _) => "No profiles in ~/.aws/config".to_owned(),
            (_, 0) => format!("No profile matches “{}”", self.filter.trim()),
            (all, shown) if all == shown => plural(all, "profile"),
            (all, shown) => format!("{shown} of {}", plural(all, "profile")),
        }
    }
}

/// Case-insensitive: every word of the filter occurs in the name, account id or role.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// One alert for the profiles of a multi-open that failed, each with its own reason.
fn many_failed(failed: &[OpenOutcome]) -> ProtocolError {
    let reasons: Vec<String> = failed
        .iter()
        .filter_map(|o| {
            o.result()
                .err()
                .map(|e| format!("{}: {}", o.profile, e.message))
        })
        .collect();
    let first = failed.iter().find_map(|o| o.result().err());
    ProtocolError::new(
        first.map_or(ErrorCode::Internal, |e| e.code),
        reasons.join(" · "),
        first.map_or_else(String::new, |e| e.hint.clone()),
    )
}

/// The first `backticked` part of a host message: the host names the login that way.
fn first_code(message: &str) -> Option<&str> {
    message.split('`').nth(1).filter(|s| !s.is_empty())
}

fn is_mfa_prompt(e: &ProtocolError) -> bool {
    matches!(
        e.code,
        ErrorCode::MfaRequired | ErrorCode::MfaInvalid | ErrorCode::PasswordRequired
    )
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
