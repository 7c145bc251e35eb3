//! Native-messaging framing over an async stream: a 32-bit length in native byte order, then
//! that many bytes of UTF-8 JSON. Both directions are bounded; a length over the bound is
//! refused before anything is buffered.

use std::io;

use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A frame that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The length prefix exceeds the limit; the stream cannot be resynchronised.
    #[error("a frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// The announced length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The stream broke off, possibly mid-frame.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Reads one frame; `None` when the stream ended cleanly between frames. Bytes that are not
/// UTF-8 come back as an empty string, which then fails to parse as JSON (`bad_frame`).
pub async fn read<R: AsyncRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> Result<Option<String>, FrameError> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < len.len() {
        let n = reader.read(&mut len[got..]).await?;
        if n == 0 {
            return if got == 0 {
                Ok(None)
            } else {
                Err(io::Error::from(io::ErrorKind::UnexpectedEof).into())
            };
        }
        got += n;
    }
    let len = u32::from_ne_bytes(len) as usize;
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).await?;
    Ok(Some(String::from_utf8(body).unwrap_or_default()))
}

/// Encodes `value` as a frame, or says how large it would have been.
pub fn encode<T: Serialize>(value: &T, max: usize) -> Result<Vec<u8>, FrameError> {
    let body = serde_json::to_vec(value).map_err(io::Error::other)?;
    if body.len() > max {
        return Err(FrameError::TooLarge {
            len: body.len(),
            max,
        });
    }
    let len = u32::try_from(body.len()).map_err(io::Error::other)?;
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&len.to_ne_bytes());
    frame.extend_from_slice(&body);
    Ok(frame)
}

/// Writes one already encoded frame and flushes it.
pub async fn write<W: AsyncWrite + Unpin>(writer: &mut W, frame: &[u8]) -> io::Result<()> {
    writer.write_all(frame).await?;
    writer.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_round_trip_and_a_clean_end_is_none() {
        let mut bytes = encode(&serde_json::json!({"a": 1}), 100).expect("fits");
        bytes.extend(encode(&"second", 100).expect("fits"));
        let mut reader = &bytes[..];
        assert_eq!(
            read(&mut reader, 100).await.expect("ok").as_deref(),
            Some(r#"{"a":1}"#)
        );
        assert_eq!(
            read(&mut reader, 100).await.expect("ok").as_deref(),
            Some(r#""second""#)
        );
        assert!(read(&mut reader, 100).await.expect("ok").is_none());
    }

    #[tokio::test]
    async fn oversized_and_truncated_frames_are_errors() {
        let big = (1_000_000u32).to_ne_bytes();
        assert!(matches!(
            read(&mut &big[..], 1000).await,
            Err(FrameError::TooLarge {
                len: 1_000_000,
                max: 1000
            })
        ));
        let cut = [5u8, 0, 0, 0, b'{'];
        let cut = if cfg!(target_endian = "big") {
            [0, 0, 0, 5, b'{']
        } else {
            cut
        };
        assert!(matches!(
            read(&mut &cut[..], 1000).await,
            Err(FrameError::Io(_))
        ));
        assert!(matches!(
            read(&mut &[1u8, 0][..], 1000).await,
            Err(FrameError::Io(_))
        ));
        assert!(matches!(
            encode(&"x".repeat(50), 10),
            Err(FrameError::TooLarge { .. })
        ));
    }
}
