//! Discovery (`roleport sso sync`, the popup's sync button): ListAccounts, then
//! ListAccountRoles for every account that is new or stale, into the login's [`Directory`].
//!
//! Large organisations are where peers fail (HTTP 429 from the portal). Here every call waits
//! its turn at the [`Pacer`]'s adaptive rate, a bounded set of workers keeps calls in flight
//! while the portal is slow, a throttled call is retried (it does not fail the account), and
//! only repeated server errors give up on one account — whose previous roles are then kept.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sso::config::http::HttpResponse;
use aws_sdk_sso::error::{ProvideErrorMetadata, SdkError};
use aws_types::region::Region;
use tokio::sync::mpsc;

use super::directory::{Account, Directory};
use super::pace::{self, Pacer};
use super::{cache, Target};
use crate::config::AwsConfig;
use crate::error::HostError;

/// Calls in flight at most: enough to keep the rate up when each call takes ~100 ms.
const WORKERS: usize = 8;
/// The largest page both list calls allow.
const PAGE_SIZE: i32 = 100;
/// A call throttled this many times in a row gives up (the pacer slows down long before).
const MAX_THROTTLED: u32 = 40;
/// Attempts of a call that meets server errors or timeouts.
const MAX_ATTEMPTS: u32 = 4;
/// Roles read longer ago than this are read again by a sync that is not `full`.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// How often progress is reported, at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// What to refresh.
#[derive(Debug, Clone, Copy)]
pub struct SyncOptions {
    /// Read every account's roles again, however recent.
    pub full: bool,
    /// Roles older than this are stale.
    pub max_age: Duration,
}

impl Default for SyncOptions {
    fn default() -> SyncOptions {
        SyncOptions {
            full: false,
            max_age: DEFAULT_MAX_AGE,
        }
    }
}

/// Where a sync is.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// The login being synced.
    pub login: String,
    /// Accounts listed so far (all of them once listing is over).
    pub accounts: usize,
    /// Accounts whose roles are to be read.
    pub stale: usize,
    /// Of those, how many are done (read or given up).
    pub done: usize,
    /// Calls the portal throttled so far (each was retried).
    pub throttled: u64,
}

/// How a sync ended.
#[derive(Debug)]
pub struct Synced {
    /// The saved directory.
    pub directory: Directory,
    /// Accounts whose roles were read.
    pub refreshed: usize,
    /// Accounts whose roles could not be read (their previous roles are kept).
    pub failed: Vec<(String, String)>,
    /// Portal calls made, retries included.
    pub calls: u64,
    /// Calls the portal throttled.
    pub throttled: u64,
}

/// Why a call gave up.
enum Failure {
    /// The token was refused: the whole sync stops.
    LoginRequired(String),
    /// This call (one account) failed.
    Call(String),
}

/// How one login of [`sync_logins`] ended.
pub type LoginOutcome = (Target, Result<Synced, HostError>);

/// Syncs the login `name` names, or every login of the config. With no name, a login nobody
/// signed in to is reported in its outcome and the others go on; when every login needs
/// signing in, that is the error.
pub async fn sync_logins(
    config: &AwsConfig,
    name: Option<&str>,
    options: SyncOptions,
    progress: impl Fn(&Progress),
) -> Result<Vec<LoginOutcome>, HostError> {
    let targets = match name {
        Some(name) => vec![Target::resolve(config, name)?],
        None => Target::all(config),
    };
    if targets.is_empty() {
        return Err(HostError::InvalidRequest {
            message: "no IAM Identity Center login in the config".into(),
            hint: "Add an [sso-session NAME] section to ~/.aws/config (or run `aws configure \
                   sso`), then sign in with `roleport sso login NAME`."
                .into(),
        });
    }
    let mut outcomes = Vec::new();
    for target in targets {
        match sync(&target, options, &progress).await {
            Err(e @ HostError::SsoLoginRequired { .. }) if name.is_none() => {
                outcomes.push((target, Err(e)));
            }
            Err(e) => return Err(e),
            Ok(synced) => outcomes.push((target, Ok(synced))),
        }
    }
    if outcomes.iter().all(|(_, r)| r.is_err()) {
        if let Some((_, Err(e))) = outcomes.pop() {
            return Err(e);
        }
    }
    Ok(outcomes)
}

/// Syncs one login's directory and saves it. `progress` is called a few times a second.
pub async fn sync(
    target: &Target,
    options: SyncOptions,
    progress: impl Fn(&Progress),
) -> Result<Synced, HostError> {
    let token = zeroize::Zeroizing::new(super::token(target).await?.access_token.clone());
    let portal = Portal {
        client: aws_sdk_sso::Client::new(&portal_config(&target.region).await),
        token,
        pacer: Pacer::new(pace::INITIAL_RATE),
        calls: AtomicU64::new(0),
    };
    let portal = Arc::new(portal);
    // A damaged file is only a cache: start afresh rather than fail (the sync rewrites it).
    let mut directory = Directory::load(target)
        .unwrap_or_else(|e| {
            tracing::warn!("ignoring the saved accounts of `{}`: {e}", target.name);
            None
        })
        .unwrap_or_else(|| Directory::empty(target));
    let mut state = Progress {
        login: target.name.clone(),
        accounts: 0,
        stale: 0,
        done: 0,
        throttled: 0,
    };

    let listed = list_accounts(&portal, target, |n| {
        state.accounts = n;
        state.throttled = portal.pacer.throttled_calls();
        progress(&state);
    })
    .await?;
    let now = cache::now();
    let max_age = i64::try_from(options.max_age.as_secs()).unwrap_or(i64::MAX);
    let mut old: HashMap<String, Account> = directory
        .accounts
        .drain(..)
        .map(|a| (a.account_id.clone(), a))
        .collect();
    directory.accounts = listed
        .into_iter()
        .map(|(account_id, name)| {
            let (roles, roles_synced_at) = old
                .remove(&account_id)
                .map(|a| (a.roles, a.roles_synced_at))
                .unwrap_or_default();
            Account {
                account_id,
                name,
                roles,
                roles_synced_at,
            }
        })
        .collect();
    directory.synced_at = now;
    let stale: Vec<String> = directory
        .accounts
        .iter()
        .filter(|a| {
            options.full
                || a.roles_synced_at <= 0
                || now.saturating_sub(a.roles_synced_at) > max_age
        })
        .map(|a| a.account_id.clone())
        .collect();
    state.accounts = directory.accounts.len();
    state.stale = stale.len();
    progress(&state);

    let (sender, mut results) = mpsc::channel(WORKERS * 2);
    let queue = Arc::new(Mutex::new(VecDeque::from(stale)));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let (portal, queue, sender) = (portal.clone(), queue.clone(), sender.clone());
        workers.spawn(async move {
            loop {
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                let Some(account_id) = next else { break };
                let roles = list_roles(&portal, &account_id).await;
                if sender.send((account_id, roles)).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(sender);

    let index: HashMap<String, usize> = directory
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.account_id.clone(), i))
        .collect();
    let (mut refreshed, mut failed, mut fatal) = (0, Vec::new(), None);
    let mut reported = tokio::time::Instant::now();
    while let Some((account_id, roles)) = results.recv().await {
        state.done += 1;
        match roles {
            Ok(roles) => {
                if let Some(account) = index.get(&account_id).map(|&i| &mut directory.accounts[i]) {
                    account.roles = roles;
                    account.roles_synced_at = cache::now();
                }
                refreshed += 1;
            }
            Err(Failure::Call(why)) => failed.push((account_id, why)),
            Err(Failure::LoginRequired(why)) => {
                fatal = Some(why);
                workers.abort_all();
                break;
            }
        }
        if reported.elapsed() >= PROGRESS_EVERY {
            state.throttled = portal.pacer.throttled_calls();
            progress(&state);
            reported = tokio::time::Instant::now();
        }
    }
    while workers.join_next().await.is_some() {}
    // Whatever was read is kept, even when the token ran out half-way.
    directory.save()?;
    if let Some(why) = fatal {
        return Err(login_required(target, why));
    }
    state.throttled = portal.pacer.throttled_calls();
    progress(&state);
    Ok(Synced {
        directory,
        refreshed,
        failed,
        calls: portal.calls.load(Ordering::Relaxed),
        throttled: portal.pacer.throttled_calls(),
    })
}

/// The portal client and what every call shares.
struct Portal {
    client: aws_sdk_sso::Client,
    token: zeroize::Zeroizing<String>,
    pacer: Pacer,
    calls: AtomicU64,
}

/// The portal's unsigned client, with the SDK's own retries off: the pacer retries here, and
/// two retry loops would multiply each other's calls under throttling.
async fn portal_config(region: &str) -> aws_types::SdkConfig {
    crate::sdk_http::defaults()
        .region(Region::new(region.to_owned()))
        .no_credentials()
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_secs(10))
                .build(),
        )
        .load()
        .await
}

/// Every account of the login, as (id, name), page by page.
async fn list_accounts(
    portal: &Portal,
    target: &Target,
    mut listed: impl FnMut(usize),
) -> Result<Vec<(String, String)>, HostError> {
    let mut accounts = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = paced(portal, || {
            portal
                .client
                .list_accounts()
                .access_token(portal.token.as_str())
                .max_results(PAGE_SIZE)
                .set_next_token(next.clone())
                .send()
        })
        .await
        .map_err(|failure| match failure {
            Failure::LoginRequired(why) => login_required(target, why),
            Failure::Call(detail) => HostError::Sso {
                action: "ListAccounts",
                name: target.name.clone(),
                detail,
            },
        })?;
        accounts.extend(page.account_list().iter().filter_map(|a| {
            let id = a.account_id()?.to_owned();
            Some((id, a.account_name().unwrap_or_default().to_owned()))
        }));
        listed(accounts.len());
        next = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if next.is_none() {
            return Ok(accounts);
        }
    }
}

/// Every role name of one account.
async fn list_roles(portal: &Portal, account_id: &str) -> Result<Vec<String>, Failure> {
    let mut roles = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = paced(portal, || {
            portal
                .client
                .list_account_roles()
                .access_token(portal.token.as_str())
                .account_id(account_id)
                .max_results(PAGE_SIZE)
                .set_next_token(next.clone())
                .send()
        })
        .await?;
        roles.extend(
            page.role_list()
                .iter()
                .filter_map(|r| r.role_name().map(str::to_owned)),
        );
        next = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if next.is_none() {
            return Ok(roles);
        }
    }
}

/// One portal call at the pacer's rate: throttling is retried after the pacer's wait (and the
/// portal's `Retry-After`), server errors and timeouts with jittered exponential backoff.
async fn paced<T, E, F, Fut>(portal: &Portal, call: F) -> Result<T, Failure>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    let (mut throttled, mut failed) = (0u32, 0u32);
    loop {
        portal.pacer.turn().await;
        portal.calls.fetch_add(1, Ordering::Relaxed);
        let err = match call().await {
            Ok(answer) => {
                portal.pacer.succeeded();
                return Ok(answer);
            }
            Err(err) => err,
        };
        let status = err.raw_response().map(|r| r.status().as_u16());
        let detail = match (err.code(), err.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            _ => aws_sdk_sso::error::DisplayErrorContext(&err).to_string(),
        };
        match (err.code(), status) {
            (Some("TooManyRequestsException"), _) | (_, Some(429)) => {
                throttled += 1;
                let wait = pace::retry_after(
                    err.raw_response()
                        .and_then(|r| r.headers().get("retry-after")),
                );
                portal.pacer.throttled(wait);
                if throttled >= MAX_THROTTLED {
                    return Err(Failure::Call(format!(
                        "throttled {throttled} times: {detail}"
                    )));
                }
            }
            (Some("UnauthorizedException"), _) | (_, Some(401)) => {
                return Err(Failure::LoginRequired(format!(
                    "IAM Identity Center refused its token ({detail})"
                )));
            }
            (_, Some(500..=599)) | (_, None) => {
                failed += 1;
                if failed >= MAX_ATTEMPTS {
                    return Err(Failure::Call(detail));
                }
                tokio::time::sleep(backoff(failed)).await;
            }
            _ => return Err(Failure::Call(detail)),
        }
    }
}

/// Full jitter: a random wait up to 200 ms × 2^attempt.
fn backoff(attempt: u32) -> Duration {
    let cap = 200u64 << attempt.min(6);
    let mut bytes = [0u8; 8];
    let random = getrandom::fill(&mut bytes)
        .map(|()| u64::from_le_bytes(bytes))
        .unwrap_or(cap / 2);
    Duration::from_millis(random % cap.max(1))
}

fn login_required(target: &Target, why: String) -> HostError {
    HostError::SsoLoginRequired {
        name: target.name.clone(),
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_grows_and_stays_capped() {
        for attempt in 0..10 {
            let cap = Duration::from_millis(200 << attempt.min(6));
            assert!(backoff(attempt) < cap);
        }
    }
}
