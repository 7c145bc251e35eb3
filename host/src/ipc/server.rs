//! The listener in a browser-started host.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use roleport_protocol::{
    Browser, ErrorCode, ProtocolError, Reply, MAX_FRAME_FROM_BROWSER, MAX_FRAME_TO_BROWSER,
};
use tokio::net::{UnixListener, UnixStream};

use super::dir::{self, DirError};
use super::frame::{self, FrameError};
use super::SOCKET_TYPES;
use crate::service::Service;
use crate::{limits, native};

/// Whether a connecting process may use the socket: only the host's own user.
pub fn peer_allowed(peer_uid: u32, own_uid: u32) -> bool {
    peer_uid == own_uid
}

/// The socket file of a running listener; dropping it removes the file.
#[derive(Debug)]
pub struct Socket {
    path: PathBuf,
}

impl Socket {
    /// Where the socket is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Why the host could not listen.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// The runtime directory is unusable.
    #[error(transparent)]
    Dir(#[from] DirError),
    /// The socket could not be bound or protected.
    #[error("cannot listen on {}: {source}", path.display())]
    Bind {
        /// The socket path.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

/// Binds `<dir>/<browser>-<pid>.sock` (dir 0700, socket 0600). Must run inside the runtime.
pub fn bind(dir: &Path, browser: Browser) -> Result<(UnixListener, Socket), ListenError> {
    dir::prepare(dir)?;
    let path = dir::socket_path(dir, browser, std::process::id());
    let bind_err = |source| ListenError::Bind {
        path: path.clone(),
        source,
    };
    // A file of our own name is a leftover of a host with our pid that was killed.
    match fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(bind_err(e)),
        _ => {}
    }
    let listener = UnixListener::bind(&path).map_err(bind_err)?;
    let socket = Socket { path: path.clone() };
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).map_err(bind_err)?;
    Ok((listener, socket))
}

/// Binds the socket in the runtime directory and serves it in the background. Failing to
/// listen is logged, not fatal: the popup works without the socket.
pub fn start(browser: Browser, service: Arc<Service>) -> Option<Socket> {
    let dir = dir::runtime_dir();
    match bind(&dir, browser) {
        Ok((listener, socket)) => {
            tracing::info!(socket = %socket.path().display(), "listening for `roleport open`");
            tokio::spawn(serve(listener, service));
            Some(socket)
        }
        Err(e) => {
            tracing::warn!("`roleport open` will not reach this browser: {e}");
            None
        }
    }
}

/// Accepts connections until the runtime stops.
pub async fn serve(listener: UnixListener, service: Arc<Service>) {
    let own = dir::own_uid();
    // The native port's bounds, for the CLI's requests too: shared by every connection.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(limits::MAX_IN_FLIGHT));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!("accepting on the socket failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        match stream.peer_cred() {
            Ok(cred) if peer_allowed(cred.uid(), own) => {
                tokio::spawn(connection(
                    stream,
                    Arc::clone(&service),
                    Arc::clone(&in_flight),
                ));
            }
            Ok(cred) => {
                tracing::warn!(
                    uid = cred.uid(),
                    "refused a socket connection from another user"
                )
            }
            Err(e) => tracing::warn!("refused a socket connection whose peer is unknown: {e}"),
        }
    }
}

/// One client: requests in, one reply each, in order, until it hangs up.
async fn connection(
    mut stream: UnixStream,
    service: Arc<Service>,
    in_flight: Arc<tokio::sync::Semaphore>,
) {
    loop {
        let text = match frame::read(&mut stream, MAX_FRAME_FROM_BROWSER).await {
            Ok(Some(text)) => text,
            Ok(None) => return,
            Err(FrameError::TooLarge { len, max }) => {
                let error = ProtocolError::new(
                    ErrorCode::FrameTooLarge,
                    format!("a request of {len} bytes exceeds the socket's limit of {max} bytes"),
                    "This is a bug in the caller; the host closes the connection.",
                );
                let _ = send(&mut stream, &Reply::err(None, error)).await;
                return;
            }
            Err(FrameError::Io(_)) => return,
        };
        let reply = match native::parse_for(&text, SOCKET_TYPES) {
            Err((id, error)) => Reply::err(id, error),
            Ok((id, request)) => {
                let kind = request.type_name();
                let permit = if limits::is_capped(&request) {
                    match Arc::clone(&in_flight).try_acquire_owned() {
                        Ok(permit) => Some(permit),
                        Err(_) => {
                            if send(&mut stream, &Reply::err(Some(id), limits::busy(kind)))
                                .await
                                .is_err()
                            {
                                return;
                            }
                            continue;
                        }
                    }
                } else {
                    None
                };
                let limit = limits::time_limit(&request);
                let service = Arc::clone(&service);
                let handled = tokio::spawn(async move {
                    let answer = limits::within(kind, limit, service.handle(request)).await;
                    drop(permit);
                    answer
                });
                match handled.await {
                    Ok(Ok(response)) => Reply::ok(id, response),
                    Ok(Err(error)) => {
                        tracing::warn!(id, kind, code = %error.code, "socket request failed: {}", error.message);
                        Reply::err(Some(id), error)
                    }
                    Err(join) => {
                        tracing::error!(id, kind, "handler crashed: {join}");
                        Reply::err(
                            Some(id),
                            ProtocolError::new(
                                ErrorCode::Internal,
                                format!("the {kind} handler crashed"),
                                "This is a bug in roleport: please report it with the host's log.",
                            ),
                        )
                    }
                }
            }
        };
        if send(&mut stream, &reply).await.is_err() {
            return;
        }
    }
}

async fn send(stream: &mut UnixStream, reply: &Reply) -> std::io::Result<()> {
    let bytes = match frame::encode(reply, MAX_FRAME_TO_BROWSER) {
        Ok(bytes) => bytes,
        Err(e) => {
            let error = ProtocolError::new(
                ErrorCode::FrameTooLarge,
                format!("the reply does not fit in a frame: {e}"),
                "Report this as a bug.",
            );
            frame::encode(&Reply::err(reply.id, error), MAX_FRAME_TO_BROWSER)
                .map_err(std::io::Error::other)?
        }
    };
    frame::write(stream, &bytes).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn only_the_same_user_may_connect() {
        assert!(peer_allowed(1000, 1000));
        assert!(!peer_allowed(1001, 1000));
        assert!(!peer_allowed(0, 1000), "not even root gets a pass");
    }

    #[tokio::test]
    async fn the_socket_is_0600_in_a_0700_directory_and_goes_away_with_the_host() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("run");
        let (_listener, socket) = bind(&dir, Browser::Chromium).expect("bound");
        let path = socket.path().to_owned();
        assert_eq!(
            path.file_name().and_then(|n| n.to_str()),
            Some(format!("chromium-{}.sock", std::process::id()).as_str())
        );
        let meta = fs::symlink_metadata(&path).expect("socket exists");
        assert!(std::os::unix::fs::FileTypeExt::is_socket(&meta.file_type()));
        assert_eq!(meta.mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(&dir).expect("dir").mode() & 0o777, 0o700);
        assert_eq!(meta.uid(), dir::own_uid());
        drop(socket);
        assert!(!path.exists(), "the socket is removed when the host stops");
    }

    #[tokio::test]
    async fn a_connection_from_our_own_user_passes_the_peer_check() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (listener, socket) = bind(tmp.path(), Browser::Firefox).expect("bound");
        let client = UnixStream::connect(socket.path()).await.expect("connect");
        let (server_side, _) = listener.accept().await.expect("accept");
        let cred = server_side.peer_cred().expect("peer cred");
        assert!(peer_allowed(cred.uid(), dir::own_uid()));
        assert_eq!(client.peer_cred().expect("cred").uid(), dir::own_uid());
    }
}
