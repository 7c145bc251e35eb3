//! Sorted `Vec` sets kept in order by insertion.
//!
//! The extension's sets hold a handful of items. `sort_unstable` / `sort_by_key` (and
//! litemap's decoder, which sorts entries that arrive out of order) each put a separate
//! sorting network in the wasm for every element type, several KiB in all; a binary search
//! and an insert per item is a few dozen bytes.

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
}
