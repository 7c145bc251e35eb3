//! The background's part of a SAML sign-in: the identity provider's post goes to the host
//! (`saml_roles`), the role list waits here for `saml.html`, and the chosen roles open
//! through the host's `saml_open` in their own containers / tab groups.

use std::cell::RefCell;

use roleport_protocol::{ErrorCode, ProtocolError, Request, SamlOpen, SamlRoleList, SamlRoles};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;

use super::post::{self, FormData, NotASignIn, RequestBody, RequestDetails};
use crate::bindings::{api, call, error_text, field, object, string_field, strings};
use crate::messages::{OpenedTab, PopupReply, SamlOutcome};
use crate::{log, native_port, tabs};

/// Sign-ins kept for their pages; the oldest goes first. They hold no secret: the role
/// list and the host's handle.
const KEPT: usize = 8;

thread_local! {
    static WAITING: RefCell<Waiting> = RefCell::new(Waiting::default());
    /// A console tab is loading in a browser whose tab groups share one cookie jar.
    static SHARED_JAR_BUSY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// How long a console tab may take to load before the next sign-in goes ahead anyway.
const LOAD_WAIT_MS: u32 = 15_000;
const POLL_MS: u32 = 100;

#[derive(Default)]
struct Waiting {
    /// By the key in the page's URL: the host's handle, or `error-N` for a refusal.
    entries: Vec<(String, PopupReply<SamlRoleList>)>,
    errors: u64,
}

impl Waiting {
    fn keep(&mut self, result: Result<SamlRoleList, ProtocolError>) -> String {
        let key = match &result {
            Ok(list) => list.handle.clone(),
            Err(_) => {
                self.errors += 1;
                format!("error-{}", self.errors)
            }
        };
        if self.entries.len() >= KEPT {
            self.entries.remove(0);
        }
        self.entries.push((key.clone(), result.into()));
        key
    }
}

/// `webRequest.onBeforeRequest` on the SAML sign-in endpoints: an identity provider's post
/// goes to the host, then the role chooser opens (with the host's error if it refused).
pub async fn on_post(details: JsValue) {
    let Some(details) = request_details(&details) else {
        return;
    };
    let saml_response = match post::saml_response(details) {
        Ok(value) => value,
        Err(NotASignIn::NotAPost | NotASignIn::NoSamlResponse) => return,
        Err(NotASignIn::TooLarge(size)) => {
            let error = ProtocolError::new(
                ErrorCode::SamlInvalid,
                format!("The identity provider's SAML response is {size} bytes, more than roleport takes"),
                "Use AWS's own role chooser page for this sign-in, and report the size at \
                 https://github.com/roleport/roleport/issues.",
            );
            show(Err(error)).await;
            return;
        }
    };
    let request = Request::SamlRoles(SamlRoles { saml_response });
    show(native_port::request_read(request, crate::results::saml_roles).await).await;
}

/// What `webRequest.onBeforeRequest` tells of a request, as far as [`post`] reads it; `None`
/// when the form's `SAMLResponse` values are not all strings.
fn request_details(details: &JsValue) -> Option<RequestDetails> {
    let form = field(&field(details, "requestBody"), "formData");
    let saml_response = match field(&form, "SAMLResponse") {
        none if none.is_undefined() => Vec::new(),
        values => strings(&values)?,
    };
    Some(RequestDetails {
        method: string_field(details, "method").unwrap_or_default(),
        url: string_field(details, "url").unwrap_or_default(),
        kind: string_field(details, "type").unwrap_or_default(),
        request_body: Some(RequestBody {
            form_data: Some(FormData { saml_response }),
        }),
    })
}

/// Keeps the outcome for the page and opens `saml.html#KEY` in a tab of its own.
async fn show(result: Result<SamlRoleList, ProtocolError>) {
    match &result {
        Ok(list) => log::debug(&format!("SAML sign-in with {} roles", list.roles.len())),
        Err(e) => log::info(&format!("SAML sign-in not taken up: {}", e.code)),
    }
    let key = WAITING.with(|w| w.borrow_mut().keep(result));
    let url = format!("{}#{key}", api().runtime().get_url("saml.html"));
    let tab = object(&[("url", url.into()), ("active", true.into())]);
    if let Err(e) = call(api().tabs().create(&tab)).await {
        log::warn(&format!(
            "could not open the SAML role chooser: {}",
            error_text(&e).unwrap_or_default()
        ));
    }
}

/// The page's `saml_pending`: the sign-in its URL names.
pub fn pending(key: &str) -> Result<SamlRoleList, ProtocolError> {
    let found = WAITING.with(|w| {
        w.borrow()
            .entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, r)| r.clone())
    });
    match found {
        Some(reply) => reply.into(),
        None => Err(ProtocolError::new(
            ErrorCode::SamlExpired,
            "This SAML sign-in is no longer known to roleport (the browser restarted roleport, \
             or the page is old)",
            "Sign in at your identity provider again; roleport shows the roles again.",
        )),
    }
}

/// The page's `saml_open`: every role concurrently, each tab as soon as its URL is ready.
/// One role opens in front; several open behind the chooser, which shows how each went.
pub async fn open(handle: String, roles: Vec<String>) -> Vec<SamlOutcome> {
    let active = roles.len() == 1;
    let receivers: Vec<_> = roles
        .into_iter()
        .map(|role_arn| {
            let (tx, rx) = futures_channel::oneshot::channel();
            let handle = handle.clone();
            spawn_local(async move {
                let reply = PopupReply::from(open_one(handle, role_arn.clone(), active).await);
                let _ = tx.send(SamlOutcome { role_arn, reply });
            });
            rx
        })
        .collect();
    let mut outcomes = Vec::with_capacity(receivers.len());
    for rx in receivers {
        if let Ok(outcome) = rx.await {
            outcomes.push(outcome);
        }
    }
    outcomes
}

async fn open_one(
    handle: String,
    role_arn: String,
    active: bool,
) -> Result<OpenedTab, ProtocolError> {
    let request = Request::SamlOpen(SamlOpen {
        handle,
        role_arn,
        region: None,
    });
    let opened = native_port::request_read(request, crate::results::console).await?;
    // Chromium's tab groups share one cookie jar: a sign-in that lands while another role's
    // console is still loading would replace its session before it is shown. So there, one
    // sign-in tab at a time, each until its console has loaded. Firefox containers need no
    // wait.
    let shared_jar = api().contextual_identities().is_none();
    if shared_jar {
        while SHARED_JAR_BUSY.with(|b| b.replace(true)) {
            gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
        }
    }
    let tab = tabs::open(
        &opened.profile,
        &opened.url,
        opened.appearance.clone(),
        active,
    )
    .await;
    if shared_jar {
        if let Ok(tab) = &tab {
            wait_until_loaded(tab.tab_id).await;
        }
        SHARED_JAR_BUSY.with(|b| b.set(false));
    }
    let tab = tab?;
    crate::sessions::signed_in(&opened, &tab).await;
    log::debug(&format!("opened {} in tab {}", tab.profile, tab.tab_id));
    Ok(tab)
}

/// Waits until tab `tab_id` has loaded a page past the sign-in redirect (or is gone, or
/// [`LOAD_WAIT_MS`] passed).
async fn wait_until_loaded(tab_id: i64) {
    for _ in 0..LOAD_WAIT_MS / POLL_MS {
        gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
        let Some(state) = crate::sessions::actions::tab_state(tab_id).await else {
            return;
        };
        if state.status == "complete" && !state.url.contains("/federation") {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(handle: &str) -> SamlRoleList {
        SamlRoleList {
            handle: handle.into(),
            session_name: None,
            expires_at: None,
            session_duration: None,
            roles: Vec::new(),
        }
    }

    #[test]
    fn sign_ins_wait_by_handle_and_refusals_by_a_key_of_their_own() {
        let mut waiting = Waiting::default();
        assert_eq!(waiting.keep(Ok(list("abc"))), "abc");
        let refused = ProtocolError::new(ErrorCode::SamlInvalid, "m", "h");
        assert_eq!(waiting.keep(Err(refused.clone())), "error-1");
        assert_eq!(waiting.keep(Err(refused)), "error-2");
        for i in 0..KEPT {
            waiting.keep(Ok(list(&format!("h{i}"))));
        }
        assert_eq!(waiting.entries.len(), KEPT);
        assert!(!waiting.entries.iter().any(|(k, _)| k == "abc"));
    }
}
