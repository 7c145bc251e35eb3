//! Coded errors: what a reply carries when a request fails.

use serde::{Deserialize, Serialize};

/// A stable, append-only error code. Never renumber or rename one: the extension and
/// scripts match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not valid JSON, or was cut short.
    BadFrame,
    /// The frame's length prefix exceeds the limit for its direction.
    FrameTooLarge,
    /// The request's `v` is a protocol version this host does not speak.
    UnsupportedVersion,
    /// The request's `type` is not one this host knows.
    UnknownMessage,
    /// The request's fields do not match its type.
    InvalidRequest,
    /// The caller is not one of roleport's own extensions.
    CallerNotAllowed,
    /// The AWS config or credentials file could not be read or parsed (or the CA bundle it
    /// or `AWS_CA_BUNDLE` names).
    ConfigUnreadable,
    /// No profile of that name exists in the AWS config or credentials files.
    UnknownProfile,
    /// A `source_profile` chain loops back on itself.
    ProfileCycle,
    /// The profile exists but does not say how to get credentials.
    ProfileIncomplete,
    /// AWS refused the credentials or the role (trust policy, ExternalId, permissions).
    AccessDenied,
    /// The credentials have expired or been revoked.
    ExpiredCredentials,
    /// AWS throttled the request and retries did not get through.
    Throttled,
    /// STS or the network failed in a way not covered above.
    StsFailed,
    /// The console sign-in endpoint refused or failed.
    FederationFailed,
    /// The requested console destination is outside the partition's console.
    DestinationNotAllowed,
    /// A bug in roleport. The hint says where to report it.
    Internal,
    /// The extension could not start or reach the native host (not installed, or it died).
    HostUnavailable,
    /// The profile's source needs an MFA code: ask the person and send it as `mfa_code`.
    MfaRequired,
    /// AWS refused the MFA code; ask again.
    MfaInvalid,
    /// The browser refused to create a container, tab group or tab.
    BrowserApiFailed,
    /// An IAM Identity Center profile has no usable token: sign in (`sso_login`) and retry.
    SsoLoginRequired,
    /// A SAML assertion has expired, or the host no longer holds it (it restarted): sign in
    /// at the identity provider again.
    SamlExpired,
    /// A SAML response roleport cannot use: not base64 / XML, encrypted, a failure status, or
    /// no AWS role in it.
    SamlInvalid,
    /// A Cognito profile needs its user's password (none stored, or Cognito refused the one
    /// typed): ask the person and send `open_console` again with `password`.
    PasswordRequired,
    /// The host took longer than the request's time limit to answer (set by the extension,
    /// which then closes the port so that the next request starts a fresh host).
    HostTimeout,
    /// The host gave up on a request that did not finish within the host's own time limit
    /// (shorter than the extension's); the message names the step it was waiting for.
    RequestTimeout,
    /// The host is already serving as many requests as it takes at once; this one was refused
    /// without being queued.
    Busy,
    /// A setting in the AWS config or credentials file has a value roleport cannot use
    /// (`role_arn` not a role ARN, `duration_seconds` out of range, `region` not a region
    /// name); the message names the file and line.
    InvalidSetting,
    /// roleport's own settings file (`config.toml`) cannot be used, or settings sent to be
    /// saved are not valid; the message names the line and column, or the rule.
    SettingsInvalid,
}

impl ErrorCode {
    /// Every code, in the order they were added.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::BadFrame,
        ErrorCode::FrameTooLarge,
        ErrorCode::UnsupportedVersion,
        ErrorCode::UnknownMessage,
        ErrorCode::InvalidRequest,
        ErrorCode::CallerNotAllowed,
        ErrorCode::ConfigUnreadable,
        ErrorCode::UnknownProfile,
        ErrorCode::ProfileCycle,
        ErrorCode::ProfileIncomplete,
        ErrorCode::AccessDenied,
        ErrorCode::ExpiredCredentials,
        ErrorCode::Throttled,
        ErrorCode::StsFailed,
        ErrorCode::FederationFailed,
        ErrorCode::DestinationNotAllowed,
        ErrorCode::Internal,
        ErrorCode::HostUnavailable,
        ErrorCode::MfaRequired,
        ErrorCode::MfaInvalid,
        ErrorCode::BrowserApiFailed,
        ErrorCode::SsoLoginRequired,
        ErrorCode::SamlExpired,
        ErrorCode::SamlInvalid,
        ErrorCode::PasswordRequired,
        ErrorCode::HostTimeout,
        ErrorCode::RequestTimeout,
        ErrorCode::Busy,
        ErrorCode::InvalidSetting,
        ErrorCode::SettingsInvalid,
    ];

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadFrame => "bad_frame",
            ErrorCode::FrameTooLarge => "frame_too_large",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::UnknownMessage => "unknown_message",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::CallerNotAllowed => "caller_not_allowed",
            ErrorCode::ConfigUnreadable => "config_unreadable",
            ErrorCode::UnknownProfile => "unknown_profile",
            ErrorCode::ProfileCycle => "profile_cycle",
            ErrorCode::ProfileIncomplete => "profile_incomplete",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::ExpiredCredentials => "expired_credentials",
            ErrorCode::Throttled => "throttled",
            ErrorCode::StsFailed => "sts_failed",
            ErrorCode::FederationFailed => "federation_failed",
            ErrorCode::DestinationNotAllowed => "destination_not_allowed",
            ErrorCode::Internal => "internal",
            ErrorCode::HostUnavailable => "host_unavailable",
            ErrorCode::MfaRequired => "mfa_required",
            ErrorCode::MfaInvalid => "mfa_invalid",
            ErrorCode::BrowserApiFailed => "browser_api_failed",
            ErrorCode::SsoLoginRequired => "sso_login_required",
            ErrorCode::SamlExpired => "saml_expired",
            ErrorCode::SamlInvalid => "saml_invalid",
            ErrorCode::PasswordRequired => "password_required",
            ErrorCode::HostTimeout => "host_timeout",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::Busy => "busy",
            ErrorCode::InvalidSetting => "invalid_setting",
            ErrorCode::SettingsInvalid => "settings_invalid",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `err` member of a failed reply: what happened, and what a person can do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolError {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// What happened, in a sentence.
    pub message: String,
    /// The command or click that fixes it.
    pub hint: String,
}

impl ProtocolError {
    /// Builds an error from its three parts.
    pub fn new(code: ErrorCode, message: impl Into<String>, hint: impl Into<String>) -> Self {
        ProtocolError {
            code,
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}). {}", self.message, self.code, self.hint)
    }
}

impl std::error::Error for ProtocolError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).expect("codes serialise");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
