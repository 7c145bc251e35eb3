//! roleport beside the tools people use today, on the same emulator, in one run (issue 8,
//! items 2 and 5): the cold path against `awsumepy PROFILE -cl` (awsume + awsume-console-plugin)
//! and, for an IAM Identity Center role, against `aws-sso-util console launch`; SSO discovery
//! (`roleport sso sync --full`) against `aws-sso-util roles` on the same rate-limited org.
//!
//! Must run inside `cargo xtask bench`'s private network + mount namespace: there AWS's real
//! STS, sign-in and Identity Center names resolve to 127.0.0.1, where the emulator listens
//! behind TLS (`tests/aws/emu_tls.py`) with a throwaway CA every tool is told to trust. No tool
//! gets an endpoint variable: each reaches the emulator through the names it calls in
//! production. Not a test: no time is asserted.
//!
//! Environment (set by `xtask/src/peers.rs`): `ROLEPORT_BENCH_OUT` (the Markdown),
//! `PEERS_VENV` (the venv with the peers), `PEERS_CA`, `PEERS_CERT`, `PEERS_KEY`.
#![allow(clippy::unwrap_used)] // a benchmark harness: a failure should stop it loudly

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Instant;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_roleport");
const START_URL: &str = "https://d-1234567890.awsapps.com/start";
const SSO_ACCOUNT: &str = "100000000002";
const SSO_ROLE: &str = "AdministratorAccess";
const RATE: f64 = 10.0;
/// The pause before each timed cold run ([`interleaved`]).
const SETTLE: std::time::Duration = std::time::Duration::from_millis(250);

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (runs, accounts, sync_runs) = if quick { (3, 30, 1) } else { (21, 1000, 2) };
    let out = PathBuf::from(std::env::var("ROLEPORT_BENCH_OUT").unwrap());
    let venv = PathBuf::from(std::env::var("PEERS_VENV").unwrap());
    let ca = std::env::var("PEERS_CA").unwrap();
    let aws = Emulator::start();
    let mut md = String::new();
    let home = Home::new(&aws, &ca, &venv);

    eprintln!("peers bench: logging in to IAM Identity Center once (shared token cache)");
    home.sso_login(&aws);

    eprintln!("peers bench: cold paths");
    let case = |label: &str, argv: Vec<String>| (label.to_owned(), argv);
    let pairs = [
        (
            case(
                "`roleport url prod`",
                vec![BIN.into(), "url".into(), "prod".into()],
            ),
            case(
                "`awsumepy prod -cl` (awsume 4.5.4 + awsume-console-plugin 1.2.4)",
                vec![home.venv("awsumepy"), "prod".into(), "-cl".into()],
            ),
        ),
        (
            case(
                "`roleport url sso-admin` (IAM Identity Center role)",
                vec![BIN.into(), "url".into(), "sso-admin".into()],
            ),
            case(
                "`aws-sso-util console launch --print --no-open` (4.33.0), same role",
                vec![
                    home.venv("aws-sso-util"),
                    "console".into(),
                    "launch".into(),
                    "-u".into(),
                    START_URL.into(),
                    "--sso-region".into(),
                    "us-east-1".into(),
                    "-a".into(),
                    SSO_ACCOUNT.into(),
                    "-r".into(),
                    SSO_ROLE.into(),
                    "--region".into(),
                    "us-east-1".into(),
                    "--print".into(),
                    "--no-open".into(),
                ],
            ),
        ),
    ];
    let mut rows = String::new();
    let mut ratios = Vec::new();
    for (ours, peer) in &pairs {
        let [ours_wall, peer_wall] = interleaved(&aws, &home, [ours, peer], runs, &mut rows);
        let pairwise: Vec<f64> = (peer_wall.iter().zip(&ours_wall))
            .map(|(p, o)| p / o)
            .collect();
        ratios.push((median(&pairwise), median(&peer_wall) / median(&ours_wall)));
    }
    let _ = writeln!(
        md,
        "Each tool run as a fresh process, {runs} times after one untimed run, inside a private \
         network + mount namespace (only loopback exists; a private `/etc/hosts` maps \
         `sts.amazonaws.com`, `sts.<region>.amazonaws.com`, `signin.aws.amazon.com`, \
         `<region>.signin.aws.amazon.com`, `portal.sso.us-east-1.amazonaws.com` and \
         `oidc.us-east-1.amazonaws.com` to 127.0.0.1). There the emulator (moto + the sign-in \
         and Identity Center stubs) answers behind TLS on 127.0.0.1:443 \
         (`tests/aws/emu_tls.py`, routing by the TLS server name) with a certificate from a \
         throwaway CA made with openssl, and every tool is told to trust that CA only: \
         `SSL_CERT_FILE` (roleport's HTTP clients, which use the OS trust store, and awsume's \
         `urllib`), `AWS_CA_BUNDLE` (botocore), `REQUESTS_CA_BUNDLE` (aws-sso-util's \
         `requests`), `CURL_CA_BUNDLE`. No tool gets an endpoint variable: each calls the host \
         names it calls against AWS. roleport and its peer take turns, run by run (roleport, \
         peer, peer, roleport, …), so a change in the machine's speed during the run moves \
         both alike; the ratio is taken pair by pair. Both SSO tools use the same cached Identity Center \
         login (`~/.aws/sso/cache/`, the AWS CLI's format); aws-sso-util's role-credential \
         cache (`~/.aws/cli/cache/`) is emptied before each run so every run is cold. Round \
         trips are counted by the emulator (moto's recorder, the sign-in stub's and the \
         Identity Center stub's request logs).\n"
    );
    let _ = writeln!(
        md,
        "| command | min | median | max | runs | round trips per run |\n|---|---|---|---|---|---|"
    );
    md.push_str(&rows);
    let _ = writeln!(
        md,
        "\n- roleport is **{:.1}×** faster than awsume, and **{:.1}×** faster than aws-sso-util \
         for the same Identity Center role (the median of the {runs} pairs' ratios; median \
         against median: {:.1}× and {:.1}×). Goal: ≥ 20×.\n",
        ratios[0].0, ratios[1].0, ratios[0].1, ratios[1].1
    );

    eprintln!("peers bench: SSO discovery, {accounts} accounts");
    discovery(&mut md, &aws, &home, accounts, sync_runs);
    std::fs::write(&out, md).unwrap();
    eprintln!("peers bench: wrote {}", out.display());
}

/// Runs two commands in turn, `runs` times each after one untimed run of each (every tool's
/// files are then in the page cache), alternating which goes first; adds a table row for
/// each and gives their wall times in ms, run by run.
fn interleaved(
    aws: &Emulator,
    home: &Home,
    commands: [&(String, Vec<String>); 2],
    runs: usize,
    rows: &mut String,
) -> [Vec<f64>; 2] {
    let mut wall = [Vec::new(), Vec::new()];
    let mut trips = [0usize; 2];
    for (_, argv) in commands {
        home.run(argv, true);
    }
    for i in 0..runs {
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for k in order {
            // The emulator and the kernel finish with the last run (its exit, its connections
            // closing) before the next starts: without this pause a run after a peer's pays
            // for the peer's tear-down.
            std::thread::sleep(SETTLE);
            let before = aws.round_trips();
            let t0 = Instant::now();
            home.run(&commands[k].1, false);
            wall[k].push(t0.elapsed().as_secs_f64() * 1e3);
            trips[k] += aws.round_trips() - before;
        }
    }
    for k in 0..2 {
        let per_run = trips[k] as f64 / runs as f64;
        let _ = writeln!(
            rows,
            "| {} | {} | {per_run:.1} |",
            commands[k].0,
            mmm(&wall[k])
        );
    }
    wall
}

fn discovery(md: &mut String, aws: &Emulator, home: &Home, accounts: usize, runs: usize) {
    aws.control("POST", &format!("seed?accounts={accounts}&roles=3"));
    aws.control("POST", &format!("settings?rate_limit={RATE}"));
    let roleport = vec![
        BIN.to_owned(),
        "sso".into(),
        "sync".into(),
        "sso-admin".into(),
        "--full".into(),
        "--json".into(),
    ];
    let peer = vec![
        home.venv("aws-sso-util"),
        "roles".into(),
        "-u".into(),
        START_URL.into(),
        "--sso-region".into(),
        "us-east-1".into(),
    ];
    let mut rows = String::new();
    for (label, argv) in [
        ("`roleport sso sync --full`", &roleport),
        ("`aws-sso-util roles` (4.33.0)", &peer),
    ] {
        let (mut wall, mut calls, mut throttled, mut failed) = (Vec::new(), 0, 0, 0);
        for _ in 0..runs {
            let seen = aws.sso_requests().len();
            let t0 = Instant::now();
            let output = home.output(argv);
            wall.push(t0.elapsed().as_secs_f64());
            let requests = aws.sso_requests();
            let portal: Vec<&Value> = requests[seen..]
                .iter()
                .filter(|r| {
                    matches!(
                        r["operation"].as_str(),
                        Some("ListAccounts" | "ListAccountRoles")
                    )
                })
                .collect();
            calls += portal.len();
            throttled += portal.iter().filter(|r| r["status"] == 429).count();
            failed += usize::from(!output.status.success());
        }
        let floor = (calls - throttled) as f64 / runs as f64 / RATE;
        let med = median(&wall);
        let _ = writeln!(
            rows,
            "| {label} | {:.1} s | {med:.1} s | {:.1} s | {runs} | {} | {} | {failed} | {:.2}× |",
            min(&wall),
            max(&wall),
            calls / runs,
            throttled / runs,
            med / floor
        );
    }
    let _ = writeln!(
        md,
        "### SSO discovery beside aws-sso-util\n\nThe same organisation ({accounts} accounts × 3 \
         roles, the Identity Center stub limited to {RATE:.0} portal calls a second per token, \
         429 above it) listed by both tools over TLS in the namespace above, with the same \
         login. Calls and throttled calls (429, each retried by the tool) are counted by the \
         stub, per run; a failed run is one that exited non-zero (an account or page given \
         up). The floor is the answered calls ÷ the rate.\n"
    );
    let _ = writeln!(
        md,
        "| command | min | median | max | runs | calls | throttled | failed runs | median ÷ floor |\n|---|---|---|---|---|---|---|---|---|"
    );
    md.push_str(&rows);
    md.push('\n');
}

// ---- a HOME both kinds of tool share --------------------------------------------------------

struct Home {
    dir: tempfile::TempDir,
    ca: String,
    venv: PathBuf,
}

impl Home {
    fn new(aws: &Emulator, ca: &str, venv: &Path) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let aws_dir = dir.path().join(".aws");
        std::fs::create_dir_all(&aws_dir).unwrap();
        let config = format!(
            "[profile alice]\nregion = eu-west-1\n\n\
             [profile prod]\nrole_arn = {prod}\nsource_profile = alice\nregion = eu-west-1\n\n\
             [profile sso-admin]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n\
             sso_account_id = {SSO_ACCOUNT}\nsso_role_name = {SSO_ROLE}\nregion = us-east-1\n",
            prod = aws.info["roles"]["prod"].as_str().unwrap(),
        );
        std::fs::write(aws_dir.join("config"), config).unwrap();
        std::fs::write(
            aws_dir.join("credentials"),
            format!(
                "[alice]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                aws.info["user"]["access_key_id"].as_str().unwrap(),
                aws.info["user"]["secret_access_key"].as_str().unwrap()
            ),
        )
        .unwrap();
        Home {
            dir,
            ca: ca.to_owned(),
            venv: venv.to_path_buf(),
        }
    }

    fn venv(&self, program: &str) -> String {
        self.venv.join("bin").join(program).display().to_string()
    }

    /// `argv` with the bare environment of a terminal, trusting only the throwaway CA.
    fn command(&self, argv: &[String]) -> Command {
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .env_clear()
            .env("HOME", self.dir.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LANG", "C.UTF-8")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("ROLEPORT_RUNTIME_DIR", self.dir.path().join("run"))
            .env("BROWSER", "/bin/true")
            .stdin(Stdio::null());
        for var in [
            "SSL_CERT_FILE",
            "REQUESTS_CA_BUNDLE",
            "AWS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
        ] {
            cmd.env(var, &self.ca);
        }
        cmd
    }

    fn output(&self, argv: &[String]) -> Output {
        // aws-sso-util keeps role credentials here; a cold run starts without them.
        let _ = std::fs::remove_dir_all(self.dir.path().join(".aws/cli/cache"));
        self.command(argv).output().unwrap()
    }

    /// One run that must print a sign-in URL (stdout or stderr, as each tool does).
    fn run(&self, argv: &[String], first: bool) {
        let out = self.output(argv);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && text.contains("SigninToken="),
            "{} failed{}: {text}",
            argv.join(" "),
            if first { " on its first run" } else { "" }
        );
    }

    /// `roleport sso login sso-admin`, approved at the stub: the token both tools then read.
    fn sso_login(&self, aws: &Emulator) {
        let mut child = self
            .command(&[BIN.into(), "sso".into(), "login".into(), "sso-admin".into()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            assert!(
                stderr.read_line(&mut line).unwrap() > 0,
                "roleport sso login ended early: {seen}"
            );
            seen.push_str(&line);
            if seen.contains("the code\n\n") && !line.trim().is_empty() {
                aws.control("POST", &format!("approve?user_code={}", line.trim()));
                break;
            }
        }
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).unwrap();
        assert!(child.wait().unwrap().success(), "{seen}{rest}");
    }
}

// ---- the emulator behind TLS ----------------------------------------------------------------

struct Emulator {
    child: Child,
    info: Value,
}

impl Emulator {
    fn start() -> Emulator {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut child = Command::new(repo.join("tests/.venv/bin/python"))
            .arg(repo.join("tests/aws/awsemu.py"))
            .args(["--seed", "demo", "--log-level", "WARNING"])
            .arg("--tls-cert")
            .arg(std::env::var("PEERS_CERT").unwrap())
            .arg("--tls-key")
            .arg(std::env::var("PEERS_KEY").unwrap())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info = serde_json::from_str(&line).unwrap();
        Emulator { child, info }
    }

    fn port_of(&self, key: &str) -> u16 {
        let url = url::Url::parse(self.info[key].as_str().unwrap()).unwrap();
        url.port().unwrap()
    }

    /// Requests every backend has answered so far, less the stubs' own calls to moto.
    fn round_trips(&self) -> usize {
        let moto = http(
            "GET",
            self.port_of("moto"),
            "/moto-api/recorder/download-recording",
        );
        let moto = moto
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.contains("awsemu-federation-stub"))
            .count();
        let port = self.info["port"].as_u64().unwrap() as u16;
        let stub: Value = serde_json::from_str(&http("GET", port, "/_stub/requests")).unwrap();
        moto + stub["requests"].as_array().map_or(0, Vec::len) + self.sso_requests().len()
    }

    fn sso_requests(&self) -> Vec<Value> {
        let v = self.control("GET", "requests");
        v["requests"].as_array().cloned().unwrap_or_default()
    }

    fn control(&self, method: &str, route: &str) -> Value {
        let body = http(method, self.port_of("sso"), &format!("/_sso/{route}"));
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{route}: {e}: {body}"))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal plain HTTP/1.1 request to 127.0.0.1:PORT; the body.
fn http(method: &str, port: u16, target: &str) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw);
    raw.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

// ---- figures ----------------------------------------------------------------------------------

fn sorted(v: &[f64]) -> Vec<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

fn median(v: &[f64]) -> f64 {
    let v = sorted(v);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn min(v: &[f64]) -> f64 {
    sorted(v)[0]
}

fn max(v: &[f64]) -> f64 {
    sorted(v)[v.len() - 1]
}

fn mmm(v: &[f64]) -> String {
    format!(
        "{:.1} ms | {:.1} ms | {:.1} ms | {}",
        min(v),
        median(v),
        max(v),
        v.len()
    )
}
