//! One open per profile at a time. A second click on a row while its first sign-in is still
//! under way (a double click, an impatient click) waits for the first to finish, and then
//! finds the session it made (focus, or another tab of it) instead of signing in again into a
//! second tab group of the same name.

use futures_channel::oneshot;
use litemap::LiteMap;

/// Whose turn it is, by key (a profile name), and who waits for it.
#[derive(Debug, Default)]
pub struct Turns {
    busy: LiteMap<String, Vec<oneshot::Sender<()>>>,
}

impl Turns {
    /// `None`: the turn is the caller's until it calls [`Turns::give_back`]. `Some(rx)`: another
    /// holds it; `rx` resolves when it gives it back, and the caller asks again.
    pub fn take(&mut self, key: &str) -> Option<oneshot::Receiver<()>> {
        match self.busy.get_mut(key) {
            Some(waiting) => {
                let (tx, rx) = oneshot::channel();
                waiting.push(tx);
                Some(rx)
            }
            None => {
                self.busy.insert(key.to_owned(), Vec::new());
                None
            }
        }
    }

    /// Ends the holder's turn and wakes everyone waiting for it; the first to ask again gets it.
    pub fn give_back(&mut self, key: &str) {
        for tx in self.busy.remove(key).unwrap_or_default() {
            let _ = tx.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_to_ask_gets_the_turn_and_the_next_waits_until_it_is_given_back() {
        let mut turns = Turns::default();
        assert!(turns.take("prod").is_none());
        let mut second = turns.take("prod").expect("prod is busy");
        assert_eq!(second.try_recv(), Ok(None), "still waiting");
        turns.give_back("prod");
        assert_eq!(second.try_recv(), Ok(Some(())), "woken");
        assert!(turns.take("prod").is_none(), "the woken one takes it");
    }

    #[test]
    fn profiles_take_turns_independently() {
        let mut turns = Turns::default();
        assert!(turns.take("prod").is_none());
        assert!(turns.take("dev").is_none());
        turns.give_back("dev");
        assert!(turns.take("prod").is_some(), "prod is still held");
    }

    #[test]
    fn every_waiter_is_woken_and_only_one_gets_the_next_turn() {
        let mut turns = Turns::default();
        assert!(turns.take("prod").is_none());
        let mut waiters: Vec<_> = (0..3).map(|_| turns.take("prod").expect("busy")).collect();
        turns.give_back("prod");
        assert!(waiters.iter_mut().all(|rx| rx.try_recv() == Ok(Some(()))));
        assert!(turns.take("prod").is_none());
        assert!(turns.take("prod").is_some());
    }
}
