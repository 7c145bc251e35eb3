//! The file backend's passphrase: from `ROLEPORT_STORE_PASSPHRASE`, or asked on the terminal
//! without echo, never from a browser's pipe.

use std::fmt;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use super::StoreError;

/// Shortest passphrase accepted for a new encrypted file.
pub const MIN_LEN: usize = 8;

/// Where the file backend's passphrase comes from.
#[derive(Clone)]
pub enum Passphrase {
    /// Already known (`ROLEPORT_STORE_PASSPHRASE`, or given by a test or a caller).
    Given(SecretString),
    /// Asked on the controlling terminal, not echoed.
    Prompt,
    /// Neither: using the encrypted file fails with [`StoreError::PassphraseNeeded`].
    Unavailable,
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Passphrase::Given(_) => "Given([REDACTED])",
            Passphrase::Prompt => "Prompt",
            Passphrase::Unavailable => "Unavailable",
        })
    }
}

impl Passphrase {
    /// `ROLEPORT_STORE_PASSPHRASE` when set; else a prompt when `allow_prompt` and a terminal
    /// is there to ask on; else unavailable.
    pub fn from_env(allow_prompt: bool) -> Passphrase {
        if let Some(value) = std::env::var_os("ROLEPORT_STORE_PASSPHRASE") {
            return Passphrase::Given(SecretString::from(value.to_string_lossy().into_owned()));
        }
        if allow_prompt && has_terminal() {
            Passphrase::Prompt
        } else {
            Passphrase::Unavailable
        }
    }

    /// The passphrase for the file at `path`; `creating` asks twice and checks its length.
    pub(crate) fn obtain(&self, path: &Path, creating: bool) -> Result<SecretString, StoreError> {
        let value = match self {
            Passphrase::Given(value) => value.clone(),
            Passphrase::Unavailable => {
                return Err(StoreError::PassphraseNeeded {
                    path: path.to_path_buf(),
                })
            }
            Passphrase::Prompt => {
                let ask = |prompt: &str| {
                    rpassword::prompt_password(prompt)
                        .map(SecretString::from)
                        .map_err(|e| StoreError::io("asking for the passphrase of", path, e))
                };
                if creating {
                    let first = ask("New passphrase for roleport's encrypted key file: ")?;
                    let again = ask("The same passphrase again: ")?;
                    if first.expose_secret() != again.expose_secret() {
                        return Err(StoreError::BadPassphrase("the two entries differ".into()));
                    }
                    first
                } else {
                    ask("Passphrase of roleport's encrypted key file: ")?
                }
            }
        };
        if value.expose_secret().is_empty() {
            return Err(StoreError::BadPassphrase("it is empty".into()));
        }
        if creating && value.expose_secret().chars().count() < MIN_LEN {
            return Err(StoreError::BadPassphrase(format!(
                "a new encrypted file needs at least {MIN_LEN} characters"
            )));
        }
        Ok(value)
    }
}

/// True when there is a terminal to ask on (`/dev/tty` opens; on Windows, stdin is a console).
pub fn has_terminal() -> bool {
    #[cfg(unix)]
    {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .is_ok()
    }
    #[cfg(not(unix))]
    {
        std::io::IsTerminal::is_terminal(&std::io::stdin())
    }
}
