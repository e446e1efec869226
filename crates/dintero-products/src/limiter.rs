//! One send rate for many calls: the limiter a bulk job (or any client) shares between its
//! tasks, so that a 429 slows the whole job down, and success speeds it up again.
//!
//! Dintero publishes no rate limits, so the limiter learns the limit from the server. It starts
//! unlimited. On a 429 it pauses every call until the server's `Retry-After` has passed, and sets
//! the rate to a little under what actually got through: the successes of the last ten seconds
//! over that span including the pause, which is what a server's bucket lets through when it is
//! pressed; but never less than a quarter of the most that ever got through in one second, so
//! that 429s a server sends whatever the rate cannot drive it to nothing. Each second without a
//! 429, the rate grows by one per cent, so a limit that was raised is found again. The AWS SDK's adaptive retry mode works the same way, with CUBIC
//! instead of this slow climb.
//!
//! Why not `governor`: its quota is fixed when it is built, and this one changes at every 429.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
// tokio's clock, so that tests can move it; outside tests it is the system's monotonic clock.
use tokio::time::Instant;

/// How far back the successes that estimate the server's rate are counted.
const WINDOW: Duration = Duration::from_secs(10);
/// The window is counted in slots of this length.
const SLOT: Duration = Duration::from_millis(100);
const SLOTS: usize = (WINDOW.as_millis() / SLOT.as_millis()) as usize;
/// The slots of one second, over which the peak is counted.
const SECOND_SLOTS: u64 = 1000 / SLOT.as_millis() as u64;
/// The rate after a 429 is this share of what got through.
const BACKOFF: f64 = 0.95;
/// Per second without a 429, the rate grows by this share (compounded).
const GROWTH_PER_SECOND: f64 = 0.01;
/// Never slower than this, in requests per second.
const MIN_RATE: f64 = 0.5;
/// Never slower than this share of the most that ever got through in one second. A server that
/// answers 429 now and then whatever the rate (a flaky proxy) would otherwise drive the rate
/// down for ever, each pause lowering the next estimate.
const FLOOR_OF_PEAK: f64 = 0.25;
/// A `Retry-After` longer than this pauses the job for this long (the call itself still fails
/// when its own time budget runs out).
const MAX_PAUSE: Duration = Duration::from_secs(300);

/// A send rate shared by every call made through a client that carries it; see
/// [`Client::with_rate_limiter`](crate::Client::with_rate_limiter). Bulk jobs make one of their
/// own unless given one. Cheap to clone: clones share the rate.
///
/// ```
/// use dintero_products::RateLimiter;
///
/// let limiter = RateLimiter::adaptive();
/// assert_eq!(limiter.rate(), None); // unlimited until the server answers 429
/// let fixed = RateLimiter::fixed(20.0); // at most 20 requests per second, learning from 429s too
/// assert_eq!(fixed.rate(), Some(20.0));
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    state: Arc<Mutex<State>>,
}

struct State {
    /// Requests per second; `None` until a limit is known.
    rate: Option<f64>,
    /// A fixed rate is a ceiling the growth never passes.
    ceiling: Option<f64>,
    /// When the next request may go, at the current rate.
    next_slot: Instant,
    paused_until: Option<Instant>,
    last_growth: Instant,
    started: Instant,
    /// Successes per slot, a ring over the window; `newest` is the index of the current slot
    /// counted from `started`.
    successes: [u32; SLOTS],
    newest: u64,
    /// The most successes seen in one second.
    peak: f64,
    throttled: u64,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("RateLimiter")
            .field("rate", &state.rate)
            .field("throttled", &state.throttled)
            .finish_non_exhaustive()
    }
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::adaptive()
    }
}

impl RateLimiter {
    /// Unlimited until the server answers 429; from then on, the rate that got through.
    pub fn adaptive() -> Self {
        Self::with_rate(None)
    }

    /// At most `per_second` requests per second (at least one every two seconds), and slower
    /// still after a 429.
    pub fn fixed(per_second: f64) -> Self {
        let rate = if per_second.is_finite() {
            per_second.max(MIN_RATE)
        } else {
            MIN_RATE
        };
        Self::with_rate(Some(rate))
    }

    fn with_rate(rate: Option<f64>) -> Self {
        let now = Instant::now();
        Self {
            state: Arc::new(Mutex::new(State {
                rate,
                ceiling: rate,
                next_slot: now,
                paused_until: None,
                last_growth: now,
                started: now,
                successes: [0; SLOTS],
                newest: 0,
                peak: 0.0,
                throttled: 0,
            })),
        }
    }

    /// The current rate in requests per second, `None` while unlimited.
    pub fn rate(&self) -> Option<f64> {
        self.lock().rate
    }

    /// How many 429 answers the limiter has seen.
    pub fn throttled(&self) -> u64 {
        self.lock().throttled
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until one more request may go.
    pub(crate) async fn acquire(&self) {
        loop {
            let go_at = {
                let mut state = self.lock();
                let now = Instant::now();
                match state.paused_until {
                    Some(until) if until > now => until,
                    _ => {
                        state.paused_until = None;
                        match state.rate {
                            None => return,
                            Some(rate) => {
                                let slot = state.next_slot.max(now);
                                state.next_slot = slot + Duration::from_secs_f64(1.0 / rate);
                                if slot <= now {
                                    return;
                                }
                                slot
                            }
                        }
                    }
                }
            };
            // A pause that began while this call slept is checked again on waking.
            tokio::time::sleep_until(go_at).await;
            if self
                .lock()
                .paused_until
                .is_none_or(|until| until <= Instant::now())
            {
                return;
            }
        }
    }

    /// A request got through.
    pub(crate) fn succeeded(&self) {
        let mut state = self.lock();
        let now = Instant::now();
        state.count_success(now);
        if let Some(rate) = state.rate {
            let seconds = now.duration_since(state.last_growth).as_secs_f64();
            let grown = rate * (1.0 + GROWTH_PER_SECOND).powf(seconds);
            state.rate = Some(state.ceiling.map_or(grown, |c| grown.min(c)));
        }
        state.last_growth = now;
    }

    /// The server answered 429, asking to wait `retry_after` (if it said).
    pub(crate) fn throttle(&self, retry_after: Option<Duration>) {
        let mut state = self.lock();
        let now = Instant::now();
        state.throttled += 1;
        let pause = retry_after.unwrap_or(Duration::from_secs(1)).min(MAX_PAUSE);
        let until = now + pause;
        let already_paused = state.paused_until.is_some_and(|p| p > now);
        state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
        // The 429s of one burst arrive together: the first one sets the rate.
        if already_paused {
            return;
        }
        let got_through = state.recent_rate(now, until);
        let floor = (state.peak * FLOOR_OF_PEAK).max(MIN_RATE);
        let new = (got_through * BACKOFF).max(floor);
        state.rate = Some(state.rate.map_or(new, |r| r.min(new).max(MIN_RATE)));
        state.last_growth = until;
        state.next_slot = until;
    }
}

impl State {
    fn slot_index(&self, at: Instant) -> u64 {
        (at.duration_since(self.started).as_millis() / SLOT.as_millis()) as u64
    }

    fn count_success(&mut self, now: Instant) {
        self.advance(self.slot_index(now));
        let i = (self.newest % SLOTS as u64) as usize;
        self.successes[i] = self.successes[i].saturating_add(1);
        let last_second: u64 = (0..SECOND_SLOTS)
            .map(|back| {
                let slot = (self.newest + SLOTS as u64 - back) % SLOTS as u64;
                u64::from(self.successes[slot as usize])
            })
            .sum();
        self.peak = self.peak.max(last_second as f64);
    }

    /// Moves the ring to slot `to`, clearing the slots passed over.
    fn advance(&mut self, to: u64) {
        let steps = to.saturating_sub(self.newest).min(SLOTS as u64);
        for step in 1..=steps {
            let i = ((self.newest + step) % SLOTS as u64) as usize;
            self.successes[i] = 0;
        }
        self.newest = self.newest.max(to);
    }

    /// Successes per second over the window, as if spread until `until` (the end of a pause:
    /// a server's bucket refills meanwhile, so that is the rate it sustains).
    fn recent_rate(&mut self, now: Instant, until: Instant) -> f64 {
        self.advance(self.slot_index(now));
        let total: u64 = self.successes.iter().map(|&n| u64::from(n)).sum();
        let counted_from = now
            .checked_sub(WINDOW)
            .unwrap_or(self.started)
            .max(self.started);
        let span = until
            .duration_since(counted_from)
            .as_secs_f64()
            .max(SLOT.as_secs_f64());
        total as f64 / span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn unlimited_until_a_429_then_paced_at_what_got_through() {
        let limiter = RateLimiter::adaptive();
        for _ in 0..100 {
            limiter.acquire().await;
            limiter.succeeded();
        }
        assert_eq!(limiter.rate(), None);
        tokio::time::advance(Duration::from_millis(900)).await;
        limiter.throttle(Some(Duration::from_secs(1)));
        limiter.throttle(Some(Duration::from_secs(1))); // the same burst: no second cut
        // 100 got through in 0.9 s, then a 1 s pause: about 52 per second, less 5%.
        let rate = limiter.rate().unwrap();
        assert!((48.0..=52.0).contains(&rate), "{rate}");
        assert_eq!(limiter.throttled(), 2);

        let started = tokio::time::Instant::now();
        limiter.acquire().await;
        assert!(
            started.elapsed() >= Duration::from_millis(990),
            "waited out the pause"
        );
        let started = tokio::time::Instant::now();
        for _ in 0..10 {
            limiter.acquire().await;
        }
        let took = started.elapsed().as_secs_f64();
        let expected = 10.0 / rate;
        assert!(
            (took - expected).abs() < 0.05,
            "{took} s for 10 at {rate}/s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn success_raises_the_rate_slowly_and_a_fixed_rate_is_a_ceiling() {
        let limiter = RateLimiter::fixed(10.0);
        limiter.throttle(None);
        let low = limiter.rate().unwrap();
        assert!(low < 10.0);
        tokio::time::advance(Duration::from_secs(11)).await;
        limiter.succeeded();
        let later = limiter.rate().unwrap();
        assert!(later > low, "{later} after {low}");
        tokio::time::advance(Duration::from_secs(1000)).await;
        limiter.succeeded();
        assert_eq!(limiter.rate(), Some(10.0));
    }

    #[test]
    fn hostile_numbers_do_not_panic() {
        let limiter = RateLimiter::fixed(f64::NAN);
        assert_eq!(limiter.rate(), Some(MIN_RATE));
        let limiter = RateLimiter::fixed(-3.0);
        assert_eq!(limiter.rate(), Some(MIN_RATE));
        limiter.throttle(Some(Duration::MAX));
        limiter.throttle(Some(Duration::ZERO));
        assert!(limiter.rate().unwrap() >= MIN_RATE);
    }

    /// What the limiter's first 429 should set the rate to, worked out from the time of every
    /// success, `at` (from the limiter's start), with no ring: the successes of the ten seconds
    /// up to `now` (whole 100 ms slots) over the span until the pause ends, less 5%, but at least
    /// a quarter of the most that got through in one second (ten slots) and at least `MIN_RATE`.
    fn rate_after_a_429(at: &[Duration], now: Duration, pause: Duration) -> f64 {
        let slot = |t: Duration| (t.as_millis() / SLOT.as_millis()) as u64;
        let in_slots = |from: u64, to: u64| {
            at.iter()
                .filter(|&&t| (from..=to).contains(&slot(t)))
                .count() as f64
        };
        let newest = slot(now);
        let total = in_slots((newest + 1).saturating_sub(SLOTS as u64), newest);
        let span = (now + pause)
            .saturating_sub(now.saturating_sub(WINDOW))
            .max(SLOT);
        // The peak is counted as each success lands, over its second.
        let peak = at
            .iter()
            .map(|&t| in_slots((slot(t) + 1).saturating_sub(SECOND_SLOTS), slot(t)))
            .fold(0.0, f64::max);
        (total / span.as_secs_f64() * BACKOFF).max((peak * FLOOR_OF_PEAK).max(MIN_RATE))
    }

    proptest::proptest! {
        /// Any run of successes and waits, then a 429: the rate is the model's.
        #[test]
        fn the_rate_after_a_429_is_what_got_through(
            steps in proptest::collection::vec((0u64..2_500, 0u32..60), 1..30),
            pause_ms in 0u64..5_000,
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap_or_else(|e| panic!("a test runtime: {e}"));
            let (rate, expected) = runtime.block_on(async {
                let limiter = RateLimiter::adaptive();
                let started = Instant::now();
                let mut at = Vec::new();
                for (wait_ms, successes) in &steps {
                    tokio::time::advance(Duration::from_millis(*wait_ms)).await;
                    for _ in 0..*successes {
                        limiter.succeeded();
                        at.push(started.elapsed());
                    }
                }
                let pause = Duration::from_millis(pause_ms);
                let expected = rate_after_a_429(&at, started.elapsed(), pause);
                limiter.throttle(Some(pause));
                (limiter.rate(), expected)
            });
            let rate = rate.unwrap_or(f64::NAN);
            proptest::prop_assert!(
                (rate - expected).abs() <= expected * 1e-9,
                "rate {rate}, expected {expected}"
            );
        }
    }

    /// The 429s of one burst set the rate once, but each may ask for a longer wait: every call
    /// waits for the longest.
    #[tokio::test(start_paused = true)]
    async fn a_longer_retry_after_in_the_same_burst_extends_the_pause() {
        let limiter = RateLimiter::adaptive();
        limiter.throttle(Some(Duration::from_secs(1)));
        limiter.throttle(Some(Duration::from_secs(3)));
        limiter.throttle(Some(Duration::from_secs(2)));
        let started = Instant::now();
        limiter.acquire().await;
        let waited = started.elapsed();
        assert!(
            (Duration::from_secs(3)..Duration::from_millis(3_100)).contains(&waited),
            "{waited:?}"
        );
    }

    /// The 429s of one burst cut the rate once, however long a wait the later ones ask for;
    /// a 429 from the moment the pause ends starts a new burst, and cuts it again.
    #[tokio::test(start_paused = true)]
    async fn one_burst_cuts_the_rate_once_and_the_next_burst_again() {
        let limiter = RateLimiter::adaptive();
        for _ in 0..100 {
            limiter.succeeded();
            tokio::time::advance(Duration::from_millis(9)).await;
        }
        limiter.throttle(Some(Duration::from_secs(1)));
        let first = limiter.rate();
        limiter.throttle(Some(Duration::from_secs(3)));
        assert_eq!(limiter.rate(), first, "the same burst");
        tokio::time::advance(Duration::from_secs(3)).await;
        limiter.throttle(Some(Duration::from_secs(1)));
        let (first, second) = (first.unwrap_or(0.0), limiter.rate().unwrap_or(f64::MAX));
        assert!(second < first, "a new burst: {second} after {first}");
    }

    /// A call waiting for its turn when a 429 pauses the limiter waits out the pause too.
    #[tokio::test(start_paused = true)]
    async fn a_pause_that_begins_while_a_call_waits_holds_it_too() {
        let limiter = RateLimiter::fixed(1.0);
        limiter.acquire().await;
        let started = Instant::now();
        let waiting = tokio::spawn({
            let limiter = limiter.clone();
            async move {
                limiter.acquire().await;
                started.elapsed()
            }
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        limiter.throttle(Some(Duration::from_secs(2)));
        let waited = waiting.await.unwrap_or_default();
        assert!(
            (Duration::from_millis(2_500)..Duration::from_millis(2_600)).contains(&waited),
            "{waited:?}"
        );
    }

    #[test]
    fn a_limiter_prints_its_rate_and_throttles() {
        let limiter = RateLimiter::fixed(20.0);
        limiter.throttle(None);
        let printed = format!("{limiter:?}");
        let rate = limiter.rate().unwrap_or(f64::NAN);
        assert_eq!(
            printed,
            format!("RateLimiter {{ rate: Some({rate:?}), throttled: 1, .. }}")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn throttles_sent_whatever_the_rate_do_not_drive_it_to_nothing() {
        let limiter = RateLimiter::adaptive();
        // A second at 400 per second, then a 429 after every 20 requests, each with a pause.
        for _ in 0..400 {
            limiter.succeeded();
            tokio::time::advance(Duration::from_micros(2_500)).await;
        }
        for _ in 0..50 {
            limiter.throttle(Some(Duration::from_secs(1)));
            for _ in 0..20 {
                limiter.acquire().await;
                limiter.succeeded();
            }
        }
        let rate = limiter.rate().unwrap();
        assert!(rate >= 100.0, "a quarter of the peak at least: {rate}");
    }
}
