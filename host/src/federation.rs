//! Turns temporary credentials into a one-time console sign-in URL (AWS console federation).
//!
//! Architecture Invariant: only this module chooses the sign-in and console hosts. They come
//! from the account's partition (the role ARN's, else the profile's region's) and region, or
//! from `ROLEPORT_SIGNIN_URL` / `ROLEPORT_CONSOLE_URL` in the host's own environment (for
//! tests); a message can only name a destination inside the partition's console, and a region
//! only from the partition, spelled as AWS spells regions.

mod exchange;

use roleport_protocol::OpenConsole;
use url::Url;

use crate::credentials::SessionCredentials;
use crate::error::HostError;

/// Sign-in and console base URLs, fixed for the life of the host.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    signin: Option<Url>,
    console: Option<Url>,
}

/// The URLs one sign-in uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionUrls {
    /// The federation endpoint (`…/federation`): regional where AWS offers one.
    pub signin: Url,
    /// The console's base URL, ending in `/`: where a path destination lands (regional
    /// where the sign-in is).
    pub console: Url,
    /// The partition's console root, ending in `/`: a destination must be on its host or a
    /// subdomain of it.
    pub console_root: Url,
}

impl PartitionUrls {
    /// Where a console session of this sign-in host signs out: `/oauth?Action=logout` on
    /// the federation endpoint's host, as the console's own "Sign out" does for federated
    /// sessions (it ends the session cookie the login set). With `ROLEPORT_SIGNIN_URL` it is
    /// on that host, so a test's stub sees it.
    pub fn logout(&self) -> Url {
        let mut url = self.signin.clone();
        url.set_path("/oauth");
        url.set_query(Some("Action=logout"));
        url.set_fragment(None);
        url
    }
}

/// Where one console sign-in goes: the partition, the console region, and their URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `aws`, `aws-us-gov`, `aws-cn` or `aws-eusc`.
    pub partition: &'static str,
    /// The console region (always a well-formed region of `partition`).
    pub region: String,
    /// Sign-in and console URLs for that partition and region.
    pub urls: PartitionUrls,
}

/// A partition the console can be signed in to: its hosts, region prefix and default region.
struct Partition {
    name: &'static str,
    /// Regions of this partition start with this (`""` for the commercial partition, which
    /// takes every region no other partition claims).
    region_prefix: &'static str,
    default_region: &'static str,
    signin_host: &'static str,
    console_host: &'static str,
    /// Whether AWS runs `<region>.signin…` / `<region>.console…` hosts (the commercial
    /// partition does, outside us-east-1 whose endpoint is the global one).
    regional: bool,
}

/// The partitions with a public console. Order matters: the first matching prefix wins, and
/// `aws` (empty prefix) comes last.
const PARTITIONS: &[Partition] = &[
    Partition {
        name: "aws-us-gov",
        region_prefix: "us-gov-",
        default_region: "us-gov-west-1",
        signin_host: "signin.amazonaws-us-gov.com",
        console_host: "console.amazonaws-us-gov.com",
        regional: false,
    },
    Partition {
        name: "aws-cn",
        region_prefix: "cn-",
        default_region: "cn-north-1",
        signin_host: "signin.amazonaws.cn",
        console_host: "console.amazonaws.cn",
        regional: false,
    },
    Partition {
        name: "aws-eusc",
        region_prefix: "eusc-",
        default_region: "eusc-de-east-1",
        signin_host: "signin.amazonaws-eusc.eu",
        console_host: "console.amazonaws-eusc.eu",
        regional: false,
    },
    Partition {
        name: "aws",
        region_prefix: "",
        default_region: "us-east-1",
        signin_host: "signin.aws.amazon.com",
        console_host: "console.aws.amazon.com",
        regional: true,
    },
];

/// Isolated partitions: no public console, so no sign-in either.
const NO_CONSOLE: &[(&str, &str)] = &[
    ("us-iso-", "aws-iso"),
    ("us-isob-", "aws-iso-b"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-isof-", "aws-iso-f"),
];

/// The partition a region belongs to (`aws` for anything no other partition claims).
pub fn partition_of_region(region: &str) -> &'static str {
    if let Some((_, name)) = NO_CONSOLE.iter().find(|(p, _)| region.starts_with(p)) {
        return name;
    }
    PARTITIONS
        .iter()
        .find(|p| region.starts_with(p.region_prefix))
        .map_or("aws", |p| p.name)
}

/// The region a partition's console opens in when the profile names none.
pub fn default_region(partition: &str) -> Option<&'static str> {
    PARTITIONS
        .iter()
        .find(|p| p.name == partition)
        .map(|p| p.default_region)
}

/// Whether `region` is spelled as AWS spells regions (`eu-west-1`, `us-gov-east-1`,
/// `eusc-de-east-1`): lowercase words and a number, joined by hyphens. A region becomes part
/// of a host name, so nothing else may pass.
pub fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let Some((number, words)) = parts.split_last() else {
        return false;
    };
    region.len() <= 32
        && words.len() >= 2
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

fn bad_region(region: &str, why: &str) -> HostError {
    HostError::InvalidRequest {
        message: format!("region `{region}` {why}"),
        hint: "Use a region name such as eu-west-1 (`region` in ~/.aws/config, or --region)."
            .into(),
    }
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

    /// The global URLs of a partition, overrides applied.
    pub fn for_partition(&self, partition: &str) -> Result<PartitionUrls, HostError> {
        self.urls(find_partition(partition)?, None)
    }

    /// Where a profile signs in: the partition of its role ARN (`arn_partition`), else of its
    /// region, else of the requested region; the requested region, else the profile's (when
    /// it is in that partition), else the partition's default. The sign-in and console hosts
    /// are regional where AWS offers them. A malformed region, or one outside the partition,
    /// is refused before anything is sent anywhere.
    pub fn target(
        &self,
        arn_partition: Option<&str>,
        profile_region: Option<&str>,
        requested_region: Option<&str>,
    ) -> Result<Target, HostError> {
        for region in [profile_region, requested_region].into_iter().flatten() {
            if !is_region(region) {
                return Err(bad_region(region, "is not a region name"));
            }
        }
        let partition = match arn_partition {
            Some(p) => p,
            None => profile_region
                .or(requested_region)
                .map_or("aws", partition_of_region),
        };
        let partition = find_partition(partition)?;
        let in_partition = |r: &&str| partition_of_region(r) == partition.name;
        let region = match requested_region {
            Some(r) if !in_partition(&r) => {
                return Err(bad_region(
                    r,
                    &format!("is not in partition `{}`", partition.name),
                ))
            }
            Some(r) => r,
            None => profile_region
                .filter(in_partition)
                .unwrap_or(partition.default_region),
        };
        Ok(Target {
            partition: partition.name,
            region: region.to_owned(),
            urls: self.urls(partition, Some(region))?,
        })
    }

    fn urls(&self, p: &Partition, region: Option<&str>) -> Result<PartitionUrls, HostError> {
        let prefix = match region {
            Some(r) if p.regional && r != p.default_region => format!("{r}."),
            _ => String::new(),
        };
        let parse = |s: String| Url::parse(&s).map_err(|e| HostError::Federation(e.to_string()));
        let signin = match &self.signin {
            Some(u) => u.clone(),
            None => parse(format!("https://{prefix}{}/federation", p.signin_host))?,
        };
        let (console, console_root) = match &self.console {
            Some(u) => (u.clone(), u.clone()),
            None => (
                parse(format!("https://{prefix}{}/", p.console_host))?,
                parse(format!("https://{}/", p.console_host))?,
            ),
        };
        Ok(PartitionUrls {
            signin,
            console,
            console_root,
        })
    }
}

fn find_partition(name: &str) -> Result<&'static Partition, HostError> {
    PARTITIONS.iter().find(|p| p.name == name).ok_or_else(|| {
        HostError::Federation(format!(
            "no console sign-in is known for partition `{name}`"
        ))
    })
}

fn with_trailing_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

/// Where one `open_console` / `open_in_browser` signs in and lands: partition and region as
/// [`Endpoints::target`] decides, then `service` (a shortcut from [`crate::services`]) or
/// `destination` (not both), checked by [`destination`]. Nothing here touches the network, so
/// a refused request costs no AWS call.
pub fn plan_signin(
    endpoints: &Endpoints,
    arn_partition: Option<&str>,
    profile_region: Option<&str>,
    open: &OpenConsole,
) -> Result<(Target, Url), HostError> {
    let target = endpoints.target(arn_partition, profile_region, open.region.as_deref())?;
    let requested = match (&open.service, &open.destination) {
        (Some(_), Some(_)) => {
            return Err(HostError::InvalidRequest {
                message: "a request may name a `service` or a `destination`, not both".into(),
                hint: "Drop one of --service and --destination.".into(),
            })
        }
        (Some(service), None) => Some(crate::services::path(service, &target.region)?),
        (None, destination) => destination.clone(),
    };
    let url = destination(&target.urls, &target.region, requested.as_deref())?;
    Ok((target, url))
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
    let url = if requested.starts_with('/') && !requested.starts_with("//") {
        urls.console.join(&requested[1..])
    } else {
        Url::parse(requested)
    }
    .map_err(|_| refuse(requested))?;
    // Checked for paths too: URL parsing reads `\\` as `//`, so `/\\evil.example` would
    // otherwise leave the console.
    let root = &urls.console_root;
    let base_host = root.host_str().unwrap_or_default();
    let inside = url.scheme() == root.scheme()
        && url.port_or_known_default() == root.port_or_known_default()
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

/// Exchanges credentials for a sign-in token, and builds the one-time login URL.
pub async fn signin_url(
    http: &crate::http_client::Client,
    urls: &PartitionUrls,
    session: &SessionCredentials,
    destination: &Url,
) -> Result<Url, HostError> {
    let creds = &session.credentials;
    let session_json = zeroize::Zeroizing::new(
        serde_json::json!({
            "sessionId": creds.access_key_id(),
            "sessionKey": creds.secret_access_key(),
            "sessionToken": creds.session_token().unwrap_or_default(),
        })
        .to_string(),
    );
    let mut token_url = urls.signin.clone();
    {
        let mut q = token_url.query_pairs_mut();
        q.append_pair("Action", "getSigninToken");
        if let Some(d) = session.console_duration {
            q.append_pair("SessionDuration", &d.clamp(900, 43_200).to_string());
        }
        q.append_pair("Session", &session_json);
    }
    crate::limits::stage(format!(
        "getSigninToken at {}",
        urls.signin.host_str().unwrap_or("the sign-in endpoint")
    ));
    let token = exchange::signin_token(http, &token_url).await?;
    let mut login = urls.signin.clone();
    login
        .query_pairs_mut()
        .append_pair("Action", "login")
        .append_pair("Issuer", "roleport")
        .append_pair("Destination", destination.as_str())
        .append_pair("SigninToken", &token);
    Ok(login)
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
    fn sessions_sign_out_on_the_host_that_signed_them_in() {
        let endpoints = Endpoints::default();
        let global = endpoints.target(None, Some("us-east-1"), None).expect("ok");
        assert_eq!(
            global.urls.logout().as_str(),
            "https://signin.aws.amazon.com/oauth?Action=logout"
        );
        let regional = endpoints.target(None, Some("eu-west-1"), None).expect("ok");
        assert_eq!(
            regional.urls.logout().as_str(),
            "https://eu-west-1.signin.aws.amazon.com/oauth?Action=logout"
        );
        let gov = endpoints.for_partition("aws-us-gov").expect("known");
        assert_eq!(
            gov.logout().as_str(),
            "https://signin.amazonaws-us-gov.com/oauth?Action=logout"
        );
        // A test's stub (`ROLEPORT_SIGNIN_URL`) sees the sign-out on its own host and port.
        let stub = Endpoints {
            signin: Url::parse("http://signin.fakeaws.test:8080/federation").ok(),
            console: None,
        };
        let urls = stub.for_partition("aws").expect("known");
        assert_eq!(
            urls.logout().as_str(),
            "http://signin.fakeaws.test:8080/oauth?Action=logout"
        );
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
            "/\\\\evil.example/x",
            "/\\/evil.example/x",
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

    fn target(arn: Option<&str>, profile: Option<&str>, asked: Option<&str>) -> Target {
        Endpoints::default()
            .target(arn, profile, asked)
            .unwrap_or_else(|e| panic!("{arn:?} {profile:?} {asked:?}: {e}"))
    }

    #[test]
    fn without_a_role_arn_the_region_picks_the_partition_and_its_hosts() {
        let cases = [
            (
                "us-gov-east-1",
                "aws-us-gov",
                "https://signin.amazonaws-us-gov.com/federation",
                "https://console.amazonaws-us-gov.com/",
            ),
            (
                "cn-northwest-1",
                "aws-cn",
                "https://signin.amazonaws.cn/federation",
                "https://console.amazonaws.cn/",
            ),
            (
                "eusc-de-east-1",
                "aws-eusc",
                "https://signin.amazonaws-eusc.eu/federation",
                "https://console.amazonaws-eusc.eu/",
            ),
            (
                "us-east-1",
                "aws",
                "https://signin.aws.amazon.com/federation",
                "https://console.aws.amazon.com/",
            ),
            (
                "eu-west-1",
                "aws",
                "https://eu-west-1.signin.aws.amazon.com/federation",
                "https://eu-west-1.console.aws.amazon.com/",
            ),
        ];
        for (region, partition, signin, console) in cases {
            let t = target(None, Some(region), None);
            assert_eq!(
                (t.partition, t.region.as_str(), t.urls.signin.as_str()),
                (partition, region, signin)
            );
            assert_eq!(t.urls.console.as_str(), console);
        }
        // No region at all: the commercial partition's global endpoint.
        let t = target(None, None, None);
        assert_eq!((t.partition, t.region.as_str()), ("aws", "us-east-1"));
        assert_eq!(
            t.urls.signin.as_str(),
            "https://signin.aws.amazon.com/federation"
        );
    }

    #[test]
    fn the_role_arn_partition_wins_and_the_region_must_belong_to_it() {
        let t = target(Some("aws-cn"), None, None);
        assert_eq!((t.partition, t.region.as_str()), ("aws-cn", "cn-north-1"));
        // A profile region of another partition is ignored, not sent to the wrong hosts.
        let t = target(Some("aws-us-gov"), Some("eu-west-1"), None);
        assert_eq!(t.region, "us-gov-west-1");
        let t = target(Some("aws"), Some("eu-west-1"), Some("ap-southeast-2"));
        assert_eq!(t.region, "ap-southeast-2");
        assert_eq!(
            t.urls.signin.as_str(),
            "https://ap-southeast-2.signin.aws.amazon.com/federation"
        );
        let asked_elsewhere = Endpoints::default().target(Some("aws"), None, Some("cn-north-1"));
        assert!(matches!(
            asked_elsewhere,
            Err(HostError::InvalidRequest { .. })
        ));
        assert!(Endpoints::default()
            .target(None, Some("us-iso-east-1"), None)
            .is_err());
    }

    #[test]
    fn a_region_that_is_not_a_region_name_never_reaches_a_host_name() {
        for bad in [
            "evil.example/#",
            "eu-west-1.evil.example",
            "EU-WEST-1",
            "eu-west-",
            "west-1",
            "eu_west_1",
            "",
            "eu-west-1/x",
        ] {
            assert!(!is_region(bad), "{bad}");
            assert!(matches!(
                Endpoints::default().target(None, None, Some(bad)),
                Err(HostError::InvalidRequest { .. })
            ));
        }
        for good in [
            "eu-west-1",
            "us-gov-east-1",
            "eusc-de-east-1",
            "ap-southeast-5",
        ] {
            assert!(is_region(good), "{good}");
        }
    }

    #[test]
    fn regional_consoles_accept_any_destination_in_the_partitions_console() {
        let urls = target(None, Some("eu-west-1"), None).urls;
        let d = destination(
            &urls,
            "eu-west-1",
            Some("https://console.aws.amazon.com/iam/home"),
        );
        assert!(d.is_ok(), "{d:?}");
        let d = destination(&urls, "eu-west-1", Some("/ec2/home")).expect("path");
        assert_eq!(
            d.as_str(),
            "https://eu-west-1.console.aws.amazon.com/ec2/home"
        );
        assert!(destination(&urls, "eu-west-1", Some("https://console.amazonaws.cn/")).is_err());
    }

    #[test]
    fn overrides_replace_both_hosts_whatever_the_region() {
        let endpoints = Endpoints {
            signin: Some(Url::parse("http://signin.test:1/federation").expect("url")),
            console: Some(Url::parse("http://console.test:2/").expect("url")),
        };
        for region in ["eu-west-1", "us-gov-west-1", "us-east-1"] {
            let t = endpoints.target(None, Some(region), None).expect("target");
            assert_eq!(t.urls.signin.as_str(), "http://signin.test:1/federation");
            assert_eq!(t.urls.console.as_str(), "http://console.test:2/");
            let d = destination(&t.urls, region, Some("/s3/home")).expect("path");
            assert_eq!(d.as_str(), "http://console.test:2/s3/home");
        }
    }

    #[test]
    fn console_override_gets_a_trailing_slash() {
        let url = with_trailing_slash(Url::parse("http://console.test:8080/base").expect("url"));
        assert_eq!(url.as_str(), "http://console.test:8080/base/");
    }
}
