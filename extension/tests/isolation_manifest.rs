//! Chromium isolation needs the manifest to grant what the notes measured: with plain
//! `declarativeNetRequest` and no host access, a rule is accepted and silently does nothing.

use std::path::Path;

use roleport_extension::isolation::rules::domains_of;
use serde_json::Value;

fn manifest() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifest/manifest.json");
    let text = std::fs::read_to_string(path).expect("readable");
    serde_json::from_str(&text).expect("valid JSON")
}

fn strings(m: &Value, key: &str) -> Vec<String> {
    (m[key].as_array().expect("a list").iter())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

#[test]
fn every_partitions_console_and_sign_in_domain_is_isolated_over_https_and_wss() {
    let m = manifest();
    let hosts = strings(&m, "host_permissions");
    let domains = domains_of(&hosts);
    for domain in [
        "aws.amazon.com",
        "amazonaws-us-gov.com",
        "amazonaws.cn",
        "amazonaws-eusc.eu",
    ] {
        assert!(
            domains.iter().any(|d| d == domain),
            "{domain} is not isolated"
        );
        for scheme in ["https", "wss"] {
            let pattern = format!("{scheme}://*.{domain}/*");
            assert!(
                hosts.contains(&pattern),
                "missing host permission {pattern}"
            );
        }
    }
}

#[test]
fn the_permissions_isolation_uses_are_granted() {
    let perms = strings(&manifest(), "permissions");
    for needed in [
        "declarativeNetRequestWithHostAccess",
        "webRequest",
        "webNavigation",
        "storage",
    ] {
        assert!(
            perms.iter().any(|p| p == needed),
            "missing permission {needed}"
        );
    }
}
