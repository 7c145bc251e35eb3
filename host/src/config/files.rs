//! The two AWS files, each parsed by the AWS SDK's own parser, kept apart: botocore asks the
//! credentials file and the config file for keys at different points of its provider chain,
//! so where a key was written changes what a profile means.

use std::borrow::Cow;
use std::io::ErrorKind;
use std::path::PathBuf;

use aws_config::profile::ProfileSet;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_types::os_shim_internal::{Env, Fs};

use super::compat::{self, FileKind};
use crate::error::HostError;

/// The profiles of both files.
pub struct Files {
    config: ProfileSet,
    credentials: ProfileSet,
}

impl Files {
    /// Reads both files where the AWS CLI would (`AWS_CONFIG_FILE`,
    /// `AWS_SHARED_CREDENTIALS_FILE`, else under `~/.aws/`). A missing file is an empty one.
    pub async fn load(fs: &Fs, env: &Env) -> Result<Files, HostError> {
        Ok(Files {
            config: load_one(fs, env, FileKind::Config).await?,
            credentials: load_one(fs, env, FileKind::Credentials).await?,
        })
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

async fn load_one(fs: &Fs, env: &Env, kind: FileKind) -> Result<ProfileSet, HostError> {
    let path = path_of(env, kind);
    let shown = path.display().to_string();
    let text = match fs.read_to_end(&path).await {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| HostError::ConfigUnreadable(format!("{shown} is not UTF-8 text")))?,
        Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
        Err(e) => return Err(HostError::ConfigUnreadable(format!("{shown}: {e}"))),
    };
    let text = compat::botocore_view(&text, kind).map_err(|(line, why)| {
        HostError::ConfigUnreadable(format!(
            "{shown} line {line}: {why}; the AWS CLI refuses such a file too"
        ))
    })?;
    let sdk_kind = match kind {
        FileKind::Config => EnvConfigFileKind::Config,
        FileKind::Credentials => EnvConfigFileKind::Credentials,
    };
    let files = EnvConfigFiles::builder()
        .with_contents(sdk_kind, text)
        .build();
    aws_config::profile::load(fs, env, &files, Some(Cow::Borrowed("default")))
        .await
        .map_err(|e| {
            // The text was handed over as contents, so the SDK's message has no path: add it.
            let message =
                crate::error::chain(&e).replacen("parsing  on", &format!("parsing {shown} on"), 1);
            HostError::ConfigUnreadable(message)
        })
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
