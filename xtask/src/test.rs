//! `cargo xtask test`: every test, from a fresh machine: deps, build, lints, unit and host
//! integration tests, the emulator's own tests, then end-to-end tests in real browsers.

use std::process::Command;

use anyhow::Result;

use crate::{build, netns, sh};

/// Runs every suite; stops at the first that fails.
pub fn run() -> Result<()> {
    build::run(build::Options::default())?;
    let root = sh::root();
    let cargo = || {
        let mut c = Command::new(sh::cargo());
        c.current_dir(&root);
        c
    };
    println!("test: formatting");
    sh::run(cargo().args(["fmt", "--all", "--check"]))?;
    println!("test: clippy");
    sh::run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    println!("test: unit tests and host integration tests (against moto and the stubs)");
    sh::run(cargo().args(["test", "--workspace"]))?;
    println!("test: the emulator's own tests (boto3 against moto and the stubs)");
    sh::run(
        Command::new(root.join("tests/.venv/bin/python"))
            .current_dir(&root)
            .args(["-m", "pytest", "tests/aws", "-q"]),
    )?;
    println!("test: end-to-end in headless Chromium and Firefox ESR");
    let node = sh::find_program("node").unwrap_or_else(|| "node".into());
    let mut e2e = netns::with_test_hosts(
        &node,
        &[
            "--test",
            "--test-concurrency=1",
            "--test-reporter=spec",
            "tests/e2e/",
        ],
    )?;
    e2e.current_dir(&root).env("SE_OFFLINE", "true");
    sh::run(&mut e2e)
}
