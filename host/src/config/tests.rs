//! Resolution rules, one botocore behaviour per test. The corpus test
//! (`host/tests/config_corpus.rs`) checks the same against botocore itself.

use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_types::os_shim_internal::{Env, Fs};

use super::*;

async fn files(config: &str, credentials: &str) -> AwsConfig {
    let fs = Fs::from_slice(&[("/cfg", config), ("/creds", credentials)]);
    let env = Env::from_slice(&[
        ("AWS_CONFIG_FILE", "/cfg"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
        ("HOME", "/home/u"),
    ]);
    AwsConfig::load_with(&fs, &env)
        .await
        .expect("config parses")
}

async fn config(text: &str) -> AwsConfig {
    files(text, "").await
}

fn key_of(plan: &Plan) -> &str {
    plan.source
        .known_keys()
        .map(|c| c.access_key_id())
        .unwrap_or_default()
}

const CHAIN: &str = "
[profile base]
aws_access_key_id = AKIDBASE
aws_secret_access_key = secret
mfa_serial = arn:aws:iam::123456789012:mfa/base

[profile hop]
role_arn = arn:aws:iam::111111111111:role/Hop
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/hop

[profile target]
role_arn = arn:aws:iam::222222222222:role/Target
source_profile = hop
external_id = ext-1
duration_seconds = 1800
region = eu-west-1
roleport_color = red
roleport_source_identity = alice
roleport_tags = team=core, env = prod
roleport_transitive_tag_keys = team,,env
";

#[tokio::test]
async fn chain_resolves_roles_in_the_order_they_are_assumed() {
    let plan = config(CHAIN).await.plan("target").expect("resolves");
    assert_eq!(plan.source_profile, "base");
    assert_eq!(plan.source.kind_name(), "static_keys");
    let arns: Vec<_> = plan
        .roles
        .iter()
        .map(|r| r.role_arn.role_name.as_str())
        .collect();
    assert_eq!(arns, ["Hop", "Target"]);
    let target = &plan.roles[1];
    assert_eq!(target.external_id.as_deref(), Some("ext-1"));
    assert_eq!(target.duration_seconds, Some(1800));
    assert_eq!(target.source_identity.as_deref(), Some("alice"));
    assert_eq!(
        target.tags,
        [
            ("team".into(), "core".into()),
            ("env".into(), "prod".into())
        ]
    );
    assert_eq!(target.transitive_tag_keys, ["team", "env"]);
    assert_eq!(plan.region.as_deref(), Some("eu-west-1"));
    assert_eq!(plan.appearance.color, roleport_protocol::Color::Red);
}

#[tokio::test]
async fn mfa_serial_belongs_to_each_role_and_the_source_keeps_its_own() {
    let plan = config(CHAIN).await.plan("target").expect("resolves");
    assert_eq!(
        plan.roles[0].mfa_serial.as_deref(),
        Some("arn:aws:iam::123456789012:mfa/hop")
    );
    assert_eq!(plan.roles[1].mfa_serial, None);
    assert_eq!(
        plan.source_mfa_serial.as_deref(),
        Some("arn:aws:iam::123456789012:mfa/base")
    );
}

#[tokio::test]
async fn static_profile_has_no_roles() {
    let plan = config(CHAIN).await.plan("base").expect("resolves");
    assert!(plan.roles.is_empty());
    assert_eq!(key_of(&plan), "AKIDBASE");
    assert_eq!(plan.source.temporary(), Some(false));
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
async fn keys_in_the_credentials_file_beat_credential_process_which_beats_config_keys() {
    let cfg = files(
        "[profile p]\ncredential_process = /bin/helper\n\
         aws_access_key_id = AKIDCONFIG\naws_secret_access_key = s\n",
        "",
    )
    .await;
    let plan = cfg.plan("p").expect("resolves");
    assert!(matches!(&plan.source, Source::Process { command, .. } if command == "/bin/helper"));

    let cfg = files(
        "[profile p]\ncredential_process = /bin/helper\n",
        "[p]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = s\n",
    )
    .await;
    let plan = cfg.plan("p").expect("resolves");
    assert!(matches!(
        &plan.source,
        Source::StaticKeys {
            file: FileKind::Credentials,
            ..
        }
    ));
}

#[tokio::test]
async fn the_credentials_file_wins_key_by_key() {
    let cfg = files(
        "[profile p]\nregion = eu-west-1\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = s\n",
        "[p]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = s2\n",
    )
    .await;
    let plan = cfg.plan("p").expect("resolves");
    assert_eq!(key_of(&plan), "AKIDCREDS");
    assert_eq!(plan.region.as_deref(), Some("eu-west-1"));
}

#[tokio::test]
async fn credential_source_is_the_source_of_its_own_role() {
    let cfg =
        config("[profile r]\nrole_arn = arn:aws:iam::1:role/R\ncredential_source = EcsContainer\n")
            .await;
    let plan = cfg.plan("r").expect("resolves");
    assert!(matches!(
        plan.source,
        Source::Ambient {
            kind: Ambient::EcsContainer,
            ..
        }
    ));
    assert_eq!(plan.roles.len(), 1);
    let bad =
        config("[profile r]\nrole_arn = arn:aws:iam::1:role/R\ncredential_source = environment\n")
            .await;
    assert!(matches!(
        bad.plan("r"),
        Err(HostError::ProfileIncomplete { .. })
    ));
    let both = config(
        "[profile r]\nrole_arn = arn:aws:iam::1:role/R\ncredential_source = Environment\n\
         source_profile = r\naws_access_key_id = A\naws_secret_access_key = B\n",
    )
    .await;
    assert!(matches!(
        both.plan("r"),
        Err(HostError::ProfileIncomplete { .. })
    ));
}

#[tokio::test]
async fn sso_session_is_followed_and_conflicts_are_refused() {
    let text = "[profile s]\nsso_session = corp\nsso_account_id = 111111111111\n\
                sso_role_name = Admin\n\
                [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n\
                sso_region = eu-west-1\n";
    let plan = config(text).await.plan("s").expect("resolves");
    let Source::Sso(sso) = &plan.source else {
        panic!("{plan:?}");
    };
    assert_eq!(sso.region, "eu-west-1");
    assert_eq!(sso.session.as_deref(), Some("corp"));
    let conflict = format!("{text}\n[profile t]\nsso_session = corp\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = R\n");
    assert!(matches!(
        config(&conflict).await.plan("t"),
        Err(HostError::ProfileIncomplete { .. })
    ));
    let dangling = "[profile s]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = R\n";
    assert!(matches!(
        config(dangling).await.plan("s"),
        Err(HostError::DanglingSsoSession { .. })
    ));
}

#[tokio::test]
async fn a_source_profiles_keys_beat_its_own_role() {
    let cfg = config(
        "[profile src]\nrole_arn = arn:aws:iam::1:role/Ignored\n\
         aws_access_key_id = AKIDSRC\naws_secret_access_key = s\n\
         [profile r]\nrole_arn = arn:aws:iam::2:role/R\nsource_profile = src\n",
    )
    .await;
    let plan = cfg.plan("r").expect("resolves");
    assert_eq!(plan.roles.len(), 1);
    assert_eq!(key_of(&plan), "AKIDSRC");
}

#[tokio::test]
async fn invalid_duration_is_ignored_like_botocore_and_empty_session_name_unset() {
    let cfg = config(
        "[profile b]\naws_access_key_id = A\naws_secret_access_key = B\n\
         [profile r]\nrole_arn = arn:aws:iam::2:role/R\nsource_profile = b\n\
         duration_seconds = an hour\nrole_session_name =\n",
    )
    .await;
    let plan = cfg.plan("r").expect("resolves");
    assert_eq!(plan.roles[0].duration_seconds, None);
    assert_eq!(plan.roles[0].role_session_name, None);
}

#[tokio::test]
async fn malformed_tags_are_incomplete() {
    let cfg = config(
        "[profile b]\naws_access_key_id = A\naws_secret_access_key = B\n\
         [profile r]\nrole_arn = arn:aws:iam::2:role/R\nsource_profile = b\nroleport_tags = team\n",
    )
    .await;
    assert!(matches!(
        cfg.plan("r"),
        Err(HostError::ProfileIncomplete { .. })
    ));
}

#[tokio::test]
async fn web_identity_is_unsupported_not_mistaken_for_a_source_profile_role() {
    let cfg =
        config("[profile w]\nrole_arn = arn:aws:iam::2:role/R\nweb_identity_token_file = /t\n")
            .await;
    assert!(matches!(
        cfg.plan("w"),
        Err(HostError::SourceUnsupported { .. })
    ));
}

struct OneKey;

impl KeyStore for OneKey {
    fn lookup(&self, profile: &str) -> Result<Option<Credentials>, HostError> {
        Ok((profile == "vault").then(|| Credentials::new("AKIDSTORE", "s", None, None, "test")))
    }
}

#[tokio::test]
async fn keys_in_the_store_act_as_keys_in_the_credentials_file() {
    let text = "[profile vault]\nregion = eu-west-1\nrole_arn = arn:aws:iam::1:role/Ignored\n\
                [profile r]\nrole_arn = arn:aws:iam::2:role/R\nsource_profile = vault\n\
                [profile empty]\nregion = x\n";
    let cfg = config(text).await.with_store(Arc::new(OneKey));
    let plan = cfg.plan("r").expect("resolves");
    assert!(matches!(&plan.source, Source::StoredKeys { profile, .. } if profile == "vault"));
    assert_eq!(key_of(&plan), "AKIDSTORE");
    assert_eq!(plan.roles.len(), 1);
    assert!(matches!(
        cfg.plan("empty"),
        Err(HostError::ProfileIncomplete { .. })
    ));
    // Without the store the same source is a role without a source of its own.
    let plain = config(text).await;
    assert!(plain.plan("r").is_err());
}

#[tokio::test]
async fn last_default_section_wins_whole_like_botocore() {
    let cfg = config("[profile default]\nregion = a\n[default]\naws_access_key_id = A\naws_secret_access_key = B\n").await;
    let plan = cfg.plan("default").expect("resolves");
    assert_eq!(plan.region, None);
    assert_eq!(key_of(&plan), "A");
}

#[tokio::test]
async fn summaries_list_usable_profiles_sorted_without_secrets() {
    let cfg = config(&format!(
        "{CHAIN}\n[profile sso]\nsso_session = x\nsso_account_id = 444455556666\nsso_role_name = Ops\n\
         [profile tool]\ncredential_process = mytool\n[profile settings-only]\nregion = eu-west-1\n"
    ))
    .await;
    let summaries = cfg.summaries();
    let names: Vec<_> = summaries.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["base", "hop", "sso", "target", "tool"]);
    let sso = &summaries[2];
    assert_eq!(sso.kind, roleport_protocol::ProfileKind::Sso);
    assert_eq!(
        (sso.account_id.as_deref(), sso.role.as_deref()),
        (Some("444455556666"), Some("Ops"))
    );
    assert_eq!(
        summaries[4].kind,
        roleport_protocol::ProfileKind::CredentialProcess
    );
    let json = serde_json::to_string(&cfg.summaries()).expect("serialises");
    assert!(!json.contains("secret") && !json.contains("AKIDBASE"));
}

#[tokio::test]
async fn summaries_carry_the_session_tags_for_the_popups_search() {
    let cfg = config(
        "[profile b]\naws_access_key_id = A\naws_secret_access_key = s\n\
         [profile r]\nrole_arn = arn:aws:iam::2:role/R\nsource_profile = b\n\
         roleport_tags = team=core, env = prod,\n",
    )
    .await;
    let r = cfg
        .summaries()
        .into_iter()
        .find(|s| s.name == "r")
        .expect("r");
    assert_eq!(r.tags, ["team=core", "env=prod"]);
}

#[tokio::test]
async fn discovered_roles_are_listed_after_the_configured_ones_unless_configured() {
    let cfg = config(
        "[sso-session corp]\nsso_start_url = https://d-1.awsapps.com/start\nsso_region = eu-west-1\n\
         [profile mine]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n\
         [profile prod/ReadOnly]\nregion = us-east-1\n",
    )
    .await
    .with_discovered(vec![crate::sso::directory::Directory {
        version: 1,
        login: "corp".into(),
        session: Some("corp".into()),
        start_url: "https://d-1.awsapps.com/start".into(),
        region: "eu-west-1".into(),
        synced_at: 1,
        accounts: vec![crate::sso::directory::Account {
            account_id: "111111111111".into(),
            name: "prod".into(),
            roles: vec!["Admin".into(), "ReadOnly".into(), "Billing".into()],
            roles_synced_at: 1,
        }],
    }]);
    let names: Vec<String> = cfg.summaries().into_iter().map(|s| s.name).collect();
    // `mine` opens prod/Admin already; `prod/ReadOnly` is a configured name (settings only).
    assert_eq!(names, ["mine", "prod/Billing"]);
    let plan = cfg.plan("prod/Billing").expect("plan");
    match plan.source {
        Source::Sso(sso) => {
            assert_eq!(
                (
                    sso.account_id.as_str(),
                    sso.role_name.as_str(),
                    sso.session.as_deref()
                ),
                ("111111111111", "Billing", Some("corp"))
            );
        }
        other => panic!("not SSO: {other:?}"),
    }
    assert_eq!(plan.region.as_deref(), Some("eu-west-1"));
    // A configured name is never taken over by discovery.
    assert!(!matches!(
        cfg.plan("prod/ReadOnly").map(|p| p.source),
        Ok(Source::Sso(_))
    ));
}

#[tokio::test]
async fn syntax_error_is_reported_with_its_line_and_file() {
    let fs = Fs::from_slice(&[("/cfg", "[profile ok]\nregion = x\n[broken\n")]);
    let env = Env::from_slice(&[("AWS_CONFIG_FILE", "/cfg"), ("HOME", "/h")]);
    let err = AwsConfig::load_with(&fs, &env).await.err().expect("fails");
    let text = err.to_string();
    assert!(text.contains("line 3") && text.contains("/cfg"), "{text}");
}

#[tokio::test]
async fn duplicate_sections_are_refused_like_the_aws_cli() {
    let fs = Fs::from_slice(&[("/cfg", "[profile a]\nregion = x\n\n[profile a]\n")]);
    let env = Env::from_slice(&[("AWS_CONFIG_FILE", "/cfg"), ("HOME", "/h")]);
    let err = AwsConfig::load_with(&fs, &env).await.err().expect("fails");
    assert!(
        matches!(err, HostError::ConfigUnreadable(ref m) if m.contains("line 4")),
        "{err}"
    );
}

const RULED: &str = "
[profile keys]
aws_access_key_id = AKID
aws_secret_access_key = secret

[profile prod-web]
role_arn = arn:aws:iam::111111111111:role/Admin
source_profile = keys
roleport_tags = env=prod

[profile prod-own]
role_arn = arn:aws:iam::111111111111:role/Admin
source_profile = keys
region = us-west-2
roleport_color = blue
roleport_label = MINE
";

async fn ruled(settings: &str) -> AwsConfig {
    let loaded = crate::settings::Loaded::from_text(std::path::Path::new("/s.toml"), settings);
    assert!(loaded.error.is_none(), "{:?}", loaded.error);
    config(RULED).await.with_settings(Arc::new(loaded))
}

#[tokio::test]
async fn colour_rules_dress_the_listed_profile_and_its_console_tab_alike() {
    let config = ruled(
        "[defaults]\nregion = \"eu-central-1\"\n\n\
         [[rules]]\ntag = \"env=prod\"\ncolor = \"red\"\nlabel = \"PROD\"\n\n\
         [[rules]]\naccount_id = \"1111*\"\nicon = \"fence\"\ncolor = \"orange\"\n",
    )
    .await;
    let summaries = config.summaries();
    let web = summaries
        .iter()
        .find(|s| s.name == "prod-web")
        .expect("listed");
    assert_eq!(web.appearance.color, roleport_protocol::Color::Red);
    assert_eq!(web.appearance.icon, roleport_protocol::Icon::Fence);
    assert_eq!(web.appearance.label.as_deref(), Some("PROD"));
    // `[defaults] region` fills in for a profile without one, in the list and the sign-in.
    assert_eq!(web.region.as_deref(), Some("eu-central-1"));
    let plan = config.plan("prod-web").expect("resolves");
    assert_eq!(plan.appearance, web.appearance);
    assert_eq!(plan.region.as_deref(), Some("eu-central-1"));

    // The profile's own keys win over every rule, field by field; its region too.
    let own = config.plan("prod-own").expect("resolves");
    assert_eq!(own.appearance.color, roleport_protocol::Color::Blue);
    assert_eq!(own.appearance.icon, roleport_protocol::Icon::Fence);
    assert_eq!(own.appearance.label.as_deref(), Some("MINE"));
    assert_eq!(own.region.as_deref(), Some("us-west-2"));
}

#[tokio::test]
async fn a_broken_settings_file_leaves_the_profiles_listed_with_their_own_look() {
    let broken = crate::settings::Loaded::from_text(
        std::path::Path::new("/s.toml"),
        "[[rules]]\ncolor = \"red\"\nname = \"[\"\n",
    );
    assert!(broken.error.is_some());
    let config = config(RULED).await.with_settings(Arc::new(broken));
    let names: Vec<_> = config.summaries().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["keys", "prod-own", "prod-web"]);
    let web = config.plan("prod-web").expect("resolves");
    assert_eq!(web.appearance, Appearance::default_for("prod-web"));
    assert!(config.settings().error.is_some());
}

#[tokio::test]
async fn a_profile_trusts_aws_ca_bundle_else_its_own_ca_bundle_as_the_cli_does() {
    use crate::http_client::Trust;
    let text = "[profile proxied]\naws_access_key_id = AKID\naws_secret_access_key = s\n\
                ca_bundle = /etc/corp/ca.pem\n\n\
                [profile plain]\naws_access_key_id = AKID\naws_secret_access_key = s\n";
    let path_of = |plan: Plan| match plan.trust {
        Trust::Bundle { path, .. } => Some(path),
        Trust::System => None,
    };
    let cfg = config(text).await;
    assert_eq!(
        path_of(cfg.plan("proxied").expect("plan")),
        Some("/etc/corp/ca.pem".into())
    );
    assert_eq!(path_of(cfg.plan("plain").expect("plan")), None);

    let fs = Fs::from_slice(&[("/cfg", text)]);
    let env = Env::from_slice(&[("AWS_CONFIG_FILE", "/cfg"), ("AWS_CA_BUNDLE", "/env.pem")]);
    let cfg = AwsConfig::load_with(&fs, &env)
        .await
        .expect("config parses");
    for profile in ["proxied", "plain"] {
        assert_eq!(
            path_of(cfg.plan(profile).expect("plan")),
            Some("/env.pem".into()),
            "{profile}: the variable wins"
        );
    }
}
