//! Answers one request. Shared by every channel a request can arrive on.

use std::sync::{Arc, Mutex, OnceLock};

use roleport_protocol::{
    ErrorCode, Event, HelloOk, OpenConsole, OpenConsoleOk, OpenedInBrowser, ProtocolError, Request,
    Response, SsoDeviceCode, SsoLoggedIn, SsoSync, SsoSyncProgress, SsoSynced, SyncedLogin,
    PROTOCOL_VERSION,
};

use tokio::sync::Semaphore;

use crate::audit::{self, Requester};
use crate::config::{AwsConfig, Stamp};
use crate::credentials;
use crate::credentials::cache::{Key, RoleCache};
use crate::credentials::mfa::MfaSessions;
use crate::error::HostError;
use crate::federation::{self, Endpoints};
use crate::http_client::{SharedClient, Trust};
use crate::ipc::browser::BrowserLink;
use crate::saml;
use crate::settings::{self, SettingsError};
use crate::sso::discovery::{self, SyncOptions};
use crate::sso::{self, Target};

/// How many sign-ins run at once; more wait their turn.
const MAX_CONCURRENT_SIGNINS: usize = 6;

/// What a sign-in waits for before its turn (for `request_timeout`'s message).
const WAITING_FOR_A_TURN: &str =
    "its turn: the host signs in to 6 profiles at a time, and all 6 were still running";

/// The host's request handler: fixed endpoints, and the state kept between requests.
pub struct Service {
    endpoints: Endpoints,
    /// The client of calls made for no profile (a SAML sign-in); a profile's sign-in uses
    /// the one its `ca_bundle` asks for.
    http: SharedClient,
    requester: Requester,
    mfa: MfaSessions,
    /// Bounds concurrent sign-ins: opening fifty accounts at once must not open fifty STS
    /// connections (and meet fifty throttling errors).
    signins: Semaphore,
    /// The last parsed config and the stamp of the files it came from.
    config: Mutex<Option<(Stamp, Arc<AwsConfig>)>>,
    /// The browser that started this host (native-messaging mode only).
    browser: OnceLock<Arc<BrowserLink>>,
    /// SAML sign-ins the extension handed over, by handle (memory only).
    saml: saml::Held,
    /// Console credentials between clicks (memory only; cleared when the AWS files change).
    roles: RoleCache,
}

impl Service {
    /// A service with the given endpoints.
    pub fn new(endpoints: Endpoints) -> Service {
        Service {
            endpoints,
            http: SharedClient::process(),
            requester: Requester::Popup,
            mfa: MfaSessions::default(),
            signins: Semaphore::new(MAX_CONCURRENT_SIGNINS),
            browser: OnceLock::new(),
            config: Mutex::new(None),
            saml: saml::Held::default(),
            roles: RoleCache::default(),
        }
    }

    /// Connects the browser that started this host: `open_in_browser` opens tabs in it.
    pub fn attach_browser(&self, link: Arc<BrowserLink>) {
        let _ = self.browser.set(link);
    }

    fn browser(&self) -> Result<&BrowserLink, ProtocolError> {
        self.browser.get().map(|b| &**b).ok_or_else(|| {
            ProtocolError::new(
                ErrorCode::HostUnavailable,
                "this roleport process was not started by a browser, so it cannot open tabs",
                "Run `roleport open` in a terminal; it finds the browser's host by itself.",
            )
        })
    }

    /// `open_in_browser`: sign in as for `open_console` (audited as the CLI), then have the
    /// browser open the tab and say where. The sign-in URL goes to the browser only.
    async fn open_in_browser(&self, open: OpenConsole) -> Result<OpenedInBrowser, ProtocolError> {
        let link = self.browser()?;
        let ok = self
            .open_console(open, Requester::Cli)
            .await
            .map_err(|e| e.to_protocol())?;
        let (account_id, role) = (ok.account_id.clone(), ok.role.clone());
        let tab = link.open_tab(ok).await?;
        Ok(OpenedInBrowser {
            browser: link.browser(),
            tab,
            account_id,
            role,
        })
    }

    /// `sso_login` (native port): the device flow of the profile's IAM Identity Center login.
    /// The verification page goes to the extension as an `sso_device_code` event (checked to
    /// be an Identity Center page first); the answer comes once the token is stored.
    async fn sso_login(&self, profile: String) -> Result<SsoLoggedIn, ProtocolError> {
        let link = self.browser()?;
        let config = AwsConfig::load().await.map_err(|e| e.to_protocol())?;
        let target = Target::resolve(&config, &profile).map_err(|e| e.to_protocol())?;
        sso::login(&target, |code| {
            let page = code.checked_page(&target)?;
            let sent = link.notify(|event_id| {
                Event::SsoDeviceCode(SsoDeviceCode {
                    event_id,
                    profile: profile.clone(),
                    user_code: code.user_code.clone(),
                    verification_uri_complete: page,
                    expires_in: i64::from(code.expires_in),
                })
            });
            if sent {
                Ok(())
            } else {
                Err(crate::error::HostError::Sso {
                    action: "showing the code",
                    name: target.name.clone(),
                    detail: "the browser closed roleport's native port".into(),
                })
            }
        })
        .await
        .map_err(|e| e.to_protocol())?;
        tracing::info!(login = %target.name, "IAM Identity Center login stored");
        Ok(SsoLoggedIn {
            profile,
            login: target.name,
        })
    }

    /// `sso_sync` (native port): discovery of the logins' accounts and roles, with
    /// `sso_sync_progress` events while it runs.
    async fn sso_sync(&self, sync: SsoSync) -> Result<SsoSynced, ProtocolError> {
        let link = self.browser()?;
        let config = AwsConfig::load().await.map_err(|e| e.to_protocol())?;
        let options = SyncOptions {
            full: sync.full,
            ..SyncOptions::default()
        };
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let outcomes = discovery::sync_logins(&config, sync.login.as_deref(), options, |p| {
            link.notify(|event_id| {
                Event::SsoSyncProgress(SsoSyncProgress {
                    event_id,
                    login: p.login.clone(),
                    accounts: count(p.accounts),
                    stale: count(p.stale),
                    done: count(p.done),
                    throttled: u32::try_from(p.throttled).unwrap_or(u32::MAX),
                })
            });
        })
        .await
        .map_err(|e| e.to_protocol())?;
        let logins = outcomes
            .into_iter()
            .map(|(target, outcome)| match outcome {
                Ok(s) => SyncedLogin {
                    login: target.name,
                    accounts: count(s.directory.accounts.len()),
                    roles: count(s.directory.accounts.iter().map(|a| a.roles.len()).sum()),
                    refreshed: count(s.refreshed),
                    failed: count(s.failed.len()),
                    skipped: None,
                },
                Err(e) => SyncedLogin {
                    login: target.name,
                    accounts: 0,
                    roles: 0,
                    refreshed: 0,
                    failed: 0,
                    skipped: Some(e.to_string()),
                },
            })
            .collect();
        Ok(SsoSynced { logins })
    }

    /// The same service, recording `requester` in the audit log (the default is the popup).
    pub fn with_requester(mut self, requester: Requester) -> Service {
        self.requester = requester;
        self
    }

    /// The AWS config, parsed again only when a file changed since the last request.
    async fn config(&self) -> Result<Arc<AwsConfig>, HostError> {
        // Taken before loading: a change made while loading shows as a new stamp next time.
        let stamp = Stamp::now();
        let cached = self
            .config
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some((seen, config)) = cached {
            if seen == stamp {
                return Ok(config);
            }
        }
        let config = Arc::new(AwsConfig::load().await?);
        // A profile may now mean other credentials: nothing kept under the old files is served.
        self.roles.clear();
        *self.config.lock().unwrap_or_else(|p| p.into_inner()) = Some((stamp, config.clone()));
        Ok(config)
    }

    /// Answers one request.
    pub async fn handle(&self, request: Request) -> Result<Response, ProtocolError> {
        match request {
            Request::Hello(_) => Ok(Response::Hello(HelloOk {
                host_version: env!("CARGO_PKG_VERSION").to_owned(),
                protocol: PROTOCOL_VERSION,
                capabilities: Request::TYPES.iter().map(|t| (*t).to_owned()).collect(),
            })),
            Request::ListProfiles(ask) => {
                let config = self.config().await.map_err(|e| e.to_protocol())?;
                let list = roleport_protocol::ProfileList {
                    profiles: config.summaries(),
                    settings_error: config
                        .settings()
                        .error
                        .as_ref()
                        .map(SettingsError::to_protocol),
                };
                Ok(Response::ListProfiles(crate::pages::page(list, &ask)))
            }
            // The sign-ins are boxed: their futures are tens of KB, and unboxed they would
            // set the size of every request's future, copied as each is spawned (a `hello`
            // would copy one too).
            Request::OpenConsole(open) => Box::pin(self.open_console(open, self.requester))
                .await
                .map(Response::OpenConsole)
                .map_err(|e| e.to_protocol()),
            Request::OpenInBrowser(open) => Box::pin(self.open_in_browser(open))
                .await
                .map(Response::OpenInBrowser),
            Request::OpenTabResult(result) => self
                .browser()?
                .report(result)
                .map(|()| Response::OpenTabResult),
            Request::SsoLogin(login) => Box::pin(self.sso_login(login.profile))
                .await
                .map(Response::SsoLogin),
            Request::SsoSync(sync) => Box::pin(self.sso_sync(sync)).await.map(Response::SsoSync),
            Request::SamlRoles(posted) => saml::list(&self.saml, posted.saml_response)
                .map(Response::SamlRoles)
                .map_err(|e| e.to_protocol()),
            // The options page's: the file alone (a broken AWS config must not hide it).
            Request::SettingsGet => Ok(Response::SettingsGet(settings::Loaded::load().doc())),
            Request::SettingsPut(put) => settings::save(&put.settings)
                .map(|saved| {
                    tracing::info!(rules = saved.settings.rules.len(), "settings saved");
                    Response::SettingsPut(saved.doc())
                })
                .map_err(|e| e.to_protocol()),
            Request::SamlOpen(open) => {
                // Bounded like every sign-in.
                crate::limits::stage(WAITING_FOR_A_TURN);
                let _permit = self.signins.acquire().await.ok();
                Box::pin(saml::open(
                    &self.endpoints,
                    self.http.get().map_err(|e| e.to_protocol())?,
                    &self.saml,
                    open,
                    self.requester,
                ))
                .await
                .map(Response::SamlOpen)
                .map_err(|e| e.to_protocol())
            }
        }
    }

    /// The plan's console credentials: kept from an earlier click while they last
    /// (`credentials::cache`), else obtained now and kept, while a connection to the
    /// `signin` host is made for the sign-in that follows (a kept session needs none: its
    /// sign-in is the only call, and an idle connection may be there to reuse).
    async fn session(
        &self,
        plan: &crate::config::Plan,
        ctx: &credentials::Context<'_>,
        signin: &url::Url,
    ) -> Result<credentials::SessionCredentials, HostError> {
        let key = Key::of(plan);
        if let Some(kept) = key
            .as_ref()
            .and_then(|k| self.roles.get(k, std::time::SystemTime::now()))
        {
            tracing::debug!(profile = %plan.profile, "console credentials reused from memory");
            return Ok(kept);
        }
        SharedClient::current().begin(signin);
        let session = credentials::obtain(plan, ctx).await?;
        if let Some(key) = key {
            self.roles.put(key, &session, std::time::SystemTime::now());
        }
        Ok(session)
    }

    /// Signs in to a profile's console: the one-time URL and how its tab should look.
    pub async fn open_console(
        &self,
        open: OpenConsole,
        requester: Requester,
    ) -> Result<OpenConsoleOk, HostError> {
        // A closed semaphore is impossible (never closed); waiting is the bound.
        crate::limits::stage(WAITING_FOR_A_TURN);
        let _permit = self.signins.acquire().await.ok();
        let config = self.config().await?;
        let plan = config.plan(&open.profile)?;
        let warnings = config.warnings(&plan);
        for warning in &warnings {
            tracing::warn!("{warning}");
        }
        // Checked before any STS call: a refused region, service or destination costs nothing.
        let arn_partition = plan.roles.first().map(|r| r.role_arn.partition.as_str());
        let (target, destination) = federation::plan_signin(
            &self.endpoints,
            arn_partition,
            plan.region.as_deref(),
            &open,
        )?;
        // STS and the sign-in both go through the profile's client. A CA bundle is read now,
        // so a wrong path is told before any call; the OS trust store is read as the
        // credentials are looked up (`session`).
        let http = SharedClient::trusting(&plan.trust);
        if let Trust::Bundle { .. } = plan.trust {
            http.get()?;
        }
        let ctx = credentials::Context {
            requester,
            mfa: &self.mfa,
            mfa_code: open.mfa_code.as_deref(),
            password: open.password.as_deref(),
        };
        let signin = &target.urls.signin;
        let session = http
            .clone()
            .scope(self.session(&plan, &ctx, signin))
            .await?;
        let url = federation::signin_url(http.get()?, &target.urls, &session, &destination).await?;
        tracing::info!(profile = %plan.profile, account = ?session.account_id, "console sign-in URL ready");
        let mut record = audit::Record::now(audit::Event::Console, &plan.profile, requester);
        record.account_id.clone_from(&session.account_id);
        record.role.clone_from(&session.role);
        audit::append(&record);
        Ok(OpenConsoleOk {
            profile: plan.profile,
            url: url.into(),
            account_id: session.account_id,
            role: session.role,
            expires_at: session.expires_at,
            notices: warnings.into_iter().chain(session.notices).collect(),
            region: Some(target.region),
            logout_url: Some(target.urls.logout().into()),
            appearance: plan.appearance,
        })
    }
}
