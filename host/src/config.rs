//! Profiles from `~/.aws/config` and `~/.aws/credentials`, parsed by the AWS SDK's own
//! profile parser, and resolved into a [`Plan`] the way botocore (the AWS CLI) resolves them.
//!
//! - `files` reads each file on its own (botocore treats keys differently by file);
//! - `compat` settles the few points where the SDK's parser reads a file unlike botocore;
//! - `resolve` is botocore's provider chain and `source_profile` rules;
//! - `plan` is the result: a [`Source`], then the roles to assume.

mod cognito;
mod compat;
mod files;
mod lint;
mod plan;
mod resolve;
mod stamp;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_types::os_shim_internal::{Env, Fs};
use roleport_protocol::{Appearance, Color, Icon, ProfileKind, ProfileSummary};

pub use compat::FileKind;
pub use plan::{
    Ambient, CognitoAuth, CognitoFlow, CognitoSource, Plan, RoleStep, Source, SsoSource,
};
pub use stamp::Stamp;

use crate::arn::RoleArn;
use crate::error::HostError;
use crate::http_client::{Trust, CA_BUNDLE_VAR};
use crate::settings::{Loaded, Look, Subject};
use crate::sso::directory::{Directory, Entry};
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
    /// Roles found by `roleport sso sync`, shown and opened beside the configured profiles.
    discovered: Vec<Directory>,
    /// roleport's own settings: the colour rules and defaults.
    settings: Arc<Loaded>,
    /// `AWS_CA_BUNDLE` as the files were loaded: it wins over every profile's `ca_bundle`.
    ca_bundle_var: Option<String>,
}

impl AwsConfig {
    /// Loads the files the AWS CLI would (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`,
    /// else `~/.aws/config` and `~/.aws/credentials`). Missing files are an empty config.
    pub async fn load() -> Result<AwsConfig, HostError> {
        // Before anything reads them: a runaway file is refused, not loaded into memory.
        files::check_sizes(&Env::real())?;
        // Keys moved out of ~/.aws/credentials (`roleport add`, `doctor --move-keys`) count as
        // if they were still there; an empty store costs one missing-file check.
        Ok(Self::load_with(&Fs::real(), &Env::real())
            .await?
            .with_store(crate::store::EnvKeyStore::shared())
            .with_discovered(Directory::load_all())
            .with_settings(Arc::new(Loaded::load())))
    }

    /// Loads with an explicit file system and environment (tests).
    pub async fn load_with(fs: &Fs, env: &Env) -> Result<AwsConfig, HostError> {
        Ok(AwsConfig {
            files: Files::load(fs, env).await?,
            store: Arc::new(NoStore),
            discovered: Vec::new(),
            settings: Arc::new(Loaded::default()),
            ca_bundle_var: env.get(CA_BUNDLE_VAR).ok(),
        })
    }

    /// The same config, with keys also looked up in `store`.
    pub fn with_store(mut self, store: Arc<dyn KeyStore>) -> AwsConfig {
        self.store = store;
        self
    }

    /// The same config, with the roles discovery found.
    pub fn with_discovered(mut self, discovered: Vec<Directory>) -> AwsConfig {
        self.discovered = discovered;
        self
    }

    /// The same config, with these colour rules and defaults.
    pub fn with_settings(mut self, settings: Arc<Loaded>) -> AwsConfig {
        self.settings = settings;
        self
    }

    /// roleport's own settings, as loaded with the AWS files.
    pub fn settings(&self) -> &Loaded {
        &self.settings
    }

    /// Every profile that could open a console, as the popup shows it: the configured ones
    /// sorted by name, then discovered roles that no configured profile already names (by
    /// name, or as an SSO profile of the same account and role).
    pub fn summaries(&self) -> Vec<ProfileSummary> {
        let mut summaries: Vec<ProfileSummary> = self
            .files
            .names()
            .into_iter()
            .filter_map(|name| self.summary(name))
            .collect();
        let configured: HashSet<(String, String)> = summaries
            .iter()
            .filter(|s| s.kind == ProfileKind::Sso)
            .filter_map(|s| Some((s.account_id.clone()?, s.role.clone()?)))
            .collect();
        let discovered: Vec<ProfileSummary> = self
            .discovered_entries()
            .filter(|(_, e)| !configured.contains(&(e.account_id.clone(), e.role.clone())))
            .map(|(d, e)| self.discovered_summary(d, e))
            .collect();
        summaries.extend(discovered);
        summaries
    }

    fn discovered_summary(&self, d: &Directory, e: Entry) -> ProfileSummary {
        let mut summary = ProfileSummary {
            appearance: Appearance::default_for(&e.name),
            name: e.name,
            kind: ProfileKind::Sso,
            account_id: Some(e.account_id),
            role: Some(e.role),
            region: Some(d.region.clone()),
            account_name: Some(e.account_name),
            discovered: true,
            tags: Vec::new(),
        };
        summary.appearance = self.dress(&summary, Look::default());
        summary
    }

    /// A profile's look: its own keys (`own`), then the colour rules, then the defaults.
    fn dress(&self, s: &ProfileSummary, own: Look) -> Appearance {
        let subject = Subject {
            name: &s.name,
            account_id: s.account_id.as_deref(),
            account_name: s.account_name.as_deref(),
            tags: &s.tags,
        };
        self.settings.rules.appearance(&subject, own)
    }

    /// Discovered roles whose names no configured profile takes, with their login; the first
    /// login to name a role wins.
    fn discovered_entries(&self) -> impl Iterator<Item = (&Directory, Entry)> + '_ {
        let mut seen = HashSet::new();
        self.discovered
            .iter()
            .flat_map(|d| d.entries().into_iter().map(move |e| (d, e)))
            .filter(move |(_, e)| !self.files.exists(&e.name) && seen.insert(e.name.clone()))
    }

    /// Resolves `name` into the steps that produce its credentials.
    pub fn plan(&self, name: &str) -> Result<Plan, HostError> {
        if !self.files.exists(name) {
            if let Some((login, entry)) = self.discovered_entries().find(|(_, e)| e.name == name) {
                return Ok(Plan {
                    profile: name.to_owned(),
                    source: Source::Sso(SsoSource {
                        profile: name.to_owned(),
                        session: login.session.clone(),
                        start_url: login.start_url.clone(),
                        region: login.region.clone(),
                        account_id: entry.account_id.clone(),
                        role_name: entry.role.clone(),
                    }),
                    source_profile: name.to_owned(),
                    source_mfa_serial: None,
                    roles: Vec::new(),
                    // As `--write-config` writes it: the login's region.
                    region: Some(login.region.clone()),
                    trust: Trust::of(self.ca_bundle_var.as_deref(), name, None),
                    appearance: self.discovered_summary(login, entry).appearance,
                });
            }
        }
        let resolved = resolve::Resolver::new(&self.files, self.store.as_ref(), name).resolve()?;
        lint::check(&self.files, name)?;
        Ok(Plan {
            profile: name.to_owned(),
            source: resolved.source,
            source_profile: resolved.source_profile,
            source_mfa_serial: resolved.source_mfa_serial,
            roles: resolved.roles,
            region: self.region(name),
            trust: Trust::of(
                self.ca_bundle_var.as_deref(),
                name,
                self.files.get(name, "ca_bundle"),
            ),
            // The popup's row and the tab must agree, so both come from the summary.
            appearance: match self.summary(name) {
                Some(s) => s.appearance,
                None => self.settings.rules.appearance(
                    &Subject {
                        name,
                        account_id: None,
                        account_name: None,
                        tags: &[],
                    },
                    self.own_look(name),
                ),
            },
        })
    }

    /// What the plan's profiles set that roleport ignores (unknown `roleport_*` keys, a
    /// colour that is not one, …), one sentence each, with file and line.
    pub fn warnings(&self, plan: &Plan) -> Vec<String> {
        lint::warnings(&self.files, plan)
    }

    /// A key of a `[sso-session NAME]` section: `None` when the section is missing,
    /// `Some(None)` when it lacks the key.
    pub fn sso_session(&self, session: &str, key: &str) -> Option<Option<String>> {
        self.files
            .sso_session(session, key)
            .map(|v| v.map(str::to_owned))
    }

    /// Every `[sso-session]` name, sorted.
    pub fn sso_sessions(&self) -> Vec<&str> {
        self.files.sso_sessions()
    }

    /// Every profile name, sorted.
    pub fn profile_names(&self) -> Vec<&str> {
        self.files.names()
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
            // The role is known only when the profile names one (CustomRoleArn / basic flow).
            None if cognito::is_cognito(&self.files, name) => (
                ProfileKind::Cognito,
                get("roleport_cognito_role_arn").and_then(|a| RoleArn::parse(a).ok()),
            ),
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
        let mut summary = ProfileSummary {
            name: name.to_owned(),
            kind,
            account_id: role
                .as_ref()
                .map(|r| r.account_id.clone())
                .or_else(|| sso("sso_account_id")),
            role: role.map(|r| r.role_name).or_else(|| sso("sso_role_name")),
            region: self.region(name),
            account_name: None,
            discovered: false,
            tags: get("roleport_tags")
                .map(|t| {
                    t.split(',')
                        .map(|tag| tag.split('=').map(str::trim).collect::<Vec<_>>().join("="))
                        .filter(|tag| !tag.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            appearance: Appearance::default_for(name),
        };
        summary.appearance = self.dress(&summary, self.own_look(name));
        Some(summary)
    }

    /// The profile's `region`, else `[defaults] region` of roleport's settings.
    fn region(&self, name: &str) -> Option<String> {
        self.files
            .get(name, "region")
            .or(self.settings.default_region())
            .map(str::to_owned)
    }

    /// What the profile's own `roleport_color` / `roleport_icon` / `roleport_label` say (an
    /// unknown colour or icon name counts as unset).
    fn own_look(&self, name: &str) -> Look {
        let get = |key| self.files.get(name, key);
        Look {
            color: get("roleport_color").and_then(Color::parse),
            icon: get("roleport_icon").and_then(Icon::parse),
            label: get("roleport_label")
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        }
    }
}
