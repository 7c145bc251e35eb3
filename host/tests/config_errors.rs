//! Every kind of broken `~/.aws/config` / `~/.aws/credentials`, one row each: what the popup
//! hears (`list_profiles`, `open_console`) and what a person at the terminal reads
//! (`roleport list`, `roleport explain P`): a coded error naming the file and, where the file
//! has one, the line, with a hint a person can act on. Never a panic, never a silent pass.
//!
//! A file-level error (the file cannot be parsed) fails `list_profiles` and every profile; a
//! setting-level error fails only the profile that has it, and the list still shows the rest.
//! None of these needs AWS: each is refused before any call.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};
use support::HostEnv;

/// Which file the broken text goes in.
#[derive(Clone, Copy, Debug)]
enum File {
    Config,
    Credentials,
}

/// One broken file and what roleport must say about it.
struct Case {
    name: &'static str,
    file: File,
    text: &'static [u8],
    /// The profile opened and explained.
    profile: &'static str,
    code: &'static str,
    /// `Some(n)`: the message names the file and `line n`.
    line: Option<usize>,
    /// Words the message must contain (the reason, in words).
    says: &'static str,
    /// Words the hint must contain.
    hint: &'static str,
    /// The whole file is refused: `list_profiles` fails too.
    whole_file: bool,
}

const GOOD: &str = "[profile good]\nrole_arn = arn:aws:iam::111111111111:role/Good\n\
                    source_profile = keys\n\n[profile keys]\nregion = us-east-1\n";
const KEYS: &str = "[keys]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = s3cret\n";

const FIX_LINE: &str = "Fix the file at the line named above";

const CASES: &[Case] = &[
    Case {
        name: "a property before any section",
        file: File::Config,
        text: b"region = us-east-1\n[profile a]\nregion = us-east-1\n",
        profile: "a",
        code: "config_unreadable",
        line: Some(1),
        says: "expected a profile definition",
        hint: FIX_LINE,
        whole_file: true,
    },
    Case {
        name: "a line without `=`",
        file: File::Config,
        text: b"[profile a]\nregion us-east-1\n",
        profile: "a",
        code: "config_unreadable",
        line: Some(2),
        says: "'=' sign",
        hint: FIX_LINE,
        whole_file: true,
    },
    Case {
        name: "a section header without its `]`",
        file: File::Config,
        text: b"[profile a]\nregion = us-east-1\n[profile\nregion = eu-west-1\n",
        profile: "a",
        code: "config_unreadable",
        line: Some(3),
        says: "must end with ']'",
        hint: FIX_LINE,
        whole_file: true,
    },
    Case {
        name: "an empty section header",
        file: File::Credentials,
        text: b"[a]\naws_access_key_id = AKIDEXAMPLE\n\n[]\nx = 1\n",
        profile: "a",
        code: "config_unreadable",
        line: Some(4),
        says: "names no section",
        hint: FIX_LINE,
        whole_file: true,
    },
    Case {
        name: "a continuation line before any section",
        file: File::Config,
        text: b"  region = us-east-1\n[profile a]\n",
        profile: "a",
        code: "config_unreadable",
        line: Some(1),
        says: "expected a profile definition",
        hint: FIX_LINE,
        whole_file: true,
    },
    Case {
        name: "a nested setting without `=`",
        file: File::Config,
        text: b"[profile a]\nregion = us-east-1\ns3 =\n  max_concurrent_requests 10\n",
        profile: "a",
        code: "config_unreadable",
        line: Some(4),
        says: "'=' sign defining a sub-property",
        hint: FIX_LINE,
        whole_file: true,
    },
    Case {
        name: "invalid UTF-8",
        file: File::Credentials,
        text: b"[a]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = caf\xe9\n",
        profile: "a",
        code: "config_unreadable",
        line: Some(3),
        says: "not UTF-8",
        hint: FIX_LINE,
        whole_file: true,
    },
    Case {
        name: "a NUL byte",
        file: File::Config,
        text: b"[profile a]\nregion = us-east-1\x00\n",
        profile: "a",
        code: "config_unreadable",
        line: Some(2),
        says: "NUL byte",
        hint: FIX_LINE,
        whole_file: true,
    },
    Case {
        name: "a section written twice",
        file: File::Config,
        text: b"[profile a]\nregion = us-east-1\n[profile a]\nregion = eu-west-1\n",
        profile: "a",
        code: "config_unreadable",
        line: Some(3),
        says: "appears twice",
        hint: FIX_LINE,
        whole_file: true,
    },
    Case {
        name: "a key written twice in one section",
        file: File::Credentials,
        text: b"[a]\naws_access_key_id = AKIDEXAMPLE\nAWS_ACCESS_KEY_ID = AKIDOTHER\n",
        profile: "a",
        code: "config_unreadable",
        line: Some(3),
        says: "appears twice",
        hint: FIX_LINE,
        whole_file: true,
    },
    Case {
        name: "role_arn that is not an ARN",
        file: File::Config,
        text: b"[profile a]\nregion = us-east-1\nsource_profile = keys\nrole_arn = Admin\n",
        profile: "a",
        code: "invalid_setting",
        line: Some(4),
        says: "role_arn = `Admin` is not an IAM role ARN",
        hint: "arn:aws:iam::ACCOUNT_ID:role/NAME",
        whole_file: false,
    },
    Case {
        name: "duration_seconds out of range",
        file: File::Config,
        text: b"[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = keys\n\
                duration_seconds = 99999\n",
        profile: "a",
        code: "invalid_setting",
        line: Some(4),
        says: "outside the 900 to 43200 seconds",
        hint: "from 900",
        whole_file: false,
    },
    Case {
        name: "a region that is not a region name",
        file: File::Config,
        text:
            b"[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = keys\n\n\
                region = us east 1\n",
        profile: "a",
        code: "invalid_setting",
        line: Some(5),
        says: "region = `us east 1` is not a region name",
        hint: "eu-west-1",
        whole_file: false,
    },
    Case {
        name: "a source_profile cycle",
        file: File::Config,
        text: b"[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = b\n\
                [profile b]\nrole_arn = arn:aws:iam::111111111111:role/B\nsource_profile = a\n",
        profile: "a",
        code: "profile_cycle",
        line: None,
        says: "a -> b -> a",
        hint: "source_profile at a profile with keys",
        whole_file: false,
    },
    Case {
        name: "a source_profile that does not exist",
        file: File::Config,
        text: b"[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = nope\n",
        profile: "a",
        code: "unknown_profile",
        line: None,
        says: "names source_profile `nope`, which does not exist",
        hint: "[profile nope]",
        whole_file: false,
    },
];

/// Writes the case's files into a HOME of its own: (config, credentials).
fn texts(case: &Case) -> (Vec<u8>, Vec<u8>) {
    match case.file {
        File::Config => {
            let mut config = case.text.to_vec();
            config.extend_from_slice(format!("\n{GOOD}").as_bytes());
            (config, KEYS.as_bytes().to_vec())
        }
        File::Credentials => (GOOD.as_bytes().to_vec(), case.text.to_vec()),
    }
}

fn path_in(home: &Path, file: File) -> String {
    let name = match file {
        File::Config => "config",
        File::Credentials => "credentials",
    };
    home.join(".aws").join(name).display().to_string()
}

/// Checks one coded error against the case.
fn check(case: &Case, home: &Path, via: &str, code: &str, message: &str, hint: &str) {
    let what = format!("{} ({via})", case.name);
    assert_eq!(code, case.code, "{what}: {message}");
    assert!(message.contains(case.says), "{what}: {message}");
    assert!(hint.contains(case.hint), "{what}: hint {hint:?}");
    if let Some(line) = case.line {
        let at = format!("{} line {line}", path_in(home, case.file));
        assert!(message.contains(&at), "{what}: `{at}` not in {message}");
    }
    assert!(!message.contains('\n'), "{what}: one line: {message:?}");
}

fn roleport(home: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_roleport"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("ROLEPORT_RUNTIME_DIR", home.join("run"))
        .output()
        .expect("run roleport");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `roleport: MESSAGE (CODE)\nhint: HINT` (explain) or `roleport: CODE: MESSAGE\nhint: HINT`
/// (list): the three parts.
fn parse_cli(stderr: &str) -> (String, String, String) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.contains(" WARN ")).collect();
    let first = lines
        .iter()
        .find(|l| l.starts_with("roleport: "))
        .unwrap_or_else(|| panic!("no error line in {stderr}"))
        .trim_start_matches("roleport: ");
    let hint = lines
        .iter()
        .find_map(|l| l.strip_prefix("hint: "))
        .unwrap_or_else(|| panic!("no hint in {stderr}"))
        .to_owned();
    if let Some(open) = first.rfind(" (") {
        if first.ends_with(')') && !first[open + 2..].contains(' ') {
            return (
                first[open + 2..first.len() - 1].to_owned(),
                first[..open].to_owned(),
                hint,
            );
        }
    }
    let (code, message) = first.split_once(": ").unwrap_or_else(|| panic!("{stderr}"));
    (code.to_owned(), message.to_owned(), hint)
}

#[test]
fn every_broken_file_gets_a_coded_error_with_file_line_and_hint_on_every_channel() {
    for case in CASES {
        let (config, credentials) = texts(case);
        let mut host = HostEnv::new("").spawn();
        let home = host.home_path();
        std::fs::write(home.join(".aws/config"), &config).expect("config");
        std::fs::write(home.join(".aws/credentials"), &credentials).expect("credentials");

        let list = host.request(1, "list_profiles", json!({}));
        if case.whole_file {
            let e = &list["err"];
            check(
                case,
                &home,
                "list_profiles",
                e["code"].as_str().unwrap_or_default(),
                e["message"].as_str().unwrap_or_default(),
                e["hint"].as_str().unwrap_or_default(),
            );
        } else {
            let names: Vec<&str> = list["ok"]["profiles"]
                .as_array()
                .unwrap_or_else(|| panic!("{}: the list still loads: {list}", case.name))
                .iter()
                .filter_map(|p| p["name"].as_str())
                .collect();
            assert!(names.contains(&"good"), "{}: {list}", case.name);
        }
        let open = host.request(2, "open_console", json!({"profile": case.profile}));
        let e = &open["err"];
        check(
            case,
            &home,
            "open_console",
            e["code"].as_str().unwrap_or_else(|| panic!("{open}")),
            e["message"].as_str().unwrap_or_default(),
            e["hint"].as_str().unwrap_or_default(),
        );

        let (status, _, stderr) = roleport(&home, &["explain", case.profile]);
        assert_eq!(status, Some(1), "{}: {stderr}", case.name);
        let (code, message, hint) = parse_cli(&stderr);
        check(case, &home, "roleport explain", &code, &message, &hint);

        let (status, stdout, stderr) = roleport(&home, &["list"]);
        if case.whole_file {
            assert_eq!(status, Some(1), "{}: {stdout}{stderr}", case.name);
            let (code, message, hint) = parse_cli(&stderr);
            check(case, &home, "roleport list", &code, &message, &hint);
        } else {
            assert_eq!(status, Some(0), "{}: {stderr}", case.name);
            assert!(stdout.contains("good"), "{}: {stdout}", case.name);
        }
        let (_, stderr) = host.finish();
        assert!(!stderr.contains("panicked"), "{}: {stderr}", case.name);
    }
}

#[test]
fn a_huge_file_is_refused_by_its_size_before_it_is_read() {
    let host = HostEnv::new("").spawn();
    let home = host.home_path();
    // 64 MiB, sparse: any parse would report the NUL bytes; the size check comes first.
    let file = std::fs::File::create(home.join(".aws/config")).expect("create");
    file.set_len(64 << 20).expect("grow");
    drop(file);
    let mut host = host;
    let reply = host.request(1, "list_profiles", json!({}));
    assert_eq!(support::err_code(&reply), "config_unreadable", "{reply}");
    let message = reply["err"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("64 MiB, more than the 8 MiB roleport reads"),
        "{message}"
    );
    let (status, _, stderr) = roleport(&home, &["explain", "a"]);
    assert_eq!(status, Some(1));
    assert!(stderr.contains("more than the 8 MiB"), "{stderr}");
    let (_, stderr) = host.finish();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn settings_roleport_cannot_use_are_warned_about_and_the_aws_clis_own_ignored() {
    let host = HostEnv::new("").spawn();
    let home = host.home_path();
    let config =
        "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = keys\n\
                  roleport_colour = red\nroleport_color = blurple\nroleport_icon = dragon\n\
                  duration_seconds = one hour\ngranted_sso_start_url = https://x\n\n\
                  [profile keys]\nregion = us-east-1\n";
    std::fs::write(home.join(".aws/config"), config).expect("config");
    std::fs::write(home.join(".aws/credentials"), KEYS).expect("credentials");
    let (status, stdout, stderr) = roleport(&home, &["explain", "a"]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        stdout.contains("assume arn:aws:iam::111111111111:role/A"),
        "{stdout}"
    );
    let config_path = path_in(&home, File::Config);
    let warned = |words: &str, line: usize| {
        let at = format!("{config_path} line {line}");
        assert!(
            stderr.lines().any(|l| l.starts_with("roleport: warning: ")
                && l.contains(words)
                && l.contains(&at)),
            "no warning with `{words}` and `{at}`:\n{stderr}"
        );
    };
    warned("`roleport_colour` is not a roleport setting", 4);
    warned("did you mean `roleport_color`?", 4);
    warned("roleport_color `blurple`", 5);
    warned("roleport_icon `dragon`", 6);
    warned("duration_seconds `one hour`", 7);
    assert!(
        !stderr.contains("granted_sso_start_url"),
        "other tools' keys are ignored, as the AWS CLI ignores them: {stderr}"
    );
    drop(host);
}

#[test]
fn an_empty_profile_name_is_ignored_as_the_aws_cli_ignores_it() {
    let host = HostEnv::new("").spawn();
    let home = host.home_path();
    std::fs::write(
        home.join(".aws/config"),
        format!("[profile ]\nregion = us-east-1\n\n{GOOD}"),
    )
    .expect("config");
    std::fs::write(home.join(".aws/credentials"), KEYS).expect("credentials");
    let (status, stdout, stderr) = roleport(&home, &["list", "--json"]);
    assert_eq!(status, Some(0), "{stderr}");
    let list: Value = serde_json::from_str(&stdout).expect("json");
    let names: Vec<&str> = list["profiles"]
        .as_array()
        .expect("profiles")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["good", "keys"]);
    let (status, _, stderr) = roleport(&home, &["explain", ""]);
    assert_eq!(status, Some(1));
    assert!(stderr.contains("(unknown_profile)"), "{stderr}");
    drop(host);
}

#[test]
fn warnings_reach_the_popup_as_notices_and_the_console_still_opens() {
    let aws = support::emulator::Emulator::start();
    let config = format!(
        "[profile alice]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n\n\
         [profile prod]\nrole_arn = {prod}\nsource_profile = alice\nroleport_colour = red\n",
        key = aws.user("access_key_id"),
        secret = aws.user("secret_access_key"),
        prod = aws.role("prod"),
    );
    let mut host = aws.host_env(HostEnv::new(&config)).spawn();
    let reply = host.request(1, "open_console", json!({"profile": "prod"}));
    let notices: Vec<&str> = reply["ok"]["notices"]
        .as_array()
        .unwrap_or_else(|| panic!("signed in, with notices: {reply}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let at = format!("{} line 8", path_in(&host.home_path(), File::Config));
    assert!(
        notices
            .iter()
            .any(|n| n.contains("did you mean `roleport_color`?") && n.contains(&at)),
        "{notices:?}"
    );
    host.finish();
}
