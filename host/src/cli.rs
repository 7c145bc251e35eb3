//! The command line: `roleport host …`, `roleport list`, `roleport url`, and native-messaging
//! mode when a browser starts the binary.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use roleport_protocol::{OpenConsole, Request, Response};

use crate::federation::Endpoints;
use crate::install::{self, Browser, Status};
use crate::native::{self, Caller};
use crate::service::Service;

#[derive(Parser)]
#[command(
    name = "roleport",
    version,
    about = "Open AWS consoles, signed in, one container or tab group per account."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Register, remove or check the native-messaging host with your browsers.
    Host {
        #[command(subcommand)]
        action: HostAction,
    },
    /// List the profiles roleport can open (no secrets).
    List {
        /// Print JSON, as the extension receives it.
        #[arg(long)]
        json: bool,
    },
    /// Print a one-time console sign-in URL for a profile (valid 15 minutes, single use).
    Url {
        /// Profile name from ~/.aws/config.
        profile: String,
        /// Console region (default: the profile's region).
        #[arg(long)]
        region: Option<String>,
        /// Console page to land on (a console URL or a path such as /ec2/home).
        #[arg(long)]
        destination: Option<String>,
    },
}

#[derive(Subcommand)]
enum HostAction {
    /// Write the host manifest for each browser (default: every installed one).
    Install(HostArgs),
    /// Remove the host manifests.
    Uninstall(HostArgs),
    /// Show where the host is registered and whether it will work.
    Status(HostArgs),
}

#[derive(clap::Args)]
struct HostArgs {
    /// Browser to act on (repeatable).
    #[arg(long = "browser", value_enum)]
    browsers: Vec<Browser>,
    /// A Chromium-family profile directory (as given to --user-data-dir).
    #[arg(long)]
    user_data_dir: Option<PathBuf>,
}

/// Runs roleport with the process's arguments.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(caller) = Caller::from_args(&args) {
        return run_native(caller);
    }
    init_logging("warn");
    match run_cli(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("roleport: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ROLEPORT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn run_native(caller: Caller) -> ExitCode {
    init_logging("info");
    let stdout = std::io::stdout();
    let refuse = |reply| {
        let frame = native_messaging::encode_message(&reply).unwrap_or_default();
        let _ = stdout.lock().write_all(&frame);
        let _ = stdout.lock().flush();
        ExitCode::from(2)
    };
    if !caller.is_allowed() {
        tracing::error!(
            ?caller,
            "refusing a caller that is not roleport's extension"
        );
        return refuse(native::refusal(&caller));
    }
    tracing::info!(?caller, "native messaging host started");
    let service = match Endpoints::from_env()
        .map_err(|e| anyhow::anyhow!(e))
        .and_then(|endpoints| Service::new(endpoints).map_err(|e| anyhow::anyhow!(e)))
    {
        Ok(s) => Arc::new(s),
        Err(e) => {
            tracing::error!("cannot start: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let record = crate::record::from_env();
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("{e:#}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(native::serve(
        std::io::stdin(),
        std::io::stdout(),
        service,
        record,
    ));
    ExitCode::SUCCESS
}

fn run_cli(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Host { action } => host(action),
        Command::List { json } => {
            let Response::ListProfiles(list) = request(Request::ListProfiles)? else {
                anyhow::bail!("unexpected answer to list_profiles");
            };
            let mut out = std::io::stdout().lock();
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
            } else {
                for p in list.profiles {
                    let account = p.account_id.unwrap_or_else(|| "-".into());
                    let role = p.role.unwrap_or_else(|| "-".into());
                    writeln!(
                        out,
                        "{:<24} {:<14} {:<24} {}",
                        p.name,
                        account,
                        role,
                        p.appearance.color.firefox()
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Url {
            profile,
            region,
            destination,
        } => {
            let Response::OpenConsole(ok) = request(Request::OpenConsole(OpenConsole {
                profile,
                region,
                destination,
            }))?
            else {
                anyhow::bail!("unexpected answer to open_console");
            };
            writeln!(std::io::stdout().lock(), "{}", ok.url)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Answers one request in-process, as the host would for the extension.
fn request(req: Request) -> anyhow::Result<Response> {
    let endpoints = Endpoints::from_env().map_err(|e| anyhow::anyhow!(e))?;
    let service = Service::new(endpoints)?;
    runtime()?
        .block_on(service.handle(req))
        .map_err(|e| anyhow::anyhow!("{}\nhint: {}", e.message, e.hint).context(e.code))
}

fn host(action: HostAction) -> anyhow::Result<ExitCode> {
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
