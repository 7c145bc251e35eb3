//! The CLI's side of the socket: find the host of a running browser and ask it one thing.
//!
//! Several browsers may each run a host. Without `--browser` the CLI talks to the host that
//! started last (the socket file with the newest time); with it, to the newest host of that
//! browser. A socket whose host is gone (killed before it could remove the file) refuses the
//! connection: it is removed and the next one is tried.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use roleport_protocol::{Browser, Envelope, Reply, Request, MAX_FRAME_TO_BROWSER};
use tokio::net::UnixStream;

use super::dir::{self, DirError};
use super::frame::{self, FrameError};

/// A host's socket in the runtime directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSocket {
    /// The socket file.
    pub path: PathBuf,
    /// The browser whose host listens on it.
    pub browser: Browser,
    /// When the host started listening.
    pub started: SystemTime,
}

/// Why the CLI could not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No browser runs a roleport host for this user (or none of the browser asked for).
    #[error("no {} with roleport's extension is running for you (no live host socket in {})",
        .only.map_or("browser", Browser::as_str), .dir.display())]
    NoHost {
        /// Where the CLI looked.
        dir: PathBuf,
        /// The browser asked for, if any.
        only: Option<Browser>,
    },
    /// The runtime directory is not private.
    #[error(transparent)]
    Dir(#[from] DirError),
    /// The host was reached but the exchange failed.
    #[error("the {} host stopped answering: {source}", .browser.as_str())]
    Broken {
        /// Whose host.
        browser: Browser,
        /// What failed.
        source: FrameError,
    },
    /// The host did not answer in time.
    #[error("the {} host did not answer within {} s", .browser.as_str(), .after.as_secs())]
    Timeout {
        /// Whose host.
        browser: Browser,
        /// How long the CLI waited.
        after: Duration,
    },
}

/// The host sockets in `dir` (of `only` when given), newest first.
pub fn candidates(dir: &Path, only: Option<Browser>) -> io::Result<Vec<HostSocket>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Some(browser) = entry.file_name().to_str().and_then(dir::browser_of) else {
            continue;
        };
        if only.is_some_and(|b| b != browser) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !std::os::unix::fs::FileTypeExt::is_socket(&meta.file_type()) {
            continue;
        }
        found.push(HostSocket {
            path: entry.path(),
            browser,
            started: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        });
    }
    found.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| b.path.cmp(&a.path)));
    Ok(found)
}

/// Sends `request` to the newest live host (of `only`) and returns its browser and reply.
pub async fn request(
    dir: &Path,
    only: Option<Browser>,
    request: Request,
    timeout: Duration,
) -> Result<(Browser, Reply), ClientError> {
    let no_host = || ClientError::NoHost {
        dir: dir.to_owned(),
        only,
    };
    if !dir.exists() {
        return Err(no_host());
    }
    dir::check(dir)?;
    let own = dir::own_uid();
    for socket in candidates(dir, only).map_err(|_| no_host())? {
        let mut stream = match UnixStream::connect(&socket.path).await {
            Ok(stream) => stream,
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                tracing::info!(socket = %socket.path.display(), "removing the socket of a host that is gone");
                let _ = std::fs::remove_file(&socket.path);
                continue;
            }
            Err(e) => {
                tracing::info!(socket = %socket.path.display(), "cannot connect: {e}");
                continue;
            }
        };
        // The host must be ours too: never hand a request to another user's listener.
        match stream.peer_cred() {
            Ok(cred) if cred.uid() == own => {}
            _ => {
                tracing::warn!(socket = %socket.path.display(), "skipping a socket not served by you");
                continue;
            }
        }
        let browser = socket.browser;
        let broken = |source| ClientError::Broken { browser, source };
        let exchange = async {
            let bytes = frame::encode(&Envelope::new(1, request.clone()), MAX_FRAME_TO_BROWSER)
                .map_err(broken)?;
            frame::write(&mut stream, &bytes)
                .await
                .map_err(|e| broken(e.into()))?;
            let text = frame::read(&mut stream, MAX_FRAME_TO_BROWSER)
                .await
                .map_err(broken)?
                .ok_or_else(|| broken(io::Error::from(io::ErrorKind::UnexpectedEof).into()))?;
            serde_json::from_str::<Reply>(&text).map_err(|e| broken(io::Error::other(e).into()))
        };
        return match tokio::time::timeout(timeout, exchange).await {
            Ok(reply) => reply.map(|r| (browser, r)),
            Err(_) => Err(ClientError::Timeout {
                browser,
                after: timeout,
            }),
        };
    }
    Err(no_host())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener as StdListener;

    #[test]
    fn newest_socket_first_and_the_browser_filter_applies() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let _old = StdListener::bind(tmp.path().join("firefox-1.sock")).expect("bind");
        std::thread::sleep(Duration::from_millis(20));
        let _new = StdListener::bind(tmp.path().join("chromium-2.sock")).expect("bind");
        std::fs::write(tmp.path().join("chromium-3.sock"), "not a socket").expect("write");
        std::fs::write(tmp.path().join("notes.txt"), "").expect("write");
        let all = candidates(tmp.path(), None).expect("list");
        let names: Vec<_> = all.iter().map(|s| s.browser).collect();
        assert_eq!(names, [Browser::Chromium, Browser::Firefox]);
        let firefox = candidates(tmp.path(), Some(Browser::Firefox)).expect("list");
        assert_eq!(firefox.len(), 1);
        assert_eq!(firefox[0].browser, Browser::Firefox);
    }

    #[tokio::test]
    async fn no_directory_or_only_dead_sockets_mean_no_host_and_dead_ones_are_cleared() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let missing = tmp.path().join("nothing-here");
        let err = request(
            &missing,
            None,
            Request::ListProfiles(Default::default()),
            Duration::from_secs(1),
        )
        .await
        .expect_err("no host");
        assert!(matches!(err, ClientError::NoHost { .. }), "{err}");
        assert!(
            err.to_string().contains("no browser with roleport"),
            "{err}"
        );

        dir::prepare(tmp.path()).expect("private");
        let dead = tmp.path().join("firefox-99.sock");
        drop(StdListener::bind(&dead).expect("bind"));
        assert!(
            dead.exists(),
            "a listener dropped without cleanup leaves its file"
        );
        let err = request(
            tmp.path(),
            Some(Browser::Firefox),
            Request::ListProfiles(Default::default()),
            Duration::from_secs(1),
        )
        .await
        .expect_err("no host");
        assert!(
            err.to_string().contains("no firefox with roleport"),
            "{err}"
        );
        assert!(!dead.exists(), "the dead socket was removed");
    }
}
