//! roleport's store against a real Secret Service (gnome-keyring), in process: keys and the
//! sealed cache's key really live in the keyring, and nothing secret reaches the disk.

mod secret_service;

use std::path::Path;
use std::time::{Duration, SystemTime};

use roleport::store::cache::SealedCache;
use roleport::store::{self, AccessKey, Backend, BackendChoice, Store, StoreConfig, KEYS_FILE};
use secrecy::SecretString;

fn key(id: &str, secret: &str) -> AccessKey {
    AccessKey::new(id, SecretString::from(secret)).expect("valid key")
}

fn keyring_store(dir: &Path) -> Store {
    Store::open_with(StoreConfig::in_dir(dir).with_choice(BackendChoice::Keyring))
        .expect("the Secret Service answers")
}

fn assert_no_file_holds(dir: &Path, needles: &[&str]) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let text =
            String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap_or_default()).into_owned();
        for needle in needles {
            assert!(
                !text.contains(needle),
                "{} holds `{needle}`",
                entry.path().display()
            );
        }
    }
}

#[test]
fn keyring_put_get_remove_list() {
    secret_service::run("keyring_put_get_remove_list", || {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = keyring_store(dir.path());
        assert_eq!(store.backend(), Backend::Keyring);
        let service = store.config().service.clone();

        store
            .put("prod", &key("AKIDKEYRINGPROD01", "prodSecret/abc+1"))
            .expect("put prod");
        store
            .put("dev", &key("AKIDKEYRINGDEV001", "devSecret/def+2"))
            .expect("put dev");
        assert_eq!(store.list().expect("list"), ["dev", "prod"]);

        let creds = store.get("prod").expect("get").expect("stored");
        assert_eq!(creds.access_key_id(), "AKIDKEYRINGPROD01");
        assert_eq!(creds.secret_access_key(), "prodSecret/abc+1");
        // The same keys through the host's lookup, which opens nothing but what it needs.
        let found = store::lookup_in(store.config(), "dev")
            .expect("lookup")
            .expect("found");
        assert_eq!(found.secret_access_key(), "devSecret/def+2");

        // libsecret's own tool sees the item: it is in the Secret Service, not on our disk.
        let item = secret_service::secret_tool_lookup(&service, "prod").expect("item exists");
        assert!(item.contains("AKIDKEYRINGPROD01"), "the item is roleport's");
        assert_no_file_holds(dir.path(), &["prodSecret", "devSecret", "AKIDKEYRING"]);
        assert!(!dir.path().join(KEYS_FILE).exists());

        // Replacing keys replaces the item.
        store
            .put("prod", &key("AKIDKEYRINGPROD02", "prodSecret/new+3"))
            .expect("replace");
        let creds = store.get("prod").expect("get").expect("stored");
        assert_eq!(creds.access_key_id(), "AKIDKEYRINGPROD02");

        assert!(store.remove("prod").expect("remove"));
        assert!(store.remove("dev").expect("remove"));
        assert!(!store.remove("dev").expect("remove twice"));
        assert!(store.list().expect("list").is_empty());
        assert!(secret_service::secret_tool_lookup(&service, "prod").is_none());
        assert!(store.get("prod").expect("get").is_none());
    });
}

#[test]
fn auto_chooses_the_keyring_when_one_answers() {
    secret_service::run("auto_chooses_the_keyring_when_one_answers", || {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open_with(StoreConfig::in_dir(dir.path())).expect("opens");
        assert_eq!(store.backend(), Backend::Keyring);
        assert!(
            store.describe().contains("Secret Service"),
            "{}",
            store.describe()
        );
    });
}

#[test]
fn keys_move_between_backends_without_leaving_a_copy() {
    secret_service::run("keys_move_between_backends_without_leaving_a_copy", || {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = Store::open_with(
            StoreConfig::in_dir(dir.path())
                .with_choice(BackendChoice::File)
                .with_passphrase(SecretString::from("file passphrase")),
        )
        .expect("file store");
        file.put("ops", &key("AKIDMOVINGOPS0001", "opsSecret/1"))
            .expect("put in the file");
        file.put("keep", &key("AKIDKEEPINFILE001", "keepSecret/2"))
            .expect("put in the file");

        // Re-adding through the keyring store moves it: the file no longer holds it.
        let keyring = Store::open_with(
            StoreConfig::in_dir(dir.path())
                .with_choice(BackendChoice::Keyring)
                .with_passphrase(SecretString::from("file passphrase")),
        )
        .expect("keyring store");
        keyring
            .put("ops", &key("AKIDMOVINGOPS0001", "opsSecret/1"))
            .expect("put in the keyring");
        let stored = store::stored_in(keyring.config()).expect("index");
        assert_eq!(
            stored,
            [
                ("keep".to_owned(), Backend::File),
                ("ops".to_owned(), Backend::Keyring)
            ]
        );
        let service = keyring.config().service.clone();
        assert!(secret_service::secret_tool_lookup(&service, "ops").is_some());
        // Both readable through one store, each from its own backend.
        assert!(file.get("keep").expect("get").is_some());
        assert!(keyring.get("ops").expect("get").is_some());
        assert!(keyring.remove("ops").expect("remove"));
        assert!(secret_service::secret_tool_lookup(&service, "ops").is_none());
    });
}

#[test]
fn sealed_cache_keeps_its_key_in_the_keyring_and_drops_expired_entries() {
    secret_service::run(
        "sealed_cache_keeps_its_key_in_the_keyring_and_drops_expired_entries",
        || {
            let dir = tempfile::tempdir().expect("tempdir");
            let config = StoreConfig::in_dir(dir.path()).with_choice(BackendChoice::Keyring);
            let cache = SealedCache::open_with(config.clone());
            let now = SystemTime::now();
            cache
                .put(
                    "mfa:prod",
                    b"session-token-value",
                    now + Duration::from_secs(900),
                )
                .expect("put");
            cache
                .put(
                    "mfa:gone",
                    b"expired-token-value",
                    now - Duration::from_secs(1),
                )
                .expect("put");
            let again = SealedCache::open_with(config.clone());
            assert_eq!(
                again
                    .get("mfa:prod")
                    .expect("get")
                    .as_deref()
                    .map(Vec::as_slice),
                Some(&b"session-token-value"[..])
            );
            assert!(again.get("mfa:gone").expect("get").is_none());
            assert_eq!(again.keys_on_disk().expect("keys"), ["mfa:prod"]);

            let key_item = secret_service::secret_tool_lookup(
                &format!("{}/cache", config.service),
                "sealed-cache-key",
            );
            assert!(key_item.is_some(), "the cache key is in the keyring");
            assert_no_file_holds(dir.path(), &["session-token-value"]);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(cache.path())
                    .expect("stat")
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600);
            }

            cache.destroy().expect("destroy");
            assert!(!cache.path().exists());
            assert!(secret_service::secret_tool_lookup(
                &format!("{}/cache", config.service),
                "sealed-cache-key"
            )
            .is_none());
            // Without its key the cache reads empty, and starts afresh on the next put.
            assert!(again.get("mfa:prod").expect("get").is_none());
        },
    );
}
