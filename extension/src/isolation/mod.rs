//! Chromium isolation: one cookie jar per account, kept by the extension, because Chromium's
//! tab groups share the browser's one jar (Firefox uses containers and never comes here).
//!
//! A tab opened for a profile starts at `about:blank`, joins the profile's jar ([`rules`]:
//! declarativeNetRequest session rules scoped to its tab id set the `Cookie` header from the
//! jar and strip `Set-Cookie` so the shared jar stays clean) and a *gate* (no top-level load
//! of the AWS domains but the sign-in host), then goes to the sign-in URL. The sign-in hop's
//! `Set-Cookie` reaches [`on_headers`] (`webRequest.onHeadersReceived`, `extraHeaders`), lands
//! in the jar ([`jar`]), the rules are swapped, the gate lifted, and only then does the tab go
//! to the console the hop redirected to. So the console's first request already carries the
//! jar, however late the worker saw the hop. ARCHITECTURE.md, "Chromium isolation", has the
//! design, its limits and its security argument.

pub mod jar;
pub mod rules;

use std::cell::{Cell, RefCell};

use roleport_protocol::{ErrorCode, ProtocolError};
use wasm_bindgen::prelude::*;

use crate::bindings::{
    api, call, error_text, field, int_field, items, object, string_field, strings, Storage,
    StorageArea, Tabs,
};
use crate::codec::to_js;
use jar::parse_set_cookie;
use rules::State;

/// `storage.local` key of the switch: `false` turns isolation off (default on).
pub const SWITCH_KEY: &str = "chromium_isolation";
/// `storage.session` key of [`State`].
const STATE_KEY: &str = "isolation";

#[wasm_bindgen]
extern "C" {
    /// `declarativeNetRequest`.
    type Dnr;
    #[wasm_bindgen(method, getter, js_name = declarativeNetRequest)]
    fn dnr(this: &crate::bindings::Api) -> Option<Dnr>;
    #[wasm_bindgen(method, catch, js_name = updateSessionRules)]
    fn update_session_rules(this: &Dnr, options: &JsValue) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = getSessionRules)]
    fn get_session_rules(this: &Dnr) -> Result<js_sys::Promise, JsValue>;

    /// `storage.session` (Chromium 102+).
    #[wasm_bindgen(method, getter)]
    pub(crate) fn session(this: &Storage) -> Option<StorageArea>;

    /// `tabs.update(tabId, {url})`.
    #[wasm_bindgen(method, catch, js_name = update)]
    pub(crate) fn update(
        this: &Tabs,
        tab_id: f64,
        properties: &JsValue,
    ) -> Result<js_sys::Promise, JsValue>;

    /// `runtime.getManifest()`.
    #[wasm_bindgen(method, js_name = getManifest)]
    fn get_manifest(this: &crate::bindings::Runtime) -> JsValue;

    /// The WHATWG `URL`.
    type Url;
    #[wasm_bindgen(constructor, catch, js_class = "URL")]
    fn new(url: &str, base: &str) -> Result<Url, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn href(this: &Url) -> String;
    #[wasm_bindgen(method, getter)]
    fn hostname(this: &Url) -> String;
}

thread_local! {
    /// The state, once read from `storage.session`; then this copy is the truth.
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
    /// Rule ids that may exist: every update removes them all before adding its own.
    static KNOWN_IDS: RefCell<Vec<i64>> = const { RefCell::new(Vec::new()) };
    /// Updates sent and not yet answered, and the ids of the last one sent.
    static IN_FLIGHT: Cell<u32> = const { Cell::new(0) };
    static LAST_IDS: RefCell<Vec<i64>> = const { RefCell::new(Vec::new()) };
}

/// The isolated domains of this build (the manifest's wildcard host permissions).
fn domains() -> Vec<String> {
    let manifest = api().runtime().get_manifest();
    let patterns = match field(&manifest, "host_permissions") {
        none if none.is_undefined() => Vec::new(),
        patterns => strings(&patterns).unwrap_or_default(),
    };
    rules::domains_of(&patterns)
}

/// Whether the tab group tab for `signin_url` gets its own jar: the browser has
/// declarativeNetRequest, the build isolates the URL's domain (elsewhere no rule could apply,
/// and the tab opens as it always did), and the person has not switched isolation off.
pub async fn enabled(signin_url: &str) -> bool {
    let api = api();
    if api.dnr().is_none() || !isolated(signin_url) {
        return false;
    }
    let stored = call(api.storage().local().get(&JsValue::from_str(SWITCH_KEY))).await;
    let switch = stored
        .ok()
        .and_then(|items| js_sys::Reflect::get(&items, &JsValue::from_str(SWITCH_KEY)).ok())
        .and_then(|v| v.as_bool());
    switch != Some(false)
}

/// Whether `url`'s host is inside the isolated domains.
fn isolated(url: &str) -> bool {
    Url::new(url, "about:blank").is_ok_and(|u| {
        let host = u.hostname();
        domains().iter().any(|d| jar::domain_matches(&host, d))
    })
}

/// Reads the stored state (once per worker life) and the rules left by an earlier worker.
async fn loaded() {
    if STATE.with(|s| s.borrow().is_some()) {
        return;
    }
    let api = api();
    let mut stored = State::default();
    if let Some(area) = api.storage().session() {
        if let Ok(items) = call(area.get(&JsValue::from_str(STATE_KEY))).await {
            let value = js_sys::Reflect::get(&items, &JsValue::from_str(STATE_KEY))
                .unwrap_or(JsValue::UNDEFINED);
            if !value.is_undefined() {
                stored = crate::stored::isolation(&value).unwrap_or_default();
            }
        }
    }
    let mut existing = Vec::new();
    if let Some(dnr) = api.dnr() {
        if let Ok(rules) = call(dnr.get_session_rules()).await {
            existing = (items(&rules).unwrap_or_default().iter())
                .map(|rule| int_field(rule, "id"))
                .collect::<Option<_>>()
                .unwrap_or_default();
        }
    }
    know(existing);
    STATE.with(|s| {
        s.borrow_mut().get_or_insert(stored);
    });
}

/// Adds `ids` to the rule ids this worker may have set; all of them, each once.
fn know(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    KNOWN_IDS.with(|k| {
        let mut known = k.borrow_mut();
        for id in ids {
            crate::sorted::insert(&mut known, id);
        }
        known.clone()
    })
}

/// Changes the state (read first if need be).
async fn change<R>(f: impl FnOnce(&mut State) -> R) -> R {
    loaded().await;
    STATE.with(|s| f(s.borrow_mut().get_or_insert_with(State::default)))
}

/// Stores the state and swaps every session rule for the ones it asks for. Both start from
/// the same synchronous snapshot; the browser runs the calls in order, so whatever finishes
/// last reflects the latest state.
async fn commit() -> Result<(), JsValue> {
    let api = api();
    let Some(state) = STATE.with(|s| s.borrow().clone()) else {
        return Ok(());
    };
    let rules = state.rules(&domains());
    let ids: Vec<i64> = rules.iter().map(|r| r.id).collect();
    let remove = know(ids.iter().copied());
    LAST_IDS.with(|l| *l.borrow_mut() = ids);
    if let Some(area) = api.storage().session() {
        call(area.set(&object(&[(STATE_KEY, to_js(&state))]))).await?;
    }
    let dnr = api
        .dnr()
        .ok_or_else(|| JsValue::from_str("no declarativeNetRequest"))?;
    let options = object(&[
        ("removeRuleIds", crate::bindings::ids(&remove)),
        ("addRules", to_js(&rules)),
    ]);
    IN_FLIGHT.with(|n| n.set(n.get() + 1));
    let done = call(dnr.update_session_rules(&options)).await;
    IN_FLIGHT.with(|n| n.set(n.get() - 1));
    if IN_FLIGHT.with(Cell::get) == 0 && done.is_ok() {
        // Nothing else in flight: the last update sent is what the browser holds now.
        let last = LAST_IDS.with(|l| l.borrow().clone());
        KNOWN_IDS.with(|k| *k.borrow_mut() = last);
    }
    done.map(drop)
}

/// Sends `tab` (already open at `about:blank` and grouped) to `signin_url` inside
/// `profile`'s jar. The URL is a one-time secret: never logged.
pub async fn sign_in(tab: i64, profile: &str, signin_url: &str) -> Result<(), ProtocolError> {
    let signin_host = Url::new(signin_url, "about:blank")
        .map(|u| u.hostname())
        .map_err(|_| failed("read the sign-in address", &JsValue::NULL))?;
    change(|s| {
        s.assign(tab, profile);
        s.gates.insert(tab, signin_host);
    })
    .await;
    if let Err(e) = commit().await {
        // Leave nothing half set up: the tab stays at about:blank, outside any jar.
        change(|s| s.forget(tab)).await;
        let _ = commit().await;
        return Err(failed("set up the account's cookie jar", &e));
    }
    crate::tabs::navigate(tab, signin_url, None)
        .await
        .map_err(|e| failed("open the sign-in page", &e))
}

fn failed(what: &str, error: &JsValue) -> ProtocolError {
    let why = error_text(error).unwrap_or_else(|| "no reason given".to_owned());
    ProtocolError::new(
        ErrorCode::Internal,
        format!("The browser would not {what}: {why}"),
        "Try again; to open accounts without their own cookie jars, set storage.local \
         chromium_isolation to false.",
    )
}

/// `webRequest.onHeadersReceived` details, as far as isolation reads them.
struct Received {
    tab_id: i64,
    url: String,
    kind: String,
    status_code: i64,
    response_headers: Vec<Header>,
}

struct Header {
    name: String,
    value: String,
}

impl Received {
    /// `None` when a field is missing or of another type.
    fn read(details: &JsValue) -> Option<Received> {
        let headers = match field(details, "responseHeaders") {
            none if none.is_undefined() => Vec::new(),
            headers => items(&headers)?,
        };
        let response_headers = (headers.iter())
            .map(|h| {
                Some(Header {
                    name: string_field(h, "name")?,
                    value: string_field(h, "value").unwrap_or_default(),
                })
            })
            .collect::<Option<_>>()?;
        Some(Received {
            tab_id: int_field(details, "tabId")?,
            url: string_field(details, "url")?,
            kind: string_field(details, "type")?,
            status_code: int_field(details, "statusCode")?,
            response_headers,
        })
    }
}

/// A response in an isolated tab: its `Set-Cookie` lines go to the tab's jar; when it is the
/// login hop the tab's gate waits for, the tab then goes where the hop redirected.
pub async fn on_headers(details: JsValue) {
    let Some(received) = Received::read(&details) else {
        return;
    };
    let Ok(url) = Url::new(&received.url, "about:blank") else {
        return;
    };
    let host = url.hostname();
    let now = js_sys::Date::now();
    let parse_date = |text: &str| Some(js_sys::Date::parse(text)).filter(|t| t.is_finite());
    let header = |name: &str| -> Vec<&str> {
        (received.response_headers.iter())
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .flat_map(|h| h.value.split('\n'))
            .collect()
    };
    let hop_done = received.kind == "main_frame" && (300..400).contains(&received.status_code);
    let next = (header("location").first())
        .and_then(|l| Url::new(l, &received.url).ok())
        .map(|u| u.href());
    let tab = received.tab_id;
    let (changed, go_to) = change(|s| {
        let Some(jar) = s.jar_of(tab) else {
            return (false, None);
        };
        let mut changed = jar.purge(now);
        for line in header("set-cookie") {
            if let Some(c) = parse_set_cookie(line, &host, now, parse_date) {
                changed |= jar.apply(c);
            }
        }
        let go_to = match (hop_done && s.gates.contains_key(&tab), next) {
            (true, Some(next)) => {
                s.gates.remove(&tab);
                changed = true;
                Some(next)
            }
            _ => None,
        };
        (changed, go_to)
    })
    .await;
    if changed {
        if let Err(e) = commit().await {
            crate::log::warn(&format!(
                "isolation: rules not updated: {}",
                error_text(&e).unwrap_or_default()
            ));
            return;
        }
    }
    if let Some(next) = go_to {
        if let Err(e) = crate::tabs::navigate(tab, &next, None).await {
            crate::log::warn(&format!(
                "isolation: could not continue: {}",
                error_text(&e).unwrap_or_default()
            ));
        }
    }
}

/// `webNavigation.onCreatedNavigationTarget`: a tab opened by an isolated tab joins its jar,
/// then reloads its first page, which may have left before the rules named it.
pub async fn on_new_tab(details: JsValue) {
    let (Some(source), Some(tab), Some(url)) = (
        int_field(&details, "sourceTabId"),
        int_field(&details, "tabId"),
        string_field(&details, "url"),
    ) else {
        return;
    };
    let joined = change(|s| {
        let profile = s.tabs.get(&source).cloned();
        profile.is_some_and(|p| s.assign(tab, &p))
    })
    .await;
    if !joined || commit().await.is_err() {
        return;
    }
    if isolated(&url) {
        let _ = crate::tabs::navigate(tab, &url, None).await;
    }
}

/// `tabs.onRemoved`: the tab leaves its jar (the jar goes with its last tab).
pub async fn on_tab_removed(tab: i64) {
    if change(|s| s.forget(tab)).await {
        let _ = commit().await;
    }
}

/// Whether `tab` uses a jar (the session registry records it).
pub async fn isolates(tab: i64) -> bool {
    change(|s| s.tabs.contains_key(&tab)).await
}

/// Puts `tab` (open at `about:blank`, not yet loaded) in `profile`'s jar without a gate: a
/// second tab of a session that is already signed in.
pub async fn join(tab: i64, profile: &str) -> Result<(), ProtocolError> {
    if change(|s| s.assign(tab, profile)).await {
        if let Err(e) = commit().await {
            change(|s| s.forget(tab)).await;
            let _ = commit().await;
            return Err(failed("set up the account's cookie jar", &e));
        }
    }
    Ok(())
}

/// Empties `profile`'s jar and lets go of its tabs (after a sign-out).
pub async fn clear(profile: &str) {
    let changed = change(|s| {
        let tabs: Vec<i64> = (s.tabs.iter())
            .filter(|(_, p)| *p == profile)
            .map(|(t, _)| *t)
            .collect();
        let had = s.jars.remove(profile).is_some();
        for tab in &tabs {
            s.forget(*tab);
        }
        had || !tabs.is_empty()
    })
    .await;
    if changed {
        let _ = commit().await;
    }
}
