//! A token-bucket rate limit in front of the API, as an API gateway would apply one.

use std::time::Instant;

/// A rate limit: a token bucket refilled at `per_second` requests per second, holding at most
/// `burst` of them.
///
/// Each request except the token endpoint takes one token; when none is left the request is
/// answered `429 Too Many Requests` with `Retry-After` (whole seconds until a token is back,
/// rounded up, at least 1) and Dintero's error body (code `RATE_LIMITED`), and is not
/// processed. The bucket starts full, and starts full again whenever the limit is set.
///
/// ```
/// use dintero_products_fake::{FakeServer, RateLimit};
///
/// # async fn demo() -> std::io::Result<()> {
/// let server = FakeServer::builder()
///     .rate_limit(RateLimit::per_second(200).burst(20))
///     .start()
///     .await?;
/// server.set_rate_limit(RateLimit::per_second(50)); // burst 50
/// server.set_rate_limit(None); // off
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    per_second: u32,
    burst: u32,
}

impl RateLimit {
    /// `requests` per second, with a burst of as many (one second's worth). A rate of 0 is
    /// taken as 1.
    pub fn per_second(requests: u32) -> Self {
        let per_second = requests.max(1);
        RateLimit {
            per_second,
            burst: per_second,
        }
    }

    /// How many requests may pass at once after a quiet spell (the bucket's size). A burst of
    /// 0 is taken as 1.
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = burst.max(1);
        self
    }
}

/// The bucket of the limit in force, and how many requests it turned away.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    bucket: Option<Bucket>,
    rejected: u64,
}

#[derive(Debug)]
struct Bucket {
    limit: RateLimit,
    tokens: f64,
    refilled: Instant,
}

impl Limiter {
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        let mut limiter = Limiter::default();
        limiter.set(limit);
        limiter
    }

    pub(crate) fn set(&mut self, limit: Option<RateLimit>) {
        self.bucket = limit.map(|limit| Bucket {
            limit,
            tokens: f64::from(limit.burst),
            refilled: Instant::now(),
        });
    }

    pub(crate) fn rejected(&self) -> u64 {
        self.rejected
    }

    /// Takes a token for one request at `now`, or says how many whole seconds to wait.
    pub(crate) fn admit(&mut self, now: Instant) -> Result<(), RetryAfter> {
        let Some(bucket) = &mut self.bucket else {
            return Ok(());
        };
        let rate = f64::from(bucket.limit.per_second);
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(f64::from(bucket.limit.burst));
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        self.rejected += 1;
        // HTTP's Retry-After counts whole seconds; rounding down would invite an early retry.
        let wait = ((1.0 - bucket.tokens) / rate).ceil();
        Err(RetryAfter {
            secs: (wait as u64).max(1),
            limit: bucket.limit,
        })
    }
}

/// A refusal: when to come back, and the limit that refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RetryAfter {
    pub secs: u64,
    pub limit: RateLimit,
}

impl RetryAfter {
    pub(crate) fn message(&self) -> String {
        format!(
            "rate limit of {} requests per second (burst {}) exceeded; retry after {} s",
            self.limit.per_second, self.limit.burst, self.secs
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_full_bucket_lets_a_burst_through_then_refills_at_the_rate() {
        let start = Instant::now();
        let mut limiter = Limiter::new(Some(RateLimit::per_second(10).burst(3)));
        for _ in 0..3 {
            assert_eq!(limiter.admit(start), Ok(()));
        }
        let refused = limiter.admit(start).err();
        assert_eq!(refused.map(|r| r.secs), Some(1));
        assert_eq!(limiter.rejected(), 1);
        // A tenth of a second brings one token back, not two.
        let later = start + Duration::from_millis(100);
        assert_eq!(limiter.admit(later), Ok(()));
        assert!(limiter.admit(later).is_err());
        // A long pause refills only up to the burst.
        let much_later = later + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(limiter.admit(much_later), Ok(()));
        }
        assert!(limiter.admit(much_later).is_err());
        assert_eq!(limiter.rejected(), 3);
    }

    #[test]
    fn off_admits_everything_and_zero_is_one() {
        let now = Instant::now();
        let mut limiter = Limiter::new(None);
        assert!((0..1000).all(|_| limiter.admit(now).is_ok()));
        limiter.set(Some(RateLimit::per_second(0).burst(0)));
        assert_eq!(limiter.admit(now), Ok(()));
        let refused = limiter.admit(now).err();
        assert_eq!(refused.map(|r| r.secs), Some(1));
        assert_eq!(
            refused.map(|r| r.limit),
            Some(RateLimit::per_second(1).burst(1))
        );
    }
}
