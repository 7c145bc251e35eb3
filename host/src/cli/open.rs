//! `roleport open` (the console in the running browser) and `roleport services`.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use roleport_protocol::{ErrorCode, OpenConsole, OpenedInBrowser, Place, ProtocolError};

use crate::services;

/// `roleport open`.
#[derive(clap::Args)]
pub struct OpenArgs {
    /// Profile name from ~/.aws/config.
    profile: String,
    /// Console service to land on, e.g. ec2, s3, iam (`roleport services` lists them).
    #[arg(long, short = 's', conflicts_with = "destination")]
    service: Option<String>,
    /// Console region (default: the profile's region).
    #[arg(long, short = 'r')]
    region: Option<String>,
    /// Console page to land on (a console URL or a path such as /ec2/home).
    #[arg(long, short = 'd')]
    destination: Option<String>,
    /// The running browser to open it in (default: the one whose roleport host started last).
    #[arg(long, value_enum)]
    browser: Option<BrowserArg>,
    /// The current code of the profile's MFA device (asked for on a terminal when needed).
    #[arg(long)]
    mfa_code: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// A browser family on the command line.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum BrowserArg {
    /// Firefox (containers).
    Firefox,
    /// Chromium, Chrome, Edge, Brave, Vivaldi (tab groups).
    Chromium,
}

/// `roleport services`.
#[derive(clap::Args)]
pub struct ServicesArgs {
    /// Print JSON: `[{"name", "title", "path", "aliases"}]`.
    #[arg(long)]
    json: bool,
}

/// Exit status when no browser runs roleport's host: distinct, so scripts can tell.
pub const EXIT_NO_BROWSER: u8 = 3;

/// Runs `roleport services`. A reader that stops early (`| head`) is not an error.
pub fn list_services(args: ServicesArgs) -> anyhow::Result<ExitCode> {
    match write_services(&args) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        other => other.map(|()| ExitCode::SUCCESS).map_err(Into::into),
    }
}

fn write_services(args: &ServicesArgs) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if args.json {
        let all: Vec<_> = services::all()
            .iter()
            .map(|s| serde_json::json!({"name": s.name, "title": s.title, "path": s.path, "aliases": s.aliases}))
            .collect();
        let text = serde_json::to_string_pretty(&all).map_err(std::io::Error::other)?;
        return writeln!(out, "{text}");
    }
    for s in services::all() {
        let names = if s.aliases.is_empty() {
            s.name.to_owned()
        } else {
            format!("{} ({})", s.name, s.aliases.join(", "))
        };
        writeln!(out, "{names:<28} {:<38} {}", s.title, s.path)?;
    }
    Ok(())
}

/// Runs `roleport open`.
#[cfg(unix)]
pub fn open(args: OpenArgs) -> anyhow::Result<ExitCode> {
    use roleport_protocol::{Browser, Outcome, Reply, Request, Response};

    use crate::ipc::client::{self, ClientError};
    use crate::ipc::dir;

    /// STS and the sign-in endpoint (20 s each at worst) plus the browser's confirmation.
    const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

    let only = args.browser.map(|b| match b {
        BrowserArg::Firefox => Browser::Firefox,
        BrowserArg::Chromium => Browser::Chromium,
    });
    let dir = dir::runtime_dir();
    let rt = super::runtime()?;
    let mut mfa_code = args.mfa_code.clone();
    let mut asked = 0;
    loop {
        let request = Request::OpenInBrowser(OpenConsole {
            profile: args.profile.clone(),
            region: args.region.clone(),
            service: args.service.clone(),
            destination: args.destination.clone(),
            mfa_code: mfa_code.take(),
            // The terminal has `roleport add PROFILE --cognito-password` instead.
            password: None,
        });
        let error = match rt.block_on(client::request(&dir, only, request, TIMEOUT)) {
            Ok((
                _,
                Reply {
                    outcome: Outcome::Ok(Response::OpenInBrowser(opened)),
                    ..
                },
            )) => {
                let mut out = std::io::stdout().lock();
                if args.json {
                    writeln!(out, "{}", serde_json::to_string(&opened)?)?;
                } else {
                    writeln!(out, "{}", describe(&opened))?;
                }
                return Ok(ExitCode::SUCCESS);
            }
            Ok((
                _,
                Reply {
                    outcome: Outcome::Err(error),
                    ..
                },
            )) => error,
            Ok((browser, _)) => anyhow::bail!(
                "the {} host answered open_in_browser with another result: update roleport",
                browser.as_str()
            ),
            Err(e @ ClientError::NoHost { .. }) => {
                let which = only.map_or("Firefox or Chromium", |b| match b {
                    Browser::Firefox => "Firefox",
                    Browser::Chromium => "Chromium",
                });
                eprintln!("roleport: {e}");
                eprintln!(
                    "hint: start {which} with the roleport extension (the extension starts the host); \
                     if it is already running, click the roleport toolbar icon once so it reconnects, \
                     then run this again. `roleport host status` checks the registration; \
                     `roleport url {}` prints a sign-in URL to paste instead.",
                    args.profile
                );
                return Ok(ExitCode::from(EXIT_NO_BROWSER));
            }
            Err(e) => {
                eprintln!("roleport: {e}");
                eprintln!("hint: run the command again; if it keeps failing, restart the browser.");
                return Ok(ExitCode::FAILURE);
            }
        };
        let mfa = matches!(error.code, ErrorCode::MfaRequired | ErrorCode::MfaInvalid);
        if mfa && asked < 3 && std::io::stdin().is_terminal() {
            eprintln!("{}", error.message);
            mfa_code = Some(ask("MFA code: ")?);
            asked += 1;
            continue;
        }
        report(&error);
        return Ok(ExitCode::FAILURE);
    }
}

/// Runs `roleport open` where there is no local socket.
#[cfg(not(unix))]
pub fn open(_args: OpenArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`roleport open` needs a Unix socket; on this system use `roleport url`")
}

/// One line a person reads: what opened where.
pub fn describe(opened: &OpenedInBrowser) -> String {
    let who = match (&opened.account_id, &opened.role) {
        (Some(a), Some(r)) => format!(" ({a}, {r})"),
        (Some(a), None) => format!(" ({a})"),
        _ => String::new(),
    };
    let place = match &opened.tab.place {
        Place::Container(id) => format!("container \"{}\" ({id})", opened.tab.profile),
        Place::Group(id) => format!("tab group \"{}\" ({id})", opened.tab.profile),
    };
    format!(
        "opened {}{who} in {}, {place}, tab {}",
        opened.tab.profile,
        opened.browser.as_str(),
        opened.tab.tab_id
    )
}

fn report(error: &ProtocolError) {
    eprintln!("roleport: {} ({})", error.message, error.code);
    eprintln!("hint: {}", error.hint);
}

fn ask(prompt: &str) -> anyhow::Result<String> {
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleport_protocol::{Browser, OpenedTab};

    #[test]
    fn the_summary_names_profile_account_browser_and_place() {
        let opened = OpenedInBrowser {
            browser: Browser::Firefox,
            tab: OpenedTab {
                profile: "prod".into(),
                tab_id: 4,
                place: Place::Container("firefox-container-2".into()),
                notices: Vec::new(),
            },
            account_id: Some("111111111111".into()),
            role: Some("Admin".into()),
        };
        assert_eq!(
            describe(&opened),
            "opened prod (111111111111, Admin) in firefox, container \"prod\" (firefox-container-2), tab 4"
        );
    }
}
