//! When a failed call is tried again, and how long to wait.
//!
//! GET, PUT and DELETE are idempotent: they are retried on connection failures, timeouts,
//! truncated bodies, 408, 429, 500, 502, 503 and 504. A POST creates something, so it is retried
//! only where the request certainly was not processed: a 429, or a connection that failed
//! before the request was sent. The wait grows exponentially with jitter (the schedule comes from
//! the `backon` crate), and a `Retry-After` from the server is honoured when it is longer.

use crate::error::Error;
use backon::{BackoffBuilder, ExponentialBuilder};
use std::time::Duration;

/// How many times, and for how long, a call is retried.
///
/// ```
/// use dintero_products::RetryPolicy;
/// use std::time::Duration;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(6)
///     .max_elapsed(Duration::from_secs(120));
/// let never = RetryPolicy::none();
/// # let _ = (patient, never);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// Up to 4 attempts, waits from 100 ms doubling to at most 5 s, within 30 s in all.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self::default().max_attempts(1)
    }

    /// How many attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first wait; later waits grow from it.
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// The longest wait between two attempts (a longer `Retry-After` is still honoured, within
    /// [`max_elapsed`](Self::max_elapsed)).
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// No retry starts once this much time has passed since the first attempt.
    pub fn max_elapsed(mut self, total: Duration) -> Self {
        self.max_elapsed = total;
        self
    }

    /// The waits between attempts, in order.
    pub(crate) fn schedule(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        ExponentialBuilder::new()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(self.max_attempts.saturating_sub(1) as usize)
            .build()
    }

    pub(crate) fn max_elapsed_time(&self) -> Duration {
        self.max_elapsed
    }
}

/// Whether a call that failed with `error` may be sent again.
pub(crate) fn may_retry(error: &Error, idempotent: bool) -> bool {
    if idempotent {
        return error.is_retryable();
    }
    match error {
        Error::Transport { source, .. } => source.is_connect(),
        other => other.is_rate_limited(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_bounded_and_grows() {
        let policy = RetryPolicy::default()
            .max_attempts(5)
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_secs(1));
        let waits: Vec<_> = policy.schedule().collect();
        assert_eq!(waits.len(), 4, "one wait between each pair of attempts");
        assert!(
            waits.iter().all(|w| *w <= Duration::from_secs(2)),
            "{waits:?}"
        );
        assert!(waits[3] >= Duration::from_millis(800), "{waits:?}");
        assert_eq!(RetryPolicy::none().schedule().count(), 0);
    }
}
