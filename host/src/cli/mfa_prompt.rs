//! Asking for an MFA code at the terminal, the CLI's side of `mfa_required`.
//!
//! The question goes to the controlling terminal (`/dev/tty`), not stdin/stdout: under
//! `credential_process` the AWS CLI owns both, and `roleport url` prints only the URL.

use std::io::{BufRead, Write};

use crate::error::HostError;

/// How many codes a person may try before roleport gives up.
const ATTEMPTS: usize = 3;

/// Runs `attempt` with `code`; while it answers that a code is needed or was refused, and a
/// terminal can ask, asks for one and tries again.
pub async fn with_mfa<T, F, Fut>(code: Option<String>, mut attempt: F) -> Result<T, HostError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<T, HostError>>,
{
    let mut code = code;
    for _ in 0..ATTEMPTS {
        match attempt(code.take()).await {
            Err(HostError::MfaRequired { serial, .. }) => code = Some(ask(&serial, None)?),
            Err(HostError::MfaInvalid { serial, .. }) => {
                code = Some(ask(&serial, Some("AWS refused that code."))?);
            }
            other => return other,
        }
    }
    attempt(code).await
}

fn ask(serial: &str, before: Option<&str>) -> Result<String, HostError> {
    let unavailable = || HostError::MfaRequired {
        profile: "(no terminal to ask on)".into(),
        serial: serial.to_owned(),
    };
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| unavailable())?;
    let mut out = &tty;
    if let Some(line) = before {
        let _ = writeln!(out, "{line}");
    }
    let _ = write!(out, "MFA code for {serial}: ");
    let _ = out.flush();
    let mut line = String::new();
    std::io::BufReader::new(&tty)
        .read_line(&mut line)
        .map_err(|_| unavailable())?;
    Ok(line.trim().to_owned())
}
