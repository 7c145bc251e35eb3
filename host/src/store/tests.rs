//! The store's unit tests: backends, the index, passphrases, concurrent writers.

use super::*;

fn file_store(dir: &Path, passphrase: &str) -> Store {
    Store::open_with(
        StoreConfig::in_dir(dir)
            .with_choice(BackendChoice::File)
            .with_passphrase(SecretString::from(passphrase)),
    )
    .expect("opens")
}

fn key(n: u32) -> AccessKey {
    AccessKey::new(
        format!("AKIDTEST{n:08}"),
        SecretString::from(format!("secret/{n}+Xyz")),
    )
    .expect("valid")
}

#[test]
fn lookup_in_an_absent_store_needs_nothing_and_creates_nothing() {
    let parent = tempfile::tempdir().expect("tempdir");
    let dir = parent.path().join("never-created");
    // Keyring asked for and no passphrase: neither is touched for an unknown profile.
    let config = StoreConfig::in_dir(&dir).with_choice(BackendChoice::Keyring);
    assert!(lookup_in(&config, "prod").expect("no error").is_none());
    assert!(stored_in(&config).expect("no error").is_empty());
    assert!(!dir.exists());
}

#[test]
fn file_backend_put_get_remove_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = file_store(dir.path(), "correct horse battery");
    assert_eq!(store.backend(), Backend::File);
    store.put("prod", &key(1)).expect("put");
    store.put("dev", &key(2)).expect("put");
    assert_eq!(store.list().expect("list"), ["dev", "prod"]);
    let creds = store.get("prod").expect("get").expect("stored");
    assert_eq!(creds.access_key_id(), "AKIDTEST00000001");
    assert_eq!(creds.secret_access_key(), "secret/1+Xyz");
    assert!(store.get("staging").expect("get").is_none());
    assert!(store.remove("prod").expect("remove"));
    assert!(!store.remove("prod").expect("remove twice"));
    assert_eq!(store.list().expect("list"), ["dev"]);
    // Nothing on disk shows a secret or an id.
    for entry in std::fs::read_dir(dir.path()).expect("read_dir") {
        let bytes = std::fs::read(entry.expect("entry").path()).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("secret/2") && !text.contains("AKIDTEST"),
            "{text}"
        );
    }
}

#[test]
fn a_wrong_passphrase_is_a_clear_error_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    file_store(dir.path(), "the right one")
        .put("prod", &key(1))
        .expect("put");
    let before = std::fs::read(dir.path().join(KEYS_FILE)).expect("read");
    let wrong = file_store(dir.path(), "not the right one");
    let err = wrong.get("prod").expect_err("wrong passphrase");
    assert!(matches!(err, StoreError::WrongPassphrase { .. }), "{err}");
    assert!(err.to_string().contains("nothing was changed"));
    let err = wrong.put("dev", &key(2)).expect_err("wrong passphrase");
    assert!(matches!(err, StoreError::WrongPassphrase { .. }), "{err}");
    assert!(matches!(
        wrong.remove("prod"),
        Err(StoreError::WrongPassphrase { .. })
    ));
    assert_eq!(
        std::fs::read(dir.path().join(KEYS_FILE)).expect("read"),
        before
    );
    let right = file_store(dir.path(), "the right one");
    assert!(right.get("prod").expect("opens").is_some());
    assert_eq!(right.list().expect("list"), ["prod"]);
}

#[test]
fn the_file_backend_without_a_passphrase_says_how_to_give_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    file_store(dir.path(), "passphrase!")
        .put("prod", &key(1))
        .expect("put");
    let config = StoreConfig::in_dir(dir.path()).with_choice(BackendChoice::File);
    let err = lookup_in(&config, "prod").expect_err("needs a passphrase");
    assert!(matches!(err, StoreError::PassphraseNeeded { .. }), "{err}");
    assert!(err.hint().contains("ROLEPORT_STORE_PASSPHRASE"));
    // A profile the index does not list needs no passphrase.
    assert!(lookup_in(&config, "other").expect("no error").is_none());
}

#[test]
fn short_passphrases_are_refused_for_a_new_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = file_store(dir.path(), "short")
        .put("prod", &key(1))
        .expect_err("too short");
    assert!(matches!(err, StoreError::BadPassphrase(_)), "{err}");
    assert!(!dir.path().join(KEYS_FILE).exists());
}

#[test]
fn concurrent_writers_in_threads_never_lose_or_corrupt_a_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let writers = 4;
    let each = 3;
    std::thread::scope(|s| {
        for w in 0..writers {
            let dir = dir.path();
            s.spawn(move || {
                // One store per thread: each takes the file lock like another process.
                let store = file_store(dir, "shared passphrase");
                for i in 0..each {
                    store
                        .put(&format!("p{w}-{i}"), &key(w * 100 + i))
                        .expect("put");
                }
            });
        }
    });
    let store = file_store(dir.path(), "shared passphrase");
    assert_eq!(store.list().expect("list").len(), (writers * each) as usize);
    for w in 0..writers {
        for i in 0..each {
            let creds = store
                .get(&format!("p{w}-{i}"))
                .expect("get")
                .expect("present");
            assert_eq!(creds.access_key_id(), key(w * 100 + i).access_key_id());
        }
    }
}

#[test]
fn a_cognito_password_is_an_item_of_its_own_beside_the_profiles_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = file_store(dir.path(), "correct horse battery");
    store.put("cog", &key(1)).expect("keys");
    store
        .put_cognito_password("cog", &SecretString::from("Pa55/word with spaces"))
        .expect("password");
    let password = store.cognito_password("cog").expect("get").expect("stored");
    assert_eq!(password.expose_secret(), "Pa55/word with spaces");
    // The keys are untouched, and neither reads as the other.
    assert_eq!(
        store
            .get("cog")
            .expect("get")
            .expect("keys")
            .access_key_id(),
        "AKIDTEST00000001"
    );
    assert!(store.cognito_password("other").expect("get").is_none());
    assert!(store.get(&cognito_item("cog")).is_err());
    assert_eq!(store.list().expect("list"), ["cog", "cognito-password#cog"]);
    assert!(store.remove_cognito_password("cog").expect("remove"));
    assert!(store.cognito_password("cog").expect("get").is_none());
    assert!(store.get("cog").expect("get").is_some());
    for bad in ["", "two\nlines"] {
        assert!(store
            .put_cognito_password("cog", &SecretString::from(bad))
            .is_err());
    }
}

#[test]
fn debug_never_shows_a_secret() {
    let k = key(7);
    let shown = format!("{k:?}");
    assert!(
        !shown.contains("secret/7") && !shown.contains("AKIDTEST00000007"),
        "{shown}"
    );
    let p = Passphrase::Given(SecretString::from("hunter22"));
    assert!(!format!("{p:?}").contains("hunter22"));
}

#[test]
fn keys_and_names_of_the_wrong_shape_are_refused() {
    assert!(AccessKey::new("short", SecretString::from("x")).is_err());
    assert!(AccessKey::new("AKIDTEST00000001", SecretString::from("has space")).is_err());
    assert!(check_profile_name("prod-eu_1").is_ok());
    assert!(check_profile_name("").is_err());
    assert!(check_profile_name("a b").is_err());
    assert!(check_profile_name("[x]").is_err());
}
