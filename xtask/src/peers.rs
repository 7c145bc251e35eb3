//! The peers section of `cargo xtask bench` (issue 8, items 2 and 5): roleport beside awsume
//! and aws-sso-util, on the same emulator, in one run (`host/benches/peers.rs`).
//!
//! The peers call AWS's real host names over HTTPS, so they are measured where those names
//! honestly lead to the emulator: a private network + mount namespace (`netns::isolated`:
//! loopback only, a private `/etc/hosts` mapping the names to 127.0.0.1), the emulator behind
//! TLS on 127.0.0.1:443 (`tests/aws/emu_tls.py`) with a throwaway CA made with openssl here,
//! which every tool is told to trust. No traffic can leave the machine.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{netns, sh};

/// The peers, pinned: the versions the notes measured (toolchain.md §8).
pub const PINS: &[&str] = &[
    "awsume==4.5.4",
    "awsume-console-plugin==1.2.4",
    "aws-sso-util==4.33.0",
];

/// Installs the peers (once), makes the CA, runs the harness in the namespace: its Markdown.
pub fn run(quick: bool) -> Result<String> {
    let dir = sh::target_dir().join("bench-peers");
    std::fs::create_dir_all(&dir)?;
    let venv = venv(&dir)?;
    let root = sh::root();
    let python = root.join("tests/.venv/bin/python");

    println!("bench: a throwaway CA and certificate for AWS's names (openssl)");
    let made = Command::new(&python)
        .arg(root.join("tests/aws/emu_tls.py"))
        .arg(dir.join("ca"))
        .output()
        .context("running tests/aws/emu_tls.py")?;
    if !made.status.success() {
        bail!(
            "making the CA failed: {}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
    let made = String::from_utf8_lossy(&made.stdout).into_owned();
    let field = |kind: &str| {
        made.lines()
            .find_map(|l| l.strip_prefix(kind).and_then(|r| r.strip_prefix(' ')))
            .map(str::to_owned)
            .with_context(|| format!("emu_tls.py printed no `{kind}`"))
    };
    let hosts = dir.join("hosts");
    std::fs::write(
        &hosts,
        format!("127.0.0.1 localhost {}\n::1 localhost\n", field("names")?),
    )?;

    // Built outside the namespace, run inside it (cargo then finds it up to date).
    let bench = ["bench", "-p", "roleport", "--bench", "peers"];
    sh::run(
        Command::new(sh::cargo())
            .current_dir(&root)
            .args(bench)
            .arg("--no-run"),
    )?;
    let out = sh::target_dir().join("bench").join("peers.md");
    std::fs::create_dir_all(out.parent().expect("a parent"))?;
    let _ = std::fs::remove_file(&out);
    let mut args: Vec<&str> = bench.to_vec();
    args.insert(1, "--offline");
    args.push("--");
    if quick {
        args.push("--quick");
    }
    let mut cmd = netns::isolated(&hosts, Path::new(&sh::cargo()), &args);
    cmd.current_dir(&root)
        .env("ROLEPORT_BENCH_OUT", &out)
        .env("PEERS_VENV", &venv)
        .env("PEERS_CA", field("ca")?)
        .env("PEERS_CERT", field("cert")?)
        .env("PEERS_KEY", field("key")?);
    sh::run(&mut cmd)?;
    let md = std::fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))?;
    Ok(format!("{}{md}", versions(&venv)))
}

/// `target/bench-peers/venv` with the pinned peers (never `tests/.venv`); reused while the
/// pins are the same.
fn venv(dir: &Path) -> Result<PathBuf> {
    let venv = dir.join("venv");
    let marker = venv.join("roleport-pins.txt");
    let want = PINS.join("\n");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(want.as_str()) {
        return Ok(venv);
    }
    println!(
        "bench: installing the peers in {} ({})",
        sh::rel(&venv),
        PINS.join(", ")
    );
    let _ = std::fs::remove_dir_all(&venv);
    let python = sh::find_program("python3").unwrap_or_else(|| "python3".into());
    sh::run(Command::new(python).args(["-m", "venv"]).arg(&venv))?;
    sh::run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(PINS),
    )?;
    std::fs::write(&marker, want)?;
    Ok(venv)
}

/// The versions in the venv, as a line for the report.
fn versions(venv: &Path) -> String {
    let listed = sh::probe(Command::new(venv.join("bin/pip")).args([
        "list",
        "--format=freeze",
        "--disable-pip-version-check",
    ]))
    .unwrap_or_default();
    let of = |name: &str| {
        listed
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}==")))
            .unwrap_or("?")
            .to_owned()
    };
    format!(
        "Peers installed by the bench in `target/bench-peers/venv` ({}): awsume {}, \
         awsume-console-plugin {}, aws-sso-util {} (aws-sso-lib {}), with boto3 {} / botocore {} \
         and requests {} as pip resolved them.\n\n",
        PINS.join(", "),
        of("awsume"),
        of("awsume-console-plugin"),
        of("aws-sso-util"),
        of("aws-sso-lib"),
        of("boto3"),
        of("botocore"),
        of("requests")
    )
}
