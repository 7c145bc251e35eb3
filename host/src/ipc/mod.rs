//! The host's local socket: how `roleport open` in a terminal reaches the browser that runs
//! this host.
//!
//! A host started by a browser listens on `<runtime dir>/<browser>-<pid>.sock` for as long as
//! the extension's native port is open (an open port keeps the background, and so the host,
//! alive). The CLI connects, sends one `open_in_browser` request in the native-messaging
//! framing, and the host signs in as for `open_console`, pushes an `open_tab` event to the
//! extension over the port, waits for the extension's `open_tab_result`, and answers the CLI.
//!
//! - [`dir`]: where the sockets live and the checks on that directory.
//! - [`frame`]: bounded length-prefixed frames over an async stream.
//! - [`server`]: the listener in the host: socket mode, peer-uid check, the request loop.
//! - [`client`]: the CLI side: which host to talk to, and one request.
//! - [`browser`]: the host's side of the extension: events out, results back.
//!
//! Architecture Invariant: the socket answers only processes of the host's own user (checked
//! with `SO_PEERCRED` on every connection, in a 0700 directory, socket mode 0600), and serves
//! only `hello` and `open_in_browser`: no sign-in URL or credential is ever sent over it.

pub mod browser;
#[cfg(unix)]
pub mod client;
#[cfg(unix)]
pub mod dir;
pub mod frame;
#[cfg(unix)]
pub mod server;

/// Request types the socket serves. Everything else is refused with `unknown_message`.
pub const SOCKET_TYPES: &[&str] = &["hello", "open_in_browser"];

use std::io::{Read, Write};
use std::sync::Arc;

use roleport_protocol::Browser;

use crate::native::{self, Outbox};
use crate::service::Service;

/// A browser-started host: the native-messaging loop on `input` / `output`, with events to the
/// extension, and the socket for `roleport open` listening until the port closes (the socket
/// file goes with it).
pub async fn serve_browser<R, W>(
    browser: Browser,
    input: R,
    output: W,
    service: Arc<Service>,
    record: Option<Box<dyn Write + Send>>,
) where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    let (outbox, outbound) = Outbox::new();
    let link = Arc::new(browser::BrowserLink::new(browser, outbox.clone()));
    service.attach_browser(Arc::clone(&link));
    #[cfg(unix)]
    let socket = server::start(browser, Arc::clone(&service));
    native::serve_with(input, output, service, record, outbox, outbound).await;
    #[cfg(unix)]
    drop(socket);
    // A `roleport open` still waiting for the browser hears that it went away, rather than
    // seeing its connection cut when the process exits.
    if link.disconnect() > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
