//! How roleport's client reaches a server: directly, or through the proxy the environment
//! names (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, as curl reads them); TLS by rustls; and a
//! connection begun ahead of the request that will use it ([`Connector::begin`]), so a
//! sign-in's TLS handshake with the sign-in host overlaps its STS call instead of following it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::uri::Scheme;
use http::Uri;
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tower_service::Service;

pub(super) type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A connection, TLS or (to a local endpoint override) plain.
pub(super) type Stream = MaybeHttpsStream<TokioIo<TcpStream>>;
type Connecting<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// How long a connection begun ahead waits for its request: servers close idle connections,
/// and a sign-in that needs it asks within a few round trips.
const BEGUN_LASTS: Duration = Duration::from_secs(10);

/// hyper's connector: TLS over [`Route`], handing out connections begun ahead first.
#[derive(Clone)]
pub(super) struct Connector {
    tls: HttpsConnector<Route>,
    begun: Arc<Mutex<Vec<Begun>>>,
}

/// A connection being made (or made) for a request not yet sent.
struct Begun {
    origin: Origin,
    at: Instant,
    connection: JoinHandle<Result<Stream, BoxError>>,
}

/// Scheme, host and port: which connections a request can use.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Origin(String, String, u16);

impl Origin {
    fn of(uri: &Uri) -> Option<Origin> {
        let scheme = uri.scheme()?;
        let port = uri
            .port_u16()
            .unwrap_or(if *scheme == Scheme::HTTPS { 443 } else { 80 });
        Some(Origin(scheme.to_string(), uri.host()?.to_owned(), port))
    }
}

impl Connector {
    /// `proxies`: [`Matcher::from_env`], but for tests.
    pub(super) fn new(tls: rustls::ClientConfig, proxies: Matcher) -> Connector {
        let mut direct = HttpConnector::new();
        direct.enforce_http(false); // the TLS layer above takes https URIs through it
        direct.set_nodelay(true);
        let route = Route {
            direct,
            proxies: Arc::new(proxies),
        };
        let tls = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(route);
        Connector {
            tls,
            begun: Arc::default(),
        }
    }

    /// Begins a connection to `uri`'s server on the current runtime, for the next request to
    /// it that finds no idle connection to reuse. One at a time per server; unused, it is
    /// closed after [`BEGUN_LASTS`].
    pub(super) fn begin(&self, uri: &Uri) {
        let (Some(origin), Ok(runtime)) = (Origin::of(uri), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let mut begun = self.begun.lock().unwrap_or_else(PoisonError::into_inner);
        prune(&mut begun);
        if begun.iter().any(|b| b.origin == origin) {
            return;
        }
        // The connectors below are always ready (`poll_ready` is a formality for them).
        let connecting = self.tls.clone().call(uri.clone());
        begun.push(Begun {
            origin,
            at: Instant::now(),
            connection: runtime.spawn(connecting),
        });
        let pending = Arc::downgrade(&self.begun);
        drop(runtime.spawn(async move {
            tokio::time::sleep(BEGUN_LASTS).await;
            if let Some(pending) = pending.upgrade() {
                let mut begun = pending.lock().unwrap_or_else(PoisonError::into_inner);
                prune(&mut begun);
            }
        }));
    }

    /// The connection begun for `uri`, if one is fresh.
    fn take(&self, uri: &Uri) -> Option<JoinHandle<Result<Stream, BoxError>>> {
        let origin = Origin::of(uri)?;
        let mut begun = self.begun.lock().unwrap_or_else(PoisonError::into_inner);
        prune(&mut begun);
        let at = begun.iter().position(|b| b.origin == origin)?;
        Some(begun.swap_remove(at).connection)
    }
}

/// Drops the connections begun longer than [`BEGUN_LASTS`] ago, closing them.
fn prune(begun: &mut Vec<Begun>) {
    begun.retain(|b| b.at.elapsed() < BEGUN_LASTS);
}

impl Service<Uri> for Connector {
    type Response = Stream;
    type Error = BoxError;
    type Future = Connecting<Stream>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.tls.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let begun = self.take(&uri);
        let mut tls = self.tls.clone();
        Box::pin(async move {
            if let Some(begun) = begun {
                // A begun connection that failed is tried again, as if never begun.
                if let Ok(Ok(stream)) = begun.await {
                    return Ok(stream);
                }
            }
            tls.call(uri).await
        })
    }
}

/// TCP to the server, or a `CONNECT` tunnel through the proxy the environment names for it.
/// Only `https` requests use a proxy: plain `http` goes only to local endpoint overrides.
#[derive(Clone)]
pub(super) struct Route {
    direct: HttpConnector,
    proxies: Arc<Matcher>,
}

impl Service<Uri> for Route {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Connecting<Self::Response>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let mut direct = self.direct.clone();
        let proxy = match self.proxies.intercept(&dst) {
            Some(proxy) if dst.scheme() == Some(&Scheme::HTTPS) => proxy,
            _ => return Box::pin(async move { Ok(direct.call(dst).await?) }),
        };
        if proxy.uri().scheme() != Some(&Scheme::HTTP) {
            let scheme = proxy.uri().scheme_str().unwrap_or("?").to_owned();
            return Box::pin(async move {
                Err(format!(
                    "the proxy variables name a {scheme}:// proxy; roleport speaks to http:// \
                     proxies (HTTP CONNECT) only"
                )
                .into())
            });
        }
        let mut tunnel = Tunnel::new(proxy.uri().clone(), direct);
        if let Some(auth) = proxy.basic_auth() {
            tunnel = tunnel.with_auth(auth.clone());
        }
        Box::pin(async move { Ok(tunnel.call(dst).await?) })
    }
}
