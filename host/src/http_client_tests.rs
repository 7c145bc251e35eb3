//! The clients' trust, as the AWS CLI's: `AWS_CA_BUNDLE`, else a profile's `ca_bundle`, else
//! the OS store; a bundle replaces the store. `testdata/` holds a throwaway CA and a
//! certificate it signed for 127.0.0.1 (valid to 2126), for these tests only.

use std::path::PathBuf;

use rustls::pki_types::PrivateKeyDer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/testdata")
        .join(name)
}

fn bundle(path: PathBuf) -> Trust {
    Trust::Bundle {
        path,
        named_by: CA_BUNDLE_VAR.to_owned(),
    }
}

/// An HTTPS server on 127.0.0.1 with the test CA's certificate, answering `ok` to each
/// connection's one request; its URL, and how many connections it has accepted.
async fn https_server() -> (Url, Arc<AtomicUsize>) {
    let certs = CertificateDer::pem_file_iter(testdata("cert.pem"))
        .expect("cert.pem")
        .collect::<Result<Vec<_>, _>>()
        .expect("certificates");
    let key = PrivateKeyDer::from_pem_file(testdata("key.pem")).expect("key.pem");
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counted = accepted.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 1024];
                let _ = tls.read(&mut buf).await;
                let reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    let url = Url::parse(&format!("https://127.0.0.1:{port}/")).expect("url");
    (url, accepted)
}

/// An HTTP proxy that tunnels each `CONNECT` it is sent; its URL, and the request lines.
async fn connect_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    let mut byte = [0u8; 1];
                    if client.read_exact(&mut byte).await.is_err() {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let line = head.lines().next().unwrap_or_default().to_owned();
                seen.lock().expect("lock").push(line.clone());
                let target = line.split(' ').nth(1).unwrap_or_default().to_owned();
                let Ok(mut server) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                let _ = client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    (url, asked)
}

#[test]
fn the_variable_wins_over_the_profile_and_either_over_the_os_store() {
    let named = |t: Trust| match t {
        Trust::Bundle { path, named_by } => Some((path, named_by)),
        Trust::System => None,
    };
    assert_eq!(
        named(Trust::of(Some("/env.pem"), "prod", Some("/key.pem"))),
        Some(("/env.pem".into(), "AWS_CA_BUNDLE".into()))
    );
    assert_eq!(
        named(Trust::of(None, "prod", Some(" /key.pem "))),
        Some(("/key.pem".into(), "`ca_bundle` of profile `prod`".into()))
    );
    assert_eq!(
        named(Trust::of(Some(""), "prod", Some("/key.pem"))).map(|n| n.0),
        Some("/key.pem".into()),
        "an empty variable counts as unset"
    );
    assert_eq!(Trust::of(None, "prod", Some("")), Trust::System);
    assert_eq!(Trust::of(None, "prod", None), Trust::System);
    if let Some(home) = dirs::home_dir() {
        assert_eq!(
            named(Trust::of(None, "p", Some("~/ca.pem"))).map(|n| n.0),
            Some(home.join("ca.pem"))
        );
    }
}

#[tokio::test]
async fn a_bundle_trusts_its_ca_and_the_os_store_does_not() {
    let (url, _) = https_server().await;
    let trusted = SharedClient::trusting(&bundle(testdata("ca.pem")));
    let answer = trusted.get().expect("client").get(&url).await;
    assert_eq!(answer.expect("trusted").body, "ok");

    let system = SharedClient::trusting(&Trust::System);
    let refused = system.get().expect("client").get(&url).await;
    let why = refused.expect_err("the OS store does not know the test CA");
    assert!(
        matches!(&why, HttpError::Connect(c) if c.contains("UnknownIssuer")),
        "a person is told why: {why}"
    );
}

#[test]
fn a_bundle_that_cannot_be_used_is_a_coded_error_naming_who_set_it() {
    let empty = tempfile::NamedTempFile::new().expect("temp");
    for (path, says) in [
        (
            PathBuf::from("/nonexistent/ca.pem"),
            "cannot read /nonexistent/ca.pem",
        ),
        (empty.path().to_owned(), "holds no PEM certificate"),
    ] {
        let trust = Trust::of(None, "prod", path.to_str());
        let err = SharedClient::trusting(&trust).get().expect_err("unusable");
        let wire = err.to_protocol();
        assert_eq!(wire.code, roleport_protocol::ErrorCode::ConfigUnreadable);
        assert!(wire.message.contains(says), "{}", wire.message);
        assert!(
            wire.hint.contains("`ca_bundle` of profile `prod`"),
            "{}",
            wire.hint
        );
    }
}

#[test]
fn nothing_is_built_until_asked_and_then_once() {
    let client = SharedClient::trusting(&bundle(testdata("ca.pem")));
    let first: *const Client = client.get().expect("builds");
    let again = SharedClient::trusting(&bundle(testdata("ca.pem")));
    let second: *const Client = again.get().expect("built");
    assert_eq!(first, second, "one client per trust per process");
    let fresh = SharedClient::default();
    assert!(fresh.built.get().is_none(), "made on first use");
    fresh.begin(&Url::parse("https://example.com/").expect("url")); // outside a runtime: builds nothing, and does not panic
    assert!(fresh.built.get().is_none());
}

#[tokio::test]
async fn a_scope_is_the_current_client_of_its_task_only() {
    let trust = bundle(testdata("ca.pem"));
    let scoped = SharedClient::trusting(&trust);
    let inside = scoped.scope(async { SharedClient::current().trust }).await;
    assert_eq!(inside, trust);
    assert_eq!(
        SharedClient::current().trust,
        Trust::from_env(),
        "outside: the process's"
    );
}

#[tokio::test]
async fn begin_builds_it_in_the_background() {
    let client = SharedClient::default();
    client.begin(&Url::parse("https://127.0.0.1:9/").expect("url"));
    for _ in 0..500 {
        if client.built.get().is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("prepare built nothing within 5 s");
}

#[tokio::test]
async fn a_connection_begun_ahead_carries_the_next_request() {
    let (url, accepted) = https_server().await;
    let client = Client::new(&bundle(testdata("ca.pem"))).expect("client");
    client.begin(&url);
    client.begin(&url); // one at a time per server
    for _ in 0..500 {
        if accepted.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "connected before any request"
    );
    let answer = client.get(&url).await.expect("answered");
    assert_eq!(answer.body, "ok");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "the request went over the connection begun for it"
    );
    // The server closes each connection after its answer: the next request makes its own.
    assert_eq!(client.get(&url).await.expect("answered").body, "ok");
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn https_goes_through_the_proxy_the_environment_names() {
    let (url, _) = https_server().await;
    let (proxy, asked) = connect_proxy().await;
    let proxies = Matcher::builder().https(proxy.clone()).build();
    let client = Client::with_proxies(&bundle(testdata("ca.pem")), proxies).expect("client");
    let answer = client.get(&url).await.expect("tunnelled");
    assert_eq!(
        answer.body, "ok",
        "TLS to the server itself, through the tunnel"
    );
    let port = url.port().expect("port");
    assert_eq!(
        *asked.lock().expect("lock"),
        [format!("CONNECT 127.0.0.1:{port} HTTP/1.1")]
    );

    let socks = Matcher::builder().https("socks5://127.0.0.1:1").build();
    let client = Client::with_proxies(&bundle(testdata("ca.pem")), socks).expect("client");
    let refused = client.get(&url).await.expect_err("not spoken");
    assert!(
        matches!(&refused, HttpError::Connect(why) if why.contains("http:// proxies")),
        "{refused}"
    );
}
