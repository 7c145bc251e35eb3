//! `cargo xtask test`: every test, from a fresh machine: deps, build, lints, unit and host
//! integration tests, the emulator's own tests, end-to-end tests in real browsers, then
//! `bench --quick` so the benchmark harness keeps working.

use std::process::Command;

use anyhow::Result;

use crate::{bench, build, dist, fuzz, netns, sh};

/// `cmd` inside a throwaway D-Bus session with gnome-keyring unlocked, so the store's tests
/// use a real Secret Service (toolchain notes §9). gnome-keyring keeps its files in a fresh
/// directory under target/, never in the user's own keyring; `ROLEPORT_TEST_SECRET_SERVICE=1`
/// tells the tests that this session is theirs to use.
fn with_secret_service(cmd: &Command) -> Result<Command> {
    let data = sh::target_dir().join("test-keyring");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;
    let mut wrapped = Command::new("dbus-run-session");
    wrapped
        .args(["--", "sh", "-c"])
        .arg(concat!(
            r#"d="$1"; shift; "#,
            r#"eval "$(printf pw | XDG_DATA_HOME="$d" gnome-keyring-daemon --unlock --components=secrets)"; "#,
            r#"ROLEPORT_TEST_SECRET_SERVICE=1 exec "$@""#
        ))
        .arg("sh")
        .arg(&data)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    Ok(wrapped)
}

/// Runs every suite; stops at the first that fails.
pub fn run() -> Result<()> {
    build::run(build::Options::default())?;
    let root = sh::root();
    println!("test: web-ext lint on dist/extension/ (errors fail, warnings are reported)");
    sh::run(
        Command::new(root.join("tests/node_modules/.bin/web-ext"))
            .current_dir(&root)
            .args(["lint", "--no-input", "--source-dir"])
            .arg(dist::extension_dir()),
    )?;
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
    sh::run(&mut with_secret_service(
        cargo().args(["test", "--workspace"]),
    )?)?;
    println!("test: fuzz smoke, 10 s per target (`cargo xtask fuzz` runs longer)");
    fuzz::run(fuzz::Options { seconds: 10 })?;
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
    sh::run(&mut e2e)?;
    // Last: the benchmark harness still runs (few, small runs; no time is judged). It writes
    // target/bench/results-quick.md and leaves the committed bench/results.md alone.
    println!("test: cargo xtask bench --quick");
    bench::run(bench::Options { quick: true })
}
