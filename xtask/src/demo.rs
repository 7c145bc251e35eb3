//! `cargo xtask demo`: builds everything and shows roleport in a real browser, against the
//! local AWS emulator unless you have an AWS config (see tests/e2e/demo.mjs).

use anyhow::{bail, Result};

use crate::{build, netns, sh};

/// Runs the demo with the given options (`--browser chromium|firefox`, `--emulator`, `--headless`).
pub fn run(args: &[String]) -> Result<()> {
    for arg in args {
        match arg.as_str() {
            "--emulator" | "--headless" | "--browser" | "chromium" | "firefox" => {}
            other => bail!("`cargo xtask demo` has no option `{other}` (try --browser firefox, --emulator, --headless)"),
        }
    }
    build::run(build::Options::default())?;
    let node = sh::find_program("node").unwrap_or_else(|| "node".into());
    let mut script = vec!["tests/e2e/demo.mjs"];
    script.extend(args.iter().map(String::as_str));
    let mut cmd = netns::with_test_hosts(&node, &script)?;
    cmd.current_dir(sh::root()).env("SE_OFFLINE", "true");
    sh::run(&mut cmd)
}

/// `cargo xtask screenshots`: the popup in both browsers and both themes, into
/// `docs/screenshots/` (tests/e2e/screenshots.mjs).
pub fn screenshots() -> Result<()> {
    build::run(build::Options::default())?;
    let node = sh::find_program("node").unwrap_or_else(|| "node".into());
    let mut cmd = netns::with_test_hosts(&node, &["tests/e2e/screenshots.mjs"])?;
    cmd.current_dir(sh::root()).env("SE_OFFLINE", "true");
    sh::run(&mut cmd)
}
