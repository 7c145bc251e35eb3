//! Who may talk to the background: only the extension's own pages.
//!
//! Content scripts (we have none) and other extensions would reach `runtime.onMessage` with
//! another id, or a web page's URL; both are refused before the message is even parsed.

use roleport_protocol::{ErrorCode, ProtocolError};

/// The parts of `runtime.MessageSender` that decide trust.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sender {
    /// `sender.id`: the sending extension.
    pub id: Option<String>,
    /// `sender.url`: the sending page.
    pub url: Option<String>,
}

/// Checks that `sender` is a page of this extension: same id, and a URL under
/// `runtime.getURL("")` (`own_base`, e.g. `chrome-extension://ID/`).
pub fn check(sender: &Sender, own_id: &str, own_base: &str) -> Result<(), ProtocolError> {
    let same_id = sender.id.as_deref() == Some(own_id) && !own_id.is_empty();
    let own_page = !own_base.is_empty()
        && own_base.ends_with('/')
        && sender
            .url
            .as_deref()
            .is_some_and(|url| url.starts_with(own_base));
    if same_id && own_page {
        Ok(())
    } else {
        Err(ProtocolError::new(
            ErrorCode::CallerNotAllowed,
            "roleport only answers its own popup and options pages",
            "Use the roleport toolbar button.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "jlpkhfceigfphociodglhbfijhdeajmi";
    const BASE: &str = "chrome-extension://jlpkhfceigfphociodglhbfijhdeajmi/";

    fn sender(id: Option<&str>, url: Option<&str>) -> Sender {
        Sender {
            id: id.map(Into::into),
            url: url.map(Into::into),
        }
    }

    #[test]
    fn own_popup_is_allowed() {
        let popup = sender(Some(ID), Some(&format!("{BASE}popup.html")));
        assert_eq!(check(&popup, ID, BASE), Ok(()));
        let firefox = sender(
            Some("roleport@roleport.dev"),
            Some("moz-extension://1234-ab/popup.html"),
        );
        assert_eq!(
            check(
                &firefox,
                "roleport@roleport.dev",
                "moz-extension://1234-ab/"
            ),
            Ok(())
        );
    }

    #[test]
    fn strangers_are_refused() {
        let cases = [
            sender(Some("otherextensionid"), Some(&format!("{BASE}popup.html"))),
            sender(Some(ID), Some("https://evil.example/")),
            sender(Some(ID), None),
            sender(None, Some(&format!("{BASE}popup.html"))),
            // A prefix that is not a whole origin must not pass.
            sender(
                Some(ID),
                Some("chrome-extension://jlpkhfceigfphociodglhbfijhdeajmiX/p.html"),
            ),
        ];
        for case in cases {
            let err = check(&case, ID, BASE).expect_err("refused");
            assert_eq!(err.code, ErrorCode::CallerNotAllowed, "{case:?}");
        }
        // A broken runtime that reports no id or base URL trusts nobody.
        assert!(check(&sender(Some(""), Some("x")), "", "").is_err());
    }
}
