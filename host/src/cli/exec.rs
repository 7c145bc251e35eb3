//! `roleport exec PROFILE -- CMD…` and `roleport credential-process PROFILE`: a profile's
//! credentials for other programs — in the environment of a command (as `aws-vault exec`
//! does), or as the version-1 JSON of the AWS `credential_process` protocol.

use std::process::{Command, ExitCode};

use serde_json::json;

use super::mfa_prompt::with_mfa;
use crate::audit::Requester;
use crate::config::{AwsConfig, Plan};
use crate::credentials::mfa::MfaSessions;
use crate::credentials::{self, Issued};
use crate::error::HostError;
use crate::http_client::{SharedClient, Trust};

/// `roleport exec`.
#[derive(clap::Args)]
pub struct ExecArgs {
    /// Profile name from ~/.aws/config or ~/.aws/credentials.
    profile: String,
    /// The current MFA code, when the profile's source has an MFA device (else roleport asks
    /// on the terminal).
    #[arg(long)]
    mfa_code: Option<String>,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<String>,
}

/// `roleport credential-process`.
#[derive(clap::Args)]
pub struct CredentialProcessArgs {
    /// Profile name from ~/.aws/config or ~/.aws/credentials.
    profile: String,
    /// The current MFA code (else roleport asks on the terminal).
    #[arg(long)]
    mfa_code: Option<String>,
}

/// Variables a child must not inherit: they would name other credentials than the ones given.
const CLEARED: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
];

/// Runs `roleport exec`: the command gets the credentials in its environment; roleport's exit
/// status is the command's.
pub fn exec(args: ExecArgs) -> anyhow::Result<ExitCode> {
    let (plan, issued) = resolve_and_run(&args.profile, args.mfa_code)?;
    let Some((program, rest)) = args.command.split_first() else {
        anyhow::bail!("no command given after `--`");
    };
    let mut cmd = Command::new(program);
    cmd.args(rest);
    for var in CLEARED {
        cmd.env_remove(var);
    }
    for (k, v) in environment(&plan, &issued) {
        cmd.env(k, v);
    }
    run(cmd, program)
}

/// Runs `roleport credential-process`: the JSON goes to stdout alone.
pub fn credential_process(args: CredentialProcessArgs) -> anyhow::Result<ExitCode> {
    let (_, issued) = resolve_and_run(&args.profile, args.mfa_code)?;
    let c = &issued.credentials;
    let mut out = json!({
        "Version": 1,
        "AccessKeyId": c.access_key_id(),
        "SecretAccessKey": c.secret_access_key(),
    });
    if let Some(obj) = out.as_object_mut() {
        if let Some(token) = c.session_token() {
            obj.insert("SessionToken".into(), token.into());
        }
        if let Some(at) = &issued.expires_at {
            obj.insert("Expiration".into(), at.as_str().into());
        }
    }
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// The variables `exec` sets, as aws-vault sets them.
pub fn environment(plan: &Plan, issued: &Issued) -> Vec<(&'static str, String)> {
    let c = &issued.credentials;
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", c.access_key_id().to_owned()),
        ("AWS_SECRET_ACCESS_KEY", c.secret_access_key().to_owned()),
        ("ROLEPORT_PROFILE", plan.profile.clone()),
    ];
    if let Some(token) = c.session_token() {
        vars.push(("AWS_SESSION_TOKEN", token.to_owned()));
    }
    if let Some(at) = &issued.expires_at {
        vars.push(("AWS_CREDENTIAL_EXPIRATION", at.clone()));
    }
    // Only a region the profile names: otherwise the caller's own AWS_REGION stays.
    if let Some(region) = &plan.region {
        vars.push(("AWS_REGION", region.clone()));
        vars.push(("AWS_DEFAULT_REGION", region.clone()));
    }
    // The CAs roleport's own calls trusted: with AWS_PROFILE unset, the command could not
    // read the profile's `ca_bundle` (a company's TLS proxy) itself.
    if let Trust::Bundle { path, .. } = &plan.trust {
        if let Some(path) = path.to_str() {
            vars.push(("AWS_CA_BUNDLE", path.to_owned()));
        }
    }
    vars
}

fn resolve_and_run(profile: &str, mfa_code: Option<String>) -> anyhow::Result<(Plan, Issued)> {
    let rt = super::runtime()?;
    rt.block_on(async {
        let plan = AwsConfig::load().await?.plan(profile)?;
        let mfa = MfaSessions::default();
        let issued = with_mfa(mfa_code, |code| {
            let (plan, mfa) = (&plan, &mfa);
            async move {
                let ctx = credentials::Context {
                    requester: Requester::Exec,
                    mfa,
                    mfa_code: code.as_deref(),
                    password: None,
                };
                let http = SharedClient::trusting(&plan.trust);
                http.scope(credentials::for_programs(plan, &ctx)).await
            }
        })
        .await?;
        Ok::<_, HostError>((plan, issued))
    })
    .map_err(|e| anyhow::anyhow!("{e}\nhint: {}", e.hint()).context(e.code()))
}

/// Replaces roleport with the command where the OS allows (signals and exit status then
/// belong to the command alone), else waits for it.
fn run(mut cmd: Command, program: &str) -> anyhow::Result<ExitCode> {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = cmd.exec();
        eprintln!("roleport: cannot run `{program}`: {err}");
        Ok(ExitCode::from(127))
    }
    #[cfg(not(unix))]
    {
        let status = cmd
            .status()
            .map_err(|e| anyhow::anyhow!("cannot run `{program}`: {e}"))?;
        let code = status.code().unwrap_or(1);
        Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
    }
}
