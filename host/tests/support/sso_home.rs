//! A throwaway HOME with an IAM Identity Center config, and the SSO stub's control routes:
//! what the SSO test binaries share.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::emulator::Emulator;

pub const START_URL: &str = "https://d-1234567890.awsapps.com/start";
/// sha1("my-sso"): the AWS CLI's cache file name for `[sso-session my-sso]`.
pub const SESSION_FILE: &str = "0ad374308c5a4e22f723adf10145eafad7c4031c.json";
/// sha1(START_URL): the file name for legacy profiles with that start URL.
pub const LEGACY_FILE: &str = "7487b5b67d5fa1132cf33fa93ae51ef38cc37752.json";

pub fn config() -> String {
    format!(
        "[sso-session my-sso]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n\
         sso_registration_scopes = sso:account:access\n\n\
         [profile sso-admin]\nsso_session = my-sso\nsso_account_id = 100000000002\n\
         sso_role_name = AdministratorAccess\nregion = us-east-1\n\n\
         [profile legacy]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n\
         sso_account_id = 100000000003\nsso_role_name = ReadOnlyAccess\n"
    )
}

/// A HOME with `~/.aws/config`, kept for the whole test (login, then url).
pub struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home::with_config(&config())
    }

    /// A HOME whose `~/.aws/config` is `text`.
    pub fn with_config(text: &str) -> Home {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(".aws")).expect("mkdir");
        std::fs::write(dir.path().join(".aws/config"), text).expect("config");
        Home { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn cache(&self, file: &str) -> PathBuf {
        self.path().join(".aws/sso/cache").join(file)
    }

    pub fn command(&self, aws: &Emulator, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_roleport"));
        cmd.args(args)
            .env_clear()
            .env("HOME", self.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("ROLEPORT_RUNTIME_DIR", self.path().join("run"))
            .env("AWS_ENDPOINT_URL_STS", aws.get("moto"))
            .env("AWS_ENDPOINT_URL_SSO", aws.get("sso"))
            .env("AWS_ENDPOINT_URL_SSO_OIDC", aws.get("sso"))
            .env("ROLEPORT_SIGNIN_URL", aws.get("signin"))
            .env("ROLEPORT_CONSOLE_URL", aws.get("console"));
        cmd
    }

    pub fn run(&self, aws: &Emulator, args: &[&str]) -> Output {
        self.command(aws, args)
            .stdin(Stdio::null())
            .output()
            .expect("run roleport")
    }

    /// `roleport sso login NAME`; `act` gets the user code once it is printed and plays the
    /// person at the verification page. Returns (success, stderr).
    pub fn login(&self, aws: &Emulator, name: &str, act: impl FnOnce(&str)) -> (bool, String) {
        let mut child = self
            .command(aws, &["sso", "login", name])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn roleport sso login");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut seen = String::new();
        let code = loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).expect("read stderr") == 0 {
                let status = child.wait().expect("wait");
                return (status.success(), seen);
            }
            seen.push_str(&line);
            if seen.contains("the code\n\n") {
                let code = line.trim().to_owned();
                if !code.is_empty() {
                    break code;
                }
            }
        };
        act(&code);
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).expect("read stderr");
        seen.push_str(&rest);
        (child.wait().expect("wait").success(), seen)
    }
}

/// POST/GET to the SSO stub's test-control routes.
pub fn control(aws: &Emulator, method: &str, route: &str) -> Value {
    let url = url::Url::parse(&aws.get("sso")).expect("sso url");
    let addr = format!("127.0.0.1:{}", url.port().expect("port"));
    let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        stream,
        "{method} /_sso/{route} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{route}: {e}: {raw}"))
}

pub fn approve(aws: &Emulator, code: &str) {
    control(aws, "POST", &format!("approve?user_code={code}"));
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("cache file")).expect("json")
}

pub fn sign_in(aws: &Emulator, home: &Home, profile: &str) -> String {
    let out = home.run(aws, &["url", profile]);
    assert!(
        out.status.success(),
        "roleport url {profile}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8(out.stdout).expect("utf-8");
    let (status, page) = aws.follow(url.trim());
    assert_eq!(status, 200, "{page}");
    page
}

pub fn python() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/.venv/bin/python")
}

/// Runs a Python snippet with botocore (the AWS CLI's library) in this HOME.
pub fn botocore(aws: &Emulator, home: &Home, script: &str) -> Output {
    Command::new(python())
        .args(["-c", script])
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_ENDPOINT_URL_STS", aws.get("moto"))
        .env("AWS_ENDPOINT_URL_SSO", aws.get("sso"))
        .env("AWS_ENDPOINT_URL_SSO_OIDC", aws.get("sso"))
        .env("SSO_CONTROL", format!("{}/_sso", aws.get("sso")))
        .env("START_URL", START_URL)
        .output()
        .expect("run python")
}
