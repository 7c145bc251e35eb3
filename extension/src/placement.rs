//! Where a profile's tab goes: which isolation the browser offers, and what to do with the
//! container or tab group that may already exist. Pure decisions; [`crate::tabs`] acts on them.

use roleport_protocol::Appearance;
use serde::Serialize;

/// The isolation the running browser offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// Firefox: one contextual identity (container) per profile, with its own cookies.
    Containers,
    /// Chromium: one titled, coloured tab group per profile.
    TabGroups,
}

impl Isolation {
    /// Containers whenever the `contextualIdentities` API exists, tab groups otherwise.
    pub fn detect(has_contextual_identities: bool) -> Isolation {
        if has_contextual_identities {
            Isolation::Containers
        } else {
            Isolation::TabGroups
        }
    }
}

/// A Firefox container as `contextualIdentities.query` returns it (`cookieStoreId`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// Its cookie store, e.g. `firefox-container-3`.
    pub cookie_store_id: String,
    /// Its name.
    pub name: String,
    /// Its colour name.
    pub color: String,
    /// Its icon name.
    pub icon: String,
}

/// The `details` of `contextualIdentities.create` / `update`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerDetails {
    /// Container name; absent on update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Firefox colour name.
    pub color: &'static str,
    /// Firefox icon name.
    pub icon: &'static str,
}

/// What to do so that a container named after the profile exists with the right look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerPlan {
    /// It exists and looks right.
    Reuse(String),
    /// It exists with another colour or icon: update it (cookie store id, new look).
    Update(String, ContainerDetails),
    /// None exists: create one.
    Create(ContainerDetails),
}

impl ContainerPlan {
    /// Decides from the containers `query({name})` returned. Only an exact name counts.
    pub fn decide(profile: &str, found: &[Container], look: Appearance) -> ContainerPlan {
        let color = look.color.firefox();
        let icon = look.icon.firefox();
        match found.iter().find(|c| c.name == profile) {
            Some(c) if c.color == color && c.icon == icon => {
                ContainerPlan::Reuse(c.cookie_store_id.clone())
            }
            Some(c) => ContainerPlan::Update(
                c.cookie_store_id.clone(),
                ContainerDetails {
                    name: None,
                    color,
                    icon,
                },
            ),
            None => ContainerPlan::Create(ContainerDetails {
                name: Some(profile.to_owned()),
                color,
                icon,
            }),
        }
    }
}

/// A Chromium tab group as `tabGroups.query` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabGroup {
    /// Group id.
    pub id: i64,
    /// Its title, if it has one.
    pub title: Option<String>,
}

/// The group to add the profile's tab to: the first whose title is exactly the profile name
/// (`tabGroups.query({title})` also matches patterns, so it is checked again here).
pub fn pick_group(profile: &str, found: &[TabGroup]) -> Option<i64> {
    found
        .iter()
        .find(|g| g.title.as_deref() == Some(profile))
        .map(|g| g.id)
}

/// The `updateProperties` of `tabGroups.update`: the profile's title and colour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupLook {
    /// The profile name.
    pub title: String,
    /// Chromium colour name.
    pub color: &'static str,
}

impl GroupLook {
    /// The look of a profile's tab group.
    pub fn of(profile: &str, look: Appearance) -> GroupLook {
        GroupLook {
            title: profile.to_owned(),
            color: look.color.chromium(),
        }
    }
}

/// The `createProperties` of `tabs.create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTab<'a> {
    /// The sign-in URL.
    pub url: &'a str,
    /// Firefox: the container to open it in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookie_store_id: Option<&'a str>,
    /// Switch to the tab (false: Ctrl/Cmd+Enter opened it in the background).
    pub active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleport_protocol::{Color, Icon};
    use serde_json::json;

    const PROD: Appearance = Appearance {
        color: Color::Red,
        icon: Icon::Fence,
        label: None,
    };

    fn container(id: &str, name: &str, color: &str, icon: &str) -> Container {
        Container {
            cookie_store_id: id.into(),
            name: name.into(),
            color: color.into(),
            icon: icon.into(),
        }
    }

    #[test]
    fn contextual_identities_mean_containers() {
        assert_eq!(Isolation::detect(true), Isolation::Containers);
        assert_eq!(Isolation::detect(false), Isolation::TabGroups);
    }

    #[test]
    fn missing_container_is_created_with_the_profile_look() {
        let plan = ContainerPlan::decide("prod", &[], PROD);
        let ContainerPlan::Create(details) = plan else {
            panic!("{plan:?}")
        };
        assert_eq!(
            serde_json::to_value(&details).expect("serialises"),
            json!({"name": "prod", "color": "red", "icon": "fence"})
        );
    }

    #[test]
    fn matching_container_is_reused_and_a_changed_one_recoloured() {
        let same = [container("firefox-container-1", "prod", "red", "fence")];
        assert_eq!(
            ContainerPlan::decide("prod", &same, PROD),
            ContainerPlan::Reuse("firefox-container-1".into())
        );
        let old = [container("firefox-container-1", "prod", "blue", "fence")];
        let plan = ContainerPlan::decide("prod", &old, PROD);
        let ContainerPlan::Update(id, details) = plan else {
            panic!("{plan:?}")
        };
        assert_eq!(id, "firefox-container-1");
        assert_eq!(
            serde_json::to_value(&details).expect("serialises"),
            json!({"color": "red", "icon": "fence"})
        );
    }

    #[test]
    fn a_container_whose_rule_changed_only_its_icon_is_updated_in_place() {
        // The colour rules changed the icon, not the colour: same container, new icon.
        let old = [container("firefox-container-7", "prod", "red", "circle")];
        let plan = ContainerPlan::decide("prod", &old, PROD);
        assert_eq!(
            plan,
            ContainerPlan::Update(
                "firefox-container-7".into(),
                ContainerDetails {
                    name: None,
                    color: "red",
                    icon: "fence"
                }
            )
        );
        // A label never renames the container (it is found by the profile's name).
        let labelled = Appearance {
            label: Some("PROD".into()),
            ..PROD
        };
        let same = [container("firefox-container-7", "prod", "red", "fence")];
        assert_eq!(
            ContainerPlan::decide("prod", &same, labelled.clone()),
            ContainerPlan::Reuse("firefox-container-7".into())
        );
        assert_eq!(GroupLook::of("prod", labelled).title, "prod");
    }

    #[test]
    fn only_an_exact_name_counts() {
        let similar = [container("firefox-container-1", "Prod", "red", "fence")];
        assert!(matches!(
            ContainerPlan::decide("prod", &similar, PROD),
            ContainerPlan::Create(_)
        ));
        let groups = [
            TabGroup {
                id: 1,
                title: Some("prod-eu".into()),
            },
            TabGroup { id: 2, title: None },
            TabGroup {
                id: 3,
                title: Some("prod".into()),
            },
        ];
        assert_eq!(pick_group("prod", &groups), Some(3));
        assert_eq!(pick_group("dev", &groups), None);
    }

    #[test]
    fn browser_payloads_use_each_browsers_names() {
        let look = Appearance {
            color: Color::Turquoise,
            icon: Icon::Tree,
            label: None,
        };
        assert_eq!(
            serde_json::to_value(GroupLook::of("dev", look)).expect("serialises"),
            json!({"title": "dev", "color": "cyan"})
        );
        let tab = NewTab {
            url: "https://x/",
            cookie_store_id: Some("firefox-container-2"),
            active: true,
        };
        assert_eq!(
            serde_json::to_value(tab).expect("serialises"),
            json!({"url": "https://x/", "cookieStoreId": "firefox-container-2", "active": true})
        );
        let plain = NewTab {
            url: "https://x/",
            cookie_store_id: None,
            active: false,
        };
        assert_eq!(
            serde_json::to_value(plain).expect("serialises"),
            json!({"url": "https://x/", "active": false})
        );
    }
}
