//! `roleport add | remove | keys | doctor` as a person or a script runs them: the real
//! binary, a throwaway HOME and store, no terminal. Every command's stdout and stderr is
//! checked for every secret this file uses.

mod secret_service;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use roleport::store::{self, BackendChoice, StoreConfig};
use secrecy::SecretString;

/// Every secret (and access key ID, and passphrase) used below: none may ever be printed.
const SECRETS: &[&str] = &[
    "AKIDCLIPROD000001",
    "cliProdSecret/aB+1",
    "AKIDCLIFILE000001",
    "cliFileSecret/cD+2",
    "AKIDPLAINWORK0001",
    "plainWorkSecret/eF+3",
    "AKIDPLAINCONF0001",
    "plainConfSecret/gH+4",
    "ASIATEMPSESSION01",
    "tempSessionSecret/iJ+5",
    "tempSessionToken",
    "file store passphrase",
    "wrong passphrase!",
    "jsonSecretValue/kL+6",
    "AKIDJSONKEY000001",
    "concurrentSecret/",
];

struct Env {
    home: tempfile::TempDir,
    keyring: bool,
    vars: Vec<(&'static str, String)>,
}

struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Env {
    /// A HOME with empty AWS files, a store under it, and (when `keyring`) the test's
    /// Secret Service session.
    fn new(keyring: bool) -> Env {
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(home.path().join(".aws")).expect("mkdir");
        Env {
            home,
            keyring,
            vars: Vec::new(),
        }
    }

    fn var(mut self, k: &'static str, v: &str) -> Env {
        self.vars.push((k, v.to_owned()));
        self
    }

    fn store_dir(&self) -> PathBuf {
        self.home.path().join("store")
    }

    fn aws(&self, name: &str) -> PathBuf {
        self.home.path().join(".aws").join(name)
    }

    fn config(&self) -> StoreConfig {
        StoreConfig::in_dir(self.store_dir())
    }

    fn command(&self, args: &[&str]) -> Command {
        // setsid: no controlling terminal, so nothing can prompt.
        let mut cmd = Command::new("setsid");
        cmd.arg("-w")
            .arg(env!("CARGO_BIN_EXE_roleport"))
            .args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ROLEPORT_HOME", self.store_dir())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(self.vars.iter().map(|(k, v)| (k, v)));
        if self.keyring {
            if let Some(bus) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") {
                cmd.env("DBUS_SESSION_BUS_ADDRESS", bus);
            }
        }
        cmd
    }

    /// Runs `roleport ARGS` with `stdin`, and checks no secret reached its output.
    fn run(&self, args: &[&str], stdin: &str) -> Run {
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
            .expect("write stdin");
        finish(args, child.wait_with_output().expect("wait"))
    }
}

fn finish(args: &[&str], out: Output) -> Run {
    let run = Run {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    for secret in SECRETS {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "`roleport {}` printed `{secret}`:\n{}\n{}",
            args.join(" "),
            run.stdout,
            run.stderr
        );
    }
    run
}

fn ok(run: Run) -> Run {
    assert_eq!(run.status, Some(0), "{}\n{}", run.stdout, run.stderr);
    run
}

fn failed(run: Run) -> Run {
    assert_eq!(run.status, Some(1), "{}\n{}", run.stdout, run.stderr);
    run
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

#[test]
fn add_from_stdin_then_lookup_finds_it() {
    secret_service::run("add_from_stdin_then_lookup_finds_it", || {
        let env = Env::new(true);
        let added = ok(env.run(
            &["add", "prod", "--stdin"],
            "AKIDCLIPROD000001\ncliProdSecret/aB+1\n",
        ));
        assert!(
            added
                .stdout
                .contains("stored the keys of `prod` in the Secret Service keyring"),
            "{}",
            added.stdout
        );
        // What the host's profile resolution calls finds the keys the CLI stored.
        let creds = store::lookup_in(&env.config(), "prod")
            .expect("lookup")
            .expect("found");
        assert_eq!(creds.access_key_id(), "AKIDCLIPROD000001");
        assert_eq!(creds.secret_access_key(), "cliProdSecret/aB+1");

        let again = failed(env.run(&["add", "prod", "--stdin"], "AKIDCLIPROD000001\nx\n"));
        assert!(again.stderr.contains("--force"), "{}", again.stderr);
        ok(env.run(
            &["add", "prod", "--stdin", "--force"],
            "AKIDCLIPROD000001\ncliProdSecret/aB+1\n",
        ));
        let keys = ok(env.run(&["keys"], ""));
        assert_eq!(
            keys.stdout.split_whitespace().collect::<Vec<_>>(),
            ["prod", "keyring"]
        );

        ok(env.run(&["remove", "prod"], ""));
        assert!(store::lookup_in(&env.config(), "prod")
            .expect("lookup")
            .is_none());
        let gone = failed(env.run(&["remove", "prod"], ""));
        assert!(
            gone.stderr.contains("holds no keys for `prod`"),
            "{}",
            gone.stderr
        );
    });
}

#[test]
fn the_encrypted_file_takes_its_passphrase_from_the_environment_and_refuses_a_wrong_one() {
    let env = Env::new(false)
        .var("ROLEPORT_STORE", "file")
        .var("ROLEPORT_STORE_PASSPHRASE", "file store passphrase");
    let added = ok(env.run(
        &["add", "ci", "--stdin"],
        r#"{"AccessKeyId": "AKIDCLIFILE000001", "SecretAccessKey": "cliFileSecret/cD+2"}"#,
    ));
    assert!(
        added.stdout.contains("the encrypted file"),
        "{}",
        added.stdout
    );
    let keys_file = env.store_dir().join(store::KEYS_FILE);
    #[cfg(unix)]
    {
        assert_eq!(mode(&keys_file), 0o600);
        assert_eq!(mode(&env.store_dir()), 0o700);
    }
    let config = env
        .config()
        .with_choice(BackendChoice::File)
        .with_passphrase(SecretString::from("file store passphrase"));
    let creds = store::lookup_in(&config, "ci")
        .expect("lookup")
        .expect("found");
    assert_eq!(creds.secret_access_key(), "cliFileSecret/cD+2");

    let before = std::fs::read(&keys_file).expect("read");
    let wrong = Env {
        vars: vec![
            ("ROLEPORT_STORE", "file".into()),
            ("ROLEPORT_STORE_PASSPHRASE", "wrong passphrase!".into()),
        ],
        ..env
    };
    let refused = failed(wrong.run(&["add", "other", "--stdin"], "AKIDCLIFILE000002\nx\n"));
    assert!(
        refused.stderr.contains("the passphrase does not open")
            && refused.stderr.contains("nothing was changed"),
        "{}",
        refused.stderr
    );
    assert_eq!(std::fs::read(&keys_file).expect("read"), before);
    let listed = ok(wrong.run(&["keys"], ""));
    assert!(!listed.stdout.contains("other"));
}

#[test]
fn concurrent_adds_from_several_processes_never_corrupt_the_store() {
    let env = Env::new(false)
        .var("ROLEPORT_STORE", "file")
        .var("ROLEPORT_STORE_PASSPHRASE", "file store passphrase");
    let n = 6;
    let children: Vec<_> = (0..n)
        .map(|i| {
            let mut child = env
                .command(&["add", &format!("p{i}"), "--stdin"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn");
            let input = format!("AKIDCONCURRENT{i:04}\nconcurrentSecret/{i}\n");
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write");
            child
        })
        .collect();
    for child in children {
        ok(finish(&["add"], child.wait_with_output().expect("wait")));
    }
    let config = env
        .config()
        .with_choice(BackendChoice::File)
        .with_passphrase(SecretString::from("file store passphrase"));
    let names: Vec<_> = store::stored_in(&config)
        .expect("index")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, (0..n).map(|i| format!("p{i}")).collect::<Vec<_>>());
    for i in 0..n {
        let creds = store::lookup_in(&config, &format!("p{i}"))
            .expect("lookup")
            .expect("present");
        assert_eq!(creds.secret_access_key(), format!("concurrentSecret/{i}"));
    }
    let leftovers: Vec<_> = std::fs::read_dir(env.store_dir())
        .expect("read_dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_bare_environment_without_dbus_falls_back_to_the_encrypted_file() {
    let env = Env::new(false);
    let empty = ok(env.run(&["keys"], ""));
    assert!(empty.stdout.contains("no keys"), "{}", empty.stdout);
    assert!(!env.store_dir().exists(), "listing creates nothing");
    let refused = failed(env.run(
        &["add", "dev", "--stdin"],
        "AKIDCLIFILE000001\ncliFileSecret/cD+2\n",
    ));
    assert!(
        refused.stderr.contains("no passphrase is available")
            && refused.stderr.contains("ROLEPORT_STORE_PASSPHRASE"),
        "{}",
        refused.stderr
    );
    let env = env.var("ROLEPORT_STORE_PASSPHRASE", "file store passphrase");
    let added = ok(env.run(
        &["add", "dev", "--stdin"],
        "AKIDCLIFILE000001\ncliFileSecret/cD+2\n",
    ));
    assert!(
        added.stdout.contains("the encrypted file") && added.stdout.contains("no D-Bus session"),
        "{}",
        added.stdout
    );
}

#[test]
fn doctor_move_keys_moves_plaintext_keys_into_the_store() {
    secret_service::run(
        "doctor_move_keys_moves_plaintext_keys_into_the_store",
        || {
            let env = Env::new(true);
            let credentials = "[work]\naws_access_key_id = AKIDPLAINWORK0001\n\
                           aws_secret_access_key = plainWorkSecret/eF+3\n\n\
                           [temp]\naws_access_key_id = ASIATEMPSESSION01\n\
                           aws_secret_access_key = tempSessionSecret/iJ+5\n\
                           aws_session_token = tempSessionToken\n";
            let config =
                "[profile conf]\nregion = eu-west-1\naws_access_key_id = AKIDPLAINCONF0001\n\
                      aws_secret_access_key = plainConfSecret/gH+4\n\n\
                      [profile prod]\nrole_arn = arn:aws:iam::111111111111:role/Admin\n\
                      source_profile = work\n";
            std::fs::write(env.aws("credentials"), credentials).expect("write");
            std::fs::write(env.aws("config"), config).expect("write");

            let before = env.run(&["doctor"], "");
            assert_eq!(before.status, Some(1));
            assert!(
                before
                    .stdout
                    .contains("WARN  plaintext keys: profile `work`")
                    && before.stdout.contains("fix: roleport doctor --move-keys"),
                "{}",
                before.stdout
            );

            let moved = env.run(&["doctor", "--move-keys"], "");
            assert!(
                moved.stdout.contains("the keys of `work` are now in")
                    && moved.stdout.contains("the keys of `conf` are now in"),
                "{}",
                moved.stdout
            );
            let now = std::fs::read_to_string(env.aws("credentials")).expect("read");
            assert!(
                !now.contains("AKIDPLAINWORK0001") && !now.contains("plainWorkSecret"),
                "{now}"
            );
            assert!(
                now.contains("[work]") && now.contains("tempSessionToken"),
                "{now}"
            );
            let conf = std::fs::read_to_string(env.aws("config")).expect("read");
            assert!(!conf.contains("plainConfSecret") && conf.contains("region = eu-west-1"));

            // A 0600 backup of each file holds the old text.
            let backups: Vec<PathBuf> = std::fs::read_dir(env.home.path().join(".aws"))
                .expect("read_dir")
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().contains(".roleport-backup-"))
                .collect();
            assert_eq!(backups.len(), 2, "{backups:?}");
            for b in &backups {
                #[cfg(unix)]
                assert_eq!(mode(b), 0o600);
                let text = std::fs::read_to_string(b).expect("read");
                assert!(text == credentials || text == config);
            }

            let work = store::lookup_in(&env.config(), "work")
                .expect("lookup")
                .expect("moved");
            assert_eq!(work.secret_access_key(), "plainWorkSecret/eF+3");
            assert!(store::lookup_in(&env.config(), "conf")
                .expect("lookup")
                .is_some());
            assert!(store::lookup_in(&env.config(), "temp")
                .expect("lookup")
                .is_none());

            let after = env.run(&["doctor"], "");
            assert!(
                !after.stdout.contains("WARN  plaintext keys"),
                "{}",
                after.stdout
            );
            assert!(
                after.stdout.contains("2 profiles stored"),
                "{}",
                after.stdout
            );
            // Moving twice finds nothing more to move.
            let twice = env.run(&["doctor", "--move-keys"], "");
            assert!(!twice.stdout.contains("are now in"), "{}", twice.stdout);

            for profile in ["work", "conf"] {
                ok(env.run(&["remove", profile], ""));
            }
        },
    );
}

#[test]
fn no_command_prints_a_secret_even_at_debug_log_level() {
    secret_service::run("no_command_prints_a_secret_even_at_debug_log_level", || {
        let env = Env::new(true).var("ROLEPORT_LOG", "debug");
        std::fs::write(
            env.aws("credentials"),
            "[plain]\naws_access_key_id = AKIDPLAINWORK0001\n\
             aws_secret_access_key = plainWorkSecret/eF+3\n",
        )
        .expect("write");
        // `finish` checks every run's output against SECRETS; these cover every command,
        // its success and its failures.
        let json = r#"{"AccessKey": {"AccessKeyId": "AKIDJSONKEY000001", "SecretAccessKey": "jsonSecretValue/kL+6"}}"#;
        ok(env.run(&["add", "json", "--stdin"], json));
        failed(env.run(&["add", "json", "--stdin"], json));
        failed(env.run(
            &["add", "bad", "--stdin"],
            "AKIDJSONKEY000001\njsonSecretValue/kL+6\nthird line\n",
        ));
        failed(env.run(
            &["add", "bad", "--stdin"],
            r#"{"AccessKeyId": "jsonSecretValue/kL+6""#,
        ));
        failed(env.run(
            &["add", "bad", "--stdin"],
            "AKIDJSONKEY000001\nwith space jsonSecretValue/kL+6\n",
        ));
        ok(env.run(&["keys"], ""));
        ok(env.run(&["keys", "--json"], ""));
        env.run(&["doctor"], "");
        env.run(&["doctor", "--move-keys"], "");
        env.run(&["list"], "");
        for profile in ["json", "plain"] {
            ok(env.run(&["remove", profile], ""));
        }
    });
}
