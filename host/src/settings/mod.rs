//! roleport's own settings file, `$XDG_CONFIG_HOME/roleport/config.toml` (default
//! `~/.config/roleport/config.toml`): ordered colour rules and `[defaults]`.
//!
//! - `parse` reads the TOML into the wire [`Settings`], checks it, and locates every error
//!   (line and column);
//! - `rules` compiles the patterns and decides a profile's look;
//! - `file` finds the file and rewrites it for the options page, keeping its comments.
//!
//! A broken file never stops the host: [`Loaded`] then carries the error and no rules, and
//! the profiles keep their own and default colours.

mod file;
mod parse;
mod rules;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use roleport_protocol::{ErrorCode, ProtocolError, Settings, SettingsDoc};

pub use file::{path, save};
pub use rules::{Look, Rejected, Rules, Subject};

/// The settings as loaded: what the file says, compiled, or why it could not be used.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Where the file is (`None`: no home directory to look in).
    pub path: Option<PathBuf>,
    /// The checked settings; empty when the file is missing or broken.
    pub settings: Settings,
    /// The compiled rules of `settings`.
    pub rules: Rules,
    /// Why the file cannot be used, if it cannot.
    pub error: Option<SettingsError>,
}

impl Loaded {
    /// Reads the file at [`path`]; a missing one is empty settings.
    pub fn load() -> Loaded {
        let Some(path) = path() else {
            return Loaded::default();
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Loaded::from_text(&path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Loaded {
                path: Some(path),
                ..Loaded::default()
            },
            Err(e) => Loaded {
                error: Some(SettingsError::Unreadable {
                    path: path.display().to_string(),
                    source: e,
                }),
                path: Some(path),
                ..Loaded::default()
            },
        }
    }

    /// The settings `text` (read from `path`) says.
    pub fn from_text(path: &Path, text: &str) -> Loaded {
        match parse::parse(path, text) {
            Ok((settings, rules)) => Loaded {
                path: Some(path.to_path_buf()),
                settings,
                rules,
                error: None,
            },
            Err(e) => Loaded {
                path: Some(path.to_path_buf()),
                error: Some(e),
                ..Loaded::default()
            },
        }
    }

    /// The default region of profiles without one.
    pub fn default_region(&self) -> Option<&str> {
        self.settings.defaults.region.as_deref()
    }

    /// As the options page receives it.
    pub fn doc(&self) -> SettingsDoc {
        SettingsDoc {
            path: self
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            settings: self.settings.clone(),
            error: self.error.as_ref().map(SettingsError::to_protocol),
        }
    }
}

/// Why the settings file (or settings sent to be saved) cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid: TOML syntax, an unknown key, a bad pattern, colour or region.
    #[error("{path}, line {line}, column {column}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (characters).
        column: usize,
        /// What is wrong there.
        message: String,
    },
    /// Settings sent by the options page are not valid (nothing was saved).
    #[error("{}: {}", where_(.0), .0.message)]
    Rejected(Rejected),
    /// The file could not be written.
    #[error("cannot save the settings: {0}")]
    Unwritable(String),
    /// There is no home directory (and no `XDG_CONFIG_HOME`) to keep the file in.
    #[error("there is no home directory to keep roleport's settings in")]
    NoPath,
}

fn where_(r: &Rejected) -> String {
    match r.rule {
        Some(i) => format!("rule {}", i + 1),
        None => "defaults".to_owned(),
    }
}

impl SettingsError {
    /// What a person can do about it.
    pub fn hint(&self) -> String {
        match self {
            SettingsError::Unreadable { .. } | SettingsError::Invalid { .. } => {
                "Fix that line (README: Configuration), or edit the rules on roleport's options \
                 page; until then every profile keeps its own and default colours."
                    .to_owned()
            }
            SettingsError::Rejected(_) => {
                "Correct that field and save again; the file was not changed.".to_owned()
            }
            SettingsError::Unwritable(_) => {
                "Check that you own ~/.config/roleport and the disk is not full.".to_owned()
            }
            SettingsError::NoPath => "Set HOME or XDG_CONFIG_HOME.".to_owned(),
        }
    }

    /// As a reply carries it (`settings_invalid`).
    pub fn to_protocol(&self) -> ProtocolError {
        ProtocolError::new(ErrorCode::SettingsInvalid, self.to_string(), self.hint())
    }
}
