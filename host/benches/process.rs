//! The real `roleport` binary, started the way a browser starts it and spoken to in
//! native-messaging frames (issue 8, items 1, 2 and 7):
//!
//! - **idle RSS** of a host after `hello`, and after `list_profiles` over 5,000 profiles;
//! - **instructions per request** (`valgrind --tool=callgrind`): whole-process totals for
//!   stdin scripts that differ by one request, so the difference is that request's cost;
//! - **warm click**: one host kept running, N `open_console` against the emulator (moto +
//!   sign-in stub): wall time, host CPU (every thread's `schedstat` run time, and
//!   `/proc/PID/stat` utime+stime as a cross-check), and network round trips counted by the
//!   emulator itself (the stub's `/_stub/requests`, moto's request recorder);
//! - **cold path**: `roleport url PROFILE` as a fresh process each time, against the same emulator.
//!
//! Not a test: it asserts no time. `cargo xtask bench` runs it (`--quick` for fewer runs) and
//! puts the Markdown it writes to `$ROLEPORT_BENCH_OUT` into bench/results.md.
#![allow(clippy::unwrap_used)] // a benchmark harness: a failure should stop it loudly

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ORIGIN: &str = "chrome-extension://jlpkhfceigfphociodglhbfijhdeajmi/";
const BIN: &str = env!("CARGO_BIN_EXE_roleport");

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // cargo bench passes `--bench`; ours is `--quick`.
    let quick = args.iter().any(|a| a == "--quick");
    let out = std::env::var_os("ROLEPORT_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("process.md"));
    let runs = Runs::new(quick);
    let mut md = String::new();
    let emulator = Emulator::start();
    eprintln!("process bench: idle RSS");
    idle_rss(&mut md, &runs);
    eprintln!("process bench: warm clicks");
    warm_click(&mut md, &runs, &emulator);
    eprintln!("process bench: cold path");
    cold_path(&mut md, &runs, &emulator);
    eprintln!("process bench: callgrind");
    callgrind(&mut md, &runs, &emulator);
    std::fs::write(&out, md).unwrap();
    eprintln!("process bench: wrote {}", out.display());
}

struct Runs {
    rss: usize,
    clicks: usize,
    cold: usize,
    callgrind: usize,
}

impl Runs {
    fn new(quick: bool) -> Runs {
        if quick {
            Runs {
                rss: 3,
                clicks: 5,
                cold: 3,
                callgrind: 1,
            }
        } else {
            Runs {
                rss: 10,
                clicks: 30,
                cold: 15,
                callgrind: 3,
            }
        }
    }
}

/// min / median / max of `values`, formatted by `f`.
fn mmm(values: &[f64], f: impl Fn(f64) -> String) -> String {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let median = if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    };
    format!(
        "{} | {} | {} | {}",
        f(v[0]),
        f(median),
        f(v[v.len() - 1]),
        v.len()
    )
}

fn ms(x: f64) -> String {
    format!("{x:.2} ms")
}

fn mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

fn count(x: f64) -> String {
    // Thousands separators, as people read instruction counts.
    let n = x.round() as i64;
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

// ---- configs --------------------------------------------------------------------------

/// A throwaway HOME with `~/.aws/{config,credentials}`.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(config: &str, credentials: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let aws = dir.path().join(".aws");
        std::fs::create_dir_all(&aws).unwrap();
        std::fs::write(aws.join("config"), config).unwrap();
        std::fs::write(aws.join("credentials"), credentials).unwrap();
        Home { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The bare environment a browser may give its host, plus `vars`.
    fn command(&self, program: &str, vars: &[(&str, String)]) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("HOME", self.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("ROLEPORT_RUNTIME_DIR", self.path().join("run"))
            .envs(vars.iter().map(|(k, v)| (*k, v.as_str())));
        cmd
    }
}

/// The 5,000-profile config of the micro-benchmarks, in short: roles from one set of keys.
fn big_config() -> (String, String) {
    let mut config = String::from("[profile base]\nregion = eu-west-1\n\n");
    for i in 0..5_000_u64 {
        let _ = write!(
            config,
            "[profile acct-{i:04}]\nrole_arn = arn:aws:iam::{}:role/Admin\nsource_profile = base\nregion = eu-west-1\n\n",
            100_000_000_000 + i * 7
        );
    }
    let credentials =
        "[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
    (config, credentials.to_owned())
}

/// alice's keys and the emulator's `prod` role, as a person would write them.
fn emulator_config(emu: &Emulator) -> (String, String) {
    let config = format!(
        "[profile alice]\nregion = eu-west-1\n\n[profile prod]\nrole_arn = {}\nsource_profile = alice\nregion = eu-west-1\n",
        emu.info["roles"]["prod"].as_str().unwrap()
    );
    let credentials = format!(
        "[alice]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        emu.info["user"]["access_key_id"].as_str().unwrap(),
        emu.info["user"]["secret_access_key"].as_str().unwrap()
    );
    (config, credentials)
}

// ---- a host over native messaging ------------------------------------------------------

struct Host {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
}

impl Host {
    fn spawn(home: &Home, vars: &[(&str, String)]) -> Host {
        let mut child = home
            .command(BIN, vars)
            .arg(ORIGIN)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        Host {
            child,
            stdin,
            stdout,
        }
    }

    fn request(&mut self, id: u64, kind: &str, fields: Value) -> Value {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(&frame(id, kind, fields)).unwrap();
        stdin.flush().unwrap();
        let mut len = [0u8; 4];
        self.stdout.read_exact(&mut len).unwrap();
        let mut body = vec![0u8; u32::from_ne_bytes(len) as usize];
        self.stdout.read_exact(&mut body).unwrap();
        let reply: Value = serde_json::from_slice(&body).unwrap();
        assert!(reply.get("ok").is_some(), "{kind} failed: {reply}");
        reply
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn finish(mut self) {
        self.stdin.take();
        let _ = self.child.wait();
    }
}

fn frame(id: u64, kind: &str, fields: Value) -> Vec<u8> {
    let mut msg = json!({"v": 1, "id": id, "type": kind});
    if let (Some(m), Some(f)) = (msg.as_object_mut(), fields.as_object()) {
        m.extend(f.clone());
    }
    let body = serde_json::to_vec(&msg).unwrap();
    let mut out = (body.len() as u32).to_ne_bytes().to_vec();
    out.extend(body);
    out
}

fn hello() -> Value {
    json!({"client": "roleport-extension", "version": "bench"})
}

fn status_kib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// CPU time of every live thread of `pid`, in ns (`/proc/PID/task/*/schedstat`).
fn thread_cpu_ns(pid: u32) -> f64 {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .sum()
}

/// utime + stime of the whole process (dead threads included), in clock ticks.
fn stat_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn clock_ticks() -> f64 {
    let out = Command::new("getconf").arg("CLK_TCK").output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(100.0)
}

// ---- 1. idle RSS ------------------------------------------------------------------------

fn idle_rss(md: &mut String, runs: &Runs) {
    let small = Home::new(
        "[profile work]\nregion = eu-west-1\n\n[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/Admin\nsource_profile = work\n",
        "[work]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n",
    );
    let (config, credentials) = big_config();
    let big = Home::new(&config, &credentials);
    let (mut after_hello, mut after_list, mut hwm) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs.rss {
        let mut host = Host::spawn(&small, &[]);
        host.request(1, "hello", hello());
        std::thread::sleep(Duration::from_millis(200));
        after_hello.push(status_kib(host.pid(), "VmRSS:"));
        host.finish();

        let mut host = Host::spawn(&big, &[]);
        host.request(1, "hello", hello());
        host.request(2, "list_profiles", json!({}));
        std::thread::sleep(Duration::from_millis(200));
        after_list.push(status_kib(host.pid(), "VmRSS:"));
        hwm.push(status_kib(host.pid(), "VmHWM:"));
        host.finish();
    }
    let _ = writeln!(md, "### Host footprint: resident memory\n");
    let _ = writeln!(
        md,
        "A fresh host per run, started as Chromium starts it (`roleport {ORIGIN}`, bare \
         environment); `VmRSS` from `/proc/PID/status` 200 ms after the reply.\n"
    );
    let _ = writeln!(
        md,
        "| figure | min | median | max | runs |\n|---|---|---|---|---|"
    );
    let _ = writeln!(
        md,
        "| idle RSS after `hello` (2 profiles) | {} |",
        mmm(&after_hello, mib)
    );
    let _ = writeln!(
        md,
        "| RSS after `list_profiles` of 5,000 profiles | {} |",
        mmm(&after_list, mib)
    );
    let _ = writeln!(
        md,
        "| peak RSS (`VmHWM`) for that `list_profiles` | {} |\n",
        mmm(&hwm, mib)
    );
}

// ---- 2. warm click ------------------------------------------------------------------------

fn warm_click(md: &mut String, runs: &Runs, emu: &Emulator) {
    let (config, credentials) = emulator_config(emu);
    let home = Home::new(&config, &credentials);
    let mut host = Host::spawn(&home, &emu.host_vars());
    let pid = host.pid();
    host.request(1, "hello", hello());
    // One open first: the HTTP clients' connection pools and lazy set-up are then warm.
    host.request(2, "open_console", json!({"profile": "prod"}));
    let (stub0, moto0) = (emu.stub_requests(), emu.moto_requests());
    let ticks0 = stat_ticks(pid);
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for i in 0..runs.clicks {
        let cpu0 = thread_cpu_ns(pid);
        let t0 = Instant::now();
        let reply = host.request(10 + i as u64, "open_console", json!({"profile": "prod"}));
        wall.push(t0.elapsed().as_secs_f64() * 1e3);
        cpu.push((thread_cpu_ns(pid) - cpu0) / 1e6);
        assert!(reply["ok"]["url"]
            .as_str()
            .unwrap()
            .contains("SigninToken="));
    }
    let ticks = stat_ticks(pid) - ticks0;
    let stub = emu.stub_requests() - stub0;
    let moto = emu.moto_requests() - moto0;
    host.finish();
    let n = runs.clicks as f64;
    let per_click_ticks_ms = ticks as f64 * 1e3 / clock_ticks() / n;
    let _ = writeln!(md, "### Warm click → sign-in URL\n");
    let _ = writeln!(
        md,
        "One host kept running (as the browser keeps it while its port is open), one \
         `open_console` for the emulator's `prod` role (keys → AssumeRole → getSigninToken) \
         before measuring, then {} more, one at a time. Wall time is from writing the request \
         frame to reading the reply frame; host CPU is the change in the run time of all the \
         host's threads (`/proc/PID/task/*/schedstat`). Round trips are counted by the \
         emulator: the sign-in stub's `/_stub/requests` and moto's request recorder (less the \
         stub's own GetCallerIdentity checks).\n",
        runs.clicks
    );
    let _ = writeln!(
        md,
        "| figure | min | median | max | runs |\n|---|---|---|---|---|"
    );
    let _ = writeln!(md, "| wall time per click | {} |", mmm(&wall, ms));
    let _ = writeln!(md, "| host CPU per click | {} |\n", mmm(&cpu, ms));
    let _ = writeln!(
        md,
        "- Cross-check: `/proc/PID/stat` utime+stime over all {} clicks: {ticks} ticks = \
         {per_click_ticks_ms:.2} ms per click (10 ms resolution).",
        runs.clicks
    );
    let _ = writeln!(
        md,
        "- Network round trips per click: **{:.1}** ({} to moto STS, {} to the sign-in stub, \
         over {} clicks). Goal: 1.",
        (stub + moto) as f64 / n,
        moto,
        stub,
        runs.clicks
    );
    let median_cpu = {
        let mut v = cpu.clone();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let trips = (stub + moto) as f64 / n;
    let verdict = |ok: bool| if ok { "met" } else { "not met" };
    let _ = writeln!(
        md,
        "- Versus the goal: one round trip ({}: {trips:.1}), < 2 ms host CPU ({}: {} median). \
         A warm host parses the AWS files again only when they changed, and keeps the role's \
         console credentials in memory (`host/src/credentials/cache.rs`), so a warm click \
         calls only getSigninToken; the first click (left out) made the AssumeRole.\n",
        verdict(trips <= 1.0),
        verdict(median_cpu < 2.0),
        ms(median_cpu)
    );
}

// ---- 3. cold path -------------------------------------------------------------------------

fn cold_path(md: &mut String, runs: &Runs, emu: &Emulator) {
    let (config, credentials) = emulator_config(emu);
    let home = Home::new(&config, &credentials);
    let mut wall = Vec::new();
    for _ in 0..runs.cold {
        let t0 = Instant::now();
        let out = home
            .command(BIN, &emu.host_vars())
            .args(["url", "prod"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .unwrap();
        wall.push(t0.elapsed().as_secs_f64() * 1e3);
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("SigninToken="),
            "roleport url prod failed"
        );
    }
    let _ = writeln!(md, "### Cold path: `roleport url prod`\n");
    let _ = writeln!(
        md,
        "A fresh process per run: spawn + config + store check + AssumeRole + getSigninToken \
         against the same emulator (2 round trips), until exit.\n"
    );
    let _ = writeln!(
        md,
        "| figure | min | median | max | runs |\n|---|---|---|---|---|"
    );
    let _ = writeln!(
        md,
        "| `roleport url prod` wall time | {} |\n",
        mmm(&wall, ms)
    );
}

// ---- 4. callgrind -------------------------------------------------------------------------

/// Total instructions of one host run fed `script` on stdin, under callgrind.
fn instructions(home: &Home, vars: &[(&str, String)], script: &[u8]) -> Option<f64> {
    let out = home.path().join("callgrind.out");
    let _ = std::fs::remove_file(&out);
    let mut child = home
        .command("valgrind", vars)
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(BIN)
        .arg(ORIGIN)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take().unwrap().write_all(script).unwrap();
    child.wait().ok()?;
    let text = std::fs::read_to_string(&out).ok()?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
}

/// A request to count: its label, the HOME and environment of the host, and the stdin
/// scripts without and with it.
type Case<'a> = (&'a str, &'a Home, &'a [(&'a str, String)], Vec<u8>, Vec<u8>);

fn callgrind(md: &mut String, runs: &Runs, emu: &Emulator) {
    let _ = writeln!(
        md,
        "### Host footprint: instructions per request (callgrind)\n"
    );
    if Command::new("valgrind").arg("--version").output().is_err() {
        let _ = writeln!(
            md,
            "valgrind is not installed (`cargo xtask deps` installs it): not measured.\n"
        );
        return;
    }
    let small = Home::new(
        "[profile work]\nregion = eu-west-1\n\n[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/Admin\nsource_profile = work\n",
        "[work]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n",
    );
    let (config, credentials) = big_config();
    let big = Home::new(&config, &credentials);
    let (config, credentials) = emulator_config(emu);
    let live = Home::new(&config, &credentials);
    let h = frame(1, "hello", hello());
    let list = frame(2, "list_profiles", json!({}));
    let open = frame(3, "open_console", json!({"profile": "prod"}));
    let cat = |parts: &[&Vec<u8>]| {
        parts
            .iter()
            .flat_map(|p| p.iter().copied())
            .collect::<Vec<u8>>()
    };
    let vars = emu.host_vars();
    // (label, home, env, script without the request, script with it)
    let cases: Vec<Case> = vec![
        ("`hello`", &small, &[], Vec::new(), cat(&[&h])),
        (
            "`list_profiles` (2 profiles)",
            &small,
            &[],
            cat(&[&h]),
            cat(&[&h, &list]),
        ),
        (
            "`list_profiles` (5,000 profiles)",
            &big,
            &[],
            cat(&[&h]),
            cat(&[&h, &list]),
        ),
        (
            "`open_console` against the emulator",
            &live,
            &vars,
            cat(&[&h]),
            cat(&[&h, &open]),
        ),
    ];
    let mut startup = Vec::new();
    let mut rows = String::new();
    for (label, home, vars, before, after) in &cases {
        let mut deltas = Vec::new();
        for _ in 0..runs.callgrind {
            let (Some(a), Some(b)) = (
                instructions(home, vars, before),
                instructions(home, vars, after),
            ) else {
                continue;
            };
            if before.is_empty() {
                startup.push(a);
            }
            deltas.push(b - a);
        }
        if deltas.is_empty() {
            let _ = writeln!(rows, "| {label} | not measured (callgrind failed) | | | |");
        } else {
            let _ = writeln!(rows, "| {label} | {} |", mmm(&deltas, count));
        }
    }
    let _ = writeln!(
        md,
        "`valgrind --tool=callgrind` counts every instruction the host runs (all threads). \
         Each figure is the difference between two whole runs whose stdin differs by that one \
         request (stdin then closes, the host answers and exits), so start-up and shut-down \
         cancel out. Counts, not seconds: they do not move with the machine's load. \
         `open_console` includes the HTTP client's first use: connection set-up, and reading \
         the OS trust store once (~18 M instructions here; the SDK and the sign-in share the \
         client); its count moves a little with timing (polling while waiting for the \
         emulator).\n"
    );
    let _ = writeln!(
        md,
        "| request | min | median | max | runs |\n|---|---|---|---|---|"
    );
    if !startup.is_empty() {
        let _ = writeln!(
            md,
            "| start-up + shut-down, no request | {} |",
            mmm(&startup, count)
        );
    }
    md.push_str(&rows);
    md.push('\n');
}

// ---- the emulator -------------------------------------------------------------------------

struct Emulator {
    child: Child,
    info: Value,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

impl Emulator {
    fn start() -> Emulator {
        let python = repo().join("tests/.venv/bin/python");
        assert!(
            python.exists(),
            "no tests/.venv: run `cargo xtask deps` first"
        );
        let mut child = Command::new(python)
            .arg(repo().join("tests/aws/awsemu.py"))
            .args([
                "--seed",
                "demo",
                "--signin-host",
                "127.0.0.1",
                "--console-host",
                "127.0.0.1",
            ])
            .args(["--log-level", "WARNING"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info = serde_json::from_str(&line).unwrap();
        Emulator { child, info }
    }

    fn get(&self, key: &str) -> String {
        self.info[key].as_str().unwrap().to_owned()
    }

    fn host_vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL_STS", self.get("moto")),
            ("ROLEPORT_SIGNIN_URL", self.get("signin")),
            ("ROLEPORT_CONSOLE_URL", self.get("console")),
        ]
    }

    /// Requests the sign-in stub has seen so far.
    fn stub_requests(&self) -> u64 {
        let body = http_get(&format!(
            "http://127.0.0.1:{}/_stub/requests",
            self.info["port"]
        ));
        let v: Value = serde_json::from_str(&body).unwrap();
        v["requests"].as_array().map_or(0, |a| a.len() as u64)
    }

    /// Requests moto has recorded so far, less the sign-in stub's own checks.
    fn moto_requests(&self) -> u64 {
        let body = http_get(&format!(
            "{}/moto-api/recorder/download-recording",
            self.get("moto")
        ));
        body.lines()
            .filter(|l| !l.trim().is_empty() && !l.contains("awsemu-federation-stub"))
            .count() as u64
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 GET; the body.
fn http_get(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    let addr = format!(
        "{}:{}",
        url.host_str().unwrap(),
        url.port_or_known_default().unwrap()
    );
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw);
    raw.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}
