//! User pool sign-in (aws-sdk-cognitoidentityprovider): InitiateAuth with USER_SRP_AUTH
//! (+ RespondToAuthChallenge PASSWORD_VERIFIER, maths by the `aws-cognito-srp` crate) or
//! USER_PASSWORD_AUTH, and REFRESH_TOKEN_AUTH. The calls are unsigned; the client comes from
//! an `SdkConfig`, so `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER` applies.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;

use aws_cognito_srp::{SrpClient, User, UserAuthenticationParameters, VerificationParameters};
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthOutput;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType};
use aws_sdk_cognitoidentityprovider::Client;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{CognitoAuth, CognitoSource};
use crate::error::HostError;

/// The user pool's tokens. Kept in host memory only; `Debug` shows no token.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The IdToken the identity pool takes as the login.
    pub id_token: SecretString,
    /// Renews `id_token` without the password.
    pub refresh_token: Option<SecretString>,
    /// When `id_token` expires.
    pub expires: Instant,
}

async fn client(region: &str) -> Client {
    Client::new(&super::sdk_config(region).await)
}

/// Signs in with the password, by the profile's `roleport_cognito_auth`.
pub async fn sign_in(src: &CognitoSource, password: &SecretString) -> Result<Tokens, HostError> {
    let client = client(&src.region).await;
    match src.auth {
        CognitoAuth::Password => {
            let out = client
                .initiate_auth()
                .client_id(&src.client_id)
                .auth_flow(AuthFlowType::UserPasswordAuth)
                .auth_parameters("USERNAME", &src.username)
                .auth_parameters("PASSWORD", password.expose_secret())
                .send()
                .await
                .map_err(|e| error(src, "InitiateAuth", e))?;
            tokens(src, "InitiateAuth", out.authentication_result(), None, &out)
        }
        CognitoAuth::Srp => srp(src, &client, password).await,
    }
}

/// USER_SRP_AUTH: the password proves itself without being sent.
async fn srp(
    src: &CognitoSource,
    client: &Client,
    password: &SecretString,
) -> Result<Tokens, HostError> {
    let srp = SrpClient::new(
        User::new(&src.user_pool_id, &src.username, password.expose_secret()),
        &src.client_id,
        None,
    );
    let UserAuthenticationParameters { a, username } = srp.get_auth_parameters();
    let challenge = client
        .initiate_auth()
        .client_id(&src.client_id)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("SRP_A", a)
        .send()
        .await
        .map_err(|e| error(src, "InitiateAuth", e))?;
    if challenge.challenge_name() != Some(&ChallengeNameType::PasswordVerifier) {
        return Err(unexpected(src, "InitiateAuth", &challenge));
    }
    let params = challenge
        .challenge_parameters()
        .cloned()
        .unwrap_or_default();
    let param = |name: &str| -> Result<&str, HostError> {
        params
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| HostError::Cognito {
                action: "InitiateAuth",
                profile: src.profile.clone(),
                detail: format!("the PASSWORD_VERIFIER challenge has no {name}"),
            })
    };
    let user_id = param("USER_ID_FOR_SRP")?;
    let VerificationParameters {
        password_claim_secret_block,
        password_claim_signature,
        timestamp,
    } = srp
        .verify(
            param("SECRET_BLOCK")?,
            user_id,
            param("SALT")?,
            param("SRP_B")?,
        )
        .map_err(|e| HostError::Cognito {
            action: "RespondToAuthChallenge",
            profile: src.profile.clone(),
            detail: format!("the SRP challenge cannot be answered: {e}"),
        })?;
    // Cognito wants the name it answered with (an alias sign-in resolves to the username).
    let answered_name = params
        .get("USERNAME")
        .map_or(src.username.as_str(), String::as_str);
    let out = client
        .respond_to_auth_challenge()
        .client_id(&src.client_id)
        .challenge_name(ChallengeNameType::PasswordVerifier)
        .set_session(challenge.session().map(str::to_owned))
        .set_challenge_responses(Some(HashMap::from([
            ("USERNAME".to_owned(), answered_name.to_owned()),
            (
                "PASSWORD_CLAIM_SECRET_BLOCK".to_owned(),
                password_claim_secret_block,
            ),
            (
                "PASSWORD_CLAIM_SIGNATURE".to_owned(),
                password_claim_signature,
            ),
            ("TIMESTAMP".to_owned(), timestamp),
        ])))
        .send()
        .await
        .map_err(|e| error(src, "RespondToAuthChallenge", e))?;
    match out.authentication_result() {
        Some(result) => tokens_from(src, "RespondToAuthChallenge", result, None),
        None => Err(HostError::Cognito {
            action: "RespondToAuthChallenge",
            profile: src.profile.clone(),
            detail: challenge_detail(out.challenge_name()),
        }),
    }
}

/// REFRESH_TOKEN_AUTH: new IdToken, same refresh token.
pub async fn refresh(
    src: &CognitoSource,
    refresh_token: &SecretString,
) -> Result<Tokens, HostError> {
    let out = client(&src.region)
        .await
        .initiate_auth()
        .client_id(&src.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", refresh_token.expose_secret())
        .send()
        .await
        .map_err(|e| error(src, "InitiateAuth", e))?;
    tokens(
        src,
        "InitiateAuth",
        out.authentication_result(),
        Some(refresh_token),
        &out,
    )
}

fn tokens(
    src: &CognitoSource,
    action: &'static str,
    result: Option<&aws_sdk_cognitoidentityprovider::types::AuthenticationResultType>,
    old_refresh: Option<&SecretString>,
    out: &InitiateAuthOutput,
) -> Result<Tokens, HostError> {
    match result {
        Some(result) => tokens_from(src, action, result, old_refresh),
        None => Err(unexpected(src, action, out)),
    }
}

fn tokens_from(
    src: &CognitoSource,
    action: &'static str,
    result: &aws_sdk_cognitoidentityprovider::types::AuthenticationResultType,
    old_refresh: Option<&SecretString>,
) -> Result<Tokens, HostError> {
    let id_token = result.id_token().ok_or_else(|| HostError::Cognito {
        action,
        profile: src.profile.clone(),
        detail: "Cognito answered without an IdToken".into(),
    })?;
    // ExpiresIn is the access token's; the IdToken says its own expiry in `exp`.
    let lifetime = id_token_lifetime(id_token, SystemTime::now())
        .unwrap_or_else(|| Duration::from_secs(u64::try_from(result.expires_in()).unwrap_or(0)));
    Ok(Tokens {
        id_token: SecretString::from(id_token),
        refresh_token: result
            .refresh_token()
            .map(SecretString::from)
            .or_else(|| old_refresh.cloned()),
        expires: Instant::now() + lifetime,
    })
}

/// How long the IdToken (a JWT) has left, from its `exp` claim; `None` when it does not
/// parse (then Cognito's ExpiresIn is used). The signature is the identity pool's to check.
fn id_token_lifetime(token: &str, now: SystemTime) -> Option<Duration> {
    #[derive(serde::Deserialize)]
    struct Claims {
        exp: u64,
    }
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Claims = serde_json::from_slice(&bytes).ok()?;
    let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(claims.exp);
    Some(expiry.duration_since(now).unwrap_or_default())
}

fn unexpected(src: &CognitoSource, action: &'static str, out: &InitiateAuthOutput) -> HostError {
    HostError::Cognito {
        action,
        profile: src.profile.clone(),
        detail: challenge_detail(out.challenge_name()),
    }
}

/// Challenges roleport does not answer (a new password, MFA, custom auth) are named, so
/// the person knows to finish them elsewhere once.
fn challenge_detail(challenge: Option<&ChallengeNameType>) -> String {
    match challenge {
        Some(ChallengeNameType::NewPasswordRequired) => {
            "the user must set a new password first (NEW_PASSWORD_REQUIRED): sign in once \
             with the pool's hosted UI or `aws cognito-idp` and choose one"
                .into()
        }
        Some(other) => format!(
            "Cognito asks for the {} challenge, which roleport does not answer",
            other.as_str()
        ),
        None => "Cognito answered without tokens or a challenge".into(),
    }
}

/// Cognito's refusals of the user (wrong password, unknown, unconfirmed, reset needed) are
/// [`HostError::CognitoRefused`]; anything else names the call.
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
        Some(
            "NotAuthorizedException"
            | "UserNotFoundException"
            | "UserNotConfirmedException"
            | "PasswordResetRequiredException",
        ) => HostError::CognitoRefused {
            profile: src.profile.clone(),
            username: src.username.clone(),
            detail,
        },
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

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let part = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", part(r#"{"alg":"RS256"}"#), part(claims))
    }

    #[test]
    fn tokens_never_print() {
        let tokens = Tokens {
            id_token: SecretString::from("canary-id-token"),
            refresh_token: Some(SecretString::from("canary-refresh-token")),
            expires: Instant::now(),
        };
        let shown = format!("{tokens:?}");
        assert!(
            !shown.contains("canary-id-token") && !shown.contains("canary-refresh-token"),
            "{shown}"
        );
    }

    #[test]
    fn the_id_tokens_own_expiry_counts() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let token = jwt(r#"{"exp": 1300, "sub": "x"}"#);
        assert_eq!(
            id_token_lifetime(&token, now),
            Some(Duration::from_secs(300))
        );
        // Already expired: no time left, not a panic.
        let old = jwt(r#"{"exp": 10}"#);
        assert_eq!(id_token_lifetime(&old, now), Some(Duration::ZERO));
        for bad in ["", "a.b", "a.!!!.c", &jwt(r#"{"exp": "soon"}"#), &jwt("[]")] {
            assert_eq!(id_token_lifetime(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn challenges_roleport_does_not_answer_are_named() {
        let detail = challenge_detail(Some(&ChallengeNameType::NewPasswordRequired));
        assert!(detail.contains("NEW_PASSWORD_REQUIRED"), "{detail}");
        let detail = challenge_detail(Some(&ChallengeNameType::SoftwareTokenMfa));
        assert!(detail.contains("SOFTWARE_TOKEN_MFA"), "{detail}");
    }
}
