//! Moves typed values in and out of JS through JSON text.
//!
//! The native host speaks serde_json; going through `JSON.stringify` / `JSON.parse` here too
//! keeps one exact wire format on both sides (u64 ids, flattened and tagged enums) and keeps
//! the decoding natively testable: [`decode`] and [`encode`] work on strings. Everything
//! encodes here; the pages decode here, while the background reads what it receives field by
//! field ([`crate::tree`]), which keeps a JSON parser out of its wasm.

use roleport_protocol::{ErrorCode, ProtocolError};
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::JsValue;

/// Parses JSON text into `T`, as a coded error a person can report.
pub fn decode<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, ProtocolError> {
    serde_json::from_str(text).map_err(|e| unreadable(what, e))
}

/// The error for `what` that did not decode, because of `why`.
pub fn unreadable(what: &str, why: impl std::fmt::Display) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::BadFrame,
        format!("roleport could not read {what}: {why}"),
        "Make sure the extension and `roleport` are the same version.",
    )
}

/// Serialises `T` to JSON text. Our own types always serialise.
pub fn encode<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// A typed value as a plain JS object.
pub fn to_js<T: Serialize>(value: &T) -> JsValue {
    js_sys::JSON::parse(&encode(value)).unwrap_or(JsValue::NULL)
}

/// A plain JS object as a typed value.
pub fn from_js<T: DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, ProtocolError> {
    decode(&text_of(value), what)
}

/// A plain JS object as JSON text.
pub fn text_of(value: &JsValue) -> String {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "null".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleport_protocol::Reply;

    #[test]
    fn decode_reports_what_it_was_reading() {
        let err = decode::<Reply>("{\"v\":1}", "the host's reply").expect_err("incomplete");
        assert_eq!(err.code, ErrorCode::BadFrame);
        assert!(err.message.contains("the host's reply"), "{}", err.message);
    }
}
