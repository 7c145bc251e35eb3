//! What bounds a request in the host: a time limit per request and a cap on requests in
//! flight on the native port.
//!
//! The extension gives up on a request after its own limit (`native_port::time_limit_ms`: 60 s,
//! 15 minutes for `sso_login`, an hour for `sso_sync`) and then closes the port, ending the
//! host. The host's limits are shorter, so a request that hangs gets the host's coded
//! `request_timeout` first, naming the step it waited for (which AWS call, which credential
//! process), and the port stays open.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use roleport_protocol::{ErrorCode, ProtocolError, Request, Response};

/// Requests the native port serves at once; one more is answered `busy` at once, not queued.
/// `hello` and `open_tab_result` (no I/O) are not counted, so a full host still reports tabs.
pub const MAX_IN_FLIGHT: usize = 16;

/// Time limit of a request whose extension limit is 60 s.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(50);
/// `sso_login` waits for a person to approve a code (the extension waits 15 minutes).
pub const SSO_LOGIN_LIMIT: Duration = Duration::from_secs(14 * 60);
/// `sso_sync` of a large organisation at the portal's rate (the extension waits an hour).
pub const SSO_SYNC_LIMIT: Duration = Duration::from_secs(55 * 60);

tokio::task_local! {
    static STAGE: Arc<Mutex<Option<String>>>;
}

/// Records what the current request is waiting for now ("AssumeRole of … for profile `prod`"),
/// for the `request_timeout` message. Outside a bounded request it does nothing.
pub fn stage(what: impl Into<String>) {
    let what = what.into();
    let _ = STAGE.try_with(|s| *s.lock().unwrap_or_else(|p| p.into_inner()) = Some(what));
}

/// The host's limit for `request`: [`DEFAULT_LIMIT`], [`SSO_LOGIN_LIMIT`] or [`SSO_SYNC_LIMIT`],
/// or `ROLEPORT_REQUEST_TIMEOUT_MS` (milliseconds) when that is shorter: tests make requests
/// hang and want the answer soon. It can only shorten a limit.
pub fn time_limit(request: &Request) -> Duration {
    let limit = match request {
        Request::SsoLogin(_) => SSO_LOGIN_LIMIT,
        Request::SsoSync(_) => SSO_SYNC_LIMIT,
        _ => DEFAULT_LIMIT,
    };
    std::env::var("ROLEPORT_REQUEST_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(limit, |ms| limit.min(Duration::from_millis(ms)))
}

/// Whether `request` counts against [`MAX_IN_FLIGHT`].
pub fn is_capped(request: &Request) -> bool {
    !matches!(request, Request::Hello(_) | Request::OpenTabResult(_))
}

/// Runs `handler` for a `kind` request, at most `limit`; past it the handler is dropped (a
/// credential process it started is killed with it) and the answer is `request_timeout`.
pub async fn within<F>(kind: &str, limit: Duration, handler: F) -> Result<Response, ProtocolError>
where
    F: Future<Output = Result<Response, ProtocolError>>,
{
    let stage = Arc::new(Mutex::new(None));
    match tokio::time::timeout(limit, STAGE.scope(Arc::clone(&stage), handler)).await {
        Ok(answer) => answer,
        Err(_) => {
            let waiting = stage.lock().unwrap_or_else(|p| p.into_inner()).take();
            Err(timed_out(kind, limit, waiting.as_deref()))
        }
    }
}

fn timed_out(kind: &str, limit: Duration, waiting: Option<&str>) -> ProtocolError {
    let seconds = limit.as_secs_f64();
    let message = match waiting {
        Some(step) => {
            format!("{kind} did not finish within {seconds} s: it was waiting for {step}")
        }
        None => format!("{kind} did not finish within {seconds} s"),
    };
    ProtocolError::new(
        ErrorCode::RequestTimeout,
        message,
        "AWS (or the profile's credential source) did not answer in time: check the network and \
         the endpoint or command named above, run `roleport url PROFILE` in a terminal to see \
         where it stops, then try again.",
    )
}

/// The answer to a request beyond [`MAX_IN_FLIGHT`].
pub fn busy(kind: &str) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::Busy,
        format!(
            "roleport's host is already serving {MAX_IN_FLIGHT} requests, so it refused this \
             {kind} instead of queueing it"
        ),
        "Wait for the sign-ins in progress to finish (or fail), then try again.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_request_past_its_limit_is_answered_with_the_step_it_waited_for() {
        let answer = within("open_console", Duration::from_secs(50), async {
            stage("AssumeRole of arn:aws:iam::1:role/A for profile `prod`");
            std::future::pending::<()>().await;
            Ok(Response::OpenTabResult)
        })
        .await;
        let error = answer.expect_err("timed out");
        assert_eq!(error.code, ErrorCode::RequestTimeout);
        assert!(
            error
                .message
                .ends_with("waiting for AssumeRole of arn:aws:iam::1:role/A for profile `prod`"),
            "{}",
            error.message
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_within_its_limit_is_answered_as_it_is() {
        let answer = within("hello", Duration::from_secs(1), async {
            Ok(Response::OpenTabResult)
        });
        assert_eq!(answer.await, Ok(Response::OpenTabResult));
    }

    #[test]
    fn limits_are_shorter_than_the_extensions() {
        // extension/src/native_port.rs::time_limit_ms: 60 s, 15 min, 1 h.
        assert!(DEFAULT_LIMIT < Duration::from_secs(60));
        assert!(SSO_LOGIN_LIMIT < Duration::from_secs(15 * 60));
        assert!(SSO_SYNC_LIMIT < Duration::from_secs(60 * 60));
        assert_eq!(
            time_limit(&Request::ListProfiles).min(DEFAULT_LIMIT),
            time_limit(&Request::ListProfiles)
        );
    }

    #[test]
    fn staging_outside_a_bounded_request_is_harmless() {
        stage("nothing");
    }
}
