//! What a resolved profile says to do: where the first credentials come from, then the roles
//! to assume in order. No secret is shown by `Debug` (the SDK's `Credentials` redacts its own).

use aws_credential_types::Credentials;
use roleport_protocol::Appearance;

pub use super::cognito::{CognitoAuth, CognitoFlow, CognitoSource};
use super::compat::FileKind;
use crate::arn::RoleArn;
use crate::http_client::Trust;

/// How to obtain a profile's credentials.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The profile that was asked for.
    pub profile: String,
    /// Where the first credentials come from.
    pub source: Source,
    /// The profile whose settings (`endpoint_url`, …) apply to calls made with the source's
    /// credentials: the source's own profile, or for `credential_source` the role's.
    pub source_profile: String,
    /// `mfa_serial` of the profile that holds the source's keys (static, stored or
    /// `credential_process` sources): the device for GetSessionToken, aws-vault style.
    /// botocore itself only sends each role profile's `mfa_serial` with its AssumeRole.
    pub source_mfa_serial: Option<String>,
    /// Roles to assume in order, first from the source, then each from the one before.
    pub roles: Vec<RoleStep>,
    /// Region for STS and the console (`region` of the profile asked for).
    pub region: Option<String>,
    /// Container / tab-group look.
    pub appearance: Appearance,
    /// The CAs every call of this sign-in trusts (`AWS_CA_BUNDLE`, the profile's `ca_bundle`).
    pub trust: Trust,
}

/// One AssumeRole call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStep {
    /// Profile that declares the role.
    pub profile: String,
    /// The role.
    pub role_arn: RoleArn,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `role_session_name` (an empty one counts as unset, as in botocore).
    pub role_session_name: Option<String>,
    /// `duration_seconds` (botocore ignores a value that is not a number, and so does this).
    pub duration_seconds: Option<i32>,
    /// `mfa_serial` of this role's profile: botocore sends it as SerialNumber.
    pub mfa_serial: Option<String>,
    /// `roleport_source_identity`: SourceIdentity.
    pub source_identity: Option<String>,
    /// `roleport_tags = k=v,k2=v2`: session tags, in order.
    pub tags: Vec<(String, String)>,
    /// `roleport_transitive_tag_keys = k,k2`.
    pub transitive_tag_keys: Vec<String>,
}

/// Where a plan's first credentials come from. `Debug` shows no key (the SDK's own would
/// print the key id).
#[derive(Clone)]
pub enum Source {
    /// `aws_access_key_id` + `aws_secret_access_key` (+ `aws_session_token`) in a file.
    StaticKeys {
        /// The profile that holds them.
        profile: String,
        /// The file they were read from (botocore prefers the credentials file's).
        file: FileKind,
        /// The keys.
        credentials: Credentials,
    },
    /// Long-term keys kept in roleport's own store (see [`super::KeyStore`]).
    StoredKeys {
        /// The profile they belong to.
        profile: String,
        /// The keys, read from the store while resolving.
        credentials: Credentials,
    },
    /// `credential_process`: a command that prints version-1 JSON credentials.
    Process {
        /// The profile that declares it.
        profile: String,
        /// The command line, split like a POSIX shell word list, run without a shell.
        command: String,
    },
    /// `credential_source` on a role profile: credentials from where roleport runs.
    Ambient {
        /// The role profile that names it.
        profile: String,
        /// Which one.
        kind: Ambient,
    },
    /// IAM Identity Center: resolved, not yet executable.
    Sso(SsoSource),
    /// A Cognito user pool sign-in, then the identity pool's credentials.
    Cognito(CognitoSource),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::StaticKeys { profile, file, .. } => f
                .debug_struct("StaticKeys")
                .field("profile", profile)
                .field("file", file)
                .field("credentials", &"[REDACTED]")
                .finish(),
            Source::StoredKeys { profile, .. } => f
                .debug_struct("StoredKeys")
                .field("profile", profile)
                .field("credentials", &"[REDACTED]")
                .finish(),
            Source::Process { profile, command } => f
                .debug_struct("Process")
                .field("profile", profile)
                .field("command", command)
                .finish(),
            Source::Ambient { profile, kind } => f
                .debug_struct("Ambient")
                .field("profile", profile)
                .field("kind", kind)
                .finish(),
            Source::Sso(sso) => f.debug_tuple("Sso").field(sso).finish(),
            Source::Cognito(cognito) => f.debug_tuple("Cognito").field(cognito).finish(),
        }
    }
}

/// The values of `credential_source`, spelled (case and all) as botocore accepts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ambient {
    /// `Environment`: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`.
    Environment,
    /// `Ec2InstanceMetadata`: the instance profile, from IMDS.
    Ec2InstanceMetadata,
    /// `EcsContainer`: the task role, from the container credentials endpoint.
    EcsContainer,
}

impl Ambient {
    /// Every value, for messages.
    pub const ALL: [Ambient; 3] = [
        Ambient::Environment,
        Ambient::Ec2InstanceMetadata,
        Ambient::EcsContainer,
    ];

    /// The `credential_source` value.
    pub fn name(self) -> &'static str {
        match self {
            Ambient::Environment => "Environment",
            Ambient::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            Ambient::EcsContainer => "EcsContainer",
        }
    }

    /// Parses a `credential_source` value; botocore checks it case-sensitively.
    pub fn parse(value: &str) -> Option<Ambient> {
        Ambient::ALL.into_iter().find(|a| a.name() == value)
    }
}

/// An IAM Identity Center source, after `sso_session` was followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSource {
    /// The profile with `sso_account_id` / `sso_role_name`.
    pub profile: String,
    /// `sso_session`, when the profile uses a `[sso-session NAME]` section.
    pub session: Option<String>,
    /// `sso_start_url`.
    pub start_url: String,
    /// `sso_region`.
    pub region: String,
    /// `sso_account_id`.
    pub account_id: String,
    /// `sso_role_name`.
    pub role_name: String,
}

impl Source {
    /// The profile the source belongs to.
    pub fn profile(&self) -> &str {
        match self {
            Source::StaticKeys { profile, .. }
            | Source::StoredKeys { profile, .. }
            | Source::Process { profile, .. }
            | Source::Ambient { profile, .. } => profile,
            Source::Sso(sso) => &sso.profile,
            Source::Cognito(cognito) => &cognito.profile,
        }
    }

    /// The snake_case name `roleport explain` shows.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Source::StaticKeys { .. } => "static_keys",
            Source::StoredKeys { .. } => "stored_keys",
            Source::Process { .. } => "credential_process",
            Source::Ambient {
                kind: Ambient::Environment,
                ..
            } => "environment",
            Source::Ambient {
                kind: Ambient::Ec2InstanceMetadata,
                ..
            } => "ec2_instance_metadata",
            Source::Ambient {
                kind: Ambient::EcsContainer,
                ..
            } => "ecs_container",
            Source::Sso(_) => "sso",
            Source::Cognito(_) => "cognito",
        }
    }

    /// Keys known at resolution time (static or stored); `None` for sources that must run.
    pub fn known_keys(&self) -> Option<&Credentials> {
        match self {
            Source::StaticKeys { credentials, .. } | Source::StoredKeys { credentials, .. } => {
                Some(credentials)
            }
            _ => None,
        }
    }

    /// Whether the source's credentials are temporary, when that is known before running it:
    /// `Some(true)` for instance, container and SSO credentials and for keys with a session
    /// token, `Some(false)` for long-term keys, `None` where only the run tells
    /// (`credential_process`, `Environment`). Temporary credentials can go to the sign-in
    /// endpoint without GetFederationToken when no role is assumed.
    pub fn temporary(&self) -> Option<bool> {
        match self {
            Source::StaticKeys { credentials, .. } | Source::StoredKeys { credentials, .. } => {
                Some(credentials.session_token().is_some())
            }
            Source::Ambient {
                kind: Ambient::Environment,
                ..
            }
            | Source::Process { .. } => None,
            Source::Ambient { .. } | Source::Sso(_) | Source::Cognito(_) => Some(true),
        }
    }
}
