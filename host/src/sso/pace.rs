//! How fast discovery may call the SSO portal.
//!
//! The portal throttles per token (HTTP 429 `TooManyRequestsException`) at a rate AWS does
//! not publish, and peers that fire ListAccountRoles for every account at once fail in large
//! organisations. The [`Pacer`] spaces calls at a rate it learns: additive increase while calls
//! succeed, multiplicative decrease when the portal throttles (AIMD, as TCP does), and a pause
//! for every caller when the portal says `Retry-After`.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The rate a sync starts at, in calls per second.
pub const INITIAL_RATE: f64 = 8.0;
/// Never slower than this (one call every 2 s).
const MIN_RATE: f64 = 0.5;
/// Never faster than this, however long calls succeed.
const MAX_RATE: f64 = 100.0;
/// After a throttle, the rate becomes this share of what it was.
const DECREASE: f64 = 0.7;
/// Calls sent at the old rate come back throttled for up to about a second; they describe the
/// same overload, so the rate is cut at most once per this long.
const CUT_COOLDOWN: Duration = Duration::from_secs(1);

/// Spaces calls at an adaptive rate; shared by every worker of one sync.
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    rate: f64,
    /// The earliest time the next call may start.
    next_slot: Instant,
    last_cut: Option<Instant>,
    throttled: u64,
}

impl Pacer {
    /// A pacer starting at `rate` calls per second.
    pub fn new(rate: f64) -> Pacer {
        Pacer {
            state: Mutex::new(State {
                rate: rate.clamp(MIN_RATE, MAX_RATE),
                next_slot: Instant::now(),
                last_cut: None,
                throttled: 0,
            }),
        }
    }

    /// Waits for the caller's turn to call.
    pub async fn turn(&self) {
        let at = self.with(|s| {
            let at = s.next_slot.max(Instant::now());
            s.next_slot = at + Duration::from_secs_f64(1.0 / s.rate);
            at
        });
        tokio::time::sleep_until(at).await;
    }

    /// A call succeeded: about one more call per second for each second of success.
    pub fn succeeded(&self) {
        self.with(|s| s.rate = (s.rate + 1.0 / s.rate).min(MAX_RATE));
    }

    /// A call was throttled: slow down, and if the portal named a wait, nobody calls before
    /// it is over.
    pub fn throttled(&self, retry_after: Option<Duration>) {
        self.with(|s| {
            let now = Instant::now();
            s.throttled += 1;
            if s.last_cut
                .is_none_or(|t| now.duration_since(t) >= CUT_COOLDOWN)
            {
                s.rate = (s.rate * DECREASE).max(MIN_RATE);
                s.last_cut = Some(now);
            }
            let wait = retry_after.unwrap_or_else(|| Duration::from_secs_f64(1.0 / s.rate));
            s.next_slot = s.next_slot.max(now + wait);
        });
    }

    /// The current rate, in calls per second.
    pub fn rate(&self) -> f64 {
        self.with(|s| s.rate)
    }

    /// How many calls were throttled so far.
    pub fn throttled_calls(&self) -> u64 {
        self.with(|s| s.throttled)
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        // A panic while holding this lock leaves consistent numbers behind; keep going.
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut state)
    }
}

/// The `Retry-After` of a throttling answer: delay-seconds only (the portal does not send
/// HTTP dates), capped so a wrong header cannot stall a sync for long.
pub fn retry_after(value: Option<&str>) -> Option<Duration> {
    let seconds: f64 = value?.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(60.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_at_the_rate() {
        let pacer = Pacer::new(4.0);
        let start = Instant::now();
        for _ in 0..5 {
            pacer.turn().await;
        }
        // Turns at 0, 250, 500, 750, 1000 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
    }

    #[tokio::test(start_paused = true)]
    async fn success_raises_the_rate_by_about_one_per_second() {
        let pacer = Pacer::new(10.0);
        for _ in 0..10 {
            pacer.succeeded();
        }
        let rate = pacer.rate();
        assert!((10.9..11.0).contains(&rate), "{rate}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_throttles_cuts_the_rate_once() {
        let pacer = Pacer::new(10.0);
        for _ in 0..5 {
            pacer.throttled(None);
        }
        assert!((pacer.rate() - 7.0).abs() < 1e-9);
        assert_eq!(pacer.throttled_calls(), 5);
        tokio::time::advance(CUT_COOLDOWN).await;
        pacer.throttled(None);
        assert!((pacer.rate() - 4.9).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_has_a_floor() {
        let pacer = Pacer::new(1.0);
        for _ in 0..20 {
            pacer.throttled(None);
            tokio::time::advance(CUT_COOLDOWN).await;
        }
        assert!((pacer.rate() - MIN_RATE).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_holds_every_caller() {
        let pacer = Pacer::new(50.0);
        let start = Instant::now();
        pacer.throttled(Some(Duration::from_secs(3)));
        pacer.turn().await;
        assert!(start.elapsed() >= Duration::from_secs(3));
    }

    #[test]
    fn retry_after_reads_delay_seconds_and_caps_them() {
        assert_eq!(retry_after(Some("2")), Some(Duration::from_secs(2)));
        assert_eq!(retry_after(Some(" 0.5 ")), Some(Duration::from_millis(500)));
        assert_eq!(retry_after(Some("86400")), Some(Duration::from_secs(60)));
        assert_eq!(retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(Some("-1")), None);
        assert_eq!(retry_after(None), None);
    }
}
