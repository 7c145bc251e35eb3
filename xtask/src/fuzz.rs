//! `cargo xtask fuzz [--seconds N]`: each cargo-fuzz target in `fuzz/` for N seconds.
//!
//! The machine's toolchain is stable; cargo-fuzz needs `-Z` flags, so the build runs with
//! `RUSTC_BOOTSTRAP=1`. No sanitizer (`-s none`): roleport forbids `unsafe`, panics and
//! failed assertions are what the targets hunt, and AddressSanitizer would halve the rate.
//! Debug assertions (overflow checks) stay on. New inputs go to `target/fuzz-corpus/`, never
//! into the committed seeds; a crash is left in `fuzz/artifacts/<target>/`.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::sh;

/// The targets in `fuzz/fuzz_targets/`, in the order they run.
pub const TARGETS: &[&str] = &["frame_decoder", "request_parser", "config_resolver"];

/// `cargo xtask fuzz`'s options.
pub struct Options {
    /// Seconds of fuzzing per target.
    pub seconds: u64,
}

impl Options {
    /// Parses `[--seconds N]`.
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut options = Options { seconds: 60 };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--seconds" => {
                    let n = args.next().context("`--seconds` needs a number")?;
                    options.seconds = n
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .with_context(|| format!("`--seconds {n}`: not a positive number"))?;
                }
                other => bail!("`cargo xtask fuzz` takes no option `{other}`"),
            }
        }
        Ok(options)
    }
}

fn cargo_fuzz() -> Command {
    let mut cmd = Command::new(sh::cargo());
    cmd.current_dir(sh::root().join("fuzz"))
        .env("RUSTC_BOOTSTRAP", "1")
        .arg("fuzz");
    cmd
}

/// Builds every target, then runs each for `options.seconds`; fails at the first crash.
pub fn run(options: Options) -> Result<()> {
    if sh::find_program("cargo-fuzz").is_none() {
        bail!("cargo-fuzz is not installed: run `cargo xtask deps`");
    }
    println!("fuzz: building the targets (libFuzzer, no sanitizer, debug assertions)");
    sh::run(cargo_fuzz().args(["build", "-s", "none", "--debug-assertions"]))?;
    let mut total = 0;
    for target in TARGETS {
        let work = sh::target_dir().join("fuzz-corpus").join(target);
        std::fs::create_dir_all(&work)?;
        let seeds = sh::root().join("fuzz").join("corpus").join(target);
        println!("fuzz: {target} for {} s", options.seconds);
        let mut cmd = cargo_fuzz();
        cmd.args(["run", "-s", "none", "--debug-assertions", target])
            .arg(&work)
            .arg(&seeds)
            .arg("--")
            .arg(format!("-max_total_time={}", options.seconds))
            .args(["-timeout=10", "-print_final_stats=1"]);
        println!("  $ {cmd:?}");
        let out = cmd
            .output()
            .with_context(|| format!("could not start cargo fuzz for {target}"))?;
        let log = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            for line in tail.into_iter().rev() {
                eprintln!("  {line}");
            }
            bail!(
                "fuzz target {target} failed ({}): the input is in fuzz/artifacts/{target}/; \
                 reproduce with `RUSTC_BOOTSTRAP=1 cargo fuzz run -s none {target} <file>` in fuzz/",
                out.status
            );
        }
        let execs = stat(&log, "stat::number_of_executed_units:")
            .context("libFuzzer printed no execution count")?;
        total += execs;
        println!(
            "fuzz: {target}: {execs} executions in {} s ({} inputs in its corpus), no crash",
            options.seconds,
            std::fs::read_dir(&work)?.count()
        );
    }
    println!("fuzz: {total} executions in all, no crash");
    Ok(())
}

/// The number after `key` in libFuzzer's final stats.
fn stat(log: &str, key: &str) -> Option<u64> {
    log.lines()
        .find_map(|line| line.trim().strip_prefix(key))
        .and_then(|n| n.trim().parse().ok())
}
