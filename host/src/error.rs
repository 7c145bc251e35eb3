//! The host's errors, and how each becomes a coded [`ProtocolError`] with a hint a person can act on.

use roleport_protocol::{ErrorCode, ProtocolError};

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The AWS config or credentials file could not be read or parsed.
    #[error("cannot read the AWS config: {0}")]
    ConfigUnreadable(String),
    /// No such profile.
    #[error("no profile named `{0}` in the AWS config or credentials file")]
    UnknownProfile(String),
    /// A `source_profile` chain loops.
    #[error("profile `{start}` has a source_profile cycle: {}", chain.join(" -> "))]
    ProfileCycle {
        /// The profile that was asked for.
        start: String,
        /// The chain, ending in the profile seen twice.
        chain: Vec<String>,
    },
    /// A profile names a source that does not exist.
    #[error("profile `{profile}` names source_profile `{missing}`, which does not exist")]
    DanglingSource {
        /// The profile with the bad reference.
        profile: String,
        /// The missing profile.
        missing: String,
    },
    /// A profile names an `sso_session` that has no `[sso-session NAME]` section.
    #[error("profile `{profile}` names sso_session `{missing}`, which has no [sso-session {missing}] section")]
    DanglingSsoSession {
        /// The profile with the bad reference.
        profile: String,
        /// The missing session.
        missing: String,
    },
    /// The profile's credentials come from a source roleport cannot run yet (SSO, …).
    #[error(
        "profile `{profile}` gets its credentials from {what}, which roleport does not support yet"
    )]
    SourceUnsupported {
        /// The profile that declares the source.
        profile: String,
        /// The source, in words.
        what: String,
        /// What to do meanwhile.
        meanwhile: String,
    },
    /// A credential source ran and failed (credential_process, environment, IMDS, ECS).
    #[error("the {source_kind} of profile `{profile}` gave no credentials: {detail}")]
    SourceFailed {
        /// The profile that declares the source.
        profile: String,
        /// `credential_process`, `credential_source = Environment`, …
        source_kind: String,
        /// What went wrong (a process's stderr included; never its stdout).
        detail: String,
    },
    /// The profile does not say how to get credentials.
    #[error("profile `{profile}` has no credentials roleport can use: {why}")]
    ProfileIncomplete {
        /// The profile.
        profile: String,
        /// What is missing.
        why: String,
    },
    /// STS refused.
    #[error("AWS refused {action} for profile `{profile}`: {detail}")]
    AccessDenied {
        /// The STS action.
        action: &'static str,
        /// The profile whose step failed.
        profile: String,
        /// AWS's own message.
        detail: String,
    },
    /// Credentials expired or revoked.
    #[error("the credentials for profile `{profile}` have expired or were revoked: {detail}")]
    ExpiredCredentials {
        /// The profile whose credentials failed.
        profile: String,
        /// AWS's own message.
        detail: String,
    },
    /// AWS throttled every retry.
    #[error("AWS throttled {action} for profile `{profile}`, retries with backoff included")]
    Throttled {
        /// The STS action.
        action: &'static str,
        /// The profile.
        profile: String,
    },
    /// STS failed otherwise (network, endpoint, unexpected answer).
    #[error("{action} for profile `{profile}` failed: {detail}")]
    Sts {
        /// The STS action.
        action: &'static str,
        /// The profile.
        profile: String,
        /// What failed.
        detail: String,
    },
    /// STS failed on AWS's side (5xx) or did not answer, on every attempt.
    #[error(
        "STS did not serve {action} for profile `{profile}` on any of {} attempts: {what}",
        crate::credentials::sts::STS_MAX_ATTEMPTS
    )]
    StsUnavailable {
        /// The STS action.
        action: &'static str,
        /// The profile.
        profile: String,
        /// The last attempt's status and code, or the timeout.
        what: String,
    },
    /// The sign-in endpoint failed.
    #[error("console sign-in failed: {0}")]
    Federation(String),
    /// The sign-in endpoint throttled or failed (429, 5xx, no answer) on every attempt.
    #[error("AWS's sign-in endpoint ({host}) did not answer getSigninToken on any of {attempts} attempts: {last}")]
    FederationUnavailable {
        /// The sign-in host.
        host: String,
        /// Attempts made.
        attempts: u32,
        /// What the last attempt got.
        last: String,
    },
    /// No HTTP client could be made: its CA bundle cannot be read, or TLS would not start.
    #[error("cannot start the HTTP client: {why}")]
    HttpClient {
        /// The CA bundle and who named it (`AWS_CA_BUNDLE`, a profile's `ca_bundle`), if any.
        bundle: Option<(std::path::PathBuf, String)>,
        /// What went wrong.
        why: String,
    },
    /// The source needs an MFA code and none was given.
    #[error("profile `{profile}` needs a code from MFA device {serial}")]
    MfaRequired {
        /// The profile being opened.
        profile: String,
        /// The device's ARN.
        serial: String,
    },
    /// AWS refused the MFA code.
    #[error("AWS refused the MFA code for {serial} (profile `{profile}`): it was wrong, expired or already used")]
    MfaInvalid {
        /// The profile whose source needed it.
        profile: String,
        /// The device's ARN.
        serial: String,
    },
    /// A destination outside the console.
    #[error("destination `{0}` is not a page of the AWS console")]
    DestinationNotAllowed(String),
    /// A request field the host cannot act on (unknown `service`, malformed `region`, …).
    #[error("{message}")]
    InvalidRequest {
        /// What is wrong, naming the field and its value.
        message: String,
        /// How to fix it.
        hint: String,
    },
    /// An SSO profile's login has no usable token (never signed in, expired, revoked).
    #[error("IAM Identity Center login `{name}` needs signing in again: {why}")]
    SsoLoginRequired {
        /// The `sso-session` name, or the legacy profile's name.
        name: String,
        /// Why the cached token cannot be used.
        why: String,
    },
    /// A device-authorization login did not complete (denied, or the code expired).
    #[error("IAM Identity Center login `{name}` failed: {why}")]
    SsoLoginFailed {
        /// The `sso-session` name, or the legacy profile's name.
        name: String,
        /// What happened.
        why: String,
    },
    /// IAM Identity Center (portal or OIDC) or the token cache failed otherwise.
    #[error("{action} for IAM Identity Center login `{name}` failed: {detail}")]
    Sso {
        /// The call or step.
        action: &'static str,
        /// The `sso-session` name, or the profile's name.
        name: String,
        /// What failed.
        detail: String,
    },
    /// A Cognito profile needs its user's password: roleport's store has none, or Cognito
    /// refused the one typed in the popup (`refused` says why).
    #[error("{}", match refused {
        None => format!("profile `{profile}` needs the Cognito password of `{username}`, and roleport's store has none"),
        Some(why) => format!("Cognito refused the password of `{username}` (profile `{profile}`): {why}"),
    })]
    CognitoPasswordRequired {
        /// The Cognito profile.
        profile: String,
        /// `roleport_cognito_username`.
        username: String,
        /// Cognito's words, when it refused a typed password.
        refused: Option<String>,
    },
    /// The user pool refused the user: wrong password, unknown, unconfirmed, reset needed.
    #[error("Cognito refused the sign-in of `{username}` (profile `{profile}`): {detail}")]
    CognitoRefused {
        /// The Cognito profile.
        profile: String,
        /// `roleport_cognito_username`.
        username: String,
        /// Cognito's own message.
        detail: String,
    },
    /// A Cognito user pool or identity pool call failed otherwise.
    #[error("{action} for profile `{profile}` failed: {detail}")]
    Cognito {
        /// The call.
        action: &'static str,
        /// The Cognito profile.
        profile: String,
        /// What failed.
        detail: String,
    },
    /// A setting of a profile has a value roleport cannot use (boxed: it is rare, and big).
    #[error("{0}")]
    InvalidSetting(Box<BadSetting>),
    /// roleport's key store (OS keyring or encrypted file) could not give a profile's keys.
    #[error("roleport's key store: {0}")]
    Store(#[from] crate::store::StoreError),
}

/// A setting's value roleport cannot use, and where it was written.
#[derive(Debug, thiserror::Error)]
#[error("profile `{profile}`: {key} = `{value}` {why}{}", at.as_ref().map(|a| format!(" ({a})")).unwrap_or_default())]
pub struct BadSetting {
    /// The profile that has the setting.
    pub profile: String,
    /// The key, as written.
    pub key: String,
    /// The value, as written (never a secret: only non-secret keys are checked).
    pub value: String,
    /// What is wrong with it.
    pub why: String,
    /// `PATH line N`, where the key was written.
    pub at: Option<String>,
    /// How to fix it.
    pub hint: String,
}

impl HostError {
    /// The wire code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            HostError::ConfigUnreadable(_) => ErrorCode::ConfigUnreadable,
            HostError::HttpClient {
                bundle: Some(_), ..
            } => ErrorCode::ConfigUnreadable,
            HostError::HttpClient { bundle: None, .. } => ErrorCode::Internal,
            HostError::UnknownProfile(_)
            | HostError::DanglingSource { .. }
            | HostError::DanglingSsoSession { .. } => ErrorCode::UnknownProfile,
            HostError::SourceUnsupported { .. } => ErrorCode::ProfileIncomplete,
            HostError::SourceFailed { .. } => ErrorCode::StsFailed,
            HostError::ProfileCycle { .. } => ErrorCode::ProfileCycle,
            HostError::ProfileIncomplete { .. } => ErrorCode::ProfileIncomplete,
            HostError::AccessDenied { .. } => ErrorCode::AccessDenied,
            HostError::ExpiredCredentials { .. } => ErrorCode::ExpiredCredentials,
            HostError::Throttled { .. } => ErrorCode::Throttled,
            HostError::Sts { .. } | HostError::StsUnavailable { .. } => ErrorCode::StsFailed,
            HostError::Federation(_) | HostError::FederationUnavailable { .. } => {
                ErrorCode::FederationFailed
            }
            HostError::DestinationNotAllowed(_) => ErrorCode::DestinationNotAllowed,
            HostError::InvalidRequest { .. } => ErrorCode::InvalidRequest,
            HostError::MfaRequired { .. } => ErrorCode::MfaRequired,
            HostError::MfaInvalid { .. } => ErrorCode::MfaInvalid,
            HostError::SsoLoginRequired { .. } => ErrorCode::SsoLoginRequired,
            HostError::SsoLoginFailed { .. } => ErrorCode::AccessDenied,
            HostError::Sso { .. } => ErrorCode::StsFailed,
            HostError::CognitoPasswordRequired { .. } => ErrorCode::PasswordRequired,
            HostError::CognitoRefused { .. } => ErrorCode::AccessDenied,
            HostError::Cognito { .. } => ErrorCode::StsFailed,
            HostError::InvalidSetting(_) => ErrorCode::InvalidSetting,
            // The store stands in for the credentials file: unreadable keys, same code.
            HostError::Store(_) => ErrorCode::ConfigUnreadable,
        }
    }

    /// What a person can do about it.
    pub fn hint(&self) -> String {
        match self {
            HostError::ConfigUnreadable(_) => {
                "Fix the file at the line named above (the AWS CLI reads the same files), then \
                 try again; `roleport explain PROFILE` checks it without signing in."
                    .into()
            }
            HostError::HttpClient {
                bundle: Some((_, named_by)),
                ..
            } => format!(
                "Point {named_by} at a readable PEM file of CA certificates, or remove it to \
                 trust the system's certificates."
            ),
            HostError::HttpClient { bundle: None, .. } => {
                "Report this at https://github.com/roleport/roleport/issues.".into()
            }
            HostError::UnknownProfile(name) => format!(
                "Check the spelling, or add a `[profile {name}]` section to ~/.aws/config. \
                 `roleport list` shows the profiles roleport sees."
            ),
            HostError::ProfileCycle { .. } => {
                "Point one of these profiles' source_profile at a profile with keys.".into()
            }
            HostError::DanglingSource { missing, .. } => format!(
                "Add a `[profile {missing}]` with credentials, or fix the source_profile name."
            ),
            HostError::DanglingSsoSession { missing, .. } => format!(
                "Add a `[sso-session {missing}]` section to ~/.aws/config, or fix the \
                 sso_session name."
            ),
            HostError::SourceUnsupported { meanwhile, .. } => meanwhile.clone(),
            HostError::SourceFailed { source_kind, .. } => format!(
                "Run the {source_kind} by hand and fix what it reports; \
                 `roleport explain PROFILE` shows which source a profile uses."
            ),
            HostError::ProfileIncomplete { profile, .. } => format!(
                "Give `{profile}` either aws_access_key_id + aws_secret_access_key, or \
                 role_arn + source_profile."
            ),
            HostError::AccessDenied { .. } => {
                "Check the role's trust policy, the ExternalId and that the source keys are \
                 still active (`aws sts get-caller-identity --profile …`)."
                    .into()
            }
            HostError::ExpiredCredentials { profile, .. } => format!(
                "Refresh the source credentials of `{profile}` (rotate the keys or sign in again)."
            ),
            HostError::Throttled { .. } => {
                "AWS is rate-limiting this account's STS calls (other tools or scripts may share \
                 the quota): wait a minute and try again."
                    .into()
            }
            HostError::StsUnavailable { .. } => {
                "STS kept failing on AWS's side or not answering: check https://health.aws.amazon.com \
                 and the network (or AWS_ENDPOINT_URL_STS / endpoint_url), then try again in a minute."
                    .into()
            }
            HostError::Sts { .. } => {
                "Check the network and the STS endpoint (AWS_ENDPOINT_URL_STS / endpoint_url), \
                 then try again."
                    .into()
            }
            HostError::Federation(_) => {
                "Try again; if it persists the role may not allow console sign-in.".into()
            }
            HostError::FederationUnavailable { .. } => {
                "AWS's console sign-in endpoint is throttling or failing: wait a minute and try \
                 again (check https://health.aws.amazon.com, or ROLEPORT_SIGNIN_URL if set)."
                    .into()
            }
            HostError::MfaRequired { .. } => {
                "Enter the current code from your authenticator app (popup), or pass \
                 `--mfa-code` (CLI)."
                    .into()
            }
            HostError::MfaInvalid { .. } => {
                "Wait for the next code and enter it; each code works once.".into()
            }
            HostError::SsoLoginRequired { name, .. } => format!(
                "Sign in to `{name}` from the roleport popup, or run `roleport sso login {name}` \
                 (or `aws sso login`: both share ~/.aws/sso/cache), then try again."
            ),
            HostError::SsoLoginFailed { name, .. } => format!(
                "Run `roleport sso login {name}` again and approve the code shown, in time."
            ),
            HostError::Sso { .. } => {
                "Check the network and the IAM Identity Center endpoints (AWS_ENDPOINT_URL_SSO, \
                 AWS_ENDPOINT_URL_SSO_OIDC), then try again."
                    .into()
            }
            HostError::CognitoPasswordRequired { profile, .. } => format!(
                "Type the password in the roleport popup, or store it once: \
                 `roleport add {profile} --cognito-password` (kept in the OS keyring or the \
                 encrypted file)."
            ),
            HostError::CognitoRefused { profile, .. } => format!(
                "Check roleport_cognito_username and the password; store the right one with \
                 `roleport add {profile} --cognito-password --force`."
            ),
            HostError::Cognito { .. } => {
                "Check the network, the pool and client ids in ~/.aws/config and the Cognito \
                 endpoints (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, \
                 AWS_ENDPOINT_URL_COGNITO_IDENTITY), then try again."
                    .into()
            }
            HostError::InvalidRequest { hint, .. } => hint.clone(),
            HostError::InvalidSetting(bad) => bad.hint.clone(),
            HostError::Store(e) => e.hint(),
            HostError::DestinationNotAllowed(_) => {
                "Use a console URL (https://console.aws.amazon.com/…) or a path such as /ec2/home."
                    .into()
            }
        }
    }

    /// The error as it goes on the wire.
    pub fn to_protocol(&self) -> ProtocolError {
        ProtocolError::new(self.code(), self.to_string(), self.hint())
    }
}

/// An error and its sources, joined by `: ` (the SDK's errors keep the useful part in a
/// source, and their own `Display` alone says little).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
