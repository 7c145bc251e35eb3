//! The colour rules, compiled: which profiles each matches, and the look a profile ends with.
//!
//! Semantics (as `ssh_config` reads its `Host` blocks): rules are tried in order, and each
//! field of the look (colour, icon, label) comes from the first matching rule that sets it.
//! So a broad rule late in the file can give every profile an icon while an earlier, narrower
//! one gives production its red. A profile's own `roleport_color` / `roleport_icon` /
//! `roleport_label` beat every rule; what nothing sets falls back to the stable default colour
//! and icon of [`Appearance::default_for`], and to no label.

use globset::{GlobBuilder, GlobMatcher};
use regex::{Regex, RegexBuilder};
use roleport_protocol::{Appearance, Color, Icon, Rule};

/// Longest label, in characters: it is a badge, not a description.
pub const MAX_LABEL: usize = 20;

/// What a profile is matched on.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Profile name.
    pub name: &'a str,
    /// Account id, when known.
    pub account_id: Option<&'a str>,
    /// Account name, when known (IAM Identity Center discovery).
    pub account_name: Option<&'a str>,
    /// `roleport_tags`, each `key=value`.
    pub tags: &'a [String],
}

/// A look with gaps: what a source (a rule, a profile's keys) sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Look {
    /// Colour, if set.
    pub color: Option<Color>,
    /// Icon, if set.
    pub icon: Option<Icon>,
    /// Label, if set.
    pub label: Option<String>,
}

impl Look {
    /// Fills the gaps of `self` from `other`.
    fn fill(&mut self, other: &Look) {
        self.color = self.color.or(other.color);
        self.icon = self.icon.or(other.icon);
        if self.label.is_none() {
            self.label.clone_from(&other.label);
        }
    }

    fn complete(&self) -> bool {
        self.color.is_some() && self.icon.is_some() && self.label.is_some()
    }
}

/// Why a rule (or the defaults) cannot be used: which rule (0-based), which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The rule's index; `None` for `[defaults]`.
    pub rule: Option<usize>,
    /// The offending field.
    pub field: &'static str,
    /// Why, in a sentence.
    pub message: String,
}

#[derive(Debug, Clone)]
enum Pattern {
    Glob(GlobMatcher),
    Regex(Regex),
}

impl Pattern {
    fn is_match(&self, text: &str) -> bool {
        match self {
            Pattern::Glob(g) => g.is_match(text),
            Pattern::Regex(r) => r.is_match(text),
        }
    }
}

#[derive(Debug, Clone)]
struct Compiled {
    name: Option<Pattern>,
    account_id: Option<Pattern>,
    account_name: Option<Pattern>,
    tag: Option<Pattern>,
    look: Look,
}

impl Compiled {
    fn matches(&self, s: &Subject<'_>) -> bool {
        let on = |p: &Option<Pattern>, v: Option<&str>| match p {
            None => true,
            Some(p) => v.is_some_and(|v| p.is_match(v)),
        };
        on(&self.name, Some(s.name))
            && on(&self.account_id, s.account_id)
            && on(&self.account_name, s.account_name)
            && self
                .tag
                .as_ref()
                .is_none_or(|p| s.tags.iter().any(|t| p.is_match(t)))
    }
}

/// The rules of a settings file, ready to match.
#[derive(Debug, Clone, Default)]
pub struct Rules(Vec<Compiled>);

impl Rules {
    /// Compiles `rules`; the first unusable pattern or label is the error.
    pub fn compile(rules: &[Rule]) -> Result<Rules, Rejected> {
        rules
            .iter()
            .enumerate()
            .map(|(i, r)| compile_rule(i, r))
            .collect::<Result<_, _>>()
            .map(Rules)
    }

    /// What the rules give `subject`: each field from the first matching rule that sets it.
    pub fn look(&self, subject: &Subject<'_>) -> Look {
        let mut look = Look::default();
        for rule in self.0.iter().filter(|r| r.matches(subject)) {
            look.fill(&rule.look);
            if look.complete() {
                break;
            }
        }
        look
    }

    /// The profile's final look: its own keys (`own`), then the rules, then the defaults.
    pub fn appearance(&self, subject: &Subject<'_>, own: Look) -> Appearance {
        let mut look = own;
        if !look.complete() {
            look.fill(&self.look(subject));
        }
        let fallback = Appearance::default_for(subject.name);
        Appearance {
            color: look.color.unwrap_or(fallback.color),
            icon: look.icon.unwrap_or(fallback.icon),
            label: look.label,
        }
    }
}

fn compile_rule(index: usize, rule: &Rule) -> Result<Compiled, Rejected> {
    let reject = |field, message: String| Rejected {
        rule: Some(index),
        field,
        message,
    };
    let pattern = |field: &'static str, text: &Option<String>| -> Result<_, Rejected> {
        let Some(text) = text else { return Ok(None) };
        if text.is_empty() {
            return Err(reject(
                field,
                format!("`{field}` is empty: remove it to match every profile"),
            ));
        }
        let compiled = if rule.regex {
            RegexBuilder::new(text)
                .size_limit(1 << 20)
                .build()
                .map(Pattern::Regex)
                .map_err(|e| format!("`{field}` is not a valid regular expression: {e}"))
        } else {
            // Case-insensitive, and `*` crosses `/` (discovered roles are `account/role`).
            GlobBuilder::new(text)
                .case_insensitive(true)
                .literal_separator(false)
                .build()
                .map(|g| Pattern::Glob(g.compile_matcher()))
                .map_err(|e| format!("`{field}` is not a valid glob: {}", e.kind()))
        };
        compiled.map(Some).map_err(|m| reject(field, m))
    };
    if let Some(label) = &rule.label {
        check_label(label).map_err(|m| reject("label", m))?;
    }
    Ok(Compiled {
        name: pattern("name", &rule.name)?,
        account_id: pattern("account_id", &rule.account_id)?,
        account_name: pattern("account_name", &rule.account_name)?,
        tag: pattern("tag", &rule.tag)?,
        look: Look {
            color: rule.color,
            icon: rule.icon,
            label: rule.label.clone(),
        },
    })
}

/// A label is a short, printable badge.
pub fn check_label(label: &str) -> Result<(), String> {
    if label.trim().is_empty() {
        return Err("`label` is empty: remove it, or write a word such as \"PROD\"".into());
    }
    if label.chars().count() > MAX_LABEL {
        return Err(format!(
            "`label` is longer than {MAX_LABEL} characters: it is a badge, keep it short"
        ));
    }
    if label.chars().any(char::is_control) {
        return Err("`label` holds a control character".into());
    }
    Ok(())
}
