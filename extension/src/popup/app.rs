//! Wires the popup together: DOM events become [`Msg`]s, each applied to the model in order,
//! the view redrawn, and any request the model asks for sent to the background.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use roleport_protocol::{ErrorCode, ProtocolError};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Event, KeyboardEvent};

use super::model::{Model, Msg};
use super::prefs::{self, Prefs};
use super::view::View;
use crate::bindings::{api, call, error_text};
use crate::codec::{decode, from_js, to_js};
use crate::log;
use crate::messages::{PopupReply, PopupRequest, SsoStatus};
use crate::sessions::registry::{SessionInfo, SessionState};
use crate::switch_roles::{self, SwitchRole};

struct App {
    model: RefCell<Model>,
    view: View,
    /// The remembered Switch Role links were asked for (once, when the host is missing).
    offline_asked: Cell<bool>,
    /// The background's answer (JSON text) behind the rows on show, `undefined` when none.
    shown_list: RefCell<JsValue>,
}

/// Builds the popup in `#app` (or the body) and asks the background for the profiles.
/// `popup-start.js` began the two reads the first rows wait for before this module was
/// compiled (they then overlap): `asked`, the answer to the popup's first request,
/// `list_profiles` with `cached` and `text` (the list the background kept in
/// `storage.session`, [`crate::last_list`], else its reply); and `prefs`, the read of the
/// stored [`Prefs`]. Either is started here when it is missing.
pub fn start(
    asked: Option<js_sys::Promise>,
    prefs: Option<js_sys::Promise>,
) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("the popup has no document"))?;
    let root = match document.get_element_by_id("app") {
        Some(root) => root,
        None => document
            .body()
            .ok_or_else(|| JsValue::from_str("no body"))?
            .into(),
    };
    let (model, first) = Model::new();
    let app = Rc::new(App {
        model: RefCell::new(model),
        view: View::mount(&document, &root)?,
        offline_asked: Cell::new(false),
        shown_list: RefCell::new(JsValue::UNDEFINED),
    });
    load_prefs(app.clone(), prefs);
    listen(&app)?;
    app.view.render(&app.model.borrow())?;
    match asked {
        Some(answer) if first == PopupRequest::list(true) => listed(app.clone(), true, answer),
        _ => send(app.clone(), first),
    }
    poll_sessions(app.clone());
    app.view.search.focus()?;
    Ok(())
}

fn listen(app: &Rc<App>) -> Result<(), JsValue> {
    let on_input = {
        let app = app.clone();
        Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            dispatch(&app, Msg::Filter(app.view.search.value()));
        })
    };
    let on_key = {
        let app = app.clone();
        Closure::<dyn FnMut(KeyboardEvent)>::new(move |event: KeyboardEvent| {
            let msg = match event.key().as_str() {
                "Enter" => Msg::OpenSelected {
                    background: event.ctrl_key() || event.meta_key(),
                },
                "ArrowDown" => Msg::Move(1),
                "ArrowUp" => Msg::Move(-1),
                // Space marks rows while there is no search text; with text it is a space.
                " " if app.view.search.value().is_empty() => Msg::ToggleMark,
                "*" => Msg::ToggleFavourite(None),
                _ => return,
            };
            event.prevent_default();
            dispatch(&app, msg);
        })
    };
    let on_click = {
        let app = app.clone();
        Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            let target = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
            let closest = |selector: &str, attribute: &str| {
                target
                    .as_ref()
                    .and_then(|t| t.closest(selector).ok().flatten())
                    .and_then(|e| e.get_attribute(attribute))
            };
            if let Some(name) = closest("[data-star]", "data-star") {
                dispatch(&app, Msg::ToggleFavourite(Some(name)));
            } else if let Some(name) = closest("[data-profile]", "data-profile") {
                dispatch(&app, Msg::Open(name));
            }
        })
    };
    let on_submit = {
        let app = app.clone();
        Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            event.prevent_default();
            let code = app
                .view
                .mfa_slot
                .query_selector("input")
                .ok()
                .flatten()
                .and_then(|i| i.dyn_into::<web_sys::HtmlInputElement>().ok())
                .map(|i| i.value())
                .unwrap_or_default();
            dispatch(&app, Msg::SubmitMfa(code));
        })
    };
    let on_mfa_click = {
        let app = app.clone();
        Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            let cancel = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|t| t.class_list().contains("cancel"));
            if cancel {
                dispatch(&app, Msg::CancelMfa);
            }
        })
    };
    let on_sso_click = {
        let app = app.clone();
        Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            let target = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
            let Some(target) = target else { return };
            if target.closest("[data-sso-login]").ok().flatten().is_some() {
                dispatch(&app, Msg::SsoLogin);
            } else if target.class_list().contains("cancel") {
                dispatch(&app, Msg::CancelSso);
            }
        })
    };
    let on_sync_click = {
        let app = app.clone();
        Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            let clicked = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|t| t.closest("[data-sso-sync]").ok().flatten());
            if clicked.is_some() {
                dispatch(&app, Msg::Sync);
            }
        })
    };
    let on_session_click = {
        let app = app.clone();
        Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            let target = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
            let closest = |attribute: &str| {
                target
                    .as_ref()
                    .and_then(|t| t.closest(&format!("[{attribute}]")).ok().flatten())
                    .and_then(|e| e.get_attribute(attribute))
            };
            if let Some(name) = closest("data-sign-out") {
                dispatch(&app, Msg::SignOut(name));
            } else if let Some(name) =
                closest("data-renew").or_else(|| closest("data-focus-session"))
            {
                // The background decides: switch to a live session, renew an expired one.
                dispatch(&app, Msg::Open(name));
            }
        })
    };
    app.view
        .sessions_slot
        .add_event_listener_with_callback("click", on_session_click.as_ref().unchecked_ref())?;
    on_session_click.forget();
    app.view
        .sync_slot
        .add_event_listener_with_callback("click", on_sync_click.as_ref().unchecked_ref())?;
    on_sync_click.forget();
    app.view
        .sso_slot
        .add_event_listener_with_callback("click", on_sso_click.as_ref().unchecked_ref())?;
    on_sso_click.forget();
    let mfa = &app.view.mfa_slot;
    mfa.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref())?;
    mfa.add_event_listener_with_callback("click", on_mfa_click.as_ref().unchecked_ref())?;
    on_submit.forget();
    on_mfa_click.forget();
    let search = &app.view.search;
    search.add_event_listener_with_callback("input", on_input.as_ref().unchecked_ref())?;
    search.add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref())?;
    app.view
        .list
        .add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())?;
    // The popup lives as long as its page; so do its listeners.
    on_input.forget();
    on_key.forget();
    on_click.forget();
    Ok(())
}

fn dispatch(app: &Rc<App>, msg: Msg) {
    // Performance marks for `cargo xtask bench` (open → interactive, per keystroke): a few
    // microseconds each, read back by the benchmark from the page's performance timeline.
    let keystroke = matches!(msg, Msg::Filter(_));
    let was_loading = app.model.borrow().loading();
    if keystroke {
        mark("roleport:filter-start");
    }
    let countdown_only = matches!(msg, Msg::Sessions(..));
    let markers = |m: &Model| -> Vec<(String, SessionState)> {
        (m.session_markers().into_iter())
            .map(|(p, s)| (p.to_owned(), s))
            .collect()
    };
    let markers_before = markers(&app.model.borrow());
    let prefs_before = app.model.borrow().prefs.clone();
    let request = app.model.borrow_mut().update(msg);
    // A tick of the countdowns redraws only the sessions list, unless a session came, went
    // or expired (the rows show that).
    let countdown_only = countdown_only && markers(&app.model.borrow()) == markers_before;
    let drawn = if countdown_only {
        app.view.render_sessions(&app.model.borrow())
    } else {
        app.view.render(&app.model.borrow())
    };
    if let Err(e) = drawn {
        log::warn(&format!(
            "render failed: {}",
            error_text(&e).unwrap_or_default()
        ));
    }
    if keystroke {
        measure("roleport:filter", "roleport:filter-start");
    }
    if was_loading && !app.model.borrow().loading() {
        mark("roleport:interactive");
    }
    // What the next popup remembers.
    if app.model.borrow().prefs != prefs_before {
        store(prefs::KEY, &app.model.borrow().prefs);
    }
    if app.model.borrow().host_missing() && !app.offline_asked.replace(true) {
        load_offline(app.clone());
    }
    if let Some(request) = request {
        send(app.clone(), request);
    }
}

fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

fn measure(name: &str, since: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.measure_with_start_mark(name, since);
    }
}

/// Reads what earlier popups stored (`read`: that read, when already started).
fn load_prefs(app: Rc<App>, read: Option<js_sys::Promise>) {
    spawn_local(async move {
        let prefs = stored::<Prefs>(prefs::KEY, read).await.unwrap_or_default();
        dispatch(&app, Msg::PrefsLoaded(prefs));
    });
}

/// Reads the Switch Role links an earlier popup remembered: only once the host is found
/// missing, since at thousands of profiles decoding them costs every other open its time.
fn load_offline(app: Rc<App>) {
    spawn_local(async move {
        let roles = stored::<Vec<SwitchRole>>(switch_roles::KEY, None)
            .await
            .unwrap_or_default();
        dispatch(&app, Msg::OfflineLoaded(roles));
    });
}

/// What `storage.local` holds under `key`, read by `started` when it is already under way.
async fn stored<T: DeserializeOwned>(key: &str, started: Option<js_sys::Promise>) -> Option<T> {
    let read = match started {
        Some(read) => Ok(read),
        None => api().storage().local().get(&JsValue::from_str(key)),
    };
    let all = call(read).await.ok()?;
    let value = js_sys::Reflect::get(&all, &JsValue::from_str(key)).ok()?;
    if value.is_undefined() {
        return None;
    }
    from_js(&value, "the popup's stored data").ok()
}

fn store<T: serde::Serialize>(key: &str, value: &T) {
    let items = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&items, &JsValue::from_str(key), &to_js(value));
    spawn_local(async move {
        if let Err(e) = call(api().storage().local().set(&items)).await {
            log::warn(&format!(
                "cannot save the popup's data: {}",
                error_text(&e).unwrap_or_default()
            ));
        }
    });
}

/// Sends `request` to the background; its answer comes back as a message.
fn send(app: Rc<App>, request: PopupRequest) {
    spawn_local(async move {
        let msg = match &request {
            PopupRequest::ListProfiles { cached, .. } => {
                let asked = api().runtime().send_message(&to_js(&request));
                match asked {
                    Ok(answer) => return listed(app, *cached, answer),
                    Err(e) => Msg::Loaded(answer(Err(e))),
                }
            }
            PopupRequest::Open { .. } => Msg::Opened(ask(&request).await),
            PopupRequest::OpenMany { .. } => Msg::OpenedMany(ask(&request).await),
            PopupRequest::SsoLogin { profile } => {
                poll_user_code(app.clone(), profile.clone());
                Msg::SsoDone(ask(&request).await)
            }
            PopupRequest::SsoStatus { .. } => {
                let status: Result<SsoStatus, _> = ask(&request).await;
                Msg::SsoCode(status.ok().and_then(|s| s.user_code))
            }
            PopupRequest::SsoSync => {
                poll_sync_progress(app.clone());
                Msg::Synced(ask(&request).await)
            }
            PopupRequest::SsoSyncStatus => Msg::SyncProgress(ask(&request).await.unwrap_or(None)),
            PopupRequest::Sessions => sessions_msg(ask(&request).await),
            PopupRequest::SignOut { profile } => {
                let done = Msg::SignedOut(profile.clone(), ask(&request).await);
                dispatch(&app, done);
                sessions_msg(ask(&PopupRequest::Sessions).await)
            }
            // The SAML role chooser's requests (`saml.html`); the popup never makes them.
            PopupRequest::SamlPending { .. } | PopupRequest::SamlOpen { .. } => return,
            // The options page's (`options.html`).
            PopupRequest::SettingsGet | PopupRequest::SettingsPut { .. } => return,
        };
        dispatch(&app, msg);
    });
}

fn sessions_msg(listed: Result<Vec<SessionInfo>, ProtocolError>) -> Msg {
    Msg::Sessions(listed.unwrap_or_default(), js_sys::Date::now() as i64)
}

/// Asks the background for its sessions once a second while the popup is open: the
/// countdowns tick, and a session that ended or expired shows at once.
fn poll_sessions(app: Rc<App>) {
    spawn_local(async move {
        loop {
            let listed = ask(&PopupRequest::Sessions).await;
            dispatch(&app, sessions_msg(listed));
            gloo_timers::future::TimeoutFuture::new(1000).await;
        }
    });
}

/// While a sync runs, asks the background for its progress a few times a second.
fn poll_sync_progress(app: Rc<App>) {
    spawn_local(async move {
        while app.model.borrow().sync.running() {
            gloo_timers::future::TimeoutFuture::new(250).await;
            let progress = ask(&PopupRequest::SsoSyncStatus).await.unwrap_or(None);
            dispatch(&app, Msg::SyncProgress(progress));
        }
    });
}

/// While the popup waits for an SSO approval, asks the background for the code to show
/// until it has it.
fn poll_user_code(app: Rc<App>, profile: String) {
    spawn_local(async move {
        loop {
            gloo_timers::future::TimeoutFuture::new(250).await;
            let wanted = app
                .model
                .borrow()
                .sso
                .as_ref()
                .is_some_and(|p| p.waiting && p.user_code.is_none() && p.profile == profile);
            if !wanted {
                return;
            }
            let asked = PopupRequest::SsoStatus {
                profile: profile.clone(),
            };
            let status: Result<SsoStatus, _> = ask(&asked).await;
            if let Some(code) = status.ok().and_then(|s| s.user_code) {
                dispatch(&app, Msg::SsoCode(Some(code)));
            }
        }
    });
}

/// Shows the list `answer` brings; after a cached one, asks for the fresh list, which
/// follows and replaces it. A fresh list most often is the cached one again, as the same
/// text: then the rows stay as they are, so a click that lands meanwhile is not lost on a
/// row being replaced. `roleport:fresh` marks the fresh list handled.
fn listed(app: Rc<App>, cached: bool, answer_promise: js_sys::Promise) {
    spawn_local(async move {
        let reply = call(Ok(answer_promise)).await;
        let unchanged =
            matches!(&reply, Ok(text) if text.is_string() && *text == *app.shown_list.borrow());
        if !unchanged {
            let listed = answer(reply.clone());
            *app.shown_list.borrow_mut() = match (&reply, &listed) {
                (Ok(text), Ok(_)) => text.clone(),
                _ => JsValue::UNDEFINED,
            };
            if cached && listed.is_ok() {
                send(app.clone(), PopupRequest::list(false));
            }
            dispatch(&app, Msg::Loaded(listed));
            prepare_search_when_idle(app.clone());
        }
        if !cached {
            mark("roleport:fresh");
        }
    });
}

/// Makes the search fields once the browser is idle after drawing the rows: before a
/// person can type, but not in the way of the first paint.
fn prepare_search_when_idle(app: Rc<App>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let prepare = Closure::once_into_js(move || {
        if let Ok(mut model) = app.model.try_borrow_mut() {
            model.prepare_search();
        }
    });
    // Without it (no such API) the first keystroke makes them.
    let _ = window.request_idle_callback(prepare.unchecked_ref());
}

pub(crate) async fn ask<T: DeserializeOwned>(request: &PopupRequest) -> Result<T, ProtocolError> {
    answer(call(api().runtime().send_message(&to_js(request))).await)
}

/// The background's answer to one request, typed.
fn answer<T: DeserializeOwned>(reply: Result<JsValue, JsValue>) -> Result<T, ProtocolError> {
    let reply = reply.map_err(|e| {
        ProtocolError::new(
            ErrorCode::Internal,
            format!(
                "The roleport background did not answer: {}",
                error_text(&e).unwrap_or_else(|| "no reason given".to_owned())
            ),
            "Reload the extension (about:addons or chrome://extensions), then try again.",
        )
    })?;
    let what = "the background's reply";
    match reply.as_string() {
        Some(text) => decode::<PopupReply<T>>(&text, what)?.into(),
        None => from_js::<PopupReply<T>>(&reply, what)?.into(),
    }
}
