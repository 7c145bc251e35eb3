//! The file rules of the store: a private directory, private files, atomic replacement, and
//! one advisory lock that every writer holds.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::StoreError;

/// The lock file every writer holds while it reads, changes and replaces a store file.
pub(crate) const LOCK_FILE: &str = ".lock";

/// Creates `dir` (0700) if needed and checks it is ours; tightens a too-open mode.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), StoreError> {
    let io = |action, source| StoreError::io(action, dir, source);
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| io("creating the directory", e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let meta = std::fs::metadata(dir).map_err(|e| io("inspecting", e))?;
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            return Err(StoreError::UnsafeDir {
                path: dir.to_path_buf(),
                why: format!("it belongs to uid {}, not to you (uid {me})", meta.uid()),
            });
        }
        if meta.mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| io("restricting to 0700", e))?;
        }
    }
    Ok(())
}

/// An exclusive advisory lock on the store directory, released on drop.
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Waits for and takes the store's lock (creating the directory if needed).
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock, StoreError> {
        ensure_dir(dir)?;
        let path = dir.join(LOCK_FILE);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&path)
            .map_err(|e| StoreError::io("opening the lock file", &path, e))?;
        file.lock()
            .map_err(|e| StoreError::io("locking", &path, e))?;
        Ok(DirLock { _file: file })
    }
}

/// The file's bytes, or `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io("reading", path, e)),
    }
}

/// Replaces `path` with `contents`: see [`write_atomic_with`].
pub(crate) fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    write_atomic_with(path, |f| f.write_all(contents))
}

/// Replaces `path` atomically: `fill` writes a new 0600 temp file beside it, which is
/// fsynced and renamed over `path`, then the directory is fsynced. If anything fails the
/// temp file is removed and `path` keeps its old contents.
pub(crate) fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = temp_path(path);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&tmp)
        .map_err(|e| StoreError::io("creating", &tmp, e))?;
    let written = fill(&mut file).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(StoreError::io("writing", &tmp, e));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(StoreError::io("replacing", path, e));
    }
    sync_dir(dir).map_err(|e| StoreError::io("syncing", dir, e))
}

fn temp_path(path: &Path) -> PathBuf {
    let mut nonce = [0u8; 6];
    let _ = getrandom::fill(&mut nonce);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let suffix: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    path.with_file_name(format!(".{name}.{}.{suffix}.tmp", std::process::id()))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .expect("read_dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn a_failing_write_keeps_the_old_file_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.sealed");
        write_atomic(&path, b"old contents").expect("first write");
        let err = write_atomic_with(&path, |f| {
            f.write_all(b"half of the new")?;
            Err(io::Error::other("disk full (injected)"))
        })
        .expect_err("the write fails");
        assert!(err.to_string().contains("injected"), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), b"old contents");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_rename_that_fails_keeps_the_old_file_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A directory in the way: the rename fails after the temp file was written.
        let path = dir.path().join("in-the-way");
        std::fs::create_dir(&path).expect("mkdir");
        std::fs::write(path.join("old"), b"old").expect("write");
        write_atomic(&path, b"new").expect_err("cannot replace a directory");
        assert_eq!(std::fs::read(path.join("old")).expect("read"), b"old");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn files_are_0600_and_the_directory_0700() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().expect("tempdir");
        let dir = parent.path().join("roleport");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let _lock = DirLock::acquire(&dir).expect("lock");
        write_atomic(&dir.join("index.json"), b"{}").expect("write");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700, "a too-open directory is tightened");
        assert_eq!(mode(&dir.join("index.json")), 0o600);
        assert_eq!(mode(&dir.join(LOCK_FILE)), 0o600);
    }
}
