//! What the popup remembers between openings: favourite profiles (pinned on top) and the ones
//! opened last. Kept in `storage.local` under one key; names only, never anything secret.

use serde::{Deserialize, Serialize};

/// How many recently opened profiles the popup lists before the rest.
pub const RECENTS: usize = 5;

/// The storage key; `popup-start.js` starts the popup's read of it.
pub const KEY: &str = "roleport.popup";

/// Favourites and recents, by profile name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefs {
    /// Pinned on top, in the order they were starred.
    #[serde(default)]
    pub favourites: Vec<String>,
    /// Most recent first, at most [`RECENTS`].
    #[serde(default)]
    pub recents: Vec<String>,
}

impl Prefs {
    /// Stars or unstars `name`.
    pub fn toggle_favourite(&mut self, name: &str) {
        match self.favourites.iter().position(|f| f == name) {
            Some(at) => {
                self.favourites.remove(at);
            }
            None => self.favourites.push(name.to_owned()),
        }
    }

    /// Records that `name` was just opened.
    pub fn opened(&mut self, name: &str) {
        self.recents.retain(|r| r != name);
        self.recents.insert(0, name.to_owned());
        self.recents.truncate(RECENTS);
    }

    /// Where `name` goes when nothing is typed: favourites, then recents, then the rest.
    pub fn tier(&self, name: &str) -> (u8, usize) {
        if let Some(at) = self.favourites.iter().position(|f| f == name) {
            return (0, at);
        }
        match self.recents.iter().position(|r| r == name) {
            Some(at) => (1, at),
            None => (2, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recents_keep_the_last_five_most_recent_first_without_repeats() {
        let mut prefs = Prefs::default();
        for name in ["a", "b", "c", "a", "d", "e", "f"] {
            prefs.opened(name);
        }
        assert_eq!(prefs.recents, ["f", "e", "d", "a", "c"]);
    }

    #[test]
    fn favourites_come_first_then_recents_then_the_rest() {
        let mut prefs = Prefs::default();
        prefs.toggle_favourite("prod");
        prefs.opened("dev");
        assert!(prefs.tier("prod") < prefs.tier("dev"));
        assert!(prefs.tier("dev") < prefs.tier("sandbox"));
        prefs.toggle_favourite("prod");
        assert_eq!(prefs.tier("prod"), (2, 0));
    }

    #[test]
    fn stored_value_round_trips_and_tolerates_missing_fields() {
        let prefs: Prefs = serde_json::from_str(r#"{"favourites":["prod"]}"#).expect("parses");
        assert_eq!(prefs.favourites, ["prod"]);
        assert!(prefs.recents.is_empty());
    }
}
