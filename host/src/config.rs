//! Profiles from `~/.aws/config` and `~/.aws/credentials`, parsed by the AWS SDK's own
//! profile parser, and resolved into a [`Plan`]: the steps that turn them into credentials.
//!
//! Resolution follows botocore: a profile with `role_arn` is assumed from its
//! `source_profile`; a source profile with static keys provides them even if it also has a
//! `role_arn`; a profile may name itself as source only when it has static keys.

use std::borrow::Cow;

use aws_config::profile::{Profile, ProfileSet};
use aws_credential_types::Credentials;
use aws_types::os_shim_internal::{Env, Fs};
use roleport_protocol::{Appearance, ProfileKind, ProfileSummary};

use crate::arn::RoleArn;
use crate::error::HostError;

/// The parsed AWS config and credentials files.
pub struct AwsConfig {
    profiles: ProfileSet,
}

/// How to obtain a profile's console credentials.
#[derive(Debug)]
pub struct Plan {
    /// The profile that was asked for.
    pub profile: String,
    /// Long-term keys at the root of the chain.
    pub source: Credentials,
    /// The profile the keys came from.
    pub source_profile: String,
    /// Roles to assume in order, first from `source`, then each from the one before.
    pub roles: Vec<RoleStep>,
    /// Region for STS and the console (`region` of the profile asked for).
    pub region: Option<String>,
    /// Container / tab-group look.
    pub appearance: Appearance,
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
    /// `role_session_name`.
    pub role_session_name: Option<String>,
    /// `duration_seconds`.
    pub duration_seconds: Option<i32>,
}

impl AwsConfig {
    /// Loads the files the AWS CLI would (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`,
    /// else `~/.aws/config` and `~/.aws/credentials`). Missing files are an empty config.
    pub async fn load() -> Result<AwsConfig, HostError> {
        Self::load_with(&Fs::real(), &Env::real()).await
    }

    /// Loads with an explicit file system and environment (tests).
    pub async fn load_with(fs: &Fs, env: &Env) -> Result<AwsConfig, HostError> {
        let files = aws_runtime::env_config::file::EnvConfigFiles::default();
        let profiles = aws_config::profile::load(fs, env, &files, Some(Cow::Borrowed("default")))
            .await
            .map_err(|e| HostError::ConfigUnreadable(error_chain(&e)))?;
        Ok(AwsConfig { profiles })
    }

    /// Every profile that could open a console, as the popup shows it, sorted by name.
    pub fn summaries(&self) -> Vec<ProfileSummary> {
        let mut out: Vec<ProfileSummary> = self
            .profiles
            .profiles()
            .filter_map(|name| self.profiles.get_profile(name))
            .filter_map(summary)
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// Resolves `name` into the steps that produce its credentials.
    pub fn plan(&self, name: &str) -> Result<Plan, HostError> {
        let asked = self
            .profiles
            .get_profile(name)
            .ok_or_else(|| HostError::UnknownProfile(name.to_owned()))?;
        let mut roles = Vec::new();
        let mut chain = vec![name.to_owned()];
        let mut current = asked;
        // The profile asked for uses its role even when it also has keys (botocore's
        // provider order); every source after it prefers its keys.
        let mut prefer_keys = false;
        loop {
            if prefer_keys || current.get("role_arn").is_none() {
                if let Some(keys) = static_keys(current)? {
                    return Ok(Plan {
                        profile: name.to_owned(),
                        source: keys,
                        source_profile: current.name().to_owned(),
                        roles: roles.into_iter().rev().collect(),
                        region: asked.get("region").map(str::to_owned),
                        appearance: appearance(asked),
                    });
                }
            }
            let Some(role_arn) = current.get("role_arn") else {
                return Err(HostError::ProfileIncomplete {
                    profile: current.name().to_owned(),
                    why: "it has neither access keys nor role_arn".into(),
                });
            };
            roles.push(role_step(current, role_arn)?);
            let source = source_profile(current)?;
            if source == current.name() {
                // Self-reference is allowed only with static keys, handled above.
                prefer_keys = true;
                if static_keys(current)?.is_none() {
                    chain.push(source.to_owned());
                    return Err(HostError::ProfileCycle {
                        start: name.to_owned(),
                        chain,
                    });
                }
                continue;
            }
            if chain.iter().any(|seen| seen == source) {
                chain.push(source.to_owned());
                return Err(HostError::ProfileCycle {
                    start: name.to_owned(),
                    chain,
                });
            }
            chain.push(source.to_owned());
            current =
                self.profiles
                    .get_profile(source)
                    .ok_or_else(|| HostError::DanglingSource {
                        profile: current.name().to_owned(),
                        missing: source.to_owned(),
                    })?;
            prefer_keys = true;
        }
    }
}

fn summary(profile: &Profile) -> Option<ProfileSummary> {
    let (kind, role) = match profile.get("role_arn") {
        Some(arn) => (ProfileKind::AssumeRole, RoleArn::parse(arn).ok()),
        None if profile.get("aws_access_key_id").is_some() => (ProfileKind::StaticKeys, None),
        // SSO, credential_process and the rest arrive with later protocol versions.
        None => return None,
    };
    Some(ProfileSummary {
        name: profile.name().to_owned(),
        kind,
        account_id: role.as_ref().map(|r| r.account_id.clone()),
        role: role.map(|r| r.role_name),
        region: profile.get("region").map(str::to_owned),
        appearance: appearance(profile),
    })
}

fn appearance(profile: &Profile) -> Appearance {
    Appearance::from_keys(
        profile.name(),
        profile.get("roleport_color"),
        profile.get("roleport_icon"),
    )
}

fn static_keys(profile: &Profile) -> Result<Option<Credentials>, HostError> {
    let id = profile.get("aws_access_key_id");
    let secret = profile.get("aws_secret_access_key");
    match (id, secret) {
        (None, None) => Ok(None),
        (Some(id), Some(secret)) => Ok(Some(Credentials::new(
            id,
            secret,
            profile.get("aws_session_token").map(str::to_owned),
            None,
            "roleport-profile",
        ))),
        (Some(_), None) => Err(HostError::ProfileIncomplete {
            profile: profile.name().to_owned(),
            why: "aws_access_key_id is set but aws_secret_access_key is missing".into(),
        }),
        (None, Some(_)) => Err(HostError::ProfileIncomplete {
            profile: profile.name().to_owned(),
            why: "aws_secret_access_key is set but aws_access_key_id is missing".into(),
        }),
    }
}

fn source_profile(profile: &Profile) -> Result<&str, HostError> {
    if let Some(source) = profile.get("source_profile") {
        return Ok(source);
    }
    let why = match profile.get("credential_source") {
        Some(src) => format!("credential_source = {src} is not supported yet; use source_profile"),
        None => "role_arn needs a source_profile".into(),
    };
    Err(HostError::ProfileIncomplete {
        profile: profile.name().to_owned(),
        why,
    })
}

fn role_step(profile: &Profile, role_arn: &str) -> Result<RoleStep, HostError> {
    let incomplete = |why: String| HostError::ProfileIncomplete {
        profile: profile.name().to_owned(),
        why,
    };
    let role_arn = RoleArn::parse(role_arn).map_err(|e| incomplete(e.to_string()))?;
    let duration_seconds = profile
        .get("duration_seconds")
        .map(|d| {
            d.trim()
                .parse::<i32>()
                .map_err(|_| incomplete(format!("duration_seconds `{d}` is not a number")))
        })
        .transpose()?;
    Ok(RoleStep {
        profile: profile.name().to_owned(),
        role_arn,
        external_id: profile.get("external_id").map(str::to_owned),
        role_session_name: profile.get("role_session_name").map(str::to_owned),
        duration_seconds,
    })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn config(text: &str) -> AwsConfig {
        let fs = Fs::from_slice(&[("/cfg", text)]);
        let env = Env::from_slice(&[
            ("AWS_CONFIG_FILE", "/cfg"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
            ("HOME", "/home/u"),
        ]);
        AwsConfig::load_with(&fs, &env)
            .await
            .expect("config parses")
    }

    const CHAIN: &str = "
[profile base]
aws_access_key_id = AKIDBASE
aws_secret_access_key = secret

[profile hop]
role_arn = arn:aws:iam::111111111111:role/Hop
source_profile = base

[profile target]
role_arn = arn:aws:iam::222222222222:role/Target
source_profile = hop
external_id = ext-1
duration_seconds = 1800
region = eu-west-1
roleport_color = red
";

    #[tokio::test]
    async fn chain_resolves_roles_in_the_order_they_are_assumed() {
        let plan = config(CHAIN).await.plan("target").expect("resolves");
        assert_eq!(plan.source_profile, "base");
        let arns: Vec<_> = plan
            .roles
            .iter()
            .map(|r| r.role_arn.role_name.as_str())
            .collect();
        assert_eq!(arns, ["Hop", "Target"]);
        assert_eq!(plan.roles[1].external_id.as_deref(), Some("ext-1"));
        assert_eq!(plan.roles[1].duration_seconds, Some(1800));
        assert_eq!(plan.region.as_deref(), Some("eu-west-1"));
        assert_eq!(plan.appearance.color, roleport_protocol::Color::Red);
    }

    #[tokio::test]
    async fn static_profile_has_no_roles() {
        let plan = config(CHAIN).await.plan("base").expect("resolves");
        assert!(plan.roles.is_empty());
        assert_eq!(plan.source.access_key_id(), "AKIDBASE");
    }

    #[tokio::test]
    async fn cycle_names_every_profile_in_it() {
        let cfg = config(
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n\
             [profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = a\n",
        )
        .await;
        let err = cfg.plan("a").expect_err("cycle");
        assert!(matches!(&err, HostError::ProfileCycle { chain, .. } if chain == &["a", "b", "a"]));
        assert_eq!(err.code(), roleport_protocol::ErrorCode::ProfileCycle);
    }

    #[tokio::test]
    async fn self_reference_with_keys_assumes_from_own_keys() {
        let cfg = config(
            "[profile me]\naws_access_key_id = AKID\naws_secret_access_key = s\n\
             role_arn = arn:aws:iam::333333333333:role/Me\nsource_profile = me\n",
        )
        .await;
        let plan = cfg.plan("me").expect("resolves");
        assert_eq!(plan.source_profile, "me");
        assert_eq!(plan.roles.len(), 1);
    }

    #[tokio::test]
    async fn self_reference_without_keys_is_a_cycle() {
        let cfg =
            config("[profile me]\nrole_arn = arn:aws:iam::3:role/Me\nsource_profile = me\n").await;
        assert!(matches!(
            cfg.plan("me"),
            Err(HostError::ProfileCycle { .. })
        ));
    }

    #[tokio::test]
    async fn missing_source_and_unknown_profile_are_distinct_errors() {
        let cfg =
            config("[profile r]\nrole_arn = arn:aws:iam::3:role/R\nsource_profile = gone\n").await;
        assert!(matches!(
            cfg.plan("r"),
            Err(HostError::DanglingSource { missing, .. }) if missing == "gone"
        ));
        assert!(matches!(
            cfg.plan("nope"),
            Err(HostError::UnknownProfile(_))
        ));
    }

    #[tokio::test]
    async fn half_a_key_pair_is_incomplete() {
        let cfg = config("[profile k]\naws_access_key_id = AKID\n").await;
        assert!(matches!(
            cfg.plan("k"),
            Err(HostError::ProfileIncomplete { .. })
        ));
    }

    #[tokio::test]
    async fn summaries_list_usable_profiles_sorted_without_secrets() {
        let cfg = config(&format!("{CHAIN}\n[profile sso]\nsso_session = x\n")).await;
        let names: Vec<_> = cfg.summaries().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["base", "hop", "target"]);
        let json = serde_json::to_string(&cfg.summaries()).expect("serialises");
        assert!(!json.contains("secret") && !json.contains("AKIDBASE"));
    }

    #[tokio::test]
    async fn syntax_error_is_reported_with_its_line() {
        let fs = Fs::from_slice(&[("/cfg", "[profile ok]\nregion = x\n[broken\n")]);
        let env = Env::from_slice(&[("AWS_CONFIG_FILE", "/cfg"), ("HOME", "/h")]);
        let err = AwsConfig::load_with(&fs, &env).await.err().expect("fails");
        assert!(err.to_string().contains("line 3"), "{err}");
    }
}
