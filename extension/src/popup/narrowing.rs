//! Per-keystroke ranking that looks only where a match can still be. Every match of
//! `prod adm` is a match of `prod ad` (each word must match some field, as a substring or a
//! subsequence, so a longer word or one more word can only drop profiles), so a keystroke
//! that extends the filter ranks the previous matches, not the whole list; a keystroke that
//! erases returns to the matches remembered for the shorter filter. At 5,000 profiles most
//! keystrokes then rank a few hundred haystacks instead of 5,000.

use super::fuzzy::Haystack;

/// How many filters are remembered (one per keystroke of the longest filter typed).
const DEPTH: usize = 64;

/// Profiles a filter matches: `(rank, index)`, in the list's order.
pub type Ranked = Vec<(u32, usize)>;

/// The matches of the filters typed so far, each a narrowing of the one before, longest last.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Narrowing {
    stack: Vec<(Vec<String>, Ranked)>,
}

impl Narrowing {
    /// Forgets every remembered match: the list changed.
    pub fn clear(&mut self) {
        self.stack.clear();
    }

    /// Every profile of `haystacks` that `words` matches, with its rank, in the list's order:
    /// the same as ranking them all, from the fewest candidates remembered.
    pub fn matches(&mut self, words: &[String], haystacks: &[Haystack]) -> &[(u32, usize)] {
        while self.stack.last().is_some_and(|(w, _)| !narrows(w, words)) {
            self.stack.pop();
        }
        if self.stack.last().is_none_or(|(w, _)| w.as_slice() != words) {
            let rank = |i: usize| haystacks.get(i)?.rank(words).map(|r| (r, i));
            let ranked: Ranked = match self.stack.last() {
                Some((_, candidates)) => candidates.iter().filter_map(|&(_, i)| rank(i)).collect(),
                None => (0..haystacks.len()).filter_map(rank).collect(),
            };
            if self.stack.len() == DEPTH {
                self.stack.remove(0);
            }
            self.stack.push((words.to_vec(), ranked));
        }
        self.stack
            .last()
            .map_or(&[], |(_, ranked)| ranked.as_slice())
    }
}

/// Whether every match of `new` is a match of `old`: `new` has `old`'s words, its last one
/// possibly longer (a prefix still matches where the word does), and maybe more words.
fn narrows(old: &[String], new: &[String]) -> bool {
    let Some((last, rest)) = old.split_last() else {
        return true; // no words match everything
    };
    new.len() >= old.len()
        && new[..rest.len()] == *rest
        && new[rest.len()].starts_with(last.as_str())
}

#[cfg(test)]
mod tests {
    use super::super::fuzzy::words;
    use super::*;
    use roleport_protocol::{Appearance, ProfileKind, ProfileSummary};

    fn haystacks() -> Vec<Haystack> {
        (0..300)
            .map(|i| {
                let name = format!("acct-{i:04}-{}", ["prod", "dev", "audit"][i % 3]);
                Haystack::of(&ProfileSummary {
                    name: name.clone(),
                    kind: ProfileKind::AssumeRole,
                    account_id: Some(format!("{:012}", i * 7)),
                    role: Some(["Admin", "ReadOnly"][i % 2].into()),
                    region: None,
                    account_name: None,
                    discovered: false,
                    tags: Vec::new(),
                    appearance: Appearance::default_for(&name),
                })
            })
            .collect()
    }

    fn ranked_all(filter: &str, haystacks: &[Haystack]) -> Ranked {
        let words = words(filter);
        (haystacks.iter().enumerate())
            .filter_map(|(i, h)| Some((h.rank(&words)?, i)))
            .collect()
    }

    #[test]
    fn typing_and_erasing_gives_what_ranking_everything_gives() {
        let haystacks = haystacks();
        let mut narrowing = Narrowing::default();
        let query = "acct-01 adm prod";
        let typed = (0..=query.len()).map(|n| &query[..n]);
        let erased = (0..query.len()).rev().map(|n| &query[..n]);
        // Then edits that do not narrow: a changed word, a word taken out in the middle.
        let edits = ["acct-02 adm", "adm", "acct adm", "dev", "x", ""];
        for filter in typed.chain(erased).chain(edits) {
            let got = narrowing.matches(&words(filter), &haystacks).to_vec();
            assert_eq!(got, ranked_all(filter, &haystacks), "filter {filter:?}");
        }
    }

    #[test]
    fn a_new_list_is_ranked_afresh() {
        let mut narrowing = Narrowing::default();
        let before = haystacks();
        narrowing.matches(&words("acct-000"), &before);
        narrowing.clear();
        let after: Vec<Haystack> = before.into_iter().rev().collect();
        let got = narrowing.matches(&words("acct-000"), &after).to_vec();
        assert_eq!(got, ranked_all("acct-000", &after));
    }

    #[test]
    fn only_a_longer_last_word_or_more_words_narrow() {
        let w = |s: &str| words(s);
        assert!(narrows(&w(""), &w("anything")));
        assert!(narrows(&w("pro"), &w("prod")));
        assert!(narrows(&w("prod"), &w("prod adm")));
        assert!(narrows(&w("prod ad"), &w("prod admin")));
        assert!(!narrows(&w("prod"), &w("pro")));
        assert!(!narrows(&w("prod adm"), &w("prod")));
        assert!(!narrows(&w("prod adm"), &w("prox adm")));
        assert!(!narrows(&w("ad"), &w("prod ad")));
    }
}
