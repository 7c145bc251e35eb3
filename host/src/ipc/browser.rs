//! The host's side of the extension for requests that start elsewhere: an `open_tab` event goes
//! out over the native port, and the extension's `open_tab_result` (a request of its own)
//! comes back and is matched to it by `event_id`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use roleport_protocol::{
    Browser, ErrorCode, Event, OpenConsoleOk, OpenTab, OpenTabResult, OpenedTab, ProtocolError,
    TabOutcome,
};
use tokio::sync::oneshot;

use crate::native::Outbox;

/// How long the extension has to open the tab and say so. Creating a container or tab group
/// and a tab takes milliseconds; this only bounds a browser that has stopped answering.
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);

/// The browser that started this host, reachable through its native port.
pub struct BrowserLink {
    browser: Browser,
    outbox: Outbox,
    next_id: AtomicU64,
    waiting: Mutex<HashMap<u64, oneshot::Sender<TabOutcome>>>,
    timeout: Duration,
}

impl BrowserLink {
    /// A link to `browser` that sends its events through `outbox`.
    pub fn new(browser: Browser, outbox: Outbox) -> BrowserLink {
        BrowserLink {
            browser,
            outbox,
            next_id: AtomicU64::new(1),
            waiting: Mutex::new(HashMap::new()),
            timeout: CONFIRM_TIMEOUT,
        }
    }

    /// The same link with another confirmation timeout (tests).
    pub fn with_timeout(mut self, timeout: Duration) -> BrowserLink {
        self.timeout = timeout;
        self
    }

    /// Which browser this is.
    pub fn browser(&self) -> Browser {
        self.browser
    }

    /// Asks the extension to open `console` in the profile's container / tab group, and waits
    /// until it says where (or why not).
    pub async fn open_tab(&self, console: OpenConsoleOk) -> Result<OpenedTab, ProtocolError> {
        let event_id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.lock().insert(event_id, tx);
        let profile = console.profile.clone();
        if !self
            .outbox
            .send_event(Event::OpenTab(OpenTab { event_id, console }))
        {
            self.lock().remove(&event_id);
            return Err(port_closed());
        }
        let outcome = tokio::time::timeout(self.timeout, rx).await;
        self.lock().remove(&event_id);
        match outcome {
            Ok(Ok(TabOutcome::Ok(tab))) => Ok(tab),
            Ok(Ok(TabOutcome::Err(e))) => Err(e),
            Ok(Err(_)) => Err(port_closed()),
            Err(_) => Err(ProtocolError::new(
                ErrorCode::BrowserApiFailed,
                format!(
                    "the {} extension did not confirm opening `{profile}` within {} s",
                    self.browser.as_str(),
                    self.timeout.as_secs()
                ),
                "Look at the browser: the tab may still appear. If it does not, make sure the \
                 roleport extension is enabled and the same version as `roleport --version`.",
            )),
        }
    }

    /// Sends an event that wants no answer, numbered in the same sequence as `open_tab`;
    /// false when the port is closed.
    pub fn notify(&self, event: impl FnOnce(u64) -> Event) -> bool {
        let event_id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.outbox.send_event(event(event_id))
    }

    /// Delivers the extension's report on an `open_tab` event.
    pub fn report(&self, result: OpenTabResult) -> Result<(), ProtocolError> {
        match self.lock().remove(&result.event_id) {
            Some(tx) => {
                // The CLI may have given up meanwhile; the report was still taken.
                let _ = tx.send(result.outcome);
                Ok(())
            }
            None => Err(ProtocolError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "no open_tab event {} is waiting for a result (it may have timed out)",
                    result.event_id
                ),
                "Nothing to do: the terminal that asked has already been told.",
            )),
        }
    }

    /// The port closed: every `open_tab` still waiting fails now with `host_unavailable`
    /// instead of at its timeout. Returns how many there were.
    pub fn disconnect(&self) -> usize {
        let mut waiting = self.lock();
        let n = waiting.len();
        // Dropping the senders wakes each waiter with "closed".
        waiting.clear();
        n
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<TabOutcome>>> {
        // A poisoned map is still a map: no invariant spans a panic here.
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn port_closed() -> ProtocolError {
    ProtocolError::new(
        ErrorCode::HostUnavailable,
        "the browser closed roleport's native port before the tab was opened",
        "Open the roleport popup once (it reconnects the browser), then run the command again.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleport_protocol::{Appearance, Color, EventFrame, Icon, Place};

    use crate::native::{Outbound, Outbox};

    fn console() -> OpenConsoleOk {
        OpenConsoleOk {
            profile: "prod".into(),
            url: "https://signin.example/federation?Action=login".into(),
            account_id: None,
            role: None,
            expires_at: None,
            notices: Vec::new(),
            region: None,
            logout_url: None,
            appearance: Appearance {
                color: Color::Red,
                icon: Icon::Fence,
                label: None,
            },
        }
    }

    fn sent_event(rx: &std::sync::mpsc::Receiver<Outbound>) -> EventFrame {
        match rx.recv_timeout(Duration::from_secs(5)).expect("an event") {
            Outbound::Event(frame) => frame,
            _ => panic!("expected an event"),
        }
    }

    #[tokio::test]
    async fn the_extensions_result_answers_the_matching_event() {
        let (outbox, rx) = Outbox::new();
        let link = std::sync::Arc::new(BrowserLink::new(Browser::Firefox, outbox));
        let opening = tokio::spawn({
            let link = std::sync::Arc::clone(&link);
            async move { link.open_tab(console()).await }
        });
        let rx = rx.into_inner();
        let frame = tokio::task::spawn_blocking(move || sent_event(&rx))
            .await
            .expect("joined");
        let Event::OpenTab(event) = frame.event else {
            panic!("expected open_tab")
        };
        assert_eq!(event.console.profile, "prod");
        let tab = OpenedTab {
            profile: "prod".into(),
            tab_id: 4,
            place: Place::Container("firefox-container-1".into()),
            notices: Vec::new(),
        };
        link.report(OpenTabResult {
            event_id: event.event_id,
            outcome: TabOutcome::Ok(tab.clone()),
        })
        .expect("someone waits");
        assert_eq!(opening.await.expect("joined"), Ok(tab));
        // A second report for the same event has nobody to go to.
        let again = link.report(OpenTabResult {
            event_id: event.event_id,
            outcome: TabOutcome::Err(ProtocolError::new(ErrorCode::Internal, "m", "h")),
        });
        assert_eq!(again.map_err(|e| e.code), Err(ErrorCode::InvalidRequest));
    }

    #[tokio::test]
    async fn silence_and_a_closed_port_end_in_a_coded_error() {
        let (outbox, rx) = Outbox::new();
        let link =
            BrowserLink::new(Browser::Chromium, outbox).with_timeout(Duration::from_millis(50));
        let err = link.open_tab(console()).await.expect_err("nobody answers");
        assert_eq!(err.code, ErrorCode::BrowserApiFailed);
        assert!(err.message.contains("chromium"), "{}", err.message);
        drop(rx);
        let err = link.open_tab(console()).await.expect_err("port closed");
        assert_eq!(err.code, ErrorCode::HostUnavailable);
    }

    #[tokio::test]
    async fn a_closing_port_fails_the_waiting_requests_at_once() {
        let (outbox, _rx) = Outbox::new();
        let link = std::sync::Arc::new(BrowserLink::new(Browser::Firefox, outbox));
        let waiting = tokio::spawn({
            let link = std::sync::Arc::clone(&link);
            async move { link.open_tab(console()).await }
        });
        while link.lock().is_empty() {
            tokio::task::yield_now().await;
        }
        assert_eq!(link.disconnect(), 1);
        let err = waiting.await.expect("joined").expect_err("closed");
        assert_eq!(err.code, ErrorCode::HostUnavailable);
    }
}
