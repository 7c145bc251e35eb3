//! The OS keyring through the `keyring` crate: Secret Service (D-Bus) on Linux, the Keychain
//! on macOS, Credential Manager on Windows. One item per (service, user); the value is text.

use zeroize::Zeroizing;

use super::StoreError;

/// What the keyring is called in messages.
pub(crate) const NAME: &str = if cfg!(target_os = "macos") {
    "the macOS Keychain"
} else if cfg!(windows) {
    "Windows Credential Manager"
} else {
    "the Secret Service keyring"
};

/// `Ok` when a keyring answers; otherwise why not. Never starts a D-Bus daemon: without a
/// session bus it answers "unavailable" at once.
pub(crate) fn probe(service: &str) -> Result<(), String> {
    session_bus()?;
    match get(service, "roleport-probe") {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(target_os = "linux")]
fn session_bus() -> Result<(), String> {
    // libdbus would otherwise try X11 autolaunch, starting a bus nobody will stop.
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty()) {
        return Ok(());
    }
    let runtime_bus = std::env::var_os("XDG_RUNTIME_DIR")
        .map(|d| std::path::Path::new(&d).join("bus"))
        .filter(|bus| bus.exists());
    match runtime_bus {
        Some(_) => Ok(()),
        None => Err("no D-Bus session, DBUS_SESSION_BUS_ADDRESS is unset".into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn session_bus() -> Result<(), String> {
    Ok(())
}

#[cfg(any(target_os = "linux", target_os = "macos", windows))]
mod imp {
    use zeroize::Zeroize;

    use super::*;

    fn entry(service: &str, user: &str) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(service, user).map_err(|e| failure(user, e))
    }

    /// The text stored under (service, user), if any.
    pub(crate) fn get(service: &str, user: &str) -> Result<Option<Zeroizing<String>>, StoreError> {
        match entry(service, user)?.get_password() {
            Ok(value) => Ok(Some(Zeroizing::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(failure(user, e)),
        }
    }

    /// Stores `value` under (service, user), replacing what was there.
    pub(crate) fn set(service: &str, user: &str, value: &str) -> Result<(), StoreError> {
        entry(service, user)?
            .set_password(value)
            .map_err(|e| failure(user, e))
    }

    /// Deletes (service, user); `false` when there was nothing.
    pub(crate) fn delete(service: &str, user: &str) -> Result<bool, StoreError> {
        match entry(service, user)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(failure(user, e)),
        }
    }

    /// The error, without ever carrying a secret: `BadEncoding` holds the stored bytes.
    fn failure(user: &str, e: keyring::Error) -> StoreError {
        let detail = match e {
            keyring::Error::BadEncoding(mut bytes) => {
                bytes.zeroize();
                "the stored item is not text".to_owned()
            }
            keyring::Error::Ambiguous(items) => {
                format!("{} items match; remove the extra ones", items.len())
            }
            keyring::Error::NoStorageAccess(inner) => format!("no access: {inner}"),
            other => other.to_string(),
        };
        StoreError::Keyring {
            item: user.to_owned(),
            detail,
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
mod imp {
    use super::*;

    fn unsupported(user: &str) -> StoreError {
        StoreError::Keyring {
            item: user.to_owned(),
            detail: "this platform has no keyring roleport can use".into(),
        }
    }

    pub(crate) fn get(_: &str, user: &str) -> Result<Option<Zeroizing<String>>, StoreError> {
        Err(unsupported(user))
    }

    pub(crate) fn set(_: &str, user: &str, _: &str) -> Result<(), StoreError> {
        Err(unsupported(user))
    }

    pub(crate) fn delete(_: &str, user: &str) -> Result<bool, StoreError> {
        Err(unsupported(user))
    }
}

pub(crate) use imp::{delete, get, set};
