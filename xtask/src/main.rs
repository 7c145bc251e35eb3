//! `cargo xtask`: roleport's only build scripts (the alias lives in `.cargo/config.toml`).
//!
//! One module per task; `main` only dispatches. Every task prints each step it takes, so a CI
//! log says what was installed, built and where the result is.

mod bench;
mod build;
mod demo;
mod deps;
mod dist;
mod fuzz;
mod netns;
mod peers;
mod sh;
mod test;
mod wasm;

use std::process::ExitCode;

use anyhow::{bail, Result};

const HELP: &str = "\
cargo xtask <task> [options]

tasks:
  deps                     install what is missing (apt packages, wasm-bindgen, geckodriver,
                           tests/node_modules, tests/.venv); idempotent
  build [--extension-only] deps, then the host (target/release/roleport) and the extension
                           (dist/extension/); --extension-only skips the host
  test                     build, then every test: fmt, clippy, unit, host integration against
                           moto, the emulator's own tests, end-to-end in Chromium and Firefox
  demo [--browser firefox] [--emulator] [--headless]
                           build, then roleport in a real browser (the local AWS emulator
                           unless you have an AWS config; screenshots in dist/demo/ when headless)
  screenshots              build, then the popup in Chromium and Firefox, light and dark,
                           into docs/screenshots/
  bench [--quick]          measure (criterion, payload, host RSS, callgrind, clicks against the
                           emulator, browsers, beside awsume and aws-sso-util) and write
                           bench/results.md; --quick: few runs, a smoke check, written to
                           target/bench/results-quick.md
  fuzz [--seconds N]       each cargo-fuzz target (fuzz/) for N seconds (default 60): executions
                           and result; needs cargo-fuzz (`cargo xtask deps`)
  help                     this text
";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<()> {
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("help", &[][..]),
    };
    match task {
        "deps" => {
            no_options(task, rest)?;
            deps::run()
        }
        "build" => build::run(build::Options::parse(rest)?),
        "test" => {
            no_options(task, rest)?;
            test::run()
        }
        "demo" => demo::run(rest),
        "bench" => bench::run(bench::Options::parse(rest)?),
        "fuzz" => fuzz::run(fuzz::Options::parse(rest)?),
        "screenshots" => {
            no_options(task, rest)?;
            demo::screenshots()
        }
        "help" | "-h" | "--help" => {
            print!("{HELP}");
            Ok(())
        }
        other => bail!("unknown task `{other}`\n\n{HELP}"),
    }
}

fn no_options(task: &str, rest: &[String]) -> Result<()> {
    if let Some(extra) = rest.first() {
        bail!("`cargo xtask {task}` takes no option `{extra}`");
    }
    Ok(())
}
