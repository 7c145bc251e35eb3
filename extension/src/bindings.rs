//! The slice of the WebExtension API roleport uses, typed for Rust.
//!
//! One set of bindings serves both browsers: the namespace is `globalThis.browser` when it
//! exists (Firefox) and `globalThis.chrome` otherwise; in MV3 both return promises.
//! Methods that return a promise are bound as `-> Result<Promise, JsValue>` and awaited
//! through [`call`], so a synchronous throw and a rejection end up as the same error.
//!
//! The browser's own objects (tabs, groups, containers, request details) are read with
//! [`field`] and its kin, and the objects its calls take are built with [`object`]: a serde
//! decoder or `json!` per object type cost the background's wasm several times as much.
//! Our own types are written through [`crate::codec`] (serde); the background reads them back
//! (the host's messages, what `storage.session` keeps, the pages' requests) field by field
//! too, through [`crate::tree`], and the pages decode their replies with [`crate::codec`].

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// The extension API namespace (`browser` / `chrome`).
    pub type Api;
    #[wasm_bindgen(method, getter)]
    pub fn runtime(this: &Api) -> Runtime;
    #[wasm_bindgen(method, getter)]
    pub fn tabs(this: &Api) -> Tabs;
    #[wasm_bindgen(method, getter)]
    pub fn storage(this: &Api) -> Storage;
    /// Absent in browsers without tab groups.
    #[wasm_bindgen(method, getter, js_name = tabGroups)]
    pub fn tab_groups(this: &Api) -> Option<TabGroups>;
    /// Present in Firefox only.
    #[wasm_bindgen(method, getter, js_name = contextualIdentities)]
    pub fn contextual_identities(this: &Api) -> Option<ContextualIdentities>;

    /// `runtime`.
    pub type Runtime;
    #[wasm_bindgen(method, getter)]
    pub fn id(this: &Runtime) -> String;
    #[wasm_bindgen(method, js_name = getURL)]
    pub fn get_url(this: &Runtime, path: &str) -> String;
    /// The error of the last callback, or `undefined`.
    #[wasm_bindgen(method, getter, js_name = lastError)]
    pub fn last_error(this: &Runtime) -> JsValue;
    #[wasm_bindgen(method, catch, js_name = connectNative)]
    pub fn connect_native(this: &Runtime, application: &str) -> Result<Port, JsValue>;
    #[wasm_bindgen(method, catch, js_name = sendMessage)]
    pub fn send_message(this: &Runtime, message: &JsValue) -> Result<Promise, JsValue>;

    /// `runtime.Port`.
    pub type Port;
    #[wasm_bindgen(method, catch, js_name = postMessage)]
    pub fn post_message(this: &Port, message: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, getter, js_name = onMessage)]
    pub fn on_message(this: &Port) -> Event;
    #[wasm_bindgen(method, getter, js_name = onDisconnect)]
    pub fn on_disconnect(this: &Port) -> Event;
    /// Firefox: why the port closed (an `Error`, or `null`).
    #[wasm_bindgen(method, getter)]
    pub fn error(this: &Port) -> JsValue;
    #[wasm_bindgen(method)]
    pub fn disconnect(this: &Port);

    /// Any `events.Event`.
    pub type Event;
    #[wasm_bindgen(method, js_name = addListener)]
    pub fn add_listener(this: &Event, listener: &Function);

    /// `storage.local`: the popup's favourites and recents.
    pub type Storage;
    #[wasm_bindgen(method, getter)]
    pub fn local(this: &Storage) -> StorageArea;
    /// One storage area.
    pub type StorageArea;
    #[wasm_bindgen(method, catch)]
    pub fn get(this: &StorageArea, keys: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn set(this: &StorageArea, items: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn remove(this: &StorageArea, keys: &JsValue) -> Result<Promise, JsValue>;

    /// `tabs`.
    pub type Tabs;
    #[wasm_bindgen(method, catch)]
    pub fn create(this: &Tabs, properties: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn group(this: &Tabs, options: &JsValue) -> Result<Promise, JsValue>;
    /// `tabs.get(tabId)`: the tab's current state (`status`, `url`).
    #[wasm_bindgen(method, catch)]
    pub fn get(this: &Tabs, tab_id: f64) -> Result<Promise, JsValue>;

    /// `tabGroups`.
    pub type TabGroups;
    #[wasm_bindgen(method, catch)]
    pub fn query(this: &TabGroups, query: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn update(
        this: &TabGroups,
        group_id: f64,
        properties: &JsValue,
    ) -> Result<Promise, JsValue>;

    /// `contextualIdentities`.
    pub type ContextualIdentities;
    #[wasm_bindgen(method, catch, js_name = query)]
    pub fn query(this: &ContextualIdentities, details: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = create)]
    pub fn create(this: &ContextualIdentities, details: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = update)]
    pub fn update(
        this: &ContextualIdentities,
        cookie_store_id: &str,
        details: &JsValue,
    ) -> Result<Promise, JsValue>;
}

/// The extension API namespace of this page or worker.
pub fn api() -> Api {
    let global = js_sys::global();
    let browser = Reflect::get(&global, &JsValue::from_str("browser")).unwrap_or_default();
    if browser.is_object() {
        browser.unchecked_into()
    } else {
        Reflect::get(&global, &JsValue::from_str("chrome"))
            .unwrap_or_default()
            .unchecked_into()
    }
}

/// Awaits a promise-returning API call; a throw and a rejection both become `Err`.
pub async fn call(started: Result<Promise, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(started?).await
}

/// The `message` of a JS error-like value (`Error`, `runtime.lastError`), if any.
pub fn error_text(error: &JsValue) -> Option<String> {
    if let Some(text) = error.as_string() {
        return Some(text);
    }
    if !error.is_object() {
        return None;
    }
    Reflect::get(error, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
}

/// Field `name` of a browser object (`undefined` when it has none, or is no object).
pub fn field(object: &JsValue, name: &str) -> JsValue {
    if !object.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// A string field of a browser object.
pub fn string_field(object: &JsValue, name: &str) -> Option<String> {
    field(object, name).as_string()
}

/// An integer field of a browser object (an id): a number without a fraction.
pub fn int_field(object: &JsValue, name: &str) -> Option<i64> {
    crate::tree::int(&field(object, name))
}

/// A plain object with these fields, for a browser API call.
pub fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (name, value) in fields {
        let _ = Reflect::set(&object, &JsValue::from_str(name), value);
    }
    object.into()
}

/// A JS array of tab ids.
pub fn ids(ids: &[i64]) -> JsValue {
    ids.iter()
        .map(|&id| JsValue::from_f64(id as f64))
        .collect::<js_sys::Array>()
        .into()
}

/// The items of a JS array; `None` when `value` is no array.
pub fn items(value: &JsValue) -> Option<Vec<JsValue>> {
    Some(value.dyn_ref::<js_sys::Array>()?.iter().collect())
}

/// A JS array of strings; `None` when it is no array or holds anything else.
pub fn strings(value: &JsValue) -> Option<Vec<String>> {
    value
        .dyn_ref::<js_sys::Array>()?
        .iter()
        .map(|v| v.as_string())
        .collect()
}
