//! roleport's own settings (`~/.config/roleport/config.toml`) as the options page sees them:
//! the colour rules and the defaults. The host parses and checks the file; these are only
//! its shapes on the wire (`settings_get`, `settings_put`).

use serde::{Deserialize, Serialize};

use crate::{Color, Icon, ProtocolError};

/// The whole file: defaults, then the rules in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// What applies when a profile says nothing.
    #[serde(default)]
    pub defaults: Defaults,
    /// The colour rules, first first. Each field of a profile's look comes from the first
    /// matching rule that sets it; the profile's own `roleport_*` keys beat every rule.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// `[defaults]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Defaults {
    /// The console region of a profile without a `region` of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// One `[[rules]]` entry: which profiles it matches (every pattern given must match; a rule
/// with none matches every profile), and what it gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Pattern on the profile name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pattern on the account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Pattern on the account's name (IAM Identity Center discovery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    /// Pattern on each `key=value` of `roleport_tags`; one matching tag is enough.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The patterns are regular expressions (searched, so anchor with `^…$`), not globs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub regex: bool,
    /// Container / tab-group colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    /// Container icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
    /// A short badge, e.g. `PROD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// `settings_put`: the settings to check and save in place of the file's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsPut {
    /// The new settings.
    pub settings: Settings,
}

/// Answer to `settings_get` and `settings_put`: the file and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsDoc {
    /// Where the file is (it may not exist yet).
    pub path: String,
    /// Its settings; empty when the file is missing or broken.
    pub settings: Settings,
    /// Why the file on disk cannot be used (`settings_invalid`, naming line and column), if
    /// it cannot. Saving replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ProtocolError>,
}
