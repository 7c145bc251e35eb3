//! `cargo xtask build`: deps, the host binary, the extension's wasm, `dist/extension/`.

use std::process::Command;

use anyhow::{bail, Result};

use crate::{deps, dist, sh, wasm};

/// Options of `cargo xtask build`.
#[derive(Debug, Default)]
pub struct Options {
    /// Skip the host (someone else may be mid-way through changing it).
    pub extension_only: bool,
}

impl Options {
    /// Parses the arguments after `build`.
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut options = Options::default();
        for arg in args {
            match arg.as_str() {
                "--extension-only" => options.extension_only = true,
                other => {
                    bail!("`cargo xtask build` has no option `{other}` (try --extension-only)")
                }
            }
        }
        Ok(options)
    }
}

/// Runs the build; the last line printed says where the results are.
pub fn run(options: Options) -> Result<()> {
    deps::run()?;
    let host = sh::target_dir().join("release").join("roleport");
    if !options.extension_only {
        println!("building: host (release)");
        sh::run(Command::new(sh::cargo()).current_dir(sh::root()).args([
            "build",
            "--release",
            "-p",
            "roleport",
        ]))?;
    }
    let modules = wasm::build()?;
    let dir = dist::assemble(&modules)?;
    for built in &modules {
        let [raw, bound, _] = built.sizes;
        let (opt, opt_gz) = sh::sizes(&dir.join(built.module_name()))?;
        let (glue, glue_gz) = sh::sizes(&dir.join(built.glue_name()))?;
        let gz = |n: Option<u64>| {
            n.map(|n| format!(" ({} gzipped)", sh::human(n)))
                .unwrap_or_default()
        };
        println!(
            "sizes of {}: wasm {} from cargo → {} after wasm-bindgen → {} after wasm-opt{}; JS glue {}{}",
            built.name,
            sh::human(raw),
            sh::human(bound),
            sh::human(opt),
            gz(opt_gz),
            sh::human(glue),
            gz(glue_gz),
        );
    }
    let host_note = if options.extension_only {
        format!(
            "host not built (--extension-only; last build, if any, at {})",
            host.display()
        )
    } else {
        format!("host at {}", host.display())
    };
    println!(
        "done: extension in {} (load unpacked); {host_note}",
        dir.display()
    );
    Ok(())
}
