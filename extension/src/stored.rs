//! What `storage.session` keeps, read back: the session [`Registry`] and the isolation
//! [`State`]. Both are written through serde ([`crate::codec::to_js`]) and read here field by
//! field from the value the browser returns: serde decoders of them were about 8 KiB of the
//! background's gzipped wasm, and these readers are a fraction of that.
//!
//! The readers are generic over [`crate::tree::Tree`], so they run on `JsValue` in the
//! browser and are tested natively on `serde_json::Value`, the tree of the same JSON text. They read what
//! serde's derived decoders read (absent and `null` optional fields, maps as objects or `[]`)
//! and refuse what those refused; `None` means unreadable, and the caller then starts empty.

use litemap::LiteMap;
use roleport_protocol::Place;

use crate::isolation::jar::{Cookie, Jar};
use crate::isolation::rules::State;
use crate::sessions::registry::{Registry, Session};
use crate::tree::{int, list, optional, Tree as Stored};

/// The registry kept under [`crate::sessions::KEY`].
pub fn registry<S: Stored>(value: &S) -> Option<Registry> {
    let mut sessions = LiteMap::new();
    for (profile, stored) in map(value.member("sessions"))? {
        sessions.insert(profile, session(&stored)?);
    }
    Some(Registry { sessions })
}

fn session<S: Stored>(value: &S) -> Option<Session> {
    let place = match (
        optional(value, "container", S::string)?,
        optional(value, "group", int)?,
    ) {
        (Some(container), None) => Place::Container(container),
        (None, Some(group)) => Place::Group(group),
        // In exactly one of a container and a tab group.
        _ => return None,
    };
    Some(Session {
        profile: value.member("profile")?.string()?,
        place,
        isolated: optional(value, "isolated", S::boolean)?.unwrap_or(false),
        tabs: list(value, "tabs", int)?,
        account_id: optional(value, "account_id", S::string)?,
        role: optional(value, "role", S::string)?,
        region: optional(value, "region", S::string)?,
        expires_at: optional(value, "expires_at", S::number)?,
        opened_at: value.member("opened_at")?.number()?,
        console_url: optional(value, "console_url", S::string)?,
        logout_url: optional(value, "logout_url", S::string)?,
        marked: optional(value, "marked", S::boolean)?.unwrap_or(false),
    })
}

/// The isolation state kept under [`crate::isolation`]'s key.
pub fn isolation<S: Stored>(value: &S) -> Option<State> {
    let mut state = State::default();
    for (profile, stored) in map(value.member("jars"))? {
        let cookies = stored.member("cookies")?.items()?;
        let cookies = cookies.iter().map(cookie).collect::<Option<_>>()?;
        state.jars.insert(profile, Jar { cookies });
    }
    for (tab, profile) in map(value.member("tabs"))? {
        state.tabs.insert(tab.parse().ok()?, profile.string()?);
    }
    for (tab, host) in map(value.member("gates"))? {
        state.gates.insert(tab.parse().ok()?, host.string()?);
    }
    Some(state)
}

fn cookie<S: Stored>(value: &S) -> Option<Cookie> {
    let text = |name| value.member(name)?.string();
    Some(Cookie {
        name: text("name")?,
        value: text("value")?,
        domain: text("domain")?,
        path: text("path")?,
        expires: optional(value, "expires", S::number)?,
    })
}

/// A `LiteMap` as litemap writes it for string and number keys: an object, or `[]` when it
/// is empty; an absent map is empty.
fn map<S: Stored>(value: Option<S>) -> Option<Vec<(String, S)>> {
    let Some(value) = value else {
        return Some(Vec::new());
    };
    match value.members() {
        Some(members) => Some(members),
        None => value.items().filter(Vec::is_empty).map(|_| Vec::new()),
    }
}

#[cfg(test)]
#[path = "stored_tests.rs"]
mod tests;
