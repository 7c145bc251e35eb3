//! `roleport list` and `roleport url`: the profiles, and a sign-in URL for one.

use std::io::Write;
use std::process::ExitCode;

use roleport_protocol::{ListProfiles, OpenConsole, ProfilePage, Request, Response};

use super::mfa_prompt::with_mfa;
use crate::audit::Requester;
use crate::federation::Endpoints;
use crate::service::Service;

/// `roleport list`.
#[derive(clap::Args)]
pub struct ListArgs {
    /// Print JSON, as the extension receives it.
    #[arg(long)]
    json: bool,
}

/// `roleport url`.
#[derive(clap::Args)]
pub struct UrlArgs {
    /// Profile name from ~/.aws/config.
    profile: String,
    /// Console region (default: the profile's region).
    #[arg(long)]
    region: Option<String>,
    /// Console page to land on (a console URL or a path such as /ec2/home).
    #[arg(long)]
    destination: Option<String>,
    /// The current MFA code, when the profile's source has an MFA device (else roleport asks
    /// on the terminal).
    #[arg(long)]
    mfa_code: Option<String>,
}

/// Runs `roleport list`.
pub fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    // In process, not over a browser port: the whole list in one answer.
    let Response::ListProfiles(ProfilePage { list, .. }) =
        request(Request::ListProfiles(ListProfiles::whole()))?
    else {
        anyhow::bail!("unexpected answer to list_profiles");
    };
    // The profiles still list (with their own and default colours); the person learns why.
    if let Some(e) = &list.settings_error {
        eprintln!("roleport: {} ({})\nhint: {}", e.message, e.code, e.hint);
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    for p in list.profiles {
        let account = p.account_id.unwrap_or_else(|| "-".into());
        let role = p.role.unwrap_or_else(|| "-".into());
        let color = p.appearance.color.firefox();
        let label = p.appearance.label.as_deref().unwrap_or("");
        writeln!(
            out,
            "{:<24} {account:<14} {role:<24} {color:<9} {label}",
            p.name
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `roleport url`: the URL is a one-time secret, so it goes to stdout alone.
pub fn url(args: UrlArgs) -> anyhow::Result<ExitCode> {
    let endpoints = Endpoints::from_env().map_err(|e| anyhow::anyhow!(e))?;
    let service = Service::new(endpoints);
    let opened = super::runtime()?
        .block_on(with_mfa(args.mfa_code, |mfa_code| {
            let open = OpenConsole {
                profile: args.profile.clone(),
                region: args.region.clone(),
                destination: args.destination.clone(),
                mfa_code,
                service: None,
                password: None,
            };
            service.open_console(open, Requester::Cli)
        }))
        .map_err(|e| anyhow::anyhow!("{e}\nhint: {}", e.hint()).context(e.code()))?;
    for notice in &opened.notices {
        eprintln!("roleport: {notice}");
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        eprintln!(
            "roleport: this URL signs in to `{}` as whoever opens it: treat it like a password \
             (single use, valid 15 minutes)",
            opened.profile
        );
    }
    writeln!(std::io::stdout().lock(), "{}", opened.url)?;
    Ok(ExitCode::SUCCESS)
}

/// Answers one request in-process, as the host would for the extension.
pub fn request(req: Request) -> anyhow::Result<Response> {
    let endpoints = Endpoints::from_env().map_err(|e| anyhow::anyhow!(e))?;
    let service = Service::new(endpoints).with_requester(Requester::Cli);
    super::runtime()?
        .block_on(service.handle(req))
        .map_err(|e| anyhow::anyhow!("{}\nhint: {}", e.message, e.hint).context(e.code))
}
