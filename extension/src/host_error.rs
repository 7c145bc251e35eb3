//! Turns the browser's reason for a dead native port into a coded error with a fix.
//!
//! The browsers' texts are not an API, so this matches loosely and falls back to a generic
//! hint; the browser's own text always stays in the message.

use roleport_protocol::{ErrorCode, ProtocolError, NATIVE_HOST_NAME};

/// The hint when the browser cannot find the host at all.
pub const HINT_INSTALL: &str = "Install the host: run `roleport host install`";

/// Why a port to the host ended, from the browser's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// No native-messaging manifest for our host name.
    NotFound,
    /// A manifest exists but does not allow this extension.
    Forbidden,
    /// The manifest exists but its program could not be started.
    FailedToStart,
    /// The host ran and then exited or broke the framing.
    Exited,
}

impl Cause {
    /// Classifies the browser's text (`runtime.lastError.message` in Chromium,
    /// `port.error.message` in Firefox).
    pub fn classify(browser_text: Option<&str>) -> Cause {
        let text = browser_text.unwrap_or_default().to_ascii_lowercase();
        if text.contains("not found") || text.contains("no such native application") {
            Cause::NotFound
        } else if text.contains("forbidden") || text.contains("does not have permission") {
            Cause::Forbidden
        } else if text.contains("failed to start") {
            Cause::FailedToStart
        } else {
            Cause::Exited
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Cause::NotFound => HINT_INSTALL,
            Cause::Forbidden => {
                "The host is registered for another extension id: run `roleport host install` again"
            }
            Cause::FailedToStart => {
                "The registered host program is missing or not executable: run `roleport host install`"
            }
            Cause::Exited => {
                "Try again: the host is started afresh on the next request. If it keeps stopping, reinstall it with `roleport host install`"
            }
        }
    }
}

/// The error every pending request gets when the port to the host ends.
pub fn host_unavailable(browser_text: Option<&str>) -> ProtocolError {
    let cause = Cause::classify(browser_text);
    let reason = match browser_text {
        Some(text) if !text.is_empty() => text,
        _ => "the connection closed",
    };
    let what = match cause {
        Cause::Exited => "The roleport host stopped",
        _ => "The browser could not start the roleport host",
    };
    ProtocolError::new(
        ErrorCode::HostUnavailable,
        format!("{what} ({NATIVE_HOST_NAME}): {reason}"),
        cause.hint(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_host_says_install_in_both_browsers() {
        for text in [
            "Specified native messaging host not found.",
            "No such native application dev.roleport.host",
        ] {
            let err = host_unavailable(Some(text));
            assert_eq!(err.code, ErrorCode::HostUnavailable);
            assert_eq!(err.hint, "Install the host: run `roleport host install`");
            assert!(err.message.contains(text), "{}", err.message);
        }
    }

    #[test]
    fn other_causes_keep_the_browser_text_and_still_point_at_a_command() {
        let cases = [
            ("Access to the specified native messaging host is forbidden.", Cause::Forbidden),
            (
                "This extension does not have permission to use native application dev.roleport.host",
                Cause::Forbidden,
            ),
            ("Failed to start native messaging host.", Cause::FailedToStart),
            ("Native host has exited.", Cause::Exited),
        ];
        for (text, cause) in cases {
            assert_eq!(Cause::classify(Some(text)), cause, "{text}");
            let err = host_unavailable(Some(text));
            assert!(err.message.contains(text));
            assert!(err.hint.contains("roleport host install"), "{}", err.hint);
        }
    }

    #[test]
    fn no_text_means_the_host_went_away() {
        let err = host_unavailable(None);
        assert_eq!(Cause::classify(None), Cause::Exited);
        assert!(
            err.message.contains("the connection closed"),
            "{}",
            err.message
        );
    }
}
