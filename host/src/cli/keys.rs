//! `roleport add | remove | keys`: long-term keys in roleport's store (the OS keyring, or an
//! encrypted file). No command here prints a secret, or even an access key ID.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};
use secrecy::SecretString;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::store::{self, AccessKey, Store, StoreConfig, StoreError};

/// `roleport add`.
#[derive(clap::Args)]
pub struct AddArgs {
    /// The profile's name, as in ~/.aws/config.
    profile: String,
    /// Read the keys from stdin instead of asking: two lines (access key ID, then secret
    /// access key), or JSON (`{"AccessKeyId": …, "SecretAccessKey": …}`, as
    /// `aws iam create-access-key` prints it).
    #[arg(long)]
    stdin: bool,
    /// Replace keys already stored for this profile.
    #[arg(long)]
    force: bool,
    /// Store the password of the profile's Cognito user instead of access keys (asked on
    /// the terminal, not shown; with --stdin, the first line of stdin).
    #[arg(long)]
    cognito_password: bool,
}

/// `roleport remove`.
#[derive(clap::Args)]
pub struct RemoveArgs {
    /// The profile whose stored keys to forget.
    profile: String,
    /// Forget the profile's Cognito password instead of its keys.
    #[arg(long)]
    cognito_password: bool,
}

/// `roleport keys`.
#[derive(clap::Args)]
pub struct KeysArgs {
    /// Print JSON: `[{"profile": …, "backend": "keyring" | "file"}]`.
    #[arg(long)]
    json: bool,
}

/// A store error as the CLI shows it: what happened, then what to do.
pub(crate) fn with_hint(e: StoreError) -> anyhow::Error {
    let hint = e.hint();
    anyhow::anyhow!("{e}\nhint: {hint}")
}

/// Runs `roleport add`.
pub fn add(args: AddArgs) -> anyhow::Result<ExitCode> {
    store::check_profile_name(&args.profile).map_err(with_hint)?;
    let store = Store::open().map_err(with_hint)?;
    if args.cognito_password {
        return add_cognito_password(&store, &args);
    }
    if !args.force && store.list().map_err(with_hint)?.contains(&args.profile) {
        bail!(
            "roleport's store already holds keys for `{0}`\n\
             hint: replace them with `roleport add {0} --force`",
            args.profile
        );
    }
    let key = if args.stdin {
        let mut text = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_to_string(&mut text)
            .context("reading the keys from stdin")?;
        parse_key_input(&text).map_err(with_hint)?
    } else {
        prompt_key().map_err(with_hint)?
    };
    store.put(&args.profile, &key).map_err(with_hint)?;
    writeln!(
        std::io::stdout().lock(),
        "stored the keys of `{}` in {}",
        args.profile,
        store.describe()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `roleport remove`.
pub fn remove(args: RemoveArgs) -> anyhow::Result<ExitCode> {
    store::check_profile_name(&args.profile).map_err(with_hint)?;
    let store = Store::open_with(StoreConfig::from_env(true).map_err(with_hint)?.with_choice(
        // Removing needs only the backends the index names, not a choice for new keys.
        store::BackendChoice::File,
    ))
    .map_err(with_hint)?;
    if args.cognito_password {
        if store
            .remove_cognito_password(&args.profile)
            .map_err(with_hint)?
        {
            writeln!(
                std::io::stdout().lock(),
                "removed the Cognito password of `{}` from roleport's store",
                args.profile
            )?;
            return Ok(ExitCode::SUCCESS);
        }
        bail!(
            "roleport's store holds no Cognito password for `{}`",
            args.profile
        );
    }
    if store.remove(&args.profile).map_err(with_hint)? {
        writeln!(
            std::io::stdout().lock(),
            "removed the keys of `{}` from roleport's store",
            args.profile
        )?;
        Ok(ExitCode::SUCCESS)
    } else {
        bail!(
            "roleport's store holds no keys for `{}`\nhint: `roleport keys` lists the profiles it holds",
            args.profile
        )
    }
}

/// Runs `roleport keys`: the profiles with stored keys and where each is. Names only.
pub fn keys(args: KeysArgs) -> anyhow::Result<ExitCode> {
    let config = StoreConfig::from_env(false).map_err(with_hint)?;
    let stored = store::stored_in(&config).map_err(with_hint)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let list: Vec<_> = stored
            .iter()
            .map(|(profile, backend)| serde_json::json!({"profile": profile, "backend": backend}))
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if stored.is_empty() {
        writeln!(
            out,
            "no keys in roleport's store ({}); add some with `roleport add PROFILE`",
            config.dir.display()
        )?;
    }
    for (profile, backend) in stored {
        writeln!(out, "{profile:<32} {backend}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Keys from `--stdin`: two lines (ID, secret) or JSON, flat or under `AccessKey`.
pub(crate) fn parse_key_input(text: &str) -> Result<AccessKey, StoreError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        #[derive(Deserialize)]
        struct Json {
            #[serde(alias = "AccessKeyId", alias = "aws_access_key_id")]
            access_key_id: Option<String>,
            #[serde(alias = "SecretAccessKey", alias = "aws_secret_access_key")]
            secret_access_key: Option<String>,
            #[serde(rename = "AccessKey")]
            access_key: Option<Box<Json>>,
        }
        let json: Json = serde_json::from_str(trimmed).map_err(|e| {
            StoreError::InvalidKey(format!(
                "stdin is not the JSON roleport reads (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let json = match json.access_key {
            Some(inner) => *inner,
            None => json,
        };
        let (Some(id), Some(secret)) = (json.access_key_id, json.secret_access_key) else {
            return Err(StoreError::InvalidKey(
                "the JSON needs AccessKeyId and SecretAccessKey".into(),
            ));
        };
        return AccessKey::new(id, SecretString::from(secret));
    }
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    match (lines.next(), lines.next(), lines.next()) {
        (Some(id), Some(secret), None) => AccessKey::new(id, SecretString::from(secret)),
        _ => Err(StoreError::InvalidKey(
            "stdin must hold two lines: the access key ID, then the secret access key".into(),
        )),
    }
}

/// `roleport add PROFILE --cognito-password`: the Cognito user's password, for profiles
/// with `roleport_cognito_*` keys. Replaces one already stored only with `--force`.
fn add_cognito_password(store: &Store, args: &AddArgs) -> anyhow::Result<ExitCode> {
    if !args.force
        && store
            .cognito_password(&args.profile)
            .map_err(with_hint)?
            .is_some()
    {
        bail!(
            "roleport's store already holds a Cognito password for `{0}`\n\
             hint: replace it with `roleport add {0} --cognito-password --force`",
            args.profile
        );
    }
    let password = if args.stdin {
        let mut text = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_to_string(&mut text)
            .context("reading the password from stdin")?;
        // The first line, as `printf '%s\n' "$PASSWORD" | roleport add …` sends it.
        SecretString::from(text.lines().next().unwrap_or_default())
    } else {
        if !std::io::stdin().is_terminal() {
            bail!("stdin is not a terminal: pipe the password in with --stdin");
        }
        let typed = rpassword::prompt_password("Cognito password (not shown): ")
            .context("reading the password from the terminal")?;
        SecretString::from(typed)
    };
    store
        .put_cognito_password(&args.profile, &password)
        .map_err(with_hint)?;
    writeln!(
        std::io::stdout().lock(),
        "stored the Cognito password of `{}` in {}",
        args.profile,
        store.describe()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn prompt_key() -> Result<AccessKey, StoreError> {
    let io = |e| StoreError::io("reading from", std::path::Path::new("the terminal"), e);
    if !std::io::stdin().is_terminal() {
        return Err(StoreError::InvalidKey(
            "stdin is not a terminal: pipe the keys in with --stdin".into(),
        ));
    }
    eprint!("AWS Access Key ID: ");
    let mut id = String::new();
    std::io::stdin().lock().read_line(&mut id).map_err(io)?;
    let secret = rpassword::prompt_password("AWS Secret Access Key (not shown): ").map_err(io)?;
    AccessKey::new(id.trim(), SecretString::from(secret))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn stdin_takes_two_lines_or_aws_json() {
        let two = parse_key_input("AKIDTEST00000001\n  s3cr3t/Key+x \n").expect("lines");
        assert_eq!(two.access_key_id(), "AKIDTEST00000001");
        assert_eq!(two.secret_access_key().expose_secret(), "s3cr3t/Key+x");
        let aws = parse_key_input(
            r#"{"AccessKey": {"UserName": "u", "AccessKeyId": "AKIDTEST00000002",
                "Status": "Active", "SecretAccessKey": "abc"}}"#,
        )
        .expect("create-access-key output");
        assert_eq!(aws.access_key_id(), "AKIDTEST00000002");
        let flat =
            parse_key_input(r#"{"access_key_id": "AKIDTEST00000003", "secret_access_key": "d"}"#)
                .expect("flat");
        assert_eq!(flat.secret_access_key().expose_secret(), "d");
    }

    #[test]
    fn bad_input_is_refused_without_echoing_it() {
        for bad in [
            "only-one-line",
            "a\nb\nc",
            "{\"AccessKeyId\": \"AKIDTEST00000001\"}",
            "{oops s3cr3t",
        ] {
            let err = parse_key_input(bad).expect_err(bad);
            assert!(!err.to_string().contains("s3cr3t"), "{err}");
        }
    }
}
