//! The profile list the host gave last, kept in `storage.session` for the next popup to draw
//! at once.
//!
//! `popup-start.js` reads it before the popup's module has even loaded: one read of the
//! stored text is several times quicker than the same text sent as the reply to a message
//! (at 5,000 profiles, ~750 KB: about 2 ms against 12–16 ms in headless Chromium), and it
//! is there when the service worker has just restarted. The popup asks the background for the
//! fresh list right after, as it does with any cached list. Names, accounts and colours only,
//! as the popup shows them: nothing secret. The background writes it only when the list
//! changes.

use wasm_bindgen::JsValue;

use crate::bindings::{api, call, error_text};
use crate::log;

/// The storage key; `popup-start.js` names it too.
pub const KEY: &str = "roleport.popup_list";

/// The largest list text kept. `storage.session` holds 10 MB for the whole extension, which
/// the session registry and Chromium's cookie jars need too; a larger organisation's popup
/// asks the background instead.
const MAX_KEPT: usize = 2 << 20;

/// Keeps `reply`, the JSON text of the popup's reply holding the list, for the next popup.
pub fn keep(reply: &str) {
    if reply.len() > MAX_KEPT {
        forget();
        return;
    }
    let items = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&items, &JsValue::from_str(KEY), &JsValue::from_str(reply));
    write(move |area| area.set(&items), "keep");
}

/// Drops the kept list (its colours are from rules just replaced, or it grew too large).
pub fn forget() {
    write(|area| area.remove(&JsValue::from_str(KEY)), "drop");
}

fn write(
    change: impl FnOnce(&crate::bindings::StorageArea) -> Result<js_sys::Promise, JsValue> + 'static,
    what: &'static str,
) {
    let Some(area) = api().storage().session() else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = call(change(&area)).await {
            // The next popup then draws the list it asks the background for.
            log::warn(&format!(
                "cannot {what} the list for the next popup: {}",
                error_text(&e).unwrap_or_default()
            ));
        }
    });
}
