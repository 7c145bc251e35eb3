//! A profile's credentials for other programs, end to end against moto: `roleport exec`,
//! `roleport credential-process` used from an AWS config by boto3, and the sources that run
//! something (a credential process script, the environment, the ECS and IMDS endpoints).

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};
use support::emulator::Emulator;
use support::HostEnv;

const ROLEPORT: &str = env!("CARGO_BIN_EXE_roleport");

fn python() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/.venv/bin/python")
}

/// boto3 in the child asks moto who it is, with whatever credentials its environment gives.
const WHO_AM_I: &str = "import boto3; print(boto3.client('sts', region_name='us-east-1').get_caller_identity()['Account'])";

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(config: &str) -> Home {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(".aws")).expect("mkdir");
        std::fs::write(dir.path().join(".aws/config"), config).expect("config");
        Home { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// roleport with a bare environment: this HOME, PATH, moto for STS, and `vars`.
    fn roleport(&self, aws: &Emulator, args: &[&str], vars: &[(&str, &str)]) -> Output {
        Command::new(ROLEPORT)
            .args(args)
            .env_clear()
            .env("HOME", self.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_ENDPOINT_URL_STS", aws.get("moto"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(vars.iter().copied())
            .output()
            .expect("run roleport")
    }

    /// `roleport exec PROFILE -- python WHO_AM_I`: the account the child's credentials are for.
    fn account_via_exec(&self, aws: &Emulator, profile: &str, vars: &[(&str, &str)]) -> String {
        let python = python();
        let python = python.to_str().expect("utf-8 path");
        let out = self.roleport(aws, &["exec", profile, "--", python, "-c", WHO_AM_I], vars);
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn base_config(aws: &Emulator) -> String {
    format!(
        "[profile alice]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n\n\
         [profile prod]\nrole_arn = {prod}\nsource_profile = alice\nregion = eu-west-1\n\n",
        key = aws.user("access_key_id"),
        secret = aws.user("secret_access_key"),
        prod = aws.role("prod"),
    )
}

#[test]
fn exec_gives_the_command_role_credentials_and_its_exit_status() {
    let aws = Emulator::start();
    let home = Home::new(&base_config(&aws));
    let show =
        "printf '%s|%s|%s|%s|%s|%s|%s' \"$AWS_ACCESS_KEY_ID\" \"${AWS_SESSION_TOKEN:+set}\" \
                \"$AWS_REGION\" \"$AWS_DEFAULT_REGION\" \"${AWS_CREDENTIAL_EXPIRATION:+set}\" \
                \"${AWS_PROFILE-unset}\" \"$ROLEPORT_PROFILE\"";
    let out = home.roleport(
        &aws,
        &["exec", "prod", "--", "sh", "-c", show],
        &[("AWS_PROFILE", "other")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = text.split('|').collect();
    assert_ne!(
        fields[0],
        aws.user("access_key_id"),
        "long-term keys leaked into the child"
    );
    assert_eq!(
        &fields[1..],
        ["set", "eu-west-1", "eu-west-1", "set", "unset", "prod"],
        "{text}"
    );

    assert_eq!(home.account_via_exec(&aws, "prod", &[]), "111111111111");

    let out = home.roleport(&aws, &["exec", "prod", "--", "sh", "-c", "exit 7"], &[]);
    assert_eq!(out.status.code(), Some(7));
}

#[test]
fn exec_passes_the_profiles_ca_bundle_to_the_command() {
    let aws = Emulator::start();
    let ca = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/testdata/ca.pem");
    let ca = ca.to_str().expect("utf-8 path");
    let home = Home::new(&format!(
        "{}[profile proxied]\nrole_arn = {}\nsource_profile = alice\nca_bundle = {ca}\n",
        base_config(&aws),
        aws.role("prod"),
    ));
    let show = [
        "exec",
        "proxied",
        "--",
        "sh",
        "-c",
        "printf %s \"${AWS_CA_BUNDLE-unset}\"",
    ];
    let out = home.roleport(&aws, &show, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), ca);
    // Without one, nothing is set.
    let out = home.roleport(
        &aws,
        &[
            "exec",
            "prod",
            "--",
            "sh",
            "-c",
            "printf %s \"${AWS_CA_BUNDLE-unset}\"",
        ],
        &[],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "unset");
}

#[test]
fn credential_process_output_works_as_a_credential_process_for_boto3() {
    let aws = Emulator::start();
    let config = format!(
        "{}[profile via-roleport]\ncredential_process = {ROLEPORT} credential-process prod\n",
        base_config(&aws)
    );
    let home = Home::new(&config);
    let out = home.roleport(&aws, &["credential-process", "prod"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["Version"], 1);
    for field in [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        assert!(json[field].is_string(), "{field} missing: {json}");
    }

    // boto3 itself runs `roleport credential-process prod` from the config.
    let out = Command::new(python())
        .args(["-c", WHO_AM_I])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_PROFILE", "via-roleport")
        .env("AWS_ENDPOINT_URL_STS", aws.get("moto"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "111111111111");
}

#[test]
fn a_credential_process_script_is_a_source_for_roles_and_for_the_console() {
    let aws = Emulator::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho 'helper ran' >&2\nprintf '{{\"Version\": 1, \"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"{}\"}}'\n",
            aws.user("access_key_id"),
            aws.user("secret_access_key")
        ),
    )
    .expect("script");
    make_executable(&script);
    let config = format!(
        "{base}[profile proc]\ncredential_process = {script}\n\n\
         [profile proc-role]\nrole_arn = {prod}\nsource_profile = proc\n\n\
         [profile via-roleport]\ncredential_process = {ROLEPORT} credential-process prod\n",
        base = base_config(&aws),
        script = script.display(),
        prod = aws.role("prod"),
    );
    let home = Home::new(&config);
    assert_eq!(
        home.account_via_exec(&aws, "proc-role", &[]),
        "111111111111"
    );

    // Console: temporary credentials from a process are federated as they are; long-term
    // keys from a process go through GetFederationToken.
    let env = aws.host_env(HostEnv::new(&config));
    let mut host = env.spawn();
    let direct = host.request(1, "open_console", json!({"profile": "via-roleport"}));
    let long_term = host.request(2, "open_console", json!({"profile": "proc"}));
    drop(host);
    let (status, page) = aws.follow(
        direct["ok"]["url"]
            .as_str()
            .unwrap_or_else(|| panic!("{direct}")),
    );
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<span id="account">111111111111</span>"#),
        "{page}"
    );
    assert_eq!(
        long_term["ok"]["account_id"],
        aws.user("account_id"),
        "{long_term}"
    );
}

#[test]
fn credential_sources_environment_ecs_and_imds() {
    let aws = Emulator::start();
    let config = format!(
        "{base}[profile env-role]\nrole_arn = {prod}\ncredential_source = Environment\n\n\
         [profile ecs-role]\nrole_arn = {prod}\ncredential_source = EcsContainer\n\n\
         [profile imds-role]\nrole_arn = {prod}\ncredential_source = Ec2InstanceMetadata\n",
        base = base_config(&aws),
        prod = aws.role("prod"),
    );
    let home = Home::new(&config);
    let (key, secret) = (aws.user("access_key_id"), aws.user("secret_access_key"));
    let from_env = home.account_via_exec(
        &aws,
        "env-role",
        &[
            ("AWS_ACCESS_KEY_ID", &key),
            ("AWS_SECRET_ACCESS_KEY", &secret),
        ],
    );
    assert_eq!(from_env, "111111111111");

    let endpoint = MetadataStub::start(&key, &secret);
    let ecs_uri = format!("{}/ecs-creds", endpoint.url);
    let from_ecs = home.account_via_exec(
        &aws,
        "ecs-role",
        &[("AWS_CONTAINER_CREDENTIALS_FULL_URI", &ecs_uri)],
    );
    assert_eq!(from_ecs, "111111111111");
    let from_imds = home.account_via_exec(
        &aws,
        "imds-role",
        &[
            ("AWS_EC2_METADATA_DISABLED", "false"),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &endpoint.url),
        ],
    );
    assert_eq!(from_imds, "111111111111");

    let out = home.roleport(&aws, &["exec", "env-role", "--", "true"], &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("AWS_ACCESS_KEY_ID is not set"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_sso_profile_without_a_login_says_how_to_sign_in() {
    let home = Home::new(
        "[profile s]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\
         sso_account_id = 111111111111\nsso_role_name = Admin\n",
    );
    let out = Command::new(ROLEPORT)
        .args(["credential-process", "s"])
        .env_clear()
        .env("HOME", home.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let text = stderr(&out);
    // No token in ~/.aws/sso/cache: the legacy profile's login is named by the profile.
    assert!(text.contains("roleport sso login s"), "{text}");
    assert!(out.stdout.is_empty());
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = std::fs::metadata(path).expect("stat").permissions();
    perms.set_mode(0o755);
    std::fs::set_permissions(path, perms).expect("chmod");
}

/// The ECS container credentials endpoint and IMDSv2, enough for the SDK's providers, both
/// answering with the given keys.
struct MetadataStub {
    url: String,
}

impl MetadataStub {
    fn start(key: &str, secret: &str) -> MetadataStub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let creds = json!({
            "Code": "Success",
            "Type": "AWS-HMAC",
            "AccessKeyId": key,
            "SecretAccessKey": secret,
            "Token": "metadata-token",
            "Expiration": "2999-01-01T00:00:00Z",
            "LastUpdated": "2024-01-01T00:00:00Z",
        })
        .to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let mut parts = first.split_whitespace();
                let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                let mut extra = "";
                let (status, body) = match (method, path) {
                    ("PUT", "/latest/api/token") => {
                        extra = "x-aws-ec2-metadata-token-ttl-seconds: 21600\r\n";
                        ("200 OK", "imds-session".to_owned())
                    }
                    ("GET", "/latest/meta-data/iam/security-credentials/") => {
                        ("200 OK", "test-role".to_owned())
                    }
                    ("GET", "/latest/meta-data/iam/security-credentials/test-role")
                    | ("GET", "/ecs-creds") => ("200 OK", creds.clone()),
                    _ => ("404 Not Found", String::new()),
                };
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.flush();
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        });
        MetadataStub { url }
    }
}
