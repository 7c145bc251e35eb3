//! Checks `manifest/manifest.json` against the protocol's ids and the files it names.

use std::path::{Path, PathBuf};

use base64::Engine;
use roleport_protocol::{CHROMIUM_EXTENSION_ID, FIREFOX_EXTENSION_ID};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(repo().join("manifest/manifest.json")).expect("readable");
    serde_json::from_str(&text).expect("valid JSON")
}

/// Chromium's rule: sha256 of the DER public key, first 32 hex digits mapped 0-f → a-p.
fn chromium_id(key_b64: &str) -> String {
    let der = base64::engine::general_purpose::STANDARD
        .decode(key_b64.trim())
        .expect("base64");
    Sha256::digest(der)[..16]
        .iter()
        .flat_map(|b| [b >> 4, b & 0xf])
        .map(|nibble| char::from(b'a' + nibble))
        .collect()
}

#[test]
fn key_fixes_the_chromium_id_the_host_allows() {
    let key = manifest()["key"].as_str().expect("key").to_owned();
    let committed = std::fs::read_to_string(repo().join("manifest/key.pub.b64")).expect("key file");
    assert_eq!(
        key,
        committed.trim(),
        "manifest key differs from manifest/key.pub.b64"
    );
    assert_eq!(chromium_id(&key), CHROMIUM_EXTENSION_ID);
}

#[test]
fn gecko_id_and_version_match_the_code() {
    let m = manifest();
    assert_eq!(
        m["browser_specific_settings"]["gecko"]["id"],
        FIREFOX_EXTENSION_ID
    );
    assert_eq!(m["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["manifest_version"], 3);
}

#[test]
fn csp_allows_wasm_but_never_eval() {
    let csp = manifest()["content_security_policy"]["extension_pages"]
        .as_str()
        .expect("extension_pages CSP")
        .to_owned();
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(
        !csp.replace("'wasm-unsafe-eval'", "")
            .contains("unsafe-eval"),
        "{csp}"
    );
}

#[test]
fn one_background_for_both_browsers() {
    let bg = &manifest()["background"];
    assert_eq!(bg["service_worker"], "bg.js");
    assert_eq!(bg["scripts"], serde_json::json!(["bg.js"]));
    assert_eq!(bg["type"], "module");
}

#[test]
fn permissions_cover_both_isolation_paths() {
    let m = manifest();
    let perms: Vec<&str> = m["permissions"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for needed in [
        "nativeMessaging",
        "tabs",
        "tabGroups",
        "contextualIdentities",
        "cookies",
    ] {
        assert!(perms.contains(&needed), "missing permission {needed}");
    }
}

#[test]
fn named_files_exist_and_icons_have_their_size() {
    let m = manifest();
    let static_dir = repo().join("extension/static");
    for page in [
        "popup.html",
        "popup-start.js",
        "popup.js",
        "popup.css",
        "bg.js",
    ] {
        assert!(
            static_dir.join(page).is_file(),
            "extension/static/{page} missing"
        );
    }
    assert_eq!(m["action"]["default_popup"], "popup.html");
    let icons = m["icons"].as_object().expect("icons");
    assert_eq!(icons.len(), 4);
    for (size, path) in icons {
        let png = std::fs::read(repo().join("manifest").join(path.as_str().expect("path")))
            .expect("icon readable");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{path}");
        let width = u32::from_be_bytes(png[16..20].try_into().expect("IHDR"));
        let height = u32::from_be_bytes(png[20..24].try_into().expect("IHDR"));
        assert_eq!(
            (width.to_string(), height.to_string()),
            (size.clone(), size.clone()),
            "{path}"
        );
    }
}
