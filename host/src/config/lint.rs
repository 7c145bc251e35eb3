//! Values the AWS CLI would accept or ignore but roleport cannot use, each named with the
//! file and line it was written on.
//!
//! - Errors stop a sign-in before any AWS call: a `region` that is not a region name (it
//!   would become part of a host name), and (in `resolve`) a `role_arn` that is not a role
//!   ARN or a `duration_seconds` outside STS's range.
//! - Warnings let it go on, as the AWS CLI would, but say what was ignored: a `roleport_*`
//!   key roleport does not know (with the nearest known one), a colour or icon that is not
//!   one, a `duration_seconds` that is not a number. They travel as `open_console` notices
//!   and in `roleport explain`.

use roleport_protocol::{Color, Icon};

use super::files::Files;
use super::plan::Plan;
use crate::error::{BadSetting, HostError};

/// Every `roleport_*` key roleport reads. A key missing here is reported as unknown.
pub const KNOWN_KEYS: &[&str] = &[
    "roleport_cognito_auth",
    "roleport_cognito_client_id",
    "roleport_cognito_flow",
    "roleport_cognito_identity_pool_id",
    "roleport_cognito_role_arn",
    "roleport_cognito_user_pool_id",
    "roleport_cognito_username",
    "roleport_color",
    "roleport_icon",
    "roleport_label",
    "roleport_source_identity",
    "roleport_tags",
    "roleport_transitive_tag_keys",
];

/// STS's bounds for AssumeRole's DurationSeconds (the role's own maximum may be lower).
pub const DURATION_RANGE: std::ops::RangeInclusive<i64> = 900..=43200;

/// A setting error, located.
pub fn invalid(files: &Files, profile: &str, key: &str, why: &str, hint: &str) -> HostError {
    HostError::InvalidSetting(Box::new(BadSetting {
        profile: profile.to_owned(),
        key: key.to_owned(),
        value: files.get(profile, key).unwrap_or_default().to_owned(),
        why: why.to_owned(),
        at: files.locate(profile, key),
        hint: hint.to_owned(),
    }))
}

/// The errors of the profile asked for that `resolve` does not already find.
pub fn check(files: &Files, profile: &str) -> Result<(), HostError> {
    if let Some(region) = files.get(profile, "region") {
        if !crate::federation::is_region(region.trim()) {
            return Err(invalid(
                files,
                profile,
                "region",
                "is not a region name",
                "Write a region name such as eu-west-1 on that line.",
            ));
        }
    }
    Ok(())
}

/// What the plan's profiles (the one asked for, each role's, the source's) set that roleport
/// ignores, one sentence each.
pub fn warnings(files: &Files, plan: &Plan) -> Vec<String> {
    let mut profiles: Vec<&str> = vec![plan.profile.as_str()];
    profiles.extend(plan.roles.iter().map(|r| r.profile.as_str()));
    profiles.push(plan.source_profile.as_str());
    profiles.sort_unstable();
    profiles.dedup();
    profiles
        .into_iter()
        .flat_map(|p| profile_warnings(files, p))
        .collect()
}

fn profile_warnings(files: &Files, profile: &str) -> Vec<String> {
    let at = |key: &str| {
        files
            .locate(profile, key)
            .map(|a| format!(" ({a})"))
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for key in files.keys(profile) {
        if key.starts_with("roleport_") && !KNOWN_KEYS.contains(&key) {
            let nearest = KNOWN_KEYS
                .iter()
                .map(|k| (strsim::levenshtein(k, key), *k))
                .min()
                .filter(|(distance, _)| *distance <= 3)
                .map(|(_, k)| format!(": did you mean `{k}`?"))
                .unwrap_or_else(|| ": roleport ignores it".into());
            out.push(format!(
                "profile `{profile}`: `{key}` is not a roleport setting{}{nearest}",
                at(key)
            ));
        }
    }
    if let Some(value) = files.get(profile, "roleport_color") {
        if Color::parse(value).is_none() {
            let names: Vec<&str> = Color::ALL.iter().map(|c| c.firefox()).collect();
            out.push(format!(
                "profile `{profile}`: roleport_color `{value}`{} is not a colour, so the \
                 default is used; use one of {}",
                at("roleport_color"),
                names.join(", ")
            ));
        }
    }
    if let Some(value) = files.get(profile, "roleport_icon") {
        if Icon::parse(value).is_none() {
            let names: Vec<&str> = Icon::ALL.iter().map(|i| i.firefox()).collect();
            out.push(format!(
                "profile `{profile}`: roleport_icon `{value}`{} is not an icon, so the \
                 default is used; use one of {}",
                at("roleport_icon"),
                names.join(", ")
            ));
        }
    }
    if let Some(value) = files.get(profile, "duration_seconds") {
        if value.trim().parse::<i64>().is_err() {
            out.push(format!(
                "profile `{profile}`: duration_seconds `{value}`{} is not a number of \
                 seconds, so it is ignored (as the AWS CLI ignores it)",
                at("duration_seconds")
            ));
        }
    }
    out
}
