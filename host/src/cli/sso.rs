//! `roleport sso login [NAME]`: the IAM Identity Center device-authorization login, into the
//! token cache the AWS CLI shares. `roleport sso sync [NAME]`: discovery of every account and
//! role the login reaches.

use std::process::ExitCode;

use clap::Subcommand;

use std::io::{IsTerminal, Write};

use crate::config::AwsConfig;
use crate::error::HostError;
use crate::sso::discovery::{self, Progress, SyncOptions};
use crate::sso::{self, write_config, Target};
use crate::store::plaintext::AwsFile;

/// `roleport sso …`.
#[derive(Subcommand)]
pub enum SsoAction {
    /// Sign in to IAM Identity Center: prints a page and a code to approve, then waits.
    Login {
        /// An `[sso-session NAME]`, or a profile that uses SSO (default: $AWS_PROFILE, else
        /// `default`).
        name: Option<String>,
    },
    /// List every account and role the login can reach, for `roleport list` and the popup
    /// (paced to the portal's rate limit; a second sync refreshes only stale accounts).
    Sync {
        /// An `[sso-session NAME]` or an SSO profile (default: every login in the config).
        name: Option<String>,
        /// Read every account's roles again, however recent.
        #[arg(long)]
        full: bool,
        /// Also write the roles as profiles into ~/.aws/config, in a block roleport owns
        /// (profiles written by hand are never changed).
        #[arg(long)]
        write_config: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `roleport sso …`.
pub fn run(action: SsoAction) -> anyhow::Result<ExitCode> {
    match action {
        SsoAction::Login { name } => login(name),
        SsoAction::Sync {
            name,
            full,
            write_config,
            json,
        } => sync(name, full, write_config, json),
    }
}

fn coded(e: HostError) -> anyhow::Error {
    anyhow::anyhow!("{e}\nhint: {}", e.hint()).context(e.code())
}

fn login(name: Option<String>) -> anyhow::Result<ExitCode> {
    let name = name
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".into());
    super::runtime()?.block_on(async {
        let config = AwsConfig::load().await.map_err(coded)?;
        let target = Target::resolve(&config, &name).map_err(coded)?;
        let path = sso::login(&target, |code| {
            let page = code
                .verification_uri_complete
                .as_deref()
                .unwrap_or(&code.verification_uri);
            eprintln!(
                "roleport: to sign in to {} ({}), open\n\n    {page}\n\nand check that it shows \
                 the code\n\n    {}\n\nroleport: waiting for approval (the code is valid {} s)…",
                target.start_url, target.name, code.user_code, code.expires_in
            );
            Ok(())
        })
        .await
        .map_err(coded)?;
        eprintln!(
            "roleport: signed in to `{}`; token saved in {} (shared with the AWS CLI)",
            target.name,
            path.display()
        );
        Ok(ExitCode::SUCCESS)
    })
}

fn sync(name: Option<String>, full: bool, write: bool, json: bool) -> anyhow::Result<ExitCode> {
    let options = SyncOptions {
        full,
        ..SyncOptions::default()
    };
    super::runtime()?.block_on(async {
        let config = AwsConfig::load().await.map_err(coded)?;
        let live = std::io::stderr().is_terminal();
        let outcomes = discovery::sync_logins(&config, name.as_deref(), options, |p| {
            if live {
                eprint!("\r\x1b[Kroleport: {}", progress_line(p));
            }
        })
        .await;
        if live {
            eprint!("\r\x1b[K");
        }
        let mut results = Vec::new();
        let mut failed_any = false;
        for (target, synced) in outcomes.map_err(coded)? {
            let synced = match synced {
                Ok(synced) => synced,
                Err(e) => {
                    eprintln!("roleport: skipped `{}`: {e}", target.name);
                    results.push(serde_json::json!({"login": target.name, "skipped": e.to_string()}));
                    continue;
                }
            };
            let roles: usize = synced.directory.accounts.iter().map(|a| a.roles.len()).sum();
            let written = if write {
                let path = AwsFile::Config.path().ok_or_else(|| {
                    anyhow::anyhow!("no home directory for ~/.aws/config (HOME is not set)")
                })?;
                Some((write_config::write(&path, &synced.directory).map_err(coded)?, path))
            } else {
                None
            };
            failed_any |= !synced.failed.is_empty();
            if !json {
                report(&target, &synced, roles, written.as_ref());
            }
            results.push(serde_json::json!({
                "login": target.name,
                "accounts": synced.directory.accounts.len(),
                "roles": roles,
                "refreshed": synced.refreshed,
                "failed": synced.failed.iter()
                    .map(|(a, why)| serde_json::json!({"account_id": a, "error": why}))
                    .collect::<Vec<_>>(),
                "calls": synced.calls,
                "throttled": synced.throttled,
                "written": written.as_ref()
                    .map(|(w, _)| serde_json::json!({"profiles": w.profiles, "skipped": w.skipped})),
            }));
        }
        if json {
            let mut out = std::io::stdout().lock();
            let all = serde_json::json!({ "logins": results });
            writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
        } else if !failed_any {
            eprintln!("roleport: `roleport list` and the popup show them");
        }
        Ok(if failed_any {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    })
}

fn report(
    target: &Target,
    synced: &discovery::Synced,
    roles: usize,
    written: Option<&(write_config::Written, std::path::PathBuf)>,
) {
    eprintln!(
        "roleport: `{}`: {} accounts, {roles} roles ({} accounts read, {} calls, {} throttled \
         and retried)",
        target.name,
        synced.directory.accounts.len(),
        synced.refreshed,
        synced.calls,
        synced.throttled
    );
    for (account, why) in &synced.failed {
        eprintln!("roleport:   could not read the roles of {account} (kept the old ones): {why}");
    }
    if let Some((w, path)) = written {
        eprintln!(
            "roleport: {} profiles in roleport's block of {}",
            w.profiles,
            path.display()
        );
        for name in &w.skipped {
            eprintln!("roleport:   skipped `{name}`: a profile of that name is already there");
        }
    }
}

fn progress_line(p: &Progress) -> String {
    if p.stale == 0 && p.done == 0 {
        format!("{}: listing accounts… {}", p.login, p.accounts)
    } else {
        format!(
            "{}: roles of {}/{} accounts ({} throttled and retried)",
            p.login, p.done, p.stale, p.throttled
        )
    }
}
