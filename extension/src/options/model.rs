//! The options page's state: the settings being edited, and the browser-side switches.
//! The rules are edited as the person sees them (text fields, `""` = unset) and turned into
//! protocol [`Rule`]s for saving; the host checks them with the file's own parser.

use roleport_protocol::{Color, Icon, Rule};
use serde::{Deserialize, Serialize};

/// `storage.local` key of what a click does when the profile's console is already open.
pub const WHEN_OPEN_KEY: &str = "when_open";

/// What a click on an account that is already open does (`storage.local` `when_open`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenOpen {
    /// Switch to its tab.
    #[default]
    Focus,
    /// Open another tab in the same container / tab group.
    NewTab,
}

impl WhenOpen {
    /// Its value in storage and in the page's `<select>`.
    pub fn as_str(self) -> &'static str {
        match self {
            WhenOpen::Focus => "focus",
            WhenOpen::NewTab => "new_tab",
        }
    }

    /// From the `<select>`; anything else is the default.
    pub fn parse(s: &str) -> WhenOpen {
        match s {
            "new_tab" => WhenOpen::NewTab,
            _ => WhenOpen::Focus,
        }
    }
}

/// The text fields of one rule, as the page shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFields {
    /// Pattern on the profile name.
    pub name: String,
    /// Pattern on the account id.
    pub account_id: String,
    /// Pattern on the account name.
    pub account_name: String,
    /// Pattern on the tags.
    pub tag: String,
    /// The patterns are regular expressions.
    pub regex: bool,
    /// Colour name (`""`: the rule sets none).
    pub color: String,
    /// Icon name (`""`: the rule sets none).
    pub icon: String,
    /// Label.
    pub label: String,
}

/// A colour's name in the page (and the file): the protocol's.
pub fn color_name(c: Color) -> &'static str {
    match c {
        Color::Grey => "grey",
        other => other.firefox(),
    }
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn opt(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

impl RuleFields {
    /// A rule's fields.
    pub fn of(rule: &Rule) -> RuleFields {
        RuleFields {
            name: text(&rule.name),
            account_id: text(&rule.account_id),
            account_name: text(&rule.account_name),
            tag: text(&rule.tag),
            regex: rule.regex,
            color: rule.color.map(color_name).unwrap_or_default().to_owned(),
            icon: rule.icon.map(Icon::firefox).unwrap_or_default().to_owned(),
            label: text(&rule.label),
        }
    }

    /// The rule these fields say (blank fields unset; an unknown colour or icon too, which
    /// the page's `<select>`s cannot produce).
    pub fn rule(&self) -> Rule {
        Rule {
            name: opt(&self.name),
            account_id: opt(&self.account_id),
            account_name: opt(&self.account_name),
            tag: opt(&self.tag),
            regex: self.regex,
            color: Color::ALL
                .iter()
                .copied()
                .find(|c| color_name(*c) == self.color),
            icon: Icon::parse(&self.icon),
            label: opt(&self.label),
        }
    }
}

/// A structural edit of the rule list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// A new, empty rule at the end.
    Add,
    /// Remove rule `i`.
    Remove(usize),
    /// Swap rule `i` with the one before it.
    Up(usize),
    /// Swap rule `i` with the one after it.
    Down(usize),
}

impl Edit {
    /// From a button's `data-action` and its rule's index.
    pub fn parse(action: &str, index: Option<usize>) -> Option<Edit> {
        match (action, index) {
            ("add", _) => Some(Edit::Add),
            ("remove", Some(i)) => Some(Edit::Remove(i)),
            ("up", Some(i)) => Some(Edit::Up(i)),
            ("down", Some(i)) => Some(Edit::Down(i)),
            _ => None,
        }
    }

    /// Applies the edit; one out of range does nothing. Answers the index to focus after it.
    pub fn apply(self, rules: &mut Vec<RuleFields>) -> Option<usize> {
        match self {
            Edit::Add => {
                rules.push(RuleFields::default());
                Some(rules.len() - 1)
            }
            Edit::Remove(i) if i < rules.len() => {
                rules.remove(i);
                (!rules.is_empty()).then(|| i.min(rules.len() - 1))
            }
            Edit::Up(i) if i > 0 && i < rules.len() => {
                rules.swap(i - 1, i);
                Some(i - 1)
            }
            Edit::Down(i) if i + 1 < rules.len() => {
                rules.swap(i, i + 1);
                Some(i + 1)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(n: &str) -> RuleFields {
        RuleFields {
            name: n.into(),
            ..RuleFields::default()
        }
    }

    #[test]
    fn fields_and_rules_round_trip_and_blanks_are_unset() {
        let rule = Rule {
            name: Some("prod-*".into()),
            tag: Some("env=prod".into()),
            color: Some(Color::Grey),
            icon: Some(Icon::Fence),
            label: Some("PROD".into()),
            ..Rule::default()
        };
        let fields = RuleFields::of(&rule);
        assert_eq!(
            (fields.color.as_str(), fields.icon.as_str()),
            ("grey", "fence")
        );
        assert_eq!(fields.rule(), rule);
        let blank = RuleFields {
            name: "  ".into(),
            color: String::new(),
            ..RuleFields::default()
        };
        assert_eq!(blank.rule(), Rule::default());
    }

    #[test]
    fn rules_are_added_removed_and_reordered() {
        let mut rules = vec![named("a"), named("b"), named("c")];
        assert_eq!(Edit::Up(2).apply(&mut rules), Some(1));
        assert_eq!(rules, [named("a"), named("c"), named("b")]);
        assert_eq!(Edit::Down(0).apply(&mut rules), Some(1));
        assert_eq!(rules, [named("c"), named("a"), named("b")]);
        assert_eq!(Edit::Remove(2).apply(&mut rules), Some(1));
        assert_eq!(Edit::Add.apply(&mut rules), Some(2));
        assert_eq!(rules, [named("c"), named("a"), RuleFields::default()]);
        // Out of range: nothing moves.
        assert_eq!(Edit::Up(0).apply(&mut rules), None);
        assert_eq!(Edit::Down(2).apply(&mut rules), None);
        assert_eq!(Edit::Remove(9).apply(&mut rules), None);
        assert_eq!(rules.len(), 3);
        assert_eq!(Edit::parse("up", Some(1)), Some(Edit::Up(1)));
        assert_eq!(Edit::parse("up", None), None);
    }

    #[test]
    fn when_open_is_focus_unless_it_says_new_tab() {
        assert_eq!(WhenOpen::parse("new_tab"), WhenOpen::NewTab);
        assert_eq!(WhenOpen::parse("?"), WhenOpen::Focus);
        assert_eq!(
            serde_json::to_value(WhenOpen::NewTab).expect("serialises"),
            serde_json::json!("new_tab")
        );
    }
}
