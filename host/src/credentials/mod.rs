//! Runs a [`Plan`]: the source's credentials, then each role in turn (STS), and for the
//! console the temporary credentials a session is made from.
//!
//! Long-term keys cannot sign in to the console, so a plan without roles whose source gives
//! long-term keys goes through GetFederationToken; a source that already gives temporary
//! credentials (a session token) is federated as it is.

mod ambient;
pub mod cache;
pub mod mfa;
pub mod process;
pub(crate) mod sts;

use aws_credential_types::Credentials;

use crate::audit::{self, Requester};
use crate::config::{Plan, Source};
use crate::error::HostError;
use crate::federation;
use mfa::{MfaSessions, MfaSource};

/// Credentials with what is known about them. `Debug` shows no key, not even the key id.
#[derive(Clone)]
pub struct Issued {
    /// The credentials.
    pub credentials: Credentials,
    /// When they expire, RFC 3339 (`None` for long-term keys, or when the source did not say).
    pub expires_at: Option<String>,
    /// Their account, when the source said (`AccountId` of a credential process, …).
    pub account_id: Option<String>,
}

impl Issued {
    /// Temporary credentials carry a session token; only those can go to the sign-in
    /// endpoint without GetFederationToken.
    pub fn is_temporary(&self) -> bool {
        self.credentials.session_token().is_some()
    }
}

/// What a plan's source gives, before any role: see [`source_credentials`].
pub type RootCredentials = Issued;

/// Temporary credentials for one console session, and what they are for. `Debug` shows no
/// key, not even the key id.
#[derive(Clone)]
pub struct SessionCredentials {
    /// Temporary credentials (always with a session token).
    pub credentials: Credentials,
    /// Account signed in to, when known.
    pub account_id: Option<String>,
    /// Role signed in as, when there is one.
    pub role: Option<String>,
    /// The `SessionDuration` to ask the sign-in endpoint for. `None` where AWS refuses one:
    /// GetFederationToken and role-chained credentials.
    pub console_duration: Option<i32>,
    /// When the credentials expire, RFC 3339.
    pub expires_at: Option<String>,
    /// Things the person should know (a duration that had to be shortened).
    pub notices: Vec<String>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("credentials", &REDACTED)
            .field("expires_at", &self.expires_at)
            .field("account_id", &self.account_id)
            .finish()
    }
}

impl std::fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("credentials", &REDACTED)
            .field("account_id", &self.account_id)
            .field("role", &self.role)
            .field("console_duration", &self.console_duration)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What `Debug` shows for credentials: the SDK's own `Debug` prints the access key id.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// Runs the plan's source: keys as they are, a credential process, the environment, IMDS or
/// ECS, or IAM Identity Center (GetRoleCredentials with the cached login token).
pub async fn source_credentials(plan: &Plan) -> Result<RootCredentials, HostError> {
    match &plan.source {
        Source::StaticKeys { credentials, .. } | Source::StoredKeys { credentials, .. } => {
            Ok(Issued {
                credentials: credentials.clone(),
                expires_at: None,
                account_id: None,
            })
        }
        Source::Process { profile, command } => {
            process::run(profile, command, process::TIMEOUT).await
        }
        Source::Ambient { profile, kind } => ambient::fetch(profile, *kind).await,
        Source::Sso(sso) => crate::sso::role_credentials(sso).await,
        Source::Cognito(cognito) => crate::cognito::credentials(cognito, None).await,
    }
}

/// Who is asking, and what they can supply: threaded through a plan's run so MFA sessions
/// are shared and every credential issued is audited with its requester.
pub struct Context<'a> {
    /// Popup, CLI or exec (for the audit log).
    pub requester: Requester,
    /// MFA sessions of this process.
    pub mfa: &'a MfaSessions,
    /// The code the person typed, after an `mfa_required` answer.
    pub mfa_code: Option<&'a str>,
    /// The Cognito password the person typed, after a `password_required` answer.
    pub password: Option<&'a str>,
}

/// [`source_credentials`], with what the person typed: a Cognito password.
async fn run_source(plan: &Plan, ctx: &Context<'_>) -> Result<RootCredentials, HostError> {
    match &plan.source {
        Source::Cognito(cognito) => {
            let typed = ctx.password.map(secrecy::SecretString::from);
            crate::cognito::credentials(cognito, typed.as_ref()).await
        }
        _ => source_credentials(plan).await,
    }
}

/// The plan's final credentials for programs (`roleport exec`, `roleport credential-process`):
/// the source's, then every role assumed in turn. No GetFederationToken: that is for the
/// console only.
pub async fn for_programs(plan: &Plan, ctx: &Context<'_>) -> Result<Issued, HostError> {
    let region = region(plan);
    let (root, root_is_role) = root_for_roles(plan, &region, ctx).await?;
    Ok(assume_roles(plan, &region, root, root_is_role, ctx)
        .await?
        .0)
}

/// The credentials the first role is assumed with: the source's own, or — when the source
/// has an MFA device — its MFA session (one code per source, reused for every role).
/// The flag says whether they may be a role session (so the first hop is role chaining).
async fn root_for_roles(
    plan: &Plan,
    region: &str,
    ctx: &Context<'_>,
) -> Result<(Issued, bool), HostError> {
    let root = run_source(plan, ctx).await?;
    let serial = plan
        .source_mfa_serial
        .as_deref()
        .or_else(|| plan.roles.first().and_then(|r| r.mfa_serial.as_deref()));
    match serial {
        Some(serial) if !plan.roles.is_empty() && !root.is_temporary() => {
            let fresh = ctx.mfa_code.is_some();
            let source = MfaSource {
                profile: &plan.source_profile,
                keys: &root.credentials,
                serial,
            };
            let session = ctx
                .mfa
                .session(source, &plan.profile, region, ctx.mfa_code)
                .await?;
            if fresh {
                let mut record =
                    audit::Record::now(audit::Event::Credentials, &plan.profile, ctx.requester);
                record.action = Some("GetSessionToken".into());
                audit::append(&record);
            }
            let issued = Issued {
                credentials: session,
                expires_at: None,
                account_id: None,
            };
            Ok((issued, false))
        }
        _ => {
            // Instance, container and SSO credentials are role sessions; a process may
            // hand out either. Assume the worst: AWS refuses what chaining forbids.
            let temporary = root.is_temporary();
            Ok((root, temporary))
        }
    }
}

/// Assumes each role of the plan in turn, starting from `from`; `from_role` says whether
/// `from` may be a role session. Returns the last credentials and any notices.
async fn assume_roles(
    plan: &Plan,
    region: &str,
    from: Issued,
    from_role: bool,
    ctx: &Context<'_>,
) -> Result<(Issued, Vec<String>), HostError> {
    let mut current = from;
    let mut chained = from_role;
    let mut source_identity: Option<String> = None;
    let mut notices = Vec::new();
    for step in &plan.roles {
        // Once set, SourceIdentity sticks to every later session of the chain.
        source_identity = source_identity.or_else(|| step.source_identity.clone());
        let assumed = sts::assume_role(
            step,
            region,
            current.credentials,
            chained,
            source_identity.as_deref(),
        )
        .await?;
        let mut record =
            audit::Record::now(audit::Event::Credentials, &plan.profile, ctx.requester);
        record.action = Some("AssumeRole".into());
        record.account_id = Some(step.role_arn.account_id.clone());
        record.role = Some(step.role_arn.role_name.clone());
        record.session_name = Some(assumed.session_name);
        record.source_identity.clone_from(&source_identity);
        audit::append(&record);
        notices.extend(assumed.notice);
        current = Issued {
            credentials: assumed.credentials,
            expires_at: assumed.expires_at,
            account_id: Some(step.role_arn.account_id.clone()),
        };
        chained = true;
    }
    Ok((current, notices))
}

/// Obtains the console credentials a plan describes.
pub async fn obtain(plan: &Plan, ctx: &Context<'_>) -> Result<SessionCredentials, HostError> {
    let region = region(plan);
    let Some(last) = plan.roles.last() else {
        let root = run_source(plan, ctx).await?;
        if root.is_temporary() {
            // An SSO permission set is a role: say which, as for any role.
            let role = match &plan.source {
                Source::Sso(sso) => Some(sso.role_name.clone()),
                // Known only when the profile names the role it asks the identity pool for.
                Source::Cognito(c) => c.role_arn.as_ref().map(|r| r.role_name.clone()),
                _ => None,
            };
            return Ok(SessionCredentials {
                credentials: root.credentials,
                account_id: root.account_id,
                role,
                console_duration: None,
                expires_at: root.expires_at,
                notices: Vec::new(),
            });
        }
        let token = sts::federation_token(plan, &region, root.credentials).await?;
        let mut record =
            audit::Record::now(audit::Event::Credentials, &plan.profile, ctx.requester);
        record.action = Some("GetFederationToken".into());
        record.account_id.clone_from(&token.account_id);
        record.session_name = Some(sts::federation_name());
        audit::append(&record);
        return Ok(SessionCredentials {
            credentials: token.credentials,
            account_id: token.account_id,
            role: None,
            console_duration: None,
            expires_at: token.expires_at,
            notices: Vec::new(),
        });
    };
    let (root, root_is_role) = root_for_roles(plan, &region, ctx).await?;
    // The sign-in endpoint refuses SessionDuration for chained sessions: ask for none then.
    let chained = plan.roles.len() > 1 || root_is_role;
    let (done, notices) = assume_roles(plan, &region, root, root_is_role, ctx).await?;
    Ok(SessionCredentials {
        credentials: done.credentials,
        account_id: Some(last.role_arn.account_id.clone()),
        role: Some(last.role_arn.role_name.clone()),
        console_duration: if chained { None } else { last.duration_seconds },
        expires_at: done.expires_at,
        notices,
    })
}

/// The partition a plan signs in to: its roles', else its region's.
pub fn partition(plan: &Plan) -> String {
    plan.roles.first().map_or_else(
        || federation::partition_of_region(plan.region.as_deref().unwrap_or_default()).to_owned(),
        |r| r.role_arn.partition.clone(),
    )
}

/// The region a plan calls STS in: the profile's, else its partition's default.
pub fn region(plan: &Plan) -> String {
    plan.region.clone().unwrap_or_else(|| {
        federation::default_region(&partition(plan))
            .unwrap_or("us-east-1")
            .to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(region: Option<&str>) -> Plan {
        Plan {
            profile: "p".into(),
            source: Source::StaticKeys {
                profile: "p".into(),
                file: crate::config::FileKind::Credentials,
                credentials: Credentials::new("AKID", "s", None, None, "test"),
            },
            source_profile: "p".into(),
            source_mfa_serial: None,
            roles: Vec::new(),
            region: region.map(str::to_owned),
            appearance: roleport_protocol::Appearance::default_for("p"),
            trust: crate::http_client::Trust::System,
        }
    }

    #[test]
    fn sts_region_follows_the_profile_else_its_partitions_default() {
        assert_eq!(region(&plan(Some("eu-west-1"))), "eu-west-1");
        assert_eq!(region(&plan(None)), "us-east-1");
        assert_eq!(partition(&plan(Some("us-gov-east-1"))), "aws-us-gov");
        assert_eq!(partition(&plan(Some("eusc-de-east-1"))), "aws-eusc");
        assert_eq!(partition(&plan(Some("cn-northwest-1"))), "aws-cn");
    }
}
