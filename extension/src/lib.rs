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
//!   [`popup::model`] (the popup's state machine).
//! - browser glue, exercised by the end-to-end tests: [`bindings`] (the WebExtension API),
//!   [`native_port`] (the host port; it also receives host events such as `open_tab` after
//!   `roleport open`), [`tabs`], [`background`], [`popup::view`], [`popup::app`], [`log`].
//!
//! Architecture Invariant: nothing here ever holds a credential. The only secret that passes
//! through is the one-time sign-in URL, which is handed to `tabs.create` and never logged.

pub mod background;
pub mod bindings;
pub mod codec;
pub mod host_error;
pub mod log;
pub mod messages;
pub mod native_port;
pub mod pending;
pub mod placement;
pub mod popup;
pub mod tabs;
pub mod trust;

use wasm_bindgen::prelude::*;

/// `runtime.onMessage` in the background: answers one popup request.
/// Resolves to `{ok: …}` or `{err: {code, message, hint}}`.
#[wasm_bindgen]
pub async fn on_message(message: JsValue, sender: JsValue) -> JsValue {
    background::on_message(message, sender).await
}

/// `runtime.onStartup` / `runtime.onInstalled` in the background: opens the host port early,
/// so the terminal → browser path works before the first click.
#[wasm_bindgen]
pub fn on_startup() {
    background::on_startup();
}

/// Entry point of `popup.html`.
#[wasm_bindgen]
pub fn popup_main() -> Result<(), JsValue> {
    popup::app::start()
}
