//! The STS calls: AssumeRole and GetFederationToken, their errors, and session names.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::ConfigLoader;
use aws_credential_types::Credentials;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sts::primitives::DateTimeFormat;
use aws_sdk_sts::types::Tag;
use aws_types::region::Region;

use crate::arn::RoleArn;
use crate::config::{Plan, RoleStep};
use crate::error::HostError;

/// An allow-all policy: GetFederationToken's session gets the intersection of it and the
/// user's own permissions, which is what the console should have.
const FEDERATION_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// Attempts per STS call (the first and three retries).
pub const STS_MAX_ATTEMPTS: u32 = 4;
/// One attempt that has not answered by then is abandoned (and retried: timeouts are transient).
pub const STS_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole call, retries included, gives up after this: inside the request's time limit
/// (`limits::time_limit`), so a slow STS is reported as such, not as a hung request.
pub const STS_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The SDK's standard retry mode, set explicitly rather than taken from `AWS_MAX_ATTEMPTS` /
/// `retry_mode`: it retries throttling (`Throttling`, `TooManyRequestsException`, … by code) and
/// transient failures (500, 502, 503, 504, timeouts) with exponential backoff and full jitter
/// (`aws-smithy-runtime`'s `StandardRetryStrategy`: a random wait up to `base × 2^attempt`),
/// at most [`STS_MAX_ATTEMPTS`] attempts; the base is `backoff::base()`
/// (`ROLEPORT_RETRY_BASE_MS`), capped at `backoff::MAX_BACKOFF`. Every STS client roleport
/// builds (here, `saml/sts.rs`) goes through this.
pub(crate) fn resilient(loader: ConfigLoader) -> ConfigLoader {
    loader
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(STS_MAX_ATTEMPTS)
                .with_initial_backoff(crate::backoff::base())
                .with_max_backoff(crate::backoff::MAX_BACKOFF),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(STS_ATTEMPT_TIMEOUT)
                .operation_timeout(STS_CALL_TIMEOUT)
                .build(),
        )
}

async fn sts_client(profile: &str, region: &str, creds: Credentials) -> aws_sdk_sts::Client {
    // Loading per call honours AWS_ENDPOINT_URL_STS and the profile's own `endpoint_url`,
    // exactly as the AWS CLI would for that profile.
    let loader = crate::sdk_http::defaults()
        .profile_name(profile)
        .region(Region::new(region.to_owned()))
        .credentials_provider(creds);
    aws_sdk_sts::Client::new(&resilient(loader).load().await)
}

/// What one AssumeRole gave, and what it was asked with (for the audit log).
pub struct Assumed {
    /// The role's temporary credentials.
    pub credentials: Credentials,
    /// When they expire, RFC 3339.
    pub expires_at: Option<String>,
    /// The RoleSessionName sent.
    pub session_name: String,
    /// Why the asked duration was shortened, if it was.
    pub notice: Option<String>,
}

/// AssumeRole for one step of a plan. `chained`: `from` are role credentials, so AWS caps
/// the session at an hour. `source_identity` is the one set earlier in the chain, if any:
/// AWS refuses a change of it once set.
pub async fn assume_role(
    step: &RoleStep,
    region: &str,
    from: Credentials,
    chained: bool,
    source_identity: Option<&str>,
) -> Result<Assumed, HostError> {
    let (duration, notice) = chained_duration(step, chained);
    if let Some(n) = &notice {
        tracing::warn!("{n}");
    }
    let session_name = session_name(step.role_session_name.as_deref());
    let tags: Vec<Tag> = step
        .tags
        .iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect();
    crate::limits::stage(format!(
        "AssumeRole of {} for profile `{}`",
        step.role_arn.arn, step.profile
    ));
    let client = sts_client(&step.profile, region, from).await;
    let out = client
        .assume_role()
        .role_arn(&step.role_arn.arn)
        .role_session_name(&session_name)
        .set_external_id(step.external_id.clone())
        .set_duration_seconds(duration)
        .set_source_identity(source_identity.map(str::to_owned))
        .set_tags((!tags.is_empty()).then_some(tags))
        .set_transitive_tag_keys(
            (!step.transitive_tag_keys.is_empty()).then(|| step.transitive_tag_keys.clone()),
        )
        .send()
        .await
        .map_err(|e| sts_error("AssumeRole", &step.profile, e))?;
    let creds = out.credentials().ok_or_else(|| HostError::Sts {
        action: "AssumeRole",
        profile: step.profile.clone(),
        detail: "STS answered without credentials".into(),
    })?;
    let (credentials, expires_at) = temporary(creds);
    Ok(Assumed {
        credentials,
        expires_at,
        session_name,
        notice,
    })
}

/// AssumeRoleWithWebIdentity with a Cognito identity's OpenID token (the identity pool's
/// basic flow). The call is unsigned, so no credentials go in.
pub(crate) async fn assume_role_with_web_identity(
    profile: &str,
    region: &str,
    role_arn: &RoleArn,
    token: &str,
) -> Result<Assumed, HostError> {
    crate::limits::stage(format!("AssumeRoleWithWebIdentity for profile `{profile}`"));
    let loader = crate::sdk_http::defaults()
        .profile_name(profile)
        .region(Region::new(region.to_owned()))
        .no_credentials();
    let config = resilient(loader).load().await;
    let session_name = session_name(None);
    let out = aws_sdk_sts::Client::new(&config)
        .assume_role_with_web_identity()
        .role_arn(&role_arn.arn)
        .role_session_name(&session_name)
        .web_identity_token(token)
        .send()
        .await
        .map_err(|e| sts_error("AssumeRoleWithWebIdentity", profile, e))?;
    let creds = out.credentials().ok_or_else(|| HostError::Sts {
        action: "AssumeRoleWithWebIdentity",
        profile: profile.to_owned(),
        detail: "STS answered without credentials".into(),
    })?;
    let (credentials, expires_at) = temporary(creds);
    Ok(Assumed {
        credentials,
        expires_at,
        session_name,
        notice: None,
    })
}

/// Role chaining caps a session at one hour: AWS refuses a longer DurationSeconds rather
/// than shortening it, so roleport shortens it and says so.
pub const CHAINED_MAX_SECONDS: i32 = 3600;

/// The DurationSeconds to ask for, and a notice when it had to be shortened.
pub fn chained_duration(step: &RoleStep, chained: bool) -> (Option<i32>, Option<String>) {
    match step.duration_seconds {
        Some(d) if chained && d > CHAINED_MAX_SECONDS => (
            Some(CHAINED_MAX_SECONDS),
            Some(format!(
                "profile `{}` asks for {d} s, but a role assumed from another role lasts at most \
                 1 hour: the session was capped at 3600 s",
                step.profile
            )),
        ),
        other => (other, None),
    }
}

/// GetSessionToken with an MFA code: the session every role of an MFA source is assumed
/// from, so the person types one code per source, not one per role.
pub async fn session_token(
    profile: &str,
    region: &str,
    from: Credentials,
    serial: &str,
    code: &str,
) -> Result<(Credentials, Option<String>), HostError> {
    crate::limits::stage(format!("GetSessionToken for profile `{profile}`"));
    let client = sts_client(profile, region, from).await;
    let out = client
        .get_session_token()
        .serial_number(serial)
        .token_code(code)
        .send()
        .await
        .map_err(|e| {
            let refused_code = e.code() == Some("AccessDenied")
                && e.message()
                    .is_some_and(|m| m.contains("MultiFactorAuthentication"));
            if refused_code {
                HostError::MfaInvalid {
                    profile: profile.to_owned(),
                    serial: serial.to_owned(),
                }
            } else {
                sts_error("GetSessionToken", profile, e)
            }
        })?;
    let creds = out.credentials().ok_or_else(|| HostError::Sts {
        action: "GetSessionToken",
        profile: profile.to_owned(),
        detail: "STS answered without credentials".into(),
    })?;
    Ok(temporary(creds))
}

/// What GetFederationToken gave.
pub struct FederationToken {
    /// Temporary credentials.
    pub credentials: Credentials,
    /// The federated user's account.
    pub account_id: Option<String>,
    /// When they expire, RFC 3339.
    pub expires_at: Option<String>,
}

/// GetFederationToken with the plan's long-term keys: the only way such keys reach the console.
pub async fn federation_token(
    plan: &Plan,
    region: &str,
    keys: Credentials,
) -> Result<FederationToken, HostError> {
    crate::limits::stage(format!("GetFederationToken for profile `{}`", plan.profile));
    let client = sts_client(&plan.source_profile, region, keys).await;
    let out = client
        .get_federation_token()
        .name(federation_name())
        .policy(FEDERATION_POLICY)
        .send()
        .await
        .map_err(|e| sts_error("GetFederationToken", &plan.profile, e))?;
    let creds = out.credentials().ok_or_else(|| HostError::Sts {
        action: "GetFederationToken",
        profile: plan.profile.clone(),
        detail: "STS answered without credentials".into(),
    })?;
    let account_id = out
        .federated_user()
        .and_then(|u| u.arn().split(':').nth(4))
        .map(str::to_owned);
    let (credentials, expires_at) = temporary(creds);
    Ok(FederationToken {
        credentials,
        account_id,
        expires_at,
    })
}

fn temporary(c: &aws_sdk_sts::types::Credentials) -> (Credentials, Option<String>) {
    let expiry = c.expiration();
    let creds = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        std::time::SystemTime::try_from(*expiry).ok(),
        "roleport-sts",
    );
    (creds, expiry.fmt(DateTimeFormat::DateTime).ok())
}

fn sts_error<E>(
    action: &'static str,
    profile: &str,
    err: SdkError<E, aws_sdk_sts::config::http::HttpResponse>,
) -> HostError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let profile = profile.to_owned();
    if let SdkError::TimeoutError(_) = &err {
        return HostError::StsUnavailable {
            action,
            profile,
            what: format!(
                "no answer within {} s (each attempt has {} s)",
                STS_CALL_TIMEOUT.as_secs(),
                STS_ATTEMPT_TIMEOUT.as_secs()
            ),
        };
    }
    let status = err.raw_response().map(|r| r.status().as_u16());
    let detail = err
        .message()
        .map(str::to_owned)
        .unwrap_or_else(|| DisplayErrorContext(&err).to_string());
    match err.code() {
        Some(
            "AccessDenied"
            | "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "InvalidIdentityToken"
            | "IDPRejectedClaim",
        ) => HostError::AccessDenied {
            action,
            profile,
            detail,
        },
        Some("ExpiredToken" | "ExpiredTokenException" | "TokenRefreshRequired") => {
            HostError::ExpiredCredentials { profile, detail }
        }
        // The SDK retried these (and 5xx) already: what arrives here is the last attempt's.
        Some(
            "Throttling"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "TooManyRequestsException",
        ) => HostError::Throttled { action, profile },
        _ if status.is_some_and(|s| (500..600).contains(&s)) => HostError::StsUnavailable {
            action,
            profile,
            what: format!(
                "HTTP {} {}",
                status.unwrap_or_default(),
                err.code().unwrap_or("(no error code)")
            ),
        },
        _ => HostError::Sts {
            action,
            profile,
            detail,
        },
    }
}

/// The default `RoleSessionName`: `roleport-<local user>`, so CloudTrail names a person.
fn session_name(configured: Option<&str>) -> String {
    match configured {
        Some(name) => name.to_owned(),
        None => sanitize(&format!("roleport-{}", local_user()), 64),
    }
}

/// The name GetFederationToken is called with (shows in CloudTrail as the federated user).
pub fn federation_name() -> String {
    sanitize(&format!("roleport-{}", local_user()), 32)
}

fn local_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "user".into())
}

/// Keeps STS's name charset `[\w+=,.@-]` and length limit; names are at least 2 chars.
fn sanitize(name: &str, max: usize) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(max)
        .collect();
    while out.len() < 2 {
        out.push('-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_keep_stss_charset_and_length() {
        assert_eq!(
            sanitize("roleport-jürgen smith", 64),
            "roleport-j-rgen-smith"
        );
        assert_eq!(sanitize(&"x".repeat(100), 64).len(), 64);
        assert_eq!(sanitize("", 64), "--");
        assert_eq!(session_name(Some("mine")), "mine");
    }
}
