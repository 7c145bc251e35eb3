//! roleport's HTTP clients: the sign-in calls (getSigninToken) and, through
//! [`crate::sdk_http`], the AWS SDK's. One per trust (the OS store, or a CA bundle) per process,
//! made only when a call needs it: hyper's pooled HTTP/1.1 client over rustls, with the proxy
//! variables honoured and connections begun ahead ([`connect`]).

mod connect;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use url::Url;

use crate::error::{chain, HostError};

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
/// sign-in starts on a blocking thread as it begins ([`SharedClient::begin`]). One client
/// for the SDK and the sign-in reads it once (the SDK's own client would read it again, on
/// the way to its first call).
#[derive(Clone, Debug, Default)]
pub struct SharedClient {
    trust: Trust,
    built: Arc<OnceLock<Result<Client, String>>>,
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

    /// Begins a connection to `url`'s server ([`Client::begin`]), building the client first
    /// on a blocking thread when it is not built: neither holds up this thread.
    pub fn begin(&self, url: &Url) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if let Some(Ok(client)) = self.built.get() {
            return client.begin(url);
        }
        let (cell, trust, url) = (self.built.clone(), self.trust.clone(), url.clone());
        drop(runtime.spawn_blocking(move || {
            if let Ok(client) = cell.get_or_init(|| Client::new(&trust)) {
                client.begin(&url);
            }
        }));
    }

    /// The client: built now, or once [`SharedClient::begin`]'s build ends (a wait of a few
    /// milliseconds at most, on this thread).
    pub fn get(&self) -> Result<&Client, HostError> {
        let built = self.built.get_or_init(|| Client::new(&self.trust));
        built.as_ref().map_err(|why| HostError::HttpClient {
            bundle: match &self.trust {
                Trust::System => None,
                Trust::Bundle { path, named_by } => Some((path.clone(), named_by.clone())),
            },
            why: why.clone(),
        })
    }
}

/// What one request may take in all, connection and answer.
const TIMEOUT: Duration = Duration::from_secs(20);
/// The largest answer read: AWS's are a few kilobytes; a page of accounts, tens.
const MAX_BODY: usize = 8 << 20;

/// One HTTP/1.1 client: pooled connections, no redirects followed, [`TIMEOUT`] per request.
#[derive(Clone)]
pub struct Client {
    pool: legacy::Client<connect::Connector, Full<Bytes>>,
    connector: connect::Connector,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Client")
    }
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The whole body (at most [`MAX_BODY`] bytes).
    pub body: Bytes,
}

/// Why a request got no answer. Never carries the URL: a sign-in's holds the session.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// No whole answer within [`TIMEOUT`].
    #[error("timed out")]
    TimedOut,
    /// No connection: refused, unreachable, TLS refused (an unknown CA), the proxy's refusal.
    #[error("connection failed: {0}")]
    Connect(String),
    /// Connected, but the exchange broke off, or the answer was too big.
    #[error("request failed: {0}")]
    Failed(String),
}

impl Client {
    fn new(trust: &Trust) -> Result<Client, String> {
        Client::with_proxies(trust, Matcher::from_env())
    }

    fn with_proxies(trust: &Trust, proxies: Matcher) -> Result<Client, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots(trust)?)
            .with_no_client_auth();
        let connector = connect::Connector::new(tls, proxies);
        let pool = legacy::Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .build(connector.clone());
        Ok(Client { pool, connector })
    }

    /// Begins connecting to `url`'s server now, for a request about to be made to it (on the
    /// current runtime; nothing without one).
    pub fn begin(&self, url: &Url) {
        if let Ok(uri) = url.as_str().parse::<Uri>() {
            self.connector.begin(&uri);
        }
    }

    /// Sends `request` and reads its answer.
    pub async fn send(&self, request: Request<Bytes>) -> Result<Reply, HttpError> {
        let exchange = async {
            let response = (self.pool.request(request.map(Full::new)).await).map_err(|e| {
                if e.is_connect() {
                    HttpError::Connect(chain(&e))
                } else {
                    HttpError::Failed(chain(&e))
                }
            })?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_BODY)
                .collect()
                .await
                .map_err(|e| HttpError::Failed(chain(&*e)))?
                .to_bytes();
            Ok(Reply {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .unwrap_or(Err(HttpError::TimedOut))
    }

    /// `GET url`.
    pub async fn get(&self, url: &Url) -> Result<Reply, HttpError> {
        let request = Request::get(url.as_str())
            .body(Bytes::new())
            .map_err(|e| HttpError::Failed(e.to_string()))?;
        self.send(request).await
    }
}

/// The certificate authorities of `trust`. A bundle replaces the OS store, as it does for
/// the AWS CLI (and the store is not read at all).
fn roots(trust: &Trust) -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore::empty();
    match trust {
        Trust::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _unusable) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(format!(
                    "no usable certificate authority in the OS trust store{}",
                    found
                        .errors
                        .first()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ));
            }
        }
        Trust::Bundle { path, .. } => {
            for cert in bundle(path)? {
                roots.add(cert).map_err(|e| {
                    format!("{}: a certificate cannot be trusted: {e}", path.display())
                })?;
            }
        }
    }
    Ok(roots)
}

fn bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{} is not a PEM bundle: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no PEM certificate", path.display()));
    }
    Ok(certs)
}

#[cfg(test)]
#[path = "http_client_tests.rs"]
mod tests;
