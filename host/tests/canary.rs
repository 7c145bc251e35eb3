//! The canary: unique secret values of every kind roleport handles are seeded, the real flows
//! run (native messaging as a browser drives it, the CLI, `roleport open` through the
//! socket) at `ROLEPORT_LOG=trace`, and then every frame sent to the browser, every line of
//! stderr, the audit log and every file under the test's HOME (config, data, state and
//! runtime directories all live there) is searched for them. None may appear, except where
//! the design puts them: the AWS files the person wrote, and the AWS CLI's own SSO token
//! cache (plaintext, 0600, by design: SECURITY.md "Not promised"). The sealed store and
//! cache must exist, be 0600 and hold no plaintext. The same walk checks that every file
//! roleport created is 0600 and every directory 0700.
//!
//! The test proves its canaries were really used (moto saw each seeded key sign a request,
//! the stored Cognito password reached the user pool, the SSO token was refreshed), and that
//! its search finds them where they are allowed, so it cannot pass by looking nowhere.

mod secret_service;
mod support;

use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::emulator::Emulator;
use support::sso_home::{self, SESSION_FILE};

/// A value no run has seen before: `prefix` and 24 random hex digits.
fn unique(prefix: &str) -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("random bytes");
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    format!("{prefix}{hex}")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    File,
    Keyring,
}

/// The seeded secrets, by what they are.
struct Seeds {
    /// Keys in `~/.aws/credentials` (profile `canary-file`).
    file_key: (String, String),
    /// Keys in `~/.aws/credentials` of the MFA source (profile `canary-mfa-base`).
    mfa_key: (String, String),
    /// Keys in roleport's store (profile `canary-store`).
    store_key: (String, String),
    /// The Cognito user's password, in roleport's store.
    cognito_password: String,
    /// The encrypted file's passphrase (environment only).
    passphrase: String,
}

impl Seeds {
    fn new() -> Seeds {
        let key = |p: &str| (unique(&format!("AKIACANARY{p}")), unique("canarySecret/+"));
        Seeds {
            file_key: key("F"),
            mfa_key: key("M"),
            store_key: key("S"),
            // Meets the user pool's policy: upper, lower, digit, symbol.
            cognito_password: unique("Canary-pw-a9!"),
            passphrase: unique("canary passphrase "),
        }
    }
}

struct World {
    aws: Emulator,
    home: tempfile::TempDir,
    /// Outside HOME: the frame recording holds sign-in URLs by design (test mode).
    outside: tempfile::TempDir,
    seeds: Seeds,
    backend: Backend,
    /// Every stderr and stdout the processes wrote, with what ran.
    outputs: Vec<(String, String)>,
    /// Every frame the host sent, as this test (playing the browser) read it.
    frames: Vec<String>,
}

impl World {
    fn new(backend: Backend) -> World {
        let aws = Emulator::start();
        let seeds = Seeds::new();
        aws.cognito_admin(
            "AdminSetUserPassword",
            &json!({"UserPoolId": aws.cognito("user_pool_id"), "Username": aws.cognito("username"),
                    "Password": seeds.cognito_password, "Permanent": true}),
        );
        let home = tempfile::tempdir().expect("tempdir");
        let aws_dir = home.path().join(".aws");
        std::fs::create_dir(&aws_dir).expect("mkdir .aws");
        let config = format!(
            "{sso}\n[profile canary-file]\nregion = us-east-1\n\n\
             [profile canary-store]\nregion = us-east-1\n\n\
             [profile canary-role]\nrole_arn = {dev}\nsource_profile = canary-store\n\n\
             [profile canary-mfa-base]\nmfa_serial = {serial}\n\n\
             [profile canary-mfa]\nrole_arn = {prod}\nsource_profile = canary-mfa-base\n\n\
             [profile canary-cog]\nregion = us-east-1\n\
             roleport_cognito_user_pool_id = {pool}\nroleport_cognito_client_id = {client}\n\
             roleport_cognito_identity_pool_id = {identity}\nroleport_cognito_username = {user}\n\
             roleport_cognito_auth = password\n",
            sso = sso_home::config(),
            dev = aws.role("dev"),
            prod = aws.role("prod"),
            serial = aws.info["mfa"]["serial"].as_str().expect("serial"),
            pool = aws.cognito("user_pool_id"),
            client = aws.cognito("client_id"),
            identity = aws.cognito("identity_pool_id"),
            user = aws.cognito("username"),
        );
        std::fs::write(aws_dir.join("config"), config).expect("config");
        std::fs::write(
            aws_dir.join("credentials"),
            format!(
                "[canary-file]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n\
                 [canary-mfa-base]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                seeds.file_key.0, seeds.file_key.1, seeds.mfa_key.0, seeds.mfa_key.1
            ),
        )
        .expect("credentials");
        World {
            aws,
            home,
            outside: tempfile::tempdir().expect("tempdir"),
            seeds,
            backend,
            outputs: Vec::new(),
            frames: Vec::new(),
        }
    }

    fn home(&self) -> &Path {
        self.home.path()
    }

    fn store_dir(&self) -> PathBuf {
        self.home().join(".local/share/roleport")
    }

    fn runtime_dir(&self) -> PathBuf {
        self.home().join("run")
    }

    fn frames_file(&self) -> PathBuf {
        self.outside.path().join("frames.jsonl")
    }

    /// `roleport ARGS` with the environment a browser or a terminal gives it, logging at
    /// trace level.
    fn command(&self, args: &[&str]) -> Command {
        let aws = &self.aws;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_roleport"));
        cmd.args(args)
            .env_clear()
            .env("HOME", self.home())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("ROLEPORT_LOG", "trace")
            .env("ROLEPORT_RUNTIME_DIR", self.runtime_dir())
            // Where the store would be anyway, named so the keyring service is this test's.
            .env("ROLEPORT_HOME", self.store_dir())
            .env("AWS_ENDPOINT_URL_STS", aws.get("moto"))
            .env("AWS_ENDPOINT_URL_SSO", aws.get("sso"))
            .env("AWS_ENDPOINT_URL_SSO_OIDC", aws.get("sso"))
            .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY", aws.get("moto"))
            .env(
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                aws.get("moto"),
            )
            .env("ROLEPORT_SIGNIN_URL", aws.get("signin"))
            .env("ROLEPORT_CONSOLE_URL", aws.get("console"));
        match self.backend {
            Backend::File => {
                cmd.env("ROLEPORT_STORE", "file")
                    .env("ROLEPORT_STORE_PASSPHRASE", &self.seeds.passphrase);
            }
            Backend::Keyring => {
                cmd.env("ROLEPORT_STORE", "keyring");
                if let Some(bus) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") {
                    cmd.env("DBUS_SESSION_BUS_ADDRESS", bus);
                }
            }
        }
        cmd
    }

    /// Runs a CLI command to its end, `stdin` fed; keeps its output for the search.
    fn cli(&mut self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn roleport");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("stdin");
        let out = child.wait_with_output().expect("wait");
        self.keep(args, &out);
        out
    }

    fn cli_ok(&mut self, args: &[&str], stdin: &str) -> String {
        let out = self.cli(args, stdin);
        assert!(
            out.status.success(),
            "roleport {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keep(&mut self, args: &[&str], out: &Output) {
        let what = format!("roleport {}", args.join(" "));
        self.outputs.push((
            format!("{what} (stdout)"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ));
        self.outputs.push((
            format!("{what} (stderr)"),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }

    /// The host as Chromium starts it, recording its frames.
    fn browser_host(&self) -> NativeHost {
        let mut child = self
            .command(&[support::CHROMIUM_ORIGIN])
            .env("ROLEPORT_RECORD_FRAMES", self.frames_file())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the host");
        let mut stderr = child.stderr.take().expect("stderr");
        NativeHost {
            stdin: Some(child.stdin.take().expect("stdin")),
            stdout: child.stdout.take().expect("stdout"),
            stderr: std::thread::spawn(move || {
                let mut text = String::new();
                stderr.read_to_string(&mut text).expect("stderr");
                text
            }),
            child,
        }
    }
}

struct NativeHost {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    /// Drained as it is written: trace logging fills a pipe nobody reads, and the host
    /// would block on it.
    stderr: std::thread::JoinHandle<String>,
}

impl NativeHost {
    fn send(&mut self, msg: &Value) {
        let body = serde_json::to_vec(msg).expect("json");
        let mut frame = u32::try_from(body.len())
            .expect("small")
            .to_ne_bytes()
            .to_vec();
        frame.extend(body);
        let stdin = self.stdin.as_mut().expect("open");
        stdin.write_all(&frame).expect("write");
        stdin.flush().expect("flush");
    }

    fn recv(&mut self, frames: &mut Vec<String>) -> Value {
        let mut len = [0u8; 4];
        self.stdout.read_exact(&mut len).expect("a frame");
        let mut body = vec![0u8; u32::from_ne_bytes(len) as usize];
        self.stdout.read_exact(&mut body).expect("whole frame");
        let text = String::from_utf8(body).expect("utf-8");
        let value = serde_json::from_str(&text).expect("json");
        frames.push(text);
        value
    }

    /// Sends a request; returns its reply and the events that came before it.
    fn request(
        &mut self,
        frames: &mut Vec<String>,
        id: u64,
        kind: &str,
        fields: Value,
    ) -> (Value, Vec<Value>) {
        let mut msg = json!({"v": 1, "id": id, "type": kind});
        if let (Some(m), Some(f)) = (msg.as_object_mut(), fields.as_object()) {
            m.extend(f.clone());
        }
        self.send(&msg);
        let mut events = Vec::new();
        loop {
            let frame = self.recv(frames);
            if frame.get("event").is_some() {
                events.push(frame);
            } else {
                assert_eq!(frame["id"], id, "{frame}");
                return (frame, events);
            }
        }
    }

    fn finish(mut self) -> String {
        self.stdin.take();
        self.child.wait().expect("wait");
        self.stderr.join().expect("stderr reader")
    }
}

fn ok(reply: &Value) -> &Value {
    reply
        .get("ok")
        .unwrap_or_else(|| panic!("expected ok, got {reply}"))
}

/// Waits for the host's socket (the CLI's `roleport open` needs it listening).
fn wait_for_socket(dir: &Path, pid: u32) {
    let path = dir.join(format!("chromium-{pid}.sock"));
    let end = Instant::now() + Duration::from_secs(20);
    while Instant::now() < end {
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_socket()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the host never listened on {}", path.display());
}

/// Drives every flow; returns the SSO tokens the cache held (before and after a refresh).
fn drive(w: &mut World) -> Vec<String> {
    let s = &w.seeds;
    let (store_id, store_secret) = s.store_key.clone();
    let password = s.cognito_password.clone();
    w.cli_ok(
        &["add", "canary-store", "--stdin"],
        &format!("{store_id}\n{store_secret}\n"),
    );
    w.cli_ok(
        &["add", "canary-cog", "--cognito-password", "--stdin"],
        &format!("{password}\n"),
    );

    let mut host = w.browser_host();
    let mut frames = Vec::new();
    let f = &mut frames;
    ok(&host
        .request(f, 1, "hello", json!({"client": "canary", "version": "0"}))
        .0);
    let (list, _) = host.request(f, 2, "list_profiles", json!({}));
    let names: Vec<&str> = ok(&list)["profiles"]
        .as_array()
        .expect("profiles")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in ["canary-file", "canary-store", "canary-mfa", "canary-cog"] {
        assert!(names.contains(&name), "{name} missing from {list}");
    }

    // IAM Identity Center: the device flow as the popup runs it.
    let aws = &w.aws;
    host.send(&json!({"v": 1, "id": 3, "type": "sso_login", "profile": "sso-admin"}));
    let event = host.recv(f);
    assert_eq!(event["event"], "sso_device_code", "{event}");
    sso_home::approve(aws, event["user_code"].as_str().expect("user code"));
    let login = host.recv(f);
    ok(&login);
    let cache = w.home().join(".aws/sso/cache").join(SESSION_FILE);
    let mut tokens = sso_secrets(&cache);

    let mut id = 10;
    let mut open = |host: &mut NativeHost, f: &mut Vec<String>, fields: Value| {
        id += 1;
        host.request(f, id, "open_console", fields).0
    };
    for profile in [
        "canary-file",
        "canary-store",
        "canary-role",
        "sso-admin",
        "canary-cog",
    ] {
        let reply = open(&mut host, f, json!({"profile": profile}));
        let url = ok(&reply)["url"].as_str().expect("url").to_owned();
        let (status, page) = aws.follow(&url);
        assert_eq!(status, 200, "{profile}: {page}");
    }
    let asked = open(&mut host, f, json!({"profile": "canary-mfa"}));
    assert_eq!(support::err_code(&asked), "mfa_required", "{asked}");
    let reply = open(
        &mut host,
        f,
        json!({"profile": "canary-mfa", "mfa_code": aws.totp()}),
    );
    ok(&reply);

    // The SSO access token expires: the host refreshes it with the refresh token.
    sso_home::control(aws, "POST", "expire?all_tokens=1");
    let mut token = sso_home::read_json(&cache);
    token["expiresAt"] = json!("2020-01-01T00:00:00Z");
    // Rewritten in place: the file keeps roleport's 0600.
    std::fs::write(&cache, token.to_string()).expect("expire the cached token");
    ok(&open(&mut host, f, json!({"profile": "sso-admin"})));
    tokens.extend(sso_secrets(&cache));

    // `roleport open` through the socket, answered as the extension answers.
    wait_for_socket(&w.runtime_dir(), host.child.id());
    let cli_open = w
        .command(&["open", "canary-role", "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("roleport open");
    let event = host.recv(f);
    assert_eq!(event["event"], "open_tab", "{event}");
    let (answer, _) = host.request(
        f,
        99,
        "open_tab_result",
        json!({"event_id": event["event_id"], "ok": {"profile": "canary-role", "tab_id": 7, "group": 3}}),
    );
    ok(&answer);
    let out = cli_open.wait_with_output().expect("roleport open ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    w.keep(&["open", "canary-role", "--json"], &out);

    let stderr = host.finish();
    w.outputs
        .push(("the browser's host (stderr)".into(), stderr));
    w.frames.extend(frames);

    // The CLI: the MFA session comes from the sealed cache (no code asked).
    w.cli_ok(&["url", "canary-mfa"], "");
    w.cli_ok(&["url", "canary-store"], "");
    // Discovery writes sso-directory/*.json with the refreshed token.
    w.cli_ok(&["sso", "sync"], "");
    w.cli_ok(&["list"], "");
    w.cli_ok(&["list", "--json"], "");
    for profile in ["canary-mfa", "canary-store", "canary-cog", "sso-admin"] {
        w.cli_ok(&["explain", profile], "");
        w.cli_ok(&["explain", profile, "--json"], "");
    }
    w.cli(&["doctor"], "");
    w.cli_ok(&["keys"], "");
    let audit = w.cli_ok(&["audit", "--json"], "");
    assert!(
        audit.lines().count() >= 8,
        "every issue and open is audited: {audit}"
    );
    tokens
}

/// The SSO secrets the AWS CLI's cache file holds.
fn sso_secrets(cache: &Path) -> Vec<String> {
    let token = sso_home::read_json(cache);
    ["accessToken", "refreshToken", "clientSecret"]
        .iter()
        .map(|k| {
            token[*k]
                .as_str()
                .unwrap_or_else(|| panic!("no {k}"))
                .to_owned()
        })
        .collect()
}

/// Every regular file and directory under `root`, not following symlinks.
fn walk(root: &Path, files: &mut Vec<PathBuf>, dirs: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(root).expect("read_dir").flatten() {
        let path = entry.path();
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            dirs.push(path.clone());
            walk(&path, files, dirs);
        } else if kind.is_file() {
            files.push(path);
        }
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .expect("stat")
        .permissions()
        .mode()
        & 0o777
}

fn canary_run(backend: Backend) {
    let mut w = World::new(backend);
    let sso_tokens = drive(&mut w);
    let s = &w.seeds;
    let seeded_files = [&s.file_key.0, &s.file_key.1, &s.mfa_key.0, &s.mfa_key.1];
    let mut canaries: Vec<(&str, String)> = vec![
        (
            "long-term key id in ~/.aws/credentials",
            s.file_key.0.clone(),
        ),
        (
            "long-term secret in ~/.aws/credentials",
            s.file_key.1.clone(),
        ),
        ("MFA source key id", s.mfa_key.0.clone()),
        ("MFA source secret", s.mfa_key.1.clone()),
        ("key id in roleport's store", s.store_key.0.clone()),
        ("secret in roleport's store", s.store_key.1.clone()),
        ("Cognito password", s.cognito_password.clone()),
        ("store passphrase", s.passphrase.clone()),
    ];
    let issued = w.aws.issued_secrets();
    canaries.extend(issued.iter().map(|v| ("credential moto issued", v.clone())));
    canaries.extend(sso_tokens.iter().map(|v| ("SSO token", v.clone())));

    // The canaries were really used: each seeded key signed a request moto received, the
    // stored password reached the user pool, the refresh token was spent.
    let signers = w.aws.recorded_signing_keys();
    for key in [&s.file_key.0, &s.mfa_key.0, &s.store_key.0] {
        assert!(signers.contains(key), "{key} never signed a request");
    }
    let sessions = w.aws.recorded("GetSessionToken");
    assert!(
        sessions.iter().any(|b| b.contains("TokenCode=")),
        "{sessions:?}"
    );
    assert!(
        w.aws
            .recorded_targets()
            .iter()
            .any(|(t, body)| t.ends_with(".InitiateAuth") && body.contains(&s.cognito_password)),
        "the stored Cognito password was never used"
    );
    assert!(
        issued.len() >= 8,
        "moto issued the temporary credentials: {}",
        issued.len()
    );
    assert_eq!(sso_tokens.len(), 6);
    assert_ne!(
        sso_tokens[0], sso_tokens[3],
        "the access token was refreshed"
    );

    let recorded = std::fs::read_to_string(w.frames_file()).expect("frame recording");
    assert!(
        recorded.lines().count() >= w.frames.len(),
        "the recording has every frame"
    );
    let mut places: Vec<(String, String)> = w.outputs.clone();
    places.push(("frames the browser read".into(), w.frames.join("\n")));
    places.push(("ROLEPORT_RECORD_FRAMES".into(), recorded));
    for (place, text) in &places {
        for (what, value) in &canaries {
            assert!(!text.contains(value.as_str()), "{what} in {place}:\n{text}");
        }
    }

    let mut files = Vec::new();
    let mut dirs = Vec::new();
    walk(w.home(), &mut files, &mut dirs);
    let aws_dir = w.home().join(".aws");
    let sso_cache = aws_dir.join("sso/cache");
    let written_by_test = [aws_dir.join("config"), aws_dir.join("credentials")];
    let mut found_allowed = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        let test_wrote = written_by_test.contains(file);
        if !test_wrote {
            assert_eq!(mode(file), 0o600, "{} is not 0600", file.display());
        }
        for (what, value) in &canaries {
            if !text.contains(value.as_str()) {
                continue;
            }
            let allowed = (file == &written_by_test[1] && seeded_files.contains(&value))
                || (file.parent() == Some(sso_cache.as_path()) && sso_tokens.contains(value));
            assert!(allowed, "{what} in {}", file.display());
            found_allowed.push(value.clone());
        }
    }
    // The search looks where it should: it finds what the design allows to be there.
    assert!(
        found_allowed.contains(&s.file_key.1),
        "the walk missed ~/.aws/credentials"
    );
    assert!(
        found_allowed.contains(&sso_tokens[3]),
        "the walk missed the SSO cache"
    );
    for dir in &dirs {
        if dir != &aws_dir {
            assert_eq!(mode(dir), 0o700, "{} is not 0700", dir.display());
        }
    }
    let store = w.store_dir();
    let sealed: &[&str] = match backend {
        Backend::File => &["keys.sealed", "cache.sealed"],
        Backend::Keyring => &["cache.sealed"],
    };
    for name in sealed {
        assert!(
            files.contains(&store.join(name)),
            "{name} was written (and searched)"
        );
    }
    if backend == Backend::Keyring {
        assert!(
            !store.join("keys.sealed").exists(),
            "keys are in the keyring"
        );
    }
    assert!(
        files.contains(&store.join("audit.jsonl")),
        "the audit log was searched"
    );
    assert!(
        files.contains(&store.join("sso-directory").join(SESSION_FILE)),
        "the discovered accounts were searched"
    );
}

#[test]
fn no_secret_reaches_a_frame_a_log_or_a_file_with_the_encrypted_file_store() {
    canary_run(Backend::File);
}

#[test]
fn no_secret_reaches_a_frame_a_log_or_a_file_with_the_keyring_store() {
    secret_service::run(
        "no_secret_reaches_a_frame_a_log_or_a_file_with_the_keyring_store",
        || canary_run(Backend::Keyring),
    );
}
