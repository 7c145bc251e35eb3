//! Console logging with a prefix.
//!
//! Never pass a sign-in URL or a host reply's payload here: they carry one-time tokens.
//! Log profile names, ids, error codes and browser error texts only.

use wasm_bindgen::JsValue;

const PREFIX: &str = "roleport:";

/// Details useful while developing (hidden by default in the browsers' consoles).
pub fn debug(text: &str) {
    web_sys::console::debug_2(&JsValue::from_str(PREFIX), &JsValue::from_str(text));
}

/// Something a person may want to know (the host is not installed, a port closed).
pub fn info(text: &str) {
    web_sys::console::info_2(&JsValue::from_str(PREFIX), &JsValue::from_str(text));
}

/// Something unexpected that roleport recovered from.
pub fn warn(text: &str) {
    web_sys::console::warn_2(&JsValue::from_str(PREFIX), &JsValue::from_str(text));
}
