//! The "Signed in" list and the rows' session markers. The list is rebuilt only when its
//! sessions or their states change; every other second only the countdowns' text moves, so a
//! focused button keeps its focus.

use roleport_protocol::ProfileSummary;
use wasm_bindgen::JsValue;
use web_sys::Element;

use super::View;
use crate::popup::model::Model;
use crate::sessions::registry::{SessionInfo, SessionState};

impl View {
    /// Draws the "Signed in" list (nothing when no session is open).
    pub fn render_sessions(&self, model: &Model) -> Result<(), JsValue> {
        let key = shape(model);
        let slot = &self.sessions_slot;
        if slot.get_attribute("data-shape").as_deref() == Some(key.as_str()) {
            return self.tick(model);
        }
        slot.set_text_content(None);
        slot.set_attribute("data-shape", &key)?;
        if model.sessions.is_empty() {
            slot.remove_attribute("aria-labelledby")?;
            return Ok(());
        }
        slot.set_attribute("aria-labelledby", "sessions-heading")?;
        let heading = self.element("h2", "sessions-heading")?;
        heading.set_id("sessions-heading");
        heading.set_text_content(Some("Signed in"));
        slot.append_child(&heading)?;
        let list = self.element("ul", "sessions")?;
        list.set_attribute("role", "list")?;
        list.set_attribute("data-sessions", "")?;
        for session in &model.sessions {
            list.append_child(&self.session_item(model, session)?.into())?;
        }
        slot.append_child(&list)?;
        Ok(())
    }

    fn session_item(&self, model: &Model, session: &SessionInfo) -> Result<Element, JsValue> {
        let name = &session.profile;
        let item = self.element("li", "session")?;
        item.set_attribute("data-live-session", name)?;
        item.set_attribute("data-session", session.state.as_str())?;
        let expired = session.state == SessionState::Expired;

        let go = self.element("button", "session-name")?;
        go.set_attribute("type", "button")?;
        go.set_attribute("data-focus-session", name)?;
        go.set_attribute(
            "title",
            &if expired {
                format!("Sign in to {name} again, in its tabs")
            } else {
                format!("Switch to the console of {name}")
            },
        )?;
        go.set_text_content(Some(name));
        item.append_child(&go)?;

        let details: Vec<&str> = [
            session.account_id.as_deref(),
            session.role.as_deref(),
            session.region.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !details.is_empty() {
            let meta = self.element("span", "meta")?;
            meta.set_text_content(Some(&details.join(" · ")));
            item.append_child(&meta)?;
        }

        let left = self.element("span", "countdown")?;
        left.set_attribute("role", "timer")?;
        left.set_attribute("data-countdown", name)?;
        self.set_countdown(&left, model, session)?;
        item.append_child(&left)?;

        if expired {
            let renew = self.element("button", "renew primary")?;
            renew.set_attribute("type", "button")?;
            renew.set_attribute("data-renew", name)?;
            renew.set_attribute("aria-label", &format!("Renew the session of {name}"))?;
            renew.set_text_content(Some("Renew"));
            item.append_child(&renew)?;
        }
        let out = self.element("button", "sign-out")?;
        out.set_attribute("type", "button")?;
        out.set_attribute("data-sign-out", name)?;
        out.set_attribute(
            "aria-label",
            &format!("Sign out of {name} and close its tabs"),
        )?;
        out.set_text_content(Some("Sign out"));
        item.append_child(&out)?;
        Ok(item)
    }

    /// Only the countdowns' text, in place.
    fn tick(&self, model: &Model) -> Result<(), JsValue> {
        for session in &model.sessions {
            let selector = format!("[data-countdown=\"{}\"]", css_string(&session.profile));
            if let Some(shown) = self.sessions_slot.query_selector(&selector)? {
                self.set_countdown(&shown, model, session)?;
            }
        }
        Ok(())
    }

    fn set_countdown(
        &self,
        shown: &Element,
        model: &Model,
        session: &SessionInfo,
    ) -> Result<(), JsValue> {
        let text = model.time_left(session);
        if shown.text_content().as_deref() != Some(text.as_str()) {
            shown.set_text_content(Some(&text));
        }
        let label = match session.state {
            SessionState::Expired => "session expired".to_owned(),
            SessionState::Live if session.expires_at.is_some() => format!("{text} left"),
            SessionState::Live => text,
        };
        shown.set_attribute("aria-label", &label)
    }

    /// A row's session marker (`data-session="live|expired"`, a word after its details) and
    /// its region.
    pub(super) fn mark_session(
        &self,
        row: &Element,
        profile: &ProfileSummary,
        model: &Model,
    ) -> Result<(), JsValue> {
        let Some(text) = row.query_selector(".text")? else {
            return Ok(());
        };
        let session = model.session(&profile.name);
        let region = session
            .and_then(|s| s.region.as_deref())
            .or(profile.region.as_deref());
        if let Some(region) = region {
            let shown = self.element("span", "region")?;
            shown.set_attribute("data-region", region)?;
            shown.set_text_content(Some(region));
            text.append_child(&shown)?;
        }
        let Some(session) = session else {
            return Ok(());
        };
        row.set_attribute("data-session", session.state.as_str())?;
        let (word, title) = match session.state {
            SessionState::Live => (
                "signed in",
                format!("Switch to the console of {} (signed in)", profile.name),
            ),
            SessionState::Expired => (
                "expired",
                format!("Sign in to {} again (its session expired)", profile.name),
            ),
        };
        row.set_attribute("title", &title)?;
        let marker = self.element("span", "session-marker")?;
        marker.set_text_content(Some(word));
        text.append_child(&marker)?;
        Ok(())
    }
}

/// What the list shows apart from the countdowns: it is rebuilt when this changes.
fn shape(model: &Model) -> String {
    model
        .sessions
        .iter()
        .map(|s| {
            format!(
                "{}={}:{}:{:?}:{:?}:{:?}",
                s.profile,
                s.state.as_str(),
                s.expires_at.is_some(),
                s.account_id,
                s.role,
                s.region
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `value` as the inside of a CSS string: quotes and backslashes escaped.
fn css_string(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}
