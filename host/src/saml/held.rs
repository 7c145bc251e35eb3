//! The assertions this host holds, by handle, until they expire: the browser sends an
//! assertion once and names it afterwards, so it never has to keep or re-send it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_smithy_types::date_time::{DateTime, Format};
use zeroize::Zeroizing;

use super::assertion::{Assertion, RolePair};
use super::SamlError;

/// How long an assertion that names no expiry is held (AWS accepts one for about five
/// minutes after it is issued), and the most any is held whatever it names.
const DEFAULT_HOLD: Duration = Duration::from_secs(5 * 60);
const MAX_HOLD: Duration = Duration::from_secs(60 * 60);
/// Sign-ins held at once; the oldest goes first. A person signs in at one IdP at a time.
const MAX_HELD: usize = 8;

struct Entry {
    assertion: Zeroizing<String>,
    parsed: Assertion,
    until: SystemTime,
    added: SystemTime,
}

/// Assertions by handle. Cheap to share behind the service.
#[derive(Default)]
pub struct Held {
    entries: Mutex<HashMap<String, Entry>>,
}

/// What one `saml_open` needs of a held assertion.
pub struct Grant {
    /// The base64 assertion, as posted.
    pub assertion: Zeroizing<String>,
    /// The role asked for and its SAML provider.
    pub pair: RolePair,
    /// The `SessionDuration` attribute.
    pub session_duration: Option<i32>,
    /// The `RoleSessionName` attribute.
    pub session_name: Option<String>,
}

impl Held {
    /// Keeps `assertion` (already `parsed`) under a fresh handle; returns the handle and when
    /// it stops being valid (RFC 3339). An assertion already past its expiry is refused.
    pub fn insert(
        &self,
        assertion: String,
        parsed: Assertion,
    ) -> Result<(String, Option<String>), SamlError> {
        self.insert_at(assertion, parsed, SystemTime::now())
    }

    fn insert_at(
        &self,
        assertion: String,
        parsed: Assertion,
        now: SystemTime,
    ) -> Result<(String, Option<String>), SamlError> {
        let assertion = Zeroizing::new(assertion);
        if parsed.not_on_or_after.is_some_and(|t| t <= now) {
            return Err(SamlError::Expired);
        }
        let until = parsed
            .not_on_or_after
            .unwrap_or(now + DEFAULT_HOLD)
            .min(now + MAX_HOLD);
        let expires_at = parsed
            .not_on_or_after
            .and_then(|t| DateTime::from(t).fmt(Format::DateTime).ok());
        let handle = new_handle()?;
        let mut entries = self.lock();
        entries.retain(|_, e| e.until > now);
        while entries.len() >= MAX_HELD {
            let oldest = entries
                .iter()
                .min_by_key(|(_, e)| e.added)
                .map(|(h, _)| h.clone());
            match oldest {
                Some(h) => entries.remove(&h),
                None => break,
            };
        }
        entries.insert(
            handle.clone(),
            Entry {
                assertion,
                parsed,
                until,
                added: now,
            },
        );
        Ok((handle, expires_at))
    }

    /// The assertion of `handle` and the role `role_arn` of it.
    pub fn grant(&self, handle: &str, role_arn: &str) -> Result<Grant, SamlError> {
        self.grant_at(handle, role_arn, SystemTime::now())
    }

    fn grant_at(&self, handle: &str, role_arn: &str, now: SystemTime) -> Result<Grant, SamlError> {
        let mut entries = self.lock();
        let entry = entries.get(handle).ok_or(SamlError::UnknownHandle)?;
        if entry.until <= now {
            entries.remove(handle);
            return Err(SamlError::Expired);
        }
        let pair = entry
            .parsed
            .roles
            .iter()
            .find(|r| r.role.arn == role_arn)
            .cloned()
            .ok_or_else(|| SamlError::NotGranted(role_arn.to_owned()))?;
        Ok(Grant {
            assertion: entry.assertion.clone(),
            pair,
            session_duration: entry.parsed.session_duration,
            session_name: entry.parsed.session_name.clone(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock leaves the map consistent (each step is one call).
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// 128 random bits, hex: unguessable, and it says nothing about the assertion.
fn new_handle() -> Result<String, SamlError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        SamlError::Host(crate::error::HostError::Federation(format!(
            "the operating system's random source failed: {e}"
        )))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arn::RoleArn;

    fn parsed(not_on_or_after: Option<SystemTime>) -> Assertion {
        Assertion {
            roles: vec![RolePair {
                role: RoleArn::parse("arn:aws:iam::111111111111:role/Admin").expect("arn"),
                principal_arn: "arn:aws:iam::111111111111:saml-provider/ADFS".into(),
            }],
            session_name: Some("alice".into()),
            session_duration: Some(3600),
            not_on_or_after,
        }
    }

    const ADMIN: &str = "arn:aws:iam::111111111111:role/Admin";

    #[test]
    fn a_held_assertion_grants_only_its_own_roles_until_it_expires() {
        let held = Held::default();
        let now = SystemTime::now();
        let until = now + Duration::from_secs(300);
        let (handle, expires_at) = held
            .insert_at("PHg+".into(), parsed(Some(until)), now)
            .expect("held");
        assert_eq!(handle.len(), 32);
        assert!(expires_at.is_some());
        let grant = held.grant_at(&handle, ADMIN, now).expect("granted");
        assert_eq!(
            (grant.assertion.as_str(), grant.session_duration),
            ("PHg+", Some(3600))
        );
        assert!(matches!(
            held.grant_at(&handle, "arn:aws:iam::111111111111:role/Other", now),
            Err(SamlError::NotGranted(_))
        ));
        assert!(matches!(
            held.grant_at("nope", ADMIN, now),
            Err(SamlError::UnknownHandle)
        ));
        assert!(matches!(
            held.grant_at(&handle, ADMIN, until),
            Err(SamlError::Expired)
        ));
        // Dropped once expired: asking again finds nothing.
        assert!(matches!(
            held.grant_at(&handle, ADMIN, now),
            Err(SamlError::UnknownHandle)
        ));
    }

    #[test]
    fn an_expired_assertion_is_refused_and_one_without_expiry_is_held_briefly() {
        let held = Held::default();
        let now = SystemTime::now();
        assert!(matches!(
            held.insert_at("x".into(), parsed(Some(now)), now),
            Err(SamlError::Expired)
        ));
        let (handle, expires_at) = held.insert_at("x".into(), parsed(None), now).expect("held");
        assert_eq!(expires_at, None);
        assert!(held.grant_at(&handle, ADMIN, now + DEFAULT_HOLD).is_err());
    }

    #[test]
    fn at_most_a_few_sign_ins_are_held_the_oldest_going_first() {
        let held = Held::default();
        let now = SystemTime::now();
        let handles: Vec<String> = (0..=MAX_HELD as u64)
            .map(|i| {
                held.insert_at("x".into(), parsed(None), now + Duration::from_millis(i))
                    .expect("held")
                    .0
            })
            .collect();
        assert!(held.grant_at(&handles[0], ADMIN, now).is_err());
        assert!(held.grant_at(&handles[MAX_HELD], ADMIN, now).is_ok());
        assert_eq!(held.lock().len(), MAX_HELD);
    }
}
