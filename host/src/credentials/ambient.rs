//! `credential_source`: credentials from where roleport runs — its environment variables, the
//! EC2 instance profile (IMDS) or the ECS task role. IMDS and ECS use the AWS SDK's own
//! providers, which know those endpoints' protocols (IMDSv2 tokens, container auth tokens).

use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;
use aws_sdk_sts::primitives::{DateTime, DateTimeFormat};

use super::RootCredentials;
use crate::config::Ambient;
use crate::error::HostError;

/// Credentials from `kind`, for the role profile `profile` that names it.
pub async fn fetch(profile: &str, kind: Ambient) -> Result<RootCredentials, HostError> {
    let fail = |detail: String| HostError::SourceFailed {
        profile: profile.to_owned(),
        source_kind: format!("credential_source = {}", kind.name()),
        detail,
    };
    let lookup = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match kind {
        Ambient::Environment => environment(lookup).map_err(fail),
        Ambient::Ec2InstanceMetadata => {
            let provider =
                aws_config::imds::credentials::ImdsCredentialsProvider::builder().build();
            from_sdk(provider.provide_credentials().await).map_err(fail)
        }
        Ambient::EcsContainer => {
            let provider = aws_config::ecs::EcsCredentialsProvider::builder().build();
            from_sdk(provider.provide_credentials().await).map_err(fail)
        }
    }
}

/// botocore's `EnvProvider`: the key id and secret must both be set; `AWS_SECURITY_TOKEN` is
/// read before `AWS_SESSION_TOKEN`; `AWS_CREDENTIAL_EXPIRATION` when present.
fn environment(lookup: impl Fn(&str) -> Option<String>) -> Result<RootCredentials, String> {
    let id = lookup("AWS_ACCESS_KEY_ID").ok_or("AWS_ACCESS_KEY_ID is not set")?;
    let secret = lookup("AWS_SECRET_ACCESS_KEY").ok_or("AWS_SECRET_ACCESS_KEY is not set")?;
    let token = lookup("AWS_SECURITY_TOKEN").or_else(|| lookup("AWS_SESSION_TOKEN"));
    let expires_at = lookup("AWS_CREDENTIAL_EXPIRATION");
    let expiry = match &expires_at {
        None => None,
        Some(text) => Some(
            DateTime::from_str(text, DateTimeFormat::DateTime)
                .ok()
                .and_then(|d| std::time::SystemTime::try_from(d).ok())
                .ok_or_else(|| {
                    format!("AWS_CREDENTIAL_EXPIRATION `{text}` is not an RFC 3339 time")
                })?,
        ),
    };
    Ok(RootCredentials {
        credentials: Credentials::new(id, secret, token, expiry, "roleport-environment"),
        expires_at,
        account_id: lookup("AWS_ACCOUNT_ID"),
    })
}

fn from_sdk(
    result: Result<Credentials, aws_credential_types::provider::error::CredentialsError>,
) -> Result<RootCredentials, String> {
    // Display only, never Debug: the SDK's Debug output includes raw responses, which for
    // a credentials endpoint may hold the keys themselves.
    let credentials = result.map_err(|e| crate::error::chain(&e))?;
    let expires_at = credentials
        .expiry()
        .and_then(|t| DateTime::from(t).fmt(DateTimeFormat::DateTime).ok());
    let account_id = credentials.account_id().map(|a| a.as_str().to_owned());
    Ok(RootCredentials {
        credentials,
        expires_at,
        account_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn environment_needs_both_halves_and_prefers_the_older_token_name() {
        let creds = environment(vars(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "S"),
            ("AWS_SECURITY_TOKEN", "old"),
            ("AWS_SESSION_TOKEN", "new"),
        ]))
        .expect("complete");
        assert_eq!(creds.credentials.session_token(), Some("old"));
        assert!(creds.is_temporary());
        let err = environment(vars(&[("AWS_ACCESS_KEY_ID", "AKID")])).err();
        assert_eq!(err.as_deref(), Some("AWS_SECRET_ACCESS_KEY is not set"));
    }
}
