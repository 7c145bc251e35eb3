//! `roleport doctor [--move-keys]`: checks the setup and says the command that fixes each
//! problem. `--move-keys` first moves plaintext keys from the AWS files into the store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use aws_smithy_types::date_time::{DateTime, Format};

use crate::config::AwsConfig;
use crate::install::{self, Browser, Status};
use crate::store::plaintext::{self, AwsFile};
use crate::store::{self, Backend, Store, StoreConfig};

use super::keys::with_hint;

/// `roleport doctor`.
#[derive(clap::Args)]
pub struct DoctorArgs {
    /// Move plaintext keys from ~/.aws/credentials and ~/.aws/config into roleport's store,
    /// after a 0600 backup of each file, and comment them out of the file.
    #[arg(long)]
    move_keys: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Ok,
    Info,
    Warn,
    Fail,
}

struct Report {
    out: std::io::StdoutLock<'static>,
    problems: usize,
}

impl Report {
    fn line(&mut self, level: Level, what: &str, detail: &str, fix: Option<&str>) {
        let tag = match level {
            Level::Ok => "ok",
            Level::Info => "--",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        };
        if matches!(level, Level::Warn | Level::Fail) {
            self.problems += 1;
        }
        let _ = writeln!(self.out, "{tag:<5} {what}: {detail}");
        if let Some(fix) = fix {
            let _ = writeln!(self.out, "      fix: {fix}");
        }
    }
}

/// Runs `roleport doctor`. Exits 1 when anything needs attention (a WARN or FAIL line).
pub fn run(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let mut report = Report {
        out: std::io::stdout().lock(),
        problems: 0,
    };
    if args.move_keys {
        move_keys(&mut report)?;
    }
    check_config(&mut report);
    check_settings(&mut report);
    check_store(&mut report);
    check_plaintext(&mut report);
    check_browsers(&mut report);
    check_clock(&mut report);
    if report.problems == 0 {
        let _ = writeln!(report.out, "all good");
        Ok(ExitCode::SUCCESS)
    } else {
        let _ = writeln!(report.out, "{} to fix", count(report.problems, "problem"));
        Ok(ExitCode::FAILURE)
    }
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn aws_files() -> Vec<(AwsFile, PathBuf)> {
    AwsFile::BOTH
        .into_iter()
        .filter_map(|f| Some((f, f.path()?)))
        .collect()
}

fn move_keys(report: &mut Report) -> anyhow::Result<()> {
    let store = Store::open().map_err(with_hint)?;
    let moved = plaintext::move_keys(&store, &aws_files()).map_err(with_hint)?;
    let target = store.describe();
    for profile in &moved.moved {
        report.line(
            Level::Ok,
            "moved",
            &format!("the keys of `{profile}` are now in {target}"),
            None,
        );
    }
    for (profile, why) in &moved.skipped {
        report.line(
            Level::Warn,
            "not moved",
            &format!("`{profile}`: {why}"),
            None,
        );
    }
    for path in &moved.rewritten {
        report.line(
            Level::Ok,
            "rewritten",
            &format!(
                "{} (key lines commented out, values removed)",
                path.display()
            ),
            None,
        );
    }
    for backup in &moved.backups {
        report.line(
            Level::Info,
            "backup",
            &format!(
                "{} (0600) still holds the old plaintext keys; delete it once you have \
                 checked that roleport works",
                backup.display()
            ),
            Some(&format!("rm {}", backup.display())),
        );
    }
    if moved.moved.is_empty() && moved.skipped.is_empty() {
        report.line(Level::Ok, "move keys", "no plaintext keys to move", None);
    } else if !moved.moved.is_empty() {
        report.line(
            Level::Info,
            "note",
            "the AWS CLI and SDKs no longer see the moved keys; roleport does",
            None,
        );
    }
    Ok(())
}

fn check_config(report: &mut Report) {
    let loaded = super::runtime().map(|rt| rt.block_on(AwsConfig::load()));
    match loaded {
        Ok(Ok(config)) => {
            let n = config.summaries().len();
            report.line(
                Level::Ok,
                "config",
                &format!(
                    "the AWS files parse; {} roleport can open",
                    count(n, "profile")
                ),
                None,
            );
        }
        Ok(Err(e)) => report.line(Level::Fail, "config", &e.to_string(), Some(&e.hint())),
        Err(e) => report.line(Level::Fail, "config", &format!("{e:#}"), None),
    }
}

/// roleport's own settings file: a broken one costs the colour rules, never the profiles.
fn check_settings(report: &mut Report) {
    let loaded = crate::settings::Loaded::load();
    let path = loaded.path.as_ref().map_or_else(
        || "(no home directory)".to_owned(),
        |p| p.display().to_string(),
    );
    match &loaded.error {
        Some(e) => report.line(Level::Fail, "settings", &e.to_string(), Some(&e.hint())),
        None => report.line(
            Level::Ok,
            "settings",
            &format!(
                "{path}: {}",
                count(loaded.settings.rules.len(), "colour rule")
            ),
            None,
        ),
    }
}

fn check_store(report: &mut Report) {
    let config = match StoreConfig::from_env(false) {
        Ok(c) => c,
        Err(e) => return report.line(Level::Fail, "store", &e.to_string(), Some(&e.hint())),
    };
    let stored = match store::stored_in(&config) {
        Ok(s) => s,
        Err(e) => return report.line(Level::Fail, "store", &e.to_string(), Some(&e.hint())),
    };
    match Store::open_with(config.clone()) {
        Ok(store) => {
            let level = if store.backend() == Backend::Keyring || stored.is_empty() {
                Level::Ok
            } else {
                Level::Info
            };
            report.line(
                level,
                "store",
                &format!(
                    "new keys go to {}; {} stored",
                    store.describe(),
                    count(stored.len(), "profile")
                ),
                None,
            );
            // Keyring items can be checked without a passphrase; a missing one is a problem.
            for (profile, backend) in &stored {
                if *backend == Backend::Keyring && store.backend() == Backend::Keyring {
                    let read = match profile.strip_prefix(store::COGNITO_ITEM_PREFIX) {
                        Some(cognito) => store.cognito_password(cognito).map(|_| ()),
                        None => store.get_key(profile).map(|_| ()),
                    };
                    if let Err(e) = read {
                        report.line(
                            Level::Warn,
                            "store",
                            &format!("`{profile}`: {e}"),
                            Some(&e.hint()),
                        );
                    }
                }
            }
        }
        Err(e) => report.line(Level::Fail, "store", &e.to_string(), Some(&e.hint())),
    }
    check_permissions(report, &config);
}

#[cfg(unix)]
fn check_permissions(report: &mut Report, config: &StoreConfig) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(&config.dir) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        report.line(
            Level::Warn,
            "store",
            &format!("{} is {mode:o}, readable by others", config.dir.display()),
            Some(&format!("chmod 700 {}", config.dir.display())),
        );
    }
    let Ok(entries) = std::fs::read_dir(&config.dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_file() && mode & 0o077 != 0 {
            report.line(
                Level::Warn,
                "store",
                &format!("{} is {mode:o}, readable by others", path.display()),
                Some(&format!("chmod 600 {}", path.display())),
            );
        }
    }
}

#[cfg(not(unix))]
fn check_permissions(_: &mut Report, _: &StoreConfig) {}

fn check_plaintext(report: &mut Report) {
    let mut any = false;
    for (file, path) in aws_files() {
        let text = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                report.line(
                    Level::Warn,
                    "plaintext keys",
                    &format!("cannot read {}: {e}", path.display()),
                    None,
                );
                continue;
            }
        };
        for found in plaintext::scan(&text, file) {
            any = true;
            if found.temporary {
                report.line(
                    Level::Info,
                    "plaintext keys",
                    &format!(
                        "temporary credentials for `{}` in {} (they expire; not moved)",
                        found.profile,
                        path.display()
                    ),
                    None,
                );
            } else {
                report.line(
                    Level::Warn,
                    "plaintext keys",
                    &format!(
                        "profile `{}` has its long-term keys in plaintext in {}",
                        found.profile,
                        path.display()
                    ),
                    Some("roleport doctor --move-keys"),
                );
            }
        }
    }
    if !any {
        report.line(
            Level::Ok,
            "plaintext keys",
            "none in the AWS credentials or config file",
            None,
        );
    }
}

fn check_browsers(report: &mut Report) {
    let targets = match install::targets(&Browser::ALL, None) {
        Ok(t) => t,
        Err(e) => return report.line(Level::Fail, "browsers", &e.to_string(), None),
    };
    let mut registered = 0;
    for t in &targets {
        let what = format!("host for {}", t.browser);
        match install::status(t) {
            Status::Ok { exe } => {
                registered += 1;
                report.line(
                    Level::Ok,
                    &what,
                    &format!("registered ({})", exe.display()),
                    None,
                );
            }
            Status::NotRegistered => report.line(Level::Info, &what, "not registered", None),
            Status::Broken(why) => report.line(
                Level::Warn,
                &what,
                &format!("registered but broken: {why}"),
                Some(&format!("roleport host install --browser {}", t.browser)),
            ),
        }
    }
    if registered == 0 {
        report.line(
            Level::Warn,
            "browsers",
            "no browser can start roleport",
            Some("roleport host install"),
        );
    }
}

/// SigV4 refuses requests more than five minutes off AWS's clock: a skewed laptop clock
/// shows up as baffling `SignatureDoesNotMatch` errors, so compare with STS's `Date`.
fn check_clock(report: &mut Report) {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_STS")
        .ok()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "https://sts.amazonaws.com/".into());
    let asked = SystemTime::now();
    let date = super::runtime().ok().and_then(|rt| {
        rt.block_on(async {
            let url = url::Url::parse(&endpoint).ok()?;
            let client = crate::http_client::SharedClient::process();
            let asked = client.get().ok()?.get(&url);
            let response = tokio::time::timeout(Duration::from_secs(5), asked)
                .await
                .ok()?
                .ok()?;
            let date = response
                .headers
                .get(http::header::DATE)?
                .to_str()
                .ok()?
                .to_owned();
            DateTime::from_str(&date, Format::HttpDate)
                .ok()
                .and_then(|d| SystemTime::try_from(d).ok())
        })
    });
    let Some(theirs) = date else {
        return report.line(
            Level::Info,
            "clock",
            &format!("not checked: no answer from {endpoint}"),
            None,
        );
    };
    let skew = match theirs.duration_since(asked) {
        Ok(ahead) => ahead.as_secs(),
        Err(behind) => behind.duration().as_secs(),
    };
    if skew > 300 {
        report.line(
            Level::Warn,
            "clock",
            &format!("{skew} s off AWS's clock: AWS refuses signatures more than 5 minutes off"),
            Some("turn on network time (e.g. `timedatectl set-ntp true`)"),
        );
    } else {
        report.line(
            Level::Ok,
            "clock",
            &format!("within {skew} s of STS ({endpoint})"),
            None,
        );
    }
}
