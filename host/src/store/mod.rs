//! Long-term access keys that are never plaintext on disk: the OS keyring, or an encrypted
//! file where there is no keyring; and [`cache::SealedCache`] for short-lived secrets.
//!
//! # Backends
//!
//! - **keyring** (the default where one answers): one item per profile in the Secret Service
//!   (Linux, over D-Bus), the macOS Keychain or Windows Credential Manager, under the service
//!   name `roleport` (`roleport:<dir>` when `ROLEPORT_HOME` moves the store, so a test's
//!   store never meets the real one) and the profile name as user. The item holds
//!   `{"access_key_id", "secret_access_key"}` as JSON.
//! - **file** (`ROLEPORT_STORE=file`, or no keyring: no D-Bus session, a locked-out keyring):
//!   `keys.sealed`, every profile's keys in one file encrypted with XChaCha20-Poly1305 under a
//!   key derived from a passphrase by Argon2id (random salt and cost stored in the file; see
//!   `seal.rs`). The passphrase comes from `ROLEPORT_STORE_PASSPHRASE` or a prompt on the
//!   terminal, never echoed.
//!
//! # Files
//!
//! All in one directory, [`StoreConfig::dir`]: `$ROLEPORT_HOME`, else
//! `$XDG_DATA_HOME/roleport` (`~/.local/share/roleport`; the platform's data directory on
//! macOS and Windows).
//!
//! | file | holds |
//! |---|---|
//! | `index.json` | profile names and the backend of each: names only, never a secret |
//! | `keys.sealed` | the file backend's keys, encrypted |
//! | `cache.sealed` | [`cache::SealedCache`], encrypted |
//! | `.lock` | the advisory lock every writer holds |
//!
//! The directory is 0700 and must belong to the user; files are 0600. Every write takes an
//! exclusive lock on `.lock`, reads the current file, and replaces it atomically (temp file,
//! fsync, rename, fsync of the directory), so two hosts (two browsers) writing at once take
//! turns and a reader sees the old file or the new one, never a mix. A wrong passphrase fails
//! the AEAD's tag before anything is written.
//!
//! # Cheap when unused
//!
//! [`lookup`] reads `index.json` and stops there for a profile it does not list: no D-Bus, no
//! prompt, no file created. The host must work in a browser's bare environment for
//! profiles that need no store.
//!
//! Secrets are held in [`SecretString`] / [`Zeroizing`] buffers, wiped on drop, and no type
//! here prints a secret through `Debug` or `Display`.

pub mod cache;
mod error;
pub(crate) mod fsio;
mod index;
mod os_keyring;
mod passphrase;
pub mod plaintext;
mod seal;
mod vault;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use aws_credential_types::Credentials;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub use passphrase::{has_terminal, Passphrase, MIN_LEN as MIN_PASSPHRASE_LEN};

use index::Index;
use seal::{Key32, KeySource, OpenError, Sealed};

pub use error::StoreError;
pub(crate) use vault::zeroizing_string;
use vault::{SealedEntry, Vault};

/// The encrypted key file's name.
pub const KEYS_FILE: &str = "keys.sealed";
const KEYS_PURPOSE: &str = "roleport-keys";
/// `provider_name` of the credentials the store hands out.
pub const PROVIDER_NAME: &str = "roleport-store";

/// A backend that holds keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The OS keyring.
    Keyring,
    /// The passphrase-encrypted file `keys.sealed`.
    File,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Keyring => "keyring",
            Backend::File => "file",
        })
    }
}

/// What `ROLEPORT_STORE` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    /// The keyring when one answers, else the encrypted file (unset or `auto`).
    Auto,
    /// The keyring, or an error (`keyring`).
    Keyring,
    /// The encrypted file (`file`).
    File,
}

impl std::str::FromStr for BackendChoice {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<BackendChoice, StoreError> {
        match s.trim() {
            "" | "auto" => Ok(BackendChoice::Auto),
            "keyring" => Ok(BackendChoice::Keyring),
            "file" => Ok(BackendChoice::File),
            other => Err(StoreError::BadSetting(other.to_owned())),
        }
    }
}

/// Where a store lives and how it is opened.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// The directory of `index.json`, the sealed files and the lock.
    pub dir: PathBuf,
    /// The backend asked for.
    pub choice: BackendChoice,
    /// The keyring service name of this store's items.
    pub service: String,
    /// Where the file backend's passphrase comes from.
    pub passphrase: Passphrase,
}

impl StoreConfig {
    /// The store the environment names: `ROLEPORT_HOME` (else the user's data directory),
    /// `ROLEPORT_STORE`, `ROLEPORT_STORE_PASSPHRASE`. `allow_prompt` lets the file backend
    /// ask on the terminal when the passphrase variable is unset.
    pub fn from_env(allow_prompt: bool) -> Result<StoreConfig, StoreError> {
        let choice = match std::env::var("ROLEPORT_STORE") {
            Ok(value) => value.parse()?,
            Err(_) => BackendChoice::Auto,
        };
        Ok(StoreConfig::located(allow_prompt)?.with_choice(choice))
    }

    /// Directory, service name and passphrase from the environment; the backend automatic.
    fn located(allow_prompt: bool) -> Result<StoreConfig, StoreError> {
        let mut config = match std::env::var_os("ROLEPORT_HOME").filter(|h| !h.is_empty()) {
            Some(home) => StoreConfig::in_dir(home),
            None => StoreConfig {
                dir: dirs::data_dir()
                    .ok_or(StoreError::NoDataDir)?
                    .join("roleport"),
                choice: BackendChoice::Auto,
                service: "roleport".into(),
                passphrase: Passphrase::Unavailable,
            },
        };
        config.passphrase = Passphrase::from_env(allow_prompt);
        Ok(config)
    }

    /// A store in `dir`, with keyring items under a service name of its own
    /// (`roleport:<dir>`), the backend chosen automatically and no passphrase.
    pub fn in_dir(dir: impl Into<PathBuf>) -> StoreConfig {
        let dir = dir.into();
        StoreConfig {
            service: format!("roleport:{}", dir.display()),
            dir,
            choice: BackendChoice::Auto,
            passphrase: Passphrase::Unavailable,
        }
    }

    /// The same, with another backend choice.
    pub fn with_choice(mut self, choice: BackendChoice) -> StoreConfig {
        self.choice = choice;
        self
    }

    /// The same, with a known passphrase.
    pub fn with_passphrase(mut self, passphrase: SecretString) -> StoreConfig {
        self.passphrase = Passphrase::Given(passphrase);
        self
    }

    /// The encrypted key file.
    pub fn keys_file(&self) -> PathBuf {
        self.dir.join(KEYS_FILE)
    }

    /// Decides the backend for new keys, probing the keyring unless the file is asked for.
    /// Returns it and, when it is not the keyring, why.
    fn choose(&self) -> Result<(Backend, Option<String>), StoreError> {
        match self.choice {
            BackendChoice::File => Ok((Backend::File, Some("ROLEPORT_STORE=file".into()))),
            BackendChoice::Keyring => os_keyring::probe(&self.service)
                .map(|()| (Backend::Keyring, None))
                .map_err(StoreError::KeyringUnavailable),
            BackendChoice::Auto => Ok(match os_keyring::probe(&self.service) {
                Ok(()) => (Backend::Keyring, None),
                Err(why) => (Backend::File, Some(format!("no keyring: {why}"))),
            }),
        }
    }
}

/// A long-term access key pair. Neither `Debug` nor anything else here shows the secret.
#[derive(Clone)]
pub struct AccessKey {
    access_key_id: String,
    secret_access_key: SecretString,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key_id", &redact_id(&self.access_key_id))
            .field("secret_access_key", &"[REDACTED]")
            .finish()
    }
}

/// `AKIA…` with the rest hidden: enough to tell keys apart in a message, not to use one.
pub fn redact_id(id: &str) -> String {
    let shown: String = id.chars().take(4).collect();
    format!("{shown}…")
}

impl AccessKey {
    /// A key pair, checked for shape: an id of 16 to 128 letters, digits or `_`, and a
    /// secret of 1 to 256 visible ASCII characters.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: SecretString,
    ) -> Result<AccessKey, StoreError> {
        let access_key_id = access_key_id.into().trim().to_owned();
        if !(16..=128).contains(&access_key_id.len())
            || !access_key_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(StoreError::InvalidKey(
                "the access key ID must be 16 to 128 letters and digits (AKIA…)".into(),
            ));
        }
        let secret = secret_access_key.expose_secret();
        if secret.is_empty() || secret.len() > 256 || !secret.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(StoreError::InvalidKey(
                "the secret access key must be 1 to 256 visible ASCII characters".into(),
            ));
        }
        Ok(AccessKey {
            access_key_id,
            secret_access_key,
        })
    }

    /// The access key ID (not secret, but not shown by roleport either).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &SecretString {
        &self.secret_access_key
    }

    /// The pair as SDK credentials (no session token, no expiry).
    pub fn credentials(&self) -> Credentials {
        Credentials::new(
            &self.access_key_id,
            self.secret_access_key.expose_secret(),
            None,
            None,
            PROVIDER_NAME,
        )
    }

    /// True when both halves are equal.
    pub fn same_as(&self, other: &AccessKey) -> bool {
        self.access_key_id == other.access_key_id
            && self.secret_access_key.expose_secret() == other.secret_access_key.expose_secret()
    }
}

/// Cognito accepts passwords of up to 256 characters; an empty one is a mistake.
fn check_cognito_password(password: &SecretString) -> Result<(), StoreError> {
    let p = password.expose_secret();
    if p.is_empty() || p.chars().count() > 256 || p.contains(['\n', '\r']) {
        return Err(StoreError::InvalidKey(
            "a Cognito password is 1 to 256 characters on one line".into(),
        ));
    }
    Ok(())
}

/// A profile name the store accepts: 1 to 128 of `A-Z a-z 0-9 - _ . @ + = , : /`.
pub fn check_profile_name(name: &str) -> Result<(), StoreError> {
    let invalid = |why: &str| StoreError::InvalidProfile {
        name: name.chars().take(64).collect(),
        why: why.into(),
    };
    if name.is_empty() || name.len() > 128 {
        return Err(invalid("it must be 1 to 128 characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.@+=,:/".contains(c))
    {
        return Err(invalid(
            "use letters, digits and - _ . @ + = , : / (no spaces or brackets)",
        ));
    }
    Ok(())
}

/// The store item of a Cognito profile's password. `#` is not allowed in profile names,
/// so it never meets a profile's keys.
pub fn cognito_item(profile: &str) -> String {
    format!("{COGNITO_ITEM_PREFIX}{profile}")
}

/// What [`cognito_item`] puts before the profile name.
pub const COGNITO_ITEM_PREFIX: &str = "cognito-password#";

/// Long-term keys per profile, in the OS keyring or the encrypted file.
pub struct Store {
    vault: Vault,
    backend: Backend,
    why_not_keyring: Option<String>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.vault.config.dir)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// The store the environment names (see [`StoreConfig::from_env`]), allowed to prompt
    /// for the file backend's passphrase on a terminal. Probes the keyring to choose the
    /// backend for new keys; [`Store::describe`] says which it chose.
    pub fn open() -> Result<Store, StoreError> {
        Store::open_with(StoreConfig::from_env(true)?)
    }

    /// A store as configured.
    pub fn open_with(config: StoreConfig) -> Result<Store, StoreError> {
        let (backend, why_not_keyring) = config.choose()?;
        tracing::debug!(dir = %config.dir.display(), %backend, "store opened");
        Ok(Store {
            vault: Vault::new(config),
            backend,
            why_not_keyring,
        })
    }

    /// The backend new keys go to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The store's configuration.
    pub fn config(&self) -> &StoreConfig {
        &self.vault.config
    }

    /// Where new keys go, for people: "the Secret Service keyring", or "the encrypted file
    /// PATH (no keyring: …)".
    pub fn describe(&self) -> String {
        match (self.backend, &self.why_not_keyring) {
            (Backend::Keyring, _) => os_keyring::NAME.to_owned(),
            (Backend::File, why) => {
                let mut s = format!(
                    "the encrypted file {}",
                    self.vault.config.keys_file().display()
                );
                if let Some(why) = why {
                    s.push_str(&format!(" ({why})"));
                }
                s
            }
        }
    }

    /// Stores `key` for `profile` in this store's backend, replacing any earlier keys (and
    /// removing them from the other backend if they were there).
    pub fn put(&self, profile: &str, key: &AccessKey) -> Result<(), StoreError> {
        self.vault.put(self.backend, profile, key)
    }

    /// The profile's keys as SDK credentials, or `None` when the store has none.
    pub fn get(&self, profile: &str) -> Result<Option<Credentials>, StoreError> {
        Ok(self.vault.get(profile)?.map(|k| k.credentials()))
    }

    /// The profile's keys, or `None`.
    pub fn get_key(&self, profile: &str) -> Result<Option<AccessKey>, StoreError> {
        self.vault.get(profile)
    }

    /// Forgets the profile's keys; `false` when there were none.
    pub fn remove(&self, profile: &str) -> Result<bool, StoreError> {
        self.vault.remove(profile)
    }

    /// Stores the password of a Cognito profile's user (item [`cognito_item`]), replacing
    /// any earlier one.
    pub fn put_cognito_password(
        &self,
        profile: &str,
        password: &SecretString,
    ) -> Result<(), StoreError> {
        check_profile_name(profile)?;
        check_cognito_password(password)?;
        let entry = SealedEntry::Password {
            cognito_password: Zeroizing::new(password.expose_secret().to_owned()),
        };
        self.vault
            .put_entry(self.backend, &cognito_item(profile), entry)
    }

    /// The Cognito password stored for `profile`, or `None`.
    pub fn cognito_password(&self, profile: &str) -> Result<Option<SecretString>, StoreError> {
        let item = cognito_item(profile);
        self.vault
            .get_entry(&item)?
            .map(|e| e.into_password(&item))
            .transpose()
    }

    /// Forgets the Cognito password of `profile`; `false` when there was none.
    pub fn remove_cognito_password(&self, profile: &str) -> Result<bool, StoreError> {
        self.vault.remove(&cognito_item(profile))
    }

    /// The profiles with stored keys, sorted. Names only.
    pub fn list(&self) -> Result<Vec<String>, StoreError> {
        Ok(stored_in(&self.vault.config)?
            .into_iter()
            .map(|(name, _)| name)
            .collect())
    }
}

/// The profiles stored in `config`'s store and the backend of each, from the index alone:
/// no keyring, no passphrase.
pub fn stored_in(config: &StoreConfig) -> Result<Vec<(String, Backend)>, StoreError> {
    Ok(Index::load(&config.dir)?
        .profiles
        .into_iter()
        .map(|(name, e)| (name, e.backend))
        .collect())
}

/// The profiles stored in the environment's store (names only; reads the index alone).
pub fn stored_profiles() -> Result<Vec<String>, StoreError> {
    let Ok(config) = StoreConfig::located(false) else {
        return Ok(Vec::new());
    };
    Ok(stored_in(&config)?.into_iter().map(|(n, _)| n).collect())
}

/// The keys of `profile` in the environment's store, for the host's profile resolution.
///
/// Cheap when the store does not hold the profile: it reads `index.json` (or finds it
/// missing) and returns `Ok(None)` without D-Bus, without a prompt and without creating
/// anything. When it does hold it, the keyring is asked, or the encrypted file is opened
/// with `ROLEPORT_STORE_PASSPHRASE` (or a prompt, only when stdin is a terminal: a browser's
/// pipe never is).
pub fn lookup(profile: &str) -> Result<Option<Credentials>, StoreError> {
    match reading_config() {
        Some(config) => lookup_in(&config, profile),
        None => Ok(None),
    }
}

/// The environment's store for reading: `ROLEPORT_STORE` (which only matters for new keys)
/// is not consulted, and no data directory at all means no store. Prompts only when stdin
/// is a terminal, which a browser's pipe never is.
fn reading_config() -> Option<StoreConfig> {
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
    StoreConfig::located(interactive).ok()
}

/// [`lookup`] in a given store.
pub fn lookup_in(config: &StoreConfig, profile: &str) -> Result<Option<Credentials>, StoreError> {
    Ok(Vault::new(config.clone())
        .get(profile)?
        .map(|k| k.credentials()))
}

/// The environment's store as profile resolution sees it ([`crate::config::KeyStore`]).
/// Like [`lookup`], but it keeps the passphrase and the derived key for the host's life, so
/// a host serving many requests derives the file key once.
#[derive(Default)]
pub struct EnvKeyStore {
    vault: Mutex<Option<Arc<Vault>>>,
}

impl EnvKeyStore {
    /// A store that reads the environment at its first lookup.
    pub fn new() -> EnvKeyStore {
        EnvKeyStore::default()
    }

    /// The process's one instance: what `AwsConfig::load` should use, so the passphrase and
    /// derived key outlive a single request.
    pub fn shared() -> Arc<EnvKeyStore> {
        static SHARED: OnceLock<Arc<EnvKeyStore>> = OnceLock::new();
        SHARED.get_or_init(Default::default).clone()
    }

    /// [`lookup`], remembering what it learnt.
    pub fn lookup(&self, profile: &str) -> Result<Option<Credentials>, StoreError> {
        let Some(vault) = self.vault() else {
            return Ok(None);
        };
        Ok(vault.get(profile)?.map(|k| k.credentials()))
    }

    /// The Cognito password stored for `profile` (see [`Store::put_cognito_password`]).
    pub fn cognito_password(&self, profile: &str) -> Result<Option<SecretString>, StoreError> {
        let Some(vault) = self.vault() else {
            return Ok(None);
        };
        let item = cognito_item(profile);
        vault
            .get_entry(&item)?
            .map(|e| e.into_password(&item))
            .transpose()
    }

    fn vault(&self) -> Option<Arc<Vault>> {
        let vault = {
            let mut slot = self.vault.lock().unwrap_or_else(|e| e.into_inner());
            match slot.as_ref() {
                Some(v) => v.clone(),
                None => {
                    let config = reading_config()?;
                    let v = Arc::new(Vault::new(config));
                    *slot = Some(v.clone());
                    v
                }
            }
        };
        Some(vault)
    }
}

impl crate::config::KeyStore for EnvKeyStore {
    fn lookup(&self, profile: &str) -> Result<Option<Credentials>, crate::error::HostError> {
        EnvKeyStore::lookup(self, profile).map_err(Into::into)
    }
}

#[cfg(test)]
mod tests;
