//! A sealed cache for short-lived secrets, such as the MFA sessions GetSessionToken returns.
//!
//! # Design
//!
//! One file, `cache.sealed`, in the store's directory, sealed like `keys.sealed` (see
//! `seal.rs`: XChaCha20-Poly1305, a fresh nonce per write, the header as associated data)
//! with its own purpose, `roleport-cache`. Its key depends on the store's backend:
//!
//! - **keyring**: a random 256-bit key, made at the first `put` and kept in the OS keyring as
//!   item (`<service>/cache`, `sealed-cache-key`);
//! - **file**: Argon2id of the store's passphrase, with the cache file's own salt.
//!
//! The plaintext is a JSON map: key → `{expires_at (Unix seconds), value (base64)}`.
//! [`SealedCache::get`] never returns an entry past its expiry, and every write drops the
//! expired ones from the file. Writes hold the store's lock and replace the file atomically
//! (0600, in the 0700 directory); reads take no lock.
//!
//! A cache holds nothing that cannot be fetched again, so a cache that cannot be opened (its
//! keyring key gone, another passphrase, a damaged file) reads as empty and the next `put`
//! starts it afresh, whereas the key store refuses and changes nothing. Reading an absent
//! cache needs neither D-Bus nor a passphrase.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::seal::{self, Key32, KeySource, Sealed};
use super::{fsio, os_keyring, zeroizing_string, Backend, StoreConfig, StoreError};

/// The cache file's name.
pub const FILE: &str = "cache.sealed";
const PURPOSE: &str = "roleport-cache";
const KEY_ITEM: &str = "sealed-cache-key";

#[derive(Serialize, Deserialize)]
struct Entry {
    expires_at: u64,
    #[serde(with = "zeroizing_string")]
    value: Zeroizing<String>,
}

type Entries = BTreeMap<String, Entry>;

/// The sealed cache of one store directory.
pub struct SealedCache {
    config: StoreConfig,
    passphrase: Mutex<Option<SecretString>>,
    derived: Mutex<Option<(KeySource, Key32)>>,
}

impl std::fmt::Debug for SealedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedCache")
            .field("file", &self.path())
            .finish_non_exhaustive()
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl SealedCache {
    /// The cache of the environment's store (`ROLEPORT_HOME`, `ROLEPORT_STORE`,
    /// `ROLEPORT_STORE_PASSPHRASE`); it may prompt for the passphrase only when stdin is a
    /// terminal. Does no I/O.
    pub fn open() -> Result<SealedCache, StoreError> {
        let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
        Ok(SealedCache::open_with(StoreConfig::from_env(interactive)?))
    }

    /// The cache of the store `config` describes. Does no I/O.
    pub fn open_with(config: StoreConfig) -> SealedCache {
        SealedCache {
            config,
            passphrase: Mutex::new(None),
            derived: Mutex::new(None),
        }
    }

    /// The cache file.
    pub fn path(&self) -> PathBuf {
        self.config.dir.join(FILE)
    }

    /// Stores `value` under `key` until `expires_at`, replacing what was there.
    pub fn put(&self, key: &str, value: &[u8], expires_at: SystemTime) -> Result<(), StoreError> {
        let entry = Entry {
            expires_at: unix(expires_at),
            value: Zeroizing::new(B64.encode(value)),
        };
        self.update(|entries| {
            entries.insert(key.to_owned(), entry);
        })
    }

    /// The value under `key`, unless it is absent or expired.
    pub fn get(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        let Some((_, _, mut entries)) = self.read()? else {
            return Ok(None);
        };
        let now = unix(SystemTime::now());
        Ok(entries
            .remove(key)
            .filter(|e| e.expires_at > now)
            .and_then(|e| B64.decode(e.value.as_bytes()).ok())
            .map(Zeroizing::new))
    }

    /// [`SealedCache::put`] of a serde value (as JSON).
    pub fn put_json<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        expires_at: SystemTime,
    ) -> Result<(), StoreError> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(1024));
        serde_json::to_writer(&mut *bytes, value).map_err(|e| StoreError::Crypto(e.to_string()))?;
        self.put(key, &bytes, expires_at)
    }

    /// [`SealedCache::get`] of a serde value; a value that no longer parses reads as absent.
    pub fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        Ok(self
            .get(key)?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
    }

    /// Forgets `key`.
    pub fn remove(&self, key: &str) -> Result<(), StoreError> {
        if !self.path().exists() {
            return Ok(());
        }
        self.update(|entries| {
            entries.remove(key);
        })
    }

    /// The keys of the entries that have not expired (tests and diagnostics).
    pub fn keys(&self) -> Result<Vec<String>, StoreError> {
        let now = unix(SystemTime::now());
        Ok(self
            .read()?
            .map(|(_, _, entries)| {
                entries
                    .into_iter()
                    .filter(|(_, e)| e.expires_at > now)
                    .map(|(k, _)| k)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Every key in the file, expired or not (tests of the purge).
    #[doc(hidden)]
    pub fn keys_on_disk(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .read()?
            .map(|(_, _, entries)| entries.into_keys().collect())
            .unwrap_or_default())
    }

    fn update(&self, change: impl FnOnce(&mut Entries)) -> Result<(), StoreError> {
        // A passphrase is asked before the lock, never while holding it.
        if self.needs_passphrase()? {
            self.passphrase()?;
        }
        let _lock = fsio::DirLock::acquire(&self.config.dir)?;
        let (source, key, mut entries) = match self.read()? {
            Some(found) => found,
            None => self.fresh()?,
        };
        change(&mut entries);
        let now = unix(SystemTime::now());
        entries.retain(|_, e| e.expires_at > now);
        let mut plain = Zeroizing::new(Vec::with_capacity(512 * (entries.len() + 1)));
        serde_json::to_writer(&mut *plain, &entries)
            .map_err(|e| StoreError::Crypto(e.to_string()))?;
        let bytes = seal::seal(PURPOSE, &source, &key, &plain).map_err(StoreError::Crypto)?;
        fsio::write_atomic(&self.path(), &bytes)
    }

    /// True when a write will derive its key from the passphrase.
    fn needs_passphrase(&self) -> Result<bool, StoreError> {
        if let Some(bytes) = fsio::read_optional(&self.path())? {
            if let Ok(sealed) = Sealed::parse(&bytes, PURPOSE) {
                return Ok(matches!(sealed.header.key, KeySource::Argon2id { .. }));
            }
        }
        Ok(self.config.choose()?.0 == Backend::File)
    }

    /// The open cache with its key, or `None` when absent or unopenable.
    #[allow(clippy::type_complexity)]
    fn read(&self) -> Result<Option<(KeySource, Key32, Entries)>, StoreError> {
        let path = self.path();
        let Some(bytes) = fsio::read_optional(&path)? else {
            return Ok(None);
        };
        let Ok(sealed) = Sealed::parse(&bytes, PURPOSE) else {
            tracing::warn!(path = %path.display(), "the sealed cache is damaged; starting afresh");
            return Ok(None);
        };
        let key = match &sealed.header.key {
            KeySource::Keyring => {
                match os_keyring::get(&self.key_service(), KEY_ITEM) {
                    Ok(Some(text)) => seal::decode_key(&text),
                    Ok(None) => None,
                    // No keyring now: the cache cannot be read, which is not an error.
                    Err(e) => {
                        tracing::debug!("sealed cache key unavailable: {e}");
                        None
                    }
                }
            }
            source @ KeySource::Argon2id { .. } => Some(self.derive(source)?),
        };
        let Some(key) = key else {
            return Ok(None);
        };
        let Ok(plain) = sealed.open(&key) else {
            tracing::warn!(path = %path.display(), "the sealed cache does not open with this key; starting afresh");
            return Ok(None);
        };
        let Ok(entries) = serde_json::from_slice::<Entries>(&plain) else {
            return Ok(None);
        };
        Ok(Some((sealed.header.key, key, entries)))
    }

    /// A new, empty cache with a new key. The caller holds the lock.
    fn fresh(&self) -> Result<(KeySource, Key32, Entries), StoreError> {
        let (backend, _) = self.config.choose()?;
        match backend {
            Backend::Keyring => {
                let key = seal::random_key();
                os_keyring::set(&self.key_service(), KEY_ITEM, &seal::encode_key(&key))?;
                Ok((KeySource::Keyring, key, Entries::new()))
            }
            Backend::File => {
                let source = KeySource::new_argon2id();
                let key = self.derive(&source)?;
                Ok((source, key, Entries::new()))
            }
        }
    }

    fn key_service(&self) -> String {
        format!("{}/cache", self.config.service)
    }

    fn passphrase(&self) -> Result<SecretString, StoreError> {
        let mut known = self.passphrase.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = known.as_ref() {
            return Ok(p.clone());
        }
        let p = self.config.passphrase.obtain(&self.path(), false)?;
        *known = Some(p.clone());
        Ok(p)
    }

    fn derive(&self, source: &KeySource) -> Result<Key32, StoreError> {
        let mut derived = self.derived.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((s, k)) = derived.as_ref() {
            if s == source {
                return Ok(k.clone());
            }
        }
        let key = source
            .derive(&self.passphrase()?)
            .map_err(|why| StoreError::Corrupt {
                path: self.path(),
                why,
            })?
            .ok_or_else(|| StoreError::Crypto("not a passphrase-derived key".into()))?;
        *derived = Some((source.clone(), key.clone()));
        Ok(key)
    }

    /// Deletes the cache file and its keyring key (`roleport remove`-style cleanup, tests).
    pub fn destroy(&self) -> Result<(), StoreError> {
        let _lock = fsio::DirLock::acquire(&self.config.dir)?;
        match std::fs::remove_file(self.path()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(StoreError::io("removing", &self.path(), e))
            }
            _ => {}
        }
        if os_keyring::probe(&self.config.service).is_ok() {
            os_keyring::delete(&self.key_service(), KEY_ITEM)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::BackendChoice;
    use super::*;

    fn file_cache(dir: &std::path::Path, passphrase: &str) -> SealedCache {
        SealedCache::open_with(
            StoreConfig::in_dir(dir)
                .with_choice(BackendChoice::File)
                .with_passphrase(SecretString::from(passphrase)),
        )
    }

    #[test]
    fn two_hosts_writing_sessions_at_once_lose_none_and_leave_a_file_that_opens() {
        // Each thread opens the cache as another host (another browser) would, with its own
        // derived key, and writes its own sessions: every write is a read-change-replace
        // under the store's lock, so none overwrites another's.
        let dir = tempfile::tempdir().expect("tempdir");
        let until = SystemTime::now() + Duration::from_secs(3600);
        let (writers, each) = (4, 3);
        std::thread::scope(|s| {
            for w in 0..writers {
                let dir = dir.path();
                s.spawn(move || {
                    let cache = file_cache(dir, "shared cache passphrase");
                    for i in 0..each {
                        let value = format!("session {w}-{i}");
                        cache
                            .put(&format!("mfa:{w}-{i}"), value.as_bytes(), until)
                            .expect("put");
                    }
                });
            }
        });
        let cache = file_cache(dir.path(), "shared cache passphrase");
        for w in 0..writers {
            for i in 0..each {
                let value = cache
                    .get(&format!("mfa:{w}-{i}"))
                    .expect("the file opens")
                    .expect("no session lost");
                assert_eq!(&value[..], format!("session {w}-{i}").as_bytes());
            }
        }
        let temps: Vec<_> = std::fs::read_dir(dir.path())
            .expect("read_dir")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(temps.is_empty(), "{temps:?}");
    }

    #[test]
    fn expired_entries_are_never_returned_and_dropped_at_the_next_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = file_cache(dir.path(), "cache passphrase");
        let now = SystemTime::now();
        cache
            .put("old", b"stale session", now - Duration::from_secs(1))
            .expect("put");
        cache
            .put(
                "mfa:prod",
                b"fresh session",
                now + Duration::from_secs(3600),
            )
            .expect("put");
        assert!(cache.get("old").expect("get").is_none());
        assert_eq!(
            cache
                .get("mfa:prod")
                .expect("get")
                .as_deref()
                .map(Vec::as_slice),
            Some(&b"fresh session"[..])
        );
        assert_eq!(cache.keys_on_disk().expect("keys"), ["mfa:prod"]);
        let on_disk = std::fs::read(cache.path()).expect("read");
        assert!(!String::from_utf8_lossy(&on_disk).contains("session"));
    }

    #[test]
    fn an_absent_cache_reads_empty_without_a_passphrase() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = SealedCache::open_with(
            StoreConfig::in_dir(dir.path().join("none")).with_choice(BackendChoice::Keyring),
        );
        assert!(cache.get("x").expect("no error").is_none());
        assert!(!dir.path().join("none").exists());
    }

    #[test]
    fn another_passphrase_reads_empty_and_json_values_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let later = SystemTime::now() + Duration::from_secs(600);
        file_cache(dir.path(), "first passphrase")
            .put_json("k", &vec!["a".to_owned(), "b".to_owned()], later)
            .expect("put");
        let got: Option<Vec<String>> = file_cache(dir.path(), "first passphrase")
            .get_json("k")
            .expect("get");
        assert_eq!(got.as_deref(), Some(&["a".to_owned(), "b".to_owned()][..]));
        let other = file_cache(dir.path(), "another passphrase");
        assert!(other.get("k").expect("no error").is_none());
    }
}
