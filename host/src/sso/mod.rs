//! IAM Identity Center (AWS SSO): the OIDC device-authorization login, the AWS CLI v2
//! token cache it fills, and GetRoleCredentials for `sso_account_id` / `sso_role_name`.
//!
//! Both clients are built from an `SdkConfig`, so `AWS_ENDPOINT_URL_SSO` and
//! `AWS_ENDPOINT_URL_SSO_OIDC` redirect them exactly as they do the AWS CLI's. Neither API
//! is signed (`smithy.api#noAuth`): the portal takes the bearer token in
//! `x-amz-sso_bearer_token`, the OIDC service takes the client's id and secret in the body.

pub mod cache;
pub mod directory;
pub mod discovery;
pub mod pace;
pub mod write_config;

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sdk_ssooidc::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_types::region::Region;

use crate::config::{AwsConfig, Source, SsoSource};
use crate::credentials::Issued;
use crate::error::HostError;
use cache::CachedToken;

/// The grant the device-authorization flow polls CreateToken with.
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The scope the AWS CLI registers `[sso-session]` clients with when none is configured;
/// a client with scopes gets refresh tokens.
pub const DEFAULT_SCOPE: &str = "sso:account:access";
/// Refresh a token this close to its expiry (when it can be refreshed).
const REFRESH_WINDOW_SECONDS: i64 = 5 * 60;
/// RFC 8628 §3.5: after `slow_down`, poll 5 s less often.
const SLOW_DOWN_SECONDS: u64 = 5;

/// What one login is for: an `[sso-session]`, or a legacy profile's start URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// What to pass to `roleport sso login`: the session's name, or the legacy profile's.
    pub name: String,
    /// The `sso-session` name (`None` for a legacy profile).
    pub session: Option<String>,
    /// `sso_start_url`.
    pub start_url: String,
    /// `sso_region`.
    pub region: String,
    /// `sso_registration_scopes` (none for legacy profiles, as the AWS CLI).
    pub scopes: Vec<String>,
}

impl Target {
    /// The login an SSO source's token comes from.
    pub fn of_source(sso: &SsoSource) -> Target {
        Target {
            name: sso.session.clone().unwrap_or_else(|| sso.profile.clone()),
            session: sso.session.clone(),
            start_url: sso.start_url.clone(),
            region: sso.region.clone(),
            scopes: Vec::new(),
        }
    }

    /// `roleport sso login NAME`: NAME is an `[sso-session NAME]`, else a profile that uses
    /// SSO (its session, or its own legacy start URL).
    pub fn resolve(config: &AwsConfig, name: &str) -> Result<Target, HostError> {
        if config.sso_session(name, "sso_start_url").is_some() {
            return session_target(config, name);
        }
        match config.plan(name) {
            Ok(plan) => match plan.source {
                Source::Sso(sso) => match &sso.session {
                    Some(session) => session_target(config, session),
                    None => Ok(Target::of_source(&sso)),
                },
                _ => Err(not_sso(name)),
            },
            Err(HostError::UnknownProfile(_)) => Err(not_sso(name)),
            Err(e) => Err(e),
        }
    }

    /// Every login the config names: each `[sso-session]`, then each legacy start URL
    /// (once, under the first profile that uses it).
    pub fn all(config: &AwsConfig) -> Vec<Target> {
        let mut targets: Vec<Target> = config
            .sso_sessions()
            .into_iter()
            .filter_map(|s| session_target(config, s).ok())
            .collect();
        for name in config.profile_names() {
            if let Ok(Source::Sso(sso)) = config.plan(name).map(|p| p.source) {
                if sso.session.is_none()
                    && !targets
                        .iter()
                        .any(|t| t.session.is_none() && t.start_url == sso.start_url)
                {
                    targets.push(Target::of_source(&sso));
                }
            }
        }
        targets
    }

    /// The token file of this login.
    pub fn cache_path(&self) -> Result<PathBuf, HostError> {
        cache::path(self.session.as_deref(), &self.start_url).ok_or_else(|| HostError::Sso {
            action: "the token cache",
            name: self.name.clone(),
            detail: "no home directory (HOME is not set)".into(),
        })
    }
}

fn session_target(config: &AwsConfig, session: &str) -> Result<Target, HostError> {
    let get = |key| config.sso_session(session, key).flatten();
    let missing = |key: &str| HostError::InvalidRequest {
        message: format!("[sso-session {session}] has no {key}"),
        hint: format!("Add `{key} = …` to the [sso-session {session}] section of ~/.aws/config."),
    };
    let scopes = get("sso_registration_scopes")
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| vec![DEFAULT_SCOPE.to_owned()]);
    Ok(Target {
        name: session.to_owned(),
        session: Some(session.to_owned()),
        start_url: get("sso_start_url").ok_or_else(|| missing("sso_start_url"))?,
        region: get("sso_region").ok_or_else(|| missing("sso_region"))?,
        scopes,
    })
}

fn not_sso(name: &str) -> HostError {
    HostError::InvalidRequest {
        message: format!("`{name}` is neither an [sso-session] nor a profile that uses SSO"),
        hint: "Name an `[sso-session NAME]` section or an SSO profile of ~/.aws/config \
               (`roleport list` shows the profiles)."
            .into(),
    }
}

async fn sdk_config(region: &str) -> aws_types::SdkConfig {
    // Neither API is signed; loading from the environment honours AWS_ENDPOINT_URL_SSO(_OIDC).
    crate::sdk_http::defaults()
        .region(Region::new(region.to_owned()))
        .no_credentials()
        .load()
        .await
}

/// What the person must see to approve a login: open the page, check the code.
#[derive(Debug, Clone)]
pub struct DeviceCode {
    /// The verification page.
    pub verification_uri: String,
    /// The page with the code already filled in.
    pub verification_uri_complete: Option<String>,
    /// The code the page shows, to compare.
    pub user_code: String,
    /// Seconds the code stays valid.
    pub expires_in: i32,
}

impl DeviceCode {
    /// The page to open in a browser (with the code filled in when AWS gave one), checked to
    /// be IAM Identity Center's: https on `*.awsapps.com` or `device.sso.<region>.amazonaws.com`,
    /// or the origin of `AWS_ENDPOINT_URL_SSO_OIDC` (a test stub or a private endpoint).
    pub fn checked_page(&self, target: &Target) -> Result<String, HostError> {
        let page = self
            .verification_uri_complete
            .as_deref()
            .unwrap_or(&self.verification_uri);
        let configured = std::env::var("AWS_ENDPOINT_URL_SSO_OIDC").ok();
        if page_allowed(page, &target.region, configured.as_deref()) {
            Ok(page.to_owned())
        } else {
            Err(HostError::Sso {
                action: "StartDeviceAuthorization",
                name: target.name.clone(),
                detail: format!(
                    "the verification page `{page}` is not an IAM Identity Center page, so \
                     roleport will not open it"
                ),
            })
        }
    }
}

/// Whether a verification page may be opened in the browser (see [`DeviceCode::checked_page`]).
pub fn page_allowed(page: &str, region: &str, configured: Option<&str>) -> bool {
    let Ok(url) = url::Url::parse(page) else {
        return false;
    };
    if !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let aws_host = host.ends_with(".awsapps.com") && host.len() > ".awsapps.com".len()
        || host == format!("device.sso.{region}.amazonaws.com");
    if url.scheme() == "https" && url.port().is_none() && aws_host {
        return true;
    }
    configured
        .and_then(|c| url::Url::parse(c).ok())
        .is_some_and(|c| c.origin() == url.origin() && url.origin().is_tuple())
}

/// The device-authorization login: RegisterClient → StartDeviceAuthorization → `show` →
/// CreateToken polled every `interval` (5 s more after each `slow_down`) until approved,
/// denied or expired. The token goes to the AWS CLI's cache file, whose path is returned.
/// An error from `show` (it could not show the code) ends the login.
pub async fn login(
    target: &Target,
    show: impl FnOnce(&DeviceCode) -> Result<(), HostError>,
) -> Result<PathBuf, HostError> {
    let path = target.cache_path()?;
    let oidc = aws_sdk_ssooidc::Client::new(&sdk_config(&target.region).await);
    let client = oidc
        .register_client()
        .client_name(format!("roleport-{}", cache::now()))
        .client_type("public")
        .set_scopes((!target.scopes.is_empty()).then(|| target.scopes.clone()))
        .send()
        .await
        .map_err(|e| oidc_error("RegisterClient", &target.name, e))?;
    let (Some(client_id), Some(client_secret)) = (client.client_id(), client.client_secret())
    else {
        return Err(incomplete("RegisterClient", &target.name));
    };
    let auth = oidc
        .start_device_authorization()
        .client_id(client_id)
        .client_secret(client_secret)
        .start_url(&target.start_url)
        .send()
        .await
        .map_err(|e| oidc_error("StartDeviceAuthorization", &target.name, e))?;
    let (Some(device_code), Some(user_code), Some(uri)) = (
        auth.device_code(),
        auth.user_code(),
        auth.verification_uri(),
    ) else {
        return Err(incomplete("StartDeviceAuthorization", &target.name));
    };
    show(&DeviceCode {
        verification_uri: uri.to_owned(),
        verification_uri_complete: auth.verification_uri_complete().map(str::to_owned),
        user_code: user_code.to_owned(),
        expires_in: auth.expires_in(),
    })?;
    let mut interval = u64::try_from(auth.interval()).unwrap_or(0).max(1);
    let deadline = tokio::time::Instant::now()
        + Duration::from_secs(u64::try_from(auth.expires_in()).unwrap_or(0).max(1));
    let token = loop {
        tokio::time::sleep(Duration::from_secs(interval)).await;
        let asked = oidc
            .create_token()
            .client_id(client_id)
            .client_secret(client_secret)
            .grant_type(DEVICE_GRANT)
            .device_code(device_code)
            .send()
            .await;
        match asked {
            Ok(token) => break token,
            Err(e) => match e.code() {
                Some("AuthorizationPendingException") if tokio::time::Instant::now() < deadline => {
                }
                Some("SlowDownException") => interval += SLOW_DOWN_SECONDS,
                Some("AuthorizationPendingException" | "ExpiredTokenException") => {
                    return Err(HostError::SsoLoginFailed {
                        name: target.name.clone(),
                        why: format!("the code {user_code} expired before it was approved"),
                    })
                }
                Some("AccessDeniedException") => {
                    return Err(HostError::SsoLoginFailed {
                        name: target.name.clone(),
                        why: format!("the request with code {user_code} was denied"),
                    })
                }
                _ => return Err(oidc_error("CreateToken", &target.name, e)),
            },
        }
    };
    let Some(access_token) = token.access_token() else {
        return Err(incomplete("CreateToken", &target.name));
    };
    let now = cache::now();
    let cached = CachedToken {
        start_url: Some(target.start_url.clone()),
        region: Some(target.region.clone()),
        access_token: access_token.to_owned(),
        expires_at: cache::format_time(now + i64::from(token.expires_in())),
        client_id: Some(client_id.to_owned()),
        client_secret: Some(client_secret.to_owned()),
        registration_expires_at: Some(cache::format_time(client.client_secret_expires_at())),
        refresh_token: token.refresh_token().map(str::to_owned),
        other: serde_json::Map::new(),
    };
    cache::write(&path, &cached).map_err(|detail| HostError::Sso {
        action: "the token cache",
        name: target.name.clone(),
        detail,
    })?;
    Ok(path)
}

/// The cached token of a login, refreshed with its refresh token when it is about to expire.
/// Missing or expired (and not refreshable): [`HostError::SsoLoginRequired`].
pub async fn token(target: &Target) -> Result<CachedToken, HostError> {
    let path = target.cache_path()?;
    let required = |why: String| HostError::SsoLoginRequired {
        name: target.name.clone(),
        why,
    };
    let cached = cache::read(&path)
        .map_err(|detail| HostError::Sso {
            action: "the token cache",
            name: target.name.clone(),
            detail,
        })?
        .ok_or_else(|| required("no one has signed in to it on this computer".into()))?;
    let now = cache::now();
    let left = cached.seconds_left(now);
    if left < REFRESH_WINDOW_SECONDS && cached.refreshable(now) {
        match refresh(target, &cached).await {
            Ok(fresh) => {
                if let Err(e) = cache::write(&path, &fresh) {
                    tracing::warn!("could not save the refreshed SSO token: {e}");
                }
                return Ok(fresh);
            }
            Err(e) => {
                tracing::warn!("SSO token refresh failed: {e}");
                // Another process (a second browser's host, the AWS CLI) may have refreshed
                // first: refresh tokens are single use, so take what it wrote.
                if let Ok(Some(other)) = cache::read(&path) {
                    if other.access_token != cached.access_token && other.seconds_left(now) > 0 {
                        return Ok(other);
                    }
                }
            }
        }
    }
    if left <= 0 {
        return Err(required(format!(
            "its token expired at {}",
            cached.expires_at
        )));
    }
    Ok(cached)
}

async fn refresh(target: &Target, old: &CachedToken) -> Result<CachedToken, HostError> {
    let oidc = aws_sdk_ssooidc::Client::new(&sdk_config(&target.region).await);
    let out = oidc
        .create_token()
        .set_client_id(old.client_id.clone())
        .set_client_secret(old.client_secret.clone())
        .grant_type("refresh_token")
        .set_refresh_token(old.refresh_token.clone())
        .send()
        .await
        .map_err(|e| oidc_error("CreateToken", &target.name, e))?;
    let Some(access_token) = out.access_token() else {
        return Err(incomplete("CreateToken", &target.name));
    };
    let mut fresh = old.clone();
    fresh.access_token = access_token.to_owned();
    fresh.expires_at = cache::format_time(cache::now() + i64::from(out.expires_in()));
    if let Some(r) = out.refresh_token() {
        fresh.refresh_token = Some(r.to_owned());
    }
    Ok(fresh)
}

/// GetRoleCredentials for an SSO source, with the cached token of its login.
pub async fn role_credentials(sso: &SsoSource) -> Result<Issued, HostError> {
    let target = Target::of_source(sso);
    let token = token(&target).await?;
    crate::limits::stage(format!(
        "GetRoleCredentials of {}/{} (IAM Identity Center login `{}`)",
        sso.account_id, sso.role_name, target.name
    ));
    let portal = aws_sdk_sso::Client::new(&sdk_config(&sso.region).await);
    let out = portal
        .get_role_credentials()
        .access_token(&token.access_token)
        .account_id(&sso.account_id)
        .role_name(&sso.role_name)
        .send()
        .await
        .map_err(|e| {
            let detail = e
                .message()
                .map(str::to_owned)
                .unwrap_or_else(|| DisplayErrorContext(&e).to_string());
            match e.code() {
                Some("UnauthorizedException") => HostError::SsoLoginRequired {
                    name: target.name.clone(),
                    why: format!("IAM Identity Center refused its token ({detail})"),
                },
                Some("ForbiddenException" | "ResourceNotFoundException") => {
                    HostError::AccessDenied {
                        action: "GetRoleCredentials",
                        profile: sso.profile.clone(),
                        detail: format!(
                            "no access to role {} in account {} ({detail})",
                            sso.role_name, sso.account_id
                        ),
                    }
                }
                Some("TooManyRequestsException") => HostError::Throttled {
                    action: "GetRoleCredentials",
                    profile: sso.profile.clone(),
                },
                _ => HostError::Sso {
                    action: "GetRoleCredentials",
                    name: sso.profile.clone(),
                    detail,
                },
            }
        })?;
    let creds = out
        .role_credentials()
        .ok_or_else(|| incomplete("GetRoleCredentials", &sso.profile))?;
    let (Some(id), Some(secret), Some(session)) = (
        creds.access_key_id(),
        creds.secret_access_key(),
        creds.session_token(),
    ) else {
        return Err(incomplete("GetRoleCredentials", &sso.profile));
    };
    let millis = u64::try_from(creds.expiration()).unwrap_or(0);
    let expiry = (millis > 0).then(|| UNIX_EPOCH + Duration::from_millis(millis));
    Ok(Issued {
        credentials: Credentials::new(id, secret, Some(session.to_owned()), expiry, "roleport-sso"),
        expires_at: (millis > 0)
            .then(|| cache::format_time(i64::try_from(millis / 1000).unwrap_or(i64::MAX))),
        account_id: Some(sso.account_id.clone()),
    })
}

fn incomplete(action: &'static str, name: &str) -> HostError {
    HostError::Sso {
        action,
        name: name.to_owned(),
        detail: "IAM Identity Center answered without the expected fields".into(),
    }
}

fn oidc_error<E, R>(action: &'static str, name: &str, err: SdkError<E, R>) -> HostError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let detail = match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        _ => DisplayErrorContext(&err).to_string(),
    };
    HostError::Sso {
        action,
        name: name.to_owned(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::page_allowed;

    #[test]
    fn only_identity_center_pages_are_opened() {
        let stub = Some("http://127.0.0.1:4567");
        for good in [
            "https://d-1234567890.awsapps.com/start/#/device?user_code=ABCD-EFGH",
            "https://device.sso.eu-west-1.amazonaws.com/?user_code=ABCD-EFGH",
            "http://127.0.0.1:4567/device?user_code=ABCD",
        ] {
            assert!(page_allowed(good, "eu-west-1", stub), "{good}");
        }
        for bad in [
            "http://d-1234567890.awsapps.com/start",
            "https://awsapps.com/start",
            "https://evil.example/awsapps.com",
            "https://d-1.awsapps.com.evil.example/",
            "https://device.sso.us-east-1.amazonaws.com/",
            "https://user@d-1.awsapps.com/",
            "https://d-1.awsapps.com:8443/",
            "http://127.0.0.1:4568/device",
            "javascript:alert(1)",
            "not a url",
        ] {
            assert!(!page_allowed(bad, "eu-west-1", stub), "{bad}");
        }
        assert!(!page_allowed(
            "http://127.0.0.1:4567/device",
            "eu-west-1",
            None
        ));
    }
}
