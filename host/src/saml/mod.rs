//! SAML sign-in (ADFS, Entra ID, Okta…): the extension sees the SAML response an identity
//! provider posts to AWS's SAML sign-in endpoint and hands it to the host (`saml_roles`);
//! the host lists the roles, keeps the assertion in memory under an opaque handle, and signs
//! in to each role the person picks (`saml_open`: AssumeRoleWithSAML, then federation).
//!
//! Architecture Invariant: the assertion lives in this process's memory only (zeroized when
//! dropped), until it expires; it is never logged, audited, written to disk or sent back to
//! the browser. Handles are random and useless to any other process.

pub mod assertion;
mod held;
mod sts;

use roleport_protocol::{
    Appearance, ErrorCode, OpenConsoleOk, ProtocolError, SamlOpen, SamlRole, SamlRoleList,
};

use crate::audit::{self, Requester};
use crate::credentials::SessionCredentials;
use crate::error::HostError;
use crate::federation::{self, Endpoints};
pub use held::{Grant, Held};

/// Why a SAML sign-in cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum SamlError {
    /// Not base64, not XML, not a SAML 2.0 response.
    #[error("the identity provider's SAML response cannot be read: {0}")]
    Unreadable(String),
    /// The assertion is encrypted (AWS can decrypt it; roleport cannot list its roles).
    #[error(
        "the identity provider encrypted its SAML assertion, so roleport cannot list its roles"
    )]
    Encrypted,
    /// The response carries a failure status instead of an assertion.
    #[error("the identity provider answered with status {0}")]
    Failed(String),
    /// No value of the Role attribute names a role and a SAML provider.
    #[error("the SAML assertion grants no AWS role (no usable https://aws.amazon.com/SAML/Attributes/Role value)")]
    NoRoles,
    /// The assertion's `NotOnOrAfter` has passed, or STS says it expired.
    #[error("the SAML assertion has expired")]
    Expired,
    /// No assertion of that handle (the host restarted, or it expired and was dropped).
    #[error("roleport no longer holds this SAML sign-in")]
    UnknownHandle,
    /// The role asked for is not one of the assertion's.
    #[error("role `{0}` is not among the roles of this SAML sign-in")]
    NotGranted(String),
    /// AssumeRoleWithSAML failed.
    #[error("AWS refused AssumeRoleWithSAML for {role_arn}: {detail}")]
    Sts {
        /// The role asked for.
        role_arn: String,
        /// AWS's error code, when it gave one.
        code: Option<String>,
        /// AWS's message.
        detail: String,
    },
    /// Federation or a bad region: as for any profile.
    #[error(transparent)]
    Host(#[from] HostError),
}

const SIGN_IN_AGAIN: &str =
    "Sign in at your identity provider again (its SAML sign-ins last a few minutes); roleport \
     shows the roles again.";

impl SamlError {
    /// The error as it goes on the wire: a code and a hint a person can act on.
    pub fn to_protocol(&self) -> ProtocolError {
        let (code, hint) = match self {
            SamlError::Host(e) => return e.to_protocol(),
            SamlError::Unreadable(_) | SamlError::Failed(_) | SamlError::NoRoles => (
                ErrorCode::SamlInvalid,
                "Sign in at your identity provider again; if this persists, ask its administrator \
                 to send AWS a SAML 2.0 response with the Role attribute (see roleport's README, \
                 \"SAML / ADFS\")."
                    .to_owned(),
            ),
            SamlError::Encrypted => (
                ErrorCode::SamlInvalid,
                "Ask the identity provider's administrator to send AWS an unencrypted assertion \
                 (it travels over HTTPS), or use AWS's own role chooser page."
                    .to_owned(),
            ),
            SamlError::Expired | SamlError::UnknownHandle => {
                (ErrorCode::SamlExpired, SIGN_IN_AGAIN.to_owned())
            }
            SamlError::NotGranted(_) => (
                ErrorCode::InvalidRequest,
                "Pick one of the roles roleport listed for this sign-in.".to_owned(),
            ),
            SamlError::Sts { code, .. } => match code.as_deref() {
                Some("Throttling" | "ThrottlingException") => (
                    ErrorCode::Throttled,
                    "Wait a few seconds and try again.".to_owned(),
                ),
                Some(
                    "AccessDenied"
                    | "InvalidIdentityToken"
                    | "IDPRejectedClaim"
                    | "MalformedPolicyDocument"
                    | "ValidationError",
                ) => (
                    ErrorCode::AccessDenied,
                    "Check that the role trusts this SAML provider (sts:AssumeRoleWithSAML with \
                     SAML:aud https://signin.aws.amazon.com/saml), that the provider's metadata \
                     in IAM is current, and that SessionDuration is within the role's maximum."
                        .to_owned(),
                ),
                _ => (
                    ErrorCode::StsFailed,
                    "Check the network and the STS endpoint (AWS_ENDPOINT_URL_STS), then try \
                     again."
                        .to_owned(),
                ),
            },
        };
        ProtocolError::new(code, self.to_string(), hint)
    }
}

/// `saml_roles`: reads `saml_response`, keeps it under a fresh handle, lists its roles.
pub fn list(held: &Held, saml_response: String) -> Result<SamlRoleList, SamlError> {
    let parsed = assertion::parse(&saml_response)?;
    let settings = crate::settings::Loaded::load();
    let roles = parsed
        .roles
        .iter()
        .map(|pair| {
            let name = container_name(&pair.role);
            SamlRole {
                role_arn: pair.role.arn.clone(),
                principal_arn: pair.principal_arn.clone(),
                account_id: pair.role.account_id.clone(),
                role: pair.role.role_name.clone(),
                appearance: look(&settings, &name, &pair.role.account_id),
                name,
            }
        })
        .collect::<Vec<_>>();
    let mut sorted = roles;
    sorted.sort_by(|a, b| (&a.account_id, &a.role).cmp(&(&b.account_id, &b.role)));
    let (handle, expires_at) = held.insert(saml_response, parsed.clone())?;
    tracing::info!(roles = sorted.len(), "SAML sign-in held");
    Ok(SamlRoleList {
        handle,
        session_name: parsed.session_name,
        expires_at,
        session_duration: parsed.session_duration,
        roles: sorted,
    })
}

/// The container / tab-group name of a SAML role: apart from any profile's.
pub fn container_name(role: &crate::arn::RoleArn) -> String {
    format!("saml:{}/{}", role.account_id, role.role_name)
}

/// `saml_open`: AssumeRoleWithSAML for one role of a held assertion, then the console
/// sign-in URL, as for a profile. Audited with the role ARN, never the assertion.
pub async fn open(
    endpoints: &Endpoints,
    http: &crate::http_client::Client,
    held: &Held,
    open: SamlOpen,
    requester: Requester,
) -> Result<OpenConsoleOk, SamlError> {
    let grant = held.grant(&open.handle, &open.role_arn)?;
    let role = &grant.pair.role;
    // Checked before STS: a refused region costs no call.
    let target = endpoints.target(Some(&role.partition), None, open.region.as_deref())?;
    let destination = federation::destination(&target.urls, &target.region, None)?;
    // The sign-in host's handshake overlaps AssumeRoleWithSAML.
    http.begin(&target.urls.signin);
    let assumed = sts::assume(
        &target.region,
        &grant.pair,
        &grant.assertion,
        grant.session_duration,
    )
    .await?;
    let name = container_name(role);
    let mut record = audit::Record::now(audit::Event::Credentials, &name, requester);
    record.action = Some("AssumeRoleWithSAML".into());
    record.account_id = Some(role.account_id.clone());
    record.role = Some(role.role_name.clone());
    record.role_arn = Some(role.arn.clone());
    record.session_name.clone_from(&grant.session_name);
    audit::append(&record);
    let session = SessionCredentials {
        credentials: assumed.credentials,
        account_id: Some(role.account_id.clone()),
        role: Some(role.role_name.clone()),
        // The console session lasts as long as the assertion asks, as AWS's own /saml does.
        console_duration: grant.session_duration,
        expires_at: assumed.expires_at,
        notices: Vec::new(),
    };
    let url = federation::signin_url(http, &target.urls, &session, &destination).await?;
    let mut record = audit::Record::now(audit::Event::Console, &name, requester);
    record.account_id = Some(role.account_id.clone());
    record.role = Some(role.role_name.clone());
    record.role_arn = Some(role.arn.clone());
    audit::append(&record);
    tracing::info!(role = %role.arn, "SAML console sign-in URL ready");
    Ok(OpenConsoleOk {
        profile: name.clone(),
        url: url.into(),
        account_id: session.account_id,
        role: session.role,
        expires_at: session.expires_at,
        notices: Vec::new(),
        region: Some(target.region.clone()),
        logout_url: Some(target.urls.logout().into()),
        appearance: look(&crate::settings::Loaded::load(), &name, &role.account_id),
    })
}

/// A SAML role's look: the colour rules (on its `saml:ACCOUNT/ROLE` name and account), else
/// the default.
fn look(settings: &crate::settings::Loaded, name: &str, account_id: &str) -> Appearance {
    let subject = crate::settings::Subject {
        name,
        account_id: Some(account_id),
        account_name: None,
        tags: &[],
    };
    settings
        .rules
        .appearance(&subject, crate::settings::Look::default())
}
