//! Requests sent to the host and not yet answered: id → the future waiting for the reply.
//!
//! Every request gets exactly one answer: the host's reply, or the error that ends the port
//! ([`Pending::fail_all`]).

use futures_channel::oneshot;
use litemap::LiteMap;

/// Outstanding requests on one port, and the id counter.
#[derive(Debug)]
pub struct Pending<T> {
    next_id: u64,
    waiting: LiteMap<u64, oneshot::Sender<T>>,
}

impl<T> Default for Pending<T> {
    fn default() -> Self {
        Pending {
            next_id: 1,
            waiting: LiteMap::new(),
        }
    }
}

impl<T> Pending<T> {
    /// Reserves the next id and the receiver its answer will arrive on.
    pub fn register(&mut self) -> (u64, oneshot::Receiver<T>) {
        let id = self.next_id;
        self.next_id += 1;
        let (tx, rx) = oneshot::channel();
        self.waiting.insert(id, tx);
        (id, rx)
    }

    /// Delivers the answer to `id`. False when nobody waits for it (unknown or answered).
    pub fn resolve(&mut self, id: u64, answer: T) -> bool {
        match self.waiting.remove(&id) {
            // A dropped receiver (the caller went away) still counts as delivered.
            Some(tx) => {
                let _ = tx.send(answer);
                true
            }
            None => false,
        }
    }

    /// Answers every outstanding request with `make()` and forgets them.
    pub fn fail_all(&mut self, make: impl Fn() -> T) {
        for (_, tx) in std::mem::take(&mut self.waiting) {
            let _ = tx.send(make());
        }
    }

    /// How many requests wait.
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_answers_reach_their_request() {
        let mut pending = Pending::default();
        let (a, mut rx_a) = pending.register();
        let (b, mut rx_b) = pending.register();
        assert_ne!(a, b);
        assert!(pending.resolve(b, "for b"));
        assert!(pending.resolve(a, "for a"));
        assert_eq!(rx_a.try_recv().expect("open"), Some("for a"));
        assert_eq!(rx_b.try_recv().expect("open"), Some("for b"));
        assert!(pending.is_empty());
    }

    #[test]
    fn a_second_or_unknown_answer_is_refused() {
        let mut pending = Pending::default();
        let (id, _rx) = pending.register();
        assert!(pending.resolve(id, 1));
        assert!(!pending.resolve(id, 2));
        assert!(!pending.resolve(999, 3));
    }

    #[test]
    fn fail_all_answers_everyone_once() {
        let mut pending = Pending::default();
        let mut receivers: Vec<_> = (0..3).map(|_| pending.register().1).collect();
        pending.fail_all(|| "host gone");
        assert_eq!(pending.len(), 0);
        for rx in &mut receivers {
            assert_eq!(rx.try_recv().expect("answered"), Some("host gone"));
        }
    }
}
