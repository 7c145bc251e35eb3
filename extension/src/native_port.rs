//! The one `runtime.connectNative` port to the roleport host.
//!
//! Opened lazily by the first request (or at browser start-up), it greets the host with
//! `hello`, then carries every request; replies find their caller by `id` ([`Pending`]).
//! When the host dies the port's `onDisconnect` fails every waiting request with
//! `host_unavailable`, and the next request opens a fresh port.
//!
//! Frames with an `event` member are host-initiated events (`open_tab` after `roleport open`);
//! they are typed by [`EventFrame`] and handed to [`crate::background::on_host_event`]. Only
//! this port's `onMessage` produces them: a web page cannot reach a native port.
//!
//! Browser callbacks only capture what must be read during the callback (Chromium's
//! `runtime.lastError`) and then hand over to a task, so state is never borrowed re-entrantly.

use std::cell::RefCell;

use futures_channel::oneshot;
use roleport_protocol::{
    Envelope, ErrorCode, Hello, ProtocolError, Request, NATIVE_HOST_NAME, PROTOCOL_VERSION,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use crate::bindings::{api, error_text, field, int_field, string_field, Port};
use crate::host_error::host_unavailable;
use crate::pending::Pending;
use crate::{codec, log};

/// A reply's `ok` member (the result object, `type` and all) as the JS value it arrived as,
/// or its error. Only the caller knows which result it asked for, so only the caller decodes
/// it ([`result`]), or hands it on untouched: the background never decodes every result
/// type the host has.
type Answer = Result<JsValue, ProtocolError>;

/// How long the host has to answer `request`. A host that takes longer is judged hung: the
/// request fails with `host_timeout` and the port is closed, which ends that host, so the
/// next request starts a fresh one instead of queueing behind it.
pub fn time_limit_ms(request: &Request) -> u32 {
    match request {
        // The device flow waits for a person to approve a code (valid 10 minutes at AWS).
        Request::SsoLogin(_) => 15 * 60_000,
        // Discovery of a large organisation at the portal's rate: minutes, not seconds.
        Request::SsoSync(_) => 60 * 60_000,
        _ => 60_000,
    }
}

/// Sends one request to the host and waits for its answer (at most [`time_limit_ms`]).
pub async fn request(request: Request) -> Answer {
    let kind = request.type_name();
    let limit = time_limit_ms(&request);
    let (id, receiver) = STATE.with(|state| state.borrow_mut().send(request))?;
    spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(limit).await;
        STATE.with(|state| state.borrow_mut().timed_out(id, kind, limit));
    });
    let answer = receiver
        .await
        .unwrap_or_else(|_| Err(host_unavailable(None)));
    if let Err(e) = &answer {
        log::debug(&format!("{kind} failed: {}", e.code));
    }
    answer
}

/// [`request`], then the result read by `read` if its `type` is the request's own.
pub async fn request_read<T>(
    request: Request,
    read: fn(&JsValue) -> Option<T>,
) -> Result<T, ProtocolError> {
    let asked = request.type_name();
    let ok = self::request(request).await?;
    of_type(&ok, asked)?;
    read(&ok).ok_or_else(|| {
        let why = format!("its {asked} result lacks a field or has one of another type");
        codec::unreadable(REPLY, why)
    })
}

/// The `type` of a result object (`""` when it has none).
fn result_type(ok: &JsValue) -> String {
    js_sys::Reflect::get(ok, &JsValue::from_str("type"))
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default()
}

/// `Ok` if the result object's `type` is `asked`: else the `bad_frame` error for a host that
/// answered another request type's result.
pub fn of_type(ok: &JsValue, asked: &str) -> Result<(), ProtocolError> {
    let got = result_type(ok);
    if got == asked {
        return Ok(());
    }
    Err(ProtocolError::new(
        ErrorCode::BadFrame,
        format!("The host answered {asked} with a {got} result"),
        "Make sure the extension and `roleport` are the same version.",
    ))
}

/// Opens the port now if it is not open (browser start-up, install).
pub fn ensure_connected() {
    let result = STATE.with(|state| state.borrow_mut().connect_if_closed());
    if let Err(e) = result {
        log::info(&e.to_string());
    }
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

#[derive(Default)]
struct State {
    connection: Option<Connection>,
    pending: Pending<Answer>,
    /// Bumped per port, so that a late event of an old port cannot end a new one.
    generation: u64,
    /// The current port has answered at least once: the host was up, so if it dies now it
    /// crashed or was killed, and a fresh port should come back without waiting for a click
    /// (`roleport open` needs one). A port that dies before answering is not retried: the
    /// host is missing or cannot start, and retrying would only loop.
    answered: bool,
}

/// How long after a crash the background reopens the port.
const RECONNECT_AFTER_MS: u32 = 1_000;

struct Connection {
    port: Port,
    generation: u64,
    _on_message: Closure<dyn FnMut(JsValue)>,
    _on_disconnect: Closure<dyn FnMut(JsValue)>,
}

impl State {
    fn send(
        &mut self,
        request: Request,
    ) -> Result<(u64, oneshot::Receiver<Answer>), ProtocolError> {
        self.connect_if_closed()?;
        let (id, receiver) = self.pending.register();
        self.post(id, request);
        Ok((id, receiver))
    }

    /// The time limit of request `id` is up: if it is still waiting, it fails, and the port
    /// (with the hung host behind it) is closed.
    fn timed_out(&mut self, id: u64, kind: &str, limit_ms: u32) {
        let error = ProtocolError::new(
            ErrorCode::HostTimeout,
            format!(
                "The roleport host did not answer {kind} within {} s",
                limit_ms / 1000
            ),
            "Try again (roleport starts a fresh host); if it keeps happening, run the same \
             from a terminal, e.g. `roleport url PROFILE`, to see where it hangs.",
        );
        if !self.pending.resolve(id, Err(error)) {
            return;
        }
        log::warn(&format!("{kind} timed out: closing the host's port"));
        if let Some(connection) = self.connection.take() {
            connection.port.disconnect();
            // No reconnect loop: the next request opens a fresh port.
            self.answered = false;
            self.pending.fail_all(|| Err(host_unavailable(None)));
            spawn_local(async move { drop(connection) });
        }
    }

    /// Posts a registered request; a port that refuses it is treated as disconnected.
    fn post(&mut self, id: u64, request: Request) {
        let frame = codec::to_js(&Envelope::new(id, request));
        let Some(connection) = &self.connection else {
            self.pending.resolve(id, Err(host_unavailable(None)));
            return;
        };
        if let Err(e) = connection.port.post_message(&frame) {
            let generation = connection.generation;
            self.disconnected(generation, error_text(&e));
        }
    }

    fn connect_if_closed(&mut self) -> Result<(), ProtocolError> {
        if self.connection.is_some() {
            return Ok(());
        }
        let port = api()
            .runtime()
            .connect_native(NATIVE_HOST_NAME)
            .map_err(|e| host_unavailable(error_text(&e).as_deref()))?;
        self.generation += 1;
        self.answered = false;
        let generation = self.generation;

        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |message: JsValue| {
            spawn_local(async move {
                STATE.with(|state| state.borrow_mut().received(generation, &message));
            });
        });
        let on_disconnect = Closure::<dyn FnMut(JsValue)>::new(move |port: JsValue| {
            // Chromium sets lastError only for the duration of this callback; reading it
            // also keeps Chromium from logging an "unchecked lastError".
            let port: Port = port.unchecked_into();
            let text =
                error_text(&port.error()).or_else(|| error_text(&api().runtime().last_error()));
            spawn_local(async move {
                STATE.with(|state| state.borrow_mut().disconnected(generation, text));
            });
        });
        port.on_message()
            .add_listener(on_message.as_ref().unchecked_ref());
        port.on_disconnect()
            .add_listener(on_disconnect.as_ref().unchecked_ref());
        self.connection = Some(Connection {
            port,
            generation,
            _on_message: on_message,
            _on_disconnect: on_disconnect,
        });
        log::debug("port to the host opened");
        self.greet();
        Ok(())
    }

    /// `hello` goes first on every port; its answer is only logged: a host that refuses the
    /// version refuses each request too, with the code the popup then shows.
    fn greet(&mut self) {
        let (id, receiver) = self.pending.register();
        let hello = Hello {
            client: "roleport-extension".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        self.post(id, Request::Hello(hello));
        spawn_local(async move {
            match receiver.await {
                // Read field by field: only logged, a decoder of `HelloOk` would cost more.
                Ok(Ok(ok)) => match of_type(&ok, "hello").and_then(|()| hello_ok(&ok)) {
                    Ok((host_version, protocol)) => {
                        log::debug(&format!("host {host_version} speaks protocol {protocol}"))
                    }
                    Err(e) => log::warn(&e.to_string()),
                },
                // A dead port is logged once, by `disconnected`.
                Ok(Err(e)) if e.code == ErrorCode::HostUnavailable => {}
                Ok(Err(e)) => log::info(&e.to_string()),
                Err(_) => {}
            }
        });
    }

    fn received(&mut self, generation: u64, message: &JsValue) {
        if generation != self.generation {
            return;
        }
        // Never log the message itself: an open_console reply holds a sign-in token.
        if is_event(message) {
            match crate::results::event(message) {
                Ok(frame) if frame.v == PROTOCOL_VERSION => {
                    // Handled in a task of its own: it sends requests on this port.
                    spawn_local(crate::background::on_host_event(frame.event));
                }
                Ok(frame) => {
                    log::warn(&format!("ignored an event of protocol version {}", frame.v))
                }
                // An event this build does not know (a newer host). Its text is not logged:
                // serde quotes values, and an open_tab value is a sign-in URL.
                Err(_) => log::info("ignored an event this version of the extension cannot read"),
            }
            return;
        }
        self.answered = true;
        let id = reply_id(message);
        let read = match &id {
            Ok(id) => answer_of(message).map(|answer| (*id, answer)),
            Err(e) => Err(e.clone()),
        };
        match read {
            Ok((Some(id), answer)) => {
                if !self.pending.resolve(id, answer) {
                    log::warn(&format!(
                        "the host answered request {id}, which nobody waits for"
                    ));
                }
            }
            Ok((None, Err(e))) => {
                log::warn(&format!("the host could not read a request: {}", e.code));
            }
            Ok((None, Ok(_))) => log::warn("the host sent a result without an id"),
            // Unreadable, but if its id is readable its caller gets the error, not silence.
            Err(e) => {
                log::warn(&e.message);
                if let Ok(Some(id)) = id {
                    self.pending.resolve(id, Err(e));
                }
            }
        }
    }

    fn disconnected(&mut self, generation: u64, browser_text: Option<String>) {
        if generation != self.generation || self.connection.is_none() {
            return;
        }
        let error = host_unavailable(browser_text.as_deref());
        log::info(&error.to_string());
        // Dropped after this event has finished: its own closure lives in the connection.
        let old = self.connection.take();
        spawn_local(async move { drop(old) });
        self.pending.fail_all(|| Err(error.clone()));
        if std::mem::take(&mut self.answered) {
            spawn_local(async {
                gloo_timers::future::TimeoutFuture::new(RECONNECT_AFTER_MS).await;
                ensure_connected();
            });
        }
    }
}

// A reply is read as [`roleport_protocol::Reply`] reads it, but field by field from the JS
// object (a serde decoder of its head cost more wasm), and with its `ok` result untouched:
// the result is read by the caller that asked for it ([`request_read`]).

const REPLY: &str = "a reply from the host";

/// A reply's `id` (`None`: absent or null), or the error for one that is no request id.
fn reply_id(message: &JsValue) -> Result<Option<u64>, ProtocolError> {
    let id = field(message, "id");
    if id.is_null() || id.is_undefined() {
        return Ok(None);
    }
    match id.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= u64::MAX as f64 => Ok(Some(n as u64)),
        _ => Err(codec::unreadable(REPLY, "its `id` is no request id")),
    }
}

/// A reply's `ok` result or its `err`: exactly one of them, as [`roleport_protocol::Reply`]
/// requires (`null` counts as absent).
fn answer_of(message: &JsValue) -> Result<Answer, ProtocolError> {
    let given = |v: &JsValue| !v.is_null() && !v.is_undefined();
    let (ok, err) = (field(message, "ok"), field(message, "err"));
    match (given(&ok), given(&err)) {
        (true, false) => Ok(Ok(ok)),
        (false, true) => match crate::results::error(&err) {
            Some(error) => Ok(Err(error)),
            None => Err(codec::unreadable(REPLY, "its `err` is no coded error")),
        },
        _ => Err(codec::unreadable(
            REPLY,
            "a reply carries exactly one of `ok` and `err`",
        )),
    }
}

/// `hello`'s result: the host's version and protocol.
fn hello_ok(ok: &JsValue) -> Result<(String, i64), ProtocolError> {
    match (string_field(ok, "host_version"), int_field(ok, "protocol")) {
        (Some(version), Some(protocol)) => Ok((version, protocol)),
        _ => Err(codec::unreadable(REPLY, "`hello` without its versions")),
    }
}

fn is_event(message: &JsValue) -> bool {
    js_sys::Reflect::has(message, &JsValue::from_str("event")).unwrap_or(false)
}
