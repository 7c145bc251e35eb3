//! The AWS CLI v2 token cache: `~/.aws/sso/cache/<sha1>.json`, one file per
//! `[sso-session]` (sha1 of its name) or per legacy start URL (sha1 of the URL), with the
//! field names and time format botocore writes (`SSOTokenLoader`, `_sso_json_dumps`).
//! Sharing it means one login serves the AWS CLI and roleport, in either direction.

use std::path::{Path, PathBuf};

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::store::fsio;

/// One cached token, exactly as the AWS CLI writes it (unknown fields are kept on rewrite).
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedToken {
    /// The portal's start URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_url: Option<String>,
    /// The Identity Center region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The bearer token for the portal.
    pub access_token: String,
    /// When it expires, `YYYY-MM-DDTHH:MM:SSZ`.
    pub expires_at: String,
    /// The OIDC client the token was issued to (needed to refresh it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// That client's secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// When the client registration expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_expires_at: Option<String>,
    /// A refresh token, for `[sso-session]` logins (registered with scopes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Whatever else a newer AWS CLI wrote: kept as it was.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// `Debug` names the login and the expiry, never a token or the client secret.
impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("start_url", &self.start_url)
            .field("region", &self.region)
            .field("access_token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .field("client_id", &self.client_id)
            .field("registration_expires_at", &self.registration_expires_at)
            .finish_non_exhaustive()
    }
}

/// The tokens and the client secret are wiped when a copy is dropped.
impl Drop for CachedToken {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.access_token.zeroize();
        self.client_secret.zeroize();
        self.refresh_token.zeroize();
    }
}

impl CachedToken {
    /// Seconds left before the access token expires (negative once expired, or when
    /// `expiresAt` cannot be read).
    pub fn seconds_left(&self, now: i64) -> i64 {
        parse_time(&self.expires_at).map_or(-1, |t| t - now)
    }

    /// Whether the token can be refreshed: a refresh token and an unexpired client.
    pub fn refreshable(&self, now: i64) -> bool {
        self.refresh_token.is_some()
            && self.client_id.is_some()
            && self.client_secret.is_some()
            && self
                .registration_expires_at
                .as_deref()
                .and_then(parse_time)
                .is_some_and(|t| t > now)
    }
}

/// The cache key: sha1 of the `sso-session` name, or of the start URL for legacy profiles.
pub fn key(session: Option<&str>, start_url: &str) -> String {
    let digest = Sha1::digest(session.unwrap_or(start_url).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `~/.aws/sso/cache`, with `~` from `HOME` as botocore expands it.
pub fn dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(dirs::home_dir)
        .map(|home| home.join(".aws").join("sso").join("cache"))
}

/// The token file of a session or legacy start URL.
pub fn path(session: Option<&str>, start_url: &str) -> Option<PathBuf> {
    dir().map(|d| d.join(format!("{}.json", key(session, start_url))))
}

/// Reads a token file; `Ok(None)` when there is none.
pub fn read(path: &Path) -> Result<Option<CachedToken>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{} is not an SSO token file: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Writes a token file (mode 0600, replaced atomically), creating the directory (0700).
///
/// Two hosts (two browsers) refreshing at once each write a whole token through a temp file
/// of their own, so the file is always one of them, never a mix: the AWS CLI takes no lock
/// either, and either token is valid.
pub fn write(path: &Path, token: &CachedToken) -> Result<(), String> {
    let parent = path
        .parent()
        .ok_or_else(|| "no cache directory".to_owned())?;
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(parent)
        .map_err(|e| format!("{}: {e}", parent.display()))?;
    let text = serde_json::to_vec(token).map_err(|e| e.to_string())?;
    fsio::write_atomic(path, &text).map_err(|e| e.to_string())
}

/// `YYYY-MM-DDTHH:MM:SSZ`, as botocore's `_serialize_utc_timestamp` writes times.
pub fn format_time(epoch_seconds: i64) -> String {
    DateTime::from_secs(epoch_seconds)
        .fmt(Format::DateTime)
        .unwrap_or_default()
}

/// Reads the times the AWS CLI (v2: `…Z`, with or without fractions; v1: `…UTC`) wrote.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    let normal = text
        .strip_suffix("UTC")
        .map(|t| format!("{t}Z"))
        .unwrap_or_else(|| text.to_owned());
    DateTime::from_str(&normal, Format::DateTime)
        .ok()
        .map(|t| t.secs())
}

/// Now, in epoch seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sha1_of_the_session_name_else_the_start_url() {
        // Known values: Python's hashlib.sha1(NAME.encode()).hexdigest().
        assert_eq!(
            key(Some("my-sso"), "https://x.awsapps.com/start"),
            "0ad374308c5a4e22f723adf10145eafad7c4031c"
        );
        assert_eq!(
            key(None, "https://d-1234567890.awsapps.com/start"),
            "7487b5b67d5fa1132cf33fa93ae51ef38cc37752"
        );
    }

    #[test]
    fn hosts_refreshing_at_once_leave_one_whole_token_and_no_temp_file() {
        let home = tempfile::tempdir().expect("tempdir");
        let path = home.path().join(".aws/sso/cache/x.json");
        let token = |n: usize| CachedToken {
            start_url: Some("https://s".into()),
            region: Some("eu-west-1".into()),
            access_token: format!("at-{n}-{}", "a".repeat(4000)),
            expires_at: "2030-01-01T00:00:00Z".into(),
            client_id: None,
            client_secret: None,
            registration_expires_at: None,
            refresh_token: Some(format!("rt-{n}")),
            other: serde_json::Map::new(),
        };
        std::thread::scope(|s| {
            for n in 0..8 {
                let (path, token) = (&path, &token);
                s.spawn(move || {
                    for _ in 0..20 {
                        write(path, &token(n)).expect("write");
                    }
                });
            }
        });
        let kept = read(&path).expect("a token file").expect("present");
        let n: usize = kept
            .refresh_token
            .as_deref()
            .and_then(|r| r.strip_prefix("rt-"))
            .and_then(|n| n.parse().ok())
            .expect("one writer's token");
        assert_eq!(kept.access_token, token(n).access_token, "whole, not mixed");
        let dir = path.parent().expect("dir");
        let names: Vec<_> = std::fs::read_dir(dir)
            .expect("read_dir")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["x.json"], "no temp file left");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(dir), 0o700);
            assert_eq!(mode(&home.path().join(".aws/sso")), 0o700);
        }
    }

    #[test]
    fn times_round_trip_in_botocores_format() {
        assert_eq!(format_time(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20UTC"), Some(1_700_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20.5Z"), Some(1_700_000_000));
        assert_eq!(parse_time("tomorrow"), None);
    }

    #[test]
    fn fields_use_the_aws_cli_names_and_unknown_ones_survive() {
        let text = r#"{"startUrl":"https://s","region":"eu-west-1","accessToken":"a",
            "expiresAt":"2030-01-01T00:00:00Z","clientId":"c","clientSecret":"s",
            "registrationExpiresAt":"2030-01-01T00:00:00Z","refreshToken":"r","x":1}"#;
        let token: CachedToken = serde_json::from_str(text).expect("parses");
        assert!(token.refreshable(0));
        let back = serde_json::to_value(&token).expect("serialises");
        for field in [
            "startUrl",
            "region",
            "accessToken",
            "expiresAt",
            "clientId",
            "clientSecret",
            "registrationExpiresAt",
            "refreshToken",
            "x",
        ] {
            assert!(back.get(field).is_some(), "{field}");
        }
    }
}
