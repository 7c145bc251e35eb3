//! `credential_process`: run the profile's command and read the version-1 JSON it prints.
//!
//! As botocore does, the command line is split like a POSIX shell word list (Python's
//! `shlex.split`) and run directly, not through a shell: no `$VAR`, globs or pipes. botocore
//! waits forever; roleport gives up after a minute so a stuck helper cannot hang the browser.

use std::process::Stdio;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_sts::primitives::{DateTime, DateTimeFormat};
use serde::Deserialize;
use tokio::io::AsyncReadExt;

use super::RootCredentials;
use crate::error::HostError;

/// How long a credential process may take.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Profiles whose `credential_process` is running in this process's ancestors, so that
/// `credential_process = roleport credential-process SAME` fails instead of forking forever.
pub const RUNNING_VAR: &str = "ROLEPORT_CREDENTIAL_PROCESS_FOR";

/// Stderr kept for the error message: enough to see the helper's complaint.
const STDERR_LIMIT: usize = 4096;

/// Runs `command` for `profile` and returns its credentials.
pub async fn run(
    profile: &str,
    command: &str,
    timeout: Duration,
) -> Result<RootCredentials, HostError> {
    let fail = |detail: String| HostError::SourceFailed {
        profile: profile.to_owned(),
        source_kind: "credential_process".into(),
        detail,
    };
    let running = std::env::var(RUNNING_VAR).unwrap_or_default();
    if running.split(',').any(|p| p == profile) {
        return Err(fail(
            "its command asks roleport for this same profile again (a loop); point \
             credential_process at another profile"
                .into(),
        ));
    }
    let argv = split(command).map_err(|e| fail(format!("cannot split the command line: {e}")))?;
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| fail("the command line is empty".into()))?;
    let chain = if running.is_empty() {
        profile.to_owned()
    } else {
        format!("{running},{profile}")
    };
    crate::limits::stage(format!(
        "the credential_process `{program}` of profile `{profile}`"
    ));
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env(RUNNING_VAR, chain)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| fail(format!("cannot start `{program}`: {e}")))?;
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let finished = tokio::time::timeout(timeout, async {
        let read_out = async {
            if let Some(o) = out.as_mut() {
                let _ = o.read_to_end(&mut stdout).await;
            }
        };
        let read_err = async {
            if let Some(e) = err.as_mut() {
                let _ = e.read_to_end(&mut stderr).await;
            }
        };
        tokio::join!(read_out, read_err);
        child.wait().await
    })
    .await;
    let status = match finished {
        Ok(status) => status.map_err(|e| fail(format!("waiting for `{program}`: {e}")))?,
        Err(_) => {
            return Err(fail(format!(
                "`{program}` did not finish within {} s",
                timeout.as_secs()
            )))
        }
    };
    if !status.success() {
        let mut text = String::from_utf8_lossy(&stderr).trim().to_owned();
        if text.len() > STDERR_LIMIT {
            let cut = (0..=STDERR_LIMIT)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            text.truncate(cut);
            text.push('…');
        }
        return Err(fail(format!("`{program}` exited with {status}: {text}")));
    }
    parse(profile, &stdout, SystemTime::now())
}

/// The version-1 output. Unknown fields are ignored, as botocore does.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    version: serde_json::Value,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
    expiration: Option<String>,
    account_id: Option<String>,
}

impl Drop for Output {
    // The parsed secrets are wiped with the struct (what moved on into `Credentials`, which
    // zeroizes its own, was taken out first).
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.access_key_id.zeroize();
        self.secret_access_key.zeroize();
        self.session_token.zeroize();
    }
}

/// Reads the process's stdout. Its text never reaches an error message: it holds secrets.
pub fn parse(profile: &str, stdout: &[u8], now: SystemTime) -> Result<RootCredentials, HostError> {
    let fail = |detail: &str| HostError::SourceFailed {
        profile: profile.to_owned(),
        source_kind: "credential_process".into(),
        detail: detail.to_owned(),
    };
    let mut out: Output = serde_json::from_slice(stdout).map_err(|_| {
        fail("its output is not a JSON object (output not shown: it may hold secrets)")
    })?;
    if out.version.as_f64() != Some(1.0) {
        return Err(fail(&format!(
            "its output has \"Version\": {}, only 1 is supported",
            out.version
        )));
    }
    let (Some(id), Some(secret)) = (out.access_key_id.take(), out.secret_access_key.take()) else {
        return Err(fail("its output lacks AccessKeyId or SecretAccessKey"));
    };
    let expiry = match &out.expiration {
        None => None,
        Some(text) => {
            let at = DateTime::from_str(text, DateTimeFormat::DateTime)
                .ok()
                .and_then(|d| SystemTime::try_from(d).ok())
                .ok_or_else(|| fail(&format!("its Expiration `{text}` is not an RFC 3339 time")))?;
            if at <= now {
                return Err(HostError::ExpiredCredentials {
                    profile: profile.to_owned(),
                    detail: format!(
                        "credential_process returned credentials that expired at {text}"
                    ),
                });
            }
            Some(at)
        }
    };
    let mut builder = Credentials::builder()
        .access_key_id(id)
        .secret_access_key(secret)
        .provider_name("roleport-credential-process");
    builder.set_session_token(out.session_token.take());
    builder.set_expiry(expiry);
    Ok(RootCredentials {
        credentials: builder.build(),
        expires_at: out.expiration.take(),
        account_id: out.account_id.take(),
    })
}

/// Python's `shlex.split(s)` (POSIX mode, no comments): whitespace separates words; `'…'` is
/// literal; in `"…"` a backslash escapes only `"` and `\`; outside quotes it escapes anything.
pub fn split(line: &str) -> Result<Vec<String>, &'static str> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\\' => {
                let next = chars.next().ok_or("No escaped character")?;
                word.get_or_insert_with(String::new).push(next);
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next().ok_or("No closing quotation")? {
                        '\'' => break,
                        other => w.push(other),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next().ok_or("No closing quotation")? {
                        '"' => break,
                        '\\' => match chars.next().ok_or("No closing quotation")? {
                            escaped @ ('"' | '\\') => w.push(escaped),
                            other => {
                                w.push('\\');
                                w.push(other);
                            }
                        },
                        other => w.push(other),
                    }
                }
            }
            other => word.get_or_insert_with(String::new).push(other),
        }
    }
    words.extend(word);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_pythons_shlex() {
        // Expected values printed by Python 3.11's shlex.split.
        let cases: &[(&str, &[&str])] = &[
            ("a b", &["a", "b"]),
            ("a 'b c' d", &["a", "b c", "d"]),
            (r#"a "b \" c""#, &["a", "b \" c"]),
            (r"a\ b", &["a b"]),
            (r#"a "x\y""#, &["a", r"x\y"]),
            ("a ''", &["a", ""]),
            (r#"a"b c"d"#, &["ab cd"]),
            ("a #b", &["a", "#b"]),
            (r"a 'x\y'", &["a", r"x\y"]),
            (r#"a "$HOME""#, &["a", "$HOME"]),
            ("  lead  trail  ", &["lead", "trail"]),
            ("a\tb\nc", &["a", "b", "c"]),
            (r#"a "\\""#, &["a", "\\"]),
        ];
        for (line, want) in cases {
            let got = split(line).expect("splits");
            assert_eq!(got, *want, "{line}");
        }
        assert_eq!(split("a \"b"), Err("No closing quotation"));
        assert_eq!(split("a 'b"), Err("No closing quotation"));
        assert_eq!(split("a\\"), Err("No escaped character"));
    }

    #[test]
    fn parses_version_one_and_never_echoes_the_output() {
        let now = SystemTime::now();
        let ok = br#"{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"S3CRET","SessionToken":"T","Expiration":"2999-01-01T00:00:00Z"}"#;
        let creds = parse("p", ok, now).expect("parses");
        assert!(creds.is_temporary());
        assert_eq!(creds.credentials.access_key_id(), "AKID");
        let long_term = br#"{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"S3CRET"}"#;
        assert!(!parse("p", long_term, now).expect("parses").is_temporary());

        let bad = parse("p", b"S3CRET not json", now).expect_err("not json");
        assert!(!bad.to_string().contains("S3CRET"));
        let v2 = br#"{"Version":2,"AccessKeyId":"A","SecretAccessKey":"S3CRET"}"#;
        assert!(parse("p", v2, now)
            .expect_err("v2")
            .to_string()
            .contains("Version"));
        let half = br#"{"Version":1,"AccessKeyId":"A"}"#;
        assert!(parse("p", half, now).is_err());
    }

    #[test]
    fn expired_credentials_are_an_error() {
        let old = br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T","Expiration":"2001-01-01T00:00:00Z"}"#;
        assert!(matches!(
            parse("p", old, SystemTime::now()),
            Err(HostError::ExpiredCredentials { .. })
        ));
    }

    #[tokio::test]
    async fn runs_without_a_shell_and_keeps_stderr_for_the_error() {
        let ok = run(
            "p",
            r#"printf '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "$HOME"}'"#,
            TIMEOUT,
        )
        .await
        .expect("runs");
        assert_eq!(ok.credentials.secret_access_key(), "$HOME");

        let err = run("p", "sh -c 'echo nope >&2; exit 3'", TIMEOUT)
            .await
            .expect_err("fails");
        let text = err.to_string();
        assert!(text.contains("nope") && text.contains('3'), "{text}");

        let err = run("p", "/nonexistent/helper", TIMEOUT)
            .await
            .expect_err("missing");
        assert!(err.to_string().contains("/nonexistent/helper"), "{err}");
    }

    #[tokio::test]
    async fn a_stuck_process_is_stopped() {
        let err = run("p", "sleep 30", Duration::from_millis(200))
            .await
            .expect_err("times out");
        assert!(err.to_string().contains("did not finish"), "{err}");
    }
}
