//! Where the settings file lives, and how the options page's settings replace it: checked
//! with the same parser first, then written atomically, 0600 in a 0700 directory.
//!
//! The rewrite edits the file in place with `toml_edit`, so comments survive: the top of the
//! file, `[defaults]`, and each `[[rules]]` table's comments stay where they are (a rule's
//! comments belong to its position: after a reorder they sit above the rule now in that
//! place). Keys the parser does not know are dropped (they made the file invalid anyway);
//! a file that is not TOML at all is replaced.

use std::path::PathBuf;

use roleport_protocol::{Color, Rule, Settings};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use super::parse::check;
use super::{Loaded, SettingsError};
use crate::store::fsio;

const HEADER: &str = "# roleport's settings: colour rules and defaults (README: Configuration).\n\
                      # The extension's options page edits this file; comments are kept.\n\n";

const RULE_KEYS: &[&str] = &[
    "name",
    "account_id",
    "account_name",
    "tag",
    "regex",
    "color",
    "icon",
    "label",
];

/// `$XDG_CONFIG_HOME/roleport/config.toml` (an absolute `XDG_CONFIG_HOME` only, as the XDG
/// spec says), else `~/.config/roleport/config.toml`, on every platform.
pub fn path() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| dirs::home_dir().map(|h| h.join(".config")))
        .map(|dir| dir.join("roleport").join("config.toml"))
}

/// Checks `new` and saves it as the settings file; answers with the file as saved.
pub fn save(new: &Settings) -> Result<Loaded, SettingsError> {
    let new = normalised(new);
    check(&new).map_err(SettingsError::Rejected)?;
    let path = path().ok_or(SettingsError::NoPath)?;
    let unwritable = |e: crate::store::StoreError| SettingsError::Unwritable(e.to_string());
    let dir = path.parent().ok_or(SettingsError::NoPath)?;
    fsio::ensure_dir(dir).map_err(unwritable)?;
    let old = fsio::read_optional(&path).map_err(unwritable)?;
    let old = old.as_deref().and_then(|b| std::str::from_utf8(b).ok());
    let text = render(old, &new);
    // The same parser reads it back: what is written is what the page sent, or nothing is.
    let saved = Loaded::from_text(&path, &text);
    if saved.error.is_some() || saved.settings != new {
        return Err(SettingsError::Unwritable(format!(
            "the rewritten file did not read back as sent ({})",
            saved
                .error
                .map_or_else(|| "different settings".to_owned(), |e| e.to_string())
        )));
    }
    fsio::write_atomic(&path, text.as_bytes()).map_err(unwritable)?;
    Ok(saved)
}

/// Trims every text, and an empty one means "not set".
fn normalised(s: &Settings) -> Settings {
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut out = s.clone();
    out.defaults.region = clean(&s.defaults.region);
    for r in &mut out.rules {
        r.name = clean(&r.name);
        r.account_id = clean(&r.account_id);
        r.account_name = clean(&r.account_name);
        r.tag = clean(&r.tag);
        r.label = clean(&r.label);
    }
    out
}

/// `old` (the file's text, if any) with `new`'s defaults and rules.
fn render(old: Option<&str>, new: &Settings) -> String {
    let parsed = old.and_then(|t| t.parse::<DocumentMut>().ok());
    let fresh = parsed.is_none();
    let mut doc = parsed.unwrap_or_default();
    let root = doc.as_table_mut();
    root.retain(|k, _| k == "defaults" || k == "rules");

    let defaults = root.entry("defaults").or_insert(Item::Table(Table::new()));
    if !defaults.is_table() {
        *defaults = Item::Table(Table::new());
    }
    if let Some(t) = defaults.as_table_mut() {
        t.retain(|k, _| k == "region");
        set(t, "region", new.defaults.region.as_deref().map(Value::from));
    }

    if new.rules.is_empty() {
        root.remove("rules");
    } else {
        let rules = root
            .entry("rules")
            .or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
        if !rules.is_array_of_tables() {
            *rules = Item::ArrayOfTables(ArrayOfTables::new());
        }
        if let Some(tables) = rules.as_array_of_tables_mut() {
            while tables.len() > new.rules.len() {
                tables.remove(tables.len() - 1);
            }
            for (i, rule) in new.rules.iter().enumerate() {
                if i >= tables.len() {
                    tables.push(Table::new());
                }
                if let Some(t) = tables.get_mut(i) {
                    write_rule(t, rule);
                }
            }
        }
    }
    if fresh {
        format!("{HEADER}{doc}")
    } else {
        doc.to_string()
    }
}

/// The colour's name as the file (and the wire) spell it.
fn color_name(c: Color) -> &'static str {
    match c {
        Color::Grey => "grey",
        other => other.firefox(),
    }
}

fn write_rule(t: &mut Table, r: &Rule) {
    t.retain(|k, _| RULE_KEYS.contains(&k));
    let text = |v: &Option<String>| v.as_deref().map(Value::from);
    set(t, "name", text(&r.name));
    set(t, "account_id", text(&r.account_id));
    set(t, "account_name", text(&r.account_name));
    set(t, "tag", text(&r.tag));
    set(t, "regex", r.regex.then(|| Value::from(true)));
    set(t, "color", r.color.map(|c| Value::from(color_name(c))));
    set(t, "icon", r.icon.map(|i| Value::from(i.firefox())));
    set(t, "label", text(&r.label));
}

/// Sets `key` to `value` (removes it for `None`), leaving an equal value untouched so its
/// formatting and trailing comment stay.
fn set(t: &mut Table, key: &str, value: Option<Value>) {
    match value {
        None => {
            t.remove(key);
        }
        Some(mut value) => {
            if let Some(old) = t.get(key).and_then(Item::as_value) {
                let same = match (old, &value) {
                    (Value::String(a), Value::String(b)) => a.value() == b.value(),
                    (Value::Boolean(a), Value::Boolean(b)) => a.value() == b.value(),
                    _ => false,
                };
                if same {
                    return;
                }
                *value.decor_mut() = old.decor().clone();
            }
            t.insert(key, Item::Value(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleport_protocol::{Defaults, Icon};

    fn settings(rules: Vec<Rule>, region: Option<&str>) -> Settings {
        Settings {
            defaults: Defaults {
                region: region.map(Into::into),
            },
            rules,
        }
    }

    fn red_prod() -> Rule {
        Rule {
            name: Some("prod*".into()),
            color: Some(Color::Red),
            label: Some("PROD".into()),
            ..Rule::default()
        }
    }

    #[test]
    fn a_new_file_gets_a_header_and_reads_back_as_sent() {
        let new = settings(vec![red_prod()], Some("eu-west-1"));
        let text = render(None, &new);
        assert!(text.starts_with("# roleport's settings"), "{text}");
        let back = Loaded::from_text(std::path::Path::new("c.toml"), &text);
        assert_eq!(back.settings, new, "{text}");
    }

    #[test]
    fn comments_and_unchanged_values_survive_a_rewrite() {
        let old = "# my rules\n[defaults]\nregion = \"us-east-1\" # home\n\n\
                   # production\n[[rules]]\nname = \"prod*\"   # every prod\ncolor = \"blue\"\n\n\
                   [[rules]]\nname = \"old\"\n";
        let mut rule = red_prod();
        rule.label = None;
        rule.icon = Some(Icon::Fence);
        let text = render(Some(old), &settings(vec![rule.clone()], Some("us-east-1")));
        for kept in [
            "# my rules",
            "region = \"us-east-1\" # home",
            "# production",
            "name = \"prod*\"   # every prod",
        ] {
            assert!(text.contains(kept), "lost {kept:?}:\n{text}");
        }
        assert!(text.contains("color = \"red\""), "{text}");
        assert!(
            !text.contains("\"old\""),
            "the removed rule is gone:\n{text}"
        );
        let back = Loaded::from_text(std::path::Path::new("c.toml"), &text);
        assert_eq!(back.settings.rules, vec![rule]);
    }

    #[test]
    fn keys_that_made_the_file_invalid_are_dropped_and_empty_texts_unset() {
        let old = "stray = 1\n[[rules]]\ncolr = \"red\"\n";
        let mut rule = red_prod();
        rule.account_id = Some("  ".into());
        let new = normalised(&settings(vec![rule], Some(" ")));
        assert_eq!(new.rules[0].account_id, None);
        assert_eq!(new.defaults.region, None);
        let text = render(Some(old), &new);
        let back = Loaded::from_text(std::path::Path::new("c.toml"), &text);
        assert!(back.error.is_none(), "{:?}\n{text}", back.error);
        assert_eq!(back.settings, new);
    }
}
