//! `roleport open` end to end without a browser: the real host started as a browser starts it,
//! this test playing the extension on its native port, and the real CLI in another process
//! reaching the host over its socket.

mod support;

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::emulator::Emulator;
use support::{Host, HostEnv};

const CONFIG: &str = "
[profile base]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = do-not-leak

[profile prod]
role_arn = arn:aws:iam::111111111111:role/Admin
source_profile = base
";

fn emulator_config(aws: &Emulator) -> String {
    format!(
        "[profile alice]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n\n\
         [profile prod]\nrole_arn = {prod}\nsource_profile = alice\nregion = eu-west-1\nroleport_color = red\n",
        key = aws.user("access_key_id"),
        secret = aws.user("secret_access_key"),
        prod = aws.role("prod"),
    )
}

/// A runtime directory for one test's hosts and CLI, not created yet: the host makes it.
struct Runtime(tempfile::TempDir);

impl Runtime {
    fn path(&self) -> PathBuf {
        self.0.path().join("run")
    }
}

fn runtime() -> Runtime {
    Runtime(tempfile::tempdir().expect("tempdir"))
}

/// The socket of the host with `pid`, once it listens.
fn socket_of(dir: &Path, browser: &str, pid: u32) -> PathBuf {
    let path = dir.join(format!("{browser}-{pid}.sock"));
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_socket()) {
            return path;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the host never listened on {}", path.display());
}

/// The CLI as a person runs it: nothing of the host's AWS environment, only the runtime dir.
fn cli(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_roleport"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("ROLEPORT_RUNTIME_DIR", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the CLI")
}

fn done(child: Child) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("CLI ends");
    (
        status.code(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// Reads frames until an event arrives (the extension's view of the port).
fn next_event(host: &mut Host) -> Value {
    let frame = host.recv().expect("the host sends an event");
    assert!(
        frame.get("event").is_some(),
        "expected an event, got {frame}"
    );
    frame
}

#[test]
fn roleport_open_has_the_browser_open_the_console_and_reports_where() {
    let aws = Emulator::start();
    let dir = runtime();
    let env = aws
        .host_env(HostEnv::new(&emulator_config(&aws)))
        .var("ROLEPORT_RUNTIME_DIR", &dir.path().display().to_string());
    let mut host = env.spawn();
    let socket = socket_of(&dir.path(), "chromium", host.child.id());

    // Only this user may reach it: a 0600 socket in a 0700 directory.
    let mode = |p: &Path| std::fs::symlink_metadata(p).expect("meta").mode() & 0o777;
    assert_eq!(mode(&socket), 0o600);
    assert_eq!(mode(&dir.path()), 0o700);

    let cli_run = cli(&dir.path(), &["open", "prod", "--service", "s3", "--json"]);
    let event = next_event(&mut host);
    assert_eq!(event["v"], 1);
    assert_eq!(event["event"], "open_tab");
    assert_eq!(event["profile"], "prod");
    assert_eq!(event["account_id"], "111111111111");
    assert_eq!(event["color"], "red");
    let url = event["url"].as_str().expect("a sign-in URL");
    let login = url::Url::parse(url).expect("URL");
    let destination = login
        .query_pairs()
        .find(|(k, _)| k == "Destination")
        .map(|(_, v)| v.into_owned())
        .expect("Destination");
    assert!(
        destination.ends_with("/s3/home?region=eu-west-1"),
        "{destination}"
    );
    for secret in [aws.user("access_key_id"), aws.user("secret_access_key")] {
        assert!(
            !event.to_string().contains(&secret),
            "a key reached the event"
        );
    }

    // The extension opens the tab and says where; the host takes note.
    let answer = host.request(
        1,
        "open_tab_result",
        json!({"event_id": event["event_id"], "ok": {"profile": "prod", "tab_id": 5, "group": 2}}),
    );
    assert_eq!(
        answer,
        json!({"v": 1, "id": 1, "ok": {"type": "open_tab_result"}})
    );

    let (code, stdout, stderr) = done(cli_run);
    assert_eq!(code, Some(0), "{stderr}");
    let opened: Value = serde_json::from_str(stdout.trim()).expect("JSON on stdout");
    assert_eq!(
        opened,
        json!({"browser": "chromium", "profile": "prod", "tab_id": 5, "group": 2,
               "account_id": "111111111111", "role": "Admin"})
    );
    assert!(
        !stdout.contains("SigninToken"),
        "the sign-in URL is for the browser only"
    );

    // The URL the browser got signs in to the right account.
    let (status, page) = aws.follow(url);
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<span id="account">111111111111</span>"#),
        "{page}"
    );

    // A browser that cannot open the tab: the terminal hears why.
    let cli_run = cli(&dir.path(), &["open", "prod"]);
    let event = next_event(&mut host);
    let refused = json!({"code": "browser_api_failed", "message": "The browser would not create the container", "hint": "Check the extension's permissions."});
    host.request(
        2,
        "open_tab_result",
        json!({"event_id": event["event_id"], "err": refused}),
    );
    let (code, _, stderr) = done(cli_run);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("would not create the container") && stderr.contains("browser_api_failed"),
        "{stderr}"
    );

    // The port closes (the browser quits): the host stops and its socket goes with it.
    let (code, _) = host.finish();
    assert_eq!(code, Some(0));
    assert!(!socket.exists());
}

#[test]
fn without_a_running_browser_roleport_open_says_so_and_how_to_fix_it() {
    let dir = runtime();
    let (code, stdout, stderr) = done(cli(&dir.path(), &["open", "prod"]));
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("no browser with roleport's extension is running"),
        "{stderr}"
    );
    assert!(stderr.contains("roleport url prod"), "{stderr}");

    let (code, _, stderr) = done(cli(&dir.path(), &["open", "prod", "--browser", "firefox"]));
    assert_eq!(code, Some(3));
    assert!(stderr.contains("no firefox with roleport"), "{stderr}");
}

#[test]
fn the_socket_serves_only_its_requests_and_refuses_bad_ones_before_any_aws_call() {
    let dir = runtime();
    let mut host = HostEnv::new(CONFIG)
        .args(&["/m/dev.roleport.host.json", "roleport@roleport.dev"])
        .var("ROLEPORT_RUNTIME_DIR", &dir.path().display().to_string())
        // Nothing listens here: any AWS call would fail, and the tests below make none.
        .var("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
        .spawn();
    let socket = socket_of(&dir.path(), "firefox", host.child.id());

    let refused = [
        (
            vec!["open", "prod", "--destination", "https://evil.example/"],
            "destination_not_allowed",
        ),
        (vec!["open", "prod", "--service", "nope"], "invalid_request"),
        (
            vec!["open", "prod", "--region", "evil.example/#"],
            "invalid_request",
        ),
        (vec!["open", "nobody"], "unknown_profile"),
    ];
    for (args, code) in refused {
        let (exit, _, stderr) = done(cli(&dir.path(), &args));
        assert_eq!(exit, Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(code), "{args:?}: {stderr}");
    }

    // Raw frames: the socket takes neither the extension's requests nor garbage.
    let mut raw = std::os::unix::net::UnixStream::connect(&socket).expect("connect");
    let ask = |raw: &mut std::os::unix::net::UnixStream, body: &[u8]| -> Value {
        use std::io::{Read, Write};
        raw.write_all(&(body.len() as u32).to_ne_bytes())
            .expect("len");
        raw.write_all(body).expect("body");
        let mut len = [0u8; 4];
        raw.read_exact(&mut len).expect("reply length");
        let mut reply = vec![0u8; u32::from_ne_bytes(len) as usize];
        raw.read_exact(&mut reply).expect("reply");
        serde_json::from_slice(&reply).expect("JSON")
    };
    let list = ask(&mut raw, br#"{"v":1,"id":1,"type":"list_profiles"}"#);
    assert_eq!(list["err"]["code"], "unknown_message", "{list}");
    let console = ask(
        &mut raw,
        br#"{"v":1,"id":2,"type":"open_console","profile":"prod"}"#,
    );
    assert_eq!(console["err"]["code"], "unknown_message", "{console}");
    // The options page's requests are the native port's alone: no CLI peer may rewrite the
    // colour rules.
    let put = ask(
        &mut raw,
        br#"{"v":1,"id":4,"type":"settings_put","settings":{"rules":[]}}"#,
    );
    assert_eq!(put["err"]["code"], "unknown_message", "{put}");
    let junk = ask(&mut raw, b"{not json");
    assert_eq!(junk["err"]["code"], "bad_frame", "{junk}");
    let hello = ask(
        &mut raw,
        br#"{"v":1,"id":3,"type":"hello","client":"t","version":"0"}"#,
    );
    assert_eq!(hello["ok"]["type"], "hello", "{hello}");

    // And the native port does not take the CLI's request.
    let reply = host.request(9, "open_in_browser", json!({"profile": "prod"}));
    assert_eq!(reply["err"]["code"], "unknown_message", "{reply}");
    // Nothing above reached the browser as an event: the next frame is this hello's reply.
    let reply = host.request(10, "hello", json!({"client": "t", "version": "0"}));
    assert_eq!(reply["id"], 10, "{reply}");
    let (code, _) = host.finish();
    assert_eq!(code, Some(0));
}
