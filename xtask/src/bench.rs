//! `cargo xtask bench [--quick]`: measures roleport and writes `bench/results.md`
//! (issue 8): the machine, the versions, the method, and min / median / max of every figure.
//!
//! - criterion micro-benchmarks (`host/benches/micro.rs`), folded from criterion's own files;
//! - the extension's payload (`dist/extension/`, built fresh);
//! - the real host driven over native messaging against the emulator
//!   (`host/benches/process.rs`): idle RSS, callgrind instruction counts, warm clicks, cold path;
//! - `roleport sso sync` of 1,000 accounts × 3 roles at the stub's 10 calls a second
//!   (`host/benches/discovery.rs`), against the floor that rate sets;
//! - the browsers (`tests/e2e/bench-browser.mjs`): the popup at 5,000 profiles in Chromium
//!   (open → interactive, per keystroke) and 10 accounts opened at once vs 1 in both browsers;
//! - beside the peers (`peers.rs`, `host/benches/peers.rs`): the cold path against awsume and
//!   aws-sso-util, and SSO discovery against `aws-sso-util roles`, over TLS on AWS's real names
//!   inside a private network namespace.
//!
//! `--quick` (the last step of `cargo xtask test`, so CI keeps the harness working) takes few
//! runs and small sections, fails when a section cannot run, and writes
//! `target/bench/results-quick.md`: the committed `bench/results.md` is the full run's.
//!
//! No figure is asserted: the file is for people to read and compare within one run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::{build, deps, dist, netns, peers, sh, wasm};

/// The criterion groups of `host/benches/micro.rs`, in the order the table shows them.
const GROUPS: &[&str] = &["profiles_5000", "signin_url", "frame_codec"];

/// The payload goal of issue 8, in bytes (gzipped): 120 KB, KB = 1,000 bytes as in the table.
const PAYLOAD_GOAL: u64 = 120_000;

/// Options of `cargo xtask bench`.
#[derive(Debug, Default)]
pub struct Options {
    /// Fewer and shorter runs: a smoke check that the harness still works (a few minutes once
    /// built), written under target/.
    pub quick: bool,
}

impl Options {
    /// Parses the arguments after `bench`.
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut options = Options::default();
        for arg in args {
            match arg.as_str() {
                "--quick" => options.quick = true,
                other => bail!("`cargo xtask bench` has no option `{other}` (try --quick)"),
            }
        }
        Ok(options)
    }
}

/// Runs every measurement and writes `bench/results.md`.
pub fn run(options: Options) -> Result<()> {
    let started = Instant::now();
    let load_start = load_average();
    let date =
        sh::probe(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])).unwrap_or_default();
    deps::run()?;

    println!("bench: extension payload (build, wasm-bindgen, wasm-opt)");
    let payload = payload();

    println!("bench: criterion micro-benchmarks (host/benches/micro.rs)");
    let micro = micro(options.quick)?;

    println!("bench: the host process against the emulator (host/benches/process.rs)");
    let process = harness("process", options.quick)?;

    println!("bench: SSO discovery against the rate-limited stub (host/benches/discovery.rs)");
    let discovery = harness("discovery", options.quick)?;

    println!("bench: the browsers (tests/e2e/bench-browser.mjs)");
    let browsers = section(options.quick, browsers(options.quick))?;

    println!("bench: beside the peers, over TLS in a private network namespace");
    let peers = section(options.quick, peers::run(options.quick))?;

    let load_end = load_average();
    let mut md = String::new();
    let mode = if options.quick {
        "`cargo xtask bench --quick` (few runs: a smoke check, not figures to quote)"
    } else {
        "`cargo xtask bench` (full)"
    };
    let _ = writeln!(md, "# roleport benchmarks\n");
    let _ = writeln!(
        md,
        "Written by {mode}, started {}, took {:.0} s (builds included). Regenerate with `cargo xtask bench` (full, \
         ~10 min once built) or `cargo xtask bench --quick`. Machines here are shared and noisy: \
         compare figures within one run, and trust instruction counts over times.\n",
        date.trim(),
        started.elapsed().as_secs_f64()
    );
    machine(&mut md, &load_start, &load_end);
    let _ = writeln!(md, "## Extension payload\n\n{payload}");
    let _ = writeln!(md, "## Micro-benchmarks (criterion)\n\n{micro}");
    let _ = writeln!(md, "## The host process\n\n{process}");
    let _ = writeln!(md, "## IAM Identity Center discovery\n\n{discovery}");
    let _ = writeln!(md, "## In the browsers\n\n{browsers}");
    let _ = writeln!(md, "## Beside the peers\n\n{peers}");

    let out = if options.quick {
        sh::target_dir().join("bench").join("results-quick.md")
    } else {
        sh::root().join("bench").join("results.md")
    };
    // Sections appended by hand (the fuzzing record) outlive a regeneration.
    if let Ok(old) = std::fs::read_to_string(&out) {
        if let Some(at) = old.find(KEPT) {
            md.push_str(&old[at..]);
        }
    }
    std::fs::create_dir_all(out.parent().expect("a parent"))?;
    std::fs::write(&out, md).with_context(|| format!("writing {}", out.display()))?;
    println!("done: {}", sh::rel(&out));
    Ok(())
}

/// Where the hand-written part of `bench/results.md` starts: kept as it is.
const KEPT: &str = "\n## Fuzzing\n";

/// A section's Markdown. Quick mode is CI's check that the harness works, so a section that
/// cannot run fails it; a full run by hand records why and goes on.
fn section(quick: bool, result: Result<String>) -> Result<String> {
    match result {
        Ok(md) => Ok(md),
        Err(e) if quick => Err(e),
        Err(e) => Ok(format!("Not measured: {e:#}\n")),
    }
}

fn machine(md: &mut String, load_start: &str, load_end: &str) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let version = |program: &str, arg: &str| {
        sh::probe(Command::new(program).arg(arg))
            .and_then(|s| s.lines().next().map(str::to_owned))
            .unwrap_or_else(|| "not found".into())
    };
    let roleport = sh::target_dir().join("release").join("roleport");
    let kernel = version("uname", "-r");
    let _ = writeln!(md, "## Machine and versions\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| CPU | {cpu} |");
    let _ = writeln!(md, "| cores (nproc) | {nproc} |");
    let _ = writeln!(md, "| kernel | {kernel} |");
    let _ = writeln!(
        md,
        "| load average (1, 5, 15 min) at start | {load_start} |"
    );
    let _ = writeln!(md, "| load average at end | {load_end} |");
    let _ = writeln!(md, "| rustc | {} |", version("rustc", "-V"));
    let _ = writeln!(
        md,
        "| roleport | {} (`cargo bench` profile = release) |",
        version(&roleport.to_string_lossy(), "--version")
    );
    let _ = writeln!(md, "| valgrind | {} |", version("valgrind", "--version"));
    let moto = sh::root().join("tests/.venv/bin/moto_server");
    let _ = writeln!(
        md,
        "| emulator | moto {} + roleport's sign-in stub (`tests/aws/awsemu.py`) |",
        sh::probe(
            Command::new(sh::root().join("tests/.venv/bin/python"))
                .args(["-c", "import moto; print(moto.__version__)"])
        )
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| format!("not found ({})", sh::rel(&moto)))
    );
    let version = |program: &str| {
        sh::probe(Command::new(program).arg("--version"))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| format!("{program}: not found"))
    };
    let _ = writeln!(
        md,
        "| browsers | {}; {} |\n",
        version("chromium"),
        version("firefox-esr")
    );
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(", "))
        .unwrap_or_else(|_| "unknown".into())
}

// ---- payload ----------------------------------------------------------------------------

/// A module's name, and its sizes from cargo, wasm-bindgen and wasm-opt when this run built it.
type Measured = (&'static str, Option<[u64; 3]>);

/// The payload table. A failed extension build (someone mid-change) does not stop the other
/// measurements: the table then says so and measures the `dist/extension/` already there.
fn payload() -> String {
    let fresh = wasm::build().and_then(|built| {
        let dir = dist::assemble(&built)?;
        Ok((dir, built.iter().map(|w| (w.name, Some(w.sizes))).collect()))
    });
    let (dir, modules, how): (_, Vec<Measured>, _) = match fresh {
        Ok((dir, modules)) => (
            dir,
            modules,
            "Built fresh by this run (`cargo xtask build --extension-only`'s steps: one module \
             per kind of page, each compiled with only that page's entry points; the profile \
             `wasm-release`: opt-level z, fat LTO, one codegen unit, panic=abort, and \
             panic=immediate-abort when std is built for it, as with Debian's rustc-web), then \
             measured."
                .to_owned(),
        ),
        Err(e) => {
            let dir = dist::extension_dir();
            let when = std::fs::metadata(dir.join("manifest.json"))
                .and_then(|m| m.modified())
                .map(humane_age)
                .unwrap_or_else(|_| "never".into());
            (
                dir,
                wasm::MODULES.iter().map(|m| (*m, None)).collect(),
                format!(
                    "**The extension did not build in this run** ({}), so these are the \
                     sizes of the `dist/extension/` already on disk (built {when}), not of the \
                     current source.",
                    format!("{e:#}").lines().next().unwrap_or_default()
                ),
            )
        }
    };
    match measure_payload(&dir, &modules, &how) {
        Ok(md) => md,
        Err(e) => format!("{how}\n\nNot measured: {e:#}\n"),
    }
}

fn humane_age(t: std::time::SystemTime) -> String {
    t.elapsed()
        .map(|d| format!("{} min before this run's report", d.as_secs() / 60))
        .unwrap_or_else(|_| "just now".into())
}

fn measure_payload(dir: &Path, modules: &[Measured], how: &str) -> Result<String> {
    let kb = |n: u64| format!("{:.1} KB", n as f64 / 1000.0);
    let gz = |n: Option<u64>| n.map_or_else(|| "gzip missing".into(), kb);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "{how} Sizes are deterministic for one build, so one figure each. gzip is `gzip -9`; \
         KB = 1,000 bytes.\n"
    );
    let _ = writeln!(
        md,
        "| module (loaded by) | wasm from cargo | after wasm-bindgen | **after wasm-opt -Oz** (shipped) | gzipped | JS glue | glue gzipped |\n\
         |---|---|---|---|---|---|---|"
    );
    let mut verdicts = Vec::new();
    for (name, sizes) in modules {
        let file = |suffix: &str| dir.join(format!("roleport_{name}{suffix}"));
        let (opt, opt_gz) = sh::sizes(&file("_bg.wasm"))?;
        let (glue, glue_gz) = sh::sizes(&file(".js"))?;
        let (raw, bound) = sizes.map_or(("".into(), "".into()), |[r, b, _]| (kb(r), kb(b)));
        let page = if *name == "background" {
            "bg.js".to_owned()
        } else {
            format!("{name}.html")
        };
        let _ = writeln!(
            md,
            "| `{name}` ({page}) | {raw} | {bound} | {} | {} | {} | {} |",
            kb(opt),
            gz(opt_gz),
            kb(glue),
            gz(glue_gz)
        );
        let n = opt_gz.unwrap_or(opt);
        verdicts.push(format!(
            "{name} {} ({})",
            kb(n),
            if n <= PAYLOAD_GOAL { "met" } else { "not met" }
        ));
    }
    let (mut total, mut total_gz, mut files) = (0, 0, 0);
    for file in files_under(dir)? {
        let (n, gz) = sh::sizes(&file)?;
        total += n;
        total_gz += gz.unwrap_or(n);
        files += 1;
    }
    let _ = writeln!(
        md,
        "\n**dist/extension/, all {files} files** (unpacked): {} raw, {} with each file gzipped.\n",
        kb(total),
        kb(total_gz)
    );
    let _ = writeln!(
        md,
        "Goal ≤ {} gzipped for the wasm a page loads: {}. The modules share the standard \
         library, serde and the wire types, so the whole extension is larger than any one of \
         them; a browser keeps each page's compiled module in its code cache.\n",
        kb(PAYLOAD_GOAL),
        verdicts.join(", ")
    );
    Ok(md)
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(files_under(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

// ---- criterion --------------------------------------------------------------------------

fn micro(quick: bool) -> Result<String> {
    let criterion = sh::target_dir().join("criterion");
    for group in GROUPS {
        let _ = std::fs::remove_dir_all(criterion.join(group));
    }
    let mut cmd = Command::new(sh::cargo());
    cmd.current_dir(sh::root())
        .args(["bench", "-p", "roleport", "--bench", "micro", "--"]);
    let settings = if quick {
        cmd.args([
            "--warm-up-time",
            "0.5",
            "--measurement-time",
            "1",
            "--sample-size",
            "10",
        ]);
        "warm-up 0.5 s, 10 samples over ~1 s"
    } else {
        cmd.args([
            "--warm-up-time",
            "2",
            "--measurement-time",
            "5",
            "--sample-size",
            "50",
        ]);
        "warm-up 2 s, 50 samples over ~5 s"
    };
    sh::run(&mut cmd)?;

    let mut md = String::new();
    let _ = writeln!(
        md,
        "`cargo bench -p roleport --bench micro` (criterion, {settings} per benchmark). Each \
         sample runs the routine many times; min / median / max are over the samples' \
         per-iteration times (`target/criterion/*/*/new/sample.json`), and criterion's own \
         median estimate is beside them (`new/estimates.json`). The 5,000 profiles are mostly \
         roles assumed from one set of keys, with role chains, `credential_process` and SSO \
         profiles mixed in (`host/benches/micro.rs`).\n"
    );
    let _ = writeln!(
        md,
        "| benchmark | min | median | max | samples | criterion median |\n|---|---|---|---|---|---|"
    );
    for group in GROUPS {
        let mut ids: Vec<PathBuf> = std::fs::read_dir(criterion.join(group))
            .with_context(|| format!("criterion wrote nothing for {group}"))?
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.join("new").is_dir())
            .collect();
        ids.sort();
        for id in ids {
            let name = format!(
                "{group}/{}",
                id.file_name().unwrap_or_default().to_string_lossy()
            );
            let new = id.join("new");
            let sample = std::fs::read_to_string(new.join("sample.json"))?;
            let estimates = std::fs::read_to_string(new.join("estimates.json"))?;
            let iters = number_array(&sample, "iters").context("sample.json: iters")?;
            let times = number_array(&sample, "times").context("sample.json: times")?;
            let mut per: Vec<f64> = iters.iter().zip(&times).map(|(i, t)| t / i).collect();
            per.sort_by(f64::total_cmp);
            let median = estimates
                .find("\"median\"")
                .and_then(|at| number_after(&estimates[at..], "\"point_estimate\":"))
                .context("estimates.json: median")?;
            let _ = writeln!(
                md,
                "| `{name}` | {} | {} | {} | {} | {} |",
                duration(per[0]),
                duration(median_of(&per)),
                duration(per[per.len() - 1]),
                per.len(),
                duration(median)
            );
        }
    }
    let _ = writeln!(
        md,
        "\n`signin_url/*` is `federation::plan_signin` (partition, region, regional hosts, \
         destination check) and `federation::destination` alone. The login URL itself is built \
         inside the async `signin_url`, after the getSigninToken call, so it has no benchmark \
         of its own; its cost is inside the warm-click figures below.\n"
    );
    Ok(md)
}

fn median_of(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// `ns` as people read it.
fn duration(ns: f64) -> String {
    match ns {
        n if n >= 1e6 => format!("{:.2} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.2} µs", n / 1e3),
        n => format!("{n:.0} ns"),
    }
}

/// The numbers of the JSON array `"key":[…]` in `json` (criterion's files; no JSON crate here).
fn number_array(json: &str, key: &str) -> Option<Vec<f64>> {
    let start = json.find(&format!("\"{key}\":["))? + key.len() + 4;
    let end = start + json[start..].find(']')?;
    json[start..end]
        .split(',')
        .map(|n| n.trim().parse().ok())
        .collect()
}

fn number_after(json: &str, marker: &str) -> Option<f64> {
    let start = json.find(marker)? + marker.len();
    let rest = json[start..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

// ---- the browsers ------------------------------------------------------------------------

/// Popup at 5,000 profiles and 10 opens vs 1: `tests/e2e/bench-browser.mjs` in real Chromium
/// and Firefox, with the release host, where `*.fakeaws.test` resolves locally.
fn browsers(quick: bool) -> Result<String> {
    build::run(build::Options::default())?;
    let out = sh::target_dir().join("bench").join("browsers.md");
    std::fs::create_dir_all(out.parent().expect("a parent"))?;
    let _ = std::fs::remove_file(&out);
    let node = sh::find_program("node").unwrap_or_else(|| "node".into());
    let mut cmd = netns::with_test_hosts(&node, &["tests/e2e/bench-browser.mjs"])?;
    cmd.current_dir(sh::root())
        .env("SE_OFFLINE", "true")
        .env("ROLEPORT_BENCH_OUT", &out)
        .env("BENCH_QUICK", if quick { "1" } else { "0" });
    sh::run(&mut cmd)?;
    std::fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))
}

// ---- the host process -------------------------------------------------------------------

/// One of the host's harness benches (`host/benches/NAME.rs`): the Markdown it writes.
fn harness(name: &str, quick: bool) -> Result<String> {
    let out = sh::target_dir().join("bench").join(format!("{name}.md"));
    std::fs::create_dir_all(out.parent().expect("a parent"))?;
    let _ = std::fs::remove_file(&out);
    let mut cmd = Command::new(sh::cargo());
    cmd.current_dir(sh::root())
        .env("ROLEPORT_BENCH_OUT", &out)
        .args(["bench", "-p", "roleport", "--bench", name, "--"]);
    if quick {
        cmd.arg("--quick");
    }
    sh::run(&mut cmd)?;
    std::fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_criterion_files() {
        let sample = r#"{"sampling_mode":"Linear","iters":[1.0,2.0],"times":[10.0,30.0]}"#;
        assert_eq!(number_array(sample, "iters"), Some(vec![1.0, 2.0]));
        assert_eq!(number_array(sample, "times"), Some(vec![10.0, 30.0]));
        let estimates = r#"{"mean":{"point_estimate":5.0},"median":{"confidence_interval":{"lower_bound":1.0},"point_estimate":2.5e3}}"#;
        let at = estimates.find("\"median\"").expect("median");
        assert_eq!(
            number_after(&estimates[at..], "\"point_estimate\":"),
            Some(2500.0)
        );
    }

    #[test]
    fn a_section_that_cannot_run_fails_quick_mode_and_is_recorded_in_a_full_run() {
        assert!(section(true, Err(anyhow::anyhow!("no venv"))).is_err());
        let full = section(false, Err(anyhow::anyhow!("no venv"))).expect("recorded");
        assert_eq!(full, "Not measured: no venv\n");
        assert_eq!(section(true, Ok("x".into())).expect("ok"), "x");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(512.0), "512 ns");
        assert_eq!(duration(2_500.0), "2.50 µs");
        assert_eq!(duration(3_000_000.0), "3.00 ms");
    }
}
