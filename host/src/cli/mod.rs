//! The command line: one module per command. `main` also recognises a browser's arguments
//! and then serves native messaging instead.

mod audit;
mod doctor;
mod exec;
mod explain;
mod host_cmd;
mod keys;
mod mfa_prompt;
mod open;
mod profiles;
mod sso;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::federation::Endpoints;
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
        action: host_cmd::HostAction,
    },
    /// List the profiles roleport can open (no secrets).
    List(profiles::ListArgs),
    /// Print a one-time console sign-in URL for a profile (valid 15 minutes, single use).
    Url(profiles::UrlArgs),
    /// Open a profile's console in the running browser, in its container / tab group.
    Open(open::OpenArgs),
    /// List the `--service` shortcuts and the console page each opens.
    Services(open::ServicesArgs),
    /// Show the audit log: credentials issued and consoles opened (never secrets).
    Audit(audit::AuditArgs),
    /// Show how a profile resolves: its source and the roles it assumes (no secrets).
    Explain(explain::ExplainArgs),
    /// Run a command with a profile's credentials in its environment.
    Exec(exec::ExecArgs),
    /// Print a profile's credentials as `credential_process` JSON (for ~/.aws/config).
    CredentialProcess(exec::CredentialProcessArgs),
    /// Store a profile's long-term keys in the OS keyring (or the encrypted file).
    Add(keys::AddArgs),
    /// Forget a profile's stored keys.
    Remove(keys::RemoveArgs),
    /// List the profiles whose keys roleport's store holds (names only).
    Keys(keys::KeysArgs),
    /// IAM Identity Center: `roleport sso login [SESSION]` (shares the AWS CLI's token cache).
    Sso {
        #[command(subcommand)]
        action: sso::SsoAction,
    },
    /// Check the setup: config, key store, plaintext keys, browser registration.
    Doctor(doctor::DoctorArgs),
    /// Print a shell completion script (e.g. `roleport completions bash > /etc/bash_completion.d/roleport`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Runs roleport with the process's arguments.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(caller) = Caller::from_args(&args) {
        return run_native(caller);
    }
    init_logging("warn");
    let result = match Cli::parse().command {
        Command::Host { action } => host_cmd::run(action),
        Command::Completions { shell } => {
            // Into a buffer first: clap_complete panics on a closed pipe (`| head`).
            let mut script = Vec::new();
            let mut cli = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cli, "roleport", &mut script);
            let _ = std::io::stdout().write_all(&script);
            Ok(ExitCode::SUCCESS)
        }
        Command::List(args) => profiles::list(args),
        Command::Url(args) => profiles::url(args),
        Command::Open(args) => open::open(args),
        Command::Services(args) => open::list_services(args),
        Command::Audit(args) => audit::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Exec(args) => exec::exec(args),
        Command::CredentialProcess(args) => exec::credential_process(args),
        Command::Add(args) => keys::add(args),
        Command::Remove(args) => keys::remove(args),
        Command::Keys(args) => keys::keys(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Sso { action } => sso::run(action),
    };
    result.unwrap_or_else(|e| {
        eprintln!("roleport: {e:#}");
        ExitCode::FAILURE
    })
}

fn init_logging(default: &str) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let filter = tracing_subscriber::EnvFilter::try_from_env("ROLEPORT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter)
        .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
            quiet_enough(meta.target(), *meta.level())
        }));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// Whatever `ROLEPORT_LOG` asks for, other crates log at `info` at most: at `debug` the AWS
/// SDK prints the access key ID of every identity it signs with, and at `trace` the signed
/// request's headers (host/tests/canary.rs greps a trace log for every secret).
fn quiet_enough(target: &str, level: tracing::Level) -> bool {
    target.starts_with("roleport") || level <= tracing::Level::INFO
}

/// A terminal command's runtime: one thread. A command waits on one request at a time, so
/// worker threads would only hand its futures back and forth (measured: ~0.8 ms of a cold
/// `roleport url`); blocking work still goes to tokio's blocking pool.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The native-messaging host's runtime: the browser's requests are served concurrently.
fn host_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
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
    let service = match Endpoints::from_env() {
        Ok(endpoints) => Arc::new(Service::new(endpoints)),
        Err(e) => {
            tracing::error!("cannot start: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let record = crate::record::from_env();
    let rt = match host_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("{e:#}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(crate::ipc::serve_browser(
        caller.browser(),
        std::io::stdin(),
        std::io::stdout(),
        service,
        record,
    ));
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    #[test]
    fn other_crates_never_log_below_info_whatever_roleport_log_says() {
        assert!(super::quiet_enough("roleport::federation", Level::TRACE));
        assert!(super::quiet_enough("aws_config::profile", Level::WARN));
        assert!(super::quiet_enough(
            "aws_smithy_runtime::client",
            Level::INFO
        ));
        assert!(!super::quiet_enough(
            "aws_smithy_runtime::client",
            Level::DEBUG
        ));
        assert!(!super::quiet_enough(
            "aws_sigv4::http_request::sign",
            Level::TRACE
        ));
        assert!(!super::quiet_enough("hyper_util::client", Level::TRACE));
    }
}
