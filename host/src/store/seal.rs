//! The sealed-file format of `keys.sealed` and `cache.sealed`.
//!
//! A sealed file is one JSON object: `{"header": {…}, "ciphertext": "<base64>"}`. The header
//! says what the file is for (`purpose`), where its key comes from (a random key in the OS
//! keyring, or Argon2id of a passphrase with the salt and cost parameters stored here), and the
//! XChaCha20-Poly1305 nonce, fresh for every write. The header's exact JSON bytes are the
//! AEAD's associated data, so changing any of it (a cheaper cost, another purpose) makes the
//! file fail to open instead of weakening it. A wrong key, hence a wrong passphrase, fails the
//! authentication tag: nothing is decrypted and nothing is written.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A 256-bit key, wiped on drop.
pub(crate) type Key32 = Zeroizing<[u8; 32]>;

/// Argon2id cost used for new files: 64 MiB, 3 passes, 1 lane (RFC 9106's second choice,
/// with one lane for two-core machines). Reading accepts what the file says, within bounds.
const M_KIB: u32 = 64 * 1024;
const T_COST: u32 = 3;
const P_COST: u32 = 1;
const FORMAT_VERSION: u32 = 1;
const AEAD: &str = "xchacha20poly1305";

/// Where a sealed file's key comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "alg", rename_all = "lowercase")]
pub(crate) enum KeySource {
    /// A random 256-bit key kept in the OS keyring.
    Keyring,
    /// Argon2id (v1.3) of the passphrase.
    Argon2id {
        /// Memory in KiB.
        m_kib: u32,
        /// Passes.
        t: u32,
        /// Lanes.
        p: u32,
        /// Random salt, base64.
        salt: String,
    },
}

impl KeySource {
    /// Argon2id with the default cost and a fresh 16-byte salt.
    pub(crate) fn new_argon2id() -> KeySource {
        let mut salt = [0u8; 16];
        fill_random(&mut salt);
        KeySource::Argon2id {
            m_kib: M_KIB,
            t: T_COST,
            p: P_COST,
            salt: B64.encode(salt),
        }
    }

    /// Derives the key from a passphrase; `None` for a keyring source.
    pub(crate) fn derive(&self, passphrase: &SecretString) -> Result<Option<Key32>, String> {
        let KeySource::Argon2id { m_kib, t, p, salt } = self else {
            return Ok(None);
        };
        let salt = B64.decode(salt).map_err(|_| "its salt is not base64")?;
        if !(16..=64).contains(&salt.len())
            || !(8 * 1024..=1024 * 1024).contains(m_kib)
            || !(1..=16).contains(t)
            || !(1..=16).contains(p)
        {
            return Err("its key-derivation parameters are out of bounds".into());
        }
        let params = Params::new(*m_kib, *t, *p, Some(32)).map_err(|e| e.to_string())?;
        let mut key = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase.expose_secret().as_bytes(), &salt, &mut *key)
            .map_err(|e| e.to_string())?;
        Ok(Some(key))
    }
}

/// The part of a sealed file that is authenticated but not encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    /// What the file holds (`roleport-keys`, `roleport-cache`): a keys file cannot be passed
    /// off as a cache file or the other way round.
    pub purpose: String,
    /// Format version.
    pub version: u32,
    /// Where the key comes from.
    pub key: KeySource,
    /// Always `xchacha20poly1305`.
    pub aead: String,
    /// 24 random bytes, base64.
    pub nonce: String,
}

#[derive(Serialize, Deserialize)]
struct SealedFile {
    header: Header,
    ciphertext: String,
}

/// A parsed sealed file, not yet opened.
pub(crate) struct Sealed {
    /// Its header.
    pub header: Header,
    ciphertext: Vec<u8>,
}

/// Why a sealed file did not open.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// The tag did not verify: wrong key (passphrase) or a modified file.
    Auth,
    /// Not a sealed file of this purpose and version.
    Corrupt(String),
}

impl Sealed {
    /// Parses a sealed file of `purpose`.
    pub(crate) fn parse(bytes: &[u8], purpose: &str) -> Result<Sealed, OpenError> {
        let file: SealedFile = serde_json::from_slice(bytes)
            .map_err(|e| OpenError::Corrupt(format!("it is not a sealed file ({e})")))?;
        if file.header.purpose != purpose {
            return Err(OpenError::Corrupt(format!(
                "it holds `{}`, not `{purpose}`",
                file.header.purpose
            )));
        }
        if file.header.version != FORMAT_VERSION || file.header.aead != AEAD {
            return Err(OpenError::Corrupt(format!(
                "format version {} / {} is not one this roleport reads",
                file.header.version, file.header.aead
            )));
        }
        let ciphertext = B64
            .decode(&file.ciphertext)
            .map_err(|_| OpenError::Corrupt("its ciphertext is not base64".into()))?;
        Ok(Sealed {
            header: file.header,
            ciphertext,
        })
    }

    /// Decrypts with `key`.
    pub(crate) fn open(&self, key: &Key32) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let nonce: [u8; 24] = B64
            .decode(&self.header.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| OpenError::Corrupt("its nonce is malformed".into()))?;
        let aad = aad(&self.header);
        XChaCha20Poly1305::new(&Key::from(**key))
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &self.ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| OpenError::Auth)
    }
}

/// Encrypts `plaintext` into a sealed file of `purpose` under `key`, with a fresh nonce.
pub(crate) fn seal(
    purpose: &str,
    source: &KeySource,
    key: &Key32,
    plaintext: &[u8],
) -> Result<Vec<u8>, String> {
    let mut nonce = [0u8; 24];
    fill_random(&mut nonce);
    let header = Header {
        purpose: purpose.to_owned(),
        version: FORMAT_VERSION,
        key: source.clone(),
        aead: AEAD.to_owned(),
        nonce: B64.encode(nonce),
    };
    let ciphertext = XChaCha20Poly1305::new(&Key::from(**key))
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: &aad(&header),
            },
        )
        .map_err(|_| "encryption failed".to_owned())?;
    let file = SealedFile {
        header,
        ciphertext: B64.encode(ciphertext),
    };
    serde_json::to_vec(&file).map_err(|e| e.to_string())
}

fn aad(header: &Header) -> Vec<u8> {
    serde_json::to_vec(header).unwrap_or_default()
}

/// A fresh random 256-bit key.
pub(crate) fn random_key() -> Key32 {
    let mut key = Zeroizing::new([0u8; 32]);
    fill_random(&mut *key);
    key
}

/// Fills `buf` from the OS's random source. Its failure is not something roleport can
/// recover from, nor continue safely without.
pub(crate) fn fill_random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the operating system's random source failed");
}

/// Base64 of a key, for the keyring (wiped on drop).
pub(crate) fn encode_key(key: &Key32) -> Zeroizing<String> {
    Zeroizing::new(B64.encode(key.as_slice()))
}

/// A key from its base64 form.
pub(crate) fn decode_key(text: &str) -> Option<Key32> {
    let bytes = Zeroizing::new(B64.decode(text.trim()).ok()?);
    let mut key = Zeroizing::new([0u8; 32]);
    if bytes.len() != 32 {
        return None;
    }
    key.copy_from_slice(&bytes);
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> KeySource {
        // Tests of the format only; the real cost is exercised by the store tests.
        KeySource::Argon2id {
            m_kib: 8 * 1024,
            t: 1,
            p: 1,
            salt: B64.encode([7u8; 16]),
        }
    }

    #[test]
    fn sealed_round_trip_and_wrong_passphrase_fails_authentication() {
        let source = fast();
        let key = source
            .derive(&SecretString::from("right"))
            .expect("derives")
            .expect("argon2");
        let bytes = seal("roleport-keys", &source, &key, b"secret payload").expect("seals");
        assert!(!String::from_utf8_lossy(&bytes).contains("secret payload"));
        let sealed = Sealed::parse(&bytes, "roleport-keys").expect("parses");
        assert_eq!(&*sealed.open(&key).expect("opens"), b"secret payload");
        let wrong = source
            .derive(&SecretString::from("wrong"))
            .expect("derives")
            .expect("argon2");
        assert!(matches!(sealed.open(&wrong), Err(OpenError::Auth)));
    }

    #[test]
    fn a_changed_header_or_purpose_does_not_open() {
        let key = random_key();
        let bytes = seal("roleport-cache", &KeySource::Keyring, &key, b"x").expect("seals");
        assert!(matches!(
            Sealed::parse(&bytes, "roleport-keys"),
            Err(OpenError::Corrupt(_))
        ));
        let mut sealed = Sealed::parse(&bytes, "roleport-cache").expect("parses");
        sealed.header.key = fast();
        assert!(matches!(sealed.open(&key), Err(OpenError::Auth)));
    }

    #[test]
    fn absurd_costs_are_refused_before_deriving() {
        let source = KeySource::Argon2id {
            m_kib: u32::MAX,
            t: 1,
            p: 1,
            salt: B64.encode([1u8; 16]),
        };
        assert!(source.derive(&SecretString::from("x")).is_err());
    }
}
