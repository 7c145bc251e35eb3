//! MFA sessions, the aws-vault way: one GetSessionToken with the device's code per source,
//! kept until shortly before it expires, and every role of that source assumed from it —
//! one code per source and day, not one per role.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;

use super::sts;
use crate::error::HostError;

/// A session is not reused in its last minutes: a console opened with it must stay usable.
const REUSE_MARGIN: Duration = Duration::from_secs(5 * 60);

/// MFA sessions by source (profile, access key, device).
#[derive(Default)]
pub struct MfaSessions {
    memory: Mutex<HashMap<String, Credentials>>,
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
        if let Ok(mut memory) = self.memory.lock() {
            memory.insert(key, session.clone());
        }
        Ok(session)
    }

    fn cached(&self, key: &str) -> Option<Credentials> {
        let mut memory = self.memory.lock().ok()?;
        let live = memory.get(key).filter(|c| {
            c.expiry()
                .is_some_and(|e| e > SystemTime::now() + REUSE_MARGIN)
        });
        match live {
            Some(c) => Some(c.clone()),
            None => {
                memory.remove(key);
                None
            }
        }
    }
}
