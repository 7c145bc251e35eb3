//! Profile → [`Plan`], by botocore's rules (botocore/credentials.py, 1.44):
//!
//! - The profile asked for: `role_arn` (without `web_identity_token_file`) wins over
//!   everything else it has (`AssumeRoleProvider` comes first in the chain).
//! - Otherwise, and for a `source_profile` that has keys or no `role_arn`, the profile chain
//!   decides, first match wins: web identity, SSO (`sso_account_id` / `sso_role_name`),
//!   keys in the credentials file, `aws login`, `credential_process`, keys in the config file.
//!   So keys in the credentials file beat `credential_process`, which beats keys in the config
//!   file; and a source profile's keys beat its own `role_arn`.
//! - A `source_profile` already visited is a cycle, except a profile that names itself and has
//!   keys (then its keys are the source of its own role).
//! - `source_profile` and `credential_source` together are an error; so is neither.
//!
//! roleport adds one source: keys in roleport's store count as keys in the credentials file
//! (the store replaces that file), after the file itself.

use std::collections::HashMap;

use aws_credential_types::Credentials;

use super::cognito;
use super::compat::FileKind;
use super::files::Files;
use super::lint;
use super::plan::{Ambient, RoleStep, Source, SsoSource};
use super::KeyStore;
use crate::arn::RoleArn;
use crate::error::HostError;

/// The source and the roles, before the plan is dressed with region and appearance.
pub struct Resolved {
    pub source: Source,
    pub source_profile: String,
    pub source_mfa_serial: Option<String>,
    /// In the order they are assumed.
    pub roles: Vec<RoleStep>,
}

/// One resolution: the files, the store, and what was visited so far.
pub struct Resolver<'a> {
    files: &'a Files,
    store: &'a dyn KeyStore,
    asked: &'a str,
    visited: Vec<String>,
    /// Outermost first, as they are found.
    roles: Vec<RoleStep>,
    stored: HashMap<String, Option<Credentials>>,
}

/// What a source lookup found: the source, and the profile whose settings go with it.
struct Root {
    source: Source,
    settings_profile: String,
    mfa_serial: Option<String>,
}

impl<'a> Resolver<'a> {
    pub fn new(files: &'a Files, store: &'a dyn KeyStore, asked: &'a str) -> Resolver<'a> {
        Resolver {
            files,
            store,
            asked,
            visited: vec![asked.to_owned()],
            roles: Vec::new(),
            stored: HashMap::new(),
        }
    }

    pub fn resolve(mut self) -> Result<Resolved, HostError> {
        let asked = self.asked;
        if !self.files.exists(asked) {
            return Err(HostError::UnknownProfile(asked.to_owned()));
        }
        let root = if self.assumes_role(asked) {
            self.assume_role(asked)?
        } else {
            self.profile_chain(asked)?.ok_or_else(|| {
                incomplete(
                    asked,
                    "it has no credentials: neither keys, role_arn, credential_process nor SSO settings",
                )
            })?
        };
        let mut roles = self.roles;
        roles.reverse();
        Ok(Resolved {
            source: root.source,
            source_profile: root.settings_profile,
            source_mfa_serial: root.mfa_serial,
            roles,
        })
    }

    fn get(&self, profile: &str, key: &str) -> Option<&'a str> {
        self.files.get(profile, key)
    }

    /// botocore's `_has_assume_role_config_vars`.
    fn assumes_role(&self, profile: &str) -> bool {
        self.get(profile, "role_arn").is_some()
            && self.get(profile, "web_identity_token_file").is_none()
    }

    /// botocore's `_has_static_credentials` (either half of a key pair counts), plus the store.
    fn has_keys(&mut self, profile: &str) -> Result<bool, HostError> {
        let in_files = self.get(profile, "aws_access_key_id").is_some()
            || self.get(profile, "aws_secret_access_key").is_some();
        Ok(in_files || self.stored(profile)?.is_some())
    }

    fn stored(&mut self, profile: &str) -> Result<Option<Credentials>, HostError> {
        if let Some(found) = self.stored.get(profile) {
            return Ok(found.clone());
        }
        let found = self.store.lookup(profile)?;
        self.stored.insert(profile.to_owned(), found.clone());
        Ok(found)
    }

    /// `AssumeRoleProvider._load_creds_via_assume_role` for `profile`.
    fn assume_role(&mut self, profile: &str) -> Result<Root, HostError> {
        let source_profile = self.get(profile, "source_profile");
        let credential_source = self.get(profile, "credential_source");
        if source_profile.is_none()
            && credential_source.is_none()
            && cognito::is_cognito(self.files, profile)
        {
            // roleport's addition: the profile's own Cognito identity assumes its role_arn
            // (the identity pool's role reaching into another account).
            let source = Source::Cognito(cognito::source(self.files, profile)?);
            self.roles.push(role_step(self.files, profile)?);
            return Ok(Root {
                source,
                settings_profile: profile.to_owned(),
                mfa_serial: None,
            });
        }
        let ambient = match (source_profile, credential_source) {
            (Some(_), Some(_)) => {
                return Err(incomplete(
                    profile,
                    "it has both source_profile and credential_source; keep one",
                ))
            }
            (None, None) => {
                return Err(incomplete(
                    profile,
                    "role_arn needs a source_profile or a credential_source",
                ))
            }
            (None, Some(name)) => Some(Ambient::parse(name).ok_or_else(|| {
                let valid: Vec<_> = Ambient::ALL.iter().map(|a| a.name()).collect();
                incomplete(
                    profile,
                    &format!(
                        "credential_source `{name}` is not one of {} (the case matters)",
                        valid.join(", ")
                    ),
                )
            })?),
            (Some(source), None) => {
                self.check_source_profile(profile, source)?;
                None
            }
        };
        let step = role_step(self.files, profile)?;
        self.roles.push(step);
        if let Some(kind) = ambient {
            return Ok(Root {
                source: Source::Ambient {
                    profile: profile.to_owned(),
                    kind,
                },
                settings_profile: profile.to_owned(),
                mfa_serial: None,
            });
        }
        let source = source_profile.unwrap_or_default();
        self.visited.push(source.to_owned());
        if self.has_keys(source)? || !self.assumes_role(source) {
            return self.profile_chain(source)?.ok_or_else(|| {
                incomplete(
                    source,
                    &format!("it is the source_profile of `{profile}` but has no credentials"),
                )
            });
        }
        self.assume_role(source)
    }

    /// `AssumeRoleProvider._validate_source_profile`.
    fn check_source_profile(&mut self, parent: &str, source: &str) -> Result<(), HostError> {
        if !self.files.exists(source) {
            return Err(HostError::DanglingSource {
                profile: parent.to_owned(),
                missing: source.to_owned(),
            });
        }
        if !self.visited.iter().any(|v| v == source) {
            return Ok(());
        }
        if source == parent && self.has_keys(source)? {
            return Ok(());
        }
        let mut chain = self.visited.clone();
        chain.push(source.to_owned());
        Err(HostError::ProfileCycle {
            start: self.asked.to_owned(),
            chain,
        })
    }

    /// `ProfileProviderBuilder.providers`: the first provider with credentials wins.
    fn profile_chain(&mut self, profile: &str) -> Result<Option<Root>, HostError> {
        let root = |source| Root {
            source,
            settings_profile: profile.to_owned(),
            mfa_serial: None,
        };
        if self.get(profile, "web_identity_token_file").is_some() {
            return Err(HostError::SourceUnsupported {
                profile: profile.to_owned(),
                what: "web_identity_token_file (AssumeRoleWithWebIdentity)".into(),
                meanwhile: format!(
                    "Use `credential_process = aws configure export-credentials --profile \
                     {profile} --format process` in another profile and open that one."
                ),
            });
        }
        if self.get(profile, "sso_account_id").is_some()
            || self.get(profile, "sso_role_name").is_some()
        {
            return Ok(Some(root(Source::Sso(sso_source(self.files, profile)?))));
        }
        // roleport's own source, where botocore would find nothing it knows.
        if cognito::is_cognito(self.files, profile) {
            return Ok(Some(root(Source::Cognito(cognito::source(
                self.files, profile,
            )?))));
        }
        let mfa_serial = self.get(profile, "mfa_serial").map(str::to_owned);
        let with_mfa = |source| {
            Some(Root {
                mfa_serial: mfa_serial.clone(),
                ..root(source)
            })
        };
        if let Some(credentials) = file_keys(self.files, FileKind::Credentials, profile)? {
            return Ok(with_mfa(Source::StaticKeys {
                profile: profile.to_owned(),
                file: FileKind::Credentials,
                credentials,
            }));
        }
        if let Some(credentials) = self.stored(profile)? {
            return Ok(with_mfa(Source::StoredKeys {
                profile: profile.to_owned(),
                credentials,
            }));
        }
        if self.get(profile, "login_session").is_some() {
            return Err(HostError::SourceUnsupported {
                profile: profile.to_owned(),
                what: "login_session (`aws login`)".into(),
                meanwhile: format!(
                    "Use `credential_process = aws configure export-credentials --profile \
                     {profile} --format process` in another profile and open that one."
                ),
            });
        }
        if let Some(command) = self.get(profile, "credential_process") {
            return Ok(with_mfa(Source::Process {
                profile: profile.to_owned(),
                command: command.to_owned(),
            }));
        }
        if let Some(credentials) = file_keys(self.files, FileKind::Config, profile)? {
            return Ok(with_mfa(Source::StaticKeys {
                profile: profile.to_owned(),
                file: FileKind::Config,
                credentials,
            }));
        }
        Ok(None)
    }
}

pub(super) fn incomplete(profile: &str, why: &str) -> HostError {
    HostError::ProfileIncomplete {
        profile: profile.to_owned(),
        why: why.to_owned(),
    }
}

/// `SharedCredentialProvider` / `ConfigProvider`: an access key id in that file's section
/// means keys, and the secret must be in the same section.
fn file_keys(
    files: &Files,
    file: FileKind,
    profile: &str,
) -> Result<Option<Credentials>, HostError> {
    let Some(id) = files.in_file(file, profile, "aws_access_key_id") else {
        return Ok(None);
    };
    let Some(secret) = files.in_file(file, profile, "aws_secret_access_key") else {
        let name = match file {
            FileKind::Config => "config",
            FileKind::Credentials => "credentials",
        };
        return Err(incomplete(
            profile,
            &format!("aws_access_key_id is set in the {name} file but aws_secret_access_key is not (in the same file)"),
        ));
    };
    // botocore reads the older name first.
    let token = files
        .in_file(file, profile, "aws_security_token")
        .or_else(|| files.in_file(file, profile, "aws_session_token"));
    Ok(Some(Credentials::new(
        id,
        secret,
        token.map(str::to_owned),
        None,
        "roleport-profile",
    )))
}

/// `SSOProvider._load_sso_config`: follows `sso_session`, refuses conflicting values and
/// names every missing key.
fn sso_source(files: &Files, profile: &str) -> Result<SsoSource, HostError> {
    let session = files.get(profile, "sso_session");
    let value = |key: &str| -> Result<Option<String>, HostError> {
        let own = files.get(profile, key);
        let Some(name) = session else {
            return Ok(own.map(str::to_owned));
        };
        let shared = files
            .sso_session(name, key)
            .ok_or_else(|| HostError::DanglingSsoSession {
                profile: profile.to_owned(),
                missing: name.to_owned(),
            })?;
        match (own, shared) {
            (Some(a), Some(b)) if a != b => Err(incomplete(
                profile,
                &format!("{key} is `{a}` in the profile but `{b}` in [sso-session {name}]"),
            )),
            (own, shared) => Ok(shared.or(own).map(str::to_owned)),
        }
    };
    let role_name = value("sso_role_name")?;
    let account_id = value("sso_account_id")?;
    let start_url = value("sso_start_url")?;
    let region = value("sso_region")?;
    // sso_registration_scopes is only checked for conflicts, as botocore does.
    value("sso_registration_scopes")?;
    match (role_name, account_id, start_url, region) {
        (Some(role_name), Some(account_id), Some(start_url), Some(region)) => Ok(SsoSource {
            profile: profile.to_owned(),
            session: session.map(str::to_owned),
            start_url,
            region,
            account_id,
            role_name,
        }),
        (role_name, account_id, start_url, region) => {
            let missing: Vec<&str> = [
                ("sso_role_name", role_name.is_none()),
                ("sso_account_id", account_id.is_none()),
                ("sso_start_url", start_url.is_none()),
                ("sso_region", region.is_none()),
            ]
            .into_iter()
            .filter_map(|(k, missing)| missing.then_some(k))
            .collect();
            Err(incomplete(
                profile,
                &format!("it is set up for SSO but lacks {}", missing.join(", ")),
            ))
        }
    }
}

/// The AssumeRole parameters a role profile declares.
fn role_step(files: &Files, profile: &str) -> Result<RoleStep, HostError> {
    let get = |key| files.get(profile, key);
    let arn = get("role_arn").unwrap_or_default();
    let role_arn = RoleArn::parse(arn).map_err(|_| {
        lint::invalid(
            files,
            profile,
            "role_arn",
            "is not an IAM role ARN",
            "Write the role's ARN on that line: arn:aws:iam::ACCOUNT_ID:role/NAME.",
        )
    })?;
    // Not a number: ignored, as the AWS CLI ignores it (`lint::warnings` says so).
    let duration_seconds = match get("duration_seconds").map(|d| d.trim().parse::<i64>()) {
        Some(Ok(d)) if !lint::DURATION_RANGE.contains(&d) => {
            return Err(lint::invalid(
                files,
                profile,
                "duration_seconds",
                "is outside the 900 to 43200 seconds STS accepts",
                "Write a number of seconds from 900 (15 minutes) to 43200 (12 hours), at \
                 most the role's maximum session duration.",
            ))
        }
        Some(Ok(d)) => i32::try_from(d).ok(),
        _ => None,
    };
    let tags = match get("roleport_tags") {
        None => Vec::new(),
        Some(list) => split_list(list)
            .map(|pair| {
                pair.split_once('=')
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .ok_or_else(|| {
                        incomplete(
                            profile,
                            &format!("roleport_tags entry `{pair}` is not key=value"),
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(RoleStep {
        profile: profile.to_owned(),
        role_arn,
        external_id: get("external_id").map(str::to_owned),
        role_session_name: get("role_session_name")
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        duration_seconds,
        mfa_serial: get("mfa_serial").map(str::to_owned),
        source_identity: get("roleport_source_identity").map(str::to_owned),
        tags,
        transitive_tag_keys: get("roleport_transitive_tag_keys")
            .map(|l| split_list(l).map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

/// A comma-separated list, entries trimmed, empty entries dropped.
fn split_list(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty())
}
