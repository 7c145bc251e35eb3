//! A host under test: the real `roleport` binary started the way a browser starts it, with
//! a throwaway HOME and AWS config, spoken to in native-messaging frames.
#![allow(dead_code)] // each test binary uses a different part

pub mod emulator;
pub mod sso_home;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

pub const CHROMIUM_ORIGIN: &str = "chrome-extension://jlpkhfceigfphociodglhbfijhdeajmi/";

pub struct Host {
    pub child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    pub home: tempfile::TempDir,
}

pub struct HostEnv {
    pub args: Vec<String>,
    pub config: String,
    pub credentials: String,
    pub vars: Vec<(String, String)>,
}

impl HostEnv {
    pub fn new(config: &str) -> HostEnv {
        HostEnv {
            args: vec![CHROMIUM_ORIGIN.to_owned()],
            config: config.to_owned(),
            credentials: String::new(),
            vars: Vec::new(),
        }
    }

    pub fn var(mut self, k: &str, v: &str) -> HostEnv {
        self.vars.push((k.to_owned(), v.to_owned()));
        self
    }

    pub fn args(mut self, args: &[&str]) -> HostEnv {
        self.args = args.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    pub fn spawn(self) -> Host {
        let home = tempfile::tempdir().expect("tempdir");
        let aws = home.path().join(".aws");
        std::fs::create_dir_all(&aws).expect("mkdir");
        std::fs::write(aws.join("config"), &self.config).expect("config");
        std::fs::write(aws.join("credentials"), &self.credentials).expect("credentials");
        // A bare environment, as a browser may give: nothing of the developer's AWS setup leaks in.
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_roleport"));
        cmd.args(&self.args)
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            // The socket for `roleport open` stays in the test's HOME, not the user's runtime dir.
            .env("ROLEPORT_RUNTIME_DIR", home.path().join("run"))
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn roleport");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        Host {
            child,
            stdin,
            stdout,
            home,
        }
    }
}

impl Host {
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write");
        stdin.flush().expect("flush");
    }

    pub fn send(&mut self, msg: &Value) {
        let body = serde_json::to_vec(msg).expect("json");
        let mut frame = (body.len() as u32).to_ne_bytes().to_vec();
        frame.extend(body);
        self.send_raw(&frame);
    }

    pub fn request(&mut self, id: u64, kind: &str, fields: Value) -> Value {
        let mut msg = json!({"v": 1, "id": id, "type": kind});
        if let (Some(m), Some(f)) = (msg.as_object_mut(), fields.as_object()) {
            m.extend(f.clone());
        }
        self.send(&msg);
        self.recv().expect("a reply")
    }

    /// The next frame, or `None` when the host closed stdout.
    pub fn recv(&mut self) -> Option<Value> {
        let mut len = [0u8; 4];
        self.stdout.read_exact(&mut len).ok()?;
        let mut body = vec![0u8; u32::from_ne_bytes(len) as usize];
        self.stdout.read_exact(&mut body).expect("whole frame");
        Some(serde_json::from_slice(&body).expect("host sends JSON"))
    }

    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    /// Waits for exit; returns (exit code, stderr).
    pub fn finish(mut self) -> (Option<i32>, String) {
        self.close_stdin();
        let status = self.child.wait().expect("wait");
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut stderr);
        }
        (status.code(), stderr)
    }

    pub fn home_path(&self) -> PathBuf {
        self.home.path().to_path_buf()
    }
}

pub fn err_code(reply: &Value) -> &str {
    reply["err"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {reply}"))
}
