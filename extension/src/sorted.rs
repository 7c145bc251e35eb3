//! Sorted `Vec`s kept in order by insertion, and `LiteMap`s read that way.
//!
//! The extension's sets and maps hold a handful of items. `sort_unstable` / `sort_by_key`
//! and litemap's own decoder (which sorts entries that arrive out of order) each put a
//! separate sorting network in the wasm for every element type, several KiB in all;
//! a binary search and an insert per item is a few dozen bytes.

use std::fmt;
use std::marker::PhantomData;

use litemap::LiteMap;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Puts `item` in the ascending `set` unless it is there; true when it was new.
pub fn insert<T: Ord>(set: &mut Vec<T>, item: T) -> bool {
    match set.binary_search(&item) {
        Ok(_) => false,
        Err(at) => {
            set.insert(at, item);
            true
        }
    }
}

/// `items` ascending, each once.
pub fn set_of<T: Ord>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut set = Vec::new();
    for item in items {
        insert(&mut set, item);
    }
    set
}

/// A `LiteMap` as litemap writes it when its keys are numbers or strings, for
/// `#[serde(deserialize_with)]`: a map, or `[]` when it is empty. A key given twice keeps
/// its last value, as litemap's decoder does. (Pairs, `[[key, value]]`, which litemap writes
/// for other keys, are refused: reading them would cost a decoder per key and value type.)
pub fn lite_map<'de, D, K, V>(deserializer: D) -> Result<LiteMap<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    deserializer.deserialize_any(MapVisitor(PhantomData))
}

struct MapVisitor<K, V>(PhantomData<fn() -> (K, V)>);

impl<'de, K, V> Visitor<'de> for MapVisitor<K, V>
where
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    type Value = LiteMap<K, V>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a map")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut access: M) -> Result<Self::Value, M::Error> {
        let mut map = LiteMap::new();
        while let Some((key, value)) = access.next_entry()? {
            map.insert(key, value);
        }
        Ok(map)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut access: S) -> Result<Self::Value, S::Error> {
        match access.next_element::<IgnoredAny>()? {
            None => Ok(LiteMap::new()),
            Some(_) => Err(serde::de::Error::invalid_length(1, &"an empty list")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_stay_ascending_and_distinct() {
        assert_eq!(set_of([5, 1, 3, 1, 5]), [1, 3, 5]);
        let mut set = vec![1, 4];
        assert!(insert(&mut set, 2));
        assert!(!insert(&mut set, 4));
        assert_eq!(set, [1, 2, 4]);
    }

    #[derive(serde::Deserialize, serde::Serialize, Debug, PartialEq)]
    struct Holder {
        #[serde(deserialize_with = "lite_map")]
        map: LiteMap<i64, String>,
    }

    #[test]
    fn maps_read_as_litemap_writes_them() {
        let map: LiteMap<i64, String> = [(7, "b".to_owned()), (2, "a".to_owned())]
            .into_iter()
            .collect();
        for holder in [
            Holder { map },
            Holder {
                map: LiteMap::new(),
            },
        ] {
            let text = serde_json::to_string(&holder).expect("encodes");
            let read: Holder = serde_json::from_str(&text).expect("reads");
            assert_eq!(read, holder, "{text}");
        }
        let shuffled: Holder =
            serde_json::from_str(r#"{"map":{"9":"z","3":"c","9":"y"}}"#).expect("reads");
        let pairs: Vec<_> = shuffled.map.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(pairs, [(3, "c"), (9, "y")]);
        assert!(serde_json::from_str::<Holder>(r#"{"map":[[4,"d"]]}"#).is_err());
    }
}
