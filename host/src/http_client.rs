//! roleport's HTTP clients: the sign-in calls (getSigninToken, the SAML sign-in) and, through
//! [`crate::sdk_http`], the AWS SDK's. One per trust (the OS store, or a CA bundle) per process,
//! made only when a call needs it.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::error::HostError;

/// The variable the AWS CLI and SDKs read a CA bundle from; it wins over a profile's `ca_bundle`.
pub const CA_BUNDLE_VAR: &str = "AWS_CA_BUNDLE";

/// The certificate authorities a client trusts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Trust {
    /// The OS trust store (which honours `SSL_CERT_FILE` and `SSL_CERT_DIR`).
    #[default]
    System,
    /// Only the certificates of a PEM file, as the AWS CLI trusts them: a company's TLS
    /// proxy, a private endpoint.
    Bundle {
        /// The PEM file.
        path: PathBuf,
        /// Who named it, for messages: `AWS_CA_BUNDLE`, or a profile's `ca_bundle`.
        named_by: String,
    },
}

impl Trust {
    /// What a call made for `profile` trusts: `AWS_CA_BUNDLE` (`env`), else the profile's
    /// `ca_bundle`, else the OS store, in the AWS CLI's order. `~/` is the home directory.
    pub fn of(env: Option<&str>, profile: &str, configured: Option<&str>) -> Trust {
        let home = |path: &str| {
            (path.strip_prefix("~/"))
                .and_then(|rest| Some(dirs::home_dir()?.join(rest)))
                .unwrap_or_else(|| PathBuf::from(path))
        };
        match (env.map(str::trim), configured.map(str::trim)) {
            (Some(var), _) if !var.is_empty() => Trust::Bundle {
                path: home(var),
                named_by: CA_BUNDLE_VAR.to_owned(),
            },
            (_, Some(key)) if !key.is_empty() => Trust::Bundle {
                path: home(key),
                named_by: format!("`ca_bundle` of profile `{profile}`"),
            },
            _ => Trust::System,
        }
    }

    /// What a call made for no profile trusts (an SSO login, a sync, a SAML sign-in).
    pub fn from_env() -> Trust {
        Trust::of(std::env::var(CA_BUNDLE_VAR).ok().as_deref(), "", None)
    }
}

/// Building a client on the OS store reads it: Debian's takes ~18 M instructions (8–15 ms on
/// these machines), which a host that only greets and lists profiles never needs, and which a
/// sign-in starts on a blocking thread as it begins ([`SharedClient::prepare`]). One client
/// for the SDK and the sign-in reads it once (the SDK's own client would read it again, on
/// the way to its first call).
#[derive(Clone, Debug, Default)]
pub struct SharedClient {
    trust: Trust,
    built: Arc<OnceLock<Result<reqwest::Client, String>>>,
}

tokio::task_local! {
    /// The client of the sign-in this task is doing: the SDK's calls, however deep in a
    /// credential chain, send through it without each step being handed it.
    static SIGNING_IN: SharedClient;
}

impl SharedClient {
    /// The process's client for `trust`, shared by every caller.
    pub fn trusting(trust: &Trust) -> SharedClient {
        static ALL: Mutex<Vec<SharedClient>> = Mutex::new(Vec::new());
        let mut all = ALL.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = all.iter().find(|c| c.trust == *trust) {
            return client.clone();
        }
        let client = SharedClient {
            trust: trust.clone(),
            built: Arc::default(),
        };
        all.push(client.clone());
        client
    }

    /// The process's client for calls made for no profile ([`Trust::from_env`]).
    pub fn process() -> SharedClient {
        SharedClient::trusting(&Trust::from_env())
    }

    /// The client of the sign-in running on this task ([`SharedClient::scope`]), else
    /// [`SharedClient::process`].
    pub fn current() -> SharedClient {
        SIGNING_IN
            .try_with(SharedClient::clone)
            .unwrap_or_else(|_| SharedClient::process())
    }

    /// `work`, run with this client as [`SharedClient::current`]. Not an `async fn`: that
    /// would hold `work` twice in its state, and every request's future is as big as the
    /// biggest one's.
    pub fn scope<F: Future>(self, work: F) -> impl Future<Output = F::Output> {
        SIGNING_IN.scope(self, work)
    }

    /// Starts building the client on a blocking thread, unless it is built or being built.
    pub fn prepare(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.built.get().is_none() {
            let (cell, trust) = (self.built.clone(), self.trust.clone());
            drop(runtime.spawn_blocking(move || cell.get_or_init(|| build(&trust)).is_ok()));
        }
    }

    /// The client: built now, or once [`SharedClient::prepare`]'s build ends (a wait of a few
    /// milliseconds at most, on this thread).
    pub fn get(&self) -> Result<&reqwest::Client, HostError> {
        let built = self.built.get_or_init(|| build(&self.trust));
        built.as_ref().map_err(|why| HostError::HttpClient {
            bundle: match &self.trust {
                Trust::System => None,
                Trust::Bundle { path, named_by } => Some((path.clone(), named_by.clone())),
            },
            why: why.clone(),
        })
    }
}

fn build(trust: &Trust) -> Result<reqwest::Client, String> {
    let builder = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none());
    let builder = match trust {
        Trust::System => builder,
        // The bundle replaces the OS store, as it does for the AWS CLI (and the store is not
        // read at all).
        Trust::Bundle { path, .. } => bundle(path)?
            .into_iter()
            .fold(builder.tls_built_in_root_certs(false), |b, cert| {
                b.add_root_certificate(cert)
            }),
    };
    builder.build().map_err(|e| e.to_string())
}

fn bundle(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| format!("{} is not a PEM bundle: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no PEM certificate", path.display()));
    }
    Ok(certs)
}

#[cfg(test)]
#[path = "http_client_tests.rs"]
mod tests;
