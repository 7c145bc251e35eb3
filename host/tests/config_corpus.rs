//! Every config in `tests/config-corpus/` means to roleport what it means to botocore.
//!
//! For each case and each profile it lists, `roleport explain --json` is compared with
//! `botocore_explain.py`, which runs botocore's own credential resolver (STS and every
//! credential source faked, so nothing leaves the machine). Successes must match field for
//! field; failures must both fail, with the same kind (cycle, dangling, incomplete, …), and
//! roleport's error must name the profiles botocore's names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cases() -> Vec<PathBuf> {
    let dir = repo().join("tests/config-corpus");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/config-corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("profiles").is_file())
        .collect();
    cases.sort();
    cases
}

/// botocore's answers, by (case, profile).
fn botocore(cases: &[PathBuf]) -> BTreeMap<(String, String), Value> {
    let python = repo().join("tests/.venv/bin/python");
    assert!(
        python.exists(),
        "no tests/.venv: run `cargo xtask deps` first"
    );
    let out = Command::new(python)
        .arg(repo().join("tests/config-corpus/botocore_explain.py"))
        .args(cases)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("run botocore_explain.py");
    assert!(
        out.status.success(),
        "botocore_explain.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("JSON line");
            let key = (
                v["case"].as_str().unwrap_or_default().to_owned(),
                v["profile"].as_str().unwrap_or_default().to_owned(),
            );
            (key, v["result"].clone())
        })
        .collect()
}

fn roleport(case: &Path, profile: &str) -> Value {
    let home = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_roleport"))
        .args(["explain", "--json", profile])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_CONFIG_FILE", case.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", case.join("credentials"))
        .output()
        .expect("run roleport explain");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("SECRET") && !text.contains("AKID"),
        "explain printed a key: {text}"
    );
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{}: not JSON ({e}): {text}\n{}",
            case.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Why roleport's answer differs from botocore's, if it does.
fn difference(ours: &Value, theirs: &Value) -> Option<String> {
    match (ours.get("error"), theirs.get("error")) {
        (None, None) => (ours != theirs).then(|| format!("roleport {ours}\n    botocore {theirs}")),
        (Some(e), Some(kind)) => {
            if e["kind"] != *kind {
                return Some(format!("roleport fails with {e}, botocore with {theirs}"));
            }
            if *kind == "cycle" {
                // The whole chain, in order: botocore's visited list plus the repeated profile.
                return (e["profiles"] != theirs["profiles"])
                    .then(|| format!("cycle {e} differs from botocore's {theirs}"));
            }
            let message = e["message"].as_str().unwrap_or_default();
            let named = e["profiles"].as_array().cloned().unwrap_or_default();
            let missing: Vec<&Value> = theirs["profiles"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| {
                    let quoted = format!("`{}`", p.as_str().unwrap_or_default());
                    !named.contains(p) || !message.contains(&quoted)
                })
                .collect();
            (!missing.is_empty()).then(|| format!("roleport's error {e} does not name {missing:?}"))
        }
        (Some(e), None) => Some(format!(
            "roleport fails ({e}) where botocore resolves {theirs}"
        )),
        (None, Some(_)) => Some(format!(
            "roleport resolves {ours} where botocore fails: {theirs}"
        )),
    }
}

#[test]
fn every_corpus_config_resolves_as_botocore_resolves_it() {
    let cases = cases();
    assert!(
        cases.len() >= 40,
        "the corpus has only {} cases",
        cases.len()
    );
    let expected = botocore(&cases);
    let mut failures = Vec::new();
    let mut compared = 0;
    for case in &cases {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let profiles = std::fs::read_to_string(case.join("profiles")).expect("profiles");
        for profile in profiles
            .lines()
            .map(str::trim)
            .filter(|p| !p.is_empty() && !p.starts_with('#'))
        {
            let Some(theirs) = expected.get(&(name.to_owned(), profile.to_owned())) else {
                failures.push(format!("{name} {profile}: no answer from botocore"));
                continue;
            };
            let ours = roleport(case, profile);
            if let Some(why) = difference(&ours, theirs) {
                failures.push(format!("{name} / {profile}:\n    {why}"));
            }
            compared += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} resolutions differ from botocore:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
