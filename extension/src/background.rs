//! The background's message handler: checks the sender, routes each popup request to the
//! host, and for `open` puts the returned sign-in URL in the profile's container / group.
//! It also handles the host's events: `open_tab` (from `roleport open` in a terminal) opens
//! the URL the same way and reports where with `open_tab_result`.
//!
//! Two channels, two privileges: `runtime.onMessage` ([`on_message`]) takes only popup
//! requests from the extension's own pages; events ([`on_host_event`]) arrive only on the
//! native port, which no web page or other extension can write to.

use std::cell::RefCell;
use std::rc::Rc;

use litemap::LiteMap;
use roleport_protocol::{
    ErrorCode, Event, OpenConsole, OpenTab, OpenTabResult, ProfileList, ProtocolError, Request,
    SettingsPut, SsoDeviceCode, SsoLogin, SsoSync, SsoSyncProgress, TabOutcome,
};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;

use crate::bindings::{api, object, string_field};
use crate::codec::{encode, to_js};
use crate::messages::{OpenOutcome, OpenedTab, PopupReply, PopupRequest, SsoStatus};
use crate::sessions::{self, actions, actions::WhenOpen};
use crate::trust::{self, Sender};
use crate::turns::Turns;
use crate::{log, native_port, tabs};

thread_local! {
    /// The user code of each profile's `sso_login` in progress, for the popup to show.
    static SSO_CODES: RefCell<LiteMap<String, String>> = const { RefCell::new(LiteMap::new()) };
    /// The host's last answer to `list_profiles`, for the next popup to show at once.
    static LAST_LIST: RefCell<Option<Rc<Listed>>> = const { RefCell::new(None) };
    /// The last `sso_sync_progress` of the sync in progress, for the popup to show.
    static SYNC_PROGRESS: RefCell<Option<SsoSyncProgress>> = const { RefCell::new(None) };
    /// The profiles being opened ([`open`] takes one turn per profile).
    static OPENING: RefCell<Turns> = RefCell::new(Turns::default());
}

/// Answers one `runtime.onMessage` with `{ok: …}` or `{err: …}`.
pub async fn on_message(message: JsValue, sender: JsValue) -> JsValue {
    let runtime = api().runtime();
    let sender = Sender {
        id: string_field(&sender, "id"),
        url: string_field(&sender, "url"),
    };
    if let Err(e) = trust::check(&sender, &runtime.id(), &runtime.get_url("")) {
        log::warn("refused a message from outside the extension");
        return reply::<()>(Err(e));
    }
    let request = match PopupRequest::read(&message) {
        Ok(request) => request,
        Err(e) => {
            let hint = "Reload the popup: it may be from an older version of the extension.";
            return reply::<()>(Err(ProtocolError::new(
                ErrorCode::InvalidRequest,
                crate::codec::unreadable("the popup's request", e).message,
                hint,
            )));
        }
    };
    match request {
        PopupRequest::ListProfiles { cached, text } => match list_profiles(cached).await {
            Ok(listed) if text => JsValue::from_str(&listed.reply),
            Ok(listed) => js_sys::JSON::parse(&listed.reply).unwrap_or(JsValue::NULL),
            Err(e) => reply::<()>(Err(e)),
        },
        PopupRequest::Open {
            profile,
            mfa_code,
            password,
            background,
        } => reply(open(profile, mfa_code, password, !background).await),
        PopupRequest::OpenMany {
            profiles,
            background,
        } => reply(Ok::<_, ProtocolError>(
            open_many(profiles, !background).await,
        )),
        PopupRequest::SsoLogin { profile } => reply(sso_login(profile).await),
        PopupRequest::SsoStatus { profile } => reply(Ok::<_, ProtocolError>(SsoStatus {
            user_code: SSO_CODES.with(|codes| codes.borrow().get(&profile).cloned()),
        })),
        PopupRequest::SsoSync => reply_js(sso_sync().await),
        PopupRequest::SsoSyncStatus => reply(Ok::<_, ProtocolError>(
            SYNC_PROGRESS.with(|p| p.borrow().clone()),
        )),
        PopupRequest::SamlPending { key } => reply(crate::saml::flow::pending(&key)),
        PopupRequest::SamlOpen { handle, roles } => reply(Ok::<_, ProtocolError>(
            crate::saml::flow::open(handle, roles).await,
        )),
        PopupRequest::Sessions => reply(Ok::<_, ProtocolError>(sessions::infos().await)),
        PopupRequest::SignOut { profile } => reply(sign_out(&profile).await),
        PopupRequest::SettingsGet => reply_js(settings(Request::SettingsGet).await),
        PopupRequest::SettingsPut { settings: new } => {
            let saved = settings(Request::SettingsPut(SettingsPut { settings: new })).await;
            // The next popup must not open with the colours of the old rules.
            LAST_LIST.with(|l| *l.borrow_mut() = None);
            crate::last_list::forget();
            reply_js(saved)
        }
    }
}

/// The options page's `settings_get` / `settings_put`, passed to the host. The
/// [`roleport_protocol::SettingsDoc`] goes back to the page as the host sent it: the page
/// decodes it, the background has no use for it.
async fn settings(request: Request) -> Result<JsValue, ProtocolError> {
    let asked = request.type_name();
    passed_on(native_port::request(request).await?, asked)
}

/// A result object of the host's, of type `asked`, to hand on to a page as it is: without its
/// `type`, as the typed result the page decodes.
fn passed_on(ok: JsValue, asked: &str) -> Result<JsValue, ProtocolError> {
    native_port::of_type(&ok, asked)?;
    let _ = js_sys::Reflect::delete_property(
        ok.unchecked_ref::<js_sys::Object>(),
        &JsValue::from_str("type"),
    );
    Ok(ok)
}

/// Browser start-up or extension install: open the host port now.
pub fn on_startup() {
    native_port::ensure_connected();
}

/// An event from the host, received on the native port.
pub async fn on_host_event(event: Event) {
    match event {
        Event::OpenTab(open) => open_tab(open).await,
        Event::SsoDeviceCode(code) => sso_device_code(code).await,
        Event::SsoSyncProgress(progress) => {
            SYNC_PROGRESS.with(|p| *p.borrow_mut() = Some(progress));
        }
    }
}

/// The popup's `sso_sync`: the host's discovery of every login's accounts and roles.
/// The host's [`roleport_protocol::SsoSynced`] goes on to the popup as it came.
async fn sso_sync() -> Result<JsValue, ProtocolError> {
    SYNC_PROGRESS.with(|p| *p.borrow_mut() = None);
    let answer = native_port::request(Request::SsoSync(SsoSync::default())).await;
    SYNC_PROGRESS.with(|p| *p.borrow_mut() = None);
    passed_on(answer?, "sso_sync")
}

/// `sso_device_code`: the identity provider's page in a normal tab (no container, no group:
/// it belongs to no account), and the code kept for the popup.
async fn sso_device_code(code: SsoDeviceCode) {
    SSO_CODES.with(|codes| {
        codes
            .borrow_mut()
            .insert(code.profile.clone(), code.user_code.clone())
    });
    let tab = object(&[
        ("url", code.verification_uri_complete.as_str().into()),
        ("active", true.into()),
    ]);
    match crate::bindings::call(api().tabs().create(&tab)).await {
        Ok(_) => log::debug(&format!("opened the sign-in page for {}", code.profile)),
        Err(e) => log::warn(&format!(
            "could not open the sign-in page: {}",
            crate::bindings::error_text(&e).unwrap_or_default()
        )),
    }
}

/// The popup's `sso_login`: the host's device flow, then the profile's console.
async fn sso_login(profile: String) -> Result<OpenedTab, ProtocolError> {
    let request = Request::SsoLogin(SsoLogin {
        profile: profile.clone(),
    });
    let answer = native_port::request(request).await;
    SSO_CODES.with(|codes| codes.borrow_mut().remove(&profile));
    // Its [`roleport_protocol::SsoLoggedIn`] is only logged: read by field, not decoded.
    let ok = answer?;
    native_port::of_type(&ok, "sso_login")?;
    let login = string_field(&ok, "login")
        .ok_or_else(|| crate::codec::unreadable("a reply from the host", "no `login`"))?;
    log::debug(&format!("signed in to {login}"));
    open(profile, None, None, true).await
}

/// `open_tab`: the console in the profile's container / tab group, then `open_tab_result`.
async fn open_tab(open: OpenTab) {
    let OpenTab { event_id, console } = open;
    // Taken like a popup's open: two at once (terminals, or a terminal and the popup) would
    // each find no container / group and make one.
    let turn = Turn::take(&console.profile).await;
    let outcome = match tabs::open(
        &console.profile,
        &console.url,
        console.appearance.clone(),
        true,
    )
    .await
    {
        Ok(tab) => {
            sessions::signed_in(&console, &tab).await;
            log::debug(&format!(
                "opened {} in tab {} for the terminal",
                tab.profile, tab.tab_id
            ));
            TabOutcome::Ok(tab)
        }
        Err(e) => {
            log::info(&format!("could not open {}: {}", console.profile, e.code));
            TabOutcome::Err(e)
        }
    };
    drop(turn);
    let report = Request::OpenTabResult(OpenTabResult { event_id, outcome });
    match native_port::request(report).await {
        Ok(_) => {}
        Err(e) => log::info(&format!(
            "the host did not take the tab's result: {}",
            e.code
        )),
    }
}

/// A list of the host's, and the popup's reply holding it as JSON text: encoded once per
/// list, as every popup open asks for it.
struct Listed {
    list: ProfileList,
    reply: String,
}

/// The host's profiles; with `cached`, the list it gave last, if any (a popup opens with
/// that at once, then asks for a fresh one). Names and accounts only: nothing secret is kept.
async fn list_profiles(cached: bool) -> Result<Rc<Listed>, ProtocolError> {
    let last = LAST_LIST.with(|l| l.borrow().clone());
    if let Some(listed) = last.as_ref().filter(|_| cached) {
        return Ok(listed.clone());
    }
    // In pages: a large organisation's list is over the browser's 1 MiB per message.
    let mut pages = crate::profile_pages::Pages::default();
    let mut cursor = crate::profile_pages::Pages::first();
    let list = loop {
        let ask = Request::ListProfiles(roleport_protocol::ListProfiles::page(cursor));
        match pages.add(native_port::request_read(ask, crate::results::profile_page).await?)? {
            crate::profile_pages::Step::Ask(next) => cursor = next,
            crate::profile_pages::Step::Done(list) => break list,
        }
    };
    if let Some(listed) = last.filter(|l| l.list == list) {
        return Ok(listed);
    }
    crate::switch_roles::remember(&list.profiles);
    let reply = encode(&PopupReply::<&ProfileList>::Ok(&list));
    crate::last_list::keep(&reply);
    let listed = Rc::new(Listed { list, reply });
    LAST_LIST.with(|l| *l.borrow_mut() = Some(listed.clone()));
    Ok(listed)
}

/// Opens every profile concurrently: each tab appears as soon as its own sign-in is ready,
/// and a failure is reported for its profile without holding back the others. The host
/// bounds how many sign-ins run at once.
async fn open_many(profiles: Vec<String>, active: bool) -> Vec<OpenOutcome> {
    let receivers: Vec<_> = profiles
        .into_iter()
        .map(|profile| {
            let (tx, rx) = futures_channel::oneshot::channel();
            spawn_local(async move {
                let reply = PopupReply::from(open(profile.clone(), None, None, active).await);
                let _ = tx.send(OpenOutcome { profile, reply });
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

async fn open(
    profile: String,
    mfa_code: Option<String>,
    password: Option<String>,
    active: bool,
) -> Result<OpenedTab, ProtocolError> {
    let _turn = Turn::take(&profile).await;
    // A profile already signed in needs no new sign-in; one whose session expired signs in
    // again in the same tabs.
    let (live, expired) = match sessions::lookup(&profile).await {
        Some(s) if s.expired(js_sys::Date::now()) => (None, Some(s)),
        s => (s, None),
    };
    log::debug(&format!(
        "open {profile}: live {} expired {}",
        live.is_some(),
        expired.is_some()
    ));
    if let Some(live) = live {
        // The look of the list the popup drew (the options page clears it when rules change).
        let look = LAST_LIST.with(|l| {
            (l.borrow().as_ref())
                .and_then(|listed| listed.list.profiles.iter().find(|p| p.name == profile))
                .map(|p| p.appearance.clone())
        });
        if let Some(look) = look {
            if let Err(e) = tabs::recolour(&profile, &live.place, look).await {
                log::info(&format!("could not recolour {profile}: {}", e.message));
            }
        }
        let done = match actions::when_open().await {
            WhenOpen::Focus => actions::focus(&live).await,
            WhenOpen::NewTab => actions::new_tab(&live, active).await,
        };
        match done {
            Ok(tab) => return Ok(tab),
            // Its tabs went away unseen: forget it and sign in anew.
            Err(e) => {
                log::info(&format!(
                    "session of {profile} not reachable: {}",
                    e.message
                ));
                sessions::forget(&profile).await;
            }
        }
    }
    let request = Request::OpenConsole(OpenConsole {
        profile,
        mfa_code,
        password,
        ..OpenConsole::default()
    });
    let opened = native_port::request_read(request, crate::results::console).await?;
    if let Some(expired) = expired.filter(|s| s.profile == opened.profile) {
        match actions::renew(&expired, &opened, active).await {
            Ok(tab) => return Ok(tab),
            // A tab of it closed meanwhile: open a fresh tab with this (unused) sign-in URL.
            Err(e) => log::info(&format!("could not renew in place: {}", e.message)),
        }
    }
    let mut tab = tabs::open(
        &opened.profile,
        &opened.url,
        opened.appearance.clone(),
        active,
    )
    .await?;
    log::debug(&format!("opened {} in tab {}", tab.profile, tab.tab_id));
    sessions::signed_in(&opened, &tab).await;
    tab.notices = opened.notices;
    Ok(tab)
}

/// A profile's turn to be opened ([`crate::turns`]), given back when dropped: whatever way
/// [`open`] ends, the next open of the profile then finds the session this one recorded.
struct Turn(String);

impl Turn {
    async fn take(profile: &str) -> Turn {
        while let Some(wait) = OPENING.with(|o| o.borrow_mut().take(profile)) {
            // Woken (or the holder vanished): ask again.
            let _ = wait.await;
        }
        Turn(profile.to_owned())
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        OPENING.with(|o| o.borrow_mut().give_back(&self.0));
    }
}

/// The popup's `sign_out`.
async fn sign_out(profile: &str) -> Result<(), ProtocolError> {
    let session = sessions::lookup(profile).await.ok_or_else(|| {
        ProtocolError::new(
            ErrorCode::InvalidRequest,
            format!("No console session of `{profile}` is open"),
            "Its tabs may have closed already; the popup's list shows the open sessions.",
        )
    })?;
    actions::sign_out(session).await
}

fn reply<T: Serialize>(result: Result<T, ProtocolError>) -> JsValue {
    to_js(&PopupReply::from(result))
}

/// `{ok: value}` (or `{err: …}`), `value` as it is.
fn reply_js(result: Result<JsValue, ProtocolError>) -> JsValue {
    match result {
        Ok(value) => {
            let reply = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&reply, &JsValue::from_str("ok"), &value);
            reply.into()
        }
        Err(e) => reply::<()>(Err(e)),
    }
}
