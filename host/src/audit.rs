//! The audit log: one JSON line per credential issued and per console opened, so a person
//! (or their security team) can answer "who opened prod, when, as whom". Never a secret.
//!
//! Lines are appended with one `write` on a file opened `O_APPEND`, which the kernel keeps
//! whole even when two hosts (two browsers) and a CLI write at once.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::SystemTime;

use aws_smithy_types::date_time::{DateTime, Format};
use serde::{Deserialize, Serialize};

/// Who asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requester {
    /// The browser extension's popup.
    Popup,
    /// A person at the terminal (`roleport url`, `roleport open`).
    Cli,
    /// `roleport exec` / `roleport credential-process`.
    Exec,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// STS issued temporary credentials (one record per call).
    Credentials,
    /// A console sign-in URL was handed out.
    Console,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// RFC 3339, UTC.
    pub time: String,
    /// Credentials or console.
    pub event: Event,
    /// The profile asked for.
    pub profile: String,
    /// STS action, for credentials records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Account of the credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Role, when one was assumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The role's full ARN, where the profile name does not say it (SAML sign-ins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// RoleSessionName, as CloudTrail shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// SourceIdentity, as CloudTrail shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    /// Popup, CLI or exec.
    pub requester: Requester,
}

impl Record {
    /// A record stamped now.
    pub fn now(event: Event, profile: &str, requester: Requester) -> Record {
        Record {
            time: DateTime::from(SystemTime::now())
                .fmt(Format::DateTime)
                .unwrap_or_default(),
            event,
            profile: profile.to_owned(),
            action: None,
            account_id: None,
            role: None,
            role_arn: None,
            session_name: None,
            source_identity: None,
            requester,
        }
    }

    fn at(&self) -> Option<SystemTime> {
        DateTime::from_str(&self.time, Format::DateTime)
            .ok()
            .and_then(|t| SystemTime::try_from(t).ok())
    }
}

/// `$ROLEPORT_HOME/audit.jsonl`, else `$XDG_STATE_HOME/roleport/audit.jsonl`, else
/// `~/.local/state/roleport/audit.jsonl`.
pub fn path() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let dir = var("ROLEPORT_HOME")
        .or_else(|| var("XDG_STATE_HOME").map(|d| d.join("roleport")))
        .or_else(|| var("HOME").map(|h| h.join(".local/state/roleport")))?;
    Some(dir.join("audit.jsonl"))
}

/// Appends `record`. Failure to audit is logged, never fatal: the log is a record, not a gate.
pub fn append(record: &Record) {
    if let Err(e) = try_append(record) {
        tracing::warn!("cannot write the audit log: {e}");
    }
}

fn try_append(record: &Record) -> std::io::Result<()> {
    let path = path().ok_or_else(|| std::io::Error::other("no HOME to keep the audit log in"))?;
    append_at(&path, record)
}

/// Appends one line to the log at `path`: one `write` of the whole line on an `O_APPEND`
/// file, so lines of writers in other processes never interleave or overwrite.
fn append_at(path: &std::path::Path, record: &Record) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
    line.push(b'\n');
    // Never `write_all`'s retry loop: a short write is an error, not a second, split write.
    let written = options.open(path)?.write(&line)?;
    if written == line.len() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "only {written} of {} bytes written (disk full?)",
            line.len()
        )))
    }
}

/// Which records to read back.
#[derive(Debug, Default)]
pub struct Filter {
    /// Only records at or after this time.
    pub since: Option<SystemTime>,
    /// Only this profile.
    pub profile: Option<String>,
}

/// The records that pass `filter`, oldest first. Lines that do not parse are skipped (a
/// line torn by a full disk must not hide the rest).
pub fn read(filter: &Filter) -> std::io::Result<Vec<Record>> {
    let Some(path) = path() else {
        return Ok(Vec::new());
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<Record>(&l).ok())
        .filter(|r| filter.profile.as_ref().is_none_or(|p| &r.profile == p))
        .filter(|r| filter.since.is_none_or(|s| r.at().is_some_and(|t| t >= s)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_appending_at_once_lose_no_line_and_tear_none() {
        // Threads stand in for hosts and CLIs: each opens the file itself, as a process would.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state/roleport/audit.jsonl");
        let (writers, each) = (8, 100);
        std::thread::scope(|s| {
            for w in 0..writers {
                let path = &path;
                s.spawn(move || {
                    for i in 0..each {
                        let mut r = Record::now(Event::Console, &format!("p{w}"), Requester::Cli);
                        // Long enough that a split write would show.
                        r.session_name = Some(format!("{w}-{i}-{}", "x".repeat(600)));
                        append_at(path, &r).expect("append");
                    }
                });
            }
        });
        let text = std::fs::read_to_string(&path).expect("read");
        let mut seen: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<Record>(l).expect("every line is a whole record"))
            .filter_map(|r| r.session_name)
            .collect();
        assert_eq!(seen.len(), writers * each, "no line lost");
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), writers * each, "none written twice");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &std::path::Path| {
                std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
            };
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().expect("dir")), 0o700);
        }
    }

    #[test]
    fn records_round_trip_and_carry_no_secret_fields() {
        let mut r = Record::now(Event::Credentials, "prod", Requester::Popup);
        r.action = Some("AssumeRole".into());
        r.session_name = Some("roleport-alice".into());
        let json = serde_json::to_string(&r).expect("json");
        assert!(json.contains(r#""requester":"popup""#), "{json}");
        assert_eq!(serde_json::from_str::<Record>(&json).expect("parses"), r);
        assert!(r.at().is_some(), "time parses back: {}", r.time);
    }
}
