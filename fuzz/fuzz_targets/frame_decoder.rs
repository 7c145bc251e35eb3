//! The native-messaging frame decoder, exactly as the host's reader uses it
//! (`native_messaging::host::decode_message_opt` bounded by `MAX_FRAME_FROM_BROWSER`):
//! any byte stream gives frames no larger than the bound, then at most one fatal, coded error;
//! never a panic, never an allocation the peer chose beyond the bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roleport::native::{decode_frames, parse_native};
use roleport_protocol::{ErrorCode, MAX_FRAME_FROM_BROWSER};

fuzz_target!(|data: &[u8]| {
    let frames = decode_frames(data);
    let mut used = 0;
    for (i, frame) in frames.iter().enumerate() {
        match frame {
            Ok(text) => {
                assert!(text.len() <= MAX_FRAME_FROM_BROWSER, "{} bytes", text.len());
                used += 4 + text.len();
                // Every readable frame is answered: it goes to the parser next.
                let _ = parse_native(text);
            }
            Err(error) => {
                assert_eq!(i + 1, frames.len(), "a fatal error ends the stream");
                assert!(
                    matches!(error.code, ErrorCode::BadFrame | ErrorCode::FrameTooLarge),
                    "{:?}",
                    error.code
                );
            }
        }
    }
    assert!(
        used <= data.len(),
        "{used} bytes of frames from {}",
        data.len()
    );
});
