//! The runtime directory the sockets live in, and the checks that keep it private.
//!
//! `$ROLEPORT_RUNTIME_DIR` when set (tests), else `$XDG_RUNTIME_DIR/roleport`, else
//! `/tmp/roleport-<uid>`. The host creates it with mode 0700; the host and the CLI both refuse
//! a directory that is a symlink or belongs to another user (someone could have created
//! `/tmp/roleport-<uid>` first), and the host tightens a directory of its own that others can
//! enter.

use std::fs::{self, DirBuilder};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use roleport_protocol::Browser;

/// The environment variable that names the directory outright (tests use it).
pub const ENV: &str = "ROLEPORT_RUNTIME_DIR";

/// The user this process runs as.
pub fn own_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// The directory named by the environment (it may not exist yet).
pub fn runtime_dir() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var(ENV) {
        return dir;
    }
    match var("XDG_RUNTIME_DIR").filter(|d| d.is_absolute()) {
        Some(xdg) => xdg.join("roleport"),
        None => PathBuf::from(format!("/tmp/roleport-{}", own_uid())),
    }
}

/// Why the directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DirError {
    /// It could not be created or read.
    #[error("cannot use {}: {source}", dir.display())]
    Io {
        /// The directory.
        dir: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// It is not a plain directory owned by this user.
    #[error("{} is not safe to use: {why}", dir.display())]
    Unsafe {
        /// The directory.
        dir: PathBuf,
        /// What is wrong with it.
        why: String,
    },
}

/// What is wrong with a directory's metadata, if anything. Pure, so it is tested directly.
pub fn judge(is_dir: bool, is_symlink: bool, owner: u32, mode: u32, uid: u32) -> Option<String> {
    if is_symlink {
        return Some("it is a symbolic link".into());
    }
    if !is_dir {
        return Some("it is not a directory".into());
    }
    if owner != uid {
        return Some(format!("it belongs to uid {owner}, not to you (uid {uid})"));
    }
    if mode & 0o077 != 0 {
        return Some(format!(
            "other users can enter it (mode {:o}); run `chmod 700` on it",
            mode & 0o777
        ));
    }
    None
}

fn io_err(dir: &Path) -> impl FnOnce(io::Error) -> DirError + '_ {
    move |source| DirError::Io {
        dir: dir.to_owned(),
        source,
    }
}

fn inspect(dir: &Path) -> Result<Option<String>, DirError> {
    let meta = fs::symlink_metadata(dir).map_err(io_err(dir))?;
    Ok(judge(
        meta.is_dir(),
        meta.file_type().is_symlink(),
        meta.uid(),
        meta.mode(),
        own_uid(),
    ))
}

/// The host's side: creates the directory (0700) if needed, tightens it if it is ours but
/// open to others, and refuses it otherwise.
pub fn prepare(dir: &Path) -> Result<(), DirError> {
    match DirBuilder::new().recursive(true).mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_err(dir)(e)),
    }
    match inspect(dir)? {
        None => Ok(()),
        Some(_) => {
            let meta = fs::symlink_metadata(dir).map_err(io_err(dir))?;
            let ours = meta.is_dir() && meta.uid() == own_uid();
            if ours {
                fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_err(dir))?;
            }
            match inspect(dir)? {
                None => Ok(()),
                Some(why) => Err(DirError::Unsafe {
                    dir: dir.to_owned(),
                    why,
                }),
            }
        }
    }
}

/// The CLI's side: the directory must exist and be private to this user.
pub fn check(dir: &Path) -> Result<(), DirError> {
    match inspect(dir)? {
        None => Ok(()),
        Some(why) => Err(DirError::Unsafe {
            dir: dir.to_owned(),
            why,
        }),
    }
}

/// The socket a host of `browser` with process id `pid` listens on.
pub fn socket_path(dir: &Path, browser: Browser, pid: u32) -> PathBuf {
    dir.join(format!("{}-{pid}.sock", browser.as_str()))
}

/// The browser a socket's file name says it serves, if it is one of ours.
pub fn browser_of(file_name: &str) -> Option<Browser> {
    let stem = file_name.strip_suffix(".sock")?;
    let (browser, pid) = stem.split_once('-')?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match browser {
        "firefox" => Some(Browser::Firefox),
        "chromium" => Some(Browser::Chromium),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_private_directory_of_ours_is_accepted() {
        assert_eq!(judge(true, false, 1000, 0o40700, 1000), None);
        assert!(judge(true, true, 1000, 0o700, 1000).is_some_and(|w| w.contains("symbolic")));
        assert!(judge(false, false, 1000, 0o700, 1000).is_some());
        assert!(judge(true, false, 0, 0o700, 1000).is_some_and(|w| w.contains("uid 0")));
        assert!(judge(true, false, 1000, 0o755, 1000).is_some_and(|w| w.contains("755")));
        assert!(judge(true, false, 1000, 0o701, 1000).is_some());
    }

    #[test]
    fn prepare_creates_0700_and_tightens_an_open_directory_of_ours() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("a/b");
        prepare(&dir).expect("created");
        let mode = |d: &Path| fs::metadata(d).expect("meta").mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        assert!(check(&dir).is_err(), "the CLI refuses an open directory");
        prepare(&dir).expect("tightened");
        assert_eq!(mode(&dir), 0o700);
        check(&dir).expect("private now");
    }

    #[test]
    fn a_symlink_is_refused_even_to_our_own_directory() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let real = tmp.path().join("real");
        prepare(&real).expect("created");
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        assert!(matches!(check(&link), Err(DirError::Unsafe { .. })));
        assert!(matches!(prepare(&link), Err(DirError::Unsafe { .. })));
    }

    #[test]
    fn socket_names_say_which_browser() {
        let p = socket_path(Path::new("/run/x"), Browser::Firefox, 42);
        assert_eq!(p, Path::new("/run/x/firefox-42.sock"));
        assert_eq!(browser_of("firefox-42.sock"), Some(Browser::Firefox));
        assert_eq!(browser_of("chromium-7.sock"), Some(Browser::Chromium));
        for other in [
            "chromium-.sock",
            "edge-1.sock",
            "firefox-1.sock.bak",
            "x",
            "chromium-1a.sock",
        ] {
            assert_eq!(browser_of(other), None, "{other}");
        }
    }
}
