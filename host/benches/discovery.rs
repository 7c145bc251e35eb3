//! SSO discovery at organisation scale (issue 8, item 5): `roleport sso sync` of 1,000
//! accounts × 3 roles against the IAM Identity Center stub limited to 10 portal calls a
//! second per token (429 above it), timed against the floor the limit sets (calls ÷ rate),
//! with the calls, throttles and failed accounts the stub and roleport count.
//!
//! Not a test: it asserts no time. `cargo xtask bench` runs it (`--quick`: 50 accounts, one
//! run) and puts the Markdown it writes to `$ROLEPORT_BENCH_OUT` into bench/results.md.
#![allow(clippy::unwrap_used)] // a benchmark harness: a failure should stop it loudly

#[path = "../tests/support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;
use support::emulator::Emulator;
use support::sso_home::{approve, control, Home};

const RATE: f64 = 10.0;
const ROLES: usize = 3;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (accounts, runs) = if quick { (50, 1) } else { (1000, 3) };
    let out = std::env::var_os("ROLEPORT_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("discovery.md"));
    let aws = Emulator::start();
    control(
        &aws,
        "POST",
        &format!("seed?accounts={accounts}&roles={ROLES}"),
    );
    let home = Home::new();
    let (ok, stderr) = home.login(&aws, "my-sso", |code| approve(&aws, code));
    assert!(ok, "{stderr}");
    control(&aws, "POST", &format!("settings?rate_limit={RATE}"));

    let mut full = Vec::new();
    let mut last = Value::Null;
    for run in 0..runs {
        eprintln!("discovery bench: full sync {} of {runs}", run + 1);
        let (secs, result) = sync(&aws, &home, &["my-sso", "--full"]);
        full.push(secs);
        last = result;
    }
    eprintln!("discovery bench: incremental sync");
    let (again, incremental) = sync(&aws, &home, &["my-sso"]);

    let login = &last["logins"][0];
    let calls = login["calls"].as_f64().unwrap_or(0.0);
    let throttled = login["throttled"].as_f64().unwrap_or(0.0);
    // The calls a sync cannot do without: each answered one (a throttled call is a retry).
    let floor = (calls - throttled) / RATE;
    full.sort_by(f64::total_cmp);
    let median = full[full.len() / 2];
    let mut md = String::new();
    let _ = writeln!(
        md,
        "`roleport sso sync my-sso --full` against the stub (`tests/aws/emu_sso.py`) seeded with \
         {accounts} accounts × {ROLES} roles and limited to {RATE:.0} portal calls a second per \
         token (`host/benches/discovery.rs`). The floor is the answered calls of the last run \
         divided by the rate: no client can list the same pages faster without being \
         throttled.\n"
    );
    let _ = writeln!(
        md,
        "| figure | min | median | max | runs |\n|---|---|---|---|---|"
    );
    let _ = writeln!(
        md,
        "| full sync, wall time | {:.1} s | {median:.1} s | {:.1} s | {runs} |",
        full[0],
        full[full.len() - 1]
    );
    let _ = writeln!(md, "| second sync (nothing stale), wall time | {again:.2} s | {again:.2} s | {again:.2} s | 1 |\n");
    let _ = writeln!(
        md,
        "- Last full run: {} accounts, {} roles, {calls:.0} portal calls, {} throttled (each \
         retried), **{} failed accounts**; floor {floor:.1} s, so the median is **{:.2}× the floor**.",
        login["accounts"],
        login["roles"],
        login["throttled"],
        login["failed"].as_array().map_or(0, Vec::len),
        median / floor
    );
    let _ = writeln!(
        md,
        "- The second sync lists the accounts again ({} calls) and reads no roles ({} accounts \
         read).",
        incremental["logins"][0]["calls"], incremental["logins"][0]["refreshed"]
    );
    let _ = writeln!(
        md,
        "- The same organisation listed by `aws-sso-util roles` is in *Beside the peers* below.\n"
    );
    std::fs::write(&out, md).unwrap();
    eprintln!("discovery bench: wrote {}", out.display());
}

/// One `roleport sso sync ARGS --json`: seconds and its JSON result.
fn sync(aws: &Emulator, home: &Home, args: &[&str]) -> (f64, Value) {
    let mut all = vec!["sso", "sync"];
    all.extend_from_slice(args);
    all.push("--json");
    let started = Instant::now();
    let out = home.run(aws, &all);
    let secs = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (secs, serde_json::from_slice(&out.stdout).unwrap())
}
