//! Opens a profile's sign-in URL in a tab of its own container (Firefox) or tab group
//! (Chromium), creating or recolouring that container / group as [`placement`] decides.

use roleport_protocol::{Appearance, ErrorCode, ProtocolError};
use serde::Deserialize;
use wasm_bindgen::JsValue;

use crate::bindings::{api, call, error_text, Api, ContextualIdentities, TabGroups};
use crate::codec::{from_js, to_js};
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
    let query = to_js(&serde_json::json!({ "name": profile }));
    let found = call(identities.query(&query))
        .await
        .map_err(refused("find the container"))?;
    let found: Vec<Container> = from_js(&found, "the container list")?;
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
            from_js::<Container>(&created, "the new container")?.cookie_store_id
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

    let query = to_js(&serde_json::json!({ "title": profile }));
    let found = call(groups.query(&query))
        .await
        .map_err(refused("find the tab group"))?;
    let found: Vec<TabGroup> = from_js(&found, "the tab group list")?;
    let options = match pick_group(profile, &found) {
        Some(group_id) => serde_json::json!({ "tabIds": [tab_id], "groupId": group_id }),
        None => serde_json::json!({ "tabIds": [tab_id] }),
    };
    let group_id = call(api.tabs().group(&to_js(&options)))
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
            let query = to_js(&serde_json::json!({ "name": profile }));
            let found = call(identities.query(&query))
                .await
                .map_err(refused("find the container"))?;
            let found: Vec<Container> = from_js(&found, "the container list")?;
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

/// Opens a tab as `tab` says; its id.
pub(crate) async fn create_tab(api: &Api, tab: &NewTab<'_>) -> Result<i64, ProtocolError> {
    #[derive(Deserialize)]
    struct Created {
        id: i64,
    }
    let created = call(api.tabs().create(&to_js(tab)))
        .await
        .map_err(refused("open the tab"))?;
    Ok(from_js::<Created>(&created, "the new tab")?.id)
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
