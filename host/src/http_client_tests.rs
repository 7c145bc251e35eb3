//! The clients' trust, as the AWS CLI's: `AWS_CA_BUNDLE`, else a profile's `ca_bundle`, else
//! the OS store; a bundle replaces the store. `testdata/` holds a throwaway CA and a
//! certificate it signed for 127.0.0.1 (valid to 2126), for these tests only.

use std::path::PathBuf;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

/// A one-answer HTTPS server on 127.0.0.1 with the test CA's certificate; its URL.
async fn https_server() -> String {
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
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
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
    format!("https://127.0.0.1:{port}/")
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
    let url = https_server().await;
    let trusted = SharedClient::trusting(&bundle(testdata("ca.pem")));
    let answer = trusted.get().expect("client").get(&url).send().await;
    assert_eq!(answer.expect("trusted").text().await.expect("body"), "ok");

    let system = SharedClient::trusting(&Trust::System);
    let refused = system.get().expect("client").get(&url).send().await;
    assert!(refused.is_err(), "the OS store does not know the test CA");
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
    let first: *const reqwest::Client = client.get().expect("builds");
    let again = SharedClient::trusting(&bundle(testdata("ca.pem")));
    let second: *const reqwest::Client = again.get().expect("built");
    assert_eq!(first, second, "one client per trust per process");
    let fresh = SharedClient::default();
    assert!(fresh.built.get().is_none(), "made on first use");
    fresh.prepare(); // outside a runtime: builds nothing, and does not panic
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
async fn prepare_builds_it_in_the_background() {
    let client = SharedClient::default();
    client.prepare();
    for _ in 0..500 {
        if client.built.get().is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("prepare built nothing within 5 s");
}
