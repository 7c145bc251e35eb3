//! The vault: how keys are sealed (`keys.sealed`, items in the OS keyring) and read back,
//! shared by [`super::Store`] and [`super::lookup`].

use super::*;

/// One profile's keys as they are sealed in `keys.sealed`.
#[derive(Serialize, Deserialize)]
pub(super) struct SealedKey {
    access_key_id: String,
    #[serde(with = "zeroizing_string")]
    secret_access_key: Zeroizing<String>,
}

impl SealedKey {
    pub(super) fn from_key(key: &AccessKey) -> SealedKey {
        SealedKey {
            access_key_id: key.access_key_id.clone(),
            secret_access_key: Zeroizing::new(key.secret_access_key.expose_secret().to_owned()),
        }
    }

    pub(super) fn into_key(self) -> Result<AccessKey, StoreError> {
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
pub(super) enum SealedEntry {
    Key(SealedKey),
    Password {
        #[serde(with = "zeroizing_string")]
        cognito_password: Zeroizing<String>,
    },
}

impl SealedEntry {
    pub(super) fn into_key(self, item: &str) -> Result<AccessKey, StoreError> {
        match self {
            SealedEntry::Key(key) => key.into_key(),
            SealedEntry::Password { .. } => Err(not_roleports(item)),
        }
    }

    pub(super) fn into_password(self, item: &str) -> Result<SecretString, StoreError> {
        match self {
            SealedEntry::Password { cognito_password } => {
                Ok(SecretString::from(cognito_password.as_str()))
            }
            SealedEntry::Key(_) => Err(not_roleports(item)),
        }
    }
}

pub(super) fn not_roleports(item: &str) -> StoreError {
    StoreError::Keyring {
        item: item.to_owned(),
        detail: "the item is not one roleport wrote".into(),
    }
}

pub(super) type KeyMap = BTreeMap<String, SealedEntry>;

/// Reads and writes keys: what [`Store`] and [`lookup`] share. Remembers the passphrase and
/// the derived key for its life, so a process asks and derives at most once.
pub(super) struct Vault {
    pub(super) config: StoreConfig,
    pub(super) passphrase: Mutex<Option<SecretString>>,
    pub(super) derived: Mutex<Option<(KeySource, Key32)>>,
}

impl Vault {
    pub(super) fn new(config: StoreConfig) -> Vault {
        Vault {
            config,
            passphrase: Mutex::new(None),
            derived: Mutex::new(None),
        }
    }

    pub(super) fn dir(&self) -> &Path {
        &self.config.dir
    }

    pub(super) fn passphrase(&self, creating: bool) -> Result<SecretString, StoreError> {
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

    pub(super) fn key_for(&self, source: &KeySource, creating: bool) -> Result<Key32, StoreError> {
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
    pub(super) fn read_keys(&self) -> Result<Option<(KeySource, Key32, KeyMap)>, StoreError> {
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
    pub(super) fn update_keys<T>(
        &self,
        change: impl FnOnce(&mut KeyMap) -> T,
    ) -> Result<T, StoreError> {
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

    pub(super) fn get(&self, profile: &str) -> Result<Option<AccessKey>, StoreError> {
        self.get_entry(profile)?
            .map(|e| e.into_key(profile))
            .transpose()
    }

    pub(super) fn get_entry(&self, profile: &str) -> Result<Option<SealedEntry>, StoreError> {
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
    pub(super) fn prepare(&self, backends: &[Option<Backend>]) -> Result<(), StoreError> {
        if backends.contains(&Some(Backend::File)) {
            self.passphrase(!self.config.keys_file().exists())?;
        }
        Ok(())
    }

    pub(super) fn put(
        &self,
        backend: Backend,
        profile: &str,
        key: &AccessKey,
    ) -> Result<(), StoreError> {
        check_profile_name(profile)?;
        self.put_entry(backend, profile, SealedEntry::Key(SealedKey::from_key(key)))
    }

    /// Writes one item; the caller has checked its name.
    pub(super) fn put_entry(
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

    pub(super) fn delete_from(&self, backend: Backend, profile: &str) -> Result<bool, StoreError> {
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

    pub(super) fn remove(&self, profile: &str) -> Result<bool, StoreError> {
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
