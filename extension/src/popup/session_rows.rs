//! The popup model's view of the background's console sessions: which profile has one, the
//! rows' markers, and each countdown's text.

use super::model::Model;
use crate::sessions::registry::{countdown, SessionInfo, SessionState};

impl Model {
    /// The session of `profile`, if the background knows one.
    pub fn session(&self, profile: &str) -> Option<&SessionInfo> {
        self.sessions.iter().find(|s| s.profile == profile)
    }

    /// Which profiles are signed in or expired: the rows' markers (the countdowns alone change
    /// every second and redraw only the sessions list).
    pub fn session_markers(&self) -> Vec<(&str, SessionState)> {
        self.sessions
            .iter()
            .map(|s| (s.profile.as_str(), s.state))
            .collect()
    }

    /// What a session's countdown shows now.
    pub fn time_left(&self, session: &SessionInfo) -> String {
        match (session.state, session.expires_at) {
            (SessionState::Expired, _) => "expired".to_owned(),
            (SessionState::Live, Some(at)) => countdown((at - self.now) as f64),
            (SessionState::Live, None) => "signed in".to_owned(),
        }
    }
}
