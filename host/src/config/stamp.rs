//! When the AWS files (the discovered SSO roles, roleport's settings) last changed, so that a host which keeps
//! running between clicks parses them again only when they did: parsing 5,000 profiles costs
//! tens of milliseconds, paid by every click otherwise.

use std::path::PathBuf;

use crate::store::plaintext::AwsFile;

/// Size, modification and change times and inode of each input; `None` for a missing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp(Vec<Option<[i64; 6]>>);

impl Stamp {
    /// The stamp of the files a load reads now.
    pub fn now() -> Stamp {
        let mut inputs: Vec<Option<PathBuf>> = AwsFile::BOTH.iter().map(|f| f.path()).collect();
        // Saving a directory renames a file into it, which changes the directory's times.
        inputs.push(crate::sso::directory::folder().ok());
        // roleport's own settings (colour rules) are loaded with the AWS files.
        inputs.push(crate::settings::path());
        Stamp(inputs.into_iter().map(|p| p.and_then(|p| of(&p))).collect())
    }
}

#[cfg(unix)]
fn of(path: &std::path::Path) -> Option<[i64; 6]> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some([
        i64::try_from(m.size()).unwrap_or(i64::MAX),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
        i64::try_from(m.ino()).unwrap_or(i64::MAX),
    ])
}

#[cfg(not(unix))]
fn of(path: &std::path::Path) -> Option<[i64; 6]> {
    let m = std::fs::metadata(path).ok()?;
    let modified = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some([
        i64::try_from(m.len()).unwrap_or(i64::MAX),
        i64::try_from(modified.as_secs()).unwrap_or(i64::MAX),
        i64::from(modified.subsec_nanos()),
        0,
        0,
        0,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_changes_the_stamp_even_at_the_same_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config");
        std::fs::write(&path, "[profile a]\nregion = x\n").expect("write");
        let first = of(&path);
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(&path, "[profile b]\nregion = y\n").expect("rewrite");
        assert_ne!(of(&path), first);
        assert_eq!(of(&dir.path().join("missing")), None);
    }
}
