//! Another local user against the host's socket for `roleport open`, played by a real second
//! account (created here) through `setpriv`: the 0700 runtime directory keeps it out, and
//! with the directory and socket opened up on purpose the peer-uid check still drops it
//! before a byte is read. Needs root, as CI has, to create the user and switch to it.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::HostEnv;

const INTRUDER: &str = "roleport-intruder";

const CONFIG: &str = "
[profile prod]
role_arn = arn:aws:iam::111111111111:role/Admin
credential_process = /bin/false
";

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The second user's uid, creating the account if needed.
fn intruder_uid() -> String {
    let id = |name: &str| Command::new("id").args(["-u", name]).output();
    if !id(INTRUDER).is_ok_and(|o| o.status.success()) {
        let made = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                INTRUDER,
            ])
            .status()
            .expect("run useradd");
        assert!(made.success(), "useradd {INTRUDER} failed");
    }
    let out = id(INTRUDER).expect("id");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Runs `program args` as the second user, with no supplementary groups.
fn as_intruder(uid: &str, program: &str, args: &[&str]) -> Output {
    Command::new("setpriv")
        .args(["--reuid", uid, "--regid", uid, "--clear-groups", "--"])
        .arg(program)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("run setpriv")
}

/// A Python client (the system's python3, not roleport) that connects to `socket`, sends a
/// `hello` frame and prints what it got back: `refused: …` when it cannot connect, else the
/// number of reply bytes before the host hung up.
fn probe(uid: &str, socket: &Path) -> String {
    let script = r#"
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("refused:", type(e).__name__); sys.exit(0)
body = b'{"v":1,"id":1,"type":"hello","client":"intruder","version":"0"}'
try:
    s.sendall(struct.pack("=I", len(body)) + body)
except OSError:
    pass
got = b""
s.settimeout(10)
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
except OSError:
    pass
print("reply bytes:", len(got))
"#;
    let out = as_intruder(
        uid,
        "python3",
        &["-c", script, &socket.display().to_string()],
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    )
}

fn socket_in(dir: &Path, pid: u32) -> PathBuf {
    let path = dir.join(format!("firefox-{pid}.sock"));
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end && !path.exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        path.exists(),
        "the host never listened on {}",
        path.display()
    );
    path
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn another_user_can_neither_reach_the_socket_nor_pass_the_peer_check() {
    // Creating a user and switching to it needs root; `.ci/run` runs as root. Failing here
    // (rather than passing without checking anything) says what is missing.
    assert!(
        is_root(),
        "this test makes a second user with useradd and switches to it with setpriv: run it as root"
    );
    let uid = intruder_uid();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    let mut host = HostEnv::new(CONFIG)
        .args(&["/m/dev.roleport.host.json", "roleport@roleport.dev"])
        .var("ROLEPORT_RUNTIME_DIR", &dir.display().to_string())
        .spawn();
    let socket = socket_in(&dir, host.child.id());

    // Layer 1: the runtime directory is 0700, so the socket cannot even be reached.
    chmod(tmp.path(), 0o755);
    assert_eq!(probe(&uid, &socket), "refused: PermissionError");
    // The CLI run by that user refuses a runtime directory that is not its own.
    let cli = Command::new("setpriv")
        .args(["--reuid", &uid, "--regid", &uid, "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_roleport"))
        .args(["open", "prod"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/nonexistent")
        .env("ROLEPORT_RUNTIME_DIR", &dir)
        .output()
        .expect("run the CLI as the other user");
    let stderr = String::from_utf8_lossy(&cli.stderr);
    assert!(!cli.status.success(), "{stderr}");
    assert!(stderr.contains(&dir.display().to_string()), "{stderr}");

    // Layer 2: even with the directory and the socket opened to everyone, the host reads the
    // peer's uid (SO_PEERCRED) and hangs up without reading or answering.
    chmod(&dir, 0o711);
    chmod(&socket, 0o666);
    assert_eq!(probe(&uid, &socket), "reply bytes: 0");
    // The same probe as the host's own user gets an answer: the check is what refused.
    let own = Command::new("python3")
        .args(["-c", "import socket,struct,sys\ns=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1])\nb=b'{\"v\":1,\"id\":1,\"type\":\"hello\",\"client\":\"me\",\"version\":\"0\"}'\ns.sendall(struct.pack('=I',len(b))+b)\nprint(len(s.recv(4096)))"])
        .arg(&socket)
        .output()
        .expect("python3");
    let got: usize = String::from_utf8_lossy(&own.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    assert!(got > 4, "the host's own user got no answer");

    // The host is unharmed and still serves its browser.
    let reply = host.request(
        1,
        "hello",
        serde_json::json!({"client": "t", "version": "0"}),
    );
    assert_eq!(reply["ok"]["type"], "hello", "{reply}");
    let (code, _) = host.finish();
    assert_eq!(code, Some(0));
}
