//! The staged request parser (`native::parse_for`) on both channels: every input is a request
//! this channel serves or an error with the earliest applicable code, never a panic; what it
//! accepts survives a round trip through the wire format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roleport::ipc::SOCKET_TYPES;
use roleport::native::{parse_for, parse_native, NATIVE_TYPES};
use roleport_protocol::{Envelope, ErrorCode};

fuzz_target!(|data: &[u8]| {
    // The reader hands the parser an empty text for a payload that is not UTF-8.
    let text = std::str::from_utf8(data).unwrap_or_default();
    for served in [NATIVE_TYPES, SOCKET_TYPES] {
        check(text, served);
    }
    let native = parse_native(text).map_err(|(id, e)| (id, e.code));
    let general = parse_for(text, NATIVE_TYPES).map_err(|(id, e)| (id, e.code));
    assert_eq!(native, general);
});

fn check(text: &str, served: &[&str]) {
    match parse_for(text, served) {
        Ok((id, request)) => {
            assert!(served.contains(&request.type_name()), "{request:?}");
            let again = serde_json::to_string(&Envelope::new(id, request.clone()))
                .expect("a parsed request serialises");
            let reparsed = parse_for(&again, served).map_err(|(_, e)| e.message);
            assert_eq!(reparsed, Ok((id, request)), "round trip of {again}");
        }
        Err((id, error)) => {
            assert!(
                matches!(
                    error.code,
                    ErrorCode::BadFrame
                        | ErrorCode::InvalidRequest
                        | ErrorCode::UnsupportedVersion
                        | ErrorCode::UnknownMessage
                ),
                "{:?}",
                error.code
            );
            assert!(!error.message.is_empty() && !error.hint.is_empty());
            // The reply carries the request's id whenever the request had a readable one.
            let json_id = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("id").and_then(serde_json::Value::as_u64));
            assert_eq!(id, json_id, "{:?}", error.code);
        }
    }
}
