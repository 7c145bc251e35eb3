//! `index.json`: which profiles the store holds and in which backend. Names only: keyrings
//! cannot be enumerated portably, and [`super::lookup`] must answer "not stored" without
//! touching D-Bus or asking for a passphrase.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{fsio, Backend, StoreError};

/// The index file's name.
pub(crate) const FILE: &str = "index.json";

/// The parsed index.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Index {
    version: u32,
    /// Profile name → where its keys are.
    pub profiles: BTreeMap<String, Entry>,
}

/// One profile's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// The backend holding its keys.
    pub backend: Backend,
}

pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

impl Index {
    /// Reads the index; a missing file is an empty index.
    pub(crate) fn load(dir: &Path) -> Result<Index, StoreError> {
        let path = path(dir);
        let Some(bytes) = fsio::read_optional(&path)? else {
            return Ok(Index::default());
        };
        serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
            path,
            why: format!("it is not a roleport index ({e})"),
        })
    }

    /// Writes the index atomically. The caller holds the store's lock.
    pub(crate) fn save(&mut self, dir: &Path) -> Result<(), StoreError> {
        self.version = 1;
        let mut text = serde_json::to_vec_pretty(self).unwrap_or_default();
        text.push(b'\n');
        fsio::write_atomic(&path(dir), &text)
    }
}
