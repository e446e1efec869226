//! When a failed call is tried again, and how long to wait.
//!
//! GET, PUT and DELETE are idempotent: they are retried on connection failures, timeouts,
//! truncated bodies, 408, 429, 500, 502, 503 and 504. A POST creates something, so it is retried
//! only where the request certainly was not processed: a 429, or a connection that failed
//! before the request was sent. The wait grows exponentially with jitter (the schedule comes from
//! the `backon` crate), and a `Retry-After` from the server is honoured when it is longer.

use crate::error::Error;
use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::time::{Duration, Instant};

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

    /// This policy with a time budget of at least `budget`.
    pub(crate) fn at_least(mut self, budget: Duration) -> Self {
        self.max_elapsed = self.max_elapsed.max(budget);
        self
    }

    /// The waits between attempts, in order.
    pub(crate) fn schedule(&self) -> ExponentialBackoff {
        ExponentialBuilder::new()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(self.max_attempts.saturating_sub(1) as usize)
            .build()
    }
}

/// The retries of one call: which wait comes next, and whether it still fits the time budget.
/// Shared by API calls and token requests, so both follow the same rules.
pub(crate) struct Retrier<'a> {
    policy: &'a RetryPolicy,
    started: Instant,
    /// Built at the first failure: most calls succeed at once and never need it.
    waits: Option<ExponentialBackoff>,
}

impl<'a> Retrier<'a> {
    pub(crate) fn new(policy: &'a RetryPolicy) -> Self {
        Self {
            policy,
            started: Instant::now(),
            waits: None,
        }
    }

    /// When the time budget runs out (`None`: a budget too large to represent never does).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.started.checked_add(self.policy.max_elapsed)
    }

    /// Whether waiting `wait` from now still ends within the time budget.
    pub(crate) fn fits(&self, wait: Duration) -> bool {
        self.started.elapsed().saturating_add(wait) <= self.policy.max_elapsed
    }

    /// How long to wait before the next attempt: the backoff, or the server's `Retry-After`
    /// when longer. `None` when the attempts are spent or the wait would end past the budget.
    /// Saturating throughout: a server may send any number.
    pub(crate) fn next_wait(&mut self, asked: Option<Duration>) -> Option<Duration> {
        let policy = self.policy;
        let backoff = self.waits.get_or_insert_with(|| policy.schedule()).next()?;
        let wait = asked.map_or(backoff, |asked| asked.max(backoff));
        self.fits(wait).then_some(wait)
    }
}

/// `Retry-After` as seconds or as an HTTP date, from now. Whatever a server sends, this never
/// panics: huge numbers are kept as they are (the time budget then refuses to wait), dates in
/// the past mean now.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    parse_retry_after(headers.get(RETRY_AFTER)?.to_str().ok()?)
}

pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let ahead = when.signed_duration_since(chrono::Utc::now());
    Some(ahead.to_std().unwrap_or(Duration::ZERO))
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

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        let soon = chrono::Utc::now() + chrono::Duration::seconds(30);
        let wait = parse_retry_after(&soon.to_rfc2822()).unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-5"), None);
        assert_eq!(
            parse_retry_after("18446744073709551615"),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    proptest::proptest! {
        /// Whatever a server puts in `Retry-After`, parsing and scheduling never panic, and no
        /// wait the scheduler grants ends past the time budget.
        #[test]
        fn any_retry_after_is_parsed_and_scheduled_within_budget(
            text in proptest::prelude::any::<String>(),
            seconds in proptest::prelude::any::<u64>(),
            // Years 0 to 9999: what an HTTP date can write (and chrono can format).
            timestamp in -62_135_596_800i64..253_402_300_799,
            already_ms in 0u64..120_000,
            budget_ms in 0u64..120_000,
        ) {
            let date = chrono::DateTime::from_timestamp(timestamp, 0)
                .map(|d| d.to_rfc2822())
                .unwrap_or_default();
            let policy = RetryPolicy::default().max_elapsed(Duration::from_millis(budget_ms));
            for asked in [
                parse_retry_after(&text),
                parse_retry_after(&seconds.to_string()),
                parse_retry_after(&date),
            ] {
                let mut retrier = Retrier::new(&policy);
                retrier.started = Instant::now()
                    .checked_sub(Duration::from_millis(already_ms))
                    .unwrap_or_else(Instant::now);
                let _ = retrier.deadline();
                // Bounded by the attempts allowed, so a scheduler that never stops fails here
                // instead of looping.
                let mut waits = 0;
                while let Some(wait) = retrier.next_wait(asked) {
                    waits += 1;
                    proptest::prop_assert!(waits < policy.max_attempts, "a wait past the last attempt");
                    let ends = retrier.started.elapsed().saturating_add(wait);
                    proptest::prop_assert!(ends <= policy.max_elapsed + Duration::from_millis(50));
                    proptest::prop_assert!(asked.is_none_or(|asked| wait >= asked));
                }
            }
        }
    }
}
