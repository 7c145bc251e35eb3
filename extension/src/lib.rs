//! roleport's browser extension, compiled to WebAssembly: the background (one port to the
//! native host, the open flow, containers / tab groups) and the popup (a profile list).
//!
//! The JS files beside the manifest only load this module and forward browser events to the
//! `#[wasm_bindgen]` entry points below; every decision is made here.
//!
//! Module map:
//! - pure logic, unit-tested natively: [`messages`] (popup ↔ background wire types),
//!   [`codec`] (JSON in and out of JS values), [`pending`] (reply correlation),
//!   [`host_error`] (why the host is unreachable, and the fix), [`trust`] (who may message
//!   the background), [`placement`] (container vs tab group, create vs recolour),
//!   [`popup::model`] (the popup's state machine), [`popup::narrowing`] (a keystroke ranks only
//!   what can still match), [`isolation::jar`] and [`isolation::rules`]
//!   (Chromium's per-account cookie jars and the declarativeNetRequest rules they ask for),
//!   [`popup::sync`] (the SSO sync button's state and words), [`profile_pages`] (the host's
//!   `list_profiles` pages joined into one list), [`saml::post`] (which requests are SAML
//!   sign-ins), [`sessions::registry`] (the live console sessions: tabs, expiry, countdowns),
//!   [`options::model`] (the settings page's rule edits), [`turns`] (one open per profile at a
//!   time), [`switch_roles`] (the console's Switch Role links offered without a host), [`sorted`]
//!   (sorted `Vec` sets kept in order by insertion, not by sorting), [`results`] (the host's
//!   results the background reads and its events, read field by field), [`stored`] (the registry
//!   and isolation state read back from `storage.session` field by field, not through serde),
//!   [`tree`] (JSON values read field by field: `JsValue`, or `serde_json::Value` in tests).
//! - browser glue, exercised by the end-to-end tests: [`bindings`] (the WebExtension API;
//!   browser objects are read and built field by field there, not through serde),
//!   [`last_list`] (the last list, in `storage.session` for the next popup),
//!   [`native_port`] (the host port; it also receives host events such as `open_tab` after
//!   `roleport open`), [`tabs`], [`background`], [`popup::view`], [`popup::app`], [`log`],
//!   [`saml::flow`] and [`saml::page`] (SAML sign-in: the host's role list, `saml.html`),
//!   [`options::page`] (`options.html`: colour rules and defaults, saved through the host),
//!   [`isolation`] (Chromium's jars: `storage.session`, the rule swap, the gated first hop),
//!   [`sessions`] (the registry in `storage.session`, following tabs; focus, another tab,
//!   renew, sign out, the expired mark).
//!
//! Each page loads only its own entry points: the build compiles this crate once per page with
//! one feature (`background`, `popup`, `options`, `saml`), so every module holds only the code
//! its entry points reach (the popup's is a third of the whole). Native builds and tests take
//! them all (the default).
//!
//! Architecture Invariant: nothing here ever holds an AWS credential. The only secrets that
//! pass through are the one-time sign-in URL, which is handed to `tabs.create` (or, with
//! Chromium isolation, `tabs.update`), and an identity provider's SAML response, which is
//! handed to the host; neither is ever logged or stored. One kind of secret is stored:
//! [`isolation`]'s console session cookies, in `storage.session`, sent only to AWS's domains.

pub mod background;
pub mod bindings;
pub mod codec;
pub mod host_error;
pub mod isolation;
pub mod last_list;
pub mod log;
pub mod messages;
pub mod native_port;
pub mod options;
pub mod pending;
pub mod placement;
pub mod popup;
pub mod profile_pages;
pub mod results;
pub mod saml;
pub mod sessions;
pub mod sorted;
pub mod stored;
pub mod switch_roles;
pub mod tabs;
pub mod tree;
pub mod trust;
pub mod turns;

use wasm_bindgen::prelude::*;

/// `runtime.onMessage` in the background: answers one popup request.
/// Resolves to `{ok: …}` or `{err: {code, message, hint}}`.
#[cfg(feature = "background")]
#[wasm_bindgen]
pub async fn on_message(message: JsValue, sender: JsValue) -> JsValue {
    background::on_message(message, sender).await
}

/// `runtime.onStartup` / `runtime.onInstalled` in the background: opens the host port early,
/// so the terminal → browser path works before the first click.
#[cfg(feature = "background")]
#[wasm_bindgen]
pub fn on_startup() {
    background::on_startup();
}

/// `webRequest.onBeforeRequest` on AWS's SAML sign-in endpoints: an identity provider's
/// SAML response goes to the host, and the role chooser (`saml.html`) opens.
#[cfg(feature = "background")]
#[wasm_bindgen]
pub async fn on_saml_post(details: JsValue) {
    saml::flow::on_post(details).await;
}

/// `webRequest.onHeadersReceived` on the isolated domains (Chromium): the response's
/// `Set-Cookie` lines go to its tab's cookie jar ([`isolation`]).
#[cfg(feature = "background")]
#[wasm_bindgen]
pub async fn on_isolation_headers(details: JsValue) {
    isolation::on_headers(details).await;
}

/// `webNavigation.onCreatedNavigationTarget` (Chromium): a tab opened from an isolated tab
/// joins its opener's cookie jar.
#[cfg(feature = "background")]
#[wasm_bindgen]
pub async fn on_isolation_new_tab(details: JsValue) {
    isolation::on_new_tab(details).await;
}

/// `tabs.onRemoved` (Chromium): the tab leaves its cookie jar.
#[cfg(feature = "background")]
#[wasm_bindgen]
pub async fn on_isolation_tab_removed(tab_id: f64) {
    isolation::on_tab_removed(tab_id as i64).await;
}

/// `tabs.onRemoved` (both browsers): the tab leaves its console session.
#[cfg(feature = "background")]
#[wasm_bindgen]
pub async fn on_session_tab_removed(tab_id: f64) {
    sessions::on_tab_removed(tab_id as i64).await;
}

/// `webNavigation.onCreatedNavigationTarget` (both browsers): a tab opened from a console
/// tab joins its session.
#[cfg(feature = "background")]
#[wasm_bindgen]
pub async fn on_session_new_tab(details: JsValue) {
    sessions::on_new_tab(details).await;
}

/// `storage.onChanged` of the session registry's key in `storage.session`: the new value.
#[cfg(feature = "background")]
#[wasm_bindgen]
pub async fn on_sessions_stored(value: JsValue) {
    sessions::on_stored(value).await;
}

/// Entry point of `saml.html`, the SAML role chooser.
#[cfg(feature = "saml")]
#[wasm_bindgen]
pub fn saml_main() -> Result<(), JsValue> {
    saml::page::start()
}

/// Entry point of `options.html`, the settings page (colour rules, defaults).
#[cfg(feature = "options")]
#[wasm_bindgen]
pub fn options_main() -> Result<(), JsValue> {
    options::page::start()
}

/// Entry point of `popup.html`.
#[cfg(feature = "popup")]
#[wasm_bindgen]
pub fn popup_main(
    asked: Option<js_sys::Promise>,
    prefs: Option<js_sys::Promise>,
) -> Result<(), JsValue> {
    popup::app::start(asked, prefs)
}
