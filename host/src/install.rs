//! `roleport host install | uninstall | status`: the native-messaging manifests that let each
//! browser start this binary for roleport's extension, and only for it.

use std::fmt;
use std::path::{Path, PathBuf};

use native_messaging::Scope;
use roleport_protocol::{CHROMIUM_EXTENSION_ID, FIREFOX_EXTENSION_ID, NATIVE_HOST_NAME};
use serde_json::Value;

/// A browser roleport can register with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Browser {
    /// Mozilla Firefox (and Firefox ESR).
    Firefox,
    /// Chromium.
    Chromium,
    /// Google Chrome.
    Chrome,
    /// Microsoft Edge.
    Edge,
    /// Brave.
    Brave,
    /// Vivaldi.
    Vivaldi,
}

impl Browser {
    /// Every browser, in the order `status` lists them.
    pub const ALL: [Browser; 6] = [
        Browser::Firefox,
        Browser::Chromium,
        Browser::Chrome,
        Browser::Edge,
        Browser::Brave,
        Browser::Vivaldi,
    ];

    fn key(self) -> &'static str {
        match self {
            Browser::Firefox => "firefox",
            Browser::Chromium => "chromium",
            Browser::Chrome => "chrome",
            Browser::Edge => "edge",
            Browser::Brave => "brave",
            Browser::Vivaldi => "vivaldi",
        }
    }

    fn is_firefox(self) -> bool {
        self == Browser::Firefox
    }

    fn executables(self) -> &'static [&'static str] {
        match self {
            Browser::Firefox => &["firefox", "firefox-esr"],
            Browser::Chromium => &["chromium", "chromium-browser"],
            Browser::Chrome => &["google-chrome", "google-chrome-stable"],
            Browser::Edge => &["microsoft-edge", "microsoft-edge-stable"],
            Browser::Brave => &["brave-browser", "brave"],
            Browser::Vivaldi => &["vivaldi", "vivaldi-stable"],
        }
    }

    /// Installed here: its per-user data directory exists or it is on `PATH`.
    fn is_installed(self) -> bool {
        let data_dir = native_messaging::manifest_path(self.key(), Scope::User, NATIVE_HOST_NAME)
            .ok()
            .and_then(|p| p.parent()?.parent().map(Path::to_path_buf));
        data_dir.is_some_and(|d| d.is_dir()) || self.executables().iter().any(|e| on_path(e))
    }
}

impl fmt::Display for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

fn on_path(exe: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(exe).is_file()))
}

/// Where one manifest goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The browser that reads it.
    pub browser: Browser,
    /// The manifest file.
    pub manifest: PathBuf,
}

/// Errors of `roleport host …`.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// No browser was named and none was found.
    #[error("no supported browser found; name one with --browser (firefox, chromium, chrome, edge, brave, vivaldi)")]
    NoBrowser,
    /// `--user-data-dir` given with Firefox.
    #[error("--user-data-dir is a Chromium-family option; Firefox reads $HOME/.mozilla/native-messaging-hosts")]
    UserDataDirIsChromiumOnly,
    /// A file could not be written or removed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
}

/// Chooses the manifests to act on: the named browsers (default: every installed one), or
/// one Chromium-family profile directory.
pub fn targets(
    browsers: &[Browser],
    user_data_dir: Option<&Path>,
) -> Result<Vec<Target>, InstallError> {
    if let Some(dir) = user_data_dir {
        let browser = match browsers {
            [] => Browser::Chromium,
            [b] if !b.is_firefox() => *b,
            _ => return Err(InstallError::UserDataDirIsChromiumOnly),
        };
        let manifest = dir
            .join("NativeMessagingHosts")
            .join(format!("{NATIVE_HOST_NAME}.json"));
        return Ok(vec![Target { browser, manifest }]);
    }
    let chosen: Vec<Browser> = if browsers.is_empty() {
        Browser::ALL
            .into_iter()
            .filter(|b| b.is_installed())
            .collect()
    } else {
        browsers.to_vec()
    };
    if chosen.is_empty() {
        return Err(InstallError::NoBrowser);
    }
    chosen
        .into_iter()
        .map(|browser| {
            let manifest =
                native_messaging::manifest_path(browser.key(), Scope::User, NATIVE_HOST_NAME)
                    .map_err(|source| InstallError::Io {
                        action: "locating the manifest for",
                        path: PathBuf::from(browser.key()),
                        source,
                    })?;
            Ok(Target { browser, manifest })
        })
        .collect()
}

/// The manifest a browser needs to start `exe` for roleport's extension.
pub fn manifest(browser: Browser, exe: &Path) -> Value {
    let mut m = serde_json::json!({
        "name": NATIVE_HOST_NAME,
        "description": "roleport: AWS console sign-in for roleport's browser extension",
        "path": exe,
        "type": "stdio",
    });
    if browser.is_firefox() {
        m["allowed_extensions"] = serde_json::json!([FIREFOX_EXTENSION_ID]);
    } else {
        m["allowed_origins"] =
            serde_json::json!([format!("chrome-extension://{CHROMIUM_EXTENSION_ID}/")]);
    }
    m
}

/// Writes each target's manifest, pointing at `exe` (absolute).
pub fn install(targets: &[Target], exe: &Path) -> Result<(), InstallError> {
    for t in targets {
        let io = |action, source| InstallError::Io {
            action,
            path: t.manifest.clone(),
            source,
        };
        if let Some(dir) = t.manifest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io("creating the directory of", e))?;
        }
        let text = serde_json::to_string_pretty(&manifest(t.browser, exe)).unwrap_or_default();
        std::fs::write(&t.manifest, text + "\n").map_err(|e| io("writing", e))?;
    }
    Ok(())
}

/// Removes each target's manifest; absent ones are fine.
pub fn uninstall(targets: &[Target]) -> Result<(), InstallError> {
    for t in targets {
        match std::fs::remove_file(&t.manifest) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(InstallError::Io {
                    action: "removing",
                    path: t.manifest.clone(),
                    source: e,
                })
            }
            _ => {}
        }
    }
    Ok(())
}

/// What `status` found at one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// No manifest there.
    NotRegistered,
    /// Registered and pointing at a binary that exists, for our extension only.
    Ok {
        /// The binary the browser will start.
        exe: PathBuf,
    },
    /// A manifest exists but will not work; the reason says why.
    Broken(String),
}

/// Checks one target's manifest.
pub fn status(target: &Target) -> Status {
    let Ok(text) = std::fs::read_to_string(&target.manifest) else {
        return Status::NotRegistered;
    };
    let Ok(m) = serde_json::from_str::<Value>(&text) else {
        return Status::Broken("the manifest is not valid JSON".into());
    };
    let expected = manifest(target.browser, Path::new(""));
    let allow_key = if target.browser.is_firefox() {
        "allowed_extensions"
    } else {
        "allowed_origins"
    };
    if m["name"] != expected["name"] {
        return Status::Broken(format!(
            "its name is {} instead of {NATIVE_HOST_NAME}",
            m["name"]
        ));
    }
    if m[allow_key] != expected[allow_key] {
        return Status::Broken(format!(
            "it allows {} instead of roleport's extension",
            m[allow_key]
        ));
    }
    let exe = PathBuf::from(m["path"].as_str().unwrap_or_default());
    if !exe.is_file() {
        return Status::Broken(format!("its binary {} does not exist", exe.display()));
    }
    Status::Ok { exe }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_dir_gets_a_chromium_manifest_for_our_extension_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let exe = std::env::current_exe().expect("test binary");
        let targets = targets(&[], Some(dir.path())).expect("targets");
        assert_eq!(
            targets[0].manifest,
            dir.path()
                .join("NativeMessagingHosts/dev.roleport.host.json")
        );
        install(&targets, &exe).expect("installs");
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&targets[0].manifest).expect("read"))
                .expect("json");
        assert_eq!(
            written["allowed_origins"],
            serde_json::json!(["chrome-extension://jlpkhfceigfphociodglhbfijhdeajmi/"])
        );
        assert_eq!(written["path"], serde_json::json!(exe));
        assert_eq!(status(&targets[0]), Status::Ok { exe });
        uninstall(&targets).expect("uninstalls");
        assert_eq!(status(&targets[0]), Status::NotRegistered);
        uninstall(&targets).expect("uninstalling twice is fine");
    }

    #[test]
    fn status_reports_what_is_wrong() {
        let dir = tempfile::tempdir().expect("tempdir");
        let targets = targets(&[Browser::Chrome], Some(dir.path())).expect("targets");
        install(&targets, Path::new("/nonexistent/roleport")).expect("installs");
        assert!(
            matches!(status(&targets[0]), Status::Broken(why) if why.contains("does not exist"))
        );
        let mut m = manifest(Browser::Chrome, &std::env::current_exe().expect("exe"));
        m["allowed_origins"] = serde_json::json!(["chrome-extension://evil/"]);
        std::fs::write(&targets[0].manifest, m.to_string()).expect("write");
        assert!(matches!(status(&targets[0]), Status::Broken(why) if why.contains("evil")));
    }

    #[test]
    fn firefox_cannot_take_a_user_data_dir() {
        assert!(matches!(
            targets(&[Browser::Firefox], Some(Path::new("/tmp"))),
            Err(InstallError::UserDataDirIsChromiumOnly)
        ));
    }
}
