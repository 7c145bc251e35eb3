//! The few places where the AWS SDK's profile parser reads a file differently from botocore
//! (the AWS CLI), settled botocore's way before the SDK's parser sees the text.
//!
//! botocore reads the files with Python's `configparser` in strict mode, then maps sections to
//! profiles. Three of its rules change what a profile means, and each is applied here:
//!
//! - a section or a key that appears twice in one section is an error (the AWS CLI refuses
//!   the whole file), where the SDK would merge them;
//! - a comment line may be indented, where the SDK would read it as a continuation line;
//! - when two sections name the same profile (`[default]` and `[profile default]`, or
//!   `[profile a]` and `[profile  a]`), the last one wins whole, where the SDK merges them or
//!   prefers `[profile default]`.
//!
//! Lines are blanked, never removed, so the SDK's parse errors keep their line numbers.

use std::collections::{HashMap, HashSet};

/// Which of the two files: section names mean different things in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `~/.aws/config`: `[default]`, `[profile NAME]`, `[sso-session NAME]`.
    Config,
    /// `~/.aws/credentials`: `[NAME]`.
    Credentials,
}

/// A line that makes botocore refuse the file: `(line number, why)`.
pub type Refusal = (usize, String);

/// The text the SDK's parser should read so that it sees the profiles botocore sees.
pub fn botocore_view(text: &str, kind: FileKind) -> Result<String, Refusal> {
    let mut lines: Vec<&str> = text.lines().collect();
    let mut sections: Vec<Section> = Vec::new();
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    for (idx, line) in text.lines().enumerate() {
        let number = idx + 1;
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.starts_with(['#', ';']) {
            lines[idx] = "";
            continue;
        }
        if line.starts_with('[') {
            let name = header_name(line);
            if name.is_empty() && line.trim_end_matches([' ', '\t']).ends_with(']') {
                // configparser's section pattern needs one character at least.
                return Err((
                    number,
                    "the section header `[]` names no section (write `[profile NAME]`)".into(),
                ));
            }
            if let Some(first) = first_seen.insert(name, number) {
                return Err((
                    number,
                    format!("section [{name}] appears twice (lines {first} and {number})"),
                ));
            }
            sections.push(Section {
                name,
                start: idx,
                end: idx + 1,
                keys: HashSet::new(),
            });
            continue;
        }
        let Some(section) = sections.last_mut() else {
            continue;
        };
        section.end = idx + 1;
        if trimmed.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if section.keys.is_empty() {
                // configparser continues only a key already read: an indented first line is
                // a key of its own, where the SDK would refuse it as a stray continuation.
                lines[idx] = trimmed;
            } else {
                continue;
            }
        }
        if let Some((key, _)) = lines[idx].split_once('=') {
            let key = key.trim_matches([' ', '\t']).to_ascii_lowercase();
            if !section.keys.insert(key.clone()) {
                return Err((
                    number,
                    format!("key `{key}` appears twice in section [{}]", section.name),
                ));
            }
        }
    }
    if kind == FileKind::Config {
        keep_last_section_per_profile(&mut lines, &sections);
    }
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(out)
}

/// The line each key was written on, by (profile as botocore names it, key in lower case);
/// for the config file, the last section of a profile counts, as it does for its values.
pub fn key_lines(text: &str, kind: FileKind) -> HashMap<(String, String), usize> {
    // By profile first, so that a later section of a profile replaces the earlier one's
    // lines in one step (removing them from a flat map at every header was quadratic: a
    // 5,000-profile config took 350 ms here).
    let mut sections: HashMap<String, HashMap<String, usize>> = HashMap::new();
    let mut profile: Option<String> = None;
    for (idx, line) in text.lines().enumerate() {
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.starts_with(['#', ';']) || trimmed.is_empty() {
            continue;
        }
        if line.starts_with('[') {
            let name = header_name(line);
            profile = match kind {
                FileKind::Config => profile_of(name),
                FileKind::Credentials => Some(name.trim().to_owned()),
            };
            if let Some(p) = &profile {
                // A later section of the same profile replaces the earlier one whole.
                sections.insert(p.clone(), HashMap::new());
            }
            continue;
        }
        let (Some(p), Some((key, _))) = (&profile, trimmed.split_once('=')) else {
            continue;
        };
        let key = key.trim_matches([' ', '\t']).to_ascii_lowercase();
        if let Some(section) = sections.get_mut(p) {
            section.entry(key).or_insert(idx + 1);
        }
    }
    sections
        .into_iter()
        .flat_map(|(p, keys)| {
            keys.into_iter()
                .map(move |(k, line)| ((p.clone(), k), line))
        })
        .collect()
}

struct Section<'a> {
    name: &'a str,
    /// Line index of the header.
    start: usize,
    /// One past the last line index of its body.
    end: usize,
    keys: HashSet<String>,
}

/// The section name as configparser reads it: between the first `[` and the last `]`.
fn header_name(line: &str) -> &str {
    let line = line.trim_end_matches([' ', '\t']);
    let inner = line.strip_prefix('[').unwrap_or(line);
    match inner.rfind(']') {
        Some(end) => &inner[..end],
        None => inner,
    }
}

/// botocore maps `[profile NAME]` (split like a shell word list) and `[default]` to profile
/// names and keeps the last section for each name; the others are blanked.
fn keep_last_section_per_profile(lines: &mut [&str], sections: &[Section<'_>]) {
    let mut last: HashMap<String, usize> = HashMap::new();
    for (i, section) in sections.iter().enumerate() {
        if let Some(profile) = profile_of(section.name) {
            last.insert(profile, i);
        }
    }
    for (i, section) in sections.iter().enumerate() {
        let shadowed = profile_of(section.name).is_some_and(|p| last.get(&p) != Some(&i));
        if shadowed {
            tracing::warn!(
                section = section.name,
                "section ignored: a later section defines the same profile (the AWS CLI uses the last)"
            );
            for line in &mut lines[section.start..section.end] {
                *line = "";
            }
        }
    }
}

fn profile_of(section: &str) -> Option<String> {
    if section == "default" {
        return Some("default".into());
    }
    for prefix in ["profile", "sso-session"] {
        if section.starts_with(prefix) {
            let words: Vec<&str> = section.split_whitespace().collect();
            return match words.as_slice() {
                [first, name] if *first == prefix && prefix == "profile" => Some((*name).into()),
                [first, name] if *first == prefix => Some(format!("{prefix} {name}")),
                _ => None,
            };
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_sections_and_keys_are_refused_like_the_aws_cli() {
        let err = botocore_view("[profile a]\nx = 1\n[profile a]\n", FileKind::Config)
            .expect_err("duplicate section");
        assert_eq!(err.0, 3);
        let err = botocore_view("[a]\nRegion = 1\nregion = 2\n", FileKind::Credentials)
            .expect_err("duplicate key, case-insensitive");
        assert_eq!(err.0, 3);
    }

    #[test]
    fn indented_comments_are_blanked_and_line_numbers_kept() {
        let out = botocore_view("[a]\n  # note\nx = 1\n", FileKind::Credentials).expect("ok");
        assert_eq!(out, "[a]\n\nx = 1\n");
    }

    #[test]
    fn the_last_section_for_a_profile_wins_whole() {
        let text = "[profile default]\nregion = a\nx = 1\n[default]\nregion = b\n";
        let out = botocore_view(text, FileKind::Config).expect("ok");
        assert_eq!(out, "\n\n\n[default]\nregion = b\n");
        let text = "[default]\nregion = b\n[profile default]\nregion = a\n";
        let out = botocore_view(text, FileKind::Config).expect("ok");
        assert_eq!(out, "\n\n[profile default]\nregion = a\n");
    }

    #[test]
    fn an_indented_first_key_is_a_key_as_configparser_reads_it() {
        let out = botocore_view("[a]\n  region = x\n  more\n", FileKind::Credentials).expect("ok");
        assert_eq!(out, "[a]\nregion = x\n  more\n");
    }

    #[test]
    fn an_empty_section_header_is_refused_like_the_aws_cli() {
        let err = botocore_view("[a]\nx = 1\n[]\n", FileKind::Credentials).expect_err("[]");
        assert_eq!(err.0, 3);
    }

    #[test]
    fn key_lines_follow_the_section_that_wins() {
        let text =
            "[profile a]\nregion = x\n[profile b]\n\n  Role_Arn = r\n[profile  a]\nregion = y\n";
        let lines = key_lines(text, FileKind::Config);
        assert_eq!(lines[&("a".into(), "region".into())], 7);
        assert_eq!(lines[&("b".into(), "role_arn".into())], 5);
    }

    #[test]
    fn credentials_sections_are_never_merged_away() {
        let text = "[default]\nx = 1\n[profile default]\ny = 2\n";
        assert_eq!(
            botocore_view(text, FileKind::Credentials).expect("ok"),
            text
        );
    }
}
