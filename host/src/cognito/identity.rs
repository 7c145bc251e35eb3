//! Identity pool: the user pool's IdToken as the login, then AWS credentials, by the
//! enhanced flow (GetCredentialsForIdentity) or the basic one (GetOpenIdToken, then STS
//! AssumeRoleWithWebIdentity). The calls are unsigned; the client comes from an `SdkConfig`,
//! so `AWS_ENDPOINT_URL_COGNITO_IDENTITY` (and `AWS_ENDPOINT_URL_STS`) apply.

use aws_credential_types::Credentials;
use aws_sdk_cognitoidentity::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentity::primitives::DateTimeFormat;
use aws_sdk_cognitoidentity::Client;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{CognitoFlow, CognitoSource};
use crate::credentials::{sts, Issued};
use crate::error::HostError;

/// The identity's credentials, by the profile's flow.
pub async fn credentials(
    src: &CognitoSource,
    id_token: &SecretString,
) -> Result<Issued, HostError> {
    let client = Client::new(&super::sdk_config(&src.region).await);
    let provider = src.provider();
    let identity_id = client
        .get_id()
        .identity_pool_id(&src.identity_pool_id)
        .logins(&provider, id_token.expose_secret())
        .send()
        .await
        .map_err(|e| error(src, "GetId", e))?
        .identity_id
        .ok_or_else(|| missing(src, "GetId", "an IdentityId"))?;
    match src.flow {
        CognitoFlow::Enhanced => {
            let out = client
                .get_credentials_for_identity()
                .identity_id(&identity_id)
                .logins(&provider, id_token.expose_secret())
                .set_custom_role_arn(src.role_arn.as_ref().map(|r| r.arn.clone()))
                .send()
                .await
                .map_err(|e| error(src, "GetCredentialsForIdentity", e))?;
            let c = out
                .credentials()
                .ok_or_else(|| missing(src, "GetCredentialsForIdentity", "credentials"))?;
            let (Some(id), Some(secret), Some(token)) =
                (c.access_key_id(), c.secret_key(), c.session_token())
            else {
                return Err(missing(
                    src,
                    "GetCredentialsForIdentity",
                    "a complete key (id, secret and session token)",
                ));
            };
            let expiry = c.expiration();
            Ok(Issued {
                credentials: Credentials::new(
                    id,
                    secret,
                    Some(token.to_owned()),
                    expiry.and_then(|e| std::time::SystemTime::try_from(*e).ok()),
                    "roleport-cognito",
                ),
                expires_at: expiry.and_then(|e| e.fmt(DateTimeFormat::DateTime).ok()),
                account_id: src.role_arn.as_ref().map(|r| r.account_id.clone()),
            })
        }
        CognitoFlow::Basic => {
            let token = client
                .get_open_id_token()
                .identity_id(&identity_id)
                .logins(&provider, id_token.expose_secret())
                .send()
                .await
                .map_err(|e| error(src, "GetOpenIdToken", e))?
                .token
                .map(SecretString::from)
                .ok_or_else(|| missing(src, "GetOpenIdToken", "a token"))?;
            // The resolver refuses a basic-flow profile without the role.
            let role = src
                .role_arn
                .as_ref()
                .ok_or_else(|| HostError::ProfileIncomplete {
                    profile: src.profile.clone(),
                    why: "roleport_cognito_flow = basic needs roleport_cognito_role_arn".into(),
                })?;
            let assumed = sts::assume_role_with_web_identity(
                &src.profile,
                &src.region,
                role,
                token.expose_secret(),
            )
            .await?;
            Ok(Issued {
                credentials: assumed.credentials,
                expires_at: assumed.expires_at,
                account_id: Some(role.account_id.clone()),
            })
        }
    }
}

fn missing(src: &CognitoSource, action: &'static str, what: &str) -> HostError {
    HostError::Cognito {
        action,
        profile: src.profile.clone(),
        detail: format!("Cognito answered without {what}"),
    }
}

/// A login the identity pool does not take, or a role it will not give, is
/// [`HostError::AccessDenied`]; anything else names the call.
fn error<E, R>(src: &CognitoSource, action: &'static str, err: SdkError<E, R>) -> HostError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let detail = err
        .message()
        .map(str::to_owned)
        .unwrap_or_else(|| crate::error::chain(&err));
    match err.code() {
        Some("NotAuthorizedException" | "InvalidIdentityPoolConfigurationException") => {
            HostError::AccessDenied {
                action,
                profile: src.profile.clone(),
                detail,
            }
        }
        Some("TooManyRequestsException" | "LimitExceededException") => HostError::Throttled {
            action,
            profile: src.profile.clone(),
        },
        _ => HostError::Cognito {
            action,
            profile: src.profile.clone(),
            detail,
        },
    }
}
