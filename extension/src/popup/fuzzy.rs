//! Type-to-filter ranking: every word typed must match a profile's name, account id, account
//! name, role or one of its tags (`team=platform`),
//! as a substring (best, earlier is better) or as a subsequence (`pdad` finds `prod-admin`).

use roleport_protocol::ProfileSummary;

/// A profile's searchable fields, lowercased once when the list arrives (not per keystroke),
/// each with its weight.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Haystack {
    fields: Vec<(String, u32)>,
}

impl Haystack {
    /// The fields of `profile`: name, account id, account name, role, its label (`PROD`, from
    /// a colour rule or `roleport_label`), tags.
    pub fn of(profile: &ProfileSummary) -> Haystack {
        let fields = [
            (Some(profile.name.as_str()), 3),
            (profile.account_id.as_deref(), 1),
            (profile.account_name.as_deref(), 2),
            (profile.role.as_deref(), 2),
            (profile.appearance.label.as_deref(), 1),
        ]
        .into_iter()
        .chain(profile.tags.iter().map(|t| (Some(t.as_str()), 1)))
        .filter_map(|(field, weight)| field.map(|f| (f.to_lowercase(), weight)))
        .collect();
        Haystack { fields }
    }

    /// The rank for a filter's lowercase `words` (higher first), or `None` when a word does
    /// not match. No words match everything equally.
    pub fn rank(&self, words: &[String]) -> Option<u32> {
        words.iter().try_fold(0, |total, word| {
            let best = self
                .fields
                .iter()
                .filter_map(|(field, weight)| score(word, field).map(|s| s * weight))
                .max()?;
            Some(total + best)
        })
    }
}

/// A filter as [`Haystack::rank`] takes it: lowercase words.
pub fn words(filter: &str) -> Vec<String> {
    filter
        .to_lowercase()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The profile's rank for `filter` (higher first), or `None` when a word does not match.
/// An empty filter matches everything equally.
pub fn rank(profile: &ProfileSummary, filter: &str) -> Option<u32> {
    Haystack::of(profile).rank(&words(filter))
}

/// How well `needle` matches `hay` (both lowercase).
fn score(needle: &str, hay: &str) -> Option<u32> {
    if let Some(at) = hay.find(needle) {
        let whole = if needle.len() == hay.len() { 200 } else { 0 };
        let start = if at == 0 || !hay.as_bytes()[at - 1].is_ascii_alphanumeric() {
            100
        } else {
            0
        };
        return Some(300 + whole + start);
    }
    // A subsequence: fewer, shorter gaps rank higher.
    let mut gaps = 0u32;
    let mut rest = hay.chars();
    for c in needle.chars() {
        let mut skipped = 0u32;
        loop {
            match rest.next() {
                Some(h) if h == c => break,
                Some(_) => skipped += 1,
                None => return None,
            }
        }
        gaps += skipped.min(10);
    }
    Some(200u32.saturating_sub(gaps * 5).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleport_protocol::{Appearance, ProfileKind};

    fn p(name: &str, account: &str, role: &str) -> ProfileSummary {
        ProfileSummary {
            name: name.into(),
            kind: ProfileKind::AssumeRole,
            account_id: Some(account.into()),
            role: Some(role.into()),
            region: None,
            account_name: None,
            discovered: false,
            tags: Vec::new(),
            appearance: Appearance::default_for(name),
        }
    }

    #[test]
    fn exact_beats_prefix_beats_substring_beats_subsequence() {
        let exact = rank(&p("prod", "1", "r"), "prod");
        let prefix = rank(&p("prod-eu", "1", "r"), "prod");
        let inside = rank(&p("my-prod", "1", "r"), "prod");
        let inner = rank(&p("reproduce", "1", "r"), "prod");
        let sparse = rank(&p("p-r-o-d", "1", "r"), "prod");
        assert!(
            exact > prefix && prefix >= inside && inside > inner && inner > sparse,
            "{exact:?} {prefix:?} {inside:?} {inner:?} {sparse:?}"
        );
    }

    #[test]
    fn every_word_must_match_some_field() {
        let admin = p("prod", "222222222222", "Admin");
        assert!(rank(&admin, "prod admin").is_some());
        assert!(rank(&admin, "2222 adm").is_some());
        assert!(rank(&admin, "prod xyz").is_none());
        assert_eq!(rank(&admin, "   "), Some(0));
    }

    #[test]
    fn discovered_roles_match_their_account_name() {
        let mut found = p("billing-eu/ReadOnly", "333333333333", "ReadOnly");
        found.account_name = Some("Billing Europe".into());
        assert!(rank(&found, "europe").is_some());
        assert!(rank(&found, "europe readonly").is_some());
    }

    #[test]
    fn tags_are_searched_too_but_rank_below_the_name() {
        let mut tagged = p("payments", "444444444444", "Deployer");
        tagged.tags = vec!["team=platform".into(), "env=prod".into()];
        assert!(rank(&tagged, "platform").is_some());
        assert!(rank(&tagged, "env=prod").is_some());
        let named = p("prod", "555555555555", "Admin");
        assert!(rank(&named, "prod") > rank(&tagged, "prod"));
    }

    #[test]
    fn a_label_is_searched_too_but_ranks_below_the_name() {
        let mut labelled = p("payments", "666666666666", "Admin");
        labelled.appearance.label = Some("PROD".into());
        assert!(rank(&labelled, "prod").is_some());
        assert!(rank(&p("payments-dev", "7", "Admin"), "prod").is_none());
        assert!(rank(&p("prod", "8", "Admin"), "prod") > rank(&labelled, "prod"));
    }

    #[test]
    fn subsequences_find_abbreviations() {
        assert!(rank(&p("payments-production", "1", "r"), "payprd").is_some());
        assert!(rank(&p("payments-production", "1", "r"), "dpr").is_none());
    }
}
