//! roleport's settings file over native messaging, as the options page uses it: read it,
//! save rules (checked by the file's own parser first), and see the profiles change colour.

mod support;

use std::os::unix::fs::PermissionsExt;

use serde_json::{json, Value};
use support::{err_code, HostEnv};

const CONFIG: &str = "
[profile base]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = do-not-leak

[profile prod]
role_arn = arn:aws:iam::111111111111:role/Admin
source_profile = base
roleport_tags = env=prod

[profile dev]
role_arn = arn:aws:iam::222222222222:role/Dev
source_profile = base
roleport_color = green
";

fn profile<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["ok"]["profiles"]
        .as_array()
        .expect("profiles")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} not listed: {list}"))
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

#[test]
fn saved_rules_recolour_the_listed_profiles_and_land_in_a_private_file() {
    let mut host = HostEnv::new(CONFIG).spawn();
    let file = host.home_path().join(".config/roleport/config.toml");

    let empty = host.request(1, "settings_get", json!({}));
    assert_eq!(empty["ok"]["type"], "settings_get", "{empty}");
    assert_eq!(empty["ok"]["path"], file.display().to_string());
    assert_eq!(
        empty["ok"]["settings"],
        json!({"defaults": {}, "rules": []})
    );

    let settings = json!({
        "defaults": {"region": "eu-west-1"},
        "rules": [
            {"tag": "env=prod", "color": "red", "label": "PROD"},
            {"name": "*", "icon": "briefcase"}
        ]
    });
    let saved = host.request(2, "settings_put", json!({ "settings": settings }));
    assert_eq!(saved["ok"]["type"], "settings_put", "{saved}");
    assert_eq!(saved["ok"]["settings"], settings);
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().expect("dir")), 0o700);

    // The next listing has the new look (the host noticed the file changed).
    let list = host.request(3, "list_profiles", json!({}));
    let prod = profile(&list, "prod");
    assert_eq!(
        (
            &prod["color"],
            &prod["icon"],
            &prod["label"],
            &prod["region"]
        ),
        (
            &json!("red"),
            &json!("briefcase"),
            &json!("PROD"),
            &json!("eu-west-1")
        )
    );
    // The profile's own `roleport_color` beats the rules; the rest still fills in.
    let dev = profile(&list, "dev");
    assert_eq!(
        (&dev["color"], &dev["icon"]),
        (&json!("green"), &json!("briefcase"))
    );
    assert!(dev.get("label").is_none(), "{dev}");

    let again = host.request(4, "settings_get", json!({}));
    assert_eq!(again["ok"]["settings"], settings);
    let (code, stderr) = host.finish();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn bad_settings_are_refused_and_the_file_is_left_alone() {
    let mut host = HostEnv::new(CONFIG).spawn();
    let file = host.home_path().join(".config/roleport/config.toml");
    let good = json!({"rules": [{"name": "prod", "color": "red"}]});
    let saved = host.request(1, "settings_put", json!({ "settings": good }));
    assert_eq!(saved["ok"]["type"], "settings_put", "{saved}");
    let before = std::fs::read_to_string(&file).expect("saved");

    let bad = [
        json!({"rules": [{"name": "ok"}, {"regex": true, "name": "(prod"}]}),
        json!({"rules": [{"label": "A LABEL FAR TOO LONG TO BE A BADGE"}]}),
        json!({"defaults": {"region": "eu west 1"}, "rules": []}),
    ];
    for (i, settings) in bad.into_iter().enumerate() {
        let reply = host.request(
            10 + i as u64,
            "settings_put",
            json!({ "settings": settings }),
        );
        assert_eq!(err_code(&reply), "settings_invalid", "{reply}");
        assert!(!reply["err"]["hint"].as_str().unwrap_or_default().is_empty());
    }
    let reply = host.request(
        20,
        "settings_put",
        json!({"settings": {"rules": [{"color": "mauve"}]}}),
    );
    assert_eq!(err_code(&reply), "invalid_request", "{reply}");
    let first = host.request(
        21,
        "settings_put",
        json!({"settings": {"rules": [{"name": "ok"}, {"regex": true, "name": "(prod"}]}}),
    );
    assert!(
        first["err"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("rule 2: "),
        "{first}"
    );
    assert_eq!(std::fs::read_to_string(&file).expect("still there"), before);
    host.finish();
}

#[test]
fn a_broken_file_is_reported_with_its_line_and_the_profiles_still_list() {
    let mut host = HostEnv::new(CONFIG).spawn();
    let dir = host.home_path().join(".config/roleport");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("config.toml"),
        "# mine\n[[rules]]\nname = \"prod\"\ncolor = \"mauve\"\n",
    )
    .expect("write");

    let list = host.request(1, "list_profiles", json!({}));
    assert_eq!(
        list["ok"]["profiles"].as_array().map(Vec::len),
        Some(3),
        "{list}"
    );
    assert_eq!(list["ok"]["settings_error"]["code"], "settings_invalid");
    let message = list["ok"]["settings_error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("config.toml, line 4, column 9"),
        "{message}"
    );
    assert!(message.contains("mauve"), "{message}");
    assert!(profile(&list, "prod").get("label").is_none());

    let got = host.request(2, "settings_get", json!({}));
    assert_eq!(got["ok"]["error"]["code"], "settings_invalid", "{got}");

    // Saving from the page replaces the broken rules, and the comment stays.
    let fixed = json!({"rules": [{"name": "prod", "color": "red"}]});
    let saved = host.request(3, "settings_put", json!({ "settings": fixed }));
    assert_eq!(saved["ok"]["type"], "settings_put", "{saved}");
    let text = std::fs::read_to_string(dir.join("config.toml")).expect("saved");
    assert!(text.starts_with("# mine\n"), "{text}");
    let list = host.request(4, "list_profiles", json!({}));
    assert!(list["ok"].get("settings_error").is_none(), "{list}");
    assert_eq!(profile(&list, "prod")["color"], "red");
    host.finish();
}

#[test]
fn roleport_list_and_doctor_name_the_broken_line_and_still_list_every_profile() {
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(home.path().join(".aws")).expect("mkdir");
    std::fs::write(home.path().join(".aws/config"), CONFIG).expect("config");
    let dir = home.path().join(".config/roleport");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("config.toml"),
        "[[rules]]\nname = \"prod\"\ncolr = \"red\"\n",
    )
    .expect("write");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_roleport"))
            .args(args)
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .output()
            .expect("runs")
    };
    let list = run(&["list"]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&list.stdout),
        String::from_utf8_lossy(&list.stderr),
    );
    assert!(list.status.success(), "{stderr}");
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(stderr.contains("config.toml, line 3, column 1"), "{stderr}");
    assert!(stderr.contains("settings_invalid"), "{stderr}");
    let doctor = run(&["doctor"]);
    let out = String::from_utf8_lossy(&doctor.stdout);
    assert!(out.contains("line 3, column 1"), "{out}");
}
