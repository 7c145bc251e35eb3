//! What the popup still offers when the host is not installed (or not reachable): the AWS
//! console's own Switch Role page for each role profile the host listed last time.
//!
//! Switching roles needs no credential from roleport: the person is already signed in to a
//! console, and AWS checks that its identity may assume the role. So the background keeps, in
//! `storage.local`, the name, account, role and colour of each role profile (never a
//! credential, nothing the host did not already show) whenever the host's list changes, and
//! the popup turns them into links once it finds the host missing. The background, not the
//! popup, writes them: a popup would encode thousands of links on every open.

use roleport_protocol::{Color, ProfileKind, ProfileSummary};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

use crate::bindings::{api, call, error_text};
use crate::codec;

/// The storage key.
pub const KEY: &str = "roleport.switch_roles";

/// The storage key of the stored links' [`digest`].
const DIGEST_KEY: &str = "roleport.switch_roles.digest";

/// AWS's Switch Role page (the `aws` partition: the console the links open).
const SWITCH_ROLE_PAGE: &str = "https://signin.aws.amazon.com/switchrole";

/// One role profile, as a Switch Role link needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchRole {
    /// The profile's name, shown by the console as the role's display name.
    pub name: String,
    /// The role's account.
    pub account_id: String,
    /// The role's name.
    pub role: String,
    /// The profile's colour, shown by the console beside the display name.
    pub color: Color,
}

impl SwitchRole {
    /// The Switch Role page with the account, role, display name and colour filled in.
    pub fn url(&self) -> String {
        format!(
            "{SWITCH_ROLE_PAGE}?account={}&roleName={}&displayName={}&color={}",
            encode(&self.account_id),
            encode(&self.role),
            encode(&self.name),
            self.color.css().trim_start_matches('#')
        )
    }
}

/// The role profiles among `profiles` (configured `role_arn` profiles with a known account
/// and role; IAM Identity Center roles trust only their identity provider, so no console can
/// switch into them).
pub fn from_profiles(profiles: &[ProfileSummary]) -> Vec<SwitchRole> {
    profiles
        .iter()
        .filter(|p| p.kind == ProfileKind::AssumeRole)
        .filter_map(|p| {
            Some(SwitchRole {
                name: p.name.clone(),
                account_id: p.account_id.clone()?,
                role: p.role.clone()?,
                color: p.appearance.color,
            })
        })
        .collect()
}

/// Remembers the role profiles of the host's new list for a popup without a host (in the
/// background, after the list went to the popup). An empty one (nothing to switch to) keeps
/// the links remembered before; links equal to the stored ones are not written again, which
/// matters because Chromium stops an idle background after 30 s and a new one starts with no
/// list to compare with.
pub fn remember(profiles: &[ProfileSummary]) {
    let links = from_profiles(profiles);
    if links.is_empty() {
        return;
    }
    let text = codec::encode(&links);
    let digest = digest(&text);
    wasm_bindgen_futures::spawn_local(async move {
        let local = api().storage().local();
        let stored = call(local.get(&JsValue::from_str(DIGEST_KEY)))
            .await
            .ok()
            .and_then(|all| js_sys::Reflect::get(&all, &JsValue::from_str(DIGEST_KEY)).ok())
            .and_then(|d| d.as_string());
        if stored.as_deref() == Some(digest.as_str()) {
            return;
        }
        let items = js_sys::Object::new();
        let links = js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL);
        let _ = js_sys::Reflect::set(&items, &JsValue::from_str(KEY), &links);
        let _ = js_sys::Reflect::set(&items, &JsValue::from_str(DIGEST_KEY), &digest.into());
        if let Err(e) = call(local.set(&items)).await {
            crate::log::warn(&format!(
                "cannot remember the Switch Role links: {}",
                error_text(&e).unwrap_or_default()
            ));
        }
    });
}

/// FNV-1a of the links' JSON text: the same in every build and browser (std's hasher
/// promises neither), and collisions only cost a skipped rewrite of equal-looking links.
fn digest(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleport_protocol::Appearance;

    fn profile(name: &str, kind: ProfileKind, account: Option<&str>) -> ProfileSummary {
        ProfileSummary {
            name: name.into(),
            kind,
            account_id: account.map(str::to_owned),
            role: Some("Admin".into()),
            region: None,
            account_name: None,
            discovered: false,
            tags: Vec::new(),
            appearance: Appearance::default_for(name),
        }
    }

    #[test]
    fn only_role_profiles_with_an_account_become_links() {
        let profiles = [
            profile("prod", ProfileKind::AssumeRole, Some("111111111111")),
            profile("keys", ProfileKind::StaticKeys, Some("222222222222")),
            profile("sso", ProfileKind::Sso, Some("333333333333")),
            profile("odd", ProfileKind::AssumeRole, None),
        ];
        let names: Vec<String> = from_profiles(&profiles)
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["prod"]);
    }

    #[test]
    fn the_digest_tells_changed_links_from_equal_ones() {
        let prod = [profile(
            "prod",
            ProfileKind::AssumeRole,
            Some("111111111111"),
        )];
        let moved = [profile(
            "prod",
            ProfileKind::AssumeRole,
            Some("999999999999"),
        )];
        let of = |p: &[ProfileSummary]| digest(&codec::encode(&from_profiles(p)));
        assert_eq!(of(&prod), of(&prod));
        assert_ne!(of(&prod), of(&moved));
        // Fixed across builds: FNV-1a's published value for "a".
        assert_eq!(digest("a"), "af63dc4c8601ec8c");
    }

    #[test]
    fn the_link_fills_the_switch_role_page() {
        let role = SwitchRole {
            name: "prod eu/admin".into(),
            account_id: "111111111111".into(),
            role: "team/Admin".into(),
            color: Color::Red,
        };
        assert_eq!(
            role.url(),
            "https://signin.aws.amazon.com/switchrole?account=111111111111&roleName=team%2FAdmin\
             &displayName=prod%20eu%2Fadmin&color=ff613d"
        );
    }
}
