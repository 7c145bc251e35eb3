//! The `getSigninToken` request itself, with bounded retries: roleport's own HTTP call (the
//! AWS SDK has no federation client), so its retries are here, with the SDK's formula
//! (exponential backoff, full jitter: `backoff::full_jitter`).

use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;
use url::Url;

use crate::backoff;
use crate::error::HostError;
use crate::http_client::{Client, HttpError};

/// Attempts per `getSigninToken` (the first and two retries).
pub const MAX_ATTEMPTS: u32 = 3;

#[derive(Deserialize)]
struct SigninToken {
    #[serde(rename = "SigninToken")]
    signin_token: String,
}

/// What one attempt got, when it is worth another.
enum Transient {
    /// 429 or 5xx, with the endpoint's `Retry-After` if it sent one.
    Status(StatusCode, Option<Duration>),
    /// No answer: connection failed or timed out.
    Unreachable(&'static str),
}

/// The sign-in token for `token_url` (which carries the session: it is never logged or shown).
/// 429, 5xx and unreachable endpoints are retried up to [`MAX_ATTEMPTS`] in all; a refusal
/// (4xx) is final at once: a token is single-use, but a failed exchange never issued one.
pub(super) async fn signin_token(http: &Client, token_url: &Url) -> Result<String, HostError> {
    let host = token_url
        .host_str()
        .unwrap_or("the sign-in endpoint")
        .to_owned();
    let base = backoff::base();
    let mut attempt = 0;
    loop {
        let transient = match once(http, token_url, &host).await? {
            Ok(token) => return Ok(token),
            Err(transient) => transient,
        };
        attempt += 1;
        let (last, asked) = match &transient {
            Transient::Status(status, asked) => (format!("HTTP {status}"), *asked),
            Transient::Unreachable(why) => ((*why).to_owned(), None),
        };
        if attempt >= MAX_ATTEMPTS {
            return Err(HostError::FederationUnavailable {
                host,
                attempts: attempt,
                last,
            });
        }
        let jitter = backoff::full_jitter(attempt - 1, base);
        // A `Retry-After` is honoured up to the cap (and only with the test knob's base when
        // that is lower, so tests never wait on it).
        let wait = asked.map_or(jitter, |a| a.min(base * 8).max(jitter));
        tracing::info!(attempt, %host, "getSigninToken got {last}; retrying in {wait:?}");
        tokio::time::sleep(wait).await;
    }
}

async fn once(
    http: &Client,
    token_url: &Url,
    host: &str,
) -> Result<Result<String, Transient>, HostError> {
    let response = match http.get(token_url).await {
        Ok(r) => r,
        Err(HttpError::TimedOut) => return Ok(Err(Transient::Unreachable("timed out"))),
        Err(HttpError::Connect(_)) => return Ok(Err(Transient::Unreachable("connection failed"))),
        // The causes are never shown: a request's may quote it, and this one's URL holds the
        // session.
        Err(HttpError::Failed(_)) => {
            return Err(HostError::Federation(format!(
                "cannot reach {host}: request failed"
            )));
        }
    };
    let status = response.status;
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        let asked = crate::sso::pace::retry_after(
            response
                .headers
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
        );
        return Ok(Err(Transient::Status(status, asked)));
    }
    if !status.is_success() {
        let body = String::from_utf8_lossy(&response.body);
        let snippet: String = body.chars().take(200).collect();
        return Err(HostError::Federation(format!(
            "the sign-in endpoint answered {status}: {}",
            snippet.trim()
        )));
    }
    let token: SigninToken = serde_json::from_slice(&response.body).map_err(|_| {
        HostError::Federation(
            "unexpected answer from the sign-in endpoint: not the JSON AWS sends".into(),
        )
    })?;
    Ok(Ok(token.signin_token))
}
