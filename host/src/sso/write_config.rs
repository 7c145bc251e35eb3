//! `roleport sso sync --write-config`: discovered roles as AWS CLI profiles in `~/.aws/config`.
//!
//! roleport writes only inside a block it owns, one per login, between marker comments:
//!
//! ```ini
//! # BEGIN roleport sso sync: corp (replaced by each `roleport sso sync --write-config`)
//! [profile prod/AdministratorAccess]
//! sso_session = corp
//! sso_account_id = 111111111111
//! sso_role_name = AdministratorAccess
//! region = eu-west-1
//! # END roleport sso sync: corp
//! ```
//!
//! A sync replaces its own block and leaves every other byte of the file as it was. A
//! discovered role whose name a profile outside the block already takes (written by hand, by
//! `aws configure sso`, or by another login's block) is skipped, never overwritten.

use std::collections::HashSet;
use std::path::Path;

use super::directory::Directory;
use crate::error::HostError;
use crate::store::fsio;

const BEGIN: &str = "# BEGIN roleport sso sync:";
const END: &str = "# END roleport sso sync:";

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Profiles in roleport's block.
    pub profiles: usize,
    /// Discovered names left out because a profile outside the block has them.
    pub skipped: Vec<String>,
}

/// Writes `directory`'s roles into the config file at `path` (created if missing), under
/// the lock `Directory::save` takes: two syncs of different logins at once (two browsers, or
/// a browser and a terminal) each keep the other's block.
pub fn write(path: &Path, directory: &Directory) -> Result<Written, HostError> {
    write_under(&super::directory::folder()?, path, directory)
}

/// [`write`], holding the lock of `lock_dir` while it reads, merges and replaces the file.
fn write_under(lock_dir: &Path, path: &Path, directory: &Directory) -> Result<Written, HostError> {
    let _lock = fsio::DirLock::acquire(lock_dir)?;
    let existing = match fsio::read_optional(path)? {
        Some(bytes) => String::from_utf8(bytes).map_err(|_| HostError::InvalidRequest {
            message: format!("{} is not UTF-8 text", path.display()),
            hint: "Fix the file's encoding; roleport did not change it.".into(),
        })?,
        None => String::new(),
    };
    let (text, written) = merge(&existing, directory);
    if text != existing {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| HostError::InvalidRequest {
                message: format!("cannot create {}: {e}", dir.display()),
                hint: "Check the directory's permissions.".into(),
            })?;
        }
        fsio::write_atomic(path, text.as_bytes())?;
    }
    Ok(written)
}

/// `existing` with this login's block replaced (in place) or appended.
pub fn merge(existing: &str, directory: &Directory) -> (String, Written) {
    let begin = format!("{BEGIN} {}", directory.login);
    let end = format!("{END} {}", directory.login);
    let lines: Vec<&str> = existing.split_inclusive('\n').collect();
    let start = lines.iter().position(|l| marker_is(l, &begin));
    let stop = start.and_then(|s| {
        lines[s..]
            .iter()
            .position(|l| marker_is(l, &end))
            .map(|i| s + i)
    });
    let (before, after) = match (start, stop) {
        (Some(s), Some(e)) => (lines[..s].concat(), lines[e + 1..].concat()),
        // No block yet, or a BEGIN without its END (cut by hand): append a new block.
        _ => (existing.to_owned(), String::new()),
    };
    let taken = profile_names(&before)
        .chain(profile_names(&after))
        .collect::<HashSet<_>>();
    let mut block = format!("{begin} (replaced by each `roleport sso sync --write-config`)\n");
    let mut written = Written {
        profiles: 0,
        skipped: Vec::new(),
    };
    for entry in directory.entries() {
        if taken.contains(entry.name.as_str()) {
            written.skipped.push(entry.name);
            continue;
        }
        block.push_str(&format!("[profile {}]\n", entry.name));
        match &directory.session {
            Some(session) => block.push_str(&format!("sso_session = {session}\n")),
            None => block.push_str(&format!(
                "sso_start_url = {}\nsso_region = {}\n",
                directory.start_url, directory.region
            )),
        }
        // As `aws configure sso` does, a region for the CLI: the login's own.
        block.push_str(&format!(
            "sso_account_id = {}\nsso_role_name = {}\nregion = {}\n",
            entry.account_id, entry.role, directory.region
        ));
        written.profiles += 1;
    }
    block.push_str(&end);
    block.push('\n');
    let mut text = before;
    if start.is_none() || stop.is_none() {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if !text.is_empty() && !text.ends_with("\n\n") {
            text.push('\n');
        }
    }
    text.push_str(&block);
    text.push_str(&after);
    (text, written)
}

fn marker_is(line: &str, marker: &str) -> bool {
    let line = line.trim_end();
    line == marker || line.starts_with(&format!("{marker} "))
}

/// The profile names the section headers of `text` define (`[default]`, `[profile NAME]`),
/// spelled as botocore reads them.
fn profile_names(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter_map(|line| {
        // botocore's section pattern is `\[(?P<header>.+)\]` from the line's start: what
        // follows the last `]` (a comment) does not count.
        let open = line.trim_start().strip_prefix('[')?;
        let inner = open[..open.rfind(']')?].trim();
        if inner == "default" {
            return Some(inner);
        }
        let rest = inner.strip_prefix("profile")?;
        rest.starts_with(char::is_whitespace).then(|| rest.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sso::directory::Account;

    fn corp(accounts: &[(&str, &str, &[&str])]) -> Directory {
        Directory {
            version: 1,
            login: "corp".into(),
            session: Some("corp".into()),
            start_url: "https://d-1.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            synced_at: 1,
            accounts: accounts
                .iter()
                .map(|(id, name, roles)| Account {
                    account_id: (*id).into(),
                    name: (*name).into(),
                    roles: roles.iter().map(|r| (*r).to_owned()).collect(),
                    roles_synced_at: 1,
                })
                .collect(),
        }
    }

    const HAND_WRITTEN: &str = "[default]\nregion = eu-west-1\n\n[sso-session corp]\n\
        sso_start_url = https://d-1.awsapps.com/start\nsso_region = eu-west-1\n\n\
        [profile prod/Admin]   # mine\nsso_session = corp\nsso_account_id = 111111111111\n\
        sso_role_name = Admin\nregion = us-west-2\n";

    #[test]
    fn a_first_write_appends_a_block_and_keeps_every_other_byte() {
        let dir = corp(&[("111111111111", "prod", &["Admin", "ReadOnly"])]);
        let (text, written) = merge(HAND_WRITTEN, &dir);
        assert!(text.starts_with(HAND_WRITTEN));
        assert_eq!(
            &text[HAND_WRITTEN.len()..],
            "\n# BEGIN roleport sso sync: corp (replaced by each `roleport sso sync --write-config`)\n\
             [profile prod/ReadOnly]\nsso_session = corp\nsso_account_id = 111111111111\n\
             sso_role_name = ReadOnly\nregion = eu-west-1\n# END roleport sso sync: corp\n"
        );
        // The hand-written profile of the same name is not clobbered.
        assert_eq!(written.profiles, 1);
        assert_eq!(written.skipped, ["prod/Admin"]);
    }

    #[test]
    fn a_second_write_replaces_only_its_block() {
        let first = corp(&[("111111111111", "prod", &["ReadOnly"])]);
        let (text, _) = merge(HAND_WRITTEN, &first);
        let with_more = format!("{text}\n[profile later]\nregion = us-east-1\n");
        let second = corp(&[
            ("111111111111", "prod", &["ReadOnly"]),
            ("222222222222", "dev", &["Developer"]),
        ]);
        let (again, written) = merge(&with_more, &second);
        assert_eq!(written.profiles, 2);
        assert!(again.starts_with(HAND_WRITTEN));
        assert!(again
            .ends_with("# END roleport sso sync: corp\n\n[profile later]\nregion = us-east-1\n"));
        assert_eq!(again.matches("# BEGIN roleport sso sync: corp").count(), 1);
        assert!(again.contains("[profile dev/Developer]\n"));
        // Idempotent.
        assert_eq!(merge(&again, &second).0, again);
    }

    #[test]
    fn syncs_of_different_logins_at_once_keep_every_block() {
        let home = tempfile::tempdir().expect("tempdir");
        let path = home.path().join(".aws/config");
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, HAND_WRITTEN).expect("write");
        let lock_dir = home.path().join("store/sso-directory");
        let logins = 6;
        std::thread::scope(|s| {
            for n in 0..logins {
                let (path, lock_dir) = (&path, &lock_dir);
                s.spawn(move || {
                    let mut dir = corp(&[("111111111111", "prod", &["ReadOnly"])]);
                    dir.login = format!("corp{n}");
                    dir.session = Some(format!("corp{n}"));
                    dir.accounts[0].name = format!("acct{n}");
                    write_under(lock_dir, path, &dir).expect("write");
                });
            }
        });
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.starts_with(HAND_WRITTEN), "{text}");
        for n in 0..logins {
            assert_eq!(
                text.matches(&format!("# BEGIN roleport sso sync: corp{n} "))
                    .count(),
                1,
                "{text}"
            );
            assert!(
                text.contains(&format!("[profile acct{n}/ReadOnly]\n")),
                "{text}"
            );
        }
    }

    #[test]
    fn legacy_logins_write_start_url_and_region() {
        let mut dir = corp(&[("1", "a", &["R"])]);
        dir.session = None;
        let (text, _) = merge("", &dir);
        assert!(text.contains(
            "[profile a/R]\nsso_start_url = https://d-1.awsapps.com/start\nsso_region = eu-west-1\n"
        ));
    }

    #[test]
    fn profile_names_are_read_as_botocore_reads_headers() {
        let names: Vec<&str> = profile_names(
            "[default]\n[profile  a/b ]\n[profilex]\n[sso-session s]\n[ profile c ]\n",
        )
        .collect();
        assert_eq!(names, ["default", "a/b", "c"]);
    }
}
