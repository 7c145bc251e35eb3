//! What the popup can do with an open session: switch to its tab, open another tab of it
//! (no new sign-in: the container / jar already holds its cookie), sign in again in its own
//! tabs when it expired, sign it out; and the "expired" mark on its tabs.

use roleport_protocol::{ErrorCode, OpenConsoleOk, OpenedTab, Place, ProtocolError};
use wasm_bindgen::prelude::*;

use super::registry::Session;
use crate::bindings::{api, call, error_text, field, ids, object, string_field, Api, Tabs};
use crate::log;
use crate::placement::NewTab;

/// `storage.local` key: what a click on a profile that is already signed in does.
pub const WHEN_OPEN_KEY: &str = "when_open";

/// The `when_open` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenOpen {
    /// Switch to the session's tab (default).
    Focus,
    /// Open another console tab in the same container / tab group / jar.
    NewTab,
}

impl WhenOpen {
    /// The setting for a stored value: `"new_tab"`, else [`WhenOpen::Focus`].
    pub fn parse(value: Option<&str>) -> WhenOpen {
        match value {
            Some("new_tab") => WhenOpen::NewTab,
            _ => WhenOpen::Focus,
        }
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(method, catch, js_name = remove)]
    fn remove(this: &Tabs, tab_ids: &JsValue) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = reload)]
    fn reload(this: &Tabs, tab_id: f64) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = query)]
    pub(super) fn tabs_query(this: &Tabs, query: &JsValue) -> Result<js_sys::Promise, JsValue>;

    type Windows;
    #[wasm_bindgen(method, getter)]
    fn windows(this: &Api) -> Windows;
    #[wasm_bindgen(method, catch, js_name = update)]
    fn update_window(
        this: &Windows,
        window_id: f64,
        properties: &JsValue,
    ) -> Result<js_sys::Promise, JsValue>;

    /// `action` (the toolbar button).
    type Action;
    #[wasm_bindgen(method, getter)]
    fn action(this: &Api) -> Option<Action>;
    #[wasm_bindgen(method, catch, js_name = setBadgeText)]
    fn set_badge_text(this: &Action, details: &JsValue) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = setBadgeBackgroundColor)]
    fn set_badge_color(this: &Action, details: &JsValue) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = setTitle)]
    fn set_title(this: &Action, details: &JsValue) -> Result<js_sys::Promise, JsValue>;
}

/// The `when_open` setting in `storage.local`.
pub async fn when_open() -> WhenOpen {
    let stored = call(
        api()
            .storage()
            .local()
            .get(&JsValue::from_str(WHEN_OPEN_KEY)),
    )
    .await;
    let value = stored
        .ok()
        .and_then(|items| js_sys::Reflect::get(&items, &JsValue::from_str(WHEN_OPEN_KEY)).ok())
        .and_then(|v| v.as_string());
    WhenOpen::parse(value.as_deref())
}

/// What `tabs.get` tells of a tab.
pub(crate) struct TabState {
    window_id: Option<f64>,
    pub(crate) status: String,
    pub(crate) url: String,
}

pub(crate) async fn tab_state(tab: i64) -> Option<TabState> {
    let state = call(api().tabs().get(tab as f64)).await.ok()?;
    state.is_object().then(|| TabState {
        window_id: field(&state, "windowId").as_f64(),
        status: string_field(&state, "status").unwrap_or_default(),
        url: string_field(&state, "url").unwrap_or_default(),
    })
}

fn refused(what: &str) -> impl Fn(JsValue) -> ProtocolError + '_ {
    move |error| {
        let why = error_text(&error).unwrap_or_else(|| "no reason given".to_owned());
        ProtocolError::new(
            ErrorCode::BrowserApiFailed,
            format!("The browser would not {what}: {why}"),
            "Try again; if the tab was closed meanwhile, click the profile to sign in anew.",
        )
    }
}

fn opened(session: &Session, tab: i64, notice: &str) -> OpenedTab {
    OpenedTab {
        profile: session.profile.clone(),
        tab_id: tab,
        place: session.place.clone(),
        notices: vec![notice.to_owned()],
    }
}

/// Switches to the session's first tab, and its window.
pub async fn focus(session: &Session) -> Result<OpenedTab, ProtocolError> {
    let tab = *session
        .tabs
        .first()
        .ok_or_else(|| refused("find its tab")(JsValue::NULL))?;
    call(
        api()
            .tabs()
            .update(tab as f64, &object(&[("active", true.into())])),
    )
    .await
    .map_err(refused("switch to the tab"))?;
    if let Some(window) = tab_state(tab).await.and_then(|t| t.window_id) {
        let focused = object(&[("focused", true.into())]);
        if let Err(e) = call(api().windows().update_window(window, &focused)).await {
            log::debug(&format!(
                "could not raise the window: {}",
                error_text(&e).unwrap_or_default()
            ));
        }
    }
    Ok(opened(
        session,
        tab,
        "Already signed in: switched to its tab.",
    ))
}

/// Opens another console tab of the session, in its container / tab group / jar; the
/// cookie already there signs it in, so the host is not asked.
pub async fn new_tab(session: &Session, active: bool) -> Result<OpenedTab, ProtocolError> {
    let api = api();
    let url = match &session.console_url {
        Some(url) => url.clone(),
        None => match session.tabs.first() {
            Some(&tab) => tab_state(tab).await.map(|t| t.url).unwrap_or_default(),
            None => String::new(),
        },
    };
    if url.is_empty() {
        return Err(refused("tell the session's console page")(JsValue::NULL));
    }
    let tab = match &session.place {
        Place::Container(store) => {
            crate::tabs::create_tab(
                &api,
                &NewTab {
                    url: &url,
                    cookie_store_id: Some(store.as_str()),
                    active,
                },
            )
            .await?
        }
        Place::Group(group) => {
            // An isolated tab joins its jar before it loads anything, as a first sign-in does.
            let first = if session.isolated {
                "about:blank"
            } else {
                url.as_str()
            };
            let tab = crate::tabs::create_tab(
                &api,
                &NewTab {
                    url: first,
                    cookie_store_id: None,
                    active,
                },
            )
            .await?;
            let options = object(&[("tabIds", ids(&[tab])), ("groupId", (*group as f64).into())]);
            call(api.tabs().group(&options))
                .await
                .map_err(refused("group the tab"))?;
            if session.isolated {
                crate::isolation::join(tab, &session.profile).await?;
                crate::tabs::navigate(tab, &url, Some(active))
                    .await
                    .map_err(refused("open the console"))?;
            }
            tab
        }
    };
    super::add_tab(&session.profile, tab).await;
    Ok(opened(
        session,
        tab,
        "Already signed in: opened another tab of its session.",
    ))
}

/// The host signed `session`'s profile in again (`fresh`): the sign-in runs in the session's
/// first tab (same container / tab group / jar), then its other tabs reload with the new
/// cookie. The sign-in URL is a one-time secret: never logged.
pub async fn renew(
    session: &Session,
    fresh: &OpenConsoleOk,
    active: bool,
) -> Result<OpenedTab, ProtocolError> {
    let tab = *session
        .tabs
        .first()
        .ok_or_else(|| refused("find its tab")(JsValue::NULL))?;
    mark(session, false).await;
    if session.isolated {
        crate::isolation::sign_in(tab, &session.profile, &fresh.url).await?;
        if active {
            let _ = call(
                api()
                    .tabs()
                    .update(tab as f64, &object(&[("active", true.into())])),
            )
            .await;
        }
    } else {
        crate::tabs::navigate(tab, &fresh.url, Some(active))
            .await
            .map_err(refused("open the sign-in page"))?;
    }
    super::signed_in_tabs(fresh, &session.place, session.tabs.clone()).await;
    let others: Vec<i64> = session.tabs.iter().copied().filter(|&t| t != tab).collect();
    if !others.is_empty() {
        wasm_bindgen_futures::spawn_local(async move {
            wait_until_left(tab, &["/federation", "about:blank"]).await;
            for other in others {
                let _ = call(api().tabs().reload(other as f64)).await;
            }
        });
    }
    let mut done = opened(session, tab, "Signed in again in its tabs.");
    done.notices.splice(0..0, fresh.notices.iter().cloned());
    Ok(done)
}

/// Waits (10 s at most) until `tab` has loaded a page whose URL contains none of `not`.
async fn wait_until_left(tab: i64, not: &[&str]) {
    for _ in 0..100 {
        gloo_timers::future::TimeoutFuture::new(100).await;
        let Some(state) = tab_state(tab).await else {
            return;
        };
        if state.status == "complete" && !not.iter().any(|n| state.url.contains(n)) {
            return;
        }
    }
}

/// Signs the session out: its logout URL loads in one of its tabs (so the request carries
/// that container's / jar's cookie and AWS ends that session), then its tabs close and, in
/// Chromium isolation, its jar is emptied.
pub async fn sign_out(session: Session) -> Result<(), ProtocolError> {
    let tabs: Vec<i64> = session.tabs.clone();
    super::forget(&session.profile).await;
    if let (Some(url), Some(&tab)) = (&session.logout_url, tabs.first()) {
        let path = web_sys::Url::new(url)
            .map(|u| u.pathname())
            .unwrap_or_default();
        match crate::tabs::navigate(tab, url, Some(false)).await {
            // Done when the tab shows the sign-out page (or wherever AWS sends it after).
            Ok(()) => wait_until_loaded_at(tab, &path).await,
            Err(e) => log::warn(&format!(
                "could not load the sign-out page: {}",
                error_text(&e).unwrap_or_default()
            )),
        }
    }
    let closed = call(api().tabs().remove(&ids(&tabs))).await;
    if session.isolated {
        crate::isolation::clear(&session.profile).await;
    }
    closed
        .map(drop)
        .map_err(refused("close the session's tabs"))
}

/// Waits (10 s at most) until `tab` has loaded the sign-out page (a URL on `path`), or left
/// it for another page.
async fn wait_until_loaded_at(tab: i64, path: &str) {
    let mut seen = false;
    for _ in 0..100 {
        gloo_timers::future::TimeoutFuture::new(100).await;
        let Some(state) = tab_state(tab).await else {
            return;
        };
        let here = web_sys::Url::new(&state.url).is_ok_and(|u| u.pathname() == path);
        seen |= here;
        if state.status == "complete" && (here || seen) {
            return;
        }
    }
}

/// Puts (or takes off) the "expired" mark on the session's tabs: the toolbar button's badge
/// and title for each tab, and in Chromium the tab group's title.
pub async fn mark(session: &Session, expired: bool) {
    let api = api();
    if let Some(action) = api.action() {
        let title = if expired {
            format!(
                "roleport: the console session of {} has expired. Open roleport and click it to sign in again.",
                session.profile
            )
        } else {
            "roleport".to_owned()
        };
        for &tab in &session.tabs {
            let text = if expired { "exp" } else { "" };
            let tab_id = || ("tabId", JsValue::from_f64(tab as f64));
            let _ = call(action.set_badge_text(&object(&[tab_id(), ("text", text.into())]))).await;
            if expired {
                let colour = object(&[tab_id(), ("color", "#b3261e".into())]);
                let _ = call(action.set_badge_color(&colour)).await;
            }
            let _ = call(action.set_title(&object(&[tab_id(), ("title", title.as_str().into())])))
                .await;
        }
    }
    if let (Place::Group(group), Some(groups)) = (&session.place, api.tab_groups()) {
        let title = if expired {
            format!("{} (expired)", session.profile)
        } else {
            session.profile.clone()
        };
        let retitled = object(&[("title", title.into())]);
        if let Err(e) = call(groups.update(*group as f64, &retitled)).await {
            log::debug(&format!(
                "could not retitle the tab group: {}",
                error_text(&e).unwrap_or_default()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_on_an_open_session_switches_to_it_unless_told_otherwise() {
        assert_eq!(WhenOpen::parse(None), WhenOpen::Focus);
        assert_eq!(WhenOpen::parse(Some("focus")), WhenOpen::Focus);
        assert_eq!(WhenOpen::parse(Some("new_tab")), WhenOpen::NewTab);
        assert_eq!(WhenOpen::parse(Some("something else")), WhenOpen::Focus);
    }
}
