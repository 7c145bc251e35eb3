//! roleport's one HTTP client: the sign-in calls (getSigninToken, the SAML sign-in) and,
//! through [`crate::sdk_http`], the AWS SDK's. Made once per process, and only when a call
//! needs it.

use std::sync::{Arc, OnceLock};

use roleport_protocol::{ErrorCode, ProtocolError};

/// Building a client reads the OS trust store: Debian's takes ~18 M instructions (8–15 ms on
/// these machines), which a host that only greets and lists profiles never needs, and which a
/// sign-in starts on a blocking thread as it begins ([`SharedClient::prepare`]). One client
/// for the SDK and the sign-in reads it once (the SDK's own client would read it again, on
/// the way to its first call).
#[derive(Clone, Debug, Default)]
pub struct SharedClient(Arc<OnceLock<Result<reqwest::Client, String>>>);

impl SharedClient {
    /// The process's client, shared by every caller.
    pub fn process() -> SharedClient {
        static ONE: OnceLock<SharedClient> = OnceLock::new();
        ONE.get_or_init(SharedClient::default).clone()
    }

    /// Starts building the client on a blocking thread, unless it is built or being built.
    pub fn prepare(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.0.get().is_none() {
            let cell = self.0.clone();
            drop(runtime.spawn_blocking(move || cell.get_or_init(build).is_ok()));
        }
    }

    /// The client: built now, or once [`SharedClient::prepare`]'s build ends (a wait of a few
    /// milliseconds at most, on this thread).
    pub fn get(&self) -> Result<&reqwest::Client, ProtocolError> {
        self.0.get_or_init(build).as_ref().map_err(|e| {
            ProtocolError::new(
                ErrorCode::Internal,
                format!("cannot start the HTTP client: {e}"),
                "Report this at https://github.com/roleport/roleport/issues.",
            )
        })
    }
}

fn build() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_built_until_asked_and_then_once() {
        let client = SharedClient::default();
        assert!(client.0.get().is_none(), "made on first use");
        client.prepare(); // outside a runtime: builds nothing, and does not panic
        assert!(client.0.get().is_none());
        let first: *const reqwest::Client = client.get().expect("builds");
        let second: *const reqwest::Client = client.clone().get().expect("built");
        assert_eq!(first, second, "one client per process, shared by clones");
    }

    #[test]
    fn the_process_has_one() {
        assert!(Arc::ptr_eq(
            &SharedClient::process().0,
            &SharedClient::process().0
        ));
    }

    #[tokio::test]
    async fn prepare_builds_it_in_the_background() {
        let client = SharedClient::default();
        client.prepare();
        for _ in 0..500 {
            if client.0.get().is_some() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("prepare built nothing within 5 s");
    }
}
