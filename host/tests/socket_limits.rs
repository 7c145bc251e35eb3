//! The CLI's socket has the native port's bounds (`host/src/limits.rs`): a request that hangs
//! is answered `request_timeout` naming what it waited for, and beyond the cap of requests in
//! flight (across every connection) the answer is `busy` at once, never a queue.
//!
//! `ROLEPORT_REQUEST_TIMEOUT_MS` shortens the limit; the assertions are on codes, not durations.

mod support;

use std::io::{Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::HostEnv;

/// `roleport::limits::MAX_IN_FLIGHT`.
const MAX_IN_FLIGHT: u64 = 16;

const HUNG: &str = "
[profile hung]
credential_process = sleep 300
";

fn socket_of(dir: &Path, pid: u32) -> PathBuf {
    let path = dir.join(format!("chromium-{pid}.sock"));
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_socket()) {
            return path;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the host never listened on {}", path.display());
}

fn send(stream: &mut UnixStream, value: &Value) {
    let body = value.to_string();
    let len = u32::try_from(body.len()).expect("small");
    stream.write_all(&len.to_ne_bytes()).expect("write");
    stream.write_all(body.as_bytes()).expect("write");
}

fn recv(stream: &mut UnixStream) -> Value {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).expect("a reply");
    let mut body = vec![0u8; u32::from_ne_bytes(len) as usize];
    stream.read_exact(&mut body).expect("a reply");
    serde_json::from_slice(&body).expect("JSON")
}

fn open_hung(id: u64) -> Value {
    json!({"v": 1, "id": id, "type": "open_in_browser", "profile": "hung"})
}

#[test]
fn a_hung_request_on_the_socket_times_out_and_beyond_the_cap_the_answer_is_busy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("run");
    let host = HostEnv::new(HUNG)
        .var("ROLEPORT_REQUEST_TIMEOUT_MS", "5000")
        .var("ROLEPORT_RUNTIME_DIR", &run.display().to_string())
        .spawn();
    let socket = socket_of(&run, host.child.id());

    // Seventeen CLIs at once, each asking for a profile whose credential process never
    // answers: sixteen wait, one (whichever came last) is refused at once.
    let mut clis: Vec<UnixStream> = (1..=MAX_IN_FLIGHT + 1)
        .map(|id| {
            let mut s = UnixStream::connect(&socket).expect("connect");
            send(&mut s, &open_hung(id));
            s
        })
        .collect();
    let mut codes = Vec::new();
    let mut busy = None;
    let mut named = 0;
    for s in &mut clis {
        let reply = recv(s);
        let code = reply["err"]["code"].as_str().unwrap_or_default().to_owned();
        if code == "busy" {
            assert!(
                reply["err"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("16 requests")),
                "{reply}"
            );
            busy = Some(s.try_clone().expect("clone"));
        } else {
            let message = reply["err"]["message"].as_str().unwrap_or_default();
            // Those running name the credential process; any waiting for a sign-in slot, its turn.
            assert!(
                message
                    .starts_with("open_in_browser did not finish within 5 s: it was waiting for")
                    && (message.contains("of profile `hung`") || message.contains("its turn")),
                "{reply}"
            );
            if message.contains("of profile `hung`") {
                named += 1;
            }
        }
        codes.push(code);
    }
    assert!(
        named > 0,
        "the running sign-ins name their credential process"
    );
    codes.sort();
    let mut expected = vec!["request_timeout".to_owned(); MAX_IN_FLIGHT as usize];
    expected.insert(0, "busy".to_owned());
    assert_eq!(codes, expected);
    // The refused connection stays usable.
    let mut busy = busy.expect("one refused");
    send(
        &mut busy,
        &json!({"v": 1, "id": 100, "type": "hello", "client": "t", "version": "0"}),
    );
    assert_eq!(recv(&mut busy)["ok"]["type"], "hello");
    let (code, stderr) = host.finish();
    assert_eq!(code, Some(0), "{stderr}");
}
