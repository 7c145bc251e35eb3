//! `roleport host install | uninstall | status`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::install::{self, Browser, Status};

/// What to do with the browser registrations.
#[derive(Subcommand)]
pub enum HostAction {
    /// Write the host manifest for each browser (default: every installed one).
    Install(HostArgs),
    /// Remove the host manifests.
    Uninstall(HostArgs),
    /// Show where the host is registered and whether it will work.
    Status(HostArgs),
}

/// Which registrations.
#[derive(clap::Args)]
pub struct HostArgs {
    /// Browser to act on (repeatable).
    #[arg(long = "browser", value_enum)]
    browsers: Vec<Browser>,
    /// A Chromium-family profile directory (as given to --user-data-dir).
    #[arg(long)]
    user_data_dir: Option<PathBuf>,
}

/// Runs `roleport host …`.
pub fn run(action: HostAction) -> anyhow::Result<ExitCode> {
    let (HostAction::Install(args) | HostAction::Uninstall(args) | HostAction::Status(args)) =
        &action;
    let explicit = !args.browsers.is_empty() || args.user_data_dir.is_some();
    let targets = match (&action, explicit) {
        // Status without a choice shows every browser, installed or not.
        (HostAction::Status(_), false) => install::targets(&Browser::ALL, None)?,
        _ => install::targets(&args.browsers, args.user_data_dir.as_deref())?,
    };
    let mut out = std::io::stdout().lock();
    match action {
        HostAction::Install(_) => {
            let exe = std::env::current_exe()?
                .canonicalize()
                .context("locating the roleport binary")?;
            install::install(&targets, &exe)?;
            for t in &targets {
                writeln!(
                    out,
                    "registered for {:<9} {}",
                    t.browser,
                    t.manifest.display()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        HostAction::Uninstall(_) => {
            install::uninstall(&targets)?;
            for t in &targets {
                writeln!(out, "removed for {:<9} {}", t.browser, t.manifest.display())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        HostAction::Status(_) => {
            let mut healthy = true;
            for t in &targets {
                let state = match install::status(t) {
                    Status::NotRegistered => "not registered".to_owned(),
                    Status::Ok { exe } => format!("ok ({})", exe.display()),
                    Status::Broken(why) => {
                        healthy = false;
                        format!(
                            "BROKEN: {why}; run `roleport host install --browser {}`",
                            t.browser
                        )
                    }
                };
                writeln!(out, "{:<9} {:<70} {state}", t.browser, t.manifest.display())?;
            }
            Ok(if healthy {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
