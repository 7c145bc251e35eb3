//! The settings file as a specification: how rules match, in which order, what beats what,
//! and how a broken file is reported.

use std::path::Path;

use roleport_protocol::{Appearance, Color, Icon, Rule, Settings};

use super::rules::{Look, Subject};
use super::{Loaded, SettingsError};

fn load(text: &str) -> Loaded {
    Loaded::from_text(Path::new("/home/me/.config/roleport/config.toml"), text)
}

fn ok(text: &str) -> Loaded {
    let loaded = load(text);
    assert!(loaded.error.is_none(), "{:?}", loaded.error);
    loaded
}

fn subject<'a>(name: &'a str, account: Option<&'a str>, tags: &'a [String]) -> Subject<'a> {
    Subject {
        name,
        account_id: account,
        account_name: None,
        tags,
    }
}

fn look_of(loaded: &Loaded, s: Subject<'_>) -> Appearance {
    loaded.rules.appearance(&s, Look::default())
}

const RULES: &str = r#"
# Production first: red and labelled.
[[rules]]
name = "prod-*"
color = "red"
label = "PROD"

[[rules]]
account_id = "1111*"
color = "orange"
icon = "fence"

[[rules]]
tag = "env=stag*"
color = "yellow"
label = "STAGING"
"#;

#[test]
fn a_glob_on_the_name_gives_colour_and_label() {
    let loaded = ok(RULES);
    let a = look_of(&loaded, subject("prod-eu", None, &[]));
    assert_eq!(a.color, Color::Red);
    assert_eq!(a.label.as_deref(), Some("PROD"));
    // Globs ignore case, and `*` crosses the `/` of discovered `account/role` names.
    assert_eq!(
        look_of(&loaded, subject("PROD-us", None, &[])).color,
        Color::Red
    );
    let no = look_of(&loaded, subject("preprod-eu", None, &[]));
    assert_eq!(no, Appearance::default_for("preprod-eu"));
}

#[test]
fn each_field_comes_from_the_first_matching_rule_that_sets_it() {
    let loaded = ok(RULES);
    // prod-eu in account 1111…: colour and label from rule 1, the icon from rule 2.
    let a = look_of(&loaded, subject("prod-eu", Some("111122223333"), &[]));
    assert_eq!(
        (a.color, a.icon, a.label.as_deref()),
        (Color::Red, Icon::Fence, Some("PROD"))
    );
    // Only rule 2 matches: its colour, and no label.
    let b = look_of(&loaded, subject("ops", Some("111199998888"), &[]));
    assert_eq!(
        (b.color, b.icon, b.label),
        (Color::Orange, Icon::Fence, None)
    );
}

#[test]
fn a_tag_pattern_matches_any_one_tag() {
    let loaded = ok(RULES);
    let tags = vec!["team=web".to_owned(), "env=staging".to_owned()];
    let a = look_of(&loaded, subject("web", None, &tags));
    assert_eq!(
        (a.color, a.label.as_deref()),
        (Color::Yellow, Some("STAGING"))
    );
    // A pattern on a field the profile lacks never matches.
    let none = look_of(&loaded, subject("web", None, &[]));
    assert_eq!(none, Appearance::default_for("web"));
}

#[test]
fn regex_rules_search_and_anchor_as_written() {
    let loaded = ok(r#"
[[rules]]
regex = true
name = "^(prod|live)-[a-z]{2}$"
account_name = "(?i)production"
color = "purple"
"#);
    let mut s = subject("live-eu", None, &[]);
    s.account_name = Some("Acme Production");
    assert_eq!(look_of(&loaded, s).color, Color::Purple);
    s.name = "live-eu-2";
    assert_ne!(look_of(&loaded, s).color, Color::Purple, "anchored by ^…$");
}

#[test]
fn the_profiles_own_keys_beat_every_rule() {
    let loaded = ok(RULES);
    let own = Look {
        color: Some(Color::Blue),
        icon: None,
        label: Some("LIVE".into()),
    };
    let a = loaded
        .rules
        .appearance(&subject("prod-eu", Some("111122223333"), &[]), own);
    assert_eq!(
        (a.color, a.icon, a.label.as_deref()),
        (Color::Blue, Icon::Fence, Some("LIVE"))
    );
}

#[test]
fn a_rule_without_patterns_matches_every_profile() {
    let loaded = ok("[[rules]]\nicon = \"briefcase\"\n");
    assert_eq!(
        look_of(&loaded, subject("x", None, &[])).icon,
        Icon::Briefcase
    );
}

#[test]
fn defaults_and_either_browsers_colour_names_parse() {
    let loaded = ok("[defaults]\nregion = \"eu-west-1\"\n\n[[rules]]\ncolour = \"cyan\"\n");
    assert_eq!(loaded.default_region(), Some("eu-west-1"));
    assert_eq!(loaded.settings.rules[0].color, Some(Color::Turquoise));
    assert_eq!(ok("").settings, Settings::default());
}

fn invalid(text: &str) -> (usize, usize, String) {
    match load(text).error {
        Some(SettingsError::Invalid {
            line,
            column,
            message,
            ..
        }) => (line, column, message),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_broken_file_names_its_line_and_column() {
    // TOML syntax.
    let (line, _, _) = invalid("[[rules]]\nname = \"prod\nicon = \"fence\"\n");
    assert_eq!(line, 2);
    // An unknown key (a typo must not silently do nothing).
    let (line, column, message) = invalid("[[rules]]\nname = \"p\"\ncolr = \"red\"\n");
    assert_eq!((line, column), (3, 1), "{message}");
    assert!(message.contains("colr"), "{message}");
    // An unknown colour.
    let (line, _, message) = invalid("\n\n[[rules]]\ncolor = \"mauve\"\n");
    assert_eq!(line, 4, "{message}");
    assert!(message.contains("mauve"), "{message}");
    // A regex that does not compile, located at its value.
    let (line, column, message) =
        invalid("[[rules]]\nregex = true\n\n[[rules]]\nregex = true\nname = \"(prod\"\n");
    assert_eq!((line, column), (6, 8), "{message}");
    assert!(message.contains("regular expression"), "{message}");
    // A region that is not one.
    let (line, _, message) = invalid("[defaults]\nregion = \"eu west\"\n");
    assert_eq!(line, 2);
    assert!(message.contains("eu west"), "{message}");
    // A label too long to be a badge.
    let (line, _, _) = invalid("[[rules]]\nlabel = \"PRODUCTION DO NOT TOUCH\"\n");
    assert_eq!(line, 2);
}

#[test]
fn a_broken_file_has_no_rules_and_a_coded_error_with_a_hint() {
    let loaded = load("[[rules]]\nname = \"[\"\ncolor = \"red\"\n");
    assert!(loaded.rules.look(&subject("[", None, &[])).color.is_none());
    let e = loaded.doc().error.expect("the doc carries the error");
    assert_eq!(e.code, roleport_protocol::ErrorCode::SettingsInvalid);
    assert!(
        e.message.contains("config.toml, line 2, column 8"),
        "{}",
        e.message
    );
    assert!(e.hint.contains("options page"), "{}", e.hint);
}

#[test]
fn settings_from_the_page_are_checked_with_the_same_rules() {
    let bad = Settings {
        rules: vec![
            Rule::default(),
            Rule {
                regex: true,
                name: Some("(".into()),
                ..Rule::default()
            },
        ],
        ..Settings::default()
    };
    let e = super::parse::check(&bad).expect_err("refused");
    assert_eq!((e.rule, e.field), (Some(1), "name"));
    assert!(SettingsError::Rejected(e)
        .to_string()
        .starts_with("rule 2: "));
}
