//! The settings file's TOML → the wire [`Settings`], checked, with every error located.
//!
//! Unknown keys are errors (a typo such as `colr` must not silently do nothing); serde and
//! `toml` give the span of syntax and type errors, and the spans kept here locate the rest
//! (a pattern that does not compile, a region that is not one).

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use roleport_protocol::{Color, Defaults, Icon, Rule, Settings};
use serde::Deserialize;
use toml::Spanned;

use super::rules::{Rejected, Rules};
use super::SettingsError;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileModel {
    #[serde(default)]
    defaults: FileDefaults,
    #[serde(default)]
    rules: Vec<FileRule>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileDefaults {
    region: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRule {
    name: Option<Spanned<String>>,
    account_id: Option<Spanned<String>>,
    account_name: Option<Spanned<String>>,
    tag: Option<Spanned<String>>,
    #[serde(default)]
    regex: bool,
    #[serde(alias = "colour")]
    color: Option<Color>,
    icon: Option<Icon>,
    label: Option<Spanned<String>>,
}

/// Parses and checks `text`, the contents of `path`.
pub fn parse(path: &Path, text: &str) -> Result<(Settings, Rules), SettingsError> {
    let at = |span: Option<Range<usize>>, message: String| {
        let (line, column) = span.map_or((1, 1), |s| line_column(text, s.start));
        SettingsError::Invalid {
            path: path.display().to_string(),
            line,
            column,
            message,
        }
    };
    let model: FileModel =
        toml::from_str(text).map_err(|e| at(e.span(), e.message().trim().to_owned()))?;
    let mut spans: Vec<HashMap<&'static str, Range<usize>>> = Vec::new();
    let take = |map: &mut HashMap<&'static str, Range<usize>>,
                key: &'static str,
                v: Option<Spanned<String>>| {
        v.map(|v| {
            map.insert(key, v.span());
            v.into_inner()
        })
    };
    let mut defaults_spans = HashMap::new();
    let defaults = Defaults {
        region: take(&mut defaults_spans, "region", model.defaults.region),
    };
    let mut rules = Vec::new();
    for r in model.rules {
        let mut map = HashMap::new();
        rules.push(Rule {
            name: take(&mut map, "name", r.name),
            account_id: take(&mut map, "account_id", r.account_id),
            account_name: take(&mut map, "account_name", r.account_name),
            tag: take(&mut map, "tag", r.tag),
            regex: r.regex,
            color: r.color,
            icon: r.icon,
            label: take(&mut map, "label", r.label),
        });
        spans.push(map);
    }
    let settings = Settings { defaults, rules };
    let rules = check(&settings).map_err(|r| {
        let span = match r.rule {
            Some(i) => spans.get(i).and_then(|m| m.get(r.field)).cloned(),
            None => defaults_spans.get(r.field).cloned(),
        };
        at(span, r.message)
    })?;
    Ok((settings, rules))
}

/// Checks settings however they came (the file, or the options page): the defaults, then
/// every rule.
pub fn check(settings: &Settings) -> Result<Rules, Rejected> {
    if let Some(region) = &settings.defaults.region {
        if !crate::federation::is_region(region) {
            return Err(Rejected {
                rule: None,
                field: "region",
                message: format!("`{region}` is not an AWS region name (e.g. eu-west-1)"),
            });
        }
    }
    Rules::compile(&settings.rules)
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..text.floor_char_boundary(offset.min(text.len()))];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
