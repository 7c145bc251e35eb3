//! `roleport sso login [NAME]`: the IAM Identity Center device-authorization login, into the
//! token cache the AWS CLI shares.

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::AwsConfig;
use crate::sso::{self, Target};

/// `roleport sso …`.
#[derive(Subcommand)]
pub enum SsoAction {
    /// Sign in to IAM Identity Center: prints a page and a code to approve, then waits.
    Login {
        /// An `[sso-session NAME]`, or a profile that uses SSO (default: $AWS_PROFILE, else
        /// `default`).
        name: Option<String>,
    },
}

/// Runs `roleport sso …`.
pub fn run(action: SsoAction) -> anyhow::Result<ExitCode> {
    let SsoAction::Login { name } = action;
    let name = name
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".into());
    let coded =
        |e: crate::error::HostError| anyhow::anyhow!("{e}\nhint: {}", e.hint()).context(e.code());
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
