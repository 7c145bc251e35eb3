//! [`StoreError`]: what can go wrong in the store, and the hint for each.

use super::*;

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
