//! `roleport audit`: what was issued and opened, when, for whom.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use aws_smithy_types::date_time::{DateTime, Format};

use crate::audit::{self, Filter};

/// `roleport audit`.
#[derive(clap::Args)]
pub struct AuditArgs {
    /// Only records newer than this: a duration (`2h`, `7days`) or an RFC 3339 time.
    #[arg(long)]
    since: Option<String>,
    /// Only this profile.
    #[arg(long)]
    profile: Option<String>,
    /// One JSON object per line, as stored.
    #[arg(long)]
    json: bool,
}

/// Runs `roleport audit`.
pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let since = args.since.as_deref().map(since).transpose()?;
    let records = audit::read(&Filter {
        since,
        profile: args.profile,
    })?;
    let mut out = std::io::stdout().lock();
    for r in records {
        if args.json {
            writeln!(out, "{}", serde_json::to_string(&r)?)?;
            continue;
        }
        let what = match (r.event, r.action.as_deref()) {
            (audit::Event::Console, _) => "console".to_owned(),
            (audit::Event::Credentials, Some(action)) => action.to_owned(),
            (audit::Event::Credentials, None) => "credentials".to_owned(),
        };
        let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "{}  {:<7} {:<18} {:<20} {:<14} {:<20} {}",
            r.time,
            serde_json::to_value(r.requester)?
                .as_str()
                .unwrap_or_default(),
            what,
            r.profile,
            dash(r.account_id),
            dash(r.role),
            dash(r.session_name),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn since(text: &str) -> anyhow::Result<SystemTime> {
    if let Ok(ago) = humantime::parse_duration(text) {
        return Ok(SystemTime::now()
            .checked_sub(ago)
            .unwrap_or(SystemTime::UNIX_EPOCH));
    }
    let at = DateTime::from_str(text, Format::DateTime).map_err(|_| {
        anyhow::anyhow!("--since `{text}` is neither a duration (2h, 7days) nor an RFC 3339 time")
    })?;
    Ok(SystemTime::try_from(at).unwrap_or(SystemTime::UNIX_EPOCH + Duration::ZERO))
}
