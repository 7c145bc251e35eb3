//! The test AWS: moto plus our sign-in and console stubs (`tests/aws/awsemu.py`), started
//! per test binary on 127.0.0.1 with ports chosen by the OS.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub struct Emulator {
    child: Child,
    pub info: Value,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

impl Emulator {
    /// Starts awsemu with both stub names on 127.0.0.1, so the test can follow the URLs
    /// without a resolver. `cargo xtask deps` creates the venv it runs in.
    pub fn start() -> Emulator {
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
                "--log-level",
                "WARNING",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start awsemu");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("awsemu prints its ports");
        let info: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("awsemu said {line:?}: {e}"));
        Emulator { child, info }
    }

    pub fn get(&self, key: &str) -> String {
        self.info[key]
            .as_str()
            .unwrap_or_else(|| panic!("awsemu has no {key}"))
            .to_owned()
    }

    pub fn role(&self, name: &str) -> String {
        self.info["roles"][name]
            .as_str()
            .unwrap_or_else(|| panic!("no role {name}"))
            .to_owned()
    }

    pub fn user(&self, key: &str) -> String {
        self.info["user"][key]
            .as_str()
            .unwrap_or_else(|| panic!("no user.{key}"))
            .to_owned()
    }

    /// Switches on moto's IAM authorisation: from now on, signatures, identity policies and
    /// same-account trust policies (ExternalId) are checked.
    pub fn enforce_iam(&self) {
        use std::io::{Read, Write};
        let url = url::Url::parse(&self.get("moto")).expect("moto url");
        let addr = format!(
            "{}:{}",
            url.host_str().expect("host"),
            url.port().expect("port")
        );
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        // moto reads the body only as text/plain; "0" = no more unauthenticated calls.
        let req = format!(
            "POST /moto-api/reset-auth HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\n\
             Content-Length: 1\r\nConnection: close\r\n\r\n0"
        );
        stream.write_all(req.as_bytes()).expect("send");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("read");
        assert!(
            reply.starts_with("HTTP/1.1 200") || reply.starts_with("HTTP/1.0 200"),
            "{reply}"
        );
    }

    /// The current code of alice's virtual MFA device.
    pub fn totp(&self) -> String {
        let serial = self.info["mfa"]["serial"].as_str().expect("mfa serial");
        let url = format!(
            "http://127.0.0.1:{}/_stub/totp?serial={}",
            self.info["port"],
            url::form_urlencoded::byte_serialize(serial.as_bytes()).collect::<String>()
        );
        let (status, _, body) = ureq_get(&url, None);
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).expect("json");
        v["code"].as_str().expect("code").to_owned()
    }

    /// Form bodies of the STS calls moto received with `Action=<action>` (its recorder).
    pub fn recorded(&self, action: &str) -> Vec<String> {
        let (_, _, body) = ureq_get(
            &format!("{}/moto-api/recorder/download-recording", self.get("moto")),
            None,
        );
        body.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|e| {
                let body = e["body"].as_str()?;
                // The recorder base64-encodes bodies it considers binary (form posts included).
                if e["body_encoded"].as_bool() == Some(true) {
                    use base64::Engine;
                    let raw = base64::engine::general_purpose::STANDARD
                        .decode(body)
                        .ok()?;
                    String::from_utf8(raw).ok()
                } else {
                    Some(body.to_owned())
                }
            })
            .filter(|b| {
                b.contains(&format!("Action={action}&")) || b.ends_with(&format!("Action={action}"))
            })
            .collect()
    }

    /// The value of `cognito.<key>` in the emulator's JSON line (the seeded pools and user).
    pub fn cognito(&self, key: &str) -> String {
        self.info["cognito"][key]
            .as_str()
            .unwrap_or_else(|| panic!("no cognito.{key}"))
            .to_owned()
    }

    /// The `X-Amz-Target` operations of the JSON-protocol calls moto received (Cognito's),
    /// in order, e.g. `AWSCognitoIdentityProviderService.InitiateAuth`, with their bodies.
    pub fn recorded_targets(&self) -> Vec<(String, String)> {
        let (_, _, body) = ureq_get(
            &format!("{}/moto-api/recorder/download-recording", self.get("moto")),
            None,
        );
        body.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|e| {
                let headers = e["headers"].as_object()?;
                let target = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-target"))?
                    .1
                    .as_str()?
                    .to_owned();
                let raw = e["body"].as_str().unwrap_or_default();
                let body = if e["body_encoded"].as_bool() == Some(true) {
                    use base64::Engine;
                    base64::engine::general_purpose::STANDARD
                        .decode(raw)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                        .unwrap_or_default()
                } else {
                    raw.to_owned()
                };
                Some((target, body))
            })
            .collect()
    }

    /// The access key IDs that signed the requests moto received (the `Credential=` of each
    /// SigV4 `Authorization` header): proof of which keys really reached AWS.
    pub fn recorded_signing_keys(&self) -> Vec<String> {
        let (_, _, body) = ureq_get(
            &format!("{}/moto-api/recorder/download-recording", self.get("moto")),
            None,
        );
        body.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|e| {
                let headers = e["headers"].as_object()?;
                let auth = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))?
                    .1
                    .as_str()?;
                let credential = auth.split("Credential=").nth(1)?;
                Some(credential.split('/').next()?.to_owned())
            })
            .collect()
    }

    /// A Cognito user pool admin call on moto (JSON protocol; moto checks no signature).
    pub fn cognito_admin(&self, operation: &str, body: &Value) {
        use std::io::{Read, Write};
        let url = url::Url::parse(&self.get("moto")).expect("moto url");
        let addr = format!(
            "{}:{}",
            url.host_str().expect("host"),
            url.port().expect("port")
        );
        let body = body.to_string();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.1\r\n\
             X-Amz-Target: AWSCognitoIdentityProviderService.{operation}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=admin/20260101/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=0\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        stream.write_all(request.as_bytes()).expect("send");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("read");
        assert!(
            reply.starts_with("HTTP/1.1 200") || reply.starts_with("HTTP/1.0 200"),
            "{reply}"
        );
    }

    /// Every secret moto issued (keys, secrets, session tokens), for canary checks.
    pub fn issued_secrets(&self) -> Vec<String> {
        let (_, _, body) = ureq_get(
            &format!("http://127.0.0.1:{}/_stub/issued", self.info["port"]),
            None,
        );
        let v: Value = serde_json::from_str(&body).expect("json");
        v["credentials"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| {
                ["access_key_id", "secret_access_key", "session_token"]
                    .map(|k| c[k].as_str().map(str::to_owned))
            })
            .flatten()
            .collect()
    }

    /// A base64 SAMLResponse from the stub identity provider, as its page would post it;
    /// `query` as the page takes it (`roles=prod,dev&duration=3600`, `expired=1`).
    pub fn saml_response(&self, query: &str) -> String {
        let url = format!(
            "http://127.0.0.1:{}/_stub/saml/issue?{query}",
            self.info["port"]
        );
        let (status, _, body) = ureq_get(&url, None);
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).expect("json");
        v["saml_response"]
            .as_str()
            .expect("saml_response")
            .to_owned()
    }

    /// Arms a fault (`tests/aws/emu_faults.py`): the next `count` calls of `target` (an STS
    /// action, `sts`, or `getSigninToken`) get `fault`; `count` -1 is every call.
    pub fn fault(&self, target: &str, fault: &str, count: i64) {
        let url = format!(
            "http://127.0.0.1:{}/_stub/faults?target={target}&fault={fault}&count={count}",
            self.info["port"]
        );
        let (status, _, body) = http("POST", &url, None);
        assert_eq!(status, 200, "{body}");
    }

    /// Every fault off; hung calls answer now.
    pub fn clear_faults(&self) {
        let url = format!("http://127.0.0.1:{}/_stub/faults/clear", self.info["port"]);
        let (status, _, body) = http("POST", &url, None);
        assert_eq!(status, 200, "{body}");
    }

    /// How many calls of `target` the product made (faulted or not) since the emulator started.
    pub fn attempts(&self, target: &str) -> u64 {
        let url = format!("http://127.0.0.1:{}/_stub/attempts", self.info["port"]);
        let (_, _, body) = ureq_get(&url, None);
        let v: Value = serde_json::from_str(&body).expect("json");
        v["attempts"][target].as_u64().unwrap_or(0)
    }

    /// The environment a browser would give the host.
    pub fn host_env(&self, env: super::HostEnv) -> super::HostEnv {
        env.var("AWS_ENDPOINT_URL_STS", &self.get("moto"))
            .var("AWS_ENDPOINT_URL_COGNITO_IDENTITY", &self.get("moto"))
            .var(
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                &self.get("moto"),
            )
            .var("ROLEPORT_SIGNIN_URL", &self.get("signin"))
            .var("ROLEPORT_CONSOLE_URL", &self.get("console"))
    }

    /// Follows a sign-in URL as a browser with an empty cookie jar would, and returns the
    /// console page it lands on.
    pub fn follow(&self, signin_url: &str) -> (u16, String) {
        let login = ureq_get(signin_url, None);
        assert_eq!(login.0, 302, "login should redirect: {}", login.2);
        let location = login
            .1
            .iter()
            .find(|(k, _)| k == "location")
            .map(|(_, v)| v.clone())
            .expect("Location");
        let cookie = login
            .1
            .iter()
            .find(|(k, _)| k == "set-cookie")
            .map(|(_, v)| v.split(';').next().unwrap_or_default().to_owned())
            .expect("Set-Cookie");
        let page = ureq_get(&location, Some(&cookie));
        (page.0, page.2)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 GET (no redirects) so the tests need no HTTP client of their own.
pub fn ureq_get(url: &str, cookie: Option<&str>) -> (u16, Vec<(String, String)>, String) {
    http("GET", url, cookie)
}

fn http(method: &str, url: &str, cookie: Option<&str>) -> (u16, Vec<(String, String)>, String) {
    use std::io::{Read, Write};
    let url = url::Url::parse(url).expect("url");
    let addr = format!(
        "{}:{}",
        url.host_str().expect("host"),
        url.port_or_known_default().expect("port")
    );
    let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n"
    );
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: {c}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("send");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}
