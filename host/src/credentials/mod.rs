//! Runs a [`Plan`] against STS: the temporary credentials a console session is made from.
//!
//! Long-term keys cannot sign in to the console, so a plan without roles goes through
//! GetFederationToken; a plan with roles assumes each in turn (role chaining).

mod sts;

use aws_credential_types::Credentials;

use crate::config::Plan;
use crate::error::HostError;

/// Temporary credentials for one console session, and what they are for.
#[derive(Debug)]
pub struct SessionCredentials {
    /// Temporary credentials (always with a session token).
    pub credentials: Credentials,
    /// Account signed in to, when known.
    pub account_id: Option<String>,
    /// Role signed in as, when there is one.
    pub role: Option<String>,
    /// Partition of the account (`aws`, `aws-us-gov`, `aws-cn`, …).
    pub partition: String,
    /// The `SessionDuration` to ask the sign-in endpoint for. `None` where AWS refuses one:
    /// GetFederationToken and role-chained credentials.
    pub console_duration: Option<i32>,
    /// When the credentials expire, RFC 3339.
    pub expires_at: Option<String>,
}

/// Obtains the console credentials a plan describes.
pub async fn obtain(plan: &Plan) -> Result<SessionCredentials, HostError> {
    let partition = partition(plan);
    let region = region(plan);

    if plan.roles.is_empty() {
        let token = sts::federation_token(plan, &region).await?;
        return Ok(SessionCredentials {
            credentials: token.credentials,
            account_id: token.account_id,
            role: None,
            partition,
            console_duration: None,
            expires_at: token.expires_at,
        });
    }
    let mut current = plan.source.clone();
    let mut last = None;
    for step in &plan.roles {
        let (creds, expires_at) = sts::assume_role(step, &region, current).await?;
        current = creds;
        last = Some((step, expires_at));
    }
    let (step, expires_at) = last.ok_or_else(|| HostError::Sts {
        action: "AssumeRole",
        profile: plan.profile.clone(),
        detail: "no role to assume".into(),
    })?;
    let chained = plan.roles.len() > 1;
    Ok(SessionCredentials {
        credentials: current,
        account_id: Some(step.role_arn.account_id.clone()),
        role: Some(step.role_arn.role_name.clone()),
        partition,
        console_duration: if chained { None } else { step.duration_seconds },
        expires_at,
    })
}

/// The partition a plan signs in to: its roles', else its region's.
pub fn partition(plan: &Plan) -> String {
    plan.roles
        .first()
        .map(|r| r.role_arn.partition.clone())
        .unwrap_or_else(|| partition_of_region(plan.region.as_deref()).to_owned())
}

/// The region a plan calls STS in and opens the console at.
pub fn region(plan: &Plan) -> String {
    plan.region
        .clone()
        .unwrap_or_else(|| default_region(&partition(plan)).to_owned())
}

fn partition_of_region(region: Option<&str>) -> &'static str {
    match region {
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        Some(r) if r.starts_with("cn-") => "aws-cn",
        _ => "aws",
    }
}

fn default_region(partition: &str) -> &'static str {
    match partition {
        "aws-us-gov" => "us-gov-west-1",
        "aws-cn" => "cn-north-1",
        _ => "us-east-1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_follows_region_prefix() {
        assert_eq!(partition_of_region(Some("us-gov-east-1")), "aws-us-gov");
        assert_eq!(partition_of_region(Some("cn-northwest-1")), "aws-cn");
        assert_eq!(partition_of_region(None), "aws");
        assert_eq!(default_region("aws-cn"), "cn-north-1");
    }
}
