//! Native messaging: who started us, and the request loop over stdin/stdout.
//!
//! Architecture Invariant: stdout carries frames and nothing else; logs go to stderr.
//! Every readable request gets exactly one reply, even when its handler panics.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{mpsc as std_mpsc, Arc};

use native_messaging::host::{decode_message_opt, encode_message, send_frame, NmError};
use roleport_protocol::{
    Browser, Envelope, ErrorCode, Event, EventFrame, ProtocolError, Reply, Request,
    CHROMIUM_EXTENSION_ID, FIREFOX_EXTENSION_ID, MAX_FRAME_FROM_BROWSER, MAX_FRAME_TO_BROWSER,
    PROTOCOL_VERSION,
};
use serde_json::Value;
use tokio::sync::{mpsc, Semaphore};

use crate::limits;
use crate::service::Service;

/// The browser that started the host, as told by its command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Chromium family: `roleport chrome-extension://ID/`.
    Chromium {
        /// The calling extension's origin.
        origin: String,
    },
    /// Firefox: `roleport /path/to/manifest.json EXTENSION_ID`.
    Firefox {
        /// The host manifest Firefox read.
        manifest: PathBuf,
        /// The calling extension's id.
        extension_id: String,
    },
}

impl Caller {
    /// Recognises a browser's command line; `None` means a person ran the CLI.
    pub fn from_args(args: &[String]) -> Option<Caller> {
        let first = args.get(1)?;
        if first.starts_with("chrome-extension://") {
            return Some(Caller::Chromium {
                origin: first.clone(),
            });
        }
        let second = args.get(2)?;
        if first.ends_with(".json") && !second.starts_with('-') {
            return Some(Caller::Firefox {
                manifest: PathBuf::from(first),
                extension_id: second.clone(),
            });
        }
        None
    }

    /// The browser family.
    pub fn browser(&self) -> Browser {
        match self {
            Caller::Chromium { .. } => Browser::Chromium,
            Caller::Firefox { .. } => Browser::Firefox,
        }
    }

    /// Whether the caller is one of roleport's own extensions.
    pub fn is_allowed(&self) -> bool {
        match self {
            Caller::Chromium { origin } => {
                origin.trim_end_matches('/')
                    == format!("chrome-extension://{CHROMIUM_EXTENSION_ID}")
            }
            Caller::Firefox { extension_id, .. } => extension_id == FIREFOX_EXTENSION_ID,
        }
    }
}

/// The error sent, once, to a caller that is not ours.
pub fn refusal(caller: &Caller) -> Reply {
    Reply::err(
        None,
        ProtocolError::new(
            ErrorCode::CallerNotAllowed,
            format!("roleport's host serves only roleport's own extension, not {caller:?}"),
            "Install roleport's extension from its official listing; other extensions cannot use this host.",
        ),
    )
}

enum Inbound {
    Frame(String),
    /// The stream cannot be read further; reply with this error and stop.
    Fatal(ProtocolError),
}

/// Request types the native port serves: all but `open_in_browser`, which only the CLI's
/// socket takes.
pub const NATIVE_TYPES: &[&str] = &[
    "hello",
    "list_profiles",
    "open_console",
    "open_tab_result",
    "sso_login",
    "saml_roles",
    "saml_open",
    "sso_sync",
    "settings_get",
    "settings_put",
];

/// One frame to the browser.
#[derive(Debug)]
pub enum Outbound {
    /// The answer to a request.
    Reply(Reply),
    /// Something the host starts (`roleport open`).
    Event(EventFrame),
    /// The port is done: the writer stops (not a frame).
    Close,
}

/// Sends host-initiated events to the browser over the native port. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox(std_mpsc::Sender<Outbound>);

/// The writer's end of an [`Outbox`].
#[derive(Debug)]
pub struct OutboxReceiver(std_mpsc::Receiver<Outbound>);

impl Outbox {
    /// A new outbox and the receiver [`serve_with`] writes from.
    pub fn new() -> (Outbox, OutboxReceiver) {
        let (tx, rx) = std_mpsc::channel();
        (Outbox(tx), OutboxReceiver(rx))
    }

    /// Queues an event for the browser; false when the port is closed.
    pub fn send_event(&self, event: Event) -> bool {
        tracing::debug!(event = event.name(), "event to the browser");
        self.0.send(Outbound::Event(EventFrame::new(event))).is_ok()
    }
}

impl OutboxReceiver {
    /// The channel itself (tests).
    pub fn into_inner(self) -> std_mpsc::Receiver<Outbound> {
        self.0
    }
}

/// Serves requests from `input` until it closes, writing replies to `output`.
/// `record` (tests only) receives a copy of every frame sent.
pub async fn serve<R, W>(
    input: R,
    output: W,
    service: Arc<Service>,
    record: Option<Box<dyn Write + Send>>,
) where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    let (outbox, outbound) = Outbox::new();
    serve_with(input, output, service, record, outbox, outbound).await;
}

/// [`serve`], also writing the events queued in `outbox` (whose receiver is `outbound`).
pub async fn serve_with<R, W>(
    input: R,
    output: W,
    service: Arc<Service>,
    record: Option<Box<dyn Write + Send>>,
    outbox: Outbox,
    outbound: OutboxReceiver,
) where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    let (in_tx, mut in_rx) = mpsc::channel(16);
    std::thread::spawn(move || read_frames(input, in_tx));
    let out_tx = outbox.0;
    let writer = std::thread::spawn(move || write_frames(output, outbound.0, record));

    let mut tasks = tokio::task::JoinSet::new();
    // A bound on requests in flight: beyond it, `busy` at once (an unbounded queue would let a
    // stuck AWS pile up tasks and memory without end).
    let in_flight = Arc::new(Semaphore::new(limits::MAX_IN_FLIGHT));
    while let Some(inbound) = in_rx.recv().await {
        match inbound {
            Inbound::Fatal(error) => {
                let _ = out_tx.send(Outbound::Reply(Reply::err(None, error)));
                break;
            }
            Inbound::Frame(text) => match parse(&text) {
                Err((id, error)) => {
                    let _ = out_tx.send(Outbound::Reply(Reply::err(id, error)));
                }
                Ok((id, request)) => {
                    let kind = request.type_name();
                    let permit = if limits::is_capped(&request) {
                        match Arc::clone(&in_flight).try_acquire_owned() {
                            Ok(permit) => Some(permit),
                            Err(_) => {
                                tracing::warn!(id, kind, "refused: too many requests in flight");
                                let busy = Reply::err(Some(id), limits::busy(kind));
                                let _ = out_tx.send(Outbound::Reply(busy));
                                continue;
                            }
                        }
                    } else {
                        None
                    };
                    let limit = limits::time_limit(&request);
                    let service = Arc::clone(&service);
                    let out = out_tx.clone();
                    tasks.spawn(async move {
                        let _permit = permit;
                        // The limit runs inside the spawned task, so a handler past it is
                        // dropped (not left running) and a panic is still caught below.
                        let handled = tokio::spawn(async move {
                            limits::within(kind, limit, service.handle(request)).await
                        });
                        let reply = match handled.await {
                            Ok(Ok(response)) => Reply::ok(id, response),
                            Ok(Err(error)) => {
                                tracing::warn!(id, kind, code = %error.code, "request failed: {}", error.message);
                                Reply::err(Some(id), error)
                            }
                            Err(join) => {
                                tracing::error!(id, kind, "handler crashed: {join}");
                                Reply::err(Some(id), internal(format!("the {kind} handler crashed")))
                            }
                        };
                        let _ = out.send(Outbound::Reply(reply));
                    });
                }
            },
        }
    }
    while tasks.join_next().await.is_some() {}
    // Clones of the outbox may outlive the port (a `roleport open` in flight): say stop.
    let _ = out_tx.send(Outbound::Close);
    drop(out_tx);
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
}

fn read_frames<R: Read>(mut input: R, tx: mpsc::Sender<Inbound>) {
    while let Some(inbound) = next_inbound(&mut input) {
        let fatal = matches!(inbound, Inbound::Fatal(_));
        if tx.blocking_send(inbound).is_err() || fatal {
            return;
        }
    }
}

/// What the reader makes of the next frame of `input`: `None` at a clean end of the stream.
fn next_inbound<R: Read>(input: &mut R) -> Option<Inbound> {
    let inbound = match decode_message_opt(input, MAX_FRAME_FROM_BROWSER) {
        Ok(Some(text)) => Inbound::Frame(text),
        Ok(None) => return None,
        // The payload was consumed, so the stream is still in step: answer and go on.
        Err(NmError::IncomingNotUtf8(_)) => Inbound::Frame(String::new()),
        Err(NmError::IncomingTooLarge { len, max }) => Inbound::Fatal(ProtocolError::new(
            ErrorCode::FrameTooLarge,
            format!("a request of {len} bytes exceeds the host's limit of {max} bytes"),
            "This is a bug in the caller; the host closes the connection. Reopen the popup to reconnect.",
        )),
        Err(e) => Inbound::Fatal(ProtocolError::new(
            ErrorCode::BadFrame,
            format!("the request stream broke off mid-frame: {e}"),
            "Reopen the popup to reconnect.",
        )),
    };
    Some(inbound)
}

/// The frames the host reads from `input` as the native loop reads them: each frame's text
/// (an empty one for a payload that is not UTF-8), then, if the stream breaks, the fatal
/// error it is answered with. For the fuzz targets (`fuzz/`); the loop uses the same code.
#[doc(hidden)]
pub fn decode_frames(mut input: &[u8]) -> Vec<Result<String, ProtocolError>> {
    let mut frames = Vec::new();
    while let Some(inbound) = next_inbound(&mut input) {
        match inbound {
            Inbound::Frame(text) => frames.push(Ok(text)),
            Inbound::Fatal(error) => {
                frames.push(Err(error));
                break;
            }
        }
    }
    frames
}

/// The native port's request parser ([`parse_for`] with [`NATIVE_TYPES`]). For the fuzz
/// targets (`fuzz/`).
#[doc(hidden)]
pub fn parse_native(text: &str) -> Result<(u64, Request), (Option<u64>, ProtocolError)> {
    parse(text)
}

fn write_frames<W: Write>(
    mut output: W,
    rx: std_mpsc::Receiver<Outbound>,
    mut record: Option<Box<dyn Write + Send>>,
) {
    for outbound in rx {
        let reply = match outbound {
            Outbound::Close => return,
            Outbound::Reply(reply) => reply,
            Outbound::Event(event) => {
                match encode_message(&event) {
                    Ok(frame) => {
                        if let Some(r) = record.as_mut() {
                            let _ = r.write_all(&frame[4..]).and_then(|()| r.write_all(b"\n"));
                        }
                        if send_frame(&mut output, &frame).is_err() {
                            return;
                        }
                    }
                    // Its waiter times out and tells the CLI.
                    Err(e) => tracing::error!("cannot encode an event: {e}"),
                }
                continue;
            }
        };
        let frame = match encode_message(&reply) {
            Ok(frame) => frame,
            Err(NmError::OutgoingTooLarge { len, .. }) => {
                let error = too_large(&reply, len);
                match encode_message(&Reply::err(reply.id, error)) {
                    Ok(frame) => frame,
                    Err(_) => continue,
                }
            }
            Err(e) => {
                tracing::error!("cannot encode a reply: {e}");
                continue;
            }
        };
        if let Some(r) = record.as_mut() {
            let _ = r.write_all(&frame[4..]).and_then(|()| r.write_all(b"\n"));
        }
        if send_frame(&mut output, &frame).is_err() {
            // The browser went away; nobody is left to answer.
            return;
        }
    }
}

/// The error that replaces a reply over the browser's 1 MiB limit (the browser would drop the
/// frame and end the port). A profile list says how many profiles and what still works.
fn too_large(reply: &Reply, len: usize) -> ProtocolError {
    let limit = MAX_FRAME_TO_BROWSER;
    match &reply.outcome {
        roleport_protocol::Outcome::Ok(roleport_protocol::Response::ListProfiles(page)) => {
            ProtocolError::new(
                ErrorCode::FrameTooLarge,
                format!(
                    "the list of {} profiles is {len} bytes, over the browser's limit of {limit} \
                     bytes for one message from roleport's host",
                    page.list.profiles.len()
                ),
                "Keep fewer profiles in ~/.aws/config (and fewer discovered SSO roles: \
                 `roleport sso sync` only the logins you use); meanwhile `roleport list` and \
                 `roleport open PROFILE` in a terminal reach every profile.",
            )
        }
        _ => ProtocolError::new(
            ErrorCode::FrameTooLarge,
            format!("the reply is {len} bytes, over the browser's limit of {limit}"),
            "This is a bug in roleport: please report it with the host's log.",
        ),
    }
}

/// Reads a native-port request far enough to answer it.
fn parse(text: &str) -> Result<(u64, Request), (Option<u64>, ProtocolError)> {
    parse_for(text, NATIVE_TYPES)
}

/// Reads a request far enough to answer it: every failure names the earliest problem. A type
/// not in `served` (this channel's types) is answered as unknown.
pub fn parse_for(
    text: &str,
    served: &[&str],
) -> Result<(u64, Request), (Option<u64>, ProtocolError)> {
    let bad = |id, code, message: String, hint: &str| (id, ProtocolError::new(code, message, hint));
    let value: Value = serde_json::from_str(text).map_err(|e| {
        bad(
            None,
            ErrorCode::BadFrame,
            format!("the request is not JSON: {e}"),
            "Send one JSON object per frame.",
        )
    })?;
    let id = value.get("id").and_then(Value::as_u64).ok_or_else(|| {
        bad(
            None,
            ErrorCode::InvalidRequest,
            "the request has no numeric `id`".into(),
            "Every request needs an integer `id`; see PROTOCOL.md.",
        )
    })?;
    let v = value.get("v").and_then(Value::as_u64);
    if v != Some(u64::from(PROTOCOL_VERSION)) {
        return Err(bad(
            Some(id),
            ErrorCode::UnsupportedVersion,
            format!("protocol version {v:?} is not supported; this host speaks {PROTOCOL_VERSION}"),
            "Update roleport so the extension and host match (`roleport --version`).",
        ));
    }
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if !Request::TYPES.contains(&kind.as_str()) {
        return Err(bad(
            Some(id),
            ErrorCode::UnknownMessage,
            format!("unknown request type `{kind}`"),
            "Update roleport so the extension and host match; PROTOCOL.md lists the types.",
        ));
    }
    if !served.contains(&kind.as_str()) {
        return Err(bad(
            Some(id),
            ErrorCode::UnknownMessage,
            format!("`{kind}` is not served on this channel"),
            "PROTOCOL.md says which requests the native port and the CLI socket take.",
        ));
    }
    let envelope: Envelope = serde_json::from_value(value).map_err(|e| {
        bad(
            Some(id),
            ErrorCode::InvalidRequest,
            format!("`{kind}` request is malformed: {e}"),
            "See PROTOCOL.md for this request's fields.",
        )
    })?;
    Ok((id, envelope.request))
}

fn internal(message: String) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::Internal,
        message,
        "This is a bug in roleport: please report it with the host's log.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn browsers_are_recognised_from_their_arguments() {
        let chromium = Caller::from_args(&args(&[
            "roleport",
            "chrome-extension://jlpkhfceigfphociodglhbfijhdeajmi/",
        ]));
        assert!(
            chromium.as_ref().is_some_and(Caller::is_allowed),
            "{chromium:?}"
        );
        let firefox = Caller::from_args(&args(&[
            "roleport",
            "/home/u/.mozilla/native-messaging-hosts/dev.roleport.host.json",
            "roleport@roleport.dev",
        ]));
        assert!(
            firefox.as_ref().is_some_and(Caller::is_allowed),
            "{firefox:?}"
        );
        assert_eq!(
            Caller::from_args(&args(&["roleport", "host", "install"])),
            None
        );
        assert_eq!(Caller::from_args(&args(&["roleport"])), None);
    }

    #[test]
    fn other_extensions_are_not_allowed() {
        let evil = Caller::from_args(&args(&[
            "roleport",
            "chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/",
        ]));
        assert!(evil.is_some_and(|c| !c.is_allowed()));
        let evil = Caller::from_args(&args(&["roleport", "/x/m.json", "evil@example.com"]));
        assert!(evil.is_some_and(|c| !c.is_allowed()));
    }

    fn code_of(text: &str) -> (Option<u64>, ErrorCode) {
        match parse(text) {
            Err((id, e)) => (id, e.code),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn each_bad_request_gets_the_earliest_applicable_code() {
        assert_eq!(code_of("{not json"), (None, ErrorCode::BadFrame));
        assert_eq!(
            code_of(r#"{"v":1,"type":"hello"}"#),
            (None, ErrorCode::InvalidRequest)
        );
        assert_eq!(
            code_of(r#"{"v":9,"id":4,"type":"hello"}"#),
            (Some(4), ErrorCode::UnsupportedVersion)
        );
        assert_eq!(
            code_of(r#"{"v":1,"id":5,"type":"rm_rf"}"#),
            (Some(5), ErrorCode::UnknownMessage)
        );
        assert_eq!(
            code_of(r#"{"v":1,"id":6,"type":"open_console"}"#),
            (Some(6), ErrorCode::InvalidRequest)
        );
    }

    #[test]
    fn each_channel_serves_only_its_own_requests() {
        let open = r#"{"v":1,"id":3,"type":"open_in_browser","profile":"prod"}"#;
        assert_eq!(code_of(open), (Some(3), ErrorCode::UnknownMessage));
        assert!(parse_for(open, crate::ipc::SOCKET_TYPES).is_ok());
        let list = r#"{"v":1,"id":4,"type":"list_profiles"}"#;
        let refused = parse_for(list, crate::ipc::SOCKET_TYPES).map(|_| ());
        assert_eq!(
            refused.map_err(|(id, e)| (id, e.code)),
            Err((Some(4), ErrorCode::UnknownMessage))
        );
        for t in NATIVE_TYPES {
            assert!(Request::TYPES.contains(t), "{t}");
        }
    }

    #[test]
    fn events_and_replies_go_out_as_their_own_json() {
        let event = EventFrame::new(Event::OpenTab(roleport_protocol::OpenTab {
            event_id: 1,
            console: roleport_protocol::OpenConsoleOk {
                profile: "p".into(),
                url: "u".into(),
                account_id: None,
                role: None,
                expires_at: None,
                notices: Vec::new(),
                region: None,
                logout_url: None,
                appearance: roleport_protocol::Appearance {
                    color: roleport_protocol::Color::Red,
                    icon: roleport_protocol::Icon::Fence,
                    label: None,
                },
            },
        }));
        let text = serde_json::to_string(&event).expect("serialises");
        assert!(
            text.starts_with(r#"{"v":1,"event":"open_tab","event_id":1"#),
            "{text}"
        );
        let reply = Reply::ok(2, roleport_protocol::Response::OpenTabResult);
        assert_eq!(
            serde_json::to_string(&reply).expect("serialises"),
            r#"{"v":1,"id":2,"ok":{"type":"open_tab_result"}}"#
        );
    }

    #[test]
    fn the_reader_answers_each_frame_then_stops_at_the_first_broken_one() {
        let frame = |payload: &[u8]| {
            let mut f = u32::try_from(payload.len())
                .expect("small")
                .to_ne_bytes()
                .to_vec();
            f.extend_from_slice(payload);
            f
        };
        let mut stream = frame(br#"{"v":1,"id":1,"type":"hello"}"#);
        stream.extend(frame(b"\xff"));
        stream.extend(frame(b"{"));
        stream.extend(
            u32::try_from(MAX_FRAME_FROM_BROWSER + 1)
                .expect("small")
                .to_ne_bytes(),
        );
        stream.extend(frame(b"never read"));
        let frames: Vec<_> = decode_frames(&stream)
            .into_iter()
            .map(|f| f.map_err(|e| e.code))
            .collect();
        assert_eq!(
            frames,
            [
                Ok(r#"{"v":1,"id":1,"type":"hello"}"#.to_owned()),
                Ok(String::new()),
                Ok("{".to_owned()),
                Err(ErrorCode::FrameTooLarge),
            ]
        );
        let truncated = &frame(b"{}")[..5];
        assert_eq!(
            decode_frames(truncated)
                .into_iter()
                .map(|f| f.map_err(|e| e.code))
                .collect::<Vec<_>>(),
            [Err(ErrorCode::BadFrame)]
        );
        assert!(decode_frames(&[]).is_empty());
    }

    #[test]
    fn good_request_parses() {
        let (id, req) = parse(r#"{"v":1,"id":8,"type":"list_profiles"}"#).expect("parses");
        assert_eq!((id, req), (8, Request::ListProfiles(Default::default())));
    }
}
