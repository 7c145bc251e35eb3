//! The two AWS files, each parsed by the AWS SDK's own parser, kept apart: botocore asks the
//! credentials file and the config file for keys at different points of its provider chain,
//! so where a key was written changes what a profile means.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::PathBuf;

use aws_config::profile::ProfileSet;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_types::os_shim_internal::{Env, Fs};

use super::compat::{self, FileKind};
use crate::error::HostError;

/// The largest AWS config or credentials file roleport reads (8 MiB: some 40,000 profiles).
/// A bigger one is refused before it is read, so a runaway file cannot exhaust memory.
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// A file's path, and the line of each (profile, key) written in it.
type KeyLines = (PathBuf, HashMap<(String, String), usize>);

/// The profiles of both files.
pub struct Files {
    config: ProfileSet,
    credentials: ProfileSet,
    /// Where each key was written, per file: (path, line by (profile, key)).
    lines: [KeyLines; 2],
}

impl Files {
    /// Reads both files where the AWS CLI would (`AWS_CONFIG_FILE`,
    /// `AWS_SHARED_CREDENTIALS_FILE`, else under `~/.aws/`). A missing file is an empty one.
    pub async fn load(fs: &Fs, env: &Env) -> Result<Files, HostError> {
        let (config, config_lines) = load_one(fs, env, FileKind::Config).await?;
        let (credentials, credentials_lines) = load_one(fs, env, FileKind::Credentials).await?;
        Ok(Files {
            config,
            credentials,
            lines: [config_lines, credentials_lines],
        })
    }

    /// Where a key of a profile was written, as botocore's merged view reads it:
    /// `PATH line N`.
    pub fn locate(&self, profile: &str, key: &str) -> Option<String> {
        let wanted = (profile.to_owned(), key.to_ascii_lowercase());
        [FileKind::Credentials, FileKind::Config]
            .into_iter()
            .filter(|kind| self.in_file(*kind, profile, key).is_some())
            .find_map(|kind| {
                let (path, lines) = match kind {
                    FileKind::Config => &self.lines[0],
                    FileKind::Credentials => &self.lines[1],
                };
                lines
                    .get(&wanted)
                    .map(|line| format!("{} line {line}", path.display()))
            })
    }

    /// The keys a profile was written with, in either file, lower case, sorted.
    pub fn keys(&self, profile: &str) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .lines
            .iter()
            .flat_map(|(_, lines)| lines.keys())
            .filter(|(p, _)| p == profile)
            .map(|(_, k)| k.as_str())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Whether either file defines the profile.
    pub fn exists(&self, profile: &str) -> bool {
        self.config.get_profile(profile).is_some()
            || self.credentials.get_profile(profile).is_some()
    }

    /// A key of a profile as botocore's merged view has it: the credentials file wins.
    pub fn get(&self, profile: &str, key: &str) -> Option<&str> {
        self.in_file(FileKind::Credentials, profile, key)
            .or_else(|| self.in_file(FileKind::Config, profile, key))
    }

    /// A key as written in one file only.
    pub fn in_file(&self, file: FileKind, profile: &str, key: &str) -> Option<&str> {
        let set = match file {
            FileKind::Config => &self.config,
            FileKind::Credentials => &self.credentials,
        };
        set.get_profile(profile)?.get(key)
    }

    /// A key of a `[sso-session NAME]` section (config file only), `None` if the section is
    /// missing.
    pub fn sso_session(&self, session: &str, key: &str) -> Option<Option<&str>> {
        self.config.sso_session(session).map(|s| s.get(key))
    }

    /// Every `[sso-session NAME]` of the config file, sorted.
    pub fn sso_sessions(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.config.sso_sessions().collect();
        names.sort_unstable();
        names
    }

    /// Every profile name, sorted, each once.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .config
            .profiles()
            .chain(self.credentials.profiles())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

async fn load_one(fs: &Fs, env: &Env, kind: FileKind) -> Result<(ProfileSet, KeyLines), HostError> {
    let path = path_of(env, kind);
    let shown = path.display().to_string();
    let unreadable = |why: String| HostError::ConfigUnreadable(format!("{shown}{why}"));
    let text = match fs.read_to_end(&path).await {
        Ok(bytes) => String::from_utf8(bytes).map_err(|e| {
            let line = line_of(e.as_bytes(), e.utf8_error().valid_up_to());
            unreadable(format!(
                " line {line}: not UTF-8 text (save the file as UTF-8)"
            ))
        })?,
        Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
        Err(e) => return Err(unreadable(format!(": {e}"))),
    };
    if let Some(at) = text.find('\0') {
        let line = line_of(text.as_bytes(), at);
        return Err(unreadable(format!(
            " line {line}: a NUL byte (the file looks damaged; no AWS setting holds one)"
        )));
    }
    let view = compat::botocore_view(&text, kind).map_err(|(line, why)| {
        unreadable(format!(
            " line {line}: {why}; the AWS CLI refuses such a file too"
        ))
    })?;
    let sdk_kind = match kind {
        FileKind::Config => EnvConfigFileKind::Config,
        FileKind::Credentials => EnvConfigFileKind::Credentials,
    };
    let files = EnvConfigFiles::builder()
        .with_contents(sdk_kind, view)
        .build();
    let set = aws_config::profile::load(fs, env, &files, Some(Cow::Borrowed("default")))
        .await
        .map_err(|e| HostError::ConfigUnreadable(sdk_message(&crate::error::chain(&e), &shown)))?;
    Ok((set, (path, compat::key_lines(&text, kind))))
}

/// The SDK's parse error ("error parsing  on line 3:\n  Expected …": the text was handed
/// over as contents, so without a path) as one line that names the file.
fn sdk_message(message: &str, shown: &str) -> String {
    let Some(at) = message.find("error parsing  on line ") else {
        return format!("{shown}: {message}");
    };
    let rest = &message[at + "error parsing  on line ".len()..];
    let (line, why) = rest.split_once(':').unwrap_or((rest, ""));
    let why = why.trim();
    let mut why_chars = why.chars();
    let why: String = match why_chars.next() {
        Some(first) => first.to_lowercase().chain(why_chars).collect(),
        None => "cannot be parsed".into(),
    };
    format!("{shown} line {line}: {why}")
}

/// The 1-based line of byte offset `at`.
fn line_of(bytes: &[u8], at: usize) -> usize {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Refuses a file above [`MAX_FILE_BYTES`] before anything reads it (real files only: the
/// check asks the file system, not the `Fs` shim tests use).
pub fn check_sizes(env: &Env) -> Result<(), HostError> {
    for kind in [FileKind::Config, FileKind::Credentials] {
        let path = path_of(env, kind);
        if let Ok(meta) = std::fs::metadata(&path) {
            if meta.len() > MAX_FILE_BYTES {
                return Err(HostError::ConfigUnreadable(format!(
                    "{} is {} MiB, more than the {} MiB roleport reads (is it really an AWS \
                     config file?)",
                    path.display(),
                    meta.len() >> 20,
                    MAX_FILE_BYTES >> 20
                )));
            }
        }
    }
    Ok(())
}

/// The file's path: the override variable, else `~/.aws/NAME` with `~` from `HOME`.
fn path_of(env: &Env, kind: FileKind) -> PathBuf {
    let (var, default) = match kind {
        FileKind::Config => ("AWS_CONFIG_FILE", "~/.aws/config"),
        FileKind::Credentials => ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    };
    let path = env.get(var).unwrap_or_else(|_| default.to_owned());
    match (path.strip_prefix("~/"), env.get("HOME")) {
        (Some(rest), Ok(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}
