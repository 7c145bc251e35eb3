//! `cargo xtask deps`: installs what a fresh Debian 12 machine lacks, and nothing twice.
//!
//! Each step prints `ok: …` when there is nothing to do, `installing: …` when it acts and
//! `skip: …` when it cannot apply yet.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Result};

use crate::sh;

/// Debian packages the build and the tests need.
const APT_PACKAGES: &[&str] = &[
    "chromium",
    "firefox-esr",
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "lld-22",
    "gnome-keyring",
    "dbus",
    "dbus-x11",
    "libsecret-tools",
    "python3-venv",
    "pkg-config",
    // `cargo xtask bench`: instruction counts per request (callgrind).
    "valgrind",
    // The TLS front's throwaway CA (tests/aws/emu_tls.py) and the peers' private network
    // namespace (`ip link set lo up`): present on most machines, not on a minimal one.
    "openssl",
    "iproute2",
];

/// The wasm-bindgen CLI must match the `wasm-bindgen` crate pinned in extension/Cargo.toml.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
const GECKODRIVER_VERSION: &str = "0.37.1";
/// `cargo xtask fuzz` (libFuzzer through cargo-fuzz, run on stable with RUSTC_BOOTSTRAP=1).
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Runs every step.
pub fn run() -> Result<()> {
    println!("deps: checking what this machine needs");
    apt()?;
    cargo_tool(
        "wasm-bindgen",
        "wasm-bindgen-cli",
        WASM_BINDGEN_VERSION,
        false,
    )?;
    cargo_tool("geckodriver", "geckodriver", GECKODRIVER_VERSION, true)?;
    cargo_tool("cargo-fuzz", "cargo-fuzz", CARGO_FUZZ_VERSION, true)?;
    npm()?;
    python_venv()?;
    Ok(())
}

fn apt() -> Result<()> {
    let mut missing = Vec::new();
    for package in APT_PACKAGES {
        if apt_installed(package) {
            println!("ok: {package} already installed");
        } else {
            missing.push(*package);
        }
    }
    // Node may come from Debian or from NodeSource; either is fine as long as npm is there.
    if sh::find_program("npm").is_some() {
        println!("ok: node and npm already installed");
    } else {
        missing.extend(["nodejs", "npm"]);
    }
    if missing.is_empty() {
        return Ok(());
    }
    println!("installing: {} (apt-get)", missing.join(" "));
    sh::run(apt_get().arg("update"))?;
    sh::run(apt_get().args(["install", "-y"]).args(&missing))
}

fn apt_installed(package: &str) -> bool {
    sh::probe(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
        .is_some_and(|status| status.trim() == "install ok installed")
}

fn apt_get() -> Command {
    let mut cmd = if sh::is_root() {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    cmd.env("DEBIAN_FRONTEND", "noninteractive");
    cmd
}

/// `cargo install` of a pinned version, unless `program --version` already shows it.
fn cargo_tool(program: &str, krate: &str, version: &str, locked: bool) -> Result<()> {
    let found = sh::find_program(program)
        .and_then(|path| sh::probe(Command::new(path).arg("--version")))
        .unwrap_or_default();
    if found.split_whitespace().take(2).any(|word| word == version) {
        println!("ok: {program} {version} already installed");
        return Ok(());
    }
    println!("installing: {krate} {version} (cargo install)");
    let mut cmd = Command::new(sh::cargo());
    cmd.args(["install", krate, "--version", version]);
    // wasm-bindgen-cli's lock names a crate version the registry no longer serves.
    if locked {
        cmd.arg("--locked");
    }
    sh::run(&mut cmd)
}

fn npm() -> Result<()> {
    let tests = sh::root().join("tests");
    let lock = tests.join("package-lock.json");
    if !lock.is_file() {
        bail!("tests/package-lock.json is missing: run `npm install` in tests/ and commit it");
    }
    let stamp = tests.join("node_modules").join(".roleport-stamp");
    let wanted = sh::fingerprint(&[&tests.join("package.json"), &lock])?;
    if sh::stamp_matches(&stamp, &wanted) {
        println!("ok: tests/node_modules up to date with package-lock.json");
        return Ok(());
    }
    println!("installing: tests/node_modules (npm ci)");
    sh::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&tests),
    )?;
    std::fs::write(stamp, wanted)?;
    Ok(())
}

fn python_venv() -> Result<()> {
    let tests = sh::root().join("tests");
    let requirements = tests.join("aws").join("requirements.txt");
    if !requirements.is_file() {
        println!("skip: tests/aws/requirements.txt does not exist yet, so no Python venv");
        return Ok(());
    }
    let venv = tests.join(".venv");
    let python: PathBuf = venv.join("bin").join("python");
    if !python.is_file() {
        println!("installing: Python venv at tests/.venv");
        sh::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    let stamp = venv.join(".roleport-stamp");
    let wanted = sh::fingerprint(&[&requirements])?;
    if sh::stamp_matches(&stamp, &wanted) {
        println!("ok: tests/.venv up to date with tests/aws/requirements.txt");
        return Ok(());
    }
    println!("installing: tests/aws/requirements.txt into tests/.venv (pip)");
    sh::run(
        Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check", "-r"])
            .arg(&requirements),
    )?;
    std::fs::write(stamp, wanted)?;
    Ok(())
}
