//! Plaintext keys in the AWS shared files (`~/.aws/credentials`, `~/.aws/config`), and moving
//! them into the store: what `roleport doctor` warns about and `--move-keys` fixes.
//!
//! Moving is idempotent and ordered so no step can lose a key: every key is stored (or found
//! already stored, identical) first; then each file that held one is copied to a 0600 backup;
//! then it is rewritten atomically with each moved key line replaced by a comment that holds
//! no value. Temporary credentials (with `aws_session_token`) are left alone.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use super::{fsio, AccessKey, Store, StoreError};

/// One of the AWS shared files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AwsFile {
    /// `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`): sections are profile names.
    Credentials,
    /// `~/.aws/config` (`AWS_CONFIG_FILE`): sections are `[profile NAME]` and `[default]`.
    Config,
}

impl fmt::Display for AwsFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AwsFile::Credentials => "credentials file",
            AwsFile::Config => "config file",
        })
    }
}

impl AwsFile {
    /// Both, credentials first (it wins over config for the same profile, as in the SDKs).
    pub const BOTH: [AwsFile; 2] = [AwsFile::Credentials, AwsFile::Config];

    /// Where the AWS CLI reads it: the environment variable, else `~/.aws/…`.
    pub fn path(self) -> Option<PathBuf> {
        let (var, name) = match self {
            AwsFile::Credentials => ("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
            AwsFile::Config => ("AWS_CONFIG_FILE", "config"),
        };
        let home = dirs::home_dir();
        match std::env::var_os(var).filter(|v| !v.is_empty()) {
            Some(p) => {
                let p = PathBuf::from(p);
                match (p.strip_prefix("~"), home) {
                    (Ok(rest), Some(home)) => Some(home.join(rest)),
                    _ => Some(p),
                }
            }
            None => home.map(|h| h.join(".aws").join(name)),
        }
    }
}

/// A profile section that holds key material in plaintext.
pub struct Found {
    /// The file it is in.
    pub file: AwsFile,
    /// The profile.
    pub profile: String,
    /// The key pair, when both halves are there and well-formed.
    key: Option<AccessKey>,
    /// It also has `aws_session_token`: temporary credentials, which are not moved.
    pub temporary: bool,
}

impl fmt::Debug for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Found")
            .field("file", &self.file)
            .field("profile", &self.profile)
            .field("key", &self.key)
            .field("temporary", &self.temporary)
            .finish()
    }
}

impl Found {
    /// The key pair, when complete.
    pub fn key(&self) -> Option<&AccessKey> {
        self.key.as_ref()
    }
}

const ID: &str = "aws_access_key_id";
const SECRET: &str = "aws_secret_access_key";
const TOKEN: &str = "aws_session_token";

/// A property line: `(key, value)`; `None` for sections, comments, blanks, continuations.
fn property(line: &str) -> Option<(String, &str)> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let line = line.trim_end();
    if line.starts_with(['#', ';', '[']) {
        return None;
    }
    let (key, value) = line.split_once('=')?;
    let value = value.trim();
    // An inline comment needs whitespace before it.
    let value = value
        .find([' ', '\t'])
        .filter(|&i| value[i..].trim_start().starts_with(['#', ';']))
        .map_or(value, |i| value[..i].trim_end());
    Some((key.trim().to_ascii_lowercase(), value))
}

/// The profile a section header names in `file`; `None` for other sections.
fn section(line: &str, file: AwsFile) -> Option<Option<String>> {
    let line = line.trim();
    let inner = line.strip_prefix('[')?.split(']').next()?.trim();
    Some(match file {
        AwsFile::Credentials => Some(inner.to_owned()),
        AwsFile::Config if inner == "default" => Some(inner.to_owned()),
        AwsFile::Config => inner
            .strip_prefix("profile")
            .filter(|rest| rest.starts_with(char::is_whitespace))
            .map(|rest| rest.trim().to_owned()),
    })
}

/// Every profile of `text` with an access key or secret key in it.
pub fn scan(text: &str, file: AwsFile) -> Vec<Found> {
    #[derive(Default)]
    struct Parts {
        id: Option<String>,
        secret: Option<SecretString>,
        token: bool,
    }
    let mut current: Option<String> = None;
    let mut parts: BTreeMap<String, Parts> = BTreeMap::new();
    for line in text.lines() {
        if let Some(name) = section(line, file) {
            current = name;
            continue;
        }
        let (Some(profile), Some((key, value))) = (&current, property(line)) else {
            continue;
        };
        let p = parts.entry(profile.clone()).or_default();
        match key.as_str() {
            ID => p.id = Some(value.to_owned()),
            SECRET => p.secret = Some(SecretString::from(value)),
            TOKEN => p.token = true,
            _ => {}
        }
    }
    parts
        .into_iter()
        .filter(|(_, p)| p.id.is_some() || p.secret.is_some())
        .map(|(profile, p)| Found {
            file,
            key: match (p.id, p.secret) {
                (Some(id), Some(secret)) => AccessKey::new(id, secret).ok(),
                _ => None,
            },
            profile,
            temporary: p.token,
        })
        .collect()
}

/// `text` with the key lines of `profiles` replaced by a comment holding no value.
pub fn strip(text: &str, file: AwsFile, profiles: &[String]) -> String {
    let mut current: Option<String> = None;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        let ending = &line[body.len()..];
        if let Some(name) = section(body, file) {
            current = name;
        } else if let (Some(profile), Some((key, _))) = (&current, property(body)) {
            if (key == ID || key == SECRET) && profiles.contains(profile) {
                out.push_str(&format!(
                    "# {key}: moved to roleport's store by `roleport doctor --move-keys`{ending}"
                ));
                continue;
            }
        }
        out.push_str(line);
    }
    out
}

/// Copies `path` to `PATH.roleport-backup-UNIXTIME` (0600, never overwriting) and returns it.
pub fn backup(path: &Path) -> Result<PathBuf, StoreError> {
    let bytes = std::fs::read(path).map_err(|e| StoreError::io("reading", path, e))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for n in 0..100 {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let target = path.with_file_name(format!("{name}.roleport-backup-{stamp}{suffix}"));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&target) {
            Ok(mut f) => {
                use std::io::Write;
                f.write_all(&bytes)
                    .and_then(|()| f.sync_all())
                    .map_err(|e| StoreError::io("writing the backup", &target, e))?;
                return Ok(target);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(StoreError::io("creating the backup", &target, e)),
        }
    }
    Err(StoreError::io(
        "creating the backup of",
        path,
        std::io::Error::other("too many backups already"),
    ))
}

/// What [`move_keys`] did.
#[derive(Debug, Default)]
pub struct Moved {
    /// Profiles whose keys are now in the store and out of the files.
    pub moved: Vec<String>,
    /// Profiles left as they were, and why.
    pub skipped: Vec<(String, String)>,
    /// The 0600 copies made before rewriting, one per rewritten file.
    pub backups: Vec<PathBuf>,
    /// The files rewritten.
    pub rewritten: Vec<PathBuf>,
}

/// Moves every complete, long-term key pair in `files` into `store`, then comments the key
/// lines out of the files (after a backup). See the module doc for the order of steps.
pub fn move_keys(store: &Store, files: &[(AwsFile, PathBuf)]) -> Result<Moved, StoreError> {
    let mut texts = Vec::new();
    for (file, path) in files {
        if let Some(bytes) = fsio::read_optional(path)? {
            texts.push((
                *file,
                path.clone(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    let mut report = Moved::default();
    // Profile → moved or not; the first file (credentials) decides.
    let mut decided: BTreeMap<String, bool> = BTreeMap::new();
    let mut strip_from: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for (file, path, text) in &texts {
        for found in scan(text, *file) {
            let profile = found.profile.clone();
            let ok = match decided.get(&profile) {
                Some(ok) => *ok,
                None => {
                    let ok = match decide(store, &found)? {
                        Ok(()) => {
                            report.moved.push(profile.clone());
                            true
                        }
                        Err(why) => {
                            report.skipped.push((profile.clone(), why));
                            false
                        }
                    };
                    decided.insert(profile.clone(), ok);
                    ok
                }
            };
            if ok && !found.temporary {
                strip_from.entry(path.clone()).or_default().push(profile);
            }
        }
    }
    for (file, path, text) in &texts {
        let Some(profiles) = strip_from.get(path) else {
            continue;
        };
        report.backups.push(backup(path)?);
        fsio::write_atomic(path, strip(text, *file, profiles).as_bytes())?;
        report.rewritten.push(path.clone());
    }
    Ok(report)
}

/// Stores one found key; `Err(why)` when it must stay where it is.
fn decide(store: &Store, found: &Found) -> Result<Result<(), String>, StoreError> {
    if found.temporary {
        return Ok(Err(
            "it holds temporary credentials (aws_session_token), which expire".into(),
        ));
    }
    let Some(key) = found.key() else {
        return Ok(Err(format!(
            "its keys in the {} are incomplete or malformed; fix them or use `roleport add {}`",
            found.file, found.profile
        )));
    };
    if super::check_profile_name(&found.profile).is_err() {
        return Ok(Err(
            "its name has characters the store does not accept".into()
        ));
    }
    match store.get_key(&found.profile)? {
        Some(stored) if stored.same_as(key) => Ok(Ok(())),
        Some(_) => Ok(Err(format!(
            "the store already holds different keys for it; to replace them with the file's, \
             run `roleport remove {0}` and then this again; to keep them, delete the file's \
             lines by hand",
            found.profile
        ))),
        None => store.put(&found.profile, key).map(Ok),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDENTIALS: &str = "[work]\r\naws_access_key_id = AKIDWORK00000001\r\n\
        aws_secret_access_key = workSecret/1 # inline comment\r\n\
        region = eu-west-1\r\n\
        [temp]\naws_access_key_id = ASIATEMP00000001\naws_secret_access_key = t\naws_session_token = tok\n\
        [half]\naws_access_key_id = AKIDHALF00000001\n";

    #[test]
    fn scan_finds_complete_temporary_and_half_keys() {
        let found = scan(CREDENTIALS, AwsFile::Credentials);
        let summary: Vec<_> = found
            .iter()
            .map(|f| (f.profile.as_str(), f.key().is_some(), f.temporary))
            .collect();
        assert_eq!(
            summary,
            [
                ("half", false, false),
                ("temp", true, true),
                ("work", true, false)
            ]
        );
        let work = found.iter().find(|f| f.profile == "work").expect("work");
        assert_eq!(work.key().expect("key").access_key_id(), "AKIDWORK00000001");
        assert!(!format!("{found:?}").contains("workSecret"));
    }

    #[test]
    fn config_sections_are_profile_names_and_other_sections_are_ignored() {
        let text = "[default]\naws_access_key_id = AKIDDEFAULT00001\naws_secret_access_key = d\n\
                    [profile dev]\naws_access_key_id = AKIDDEV000000001\naws_secret_access_key = e\n\
                    [sso-session corp]\naws_access_key_id = NOTAPROFILE00001\n";
        let names: Vec<_> = scan(text, AwsFile::Config)
            .into_iter()
            .map(|f| f.profile)
            .collect();
        assert_eq!(names, ["default", "dev"]);
    }

    #[test]
    fn strip_removes_the_values_and_keeps_everything_else() {
        let out = strip(CREDENTIALS, AwsFile::Credentials, &["work".to_owned()]);
        assert!(
            !out.contains("AKIDWORK") && !out.contains("workSecret"),
            "{out}"
        );
        assert!(out.contains("region = eu-west-1\r\n"));
        assert!(out.contains("ASIATEMP00000001"));
        assert!(out.contains("# aws_secret_access_key: moved to roleport's store"));
        assert_eq!(out.lines().count(), CREDENTIALS.lines().count());
    }
}
