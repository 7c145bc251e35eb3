//! Turns temporary credentials into a one-time console sign-in URL (AWS console federation).
//!
//! Architecture Invariant: only this module chooses the sign-in and console hosts. They come
//! from the account's partition, or from `ROLEPORT_SIGNIN_URL` / `ROLEPORT_CONSOLE_URL` in the
//! host's own environment (for tests); a message can only name a destination inside the console.

use serde::Deserialize;
use url::Url;

use crate::credentials::SessionCredentials;
use crate::error::HostError;

/// Sign-in and console base URLs, fixed for the life of the host.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    signin: Option<Url>,
    console: Option<Url>,
}

/// The two URLs one partition signs in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionUrls {
    /// The federation endpoint (`…/federation`).
    pub signin: Url,
    /// The console's base URL, ending in `/`.
    pub console: Url,
}

impl Endpoints {
    /// Reads the overrides from the host's environment. A malformed value is an error at
    /// start-up rather than a surprise at the first click.
    pub fn from_env() -> Result<Endpoints, String> {
        let read = |var: &str| -> Result<Option<Url>, String> {
            match std::env::var(var) {
                Ok(v) if !v.is_empty() => Url::parse(&v)
                    .map(Some)
                    .map_err(|e| format!("{var}=`{v}` is not a URL: {e}")),
                _ => Ok(None),
            }
        };
        Ok(Endpoints {
            signin: read("ROLEPORT_SIGNIN_URL")?,
            console: read("ROLEPORT_CONSOLE_URL")?.map(with_trailing_slash),
        })
    }

    /// The URLs for a partition, overrides applied.
    pub fn for_partition(&self, partition: &str) -> Result<PartitionUrls, HostError> {
        let (signin, console) = match partition {
            "aws" => ("signin.aws.amazon.com", "console.aws.amazon.com"),
            "aws-us-gov" => (
                "signin.amazonaws-us-gov.com",
                "console.amazonaws-us-gov.com",
            ),
            "aws-cn" => ("signin.amazonaws.cn", "console.amazonaws.cn"),
            "aws-eusc" => ("signin.amazonaws-eusc.eu", "console.amazonaws-eusc.eu"),
            other => {
                return Err(HostError::Federation(format!(
                    "no console sign-in is known for partition `{other}`"
                )))
            }
        };
        let parse = |s: String| Url::parse(&s).map_err(|e| HostError::Federation(e.to_string()));
        Ok(PartitionUrls {
            signin: match &self.signin {
                Some(u) => u.clone(),
                None => parse(format!("https://{signin}/federation"))?,
            },
            console: match &self.console {
                Some(u) => u.clone(),
                None => parse(format!("https://{console}/"))?,
            },
        })
    }
}

fn with_trailing_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

/// Where the console tab lands: the requested page if it is inside the console (an absolute
/// URL on the console host or one of its subdomains, or a path), else the region's home.
pub fn destination(
    urls: &PartitionUrls,
    region: &str,
    requested: Option<&str>,
) -> Result<Url, HostError> {
    let refuse = |d: &str| HostError::DestinationNotAllowed(d.to_owned());
    let Some(requested) = requested else {
        let mut home = urls
            .console
            .join("console/home")
            .map_err(|_| refuse("console/home"))?;
        home.query_pairs_mut().append_pair("region", region);
        return Ok(home);
    };
    if requested.starts_with('/') && !requested.starts_with("//") {
        return urls
            .console
            .join(&requested[1..])
            .map_err(|_| refuse(requested));
    }
    let url = Url::parse(requested).map_err(|_| refuse(requested))?;
    let base_host = urls.console.host_str().unwrap_or_default();
    let inside = url.scheme() == urls.console.scheme()
        && url.port_or_known_default() == urls.console.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none()
        && url
            .host_str()
            .is_some_and(|h| h == base_host || h.ends_with(&format!(".{base_host}")));
    if inside {
        Ok(url)
    } else {
        Err(refuse(requested))
    }
}

#[derive(Deserialize)]
struct SigninToken {
    #[serde(rename = "SigninToken")]
    signin_token: String,
}

/// Exchanges credentials for a sign-in token, and builds the one-time login URL.
pub async fn signin_url(
    http: &reqwest::Client,
    urls: &PartitionUrls,
    session: &SessionCredentials,
    destination: &Url,
) -> Result<Url, HostError> {
    let creds = &session.credentials;
    let session_json = serde_json::json!({
        "sessionId": creds.access_key_id(),
        "sessionKey": creds.secret_access_key(),
        "sessionToken": creds.session_token().unwrap_or_default(),
    })
    .to_string();
    let mut token_url = urls.signin.clone();
    {
        let mut q = token_url.query_pairs_mut();
        q.append_pair("Action", "getSigninToken");
        if let Some(d) = session.console_duration {
            q.append_pair("SessionDuration", &d.clamp(900, 43_200).to_string());
        }
        q.append_pair("Session", &session_json);
    }
    // reqwest's errors include the URL, which carries the session: never show them.
    let response = http.get(token_url).send().await.map_err(|e| {
        HostError::Federation(format!(
            "cannot reach {}: {}",
            urls.signin.host_str().unwrap_or("the sign-in endpoint"),
            describe(&e)
        ))
    })?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        let snippet: String = body.chars().take(200).collect();
        return Err(HostError::Federation(format!(
            "the sign-in endpoint answered {status}: {}",
            snippet.trim()
        )));
    }
    let token: SigninToken = response.json().await.map_err(|e| {
        HostError::Federation(format!(
            "unexpected answer from the sign-in endpoint: {}",
            describe(&e)
        ))
    })?;
    let mut login = urls.signin.clone();
    login
        .query_pairs_mut()
        .append_pair("Action", "login")
        .append_pair("Issuer", "roleport")
        .append_pair("Destination", destination.as_str())
        .append_pair("SigninToken", &token.signin_token);
    Ok(login)
}

fn describe(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_decode() {
        "not the JSON AWS sends"
    } else {
        "request failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws() -> PartitionUrls {
        Endpoints::default()
            .for_partition("aws")
            .expect("known partition")
    }

    #[test]
    fn default_destination_is_the_regions_console_home() {
        let d = destination(&aws(), "eu-west-1", None).expect("ok");
        assert_eq!(
            d.as_str(),
            "https://console.aws.amazon.com/console/home?region=eu-west-1"
        );
    }

    #[test]
    fn destinations_inside_the_console_are_kept() {
        for ok in [
            "https://console.aws.amazon.com/ec2/home",
            "https://eu-west-1.console.aws.amazon.com/s3/buckets",
        ] {
            assert_eq!(destination(&aws(), "r", Some(ok)).expect(ok).as_str(), ok);
        }
        let path = destination(&aws(), "r", Some("/iam/home")).expect("path");
        assert_eq!(path.as_str(), "https://console.aws.amazon.com/iam/home");
    }

    #[test]
    fn destinations_outside_the_console_are_refused() {
        for bad in [
            "https://evil.example/",
            "https://console.aws.amazon.com.evil.example/",
            "http://console.aws.amazon.com/",
            "https://user@console.aws.amazon.com/",
            "https://console.aws.amazon.com:8443/",
            "//evil.example/x",
            "javascript:alert(1)",
            "https://console.amazonaws.cn/",
        ] {
            assert!(
                matches!(
                    destination(&aws(), "r", Some(bad)),
                    Err(HostError::DestinationNotAllowed(_))
                ),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn partitions_have_their_own_hosts() {
        let gov = Endpoints::default()
            .for_partition("aws-us-gov")
            .expect("known");
        assert_eq!(
            gov.signin.as_str(),
            "https://signin.amazonaws-us-gov.com/federation"
        );
        assert_eq!(
            gov.console.as_str(),
            "https://console.amazonaws-us-gov.com/"
        );
        assert!(Endpoints::default().for_partition("aws-mars").is_err());
    }

    #[test]
    fn console_override_gets_a_trailing_slash() {
        let url = with_trailing_slash(Url::parse("http://console.test:8080/base").expect("url"));
        assert_eq!(url.as_str(), "http://console.test:8080/base/");
    }
}
