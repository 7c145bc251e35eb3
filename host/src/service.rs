//! Answers one request. Shared by every channel a request can arrive on.

use roleport_protocol::{
    ErrorCode, HelloOk, OpenConsole, OpenConsoleOk, ProfileList, ProtocolError, Request, Response,
    PROTOCOL_VERSION,
};

use crate::config::AwsConfig;
use crate::credentials;
use crate::error::HostError;
use crate::federation::{self, Endpoints};

/// The host's request handler: fixed endpoints and one HTTP client for the host's life.
pub struct Service {
    endpoints: Endpoints,
    http: reqwest::Client,
}

impl Service {
    /// A service with the given endpoints.
    pub fn new(endpoints: Endpoints) -> Result<Service, ProtocolError> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                ProtocolError::new(
                    ErrorCode::Internal,
                    format!("cannot start the HTTP client: {e}"),
                    "Report this at https://github.com/roleport/roleport/issues.",
                )
            })?;
        Ok(Service { endpoints, http })
    }

    /// Answers one request.
    pub async fn handle(&self, request: Request) -> Result<Response, ProtocolError> {
        match request {
            Request::Hello(_) => Ok(Response::Hello(HelloOk {
                host_version: env!("CARGO_PKG_VERSION").to_owned(),
                protocol: PROTOCOL_VERSION,
                capabilities: Request::TYPES.iter().map(|t| (*t).to_owned()).collect(),
            })),
            Request::ListProfiles => {
                let config = AwsConfig::load().await.map_err(|e| e.to_protocol())?;
                Ok(Response::ListProfiles(ProfileList {
                    profiles: config.summaries(),
                }))
            }
            Request::OpenConsole(open) => self
                .open_console(open)
                .await
                .map(Response::OpenConsole)
                .map_err(|e| e.to_protocol()),
        }
    }

    async fn open_console(&self, open: OpenConsole) -> Result<OpenConsoleOk, HostError> {
        let config = AwsConfig::load().await?;
        let plan = config.plan(&open.profile)?;
        let urls = self
            .endpoints
            .for_partition(&credentials::partition(&plan))?;
        let region = open
            .region
            .clone()
            .unwrap_or_else(|| credentials::region(&plan));
        // Checked before any STS call: a refused destination costs nothing.
        let destination = federation::destination(&urls, &region, open.destination.as_deref())?;
        let session = credentials::obtain(&plan).await?;
        let url = federation::signin_url(&self.http, &urls, &session, &destination).await?;
        tracing::info!(profile = %plan.profile, account = ?session.account_id, "console sign-in URL ready");
        Ok(OpenConsoleOk {
            profile: plan.profile,
            url: url.into(),
            account_id: session.account_id,
            role: session.role,
            expires_at: session.expires_at,
            appearance: plan.appearance,
        })
    }
}
