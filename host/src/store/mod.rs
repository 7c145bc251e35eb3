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
pub(crate) mod fsio;
mod index;
mod os_keyring;
mod passphrase;
pub mod plaintext;
mod seal;

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

/// Everything that can go wrong in the store. No variant carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or directory operation failed.
    #[error("{action} {}: {err}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        err: std::io::Error,
    },
    /// `ROLEPORT_STORE=keyring` and no keyring answers.
    #[error("the OS keyring is not available: {0}")]
    KeyringUnavailable(String),
    /// The keyring refused an operation.
    #[error("the OS keyring failed on `{item}`: {detail}")]
    Keyring {
        /// The item (profile name).
        item: String,
        /// What it said.
        detail: String,
    },
    /// The passphrase does not open the encrypted file.
    #[error("the passphrase does not open {} (nothing was changed)", path.display())]
    WrongPassphrase {
        /// The encrypted file.
        path: PathBuf,
    },
    /// The encrypted file is needed and no passphrase can be had.
    #[error("{} is encrypted and no passphrase is available: ROLEPORT_STORE_PASSPHRASE is unset and there is no terminal to ask on", path.display())]
    PassphraseNeeded {
        /// The encrypted file.
        path: PathBuf,
    },
    /// A passphrase that cannot be used (empty, too short, the two entries differ).
    #[error("passphrase refused: {0}")]
    BadPassphrase(String),
    /// A store file that does not parse or open.
    #[error("{} is damaged: {why}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A profile name the store does not accept.
    #[error("`{name}` is not a profile name roleport stores: {why}")]
    InvalidProfile {
        /// The name (cut to 64 characters).
        name: String,
        /// Why.
        why: String,
    },
    /// An access key of the wrong shape.
    #[error("not an access key: {0}")]
    InvalidKey(String),
    /// `ROLEPORT_STORE` has a value roleport does not know.
    #[error("ROLEPORT_STORE=`{0}` is not one of auto, keyring, file")]
    BadSetting(String),
    /// No home or data directory.
    #[error("cannot find a directory for roleport's data")]
    NoDataDir,
    /// The store directory belongs to someone else.
    #[error("refusing to use {}: {why}", path.display())]
    UnsafeDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// The index lists a profile its backend does not have.
    #[error(
        "roleport's index lists `{profile}` in the {backend} backend, but its keys are not there"
    )]
    Missing {
        /// The profile.
        profile: String,
        /// Where the index says it is.
        backend: Backend,
    },
    /// Encryption failed (a bug).
    #[error("sealing failed: {0}")]
    Crypto(String),
}

impl StoreError {
    pub(crate) fn io(action: &'static str, path: &Path, err: std::io::Error) -> StoreError {
        StoreError::Io {
            action,
            path: path.to_path_buf(),
            err,
        }
    }

    /// What a person can do about it.
    pub fn hint(&self) -> String {
        match self {
            StoreError::Io { .. } => {
                "Check the path's permissions and free space; ROLEPORT_HOME moves the store.".into()
            }
            StoreError::KeyringUnavailable(_) | StoreError::Keyring { .. } => {
                "Unlock or start your keyring (GNOME Keyring, KWallet, KeePassXC's Secret \
                 Service), or use the encrypted file instead: ROLEPORT_STORE=file."
                    .into()
            }
            StoreError::WrongPassphrase { .. } => {
                "Try again with the passphrase the file was created with \
                 (ROLEPORT_STORE_PASSPHRASE or the prompt)."
                    .into()
            }
            StoreError::PassphraseNeeded { .. } => {
                "Run the command in a terminal, or set ROLEPORT_STORE_PASSPHRASE in the \
                 environment of the program that starts roleport (for a browser: the \
                 browser's environment)."
                    .into()
            }
            StoreError::BadPassphrase(_) => format!(
                "Choose a passphrase of at least {} characters and type it the same twice.",
                passphrase::MIN_LEN
            ),
            StoreError::Corrupt { path, .. } => format!(
                "Move {} aside and add the keys again with `roleport add PROFILE`.",
                path.display()
            ),
            StoreError::InvalidProfile { .. } => {
                "Use the profile's name as written in ~/.aws/config.".into()
            }
            StoreError::InvalidKey(_) => {
                "Paste the access key ID (AKIA…) and the secret access key exactly as AWS \
                 gave them."
                    .into()
            }
            StoreError::BadSetting(_) => {
                "Set ROLEPORT_STORE to auto, keyring or file, or unset it.".into()
            }
            StoreError::NoDataDir => "Set ROLEPORT_HOME to a directory of yours.".into(),
            StoreError::UnsafeDir { .. } => {
                "Use a directory that belongs to you (ROLEPORT_HOME), or fix its owner.".into()
            }
            StoreError::Missing { profile, .. } => format!(
                "Add the keys again: `roleport add {profile} --force`, or forget them: \
                 `roleport remove {profile}`."
            ),
            StoreError::Crypto(_) => {
                "Report this at https://github.com/roleport/roleport/issues.".into()
            }
        }
    }
}

/// One profile's keys as they are sealed in `keys.sealed`.
#[derive(Serialize, Deserialize)]
struct SealedKey {
    access_key_id: String,
    #[serde(with = "zeroizing_string")]
    secret_access_key: Zeroizing<String>,
}

impl SealedKey {
    fn from_key(key: &AccessKey) -> SealedKey {
        SealedKey {
            access_key_id: key.access_key_id.clone(),
            secret_access_key: Zeroizing::new(key.secret_access_key.expose_secret().to_owned()),
        }
    }

    fn into_key(self) -> Result<AccessKey, StoreError> {
        AccessKey::new(
            self.access_key_id,
            SecretString::from(self.secret_access_key.as_str()),
        )
    }
}

pub(crate) mod zeroizing_string {
    use serde::{Deserialize, Deserializer, Serializer};
    use zeroize::Zeroizing;

    pub(crate) fn serialize<S: Serializer>(
        value: &Zeroizing<String>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(value)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Zeroizing<String>, D::Error> {
        String::deserialize(d).map(Zeroizing::new)
    }
}

/// What one store item holds: a profile's long-term keys, or a Cognito user's password
/// (item [`cognito_item`]). Untagged, so items written before passwords existed still read.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum SealedEntry {
    Key(SealedKey),
    Password {
        #[serde(with = "zeroizing_string")]
        cognito_password: Zeroizing<String>,
    },
}

impl SealedEntry {
    fn into_key(self, item: &str) -> Result<AccessKey, StoreError> {
        match self {
            SealedEntry::Key(key) => key.into_key(),
            SealedEntry::Password { .. } => Err(not_roleports(item)),
        }
    }

    fn into_password(self, item: &str) -> Result<SecretString, StoreError> {
        match self {
            SealedEntry::Password { cognito_password } => {
                Ok(SecretString::from(cognito_password.as_str()))
            }
            SealedEntry::Key(_) => Err(not_roleports(item)),
        }
    }
}

fn not_roleports(item: &str) -> StoreError {
    StoreError::Keyring {
        item: item.to_owned(),
        detail: "the item is not one roleport wrote".into(),
    }
}

/// The store item of a Cognito profile's password. `#` is not allowed in profile names,
/// so it never meets a profile's keys.
pub fn cognito_item(profile: &str) -> String {
    format!("{COGNITO_ITEM_PREFIX}{profile}")
}

/// What [`cognito_item`] puts before the profile name.
pub const COGNITO_ITEM_PREFIX: &str = "cognito-password#";

type KeyMap = BTreeMap<String, SealedEntry>;

/// Reads and writes keys: what [`Store`] and [`lookup`] share. Remembers the passphrase and
/// the derived key for its life, so a process asks and derives at most once.
struct Vault {
    config: StoreConfig,
    passphrase: Mutex<Option<SecretString>>,
    derived: Mutex<Option<(KeySource, Key32)>>,
}

impl Vault {
    fn new(config: StoreConfig) -> Vault {
        Vault {
            config,
            passphrase: Mutex::new(None),
            derived: Mutex::new(None),
        }
    }

    fn dir(&self) -> &Path {
        &self.config.dir
    }

    fn passphrase(&self, creating: bool) -> Result<SecretString, StoreError> {
        let mut known = self.passphrase.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = known.as_ref() {
            return Ok(p.clone());
        }
        let p = self
            .config
            .passphrase
            .obtain(&self.config.keys_file(), creating)?;
        *known = Some(p.clone());
        Ok(p)
    }

    fn key_for(&self, source: &KeySource, creating: bool) -> Result<Key32, StoreError> {
        let mut derived = self.derived.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((s, k)) = derived.as_ref() {
            if s == source {
                return Ok(k.clone());
            }
        }
        let passphrase = self.passphrase(creating)?;
        let key = source
            .derive(&passphrase)
            .map_err(|why| StoreError::Corrupt {
                path: self.config.keys_file(),
                why,
            })?
            .ok_or_else(|| StoreError::Corrupt {
                path: self.config.keys_file(),
                why: "its key is not passphrase-derived".into(),
            })?;
        *derived = Some((source.clone(), key.clone()));
        Ok(key)
    }

    /// The decrypted key file, with its key source and key; `None` when it does not exist.
    fn read_keys(&self) -> Result<Option<(KeySource, Key32, KeyMap)>, StoreError> {
        let path = self.config.keys_file();
        let Some(bytes) = fsio::read_optional(&path)? else {
            return Ok(None);
        };
        let corrupt = |why: String| StoreError::Corrupt {
            path: path.clone(),
            why,
        };
        let sealed = Sealed::parse(&bytes, KEYS_PURPOSE).map_err(|e| match e {
            OpenError::Corrupt(why) => corrupt(why),
            OpenError::Auth => corrupt("unreadable".into()),
        })?;
        let key = self.key_for(&sealed.header.key, false)?;
        let plain = sealed.open(&key).map_err(|e| match e {
            OpenError::Auth => {
                // Forget the passphrase that failed, so a retry in this process asks again.
                *self.passphrase.lock().unwrap_or_else(|e| e.into_inner()) = None;
                *self.derived.lock().unwrap_or_else(|e| e.into_inner()) = None;
                StoreError::WrongPassphrase { path: path.clone() }
            }
            OpenError::Corrupt(why) => corrupt(why),
        })?;
        let map: KeyMap = serde_json::from_slice(&plain)
            .map_err(|_| corrupt("its contents do not parse".into()))?;
        Ok(Some((sealed.header.key, key, map)))
    }

    /// Reads, changes and rewrites the key file. The caller holds the lock.
    fn update_keys<T>(&self, change: impl FnOnce(&mut KeyMap) -> T) -> Result<T, StoreError> {
        let (source, key, mut map) = match self.read_keys()? {
            Some(found) => found,
            None => {
                let source = KeySource::new_argon2id();
                let key = self.key_for(&source, true)?;
                (source, key, KeyMap::new())
            }
        };
        let out = change(&mut map);
        let mut plain = Zeroizing::new(Vec::with_capacity(256 * (map.len() + 1)));
        serde_json::to_writer(&mut *plain, &map).map_err(|e| StoreError::Crypto(e.to_string()))?;
        let bytes = seal::seal(KEYS_PURPOSE, &source, &key, &plain).map_err(StoreError::Crypto)?;
        fsio::write_atomic(&self.config.keys_file(), &bytes)?;
        Ok(out)
    }

    fn get(&self, profile: &str) -> Result<Option<AccessKey>, StoreError> {
        self.get_entry(profile)?
            .map(|e| e.into_key(profile))
            .transpose()
    }

    fn get_entry(&self, profile: &str) -> Result<Option<SealedEntry>, StoreError> {
        let index = Index::load(self.dir())?;
        let Some(entry) = index.profiles.get(profile) else {
            return Ok(None);
        };
        let missing = || StoreError::Missing {
            profile: profile.to_owned(),
            backend: entry.backend,
        };
        match entry.backend {
            Backend::Keyring => {
                let text = os_keyring::get(&self.config.service, profile)?.ok_or_else(missing)?;
                serde_json::from_str(&text)
                    .map(Some)
                    .map_err(|_| not_roleports(profile))
            }
            Backend::File => {
                let (_, _, mut map) = self.read_keys()?.ok_or_else(missing)?;
                map.remove(profile).ok_or_else(missing).map(Some)
            }
        }
    }

    /// Obtains the passphrase before taking the lock when `backends` involve the file, so
    /// a person typing never holds up another host's write.
    fn prepare(&self, backends: &[Option<Backend>]) -> Result<(), StoreError> {
        if backends.contains(&Some(Backend::File)) {
            self.passphrase(!self.config.keys_file().exists())?;
        }
        Ok(())
    }

    fn put(&self, backend: Backend, profile: &str, key: &AccessKey) -> Result<(), StoreError> {
        check_profile_name(profile)?;
        self.put_entry(backend, profile, SealedEntry::Key(SealedKey::from_key(key)))
    }

    /// Writes one item; the caller has checked its name.
    fn put_entry(
        &self,
        backend: Backend,
        profile: &str,
        sealed: SealedEntry,
    ) -> Result<(), StoreError> {
        let before = Index::load(self.dir())?;
        let old = before.profiles.get(profile).map(|e| e.backend);
        self.prepare(&[Some(backend), old])?;
        let _lock = fsio::DirLock::acquire(self.dir())?;
        let mut index = Index::load(self.dir())?;
        let old = index.profiles.get(profile).map(|e| e.backend);
        match backend {
            Backend::Keyring => {
                let text = Zeroizing::new(
                    serde_json::to_string(&sealed)
                        .map_err(|e| StoreError::Crypto(e.to_string()))?,
                );
                os_keyring::set(&self.config.service, profile, &text)?;
            }
            Backend::File => {
                self.update_keys(|map| map.insert(profile.to_owned(), sealed))?;
            }
        }
        index
            .profiles
            .insert(profile.to_owned(), index::Entry { backend });
        index.save(self.dir())?;
        if let Some(old) = old.filter(|b| *b != backend) {
            self.delete_from(old, profile)?;
        }
        Ok(())
    }

    fn delete_from(&self, backend: Backend, profile: &str) -> Result<bool, StoreError> {
        match backend {
            Backend::Keyring => os_keyring::delete(&self.config.service, profile),
            Backend::File => {
                if !self.config.keys_file().exists() {
                    return Ok(false);
                }
                self.update_keys(|map| map.remove(profile).is_some())
            }
        }
    }

    fn remove(&self, profile: &str) -> Result<bool, StoreError> {
        let before = Index::load(self.dir())?;
        let Some(entry) = before.profiles.get(profile).copied() else {
            return Ok(false);
        };
        self.prepare(&[Some(entry.backend)])?;
        let _lock = fsio::DirLock::acquire(self.dir())?;
        let mut index = Index::load(self.dir())?;
        let Some(entry) = index.profiles.remove(profile) else {
            return Ok(false);
        };
        self.delete_from(entry.backend, profile)?;
        index.save(self.dir())?;
        Ok(true)
    }
}

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
mod tests {
    use super::*;

    fn file_store(dir: &Path, passphrase: &str) -> Store {
        Store::open_with(
            StoreConfig::in_dir(dir)
                .with_choice(BackendChoice::File)
                .with_passphrase(SecretString::from(passphrase)),
        )
        .expect("opens")
    }

    fn key(n: u32) -> AccessKey {
        AccessKey::new(
            format!("AKIDTEST{n:08}"),
            SecretString::from(format!("secret/{n}+Xyz")),
        )
        .expect("valid")
    }

    #[test]
    fn lookup_in_an_absent_store_needs_nothing_and_creates_nothing() {
        let parent = tempfile::tempdir().expect("tempdir");
        let dir = parent.path().join("never-created");
        // Keyring asked for and no passphrase: neither is touched for an unknown profile.
        let config = StoreConfig::in_dir(&dir).with_choice(BackendChoice::Keyring);
        assert!(lookup_in(&config, "prod").expect("no error").is_none());
        assert!(stored_in(&config).expect("no error").is_empty());
        assert!(!dir.exists());
    }

    #[test]
    fn file_backend_put_get_remove_list() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = file_store(dir.path(), "correct horse battery");
        assert_eq!(store.backend(), Backend::File);
        store.put("prod", &key(1)).expect("put");
        store.put("dev", &key(2)).expect("put");
        assert_eq!(store.list().expect("list"), ["dev", "prod"]);
        let creds = store.get("prod").expect("get").expect("stored");
        assert_eq!(creds.access_key_id(), "AKIDTEST00000001");
        assert_eq!(creds.secret_access_key(), "secret/1+Xyz");
        assert!(store.get("staging").expect("get").is_none());
        assert!(store.remove("prod").expect("remove"));
        assert!(!store.remove("prod").expect("remove twice"));
        assert_eq!(store.list().expect("list"), ["dev"]);
        // Nothing on disk shows a secret or an id.
        for entry in std::fs::read_dir(dir.path()).expect("read_dir") {
            let bytes = std::fs::read(entry.expect("entry").path()).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains("secret/2") && !text.contains("AKIDTEST"),
                "{text}"
            );
        }
    }

    #[test]
    fn a_wrong_passphrase_is_a_clear_error_and_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        file_store(dir.path(), "the right one")
            .put("prod", &key(1))
            .expect("put");
        let before = std::fs::read(dir.path().join(KEYS_FILE)).expect("read");
        let wrong = file_store(dir.path(), "not the right one");
        let err = wrong.get("prod").expect_err("wrong passphrase");
        assert!(matches!(err, StoreError::WrongPassphrase { .. }), "{err}");
        assert!(err.to_string().contains("nothing was changed"));
        let err = wrong.put("dev", &key(2)).expect_err("wrong passphrase");
        assert!(matches!(err, StoreError::WrongPassphrase { .. }), "{err}");
        assert!(matches!(
            wrong.remove("prod"),
            Err(StoreError::WrongPassphrase { .. })
        ));
        assert_eq!(
            std::fs::read(dir.path().join(KEYS_FILE)).expect("read"),
            before
        );
        let right = file_store(dir.path(), "the right one");
        assert!(right.get("prod").expect("opens").is_some());
        assert_eq!(right.list().expect("list"), ["prod"]);
    }

    #[test]
    fn the_file_backend_without_a_passphrase_says_how_to_give_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        file_store(dir.path(), "passphrase!")
            .put("prod", &key(1))
            .expect("put");
        let config = StoreConfig::in_dir(dir.path()).with_choice(BackendChoice::File);
        let err = lookup_in(&config, "prod").expect_err("needs a passphrase");
        assert!(matches!(err, StoreError::PassphraseNeeded { .. }), "{err}");
        assert!(err.hint().contains("ROLEPORT_STORE_PASSPHRASE"));
        // A profile the index does not list needs no passphrase.
        assert!(lookup_in(&config, "other").expect("no error").is_none());
    }

    #[test]
    fn short_passphrases_are_refused_for_a_new_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = file_store(dir.path(), "short")
            .put("prod", &key(1))
            .expect_err("too short");
        assert!(matches!(err, StoreError::BadPassphrase(_)), "{err}");
        assert!(!dir.path().join(KEYS_FILE).exists());
    }

    #[test]
    fn concurrent_writers_in_threads_never_lose_or_corrupt_a_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let writers = 4;
        let each = 3;
        std::thread::scope(|s| {
            for w in 0..writers {
                let dir = dir.path();
                s.spawn(move || {
                    // One store per thread: each takes the file lock like another process.
                    let store = file_store(dir, "shared passphrase");
                    for i in 0..each {
                        store
                            .put(&format!("p{w}-{i}"), &key(w * 100 + i))
                            .expect("put");
                    }
                });
            }
        });
        let store = file_store(dir.path(), "shared passphrase");
        assert_eq!(store.list().expect("list").len(), (writers * each) as usize);
        for w in 0..writers {
            for i in 0..each {
                let creds = store
                    .get(&format!("p{w}-{i}"))
                    .expect("get")
                    .expect("present");
                assert_eq!(creds.access_key_id(), key(w * 100 + i).access_key_id());
            }
        }
    }

    #[test]
    fn a_cognito_password_is_an_item_of_its_own_beside_the_profiles_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = file_store(dir.path(), "correct horse battery");
        store.put("cog", &key(1)).expect("keys");
        store
            .put_cognito_password("cog", &SecretString::from("Pa55/word with spaces"))
            .expect("password");
        let password = store.cognito_password("cog").expect("get").expect("stored");
        assert_eq!(password.expose_secret(), "Pa55/word with spaces");
        // The keys are untouched, and neither reads as the other.
        assert_eq!(
            store
                .get("cog")
                .expect("get")
                .expect("keys")
                .access_key_id(),
            "AKIDTEST00000001"
        );
        assert!(store.cognito_password("other").expect("get").is_none());
        assert!(store.get(&cognito_item("cog")).is_err());
        assert_eq!(store.list().expect("list"), ["cog", "cognito-password#cog"]);
        assert!(store.remove_cognito_password("cog").expect("remove"));
        assert!(store.cognito_password("cog").expect("get").is_none());
        assert!(store.get("cog").expect("get").is_some());
        for bad in ["", "two\nlines"] {
            assert!(store
                .put_cognito_password("cog", &SecretString::from(bad))
                .is_err());
        }
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let k = key(7);
        let shown = format!("{k:?}");
        assert!(
            !shown.contains("secret/7") && !shown.contains("AKIDTEST00000007"),
            "{shown}"
        );
        let p = Passphrase::Given(SecretString::from("hunter22"));
        assert!(!format!("{p:?}").contains("hunter22"));
    }

    #[test]
    fn keys_and_names_of_the_wrong_shape_are_refused() {
        assert!(AccessKey::new("short", SecretString::from("x")).is_err());
        assert!(AccessKey::new("AKIDTEST00000001", SecretString::from("has space")).is_err());
        assert!(check_profile_name("prod-eu_1").is_ok());
        assert!(check_profile_name("").is_err());
        assert!(check_profile_name("a b").is_err());
        assert!(check_profile_name("[x]").is_err());
    }
}
