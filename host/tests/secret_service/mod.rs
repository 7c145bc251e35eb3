//! A real Secret Service for tests: gnome-keyring, unlocked, in a throwaway D-Bus session.
//!
//! `cargo xtask test` runs the cargo test step inside `dbus-run-session` with gnome-keyring
//! unlocked and sets `ROLEPORT_TEST_SECRET_SERVICE=1`: tests then use that session directly.
//! Run any other way (`cargo test -p roleport --test store_keyring`), a test re-runs itself
//! inside a session of its own, with gnome-keyring's files in a temporary directory, so a
//! developer's own keyring is never touched. Either way each test uses a store directory of
//! its own, hence keyring items under a service name of its own, and removes them.
#![allow(dead_code)] // each test binary uses a different part

use std::process::Command;

/// Set (to 1) where the session bus is a throwaway one with an unlocked gnome-keyring.
pub const MARKER: &str = "ROLEPORT_TEST_SECRET_SERVICE";

const SCRIPT: &str = r#"d="$1"; shift
eval "$(printf pw | XDG_DATA_HOME="$d" gnome-keyring-daemon --unlock --components=secrets)"
exec "$@""#;

/// True when this process is inside a test session.
pub fn here() -> bool {
    std::env::var_os(MARKER).is_some()
}

/// Runs `body` where a Secret Service answers: in this process when it is inside a test
/// session, otherwise in a re-run of the test `name` (its full path, as libtest prints it)
/// inside a new session. Panics with the child's output when the re-run fails.
pub fn run(name: &str, body: impl FnOnce()) {
    if here() {
        assert!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "{MARKER} is set but there is no D-Bus session"
        );
        body();
        return;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let data = tempfile::tempdir().expect("tempdir for gnome-keyring");
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", SCRIPT, "sh"])
        .arg(data.path())
        .arg(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(MARKER, "1")
        .output()
        .expect("dbus-run-session must be installed: run `cargo xtask deps`");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "`{name}` inside a private Secret Service session failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}

/// The secret stored under these attributes, read with libsecret's own `secret-tool`:
/// proof that an item really is in the Secret Service, independent of roleport's code.
pub fn secret_tool_lookup(service: &str, user: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", user])
        .output()
        .expect("secret-tool must be installed: run `cargo xtask deps`");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
