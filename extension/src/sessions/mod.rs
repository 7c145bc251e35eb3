//! The registry of live console sessions, kept by the background ([`registry`] is the pure
//! part). It lives in memory and in `storage.session`, as [`crate::isolation`]'s state does,
//! so it outlives a service-worker restart and ends with the browser. Tabs are followed:
//! a closed tab leaves its session (the last one ends it), a tab a console tab opens joins
//! it. When a session's `expires_at` passes, its tabs are marked (a per-tab badge and title
//! on the toolbar button; in Chromium the tab group's title too). [`actions`] does what the
//! popup asks of a session: focus it, open another tab of it, renew it, sign it out.

pub mod actions;
pub mod registry;

use std::cell::{Cell, RefCell};

use roleport_protocol::{OpenConsoleOk, OpenedTab, Place};
use wasm_bindgen::prelude::*;

use crate::bindings::{api, call, error_text, int_field, items, object};
use crate::codec::to_js;
use crate::log;
use registry::{Registry, Session, SessionInfo};

/// `storage.session` key of the [`Registry`].
pub const KEY: &str = "sessions";

thread_local! {
    /// The registry, once read from `storage.session`; then this copy is the truth.
    static REGISTRY: RefCell<Option<Registry>> = const { RefCell::new(None) };
    /// What this worker stored and `storage.onChanged` has not echoed yet: an echo is not
    /// news, anything else (another extension page's edit) replaces the copy in memory.
    static WRITTEN: RefCell<Vec<Registry>> = const { RefCell::new(Vec::new()) };
    /// Bumped at every change, so only the latest expiry timer acts.
    static TIMER: Cell<u32> = const { Cell::new(0) };
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// Reads the stored registry (once per worker life) and drops tabs that closed meanwhile.
async fn loaded() {
    if REGISTRY.with(|r| r.borrow().is_some()) {
        return;
    }
    let mut stored = Registry::default();
    if let Some(area) = api().storage().session() {
        if let Ok(items) = call(area.get(&JsValue::from_str(KEY))).await {
            let value =
                js_sys::Reflect::get(&items, &JsValue::from_str(KEY)).unwrap_or(JsValue::UNDEFINED);
            if !value.is_undefined() {
                stored = crate::stored::registry(&value).unwrap_or_default();
            }
        }
    }
    let pruned = match open_tabs().await {
        Some(open) => stored.keep_tabs(&open),
        None => false,
    };
    let fresh = REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        let fresh = r.is_none();
        r.get_or_insert(stored);
        fresh
    });
    if fresh {
        if pruned {
            commit().await;
        } else {
            schedule_expiry();
        }
    }
}

/// The ids of every open tab, in ascending order.
async fn open_tabs() -> Option<Vec<i64>> {
    let tabs = call(api().tabs().tabs_query(&object(&[]))).await.ok()?;
    let ids: Vec<i64> = (items(&tabs)?.iter())
        .map(|tab| int_field(tab, "id"))
        .collect::<Option<_>>()?;
    Some(crate::sorted::set_of(ids))
}

/// Changes the registry (read first if need be).
async fn change<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    loaded().await;
    REGISTRY.with(|r| f(r.borrow_mut().get_or_insert_with(Registry::default)))
}

/// Stores the registry and sets the timer for the next expiry.
async fn commit() {
    let Some(registry) = REGISTRY.with(|r| r.borrow().clone()) else {
        return;
    };
    schedule_expiry();
    let Some(area) = api().storage().session() else {
        return;
    };
    WRITTEN.with(|w| {
        let mut w = w.borrow_mut();
        // Echoes come in order; a browser that sends none must not grow this for ever.
        if w.len() >= 32 {
            w.remove(0);
        }
        w.push(registry.clone());
    });
    let items = object(&[(KEY, to_js(&registry))]);
    if let Err(e) = call(area.set(&items)).await {
        log::warn(&format!(
            "sessions: not stored: {}",
            error_text(&e).unwrap_or_default()
        ));
    }
}

/// The session of `profile`, if one is open.
pub async fn lookup(profile: &str) -> Option<Session> {
    change(|r| r.sessions.get(profile).cloned()).await
}

/// Removes `profile`'s session and returns it.
pub async fn forget(profile: &str) -> Option<Session> {
    let gone = change(|r| r.sessions.remove(profile)).await;
    if gone.is_some() {
        commit().await;
    }
    gone
}

/// What the popup shows; marks whatever expired since the last look.
pub async fn infos() -> Vec<SessionInfo> {
    check_expiry().await;
    change(|r| r.infos(now())).await
}

/// A host sign-in (`opened`) now lives in `tab`: a new session, or the profile's renewed one.
pub async fn signed_in(opened: &OpenConsoleOk, tab: &OpenedTab) {
    signed_in_tabs(opened, &tab.place, vec![tab.tab_id]).await;
}

/// As [`signed_in`], for a session carried by `tabs` (ascending, each once) in `place`.
pub async fn signed_in_tabs(opened: &OpenConsoleOk, place: &Place, tabs: Vec<i64>) {
    let isolated = match tabs.first() {
        Some(&tab) => crate::isolation::isolates(tab).await,
        None => false,
    };
    let expires_at = (opened.expires_at.as_deref())
        .map(js_sys::Date::parse)
        .filter(|t| t.is_finite());
    let session = Session {
        profile: opened.profile.clone(),
        place: place.clone(),
        isolated,
        tabs,
        account_id: opened.account_id.clone(),
        role: opened.role.clone(),
        region: opened.region.clone(),
        expires_at,
        opened_at: now(),
        console_url: destination_of(&opened.url),
        logout_url: opened.logout_url.clone(),
        marked: false,
    };
    change(|r| r.signed_in(session)).await;
    commit().await;
}

/// `tab` now also carries `profile`'s session.
pub async fn add_tab(profile: &str, tab: i64) {
    if change(|r| r.add_tab(profile, tab)).await {
        commit().await;
    }
}

/// The console page a sign-in URL lands on (its `Destination`): not secret, unlike the URL.
fn destination_of(signin_url: &str) -> Option<String> {
    let url = web_sys::Url::new(signin_url).ok()?;
    url.search_params().get("Destination")
}

/// `tabs.onRemoved`: the tab leaves its session.
pub async fn on_tab_removed(tab: i64) {
    if change(|r| r.tab_closed(tab)).await.is_some() {
        commit().await;
    }
}

/// `webNavigation.onCreatedNavigationTarget`: a tab opened by a session's tab joins it (a
/// container's or jar's tabs share its cookies).
pub async fn on_new_tab(details: JsValue) {
    let (Some(source), Some(tab)) = (
        int_field(&details, "sourceTabId"),
        int_field(&details, "tabId"),
    ) else {
        return;
    };
    if change(|r| r.opened_from(source, tab)).await {
        commit().await;
    }
}

/// `storage.onChanged` for the registry's key: an edit by another extension page replaces the
/// copy in memory; this worker's own writes come back as echoes and change nothing.
pub async fn on_stored(value: JsValue) {
    loaded().await;
    let stored: Registry = if value.is_undefined() || value.is_null() {
        Registry::default()
    } else {
        match crate::stored::registry(&value) {
            Some(r) => r,
            None => return,
        }
    };
    let echo = WRITTEN.with(|w| {
        let mut w = w.borrow_mut();
        match w.iter().position(|r| *r == stored) {
            Some(at) => {
                w.drain(..=at);
                true
            }
            None => false,
        }
    });
    if echo {
        return;
    }
    REGISTRY.with(|r| *r.borrow_mut() = Some(stored));
    schedule_expiry();
    check_expiry().await;
}

/// Sets a timer for the next unmarked expiry (replacing the previous timer).
fn schedule_expiry() {
    let generation = TIMER.with(|t| {
        t.set(t.get().wrapping_add(1));
        t.get()
    });
    let Some(at) = REGISTRY.with(|r| r.borrow().as_ref().and_then(Registry::next_expiry)) else {
        return;
    };
    // setTimeout takes at most 2^31-1 ms; a later expiry sets a new timer when this one ends.
    let wait = (at - now()).clamp(0.0, i32::MAX as f64) as u32;
    wasm_bindgen_futures::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(wait).await;
        if TIMER.with(Cell::get) == generation {
            check_expiry().await;
            schedule_expiry();
        }
    });
}

/// Marks the tabs of every session that expired since the last check.
async fn check_expiry() {
    let ended = change(|r| r.newly_expired(now())).await;
    if ended.is_empty() {
        return;
    }
    commit().await;
    for session in &ended {
        log::info(&format!(
            "the console session of {} has expired",
            session.profile
        ));
        actions::mark(session, true).await;
    }
}
