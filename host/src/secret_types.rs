//! Every host type that holds a secret keeps it out of `Debug` (and has no `Display`): a
//! canary seeded into each must not show in `format!("{:?}")`. Types without `Debug` at all
//! (`credentials::sts::Assumed`, `FederationToken`, `saml::held::Grant`, the MFA cache's and
//! credential process's wire structs) cannot be printed by construction. Zeroizing on drop is
//! by type: `Credentials` (the SDK's `Zeroizing` fields), `SecretString`, `Zeroizing`, and the
//! `Drop` impls of `CachedToken`, `process::Output` and `mfa::Sealed`.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use secrecy::SecretString;

use crate::config::{FileKind, Source};
use crate::credentials::{Issued, SessionCredentials};

const KEY_ID: &str = "ASIACANARYKEYID00001";
const SECRET: &str = "canary-secret-access-key-0123456789";
const TOKEN: &str = "canary-session-token-abcdefghijklmnop";

fn canary_credentials() -> Credentials {
    Credentials::new(
        KEY_ID,
        SECRET,
        Some(TOKEN.to_owned()),
        Some(SystemTime::now() + Duration::from_secs(900)),
        "canary",
    )
}

fn assert_hidden(what: &str, shown: &str, canaries: &[&str]) {
    for canary in canaries {
        assert!(
            !shown.contains(canary),
            "{what}'s Debug shows {canary}: {shown}"
        );
    }
}

#[test]
fn the_sdks_credentials_print_the_key_id_but_never_the_secret_or_the_token() {
    // Why roleport's own types redact the whole `Credentials` field.
    let shown = format!("{:?}", canary_credentials());
    assert!(shown.contains(KEY_ID), "{shown}");
    assert_hidden("Credentials", &shown, &[SECRET, TOKEN]);
}

#[test]
fn credential_types_show_no_key_not_even_the_key_id() {
    let issued = Issued {
        credentials: canary_credentials(),
        expires_at: None,
        account_id: Some("111111111111".into()),
    };
    let shown = format!("{issued:?}");
    assert_hidden("Issued", &shown, &[KEY_ID, SECRET, TOKEN]);
    assert!(shown.contains("111111111111"), "{shown}");
    let session = SessionCredentials {
        credentials: canary_credentials(),
        account_id: None,
        role: Some("Admin".into()),
        console_duration: None,
        expires_at: None,
        notices: Vec::new(),
    };
    assert_hidden(
        "SessionCredentials",
        &format!("{session:?}"),
        &[KEY_ID, SECRET, TOKEN],
    );
    for source in [
        Source::StaticKeys {
            profile: "p".into(),
            file: FileKind::Credentials,
            credentials: canary_credentials(),
        },
        Source::StoredKeys {
            profile: "p".into(),
            credentials: canary_credentials(),
        },
    ] {
        assert_hidden("Source", &format!("{source:?}"), &[KEY_ID, SECRET, TOKEN]);
    }
}

#[test]
fn sso_tokens_and_the_client_secret_never_print() {
    let token: crate::sso::cache::CachedToken = serde_json::from_value(serde_json::json!({
        "startUrl": "https://example.awsapps.com/start",
        "region": "eu-west-1",
        "accessToken": "canary-sso-access-token",
        "expiresAt": "2030-01-01T00:00:00Z",
        "clientId": "client",
        "clientSecret": "canary-sso-client-secret",
        "refreshToken": "canary-sso-refresh-token",
    }))
    .expect("a token file");
    assert_hidden(
        "CachedToken",
        &format!("{token:?}"),
        &[
            "canary-sso-access-token",
            "canary-sso-client-secret",
            "canary-sso-refresh-token",
        ],
    );
}

#[test]
fn store_values_passphrases_and_typed_secrets_never_print() {
    let key = crate::store::AccessKey::new(
        "AKIACANARYKEYID00001",
        SecretString::from("canary-long-term-secret"),
    )
    .expect("a valid key");
    assert_hidden(
        "AccessKey",
        &format!("{key:?}"),
        &["canary-long-term-secret"],
    );
    let passphrase = crate::store::Passphrase::Given(SecretString::from("canary-passphrase"));
    assert_hidden(
        "Passphrase",
        &format!("{passphrase:?}"),
        &["canary-passphrase"],
    );
    let open = roleport_protocol::OpenConsole {
        profile: "p".into(),
        region: None,
        service: None,
        destination: None,
        mfa_code: Some("918273".into()),
        password: Some("canary-cognito-password".into()),
    };
    assert_hidden(
        "OpenConsole",
        &format!("{open:?}"),
        &["918273", "canary-cognito-password"],
    );
    let secret = SecretString::from("canary-secret-string");
    assert_hidden(
        "SecretString",
        &format!("{secret:?}"),
        &["canary-secret-string"],
    );
}
