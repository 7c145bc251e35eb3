//! Joining the host's `list_profiles` pages into the one list the popup shows. Pure, so it is
//! unit-tested natively; [`crate::background`] does the asking.

use roleport_protocol::{ErrorCode, ProfileList, ProfilePage, ProtocolError};

/// Most pages one list may take: a host whose cursor never ends is a bug, not a wait.
pub const MAX_PAGES: usize = 1_000;

/// The pages received so far, and where the next one starts.
#[derive(Debug, Default)]
pub struct Pages {
    list: ProfileList,
    cursor: u64,
    pages: usize,
}

/// What to do after a page.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Ask for the page at this cursor.
    Ask(u64),
    /// Every page is in: the whole list.
    Done(ProfileList),
}

impl Pages {
    /// The cursor of the first page.
    pub fn first() -> u64 {
        0
    }

    /// Adds the page that answered the current cursor. A `next` that does not move forward
    /// (or too many pages) is the host's bug, answered with a coded error, not a loop.
    pub fn add(&mut self, page: ProfilePage) -> Result<Step, ProtocolError> {
        self.pages += 1;
        self.list.profiles.extend(page.list.profiles);
        self.list.settings_error = page.list.settings_error;
        match page.next {
            None => Ok(Step::Done(std::mem::take(&mut self.list))),
            Some(next) if next > self.cursor && self.pages < MAX_PAGES => {
                self.cursor = next;
                Ok(Step::Ask(next))
            }
            Some(next) => Err(ProtocolError::new(
                ErrorCode::Internal,
                format!(
                    "the host's list of profiles did not end: page {} (cursor {}) pointed to \
                     cursor {next}",
                    self.pages, self.cursor
                ),
                "This is a bug in roleport: please report it with the host's log; meanwhile \
                 `roleport list` and `roleport open PROFILE` in a terminal reach every profile.",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleport_protocol::{Appearance, ProfileKind, ProfileSummary};

    fn summaries(range: std::ops::Range<u32>) -> Vec<ProfileSummary> {
        range
            .map(|i| ProfileSummary {
                name: format!("p{i:05}"),
                kind: ProfileKind::Sso,
                account_id: None,
                role: None,
                region: None,
                account_name: None,
                discovered: true,
                tags: Vec::new(),
                appearance: Appearance::default_for("p"),
            })
            .collect()
    }

    fn page(range: std::ops::Range<u32>, next: Option<u64>) -> ProfilePage {
        ProfilePage {
            list: ProfileList {
                profiles: summaries(range),
                settings_error: None,
            },
            next,
        }
    }

    #[test]
    fn pages_join_in_order_into_the_whole_list() {
        let mut pages = Pages::default();
        assert_eq!(Pages::first(), 0);
        assert_eq!(pages.add(page(0..3, Some(3))), Ok(Step::Ask(3)));
        assert_eq!(pages.add(page(3..5, Some(5))), Ok(Step::Ask(5)));
        let Ok(Step::Done(list)) = pages.add(page(5..6, None)) else {
            panic!("the last page ends the list");
        };
        assert_eq!(list.profiles, summaries(0..6));
    }

    #[test]
    fn a_single_reply_without_next_is_the_whole_list() {
        let mut pages = Pages::default();
        assert_eq!(
            pages.add(page(0..2, None)),
            Ok(Step::Done(ProfileList {
                profiles: summaries(0..2),
                settings_error: None,
            }))
        );
    }

    #[test]
    fn a_next_that_does_not_move_forward_is_an_error_not_a_loop() {
        let mut pages = Pages::default();
        assert_eq!(pages.add(page(0..2, Some(2))), Ok(Step::Ask(2)));
        let err = pages.add(page(2..4, Some(2))).expect_err("stuck cursor");
        assert_eq!(err.code, ErrorCode::Internal);
        assert!(err.message.contains("did not end"), "{}", err.message);
    }

    #[test]
    fn a_list_that_never_ends_stops_at_the_page_cap() {
        let mut pages = Pages::default();
        let mut outcome = Ok(Step::Ask(0));
        for n in 1..=MAX_PAGES as u64 {
            outcome = pages.add(page(0..0, Some(n)));
            if outcome.is_err() {
                break;
            }
        }
        assert!(outcome.is_err(), "{outcome:?}");
    }
}
