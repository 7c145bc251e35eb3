//! Profiles from `~/.aws/config` and `~/.aws/credentials`, parsed by the AWS SDK's own
//! profile parser, and resolved into a [`Plan`] the way botocore (the AWS CLI) resolves them.
//!
//! - `files` reads each file on its own (botocore treats keys differently by file);
//! - `compat` settles the few points where the SDK's parser reads a file unlike botocore;
//! - `resolve` is botocore's provider chain and `source_profile` rules;
//! - `plan` is the result: a [`Source`], then the roles to assume.

mod compat;
mod files;
mod plan;
mod resolve;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_types::os_shim_internal::{Env, Fs};
use roleport_protocol::{Appearance, ProfileKind, ProfileSummary};

pub use compat::FileKind;
pub use plan::{Ambient, Plan, RoleStep, Source, SsoSource};

use crate::arn::RoleArn;
use crate::error::HostError;
use files::Files;

/// Where roleport keeps long-term keys of its own (OS keyring, encrypted file), so they need
/// not sit in `~/.aws/credentials`.
///
/// This is the hook for the store: a profile with no keys in the files but keys in the store
/// resolves to [`Source::StoredKeys`], exactly where botocore would have read keys from the
/// credentials file. `lookup` is called only when the files leave the question open.
pub trait KeyStore: Send + Sync {
    /// The long-term keys kept for `profile`, if any.
    fn lookup(&self, profile: &str) -> Result<Option<Credentials>, HostError>;
}

/// No store: only the files count.
pub struct NoStore;

impl KeyStore for NoStore {
    fn lookup(&self, _profile: &str) -> Result<Option<Credentials>, HostError> {
        Ok(None)
    }
}

/// The parsed AWS config and credentials files, and the key store beside them.
pub struct AwsConfig {
    files: Files,
    store: Arc<dyn KeyStore>,
}

impl AwsConfig {
    /// Loads the files the AWS CLI would (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`,
    /// else `~/.aws/config` and `~/.aws/credentials`). Missing files are an empty config.
    pub async fn load() -> Result<AwsConfig, HostError> {
        // Keys moved out of ~/.aws/credentials (`roleport add`, `doctor --move-keys`) count as
        // if they were still there; an empty store costs one missing-file check.
        Ok(Self::load_with(&Fs::real(), &Env::real())
            .await?
            .with_store(crate::store::EnvKeyStore::shared()))
    }

    /// Loads with an explicit file system and environment (tests).
    pub async fn load_with(fs: &Fs, env: &Env) -> Result<AwsConfig, HostError> {
        Ok(AwsConfig {
            files: Files::load(fs, env).await?,
            store: Arc::new(NoStore),
        })
    }

    /// The same config, with keys also looked up in `store`.
    pub fn with_store(mut self, store: Arc<dyn KeyStore>) -> AwsConfig {
        self.store = store;
        self
    }

    /// Every profile that could open a console, as the popup shows it, sorted by name.
    pub fn summaries(&self) -> Vec<ProfileSummary> {
        self.files
            .names()
            .into_iter()
            .filter_map(|name| self.summary(name))
            .collect()
    }

    /// Resolves `name` into the steps that produce its credentials.
    pub fn plan(&self, name: &str) -> Result<Plan, HostError> {
        let resolved = resolve::Resolver::new(&self.files, self.store.as_ref(), name).resolve()?;
        Ok(Plan {
            profile: name.to_owned(),
            source: resolved.source,
            source_profile: resolved.source_profile,
            source_mfa_serial: resolved.source_mfa_serial,
            roles: resolved.roles,
            region: self.files.get(name, "region").map(str::to_owned),
            appearance: self.appearance(name),
        })
    }

    /// A key of a `[sso-session NAME]` section: `None` when the section is missing,
    /// `Some(None)` when it lacks the key.
    pub fn sso_session(&self, session: &str, key: &str) -> Option<Option<String>> {
        self.files
            .sso_session(session, key)
            .map(|v| v.map(str::to_owned))
    }

    fn summary(&self, name: &str) -> Option<ProfileSummary> {
        let get = |key| self.files.get(name, key);
        let stored = || matches!(self.store.lookup(name), Ok(Some(_)));
        let (kind, role) = match get("role_arn") {
            Some(arn) => (ProfileKind::AssumeRole, RoleArn::parse(arn).ok()),
            None if get("aws_access_key_id").is_some() => (ProfileKind::StaticKeys, None),
            None if get("sso_session").is_some() || get("sso_start_url").is_some() => {
                (ProfileKind::Sso, None)
            }
            None if get("credential_process").is_some() => (ProfileKind::CredentialProcess, None),
            None if stored() => (ProfileKind::StaticKeys, None),
            // Settings only (a region, an MFA device for other profiles): nothing to open.
            None => return None,
        };
        // SSO profiles name their account and role directly.
        let sso = |key| {
            (kind == ProfileKind::Sso)
                .then(|| get(key).map(str::to_owned))
                .flatten()
        };
        Some(ProfileSummary {
            name: name.to_owned(),
            kind,
            account_id: role
                .as_ref()
                .map(|r| r.account_id.clone())
                .or_else(|| sso("sso_account_id")),
            role: role.map(|r| r.role_name).or_else(|| sso("sso_role_name")),
            region: get("region").map(str::to_owned),
            appearance: self.appearance(name),
        })
    }

    fn appearance(&self, name: &str) -> Appearance {
        Appearance::from_keys(
            name,
            self.files.get(name, "roleport_color"),
            self.files.get(name, "roleport_icon"),
        )
    }
}
