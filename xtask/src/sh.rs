//! Small helpers for running programs and finding paths; every command run is echoed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// The cargo that runs xtask (rustup's, usually).
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// The workspace's target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Runs `cmd`, echoing it first; fails unless it exits 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    println!("  $ {}", display(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{}`", display(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", display(cmd));
    }
    Ok(())
}

/// The stdout of `cmd` when it starts and exits 0; `None` otherwise. Not echoed: for probes.
pub fn probe(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `name` on `PATH`, or in cargo's bin directory (where `cargo install` puts it).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin"));
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(cargo_bin)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// True when this process runs as root (no `sudo` needed).
pub fn is_root() -> bool {
    probe(Command::new("id").arg("-u")).is_some_and(|uid| uid.trim() == "0")
}

/// A short, stable fingerprint of some files' contents (FNV-1a), for "up to date" stamps.
pub fn fingerprint(paths: &[&Path]) -> Result<String> {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for path in paths {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        for b in bytes.iter().chain(b"\0") {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    Ok(format!("{hash:016x}"))
}

/// True when `stamp` holds `value`.
pub fn stamp_matches(stamp: &Path, value: &str) -> bool {
    std::fs::read_to_string(stamp).is_ok_and(|s| s.trim() == value)
}

/// A path relative to the workspace root, for messages.
pub fn rel(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A byte count as people read it.
pub fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / f64::from(1 << 10)),
        b => format!("{b} B"),
    }
}

/// The size of `path`, and of it gzipped (`gzip -9`), when gzip is there.
pub fn sizes(path: &Path) -> Result<(u64, Option<u64>)> {
    let raw = std::fs::metadata(path)
        .with_context(|| format!("{}", path.display()))?
        .len();
    let gz = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| o.stdout.len() as u64);
    Ok((raw, gz))
}

fn display(cmd: &Command) -> String {
    let mut s = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            let _ = write!(
                s,
                "{}={} ",
                key.to_string_lossy(),
                quote(&value.to_string_lossy())
            );
        }
    }
    s.push_str(&cmd.get_program().to_string_lossy());
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&quote(&arg.to_string_lossy()));
    }
    s
}

fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(2048), "2.0 KiB");
        assert_eq!(human(3 << 20), "3.0 MiB");
    }

    #[test]
    fn echo_quotes_what_a_shell_would_split() {
        let mut cmd = Command::new("cargo");
        cmd.env("RUSTFLAGS", "-C linker=rust-lld")
            .args(["build", "-p", "x"]);
        assert_eq!(
            display(&cmd),
            "RUSTFLAGS='-C linker=rust-lld' cargo build -p x"
        );
    }
}
