//! The live console sessions: one per profile, where it lives (container / tab group, and
//! whether Chromium isolation keeps its cookie jar), its tabs, who it is signed in as and
//! until when. Pure: the background feeds it browser events and stores it in
//! `storage.session` after each change ([`super`]).

use litemap::LiteMap;
use roleport_protocol::Place;
use serde::{Deserialize, Serialize};

use crate::sorted;

/// One console session: a sign-in, and the tabs that share its cookies. Stored through
/// serde, read back by [`crate::stored::registry`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    /// The profile signed in to (also the container / tab group / jar name).
    pub profile: String,
    /// Its container (Firefox) or tab group (Chromium).
    #[serde(flatten)]
    pub place: Place,
    /// Chromium isolation keeps its cookies in the profile's jar.
    #[serde(default)]
    pub isolated: bool,
    /// The tabs that carry the session, in ascending order, each once.
    #[serde(default)]
    pub tabs: Vec<i64>,
    /// The account signed in to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The role signed in as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The console region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// When the session ends, in milliseconds since the epoch (unknown: never shown as over).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<f64>,
    /// When it was signed in, in milliseconds since the epoch.
    pub opened_at: f64,
    /// Where a new tab of this session goes (the sign-in's console destination).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_url: Option<String>,
    /// Where it signs out (from the host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logout_url: Option<String>,
    /// Its tabs carry the "expired" mark.
    #[serde(default)]
    pub marked: bool,
}

impl Session {
    /// Whether the session has ended by `now` (ms since the epoch).
    pub fn expired(&self, now: f64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// Live or over: what a popup row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// Signed in.
    Live,
    /// Past its expiry: its tabs are signed out; a click renews it.
    Expired,
}

impl SessionState {
    /// The word of `data-session`.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Live => "live",
            SessionState::Expired => "expired",
        }
    }
}

/// What the popup gets for one session (no URL: the popup needs none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The profile.
    pub profile: String,
    /// Live or expired, as of the answer.
    pub state: SessionState,
    /// The account signed in to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The role signed in as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The console region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// When it ends, in ms since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// How many tabs carry it.
    pub tabs: usize,
}

/// Every session, by profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Registry {
    /// Profile → its session.
    pub sessions: LiteMap<String, Session>,
}

impl Registry {
    /// A sign-in opened `session` (one tab, usually). A profile signed in again keeps its
    /// other tabs: they share the container / jar the new sign-in's cookie lands in.
    pub fn signed_in(&mut self, mut session: Session) {
        // A tab belongs to one session only: a tab reused for another profile leaves the old.
        for tab in session.tabs.clone() {
            self.tab_closed(tab);
        }
        if let Some(old) = self.sessions.remove(&session.profile) {
            if old.place == session.place {
                session.tabs = sorted::set_of(session.tabs.into_iter().chain(old.tabs));
            }
        }
        self.sessions.insert(session.profile.clone(), session);
    }

    /// `tab` now carries `profile`'s session (a second tab it opened); false when there is
    /// no such session or nothing changed.
    pub fn add_tab(&mut self, profile: &str, tab: i64) -> bool {
        self.sessions
            .get_mut(profile)
            .is_some_and(|s| sorted::insert(&mut s.tabs, tab))
    }

    /// A tab opened from `source` joins its session (it shares its cookies).
    pub fn opened_from(&mut self, source: i64, tab: i64) -> bool {
        match self.profile_of(source).map(str::to_owned) {
            Some(profile) => self.add_tab(&profile, tab),
            None => false,
        }
    }

    /// `tab` closed: it leaves its session, and a session without tabs is over. Returns the
    /// profile whose session it was, if any.
    pub fn tab_closed(&mut self, tab: i64) -> Option<String> {
        let profile = self.profile_of(tab)?.to_owned();
        let session = self.sessions.get_mut(&profile)?;
        session.tabs.retain(|&t| t != tab);
        if session.tabs.is_empty() {
            self.sessions.remove(&profile);
        }
        Some(profile)
    }

    /// Keeps only the tabs in `open` (after a restart, tabs may have closed unseen).
    pub fn keep_tabs(&mut self, open: &[i64]) -> bool {
        let before = self.clone();
        for (_, session) in self.sessions.iter_mut() {
            session.tabs.retain(|t| open.contains(t));
        }
        self.sessions.retain(|_, s| !s.tabs.is_empty());
        *self != before
    }

    /// The profile whose session `tab` carries.
    pub fn profile_of(&self, tab: i64) -> Option<&str> {
        self.sessions
            .values()
            .find(|s| s.tabs.contains(&tab))
            .map(|s| s.profile.as_str())
    }

    /// The sessions that have ended by `now` and whose tabs are not marked yet; they are
    /// counted as marked from now on.
    pub fn newly_expired(&mut self, now: f64) -> Vec<Session> {
        let mut ended = Vec::new();
        for (_, session) in self.sessions.iter_mut() {
            if session.expired(now) && !session.marked {
                session.marked = true;
                ended.push(session.clone());
            }
        }
        ended
    }

    /// When the next unmarked session ends, if any does.
    pub fn next_expiry(&self) -> Option<f64> {
        self.sessions
            .values()
            .filter(|s| !s.marked)
            .filter_map(|s| s.expires_at)
            .reduce(f64::min)
    }

    /// What the popup shows, by profile name.
    pub fn infos(&self, now: f64) -> Vec<SessionInfo> {
        self.sessions
            .values()
            .map(|s| SessionInfo {
                profile: s.profile.clone(),
                state: if s.expired(now) {
                    SessionState::Expired
                } else {
                    SessionState::Live
                },
                account_id: s.account_id.clone(),
                role: s.role.clone(),
                region: s.region.clone(),
                expires_at: s.expires_at.map(|t| t as i64),
                tabs: s.tabs.len(),
            })
            .collect()
    }
}

/// A session's time left, as the popup shows it: "2 h 5 min", "42 min", "3:05" (under ten
/// minutes, to the second), "expired".
pub fn countdown(remaining_ms: f64) -> String {
    if remaining_ms.is_nan() || remaining_ms <= 0.0 {
        return "expired".to_owned();
    }
    let seconds = (remaining_ms / 1000.0).ceil() as u64;
    let minutes = seconds.div_ceil(60);
    match seconds {
        s if s < 600 => format!("{}:{:02}", s / 60, s % 60),
        _ if minutes < 60 => format!("{minutes} min"),
        _ if minutes.is_multiple_of(60) => format!("{} h", minutes / 60),
        _ => format!("{} h {} min", minutes / 60, minutes % 60),
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
