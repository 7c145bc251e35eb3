//! AssumeRoleWithSAML: the one STS call that needs no AWS credentials (the assertion is
//! the proof), and its errors in a SAML sign-in's terms.

use aws_credential_types::Credentials;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role_with_saml::AssumeRoleWithSAMLError;
use aws_sdk_sts::primitives::DateTimeFormat;
use aws_types::region::Region;

use super::assertion::RolePair;
use super::SamlError;

/// What AssumeRoleWithSAML gave.
pub struct Assumed {
    /// The role's temporary credentials.
    pub credentials: Credentials,
    /// When they expire, RFC 3339.
    pub expires_at: Option<String>,
}

/// AssumeRoleWithSAML for `pair` with the base64 `assertion`, asking for `duration` seconds
/// when the assertion names a `SessionDuration`.
pub async fn assume(
    region: &str,
    pair: &RolePair,
    assertion: &str,
    duration: Option<i32>,
) -> Result<Assumed, SamlError> {
    // The defaults honour AWS_ENDPOINT_URL_STS; no credentials: the call is unsigned.
    crate::limits::stage(format!("AssumeRoleWithSAML of {}", pair.role.arn));
    let loader = crate::sdk_http::defaults()
        .region(Region::new(region.to_owned()))
        .no_credentials();
    let config = crate::credentials::sts::resilient(loader).load().await;
    let client = aws_sdk_sts::Client::new(&config);
    let out = client
        .assume_role_with_saml()
        .role_arn(&pair.role.arn)
        .principal_arn(&pair.principal_arn)
        .saml_assertion(assertion)
        .set_duration_seconds(duration)
        .send()
        .await
        .map_err(|e| error(&pair.role.arn, e))?;
    let creds = out.credentials().ok_or_else(|| SamlError::Sts {
        role_arn: pair.role.arn.clone(),
        code: None,
        detail: "STS answered without credentials".into(),
    })?;
    let expiry = creds.expiration();
    Ok(Assumed {
        credentials: Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_owned()),
            std::time::SystemTime::try_from(*expiry).ok(),
            "roleport-saml",
        ),
        expires_at: expiry.fmt(DateTimeFormat::DateTime).ok(),
    })
}

fn error<R: std::fmt::Debug>(
    role_arn: &str,
    err: SdkError<AssumeRoleWithSAMLError, R>,
) -> SamlError {
    // Never `Debug` the request: it holds the assertion. AWS's own message does not.
    let detail = err
        .message()
        .map(str::to_owned)
        .unwrap_or_else(|| DisplayErrorContext(&err).to_string());
    let code = err.code().map(str::to_owned);
    match code.as_deref() {
        Some("ExpiredTokenException" | "ExpiredToken") => SamlError::Expired,
        _ => SamlError::Sts {
            role_arn: role_arn.to_owned(),
            code,
            detail,
        },
    }
}
