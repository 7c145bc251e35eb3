//! How a profile looks in the browser: the colour and icon of its container or tab group.
//!
//! The palette is the intersection that both browsers can show: Firefox container colours
//! and Chromium tab-group colours differ in name and number, so each [`Color`] knows its
//! name in both.

use serde::{Deserialize, Serialize};

/// A colour both browsers can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Color {
    /// Blue.
    Blue,
    /// Turquoise (Chromium: cyan).
    #[serde(alias = "cyan")]
    Turquoise,
    /// Green.
    Green,
    /// Yellow.
    Yellow,
    /// Orange.
    Orange,
    /// Red: the colour people give production.
    Red,
    /// Pink.
    Pink,
    /// Purple.
    Purple,
    /// Grey (Firefox: toolbar).
    #[serde(alias = "toolbar", alias = "gray")]
    Grey,
}

impl Color {
    /// Every colour, in palette order.
    pub const ALL: &'static [Color] = &[
        Color::Blue,
        Color::Turquoise,
        Color::Green,
        Color::Yellow,
        Color::Orange,
        Color::Red,
        Color::Pink,
        Color::Purple,
        Color::Grey,
    ];

    /// The colour's name in `contextualIdentities` (Firefox).
    pub fn firefox(self) -> &'static str {
        match self {
            Color::Blue => "blue",
            Color::Turquoise => "turquoise",
            Color::Green => "green",
            Color::Yellow => "yellow",
            Color::Orange => "orange",
            Color::Red => "red",
            Color::Pink => "pink",
            Color::Purple => "purple",
            Color::Grey => "toolbar",
        }
    }

    /// The colour's name in `tabGroups` (Chromium).
    pub fn chromium(self) -> &'static str {
        match self {
            Color::Turquoise => "cyan",
            Color::Grey => "grey",
            other => other.firefox(),
        }
    }

    /// A CSS colour for the popup's swatch.
    pub fn css(self) -> &'static str {
        match self {
            Color::Blue => "#37adff",
            Color::Turquoise => "#00c79a",
            Color::Green => "#51cd00",
            Color::Yellow => "#ffcb00",
            Color::Orange => "#ff9f00",
            Color::Red => "#ff613d",
            Color::Pink => "#ff4bda",
            Color::Purple => "#af51f5",
            Color::Grey => "#7c7c7d",
        }
    }

    /// Parses a colour as a person writes it in `~/.aws/config` (either browser's name).
    pub fn parse(s: &str) -> Option<Color> {
        let s = s.trim().to_ascii_lowercase();
        Color::ALL
            .iter()
            .copied()
            .find(|c| c.firefox() == s || c.chromium() == s)
            .or(match s.as_str() {
                "gray" => Some(Color::Grey),
                _ => None,
            })
    }
}

/// An icon a Firefox container can carry (Chromium tab groups have none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Icon {
    /// Fingerprint.
    Fingerprint,
    /// Briefcase.
    Briefcase,
    /// Dollar sign.
    Dollar,
    /// Shopping cart.
    Cart,
    /// Circle.
    Circle,
    /// Gift.
    Gift,
    /// Vacation.
    Vacation,
    /// Food.
    Food,
    /// Fruit.
    Fruit,
    /// Pet.
    Pet,
    /// Tree.
    Tree,
    /// Chill.
    Chill,
    /// Fence.
    Fence,
}

impl Icon {
    /// Every icon Firefox knows.
    pub const ALL: &'static [Icon] = &[
        Icon::Fingerprint,
        Icon::Briefcase,
        Icon::Dollar,
        Icon::Cart,
        Icon::Circle,
        Icon::Gift,
        Icon::Vacation,
        Icon::Food,
        Icon::Fruit,
        Icon::Pet,
        Icon::Tree,
        Icon::Chill,
        Icon::Fence,
    ];

    /// The icon's name in `contextualIdentities`.
    pub fn firefox(self) -> &'static str {
        match self {
            Icon::Fingerprint => "fingerprint",
            Icon::Briefcase => "briefcase",
            Icon::Dollar => "dollar",
            Icon::Cart => "cart",
            Icon::Circle => "circle",
            Icon::Gift => "gift",
            Icon::Vacation => "vacation",
            Icon::Food => "food",
            Icon::Fruit => "fruit",
            Icon::Pet => "pet",
            Icon::Tree => "tree",
            Icon::Chill => "chill",
            Icon::Fence => "fence",
        }
    }

    /// Parses an icon name as written in `~/.aws/config`.
    pub fn parse(s: &str) -> Option<Icon> {
        let s = s.trim().to_ascii_lowercase();
        Icon::ALL.iter().copied().find(|i| i.firefox() == s)
    }
}

/// The colour, icon and label of one profile's container or tab group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appearance {
    /// Container / tab-group colour.
    pub color: Color,
    /// Container icon.
    pub icon: Icon,
    /// A short badge such as `PROD`, from a colour rule or `roleport_label`; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl Appearance {
    /// A stable default for a profile with no colour of its own: the same name gets the same
    /// colour in every browser and on every machine (FNV-1a, not the std hasher, whose
    /// output may change between Rust releases).
    pub fn default_for(profile: &str) -> Appearance {
        let hash = profile.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        let pick = |n: usize, salt: u32| (hash.rotate_right(salt) % n as u64) as usize;
        Appearance {
            color: Color::ALL[pick(Color::ALL.len(), 0)],
            icon: Icon::ALL[pick(Icon::ALL.len(), 17)],
            label: None,
        }
    }

    /// The appearance from a profile's `roleport_color` / `roleport_icon` keys, each falling
    /// back to the stable default when absent or not a known name.
    pub fn from_keys(profile: &str, color: Option<&str>, icon: Option<&str>) -> Appearance {
        let fallback = Appearance::default_for(profile);
        Appearance {
            color: color.and_then(Color::parse).unwrap_or(fallback.color),
            icon: icon.and_then(Icon::parse).unwrap_or(fallback.icon),
            label: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_stable_across_calls_and_differs_between_names() {
        assert_eq!(
            Appearance::default_for("prod"),
            Appearance::default_for("prod")
        );
        let distinct: std::collections::HashSet<_> = ["a", "b", "c", "d", "e", "f", "g"]
            .iter()
            .map(|n| Appearance::default_for(n).color)
            .collect();
        assert!(
            distinct.len() > 2,
            "default colours should spread: {distinct:?}"
        );
    }

    #[test]
    fn keys_override_default_and_accept_either_browsers_names() {
        let a = Appearance::from_keys("prod", Some("cyan"), Some("Fence"));
        assert_eq!(
            a,
            Appearance {
                color: Color::Turquoise,
                icon: Icon::Fence,
                label: None,
            }
        );
        assert_eq!(Color::parse("toolbar"), Some(Color::Grey));
        assert_eq!(Color::parse("gray"), Some(Color::Grey));
    }

    #[test]
    fn either_browsers_colour_names_deserialise() {
        let parsed: Vec<Color> =
            serde_json::from_str(r#"["cyan", "toolbar", "gray", "grey", "red"]"#).expect("parses");
        assert_eq!(
            parsed,
            [
                Color::Turquoise,
                Color::Grey,
                Color::Grey,
                Color::Grey,
                Color::Red
            ]
        );
        // Written back, each has one name only.
        assert_eq!(
            serde_json::to_string(&Color::Turquoise).expect("serialises"),
            r#""turquoise""#
        );
    }

    #[test]
    fn unknown_names_fall_back_to_default() {
        let a = Appearance::from_keys("dev", Some("mauve"), Some("rocket"));
        assert_eq!(a, Appearance::default_for("dev"));
    }

    #[test]
    fn every_colour_has_a_name_in_both_browsers() {
        const FIREFOX: &[&str] = &[
            "blue",
            "turquoise",
            "green",
            "yellow",
            "orange",
            "red",
            "pink",
            "purple",
            "toolbar",
        ];
        const CHROMIUM: &[&str] = &[
            "grey", "blue", "red", "yellow", "green", "pink", "purple", "cyan", "orange",
        ];
        for c in Color::ALL {
            assert!(FIREFOX.contains(&c.firefox()), "{c:?}");
            assert!(CHROMIUM.contains(&c.chromium()), "{c:?}");
        }
    }
}
