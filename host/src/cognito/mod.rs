//! Cognito profiles: sign in to the user pool (`userpool`), then take the identity pool's
//! credentials with the IdToken (`identity`); `credentials/` federates them like any other
//! source's, or assumes the profile's `role_arn` with them.
//!
//! Secrets: the password comes from roleport's store (`roleport add PROFILE
//! --cognito-password`) and is used for one sign-in, never kept. The tokens live only in this
//! process's memory ([`TOKENS`]): the IdToken is reused until five minutes before it expires,
//! then renewed with the refresh token; when that is refused, the password signs in again.
//! No token is logged, written or sent to the browser.

mod identity;
mod userpool;

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use aws_types::region::Region;
use secrecy::SecretString;

use crate::config::CognitoSource;
use crate::credentials::Issued;
use crate::error::HostError;
pub use userpool::Tokens;

/// An IdToken this close to its expiry is renewed first: the identity pool must still
/// accept it when the call arrives.
const RENEW_BEFORE: Duration = Duration::from_secs(300);

/// The user pool tokens of this process, by pool, client and user.
static TOKENS: LazyLock<Mutex<HashMap<String, Tokens>>> = LazyLock::new(Default::default);

fn key(src: &CognitoSource) -> String {
    format!("{}\n{}\n{}", src.user_pool_id, src.client_id, src.username)
}

/// Both Cognito APIs are unsigned; loading from the environment honours
/// `AWS_ENDPOINT_URL_COGNITO_IDENTITY(_PROVIDER)`.
async fn sdk_config(region: &str) -> aws_types::SdkConfig {
    crate::sdk_http::defaults()
        .region(Region::new(region.to_owned()))
        .no_credentials()
        .load()
        .await
}

/// The identity pool's credentials for a Cognito profile. `password` is one the person
/// just typed; without it the store's is used, when a sign-in is needed at all.
pub async fn credentials(
    src: &CognitoSource,
    password: Option<&SecretString>,
) -> Result<Issued, HostError> {
    let tokens = tokens(src, password).await?;
    let issued = identity::credentials(src, &tokens.id_token).await;
    if let Err(HostError::AccessDenied { .. }) = &issued {
        // The identity pool no longer takes this IdToken (revoked, pool changed): the next
        // attempt signs in afresh instead of presenting it again.
        TOKENS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key(src));
    }
    issued
}

/// Usable tokens: the cached ones, renewed ones, or a fresh sign-in.
async fn tokens(src: &CognitoSource, password: Option<&SecretString>) -> Result<Tokens, HostError> {
    let cached = TOKENS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key(src))
        .cloned();
    // A password typed now means the person wants this one used (a new password, or the
    // old tokens were refused).
    if let (Some(cached), None) = (&cached, password) {
        if cached.expires > Instant::now() + RENEW_BEFORE {
            return Ok(cached.clone());
        }
        if let Some(refresh) = &cached.refresh_token {
            match userpool::refresh(src, refresh).await {
                Ok(fresh) => return Ok(remember(src, fresh)),
                // A revoked or expired refresh token: sign in with the password instead.
                Err(HostError::CognitoRefused { .. }) => {
                    tracing::info!(profile = %src.profile, "Cognito refresh token refused; signing in again");
                }
                Err(e) => return Err(e),
            }
        }
    }
    let fresh = match password {
        // A typed password that Cognito refuses is asked for again, like a wrong MFA code.
        Some(typed) => userpool::sign_in(src, typed).await.map_err(|e| match e {
            HostError::CognitoRefused {
                profile,
                username,
                detail,
            } => HostError::CognitoPasswordRequired {
                profile,
                username,
                refused: Some(detail),
            },
            other => other,
        })?,
        None => userpool::sign_in(src, &stored_password(src)?).await?,
    };
    Ok(remember(src, fresh))
}

fn remember(src: &CognitoSource, tokens: Tokens) -> Tokens {
    TOKENS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key(src), tokens.clone());
    tokens
}

fn stored_password(src: &CognitoSource) -> Result<SecretString, HostError> {
    crate::store::EnvKeyStore::shared()
        .cognito_password(&src.profile)?
        .ok_or_else(|| HostError::CognitoPasswordRequired {
            profile: src.profile.clone(),
            username: src.username.clone(),
            refused: None,
        })
}
