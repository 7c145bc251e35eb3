//! Console credentials kept in the host's memory between clicks, so that a warm click makes one
//! round trip (getSigninToken) instead of two (AssumeRole, then getSigninToken).
//!
//! What is kept: the final temporary credentials of a plan ([`SessionCredentials`]), keyed by
//! everything that decides who they are for — the plan's source (its profile and access key
//! id, or its command), the MFA devices, every role step with its options, and the region.
//! Never written to disk. `aws_credential_types::Credentials` zeroes its secrets when the last
//! copy drops, so an entry that is replaced, purged or cleared leaves nothing behind.
//!
//! Only sources whose credentials are the person's own local secrets are cached: keys (in the
//! AWS files or roleport's store), `credential_process` and `credential_source`. IAM Identity
//! Center and Cognito are not: their sign-in (an SSO login that can be logged out, a Cognito
//! password asked for each time) is the person's control over who may open the console, and a
//! cache would outlive it.
//!
//! Reuse stops early, so a console opened from reused credentials still lasts: an entry is
//! served for at most half the credentials' lifetime and never in their last
//! [`REUSE_MARGIN`] (without `SessionDuration` a console session ends with its credentials).
//! The service clears the whole cache when the AWS files change.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::config::{Plan, Source};

use super::SessionCredentials;

/// Credentials are not reused in their last quarter hour.
pub const REUSE_MARGIN: Duration = Duration::from_secs(15 * 60);

/// At most this many plans are kept; the oldest entry goes when a new one would pass it.
const CAPACITY: usize = 256;

/// What the cache is keyed by: the plan's identity, without any secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key(String);

impl Key {
    /// The key of `plan`, or `None` when its credentials must not be cached (see the module).
    pub fn of(plan: &Plan) -> Option<Key> {
        let mut key = String::new();
        match &plan.source {
            Source::StaticKeys {
                profile,
                credentials,
                ..
            }
            | Source::StoredKeys {
                profile,
                credentials,
            } => {
                // A key id and its secret are issued together: a new secret means a new id.
                let _ = write!(key, "keys\n{profile}\n{}", credentials.access_key_id());
            }
            Source::Process { profile, command } => {
                let _ = write!(key, "process\n{profile}\n{command}");
            }
            Source::Ambient { profile, kind } => {
                let _ = write!(key, "ambient\n{profile}\n{kind:?}");
            }
            Source::Sso(_) | Source::Cognito(_) => return None,
        }
        // The MFA identity: the device the source's session is made with (roles' own
        // devices are in their steps below).
        let _ = write!(
            key,
            "\nmfa {:?}\nregion {:?}",
            plan.source_mfa_serial, plan.region
        );
        for step in &plan.roles {
            // Every option AssumeRole is called with; none of them is a secret.
            let _ = write!(key, "\nrole {step:?}");
        }
        Some(Key(key))
    }
}

struct Entry {
    session: SessionCredentials,
    /// When the entry stops being served: see [`usable_until`].
    until: SystemTime,
    stored: SystemTime,
}

/// The cache itself; shared by every request of one host.
#[derive(Default)]
pub struct RoleCache {
    entries: Mutex<HashMap<Key, Entry>>,
}

impl RoleCache {
    /// The credentials kept for `key`, if they may still be served at `now`.
    pub fn get(&self, key: &Key, now: SystemTime) -> Option<SessionCredentials> {
        let mut entries = self.lock();
        match entries.get(key) {
            Some(entry) if now < entry.until => Some(entry.session.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `session` for `key`, when it lives long enough to be worth reusing. Returns
    /// whether it was kept.
    pub fn put(&self, key: Key, session: &SessionCredentials, now: SystemTime) -> bool {
        let Some(until) = session
            .credentials
            .expiry()
            .and_then(|expiry| usable_until(now, expiry))
        else {
            return false;
        };
        let mut entries = self.lock();
        entries.retain(|_, e| now < e.until);
        if entries.len() >= CAPACITY && !entries.contains_key(&key) {
            let oldest = entries
                .iter()
                .min_by_key(|(_, e)| e.stored)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(
            key,
            Entry {
                session: session.clone(),
                until,
                stored: now,
            },
        );
        true
    }

    /// Forgets everything (the AWS files changed: a key may now mean other credentials).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many entries are kept (for tests and logs).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Until when credentials obtained at `now` and expiring at `expiry` may be served: half their
/// lifetime, and not into their last [`REUSE_MARGIN`]. `None` when that is already past.
pub fn usable_until(now: SystemTime, expiry: SystemTime) -> Option<SystemTime> {
    let life = expiry.duration_since(now).ok()?;
    let by_margin = life.checked_sub(REUSE_MARGIN)?;
    let until = now + by_margin.min(life / 2);
    (until > now).then_some(until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arn::RoleArn;
    use crate::config::{FileKind, RoleStep};
    use aws_credential_types::Credentials;

    const HOUR: Duration = Duration::from_secs(3600);

    fn plan(source: Source) -> Plan {
        Plan {
            profile: "prod".into(),
            source,
            source_profile: "alice".into(),
            source_mfa_serial: None,
            roles: vec![step("arn:aws:iam::111111111111:role/Admin")],
            region: Some("eu-west-1".into()),
            appearance: roleport_protocol::Appearance::default_for("prod"),
            trust: crate::http_client::Trust::System,
        }
    }

    fn step(arn: &str) -> RoleStep {
        RoleStep {
            profile: "prod".into(),
            role_arn: RoleArn::parse(arn).expect("arn"),
            external_id: None,
            role_session_name: None,
            duration_seconds: None,
            mfa_serial: None,
            source_identity: None,
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
        }
    }

    fn keys(id: &str) -> Source {
        Source::StaticKeys {
            profile: "alice".into(),
            file: FileKind::Credentials,
            credentials: Credentials::new(id, "secret", None, None, "test"),
        }
    }

    fn session(expiry: SystemTime) -> SessionCredentials {
        SessionCredentials {
            credentials: Credentials::new("ASIA1", "s", Some("t".into()), Some(expiry), "test"),
            account_id: Some("111111111111".into()),
            role: Some("Admin".into()),
            console_duration: None,
            expires_at: None,
            notices: Vec::new(),
        }
    }

    fn key(plan: &Plan) -> Key {
        Key::of(plan).expect("cacheable")
    }

    #[test]
    fn credentials_are_served_again_for_half_their_life() {
        let cache = RoleCache::default();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let k = key(&plan(keys("AKIA1")));
        assert!(cache.put(k.clone(), &session(t0 + HOUR), t0));
        let again = cache.get(&k, t0 + HOUR / 4).expect("reused");
        assert_eq!(again.credentials.access_key_id(), "ASIA1");
        assert!(cache.get(&k, t0 + HOUR / 2).is_none(), "half-life passed");
        assert!(cache.is_empty(), "a stale entry is dropped when seen");
    }

    #[test]
    fn credentials_near_their_expiry_are_never_reused() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        // 12 h credentials: half-life is 6 h, but the margin stops reuse 15 min before the end
        // only when that comes first; here the half-life does.
        assert_eq!(usable_until(t0, t0 + 12 * HOUR), Some(t0 + 6 * HOUR));
        // 20 min credentials: the margin leaves 5 min, less than the half-life.
        let twenty = Duration::from_secs(20 * 60);
        assert_eq!(
            usable_until(t0, t0 + twenty),
            Some(t0 + Duration::from_secs(5 * 60))
        );
        // 15 min (the shortest AssumeRole) or less: not worth keeping at all.
        assert_eq!(usable_until(t0, t0 + REUSE_MARGIN), None);
        assert_eq!(usable_until(t0, t0 - HOUR), None);
        let cache = RoleCache::default();
        assert!(!cache.put(key(&plan(keys("AKIA1"))), &session(t0 + REUSE_MARGIN), t0));
        assert!(cache.is_empty());
    }

    #[test]
    fn credentials_without_an_expiry_are_not_kept() {
        let cache = RoleCache::default();
        let mut s = session(SystemTime::now());
        s.credentials = Credentials::new("ASIA1", "s", Some("t".into()), None, "test");
        assert!(!cache.put(key(&plan(keys("AKIA1"))), &s, SystemTime::now()));
    }

    #[test]
    fn another_key_role_option_device_or_region_is_another_entry() {
        let base = plan(keys("AKIA1"));
        let mut other_keys = base.clone();
        other_keys.source = keys("AKIA2");
        let mut other_role = base.clone();
        other_role.roles = vec![step("arn:aws:iam::222222222222:role/Admin")];
        let mut external = base.clone();
        external.roles[0].external_id = Some("x".into());
        let mut chained = base.clone();
        chained
            .roles
            .push(step("arn:aws:iam::333333333333:role/Audit"));
        let mut mfa = base.clone();
        mfa.source_mfa_serial = Some("arn:aws:iam::123456789012:mfa/alice".into());
        let mut region = base.clone();
        region.region = Some("us-east-1".into());
        let all = [
            &base,
            &other_keys,
            &other_role,
            &external,
            &chained,
            &mfa,
            &region,
        ]
        .map(key);
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // The secret itself is never part of the key.
        assert!(!format!("{:?}", all[0]).contains("secret"));
    }

    #[tokio::test]
    async fn sso_sign_ins_are_never_cached() {
        let text = "[profile s]\nsso_start_url = https://d-1.awsapps.com/start\n\
                    sso_region = us-east-1\nsso_account_id = 111111111111\nsso_role_name = Admin\n";
        let fs = aws_types::os_shim_internal::Fs::from_slice(&[("/cfg", text), ("/creds", "")]);
        let env = aws_types::os_shim_internal::Env::from_slice(&[
            ("AWS_CONFIG_FILE", "/cfg"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
            ("HOME", "/home/u"),
        ]);
        let config = crate::config::AwsConfig::load_with(&fs, &env)
            .await
            .expect("config parses");
        let plan = config.plan("s").expect("plan");
        assert!(matches!(plan.source, Source::Sso(_)));
        assert!(Key::of(&plan).is_none());
    }

    #[test]
    fn clearing_forgets_everything() {
        let cache = RoleCache::default();
        let now = SystemTime::now();
        assert!(cache.put(key(&plan(keys("AKIA1"))), &session(now + HOUR), now));
        assert_eq!(cache.len(), 1);
        cache.clear();
        assert!(cache.get(&key(&plan(keys("AKIA1"))), now).is_none());
    }
}
