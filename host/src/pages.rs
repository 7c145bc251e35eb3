//! `list_profiles` in pages: the browser drops any host message over 1 MiB (and with it the
//! port), and a large IAM Identity Center organisation has more discovered roles than fit in
//! one. A page is cut by its encoded size, not a count, because names vary in length.

use roleport_protocol::{ListProfiles, ProfileList, ProfilePage};

/// Most bytes of profile JSON in one page: a quarter of the browser's limit, so the envelope,
/// escaping and the fields a later version adds never push a page over it.
pub const PAGE_BYTES: usize = roleport_protocol::MAX_FRAME_TO_BROWSER / 4;

/// The reply to `ask` from the sorted list `all`: everything without a cursor; else the
/// profiles from `cursor` on that fit in [`PAGE_BYTES`] (at least one), and the next cursor
/// while any remain. A cursor past the end is an empty last page.
pub fn page(list: ProfileList, ask: &ListProfiles) -> ProfilePage {
    let Some(cursor) = ask.cursor else {
        return ProfilePage::whole(list);
    };
    // Every page says whether the settings file is broken, so the last one the extension
    // keeps still does.
    let ProfileList {
        profiles: all,
        settings_error,
    } = list;
    let start = usize::try_from(cursor).unwrap_or(usize::MAX).min(all.len());
    let mut used = 0;
    let mut end = start;
    for p in &all[start..] {
        // `+ 1` for the comma between entries.
        let size = serde_json::to_vec(p).map_or(0, |v| v.len()) + 1;
        if end > start && used + size > PAGE_BYTES {
            break;
        }
        used += size;
        end += 1;
    }
    let next = (end < all.len()).then_some(end as u64);
    let mut all = all;
    let profiles = all.drain(start..end).collect();
    ProfilePage {
        list: ProfileList {
            profiles,
            settings_error,
        },
        next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleport_protocol::{Appearance, ProfileKind, ProfileSummary};

    fn named(name: String) -> ProfileSummary {
        ProfileSummary {
            appearance: Appearance::default_for(&name),
            name,
            kind: ProfileKind::Sso,
            account_id: Some("123456789012".into()),
            role: Some("Engineer".into()),
            region: None,
            account_name: None,
            discovered: true,
            tags: Vec::new(),
        }
    }

    fn profiles(n: usize, name_len: usize) -> Vec<ProfileSummary> {
        (0..n)
            .map(|i| named(format!("{i:06}{}", "x".repeat(name_len))))
            .collect()
    }

    fn list(profiles: Vec<ProfileSummary>) -> ProfileList {
        ProfileList {
            profiles,
            settings_error: None,
        }
    }

    #[test]
    fn without_a_cursor_the_reply_is_the_whole_list_with_no_next() {
        let page = page(list(profiles(10, 4)), &ListProfiles::whole());
        assert_eq!((page.list.profiles.len(), page.next), (10, None));
    }

    #[test]
    fn pages_cover_every_profile_once_in_order_each_within_the_page_budget() {
        let all = profiles(5_000, 120);
        let mut seen = Vec::new();
        let mut cursor = Some(0);
        let mut pages = 0;
        while let Some(c) = cursor {
            let p = page(list(all.clone()), &ListProfiles::page(c));
            let bytes = serde_json::to_vec(&p.list.profiles).expect("encodes").len();
            assert!(bytes <= PAGE_BYTES, "page {pages} is {bytes} bytes");
            assert!(p.next.is_none_or(|n| n > c), "the cursor moves forward");
            seen.extend(p.list.profiles);
            cursor = p.next;
            pages += 1;
        }
        assert!(pages > 1, "5,000 long names do not fit in one page");
        assert_eq!(seen, all);
    }

    #[test]
    fn a_cursor_past_the_end_is_an_empty_last_page() {
        let page = page(list(profiles(3, 4)), &ListProfiles::page(99));
        assert_eq!((page.list.profiles.len(), page.next), (0, None));
    }

    #[test]
    fn one_profile_larger_than_a_page_still_makes_progress() {
        let all = vec![named("x".repeat(PAGE_BYTES)), named("y".into())];
        let first = page(list(all.clone()), &ListProfiles::page(0));
        assert_eq!((first.list.profiles.len(), first.next), (1, Some(1)));
    }
}
