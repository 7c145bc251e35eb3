//! A JSON value the background reads field by field: the `JsValue` a browser API or a page
//! hands over, or, natively (tests, and the PROTOCOL.md check), the `serde_json::Value` of the
//! same JSON text. A serde decoder per type cost the background's wasm several times what a
//! reader of fields does; generic readers over [`Tree`] still run natively in unit tests.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// A JSON value, read field by field.
pub trait Tree: Sized {
    /// Member `name` of an object; `None` when it is absent or `null` (or this is no object).
    fn member(&self, name: &str) -> Option<Self>;
    fn string(&self) -> Option<String>;
    fn number(&self) -> Option<f64>;
    fn boolean(&self) -> Option<bool>;
    /// The items of an array.
    fn items(&self) -> Option<Vec<Self>>;
    /// The members of an object that is no array, in order.
    fn members(&self) -> Option<Vec<(String, Self)>>;
}

impl Tree for JsValue {
    fn member(&self, name: &str) -> Option<JsValue> {
        // No `is_object` check first (a list page reads tens of thousands of fields):
        // `Reflect.get` throws for anything but an object, and that reads as absent too.
        let value = Reflect::get(self, &JsValue::from_str(name)).ok()?;
        if value.is_null_or_undefined() {
            return None;
        }
        Some(value)
    }

    fn string(&self) -> Option<String> {
        self.as_string()
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn items(&self) -> Option<Vec<JsValue>> {
        crate::bindings::items(self)
    }

    fn members(&self) -> Option<Vec<(String, JsValue)>> {
        if !self.is_object() || Array::is_array(self) {
            return None;
        }
        let entries = Object::entries(self.unchecked_ref());
        (entries.iter())
            .map(|entry| {
                Some((
                    Reflect::get_u32(&entry, 0).ok()?.as_string()?,
                    Reflect::get_u32(&entry, 1).ok()?,
                ))
            })
            .collect()
    }
}

/// An optional field: `Some(None)` when absent or `null`, `None` when of another type.
pub fn optional<S: Tree, T>(value: &S, name: &str, read: fn(&S) -> Option<T>) -> Option<Option<T>> {
    match value.member(name) {
        Some(member) => read(&member).map(Some),
        None => Some(None),
    }
}

/// The items of array member `name`, each read by `read`: none when it is absent or `null`
/// (serde's `#[serde(default)]`), `None` when it is no array or an item does not read.
pub fn list<S: Tree, T>(value: &S, name: &str, read: fn(&S) -> Option<T>) -> Option<Vec<T>> {
    match value.member(name) {
        Some(items) => items.items()?.iter().map(read).collect(),
        None => Some(Vec::new()),
    }
}

/// A unit-variant enum (a colour, an icon, an error code) from its name, as its derived
/// decoder reads it.
pub fn named<S: Tree, E: serde::de::DeserializeOwned>(value: &S) -> Option<E> {
    use serde::de::value::{Error, StrDeserializer};
    E::deserialize(StrDeserializer::<Error>::new(&value.string()?)).ok()
}

/// An integer (a tab or group id): a number without a fraction.
pub fn int<S: Tree>(value: &S) -> Option<i64> {
    value
        .number()
        .filter(|n| n.fract() == 0.0 && n.abs() < 2f64.powi(63))
        .map(|n| n as i64)
}

impl Tree for serde_json::Value {
    fn member(&self, name: &str) -> Option<serde_json::Value> {
        self.get(name).filter(|v| !v.is_null()).cloned()
    }

    fn string(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn items(&self) -> Option<Vec<serde_json::Value>> {
        self.as_array().cloned()
    }

    fn members(&self) -> Option<Vec<(String, serde_json::Value)>> {
        let object = self.as_object()?;
        Some(object.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}
