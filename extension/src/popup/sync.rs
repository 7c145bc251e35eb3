//! The popup's "Sync SSO accounts" button: discovery of every account and role of the IAM
//! Identity Center logins (the host's `sso_sync`), its progress, and what it found.

use roleport_protocol::{SsoSyncProgress, SsoSynced};

/// Where the popup's sync is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SyncState {
    /// Not asked for in this popup.
    #[default]
    Idle,
    /// Asked for; the last progress the host reported, once it has.
    Running(Option<SsoSyncProgress>),
    /// Finished: what it found, in words.
    Done(String),
}

impl SyncState {
    /// Whether a sync is under way (the button is disabled meanwhile).
    pub fn running(&self) -> bool {
        matches!(self, SyncState::Running(_))
    }

    /// The line the popup shows under the button, if any.
    pub fn text(&self) -> Option<String> {
        match self {
            SyncState::Idle => None,
            SyncState::Running(None) => Some("Syncing IAM Identity Center accounts…".into()),
            SyncState::Running(Some(p)) => Some(progress(p)),
            SyncState::Done(summary) => Some(summary.clone()),
        }
    }
}

/// `corp: roles of 120/1000 accounts…`, or the listing before it.
pub fn progress(p: &SsoSyncProgress) -> String {
    let throttled = match p.throttled {
        0 => String::new(),
        n => format!(" ({n} throttled calls retried)"),
    };
    if p.stale == 0 && p.done == 0 {
        format!("{}: listing accounts… {}{throttled}", p.login, p.accounts)
    } else {
        format!(
            "{}: roles of {}/{} accounts…{throttled}",
            p.login, p.done, p.stale
        )
    }
}

/// `corp: 1000 accounts, 3000 roles.` for each login, and what was skipped or failed.
pub fn summary(synced: &SsoSynced) -> String {
    synced
        .logins
        .iter()
        .map(|l| match &l.skipped {
            Some(_) => format!("{}: not signed in, skipped.", l.login),
            None if l.failed > 0 => format!(
                "{}: {} accounts, {} roles; {} accounts could not be read (kept as before).",
                l.login, l.accounts, l.roles, l.failed
            ),
            None => format!("{}: {} accounts, {} roles.", l.login, l.accounts, l.roles),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleport_protocol::SyncedLogin;

    fn at(accounts: u32, stale: u32, done: u32, throttled: u32) -> SsoSyncProgress {
        SsoSyncProgress {
            event_id: 1,
            login: "corp".into(),
            accounts,
            stale,
            done,
            throttled,
        }
    }

    #[test]
    fn progress_says_what_is_being_read() {
        assert_eq!(progress(&at(300, 0, 0, 0)), "corp: listing accounts… 300");
        assert_eq!(
            progress(&at(1000, 1000, 120, 4)),
            "corp: roles of 120/1000 accounts… (4 throttled calls retried)"
        );
    }

    #[test]
    fn the_summary_names_each_login_and_its_trouble() {
        let login = |name: &str, failed, skipped: Option<&str>| SyncedLogin {
            login: name.into(),
            accounts: 10,
            roles: 30,
            refreshed: 10,
            failed,
            skipped: skipped.map(str::to_owned),
        };
        let synced = SsoSynced {
            logins: vec![
                login("corp", 0, None),
                login("lab", 2, None),
                login("old", 0, Some("no token")),
            ],
        };
        assert_eq!(
            summary(&synced),
            "corp: 10 accounts, 30 roles. lab: 10 accounts, 30 roles; 2 accounts could not be \
             read (kept as before). old: not signed in, skipped."
        );
    }

    #[test]
    fn only_a_running_sync_disables_the_button() {
        assert!(!SyncState::Idle.running());
        assert!(SyncState::Running(None).running());
        assert!(!SyncState::Done(String::new()).running());
        assert_eq!(SyncState::Idle.text(), None);
    }
}
