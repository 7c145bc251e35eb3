//! Runs a command where the test sign-in and console names resolve to 127.0.0.1 for every
//! process — the browsers *and* the host they start, which resolves names through the OS.
//!
//! A private mount namespace with its own `/etc/hosts` does that without touching the
//! machine's file; as a non-root user, `--map-root-user` makes the namespace possible.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::sh;

const HOSTS: &str =
    "127.0.0.1 localhost signin.fakeaws.test console.fakeaws.test idp.fakeaws.test\n::1 localhost\n";

/// `program args…` wrapped so that `*.fakeaws.test` names resolve locally.
pub fn with_test_hosts(program: &Path, args: &[&str]) -> Result<Command> {
    let hosts = sh::target_dir().join("fakeaws-hosts");
    std::fs::create_dir_all(sh::target_dir())?;
    std::fs::write(&hosts, HOSTS).with_context(|| format!("writing {}", hosts.display()))?;
    let mut cmd = Command::new("unshare");
    if !sh::is_root() {
        cmd.arg("--map-root-user");
    }
    cmd.args(["--mount", "--propagation", "private", "--", "sh", "-c"])
        .arg(r#"mount --bind "$0" /etc/hosts && exec "$@""#)
        .arg(&hosts)
        .arg(program)
        .args(args);
    Ok(cmd)
}

/// `program args…` in a private network namespace (only a loopback interface, brought up)
/// and a private mount namespace whose `/etc/hosts` is `hosts`: nothing it starts can reach
/// another machine, and the names in `hosts` resolve as that file says.
pub fn isolated(hosts: &Path, program: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("unshare");
    if !sh::is_root() {
        cmd.arg("--map-root-user");
    }
    cmd.args([
        "--net",
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
    ])
    .arg(r#"ip link set lo up && mount --bind "$0" /etc/hosts && exec "$@""#)
    .arg(hosts)
    .arg(program)
    .args(args);
    cmd
}
