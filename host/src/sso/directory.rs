//! What discovery found: every account and role one IAM Identity Center login can reach.
//!
//! Kept per login in roleport's data directory (`sso-directory/<key>.json`, 0600, replaced
//! atomically under the store's lock) so that the popup and `roleport list` show discovered
//! roles without calling AWS, and a second sync refreshes only what is stale. It holds names
//! and ids, never a token: signing in to a discovered role reads the token cache as for any
//! SSO profile.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{cache, Target};
use crate::error::HostError;
use crate::store::{fsio, StoreConfig};

/// The file format's version; a file of another version is ignored (and rewritten by a sync).
const VERSION: u32 = 1;
/// The sub-directory of roleport's data directory.
const DIR: &str = "sso-directory";

/// One login's accounts and roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    /// [`VERSION`].
    pub version: u32,
    /// The login: an `[sso-session]` name, or a legacy profile's name.
    pub login: String,
    /// The `sso-session`, `None` for a legacy start URL.
    pub session: Option<String>,
    /// `sso_start_url`.
    pub start_url: String,
    /// `sso_region`.
    pub region: String,
    /// When the account list was last read in full (epoch seconds).
    pub synced_at: i64,
    /// The accounts, in the order the portal listed them.
    pub accounts: Vec<Account>,
}

/// One account and the roles the login may use in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The 12-digit id.
    pub account_id: String,
    /// Its name in the organisation.
    pub name: String,
    /// Permission sets the login may use, as role names.
    pub roles: Vec<String>,
    /// When `roles` was read (epoch seconds); 0 = never.
    pub roles_synced_at: i64,
}

/// A discovered role, named the way `--write-config` writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `<account name>/<role>`, made safe for a profile name.
    pub name: String,
    /// The account id.
    pub account_id: String,
    /// The account's name.
    pub account_name: String,
    /// The role (permission set) name.
    pub role: String,
}

impl Directory {
    /// An empty directory for a login.
    pub fn empty(target: &Target) -> Directory {
        Directory {
            version: VERSION,
            login: target.name.clone(),
            session: target.session.clone(),
            start_url: target.start_url.clone(),
            region: target.region.clone(),
            synced_at: 0,
            accounts: Vec::new(),
        }
    }

    /// Whether this directory belongs to `target` (same login and start URL).
    pub fn is_for(&self, target: &Target) -> bool {
        self.login == target.name && self.start_url == target.start_url
    }

    /// The saved directory of a login, if any (a damaged or foreign file counts as none).
    pub fn load(target: &Target) -> Result<Option<Directory>, HostError> {
        let path = file_for(&folder()?, target);
        Ok(read(&path)?.filter(|d| d.is_for(target)))
    }

    /// Every saved directory, in file-name order. Unreadable ones are skipped with a warning:
    /// a listing must not fail because of a cache.
    pub fn load_all() -> Vec<Directory> {
        let Ok(dir) = folder() else {
            return Vec::new();
        };
        let Ok(read_dir) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = read_dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .filter_map(|p| match read(p) {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!("skipping a discovered-accounts file: {e}");
                    None
                }
            })
            .collect()
    }

    /// Writes the directory (0600, atomic, under the store's lock).
    pub fn save(&self) -> Result<(), HostError> {
        self.save_in(&folder()?)
    }

    fn save_in(&self, dir: &Path) -> Result<(), HostError> {
        let _lock = fsio::DirLock::acquire(dir)?;
        let target = Target {
            name: self.login.clone(),
            session: self.session.clone(),
            start_url: self.start_url.clone(),
            region: self.region.clone(),
            scopes: Vec::new(),
        };
        let json = serde_json::to_vec_pretty(self).map_err(|e| HostError::Sso {
            action: "saving discovered accounts",
            name: self.login.clone(),
            detail: e.to_string(),
        })?;
        fsio::write_atomic(&file_for(dir, &target), &json)?;
        Ok(())
    }

    /// Every role, with a profile name unique within this login: `<account>/<role>`, or
    /// `<account>-<id>/<role>` when two accounts share a name.
    pub fn entries(&self) -> Vec<Entry> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for account in &self.accounts {
            *seen.entry(name_part(&account.name)).or_default() += 1;
        }
        self.accounts
            .iter()
            .flat_map(|account| {
                let base = name_part(&account.name);
                let prefix = if base.is_empty() || seen.get(&base).copied().unwrap_or(0) > 1 {
                    [base.as_str(), account.account_id.as_str()]
                        .iter()
                        .filter(|p| !p.is_empty())
                        .copied()
                        .collect::<Vec<_>>()
                        .join("-")
                } else {
                    base
                };
                account.roles.iter().map(move |role| Entry {
                    name: format!("{prefix}/{}", name_part(role)),
                    account_id: account.account_id.clone(),
                    account_name: account.name.clone(),
                    role: role.clone(),
                })
            })
            .collect()
    }
}

/// Keeps the characters a profile name can carry on a command line and in an INI section
/// header unquoted; anything else (spaces, brackets, `#`, `;`) becomes `-`.
fn name_part(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._+=@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `<roleport data dir>/sso-directory`.
pub fn folder() -> Result<PathBuf, HostError> {
    Ok(StoreConfig::from_env(false)?.dir.join(DIR))
}

/// Named like the AWS CLI's token cache (sha1 of the session, or of the start URL).
fn file_for(dir: &Path, target: &Target) -> PathBuf {
    dir.join(format!(
        "{}.json",
        cache::key(target.session.as_deref(), &target.start_url)
    ))
}

fn read(path: &Path) -> Result<Option<Directory>, HostError> {
    let Some(bytes) = fsio::read_optional(path)? else {
        return Ok(None);
    };
    match serde_json::from_slice::<Directory>(&bytes) {
        Ok(d) if d.version == VERSION => Ok(Some(d)),
        Ok(_) => Ok(None),
        Err(e) => Err(HostError::Sso {
            action: "reading discovered accounts",
            name: path.display().to_string(),
            detail: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str, name: &str, roles: &[&str]) -> Account {
        Account {
            account_id: id.into(),
            name: name.into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            roles_synced_at: 1,
        }
    }

    fn directory(accounts: Vec<Account>) -> Directory {
        Directory {
            version: VERSION,
            login: "corp".into(),
            session: Some("corp".into()),
            start_url: "https://d-1.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            synced_at: 1,
            accounts,
        }
    }

    #[test]
    fn syncs_saving_at_once_leave_whole_files_for_every_login() {
        // Two browsers syncing the same login, and others syncing their own, at once.
        let store = tempfile::tempdir().expect("tempdir");
        let dir = store.path().join(DIR);
        std::thread::scope(|s| {
            for n in 0..8 {
                let dir = &dir;
                s.spawn(move || {
                    let mut d = directory(vec![account(&format!("{n}"), "a", &["R"])]);
                    if n % 2 == 1 {
                        d.login = format!("corp{n}");
                        d.session = Some(format!("corp{n}"));
                    }
                    for _ in 0..10 {
                        d.save_in(dir).expect("save");
                    }
                });
            }
        });
        let files: Vec<_> = std::fs::read_dir(&dir)
            .expect("read_dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        assert_eq!(files.len(), 5, "`corp` and four others: {files:?}");
        for file in &files {
            let d = read(file).expect("whole JSON").expect("a directory");
            assert_eq!(d.accounts.len(), 1, "one writer's, not a mix");
        }
    }

    #[test]
    fn entries_are_named_account_slash_role() {
        let d = directory(vec![account(
            "111111111111",
            "prod",
            &["AdministratorAccess", "ReadOnly"],
        )]);
        let names: Vec<String> = d.entries().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["prod/AdministratorAccess", "prod/ReadOnly"]);
    }

    #[test]
    fn unsafe_characters_become_dashes() {
        let d = directory(vec![account("1", "My Prod [eu]; #1", &["Read Only"])]);
        assert_eq!(d.entries()[0].name, "My-Prod--eu----1/Read-Only");
        assert_eq!(d.entries()[0].account_name, "My Prod [eu]; #1");
    }

    #[test]
    fn accounts_that_share_a_name_are_told_apart_by_id() {
        let d = directory(vec![
            account("111111111111", "sandbox", &["Admin"]),
            account("222222222222", "sandbox", &["Admin"]),
            account("333333333333", "", &["Admin"]),
        ]);
        let names: Vec<String> = d.entries().into_iter().map(|e| e.name).collect();
        assert_eq!(
            names,
            [
                "sandbox-111111111111/Admin",
                "sandbox-222222222222/Admin",
                "333333333333/Admin"
            ]
        );
    }
}
