//! Moves typed values in and out of JS through JSON text.
//!
//! The native host speaks serde_json; going through `JSON.stringify` / `JSON.parse` here too
//! keeps one exact wire format on both sides (u64 ids, flattened and tagged enums) and keeps
//! the decoding natively testable: [`decode`] and [`encode`] work on strings.

use roleport_protocol::{ErrorCode, Event, EventFrame, ProtocolError};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
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

/// A host event frame from its JSON text, as [`EventFrame`]'s derived decoder reads it, but
/// the `event` name first and then only that event's fields from the same text: the derived
/// decoder of the internally tagged [`Event`] first copies the object into a tree (serde's
/// `Content`), and that code was a large part of the background's wasm.
pub fn decode_event(text: &str) -> Result<EventFrame, ProtocolError> {
    #[derive(Deserialize)]
    struct Head {
        v: u32,
        event: String,
    }
    let what = "an event from the host";
    let head: Head = decode(text, what)?;
    let event = match head.event.as_str() {
        "open_tab" => Event::OpenTab(decode(text, what)?),
        "sso_device_code" => Event::SsoDeviceCode(decode(text, what)?),
        "sso_sync_progress" => Event::SsoSyncProgress(decode(text, what)?),
        other => {
            let why: serde::de::value::Error =
                serde::de::Error::unknown_variant(other, Event::NAMES);
            return Err(unreadable(what, why));
        }
    };
    Ok(EventFrame { v: head.v, event })
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleport_protocol::Reply;

    #[test]
    fn events_read_as_the_host_writes_them() {
        use roleport_protocol::{
            Appearance, Color, Icon, OpenConsoleOk, OpenTab, SsoDeviceCode, SsoSyncProgress,
        };
        let open = OpenTab {
            event_id: 3,
            console: OpenConsoleOk {
                profile: "prod".into(),
                url: "https://signin.test/federation".into(),
                account_id: Some("111111111111".into()),
                role: None,
                expires_at: None,
                notices: vec!["capped".into()],
                region: None,
                logout_url: None,
                appearance: Appearance {
                    color: Color::Red,
                    icon: Icon::Fence,
                    label: Some("PROD".into()),
                },
            },
        };
        let code = SsoDeviceCode {
            event_id: 4,
            profile: "sso".into(),
            user_code: "ABCD-EFGH".into(),
            verification_uri_complete: "https://device.test/?code=ABCD-EFGH".into(),
            expires_in: 600,
        };
        let progress = SsoSyncProgress {
            event_id: 5,
            login: "corp".into(),
            accounts: 3,
            stale: 1,
            done: 2,
            throttled: 0,
        };
        for event in [
            Event::OpenTab(open),
            Event::SsoDeviceCode(code),
            Event::SsoSyncProgress(progress),
        ] {
            let frame = EventFrame::new(event);
            let text = encode(&frame);
            assert_eq!(decode_event(&text).expect("reads"), frame, "{text}");
        }
        let unknown = decode_event(r#"{"v":1,"event":"sso_done","event_id":1}"#);
        assert!(unknown.expect_err("unknown").message.contains("sso_done"));
        let broken = decode_event(r#"{"v":1,"event":"open_tab","event_id":1}"#);
        assert_eq!(broken.expect_err("no console").code, ErrorCode::BadFrame);
    }

    #[test]
    fn decode_reports_what_it_was_reading() {
        let err = decode::<Reply>("{\"v\":1}", "the host's reply").expect_err("incomplete");
        assert_eq!(err.code, ErrorCode::BadFrame);
        assert!(err.message.contains("the host's reply"), "{}", err.message);
    }
}
