//! How roleport's own AWS calls wait between attempts: exponential backoff with full jitter
//! (a random wait up to `base × 2^attempt`, capped), the AWS SDK's standard retry mode's
//! formula. STS gets it from the SDK itself ([`crate::credentials`]' client construction);
//! the federation endpoint, which roleport calls over plain HTTP, from [`full_jitter`].

use std::time::Duration;

/// The first backoff when `ROLEPORT_RETRY_BASE_MS` is not set: the SDK's own default.
pub const DEFAULT_BASE: Duration = Duration::from_secs(1);
/// No single wait is longer than this, whatever the attempt (or a `Retry-After`).
pub const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// The first backoff: `ROLEPORT_RETRY_BASE_MS` (milliseconds, at most the default) when set,
/// so tests run many failing attempts quickly; otherwise [`DEFAULT_BASE`]. A base can only be
/// lowered: a larger one would push requests past their time limit.
pub fn base() -> Duration {
    std::env::var("ROLEPORT_RETRY_BASE_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
        .map_or(DEFAULT_BASE, |b| b.min(DEFAULT_BASE))
}

/// The wait before retry number `attempt + 1` (0 after the first failure): uniformly random
/// in `[0, min(MAX_BACKOFF, base × 2^attempt))`.
pub fn full_jitter(attempt: u32, base: Duration) -> Duration {
    let ceiling = base
        .checked_mul(1u32 << attempt.min(16))
        .map_or(MAX_BACKOFF, |c| c.min(MAX_BACKOFF));
    let mut bytes = [0u8; 8];
    // Without randomness, half the ceiling still spreads retries from one caller.
    let fraction = getrandom::fill(&mut bytes)
        .map(|()| (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64)
        .unwrap_or(0.5);
    ceiling.mul_f64(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_wait_is_below_its_exponential_ceiling_and_the_cap() {
        let base = Duration::from_millis(100);
        for attempt in 0..20 {
            let ceiling = (base * (1 << attempt.min(16))).min(MAX_BACKOFF);
            for _ in 0..50 {
                assert!(full_jitter(attempt, base) < ceiling, "attempt {attempt}");
            }
        }
    }

    #[test]
    fn waits_are_spread_not_fixed() {
        let waits: std::collections::BTreeSet<_> = (0..50)
            .map(|_| full_jitter(3, Duration::from_secs(1)))
            .collect();
        assert!(waits.len() > 40, "{waits:?}");
    }

    #[test]
    fn a_zero_base_never_waits() {
        assert_eq!(full_jitter(5, Duration::ZERO), Duration::ZERO);
    }
}
