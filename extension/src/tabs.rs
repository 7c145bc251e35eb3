//! Opens a profile's sign-in URL in a tab of its own container (Firefox) or tab group
//! (Chromium), creating or recolouring that container / group as [`placement`] decides.

use roleport_protocol::{Appearance, ErrorCode, ProtocolError};
use wasm_bindgen::JsValue;

use crate::bindings::{
    api, call, error_text, ids, int_field, items, object, string_field, Api, ContextualIdentities,
    TabGroups,
};
use crate::codec::{to_js, unreadable};
use crate::messages::{OpenedTab, Place};
use crate::placement::{
    pick_group, Container, ContainerPlan, GroupLook, Isolation, NewTab, TabGroup,
};

/// Opens `url` (a one-time sign-in URL: never log it) for `profile`; `active`: switch to it.
pub async fn open(
    profile: &str,
    url: &str,
    look: Appearance,
    active: bool,
) -> Result<OpenedTab, ProtocolError> {
    let api = api();
    let identities = api.contextual_identities();
    match (Isolation::detect(identities.is_some()), identities) {
        (Isolation::Containers, Some(identities)) => {
            open_in_container(&api, &identities, profile, url, look, active).await
        }
        _ => open_in_group(&api, profile, url, look, active).await,
    }
}

async fn open_in_container(
    api: &Api,
    identities: &ContextualIdentities,
    profile: &str,
    url: &str,
    look: Appearance,
    active: bool,
) -> Result<OpenedTab, ProtocolError> {
    let found = containers(identities, profile).await?;
    let cookie_store_id = match ContainerPlan::decide(profile, &found, look) {
        ContainerPlan::Reuse(id) => id,
        ContainerPlan::Update(id, details) => {
            call(identities.update(&id, &to_js(&details)))
                .await
                .map_err(refused("recolour the container"))?;
            id
        }
        ContainerPlan::Create(details) => {
            let created = call(identities.create(&to_js(&details)))
                .await
                .map_err(refused("create the container"))?;
            (container(&created).ok_or_else(|| misread("the new container")))?.cookie_store_id
        }
    };
    let tab = NewTab {
        url,
        cookie_store_id: Some(&cookie_store_id),
        active,
    };
    let tab_id = create_tab(api, &tab).await?;
    Ok(OpenedTab {
        profile: profile.to_owned(),
        tab_id,
        place: Place::Container(cookie_store_id),
        notices: Vec::new(),
    })
}

async fn open_in_group(
    api: &Api,
    profile: &str,
    url: &str,
    look: Appearance,
    active: bool,
) -> Result<OpenedTab, ProtocolError> {
    let groups: TabGroups = api.tab_groups().ok_or_else(|| {
        ProtocolError::new(
            ErrorCode::Internal,
            "This browser has neither containers nor tab groups, so roleport cannot keep accounts apart",
            "Use Firefox, or a Chromium-based browser with tab groups (version 89 or later).",
        )
    })?;
    // With isolation the tab waits at about:blank until its cookie jar's rules name it.
    let isolated = crate::isolation::enabled(url).await;
    let first_url = if isolated { "about:blank" } else { url };
    let tab_id = create_tab(
        api,
        &NewTab {
            url: first_url,
            cookie_store_id: None,
            active,
        },
    )
    .await?;

    let query = object(&[("title", profile.into())]);
    let found = call(groups.query(&query))
        .await
        .map_err(refused("find the tab group"))?;
    let found = (items(&found).map(|groups| groups.iter().map(tab_group).collect()))
        .and_then(|found: Option<Vec<TabGroup>>| found)
        .ok_or_else(|| misread("the tab group list"))?;
    let options = match pick_group(profile, &found) {
        Some(group_id) => object(&[
            ("tabIds", ids(&[tab_id])),
            ("groupId", (group_id as f64).into()),
        ]),
        None => object(&[("tabIds", ids(&[tab_id]))]),
    };
    let group_id = call(api.tabs().group(&options))
        .await
        .map_err(refused("group the tab"))?;
    let group_id = group_id.as_f64().ok_or_else(|| unexpected("tabs.group"))? as i64;
    call(groups.update(group_id as f64, &to_js(&GroupLook::of(profile, look))))
        .await
        .map_err(refused("colour the tab group"))?;
    if isolated {
        crate::isolation::sign_in(tab_id, profile, url).await?;
    }
    Ok(OpenedTab {
        profile: profile.to_owned(),
        tab_id,
        place: Place::Group(group_id),
        notices: Vec::new(),
    })
}

/// Gives the container / tab group a live session already has the profile's current look: a
/// click that reuses the session (focus, another tab) asks the host nothing, so a colour rule
/// changed since the sign-in is applied here instead.
pub async fn recolour(profile: &str, place: &Place, look: Appearance) -> Result<(), ProtocolError> {
    let api = api();
    match place {
        Place::Container(_) => {
            let Some(identities) = api.contextual_identities() else {
                return Ok(());
            };
            let found = containers(&identities, profile).await?;
            if let ContainerPlan::Update(id, details) = ContainerPlan::decide(profile, &found, look)
            {
                call(identities.update(&id, &to_js(&details)))
                    .await
                    .map_err(refused("recolour the container"))?;
            }
        }
        Place::Group(group_id) => {
            if let Some(groups) = api.tab_groups() {
                call(groups.update(*group_id as f64, &to_js(&GroupLook::of(profile, look))))
                    .await
                    .map_err(refused("colour the tab group"))?;
            }
        }
    }
    Ok(())
}

/// Sends `tab` to `url` (maybe a one-time sign-in URL: never log it); `active`: switch to it
/// too. Chromium sometimes drops a navigation sent right after the tab was made: the update
/// succeeds, yet the tab stays `unloaded` at about:blank for good (measured: 3 of 60 second
/// tabs of a session under load). Such a tab, which never loaded the URL, is sent again.
pub(crate) async fn navigate(tab: i64, url: &str, active: Option<bool>) -> Result<(), JsValue> {
    let mut properties = vec![("url", JsValue::from_str(url))];
    properties.extend(active.map(|a| ("active", a.into())));
    call(api().tabs().update(tab as f64, &object(&properties))).await?;
    let url = url.to_owned();
    wasm_bindgen_futures::spawn_local(async move {
        for _ in 0..3 {
            gloo_timers::future::TimeoutFuture::new(500).await;
            match crate::sessions::actions::tab_state(tab).await {
                Some(t) if t.status == "unloaded" && t.url == "about:blank" => {
                    crate::log::debug(&format!("tab {tab} did not begin to load: sent again"));
                    let again = object(&[("url", url.as_str().into())]);
                    if call(api().tabs().update(tab as f64, &again)).await.is_err() {
                        return;
                    }
                }
                _ => return,
            }
        }
    });
    Ok(())
}

/// Opens a tab as `tab` says; its id.
pub(crate) async fn create_tab(api: &Api, tab: &NewTab<'_>) -> Result<i64, ProtocolError> {
    let created = call(api.tabs().create(&to_js(tab)))
        .await
        .map_err(refused("open the tab"))?;
    int_field(&created, "id").ok_or_else(|| misread("the new tab"))
}

/// The containers `contextualIdentities.query({name})` finds.
async fn containers(
    identities: &ContextualIdentities,
    profile: &str,
) -> Result<Vec<Container>, ProtocolError> {
    let query = object(&[("name", profile.into())]);
    let found = call(identities.query(&query))
        .await
        .map_err(refused("find the container"))?;
    (items(&found).map(|found| found.iter().map(container).collect()))
        .and_then(|found: Option<Vec<Container>>| found)
        .ok_or_else(|| misread("the container list"))
}

/// A `contextualIdentities.ContextualIdentity`.
fn container(value: &JsValue) -> Option<Container> {
    Some(Container {
        cookie_store_id: string_field(value, "cookieStoreId")?,
        name: string_field(value, "name")?,
        color: string_field(value, "color")?,
        icon: string_field(value, "icon")?,
    })
}

/// A `tabGroups.TabGroup`.
fn tab_group(value: &JsValue) -> Option<TabGroup> {
    Some(TabGroup {
        id: int_field(value, "id")?,
        title: string_field(value, "title"),
    })
}

/// The error for a browser object without the fields the browser documents.
fn misread(what: &str) -> ProtocolError {
    unreadable(what, "a field is missing or of another type")
}

/// The error for a browser API call that failed.
fn refused(what: &'static str) -> impl Fn(JsValue) -> ProtocolError {
    move |error| {
        let why = error_text(&error).unwrap_or_else(|| "no reason given".to_owned());
        ProtocolError::new(
            ErrorCode::Internal,
            format!("The browser would not {what}: {why}"),
            "Check that containers (Firefox) or tab groups (Chromium) are enabled, then try again.",
        )
    }
}

fn unexpected(api_name: &str) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::Internal,
        format!("{api_name} returned something unexpected"),
        "Report this at https://github.com/roleport/roleport/issues with your browser version.",
    )
}
