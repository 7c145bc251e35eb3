//! `roleport explain PROFILE [--json]`: the steps roleport would take for a profile, without
//! taking them. Nothing secret is shown: no key, no token, no command line, no output.

use std::io::Write;
use std::process::ExitCode;

use serde_json::{json, Value};

use crate::config::{AwsConfig, CognitoAuth, CognitoFlow, FileKind, Plan, RoleStep, Source};
use crate::error::HostError;
use crate::http_client::Trust;

/// `roleport explain`.
#[derive(clap::Args)]
pub struct ExplainArgs {
    /// Profile name from ~/.aws/config or ~/.aws/credentials.
    profile: String,
    /// Print JSON (the shape the config corpus test compares with botocore).
    #[arg(long)]
    json: bool,
}

/// Runs `roleport explain`. Exit status 1 when the profile does not resolve.
pub fn run(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let plan = super::runtime()?.block_on(async {
        let config = AwsConfig::load().await?;
        let plan = config.plan(&args.profile)?;
        let warnings = config.warnings(&plan);
        Ok::<_, HostError>((plan, warnings))
    });
    let mut out = std::io::stdout().lock();
    if let Ok((_, warnings)) = &plan {
        for warning in warnings {
            eprintln!("roleport: warning: {warning}");
        }
    }
    match (plan, args.json) {
        // Warnings go to stderr only: the JSON is the plan, as botocore would resolve it.
        (Ok((plan, _)), true) => writeln!(out, "{}", plan_json(&plan))?,
        (Ok((plan, _)), false) => write!(out, "{}", plan_text(&plan))?,
        (Err(e), true) => {
            writeln!(
                out,
                "{}",
                json!({"profile": args.profile, "error": error_json(&e)})
            )?;
            return Ok(ExitCode::FAILURE);
        }
        (Err(e), false) => {
            eprintln!("roleport: {e} ({})\nhint: {}", e.code(), e.hint());
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The plan as JSON.
pub fn plan_json(plan: &Plan) -> Value {
    let mut v = json!({
        "profile": plan.profile,
        "region": plan.region,
        "source": source_json(plan),
        "roles": plan.roles.iter().map(role_json).collect::<Vec<_>>(),
    });
    // Only when set: the rest is what botocore's resolver says too (config_corpus.rs).
    if let Trust::Bundle { path, .. } = &plan.trust {
        v["ca_bundle"] = json!(path.display().to_string());
    }
    v
}

fn source_json(plan: &Plan) -> Value {
    let mut v = json!({"kind": plan.source.kind_name(), "profile": plan.source.profile()});
    let extra = match &plan.source {
        Source::StaticKeys { file, .. } => json!({
            "file": file_name(*file),
            "mfa_serial": plan.source_mfa_serial,
        }),
        Source::StoredKeys { .. } | Source::Process { .. } => {
            json!({"mfa_serial": plan.source_mfa_serial})
        }
        Source::Ambient { .. } => json!({}),
        Source::Sso(sso) => json!({
            "sso_session": sso.session,
            "start_url": sso.start_url,
            "sso_region": sso.region,
            "account_id": sso.account_id,
            "role_name": sso.role_name,
        }),
        Source::Cognito(c) => json!({
            "user_pool_id": c.user_pool_id,
            "client_id": c.client_id,
            "identity_pool_id": c.identity_pool_id,
            "username": c.username,
            "auth": match c.auth { CognitoAuth::Srp => "srp", CognitoAuth::Password => "password" },
            "flow": match c.flow { CognitoFlow::Enhanced => "enhanced", CognitoFlow::Basic => "basic" },
            "role_arn": c.role_arn.as_ref().map(|r| r.arn.clone()),
        }),
    };
    if let (Some(v), Value::Object(extra)) = (v.as_object_mut(), extra) {
        v.extend(extra);
    }
    v
}

fn role_json(step: &RoleStep) -> Value {
    json!({
        "profile": step.profile,
        "role_arn": step.role_arn.arn,
        "external_id": step.external_id,
        "mfa_serial": step.mfa_serial,
        "role_session_name": step.role_session_name,
        "duration_seconds": step.duration_seconds,
        "source_identity": step.source_identity,
        "tags": step.tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
        "transitive_tag_keys": step.transitive_tag_keys,
    })
}

/// An error as JSON: its code, a coarse kind, and the profiles it involves.
pub fn error_json(e: &HostError) -> Value {
    let (kind, profiles): (&str, Vec<&str>) = match e {
        HostError::ProfileCycle { chain, .. } => {
            ("cycle", chain.iter().map(String::as_str).collect())
        }
        HostError::DanglingSource { profile, missing }
        | HostError::DanglingSsoSession { profile, missing } => {
            ("dangling", vec![profile, missing])
        }
        HostError::UnknownProfile(name) => ("unknown_profile", vec![name]),
        HostError::ProfileIncomplete { profile, .. } => ("incomplete", vec![profile]),
        HostError::SourceUnsupported { profile, .. } => ("unsupported", vec![profile]),
        HostError::ConfigUnreadable(_) => ("config_unreadable", vec![]),
        HostError::InvalidSetting(bad) => ("invalid_setting", vec![bad.profile.as_str()]),
        _ => ("other", vec![]),
    };
    json!({
        "kind": kind,
        "code": e.code(),
        "message": e.to_string(),
        "hint": e.hint(),
        "profiles": profiles,
    })
}

fn file_name(file: FileKind) -> &'static str {
    match file {
        FileKind::Config => "config",
        FileKind::Credentials => "credentials",
    }
}

/// The plan in words, one numbered step per line.
pub fn plan_text(plan: &Plan) -> String {
    let mut out = format!(
        "profile {} (region {})\n",
        plan.profile,
        plan.region
            .as_deref()
            .unwrap_or("not set: us-east-1 for STS")
    );
    let source = match &plan.source {
        Source::StaticKeys { profile, file, .. } => format!(
            "long-term keys of profile `{profile}` from the {} file",
            file_name(*file)
        ),
        Source::StoredKeys { profile, .. } => {
            format!("long-term keys of profile `{profile}` from roleport's store")
        }
        Source::Process { profile, .. } => {
            format!("credentials printed by the credential_process of profile `{profile}`")
        }
        Source::Ambient { profile, kind } => format!(
            "credential_source = {} (named by profile `{profile}`)",
            kind.name()
        ),
        Source::Sso(sso) => format!(
            "IAM Identity Center: role {} in account {} via {} ({})",
            sso.role_name, sso.account_id, sso.start_url, sso.region
        ),
        Source::Cognito(c) => {
            let auth = match c.auth {
                CognitoAuth::Srp => "SRP",
                CognitoAuth::Password => "USER_PASSWORD_AUTH",
            };
            let role = c.role_arn.as_ref().map(|r| r.arn.as_str());
            let flow = match (c.flow, role) {
                (CognitoFlow::Enhanced, None) => {
                    "GetCredentialsForIdentity (the pool's role)".into()
                }
                (CognitoFlow::Enhanced, Some(r)) => {
                    format!("GetCredentialsForIdentity with CustomRoleArn {r}")
                }
                (CognitoFlow::Basic, r) => format!(
                    "GetOpenIdToken, then AssumeRoleWithWebIdentity into {}",
                    r.unwrap_or("?")
                ),
            };
            format!(
                "Cognito user `{}` of user pool {} ({auth}), identity pool {}: {flow}",
                c.username, c.user_pool_id, c.identity_pool_id
            )
        }
    };
    if let Trust::Bundle { path, named_by } = &plan.trust {
        out.push_str(&format!(
            "  trusts only the CAs in {} ({named_by})\n",
            path.display()
        ));
    }
    out.push_str(&format!("  1. {source}\n"));
    if let Some(serial) = &plan.source_mfa_serial {
        out.push_str(&format!("     MFA device of the source: {serial}\n"));
    }
    for (i, step) in plan.roles.iter().enumerate() {
        out.push_str(&format!(
            "  {}. assume {} (profile `{}`)\n",
            i + 2,
            step.role_arn.arn,
            step.profile
        ));
        let details = [
            ("external id", step.external_id.clone()),
            ("MFA device", step.mfa_serial.clone()),
            ("session name", step.role_session_name.clone()),
            ("duration", step.duration_seconds.map(|d| format!("{d} s"))),
            ("source identity", step.source_identity.clone()),
            (
                "tags",
                (!step.tags.is_empty()).then(|| {
                    let tags: Vec<_> = step.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    tags.join(", ")
                }),
            ),
            (
                "transitive tag keys",
                (!step.transitive_tag_keys.is_empty()).then(|| step.transitive_tag_keys.join(", ")),
            ),
        ];
        for (label, value) in details {
            if let Some(value) = value {
                out.push_str(&format!("     {label}: {value}\n"));
            }
        }
    }
    let console = match (plan.roles.is_empty(), plan.source.temporary()) {
        (false, _) => "signs in as the last role",
        (true, Some(true)) => "signs in with the source's temporary credentials as they are",
        (true, Some(false)) => "signs in through GetFederationToken (long-term keys cannot)",
        (true, None) => {
            "signs in directly if the credentials are temporary, else through GetFederationToken"
        }
    };
    out.push_str(&format!("  console: {console}\n"));
    out
}
