//! The STS calls: AssumeRole and GetFederationToken, their errors, and session names.

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sts::primitives::DateTimeFormat;
use aws_types::region::Region;

use crate::config::{Plan, RoleStep};
use crate::error::HostError;

/// An allow-all policy: GetFederationToken's session gets the intersection of it and the
/// user's own permissions, which is what the console should have.
const FEDERATION_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

async fn sts_client(profile: &str, region: &str, creds: Credentials) -> aws_sdk_sts::Client {
    // Loading per call honours AWS_ENDPOINT_URL_STS and the profile's own `endpoint_url`,
    // exactly as the AWS CLI would for that profile.
    let config = aws_config::defaults(BehaviorVersion::latest())
        .profile_name(profile)
        .region(Region::new(region.to_owned()))
        .credentials_provider(creds)
        .load()
        .await;
    aws_sdk_sts::Client::new(&config)
}

/// AssumeRole for one step of a plan.
pub async fn assume_role(
    step: &RoleStep,
    region: &str,
    from: Credentials,
) -> Result<(Credentials, Option<String>), HostError> {
    let client = sts_client(&step.profile, region, from).await;
    let out = client
        .assume_role()
        .role_arn(&step.role_arn.arn)
        .role_session_name(session_name(step.role_session_name.as_deref()))
        .set_external_id(step.external_id.clone())
        .set_duration_seconds(step.duration_seconds)
        .send()
        .await
        .map_err(|e| sts_error("AssumeRole", &step.profile, e))?;
    let creds = out.credentials().ok_or_else(|| HostError::Sts {
        action: "AssumeRole",
        profile: step.profile.clone(),
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
pub async fn federation_token(plan: &Plan, region: &str) -> Result<FederationToken, HostError> {
    let client = sts_client(&plan.source_profile, region, plan.source.clone()).await;
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

fn sts_error<E, R>(action: &'static str, profile: &str, err: SdkError<E, R>) -> HostError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let profile = profile.to_owned();
    let detail = err
        .message()
        .map(str::to_owned)
        .unwrap_or_else(|| DisplayErrorContext(&err).to_string());
    match err.code() {
        Some("AccessDenied" | "InvalidClientTokenId" | "SignatureDoesNotMatch") => {
            HostError::AccessDenied {
                action,
                profile,
                detail,
            }
        }
        Some("ExpiredToken" | "ExpiredTokenException" | "TokenRefreshRequired") => {
            HostError::ExpiredCredentials { profile, detail }
        }
        Some("Throttling" | "ThrottlingException" | "RequestLimitExceeded") => {
            HostError::Throttled { action, profile }
        }
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

fn federation_name() -> String {
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
