//! IAM Identity Center discovery: `sso_sync` and its `sso_sync_progress` events.

use serde::{Deserialize, Serialize};

/// `sso_sync`: list every account and role of one IAM Identity Center login, or of all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSync {
    /// An `[sso-session]` name or an SSO profile; `None`: every login in the config (those
    /// nobody signed in to are skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// Read every account's roles again, however recent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub full: bool,
}

/// Answer to `sso_sync`: one entry per login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSynced {
    /// The logins synced or skipped, in config order.
    pub logins: Vec<SyncedLogin>,
}

/// How one login's sync went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedLogin {
    /// The `[sso-session]` name, or the legacy profile's.
    pub login: String,
    /// Accounts the login reaches.
    pub accounts: u32,
    /// Roles in them.
    pub roles: u32,
    /// Accounts whose roles were read this time (the others were fresh).
    pub refreshed: u32,
    /// Accounts whose roles could not be read (their previous roles are kept).
    pub failed: u32,
    /// Why the login was skipped (nobody signed in to it), when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// `sso_sync_progress`: where a running `sso_sync` is, a few times a second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSyncProgress {
    /// Chosen by the host (events are numbered in one sequence).
    pub event_id: u64,
    /// The login being synced.
    pub login: String,
    /// Accounts listed so far.
    pub accounts: u32,
    /// Accounts whose roles are to be read.
    pub stale: u32,
    /// Of those, how many are done.
    pub done: u32,
    /// Calls the portal throttled so far (each was retried).
    pub throttled: u32,
}
