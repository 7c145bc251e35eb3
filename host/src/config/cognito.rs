//! A Cognito profile: a user pool to sign in to and an identity pool that turns the user's
//! IdToken into AWS credentials. roleport's own keys (botocore ignores them):
//!
//! | key | meaning |
//! |---|---|
//! | `roleport_cognito_user_pool_id` | `eu-west-1_AbCdEf123`; its prefix is the pools' region |
//! | `roleport_cognito_client_id` | the app client (without a client secret) |
//! | `roleport_cognito_identity_pool_id` | `eu-west-1:1234…` |
//! | `roleport_cognito_username` | the user |
//! | `roleport_cognito_auth` | `srp` (default) or `password` (USER_PASSWORD_AUTH) |
//! | `roleport_cognito_flow` | `enhanced` (default) or `basic` |
//! | `roleport_cognito_role_arn` | enhanced: CustomRoleArn (preferred role); basic: the role |

use super::files::Files;
use super::resolve::incomplete;
use crate::arn::RoleArn;
use crate::error::HostError;

/// Every key that makes a profile a Cognito one.
pub const KEYS: [&str; 7] = [
    "roleport_cognito_user_pool_id",
    "roleport_cognito_client_id",
    "roleport_cognito_identity_pool_id",
    "roleport_cognito_username",
    "roleport_cognito_auth",
    "roleport_cognito_flow",
    "roleport_cognito_role_arn",
];

/// How the user signs in to the user pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CognitoAuth {
    /// USER_SRP_AUTH + PASSWORD_VERIFIER: the password never leaves the host.
    Srp,
    /// USER_PASSWORD_AUTH: the password goes to Cognito (over TLS).
    Password,
}

/// How the identity pool gives credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CognitoFlow {
    /// GetId + GetCredentialsForIdentity (the pool picks the role, or CustomRoleArn).
    Enhanced,
    /// GetId + GetOpenIdToken, then STS AssumeRoleWithWebIdentity into the role.
    Basic,
}

/// A resolved Cognito profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoSource {
    /// The profile with the `roleport_cognito_*` keys.
    pub profile: String,
    /// The pools' region (the user pool id's prefix).
    pub region: String,
    /// `roleport_cognito_user_pool_id`.
    pub user_pool_id: String,
    /// `roleport_cognito_client_id`.
    pub client_id: String,
    /// `roleport_cognito_identity_pool_id`.
    pub identity_pool_id: String,
    /// `roleport_cognito_username`.
    pub username: String,
    /// `roleport_cognito_auth`.
    pub auth: CognitoAuth,
    /// `roleport_cognito_flow`.
    pub flow: CognitoFlow,
    /// `roleport_cognito_role_arn`.
    pub role_arn: Option<RoleArn>,
}

impl CognitoSource {
    /// The identity pool's name for the user pool as a login provider.
    pub fn provider(&self) -> String {
        format!(
            "cognito-idp.{}.amazonaws.com/{}",
            self.region, self.user_pool_id
        )
    }
}

/// Whether `profile` has any `roleport_cognito_*` key.
pub fn is_cognito(files: &Files, profile: &str) -> bool {
    KEYS.iter().any(|k| files.get(profile, k).is_some())
}

/// Reads and checks a Cognito profile's keys, naming every one missing.
pub fn source(files: &Files, profile: &str) -> Result<CognitoSource, HostError> {
    let get = |key: &str| {
        files
            .get(profile, key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let required = [
        "roleport_cognito_user_pool_id",
        "roleport_cognito_client_id",
        "roleport_cognito_identity_pool_id",
        "roleport_cognito_username",
    ];
    let missing: Vec<&str> = required.into_iter().filter(|k| get(k).is_none()).collect();
    if !missing.is_empty() {
        return Err(incomplete(
            profile,
            &format!("it is set up for Cognito but lacks {}", missing.join(", ")),
        ));
    }
    let value = |key: &str| get(key).unwrap_or_default().to_owned();
    let user_pool_id = value("roleport_cognito_user_pool_id");
    let identity_pool_id = value("roleport_cognito_identity_pool_id");
    let region = pool_region(&user_pool_id).ok_or_else(|| {
        incomplete(
            profile,
            &format!(
                "roleport_cognito_user_pool_id `{user_pool_id}` is not REGION_ID \
                 (e.g. eu-west-1_AbCdEf123)"
            ),
        )
    })?;
    if identity_pool_id.split_once(':').map(|(r, _)| r) != Some(region.as_str()) {
        return Err(incomplete(
            profile,
            &format!(
                "roleport_cognito_identity_pool_id `{identity_pool_id}` is not REGION:ID in \
                 the user pool's region {region}"
            ),
        ));
    }
    let auth = match get("roleport_cognito_auth") {
        None | Some("srp") => CognitoAuth::Srp,
        Some("password") => CognitoAuth::Password,
        Some(other) => {
            return Err(incomplete(
                profile,
                &format!("roleport_cognito_auth `{other}` is not srp or password"),
            ))
        }
    };
    let flow = match get("roleport_cognito_flow") {
        None | Some("enhanced") => CognitoFlow::Enhanced,
        Some("basic") => CognitoFlow::Basic,
        Some(other) => {
            return Err(incomplete(
                profile,
                &format!("roleport_cognito_flow `{other}` is not enhanced or basic"),
            ))
        }
    };
    let role_arn = get("roleport_cognito_role_arn")
        .map(|arn| {
            RoleArn::parse(arn)
                .map_err(|e| incomplete(profile, &format!("roleport_cognito_role_arn: {e}")))
        })
        .transpose()?;
    if flow == CognitoFlow::Basic && role_arn.is_none() {
        return Err(incomplete(
            profile,
            "roleport_cognito_flow = basic needs roleport_cognito_role_arn (the role to \
             assume with the identity's OpenID token)",
        ));
    }
    Ok(CognitoSource {
        profile: profile.to_owned(),
        region,
        user_pool_id,
        client_id: value("roleport_cognito_client_id"),
        identity_pool_id,
        username: value("roleport_cognito_username"),
        auth,
        flow,
        role_arn,
    })
}

/// `eu-west-1_AbC` → `eu-west-1`, checked to be a region name (it goes into host names).
fn pool_region(pool_id: &str) -> Option<String> {
    let (region, id) = pool_id.split_once('_')?;
    let region_ok = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let id_ok = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric());
    (region_ok && id_ok).then(|| region.to_owned())
}

#[cfg(test)]
mod tests {
    use aws_types::os_shim_internal::{Env, Fs};
    use roleport_protocol::ProfileKind;

    use crate::config::{AwsConfig, CognitoAuth, CognitoFlow, Source};
    use crate::error::HostError;

    const POOLS: &str = "roleport_cognito_user_pool_id = eu-west-1_AbC123
roleport_cognito_client_id = client1
roleport_cognito_identity_pool_id = eu-west-1:0000-1111
roleport_cognito_username = carol
";

    async fn config(text: &str) -> AwsConfig {
        let fs = Fs::from_slice(&[("/cfg", text), ("/creds", "")]);
        let env = Env::from_slice(&[
            ("AWS_CONFIG_FILE", "/cfg"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
            ("HOME", "/home/u"),
        ]);
        AwsConfig::load_with(&fs, &env).await.expect("parses")
    }

    fn why(e: HostError) -> String {
        match e {
            HostError::ProfileIncomplete { why, .. } => why,
            other => panic!("expected ProfileIncomplete, got {other}"),
        }
    }

    #[tokio::test]
    async fn a_cognito_profile_defaults_to_srp_and_the_enhanced_flow() {
        let cfg = config(&format!("[profile cog]\n{POOLS}")).await;
        let plan = cfg.plan("cog").expect("resolves");
        let Source::Cognito(c) = &plan.source else {
            panic!("{:?}", plan.source)
        };
        assert_eq!((c.auth, c.flow), (CognitoAuth::Srp, CognitoFlow::Enhanced));
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(
            c.provider(),
            "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
        assert!(plan.roles.is_empty() && c.role_arn.is_none());
        assert_eq!(plan.source.temporary(), Some(true));
        let summary = &cfg.summaries()[0];
        assert_eq!(summary.kind, ProfileKind::Cognito);
        assert_eq!(summary.account_id, None);
    }

    #[tokio::test]
    async fn the_preferred_role_shows_in_the_popup_and_basic_needs_one() {
        let role = "roleport_cognito_role_arn = arn:aws:iam::444444444444:role/Reader\n";
        let cfg = config(&format!(
            "[profile pref]\n{POOLS}{role}roleport_cognito_auth = password\n\
             [profile basic]\n{POOLS}roleport_cognito_flow = basic\n"
        ))
        .await;
        let summary = cfg
            .summaries()
            .into_iter()
            .find(|s| s.name == "pref")
            .expect("pref");
        assert_eq!(summary.account_id.as_deref(), Some("444444444444"));
        assert_eq!(summary.role.as_deref(), Some("Reader"));
        let Source::Cognito(c) = cfg.plan("pref").expect("resolves").source else {
            panic!("not cognito")
        };
        assert_eq!(c.auth, CognitoAuth::Password);
        let err = why(cfg.plan("basic").expect_err("basic without a role"));
        assert!(err.contains("roleport_cognito_role_arn"), "{err}");
    }

    #[tokio::test]
    async fn role_arn_on_top_is_assumed_with_the_identitys_credentials() {
        let cfg = config(&format!(
            "[profile cog]\n{POOLS}role_arn = arn:aws:iam::111111111111:role/Admin\n\
             [profile cross]\nrole_arn = arn:aws:iam::222222222222:role/Dev\nsource_profile = cog\n\
             [profile plain]\nrole_arn = arn:aws:iam::333333333333:role/X\nsource_profile = pools\n\
             [profile pools]\n{POOLS}"
        ))
        .await;
        let own = cfg.plan("cog").expect("resolves");
        assert!(matches!(own.source, Source::Cognito(_)));
        assert_eq!(own.roles.len(), 1);
        let cross = cfg.plan("cross").expect("resolves");
        assert!(matches!(cross.source, Source::Cognito(_)));
        let arns: Vec<_> = cross
            .roles
            .iter()
            .map(|r| r.role_arn.role_name.as_str())
            .collect();
        assert_eq!(arns, ["Admin", "Dev"]);
        let plain = cfg.plan("plain").expect("resolves");
        assert_eq!(plain.source.profile(), "pools");
        assert_eq!(plain.roles.len(), 1);
    }

    #[tokio::test]
    async fn bad_values_are_refused_naming_the_key() {
        let cases = [
            (
                "roleport_cognito_auth = custom\n",
                "roleport_cognito_auth `custom`",
            ),
            (
                "roleport_cognito_flow = classic\n",
                "roleport_cognito_flow `classic`",
            ),
            (
                "roleport_cognito_role_arn = admin\n",
                "roleport_cognito_role_arn",
            ),
        ];
        for (extra, expected) in cases {
            let cfg = config(&format!("[profile cog]\n{POOLS}{extra}")).await;
            let err = why(cfg.plan("cog").expect_err(extra));
            assert!(err.contains(expected), "{extra}: {err}");
        }
        let elsewhere = POOLS.replace("eu-west-1:0000", "us-east-1:0000");
        let err = why(config(&format!("[profile cog]\n{elsewhere}"))
            .await
            .plan("cog")
            .expect_err("region"));
        assert!(err.contains("user pool's region eu-west-1"), "{err}");
        let no_region = POOLS.replace("eu-west-1_AbC123", "AbC123");
        let err = why(config(&format!("[profile cog]\n{no_region}"))
            .await
            .plan("cog")
            .expect_err("id"));
        assert!(err.contains("is not REGION_ID"), "{err}");
        // A host name is built from the region: nothing but a region name gets in.
        let injected = POOLS.replace("eu-west-1_AbC123", "evil.example/x_AbC123");
        assert!(config(&format!("[profile cog]\n{injected}"))
            .await
            .plan("cog")
            .is_err());
    }
}
