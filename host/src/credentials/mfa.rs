//! MFA sessions, the aws-vault way: one GetSessionToken with the device's code per source,
//! kept until shortly before it expires, and every role of that source assumed from it —
//! one code per source and day, not one per role.
//!
//! Sessions live in this process's memory and in the store's sealed cache (encrypted, 0600),
//! so the browser's host, `roleport url` and `roleport exec` share one code. A cache that
//! cannot be opened (no keyring, no passphrase in a bare environment) only costs a prompt.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use serde::{Deserialize, Serialize};

use crate::store::cache::SealedCache;

use super::sts;
use crate::error::HostError;

/// A session is not reused in its last minutes: a console opened with it must stay usable.
const REUSE_MARGIN: Duration = Duration::from_secs(5 * 60);

/// MFA sessions by source (profile, access key, device).
#[derive(Default)]
pub struct MfaSessions {
    memory: Mutex<HashMap<String, Credentials>>,
    sealed: OnceLock<Option<SealedCache>>,
}

/// A session as the sealed cache keeps it.
#[derive(Serialize, Deserialize)]
struct Sealed {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expires_at: u64,
}

impl Drop for Sealed {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.access_key_id.zeroize();
        self.secret_access_key.zeroize();
        self.session_token.zeroize();
    }
}

/// Which device, for which source.
pub struct MfaSource<'a> {
    /// The profile that holds the long-term keys.
    pub profile: &'a str,
    /// Its long-term keys.
    pub keys: &'a Credentials,
    /// The MFA device's ARN.
    pub serial: &'a str,
}

impl MfaSessions {
    /// The source's MFA session: cached, or made now with `code`; without a code and without a
    /// live session, `MfaRequired` (the caller asks the person and tries again).
    pub async fn session(
        &self,
        source: MfaSource<'_>,
        opening: &str,
        region: &str,
        code: Option<&str>,
    ) -> Result<Credentials, HostError> {
        let key = format!(
            "{}\n{}\n{}",
            source.profile,
            source.keys.access_key_id(),
            source.serial
        );
        if let Some(live) = self.cached(&key) {
            return Ok(live);
        }
        let Some(code) = code else {
            return Err(HostError::MfaRequired {
                profile: opening.to_owned(),
                serial: source.serial.to_owned(),
            });
        };
        let (session, _) = sts::session_token(
            source.profile,
            region,
            source.keys.clone(),
            source.serial,
            code,
        )
        .await
        .map_err(|e| match e {
            HostError::MfaInvalid { serial, .. } => HostError::MfaInvalid {
                profile: opening.to_owned(),
                serial,
            },
            other => other,
        })?;
        self.keep(&key, &session);
        Ok(session)
    }

    fn sealed(&self) -> Option<&SealedCache> {
        self.sealed
            .get_or_init(|| match SealedCache::open() {
                Ok(cache) => Some(cache),
                Err(e) => {
                    tracing::info!("MFA sessions stay in memory only: {e}");
                    None
                }
            })
            .as_ref()
    }

    fn keep(&self, key: &str, session: &Credentials) {
        if let Ok(mut memory) = self.memory.lock() {
            memory.insert(key.to_owned(), session.clone());
        }
        let (Some(expiry), Some(token)) = (session.expiry(), session.session_token()) else {
            return;
        };
        let sealed = Sealed {
            access_key_id: session.access_key_id().to_owned(),
            secret_access_key: session.secret_access_key().to_owned(),
            session_token: token.to_owned(),
            expires_at: expiry.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        };
        if let Some(Err(e)) = self
            .sealed()
            .map(|c| c.put_json(&cache_key(key), &sealed, expiry))
        {
            tracing::warn!("cannot keep the MFA session in the sealed cache: {e}");
        }
    }

    fn cached(&self, key: &str) -> Option<Credentials> {
        let live = |c: &Credentials| {
            c.expiry()
                .is_some_and(|e| e > SystemTime::now() + REUSE_MARGIN)
        };
        if let Some(c) = self.memory.lock().ok()?.get(key).filter(|c| live(c)) {
            return Some(c.clone());
        }
        let mut sealed: Sealed = self.sealed()?.get_json(&cache_key(key)).ok().flatten()?;
        let expiry = UNIX_EPOCH + Duration::from_secs(sealed.expires_at);
        let session = Credentials::new(
            std::mem::take(&mut sealed.access_key_id),
            std::mem::take(&mut sealed.secret_access_key),
            Some(std::mem::take(&mut sealed.session_token)),
            Some(expiry),
            "roleport-mfa-session",
        );
        live(&session).then(|| {
            if let Ok(mut memory) = self.memory.lock() {
                memory.insert(key.to_owned(), session.clone());
            }
            session
        })
    }
}

/// The cache's key: the source's identity, without its access key id in the clear.
fn cache_key(key: &str) -> String {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("mfa-session-{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keys_do_not_show_the_access_key() {
        let key = cache_key("alice\nAKIAEXAMPLE\narn:aws:iam::1:mfa/alice");
        assert!(key.starts_with("mfa-session-") && !key.contains("AKIA"));
        assert_ne!(key, cache_key("alice\nAKIAOTHER\narn:aws:iam::1:mfa/alice"));
    }
}
