//! The AWS SDK's clients send through roleport's one HTTP client ([`SharedClient`]): one
//! trust store read and one TLS stack per process. The SDK's default client would read the
//! OS trust store again (~19 M instructions) on the way to the first STS call of a sign-in.
//! Retries, timeouts per attempt and signing stay the SDK's; this only moves bytes.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;

use bytes::Bytes;

use crate::http_client::{HttpError, Reply, SharedClient};

/// The SDK's config loader, as `aws_config::defaults`, sending through [`SharedClient`].
pub fn defaults() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(client())
}

/// What an SDK config's `http_client` gets: the [`SharedClient`] of the sign-in the call is
/// made for ([`SharedClient::current`]), chosen as each request is sent.
pub fn client() -> SharedHttpClient {
    SharedHttpClient::new(Connector)
}

#[derive(Clone, Debug)]
struct Connector;

impl HttpClient for Connector {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let shared = SharedClient::current();
        HttpConnectorFuture::new(async move {
            let client = shared
                .get()
                .map_err(|e| ConnectorError::other(e.to_string().into(), None))?;
            let reply = client
                .send(to_http(request)?)
                .await
                .map_err(connector_error)?;
            from_reply(reply)
        })
    }
}

fn to_http(request: HttpRequest) -> Result<http::Request<Bytes>, ConnectorError> {
    let request = request
        .try_into_http1x()
        .map_err(|e| ConnectorError::user(e.into()))?;
    let (parts, body) = request.into_parts();
    // AWS's JSON and query APIs send small bodies held in memory; none of the calls roleport
    // makes streams one.
    let bytes = body.bytes().map(Bytes::copy_from_slice).ok_or_else(|| {
        ConnectorError::user("roleport's HTTP client sends no streaming bodies".into())
    })?;
    Ok(http::Request::from_parts(parts, bytes))
}

fn from_reply(reply: Reply) -> Result<HttpResponse, ConnectorError> {
    let mut response = http::Response::new(SdkBody::from(reply.body));
    *response.status_mut() = reply.status;
    *response.headers_mut() = reply.headers;
    HttpResponse::try_from(response).map_err(|e| ConnectorError::other(e.into(), None))
}

/// Timeouts and failed exchanges are transient to the SDK's retry strategy, as with its own
/// client.
fn connector_error(e: HttpError) -> ConnectorError {
    match e {
        HttpError::TimedOut => ConnectorError::timeout(e.into()),
        HttpError::Connect(_) | HttpError::Failed(_) => ConnectorError::io(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use aws_credential_types::Credentials;
    use aws_types::region::Region;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    const IDENTITY: &str =
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
        <GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/alice</Arn>\
        <UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult>\
        </GetCallerIdentityResponse>";

    /// A server that answers its connections' requests with `answers` in turn, and returns
    /// what it was sent.
    async fn serve(
        answers: Vec<(u16, &'static str)>,
    ) -> (String, tokio::task::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let served = tokio::spawn(async move {
            let mut seen = Vec::new();
            for (status, body) in answers {
                let (mut socket, _) = listener.accept().await.expect("accept");
                let mut request = vec![0; 64 * 1024];
                let n = socket.read(&mut request).await.expect("read");
                seen.push(String::from_utf8_lossy(&request[..n]).into_owned());
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(reply.as_bytes()).await.expect("write");
            }
            seen
        });
        (url, served)
    }

    async fn sts(url: &str) -> aws_sdk_sts::Client {
        let config = super::defaults()
            .endpoint_url(url)
            .region(Region::new("eu-west-1"))
            .credentials_provider(Credentials::for_tests())
            .load()
            .await;
        aws_sdk_sts::Client::new(&config)
    }

    #[tokio::test]
    async fn sdk_calls_go_through_roleports_client_signed_and_parsed() {
        let (url, served) = serve(vec![(200, IDENTITY)]).await;
        let identity = sts(&url)
            .await
            .get_caller_identity()
            .send()
            .await
            .expect("answered");
        assert_eq!(identity.account(), Some("123456789012"));
        let seen = served.await.expect("served");
        assert!(seen[0].starts_with("POST / HTTP/1.1"), "{}", seen[0]);
        assert!(
            seen[0].contains("Action=GetCallerIdentity"),
            "the body goes out: {}",
            seen[0]
        );
        assert!(
            seen[0]
                .to_ascii_lowercase()
                .contains("authorization: aws4-hmac-sha256"),
            "signed"
        );
    }

    #[tokio::test]
    async fn a_throttled_call_is_retried_by_the_sdk() {
        let throttled = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
            <Message>Rate exceeded</Message></Error></ErrorResponse>";
        let (url, served) = serve(vec![(400, throttled), (200, IDENTITY)]).await;
        let identity = sts(&url)
            .await
            .get_caller_identity()
            .send()
            .await
            .expect("retried");
        assert_eq!(identity.account(), Some("123456789012"));
        assert_eq!(served.await.expect("served").len(), 2);
    }

    #[tokio::test]
    async fn nothing_listening_is_a_dispatch_failure() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        drop(listener);
        let err = sts(&url)
            .await
            .get_caller_identity()
            .send()
            .await
            .expect_err("refused");
        let io = matches!(&err, aws_sdk_sts::error::SdkError::DispatchFailure(f) if f.is_io());
        assert!(io, "a connection error, which the SDK retries: {err:?}");
    }
}
