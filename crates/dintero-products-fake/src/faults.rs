//! Seeded fault injection.

use std::time::Duration;

/// One kind of failure the fake can inject instead of (or on top of) a normal answer.
///
/// On a request that creates something (a `POST`), the kinds differ in whether the create is
/// applied:
///
/// | kind | create applied? | what the client sees |
/// |------|-----------------|----------------------|
/// | [`Status`](FaultKind::Status) | no | that status, JSON error body |
/// | [`Html502`](FaultKind::Html502) | no | `502`, `text/html` body |
/// | [`RateLimited`](FaultKind::RateLimited) | no | `429`, `Retry-After`, JSON error body |
/// | [`DropConnection`](FaultKind::DropConnection) | no | a transport error (connection closed, no response) |
/// | [`TruncatedBody`](FaultKind::TruncatedBody) | **yes** | the real status and headers, then half the body and a closed connection |
/// | [`Slow`](FaultKind::Slow) | **yes** | the real answer, late (a client timeout turns it into a lost answer) |
///
/// The last two are how a client that retries a `POST` blindly ends up creating duplicates
/// (or meeting `409 CONFLICT` when it sent its own id).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// Answer with this status and a JSON error body
    /// `{"error": {"code": "<REASON>", "message": "injected fault"}}`, where `<REASON>` is the
    /// status' canonical reason in upper snake case (`INTERNAL_SERVER_ERROR` for 500). A number
    /// that is not a valid HTTP status (outside 100..=999) is sent as 500.
    Status(u16),
    /// Answer `502 Bad Gateway` with an HTML body (`content-type: text/html`), as a proxy in
    /// front of the API would.
    Html502,
    /// Answer `429 Too Many Requests` with `Retry-After: <retry_after_secs>` and a JSON error
    /// body with code `RATE_LIMITED`.
    RateLimited {
        /// The value of the `Retry-After` header, in seconds.
        retry_after_secs: u64,
    },
    /// Close the connection without sending a response: the client gets a transport error.
    DropConnection,
    /// Process the request, then send the real status and headers with a `Content-Length` of
    /// the full body, but only the first half of the body, and close the connection.
    TruncatedBody,
    /// Process the request, then wait this long before answering normally.
    Slow(Duration),
}

impl FaultKind {
    /// Whether the request is processed (a create applied) before this fault mangles or delays
    /// the answer.
    pub fn processes_request(&self) -> bool {
        matches!(self, FaultKind::TruncatedBody | FaultKind::Slow(_))
    }
}

/// Which requests get a fault, and which one: a probability and a weighted list of kinds.
///
/// Built with chained calls. The decision for each request is drawn from a
/// `fastrand::Rng` seeded with the server's seed ([`crate::FakeServerBuilder::seed`]), in the
/// order requests arrive, so the same seed and the same sequence of requests inject the same
/// faults on the same requests.
///
/// Faults apply to every request except the token endpoint, unless
/// [`include_token_endpoint(true)`](Faults::include_token_endpoint).
///
/// ```
/// use std::time::Duration;
/// use dintero_products_fake::{FaultKind, Faults};
///
/// let faults = Faults::new()
///     .probability(0.2)
///     .weighted(FaultKind::Status(503), 3)
///     .kind(FaultKind::RateLimited { retry_after_secs: 1 })
///     .kind(FaultKind::Slow(Duration::from_millis(200)));
/// # let _ = faults;
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    probability: f64,
    kinds: Vec<(FaultKind, u32)>,
    include_token_endpoint: bool,
}

impl Faults {
    /// No faults: probability 0, no kinds.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fault of this one kind on every eligible request.
    pub fn always(kind: FaultKind) -> Self {
        Self::new().probability(1.0).kind(kind)
    }

    /// The probability that an eligible request gets a fault, clamped to `0.0..=1.0`
    /// (NaN counts as 0).
    pub fn probability(mut self, probability: f64) -> Self {
        self.probability = if probability.is_nan() {
            0.0
        } else {
            probability.clamp(0.0, 1.0)
        };
        self
    }

    /// Adds a kind with weight 1. When no kind is listed, a fault is `Status(500)`.
    pub fn kind(self, kind: FaultKind) -> Self {
        self.weighted(kind, 1)
    }

    /// Adds a kind with a weight: a kind is chosen with probability `weight / sum of weights`.
    /// A weight of 0 never chooses the kind.
    pub fn weighted(mut self, kind: FaultKind, weight: u32) -> Self {
        self.kinds.push((kind, weight));
        self
    }

    /// Whether `POST /accounts/{aid}/auth/token` can get faults too (default `false`).
    pub fn include_token_endpoint(mut self, include: bool) -> Self {
        self.include_token_endpoint = include;
        self
    }

    /// The configured probability.
    pub fn get_probability(&self) -> f64 {
        self.probability
    }

    /// The configured kinds and their weights.
    pub fn kinds(&self) -> &[(FaultKind, u32)] {
        &self.kinds
    }

    /// Whether the token endpoint is eligible.
    pub fn includes_token_endpoint(&self) -> bool {
        self.include_token_endpoint
    }
}

/// The faults and the seeded generator that decides, kept together under one lock.
#[derive(Debug)]
pub(crate) struct FaultDecider {
    faults: Faults,
    rng: fastrand::Rng,
}

impl FaultDecider {
    pub(crate) fn new(faults: Faults, seed: u64) -> Self {
        FaultDecider {
            faults,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    pub(crate) fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
    }

    /// Draws the decision for one request. Ineligible requests draw nothing, so they do not
    /// shift the sequence.
    pub(crate) fn decide(&mut self, token_route: bool) -> Option<FaultKind> {
        if token_route && !self.faults.include_token_endpoint {
            return None;
        }
        if self.faults.probability <= 0.0 {
            return None;
        }
        if self.rng.f64() >= self.faults.probability {
            return None;
        }
        let total: u64 = self.faults.kinds.iter().map(|(_, w)| u64::from(*w)).sum();
        if total == 0 {
            return Some(FaultKind::Status(500));
        }
        let mut pick = self.rng.u64(0..total);
        for (kind, weight) in &self.faults.kinds {
            let weight = u64::from(*weight);
            if pick < weight {
                return Some(kind.clone());
            }
            pick -= weight;
        }
        Some(FaultKind::Status(500))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_decisions() {
        let faults = Faults::new()
            .probability(0.5)
            .kind(FaultKind::Status(500))
            .weighted(FaultKind::Html502, 2);
        let mut a = FaultDecider::new(faults.clone(), 42);
        let mut b = FaultDecider::new(faults, 42);
        let da: Vec<_> = (0..200).map(|_| a.decide(false)).collect();
        let db: Vec<_> = (0..200).map(|_| b.decide(false)).collect();
        assert_eq!(da, db);
        let hits = da.iter().filter(|d| d.is_some()).count();
        assert!((50..150).contains(&hits), "{hits}");
        assert!(da.contains(&Some(FaultKind::Html502)));
        assert!(da.contains(&Some(FaultKind::Status(500))));
    }

    #[test]
    fn token_route_excluded_unless_asked() {
        let mut d = FaultDecider::new(Faults::always(FaultKind::DropConnection), 1);
        assert_eq!(d.decide(true), None);
        assert_eq!(d.decide(false), Some(FaultKind::DropConnection));
        d.set_faults(Faults::always(FaultKind::Html502).include_token_endpoint(true));
        assert_eq!(d.decide(true), Some(FaultKind::Html502));
    }

    #[test]
    fn probability_is_clamped_and_empty_kinds_mean_500() {
        assert_eq!(Faults::new().probability(7.0).get_probability(), 1.0);
        assert_eq!(Faults::new().probability(f64::NAN).get_probability(), 0.0);
        let mut d = FaultDecider::new(Faults::new().probability(1.0), 3);
        assert_eq!(d.decide(false), Some(FaultKind::Status(500)));
        let mut none = FaultDecider::new(Faults::new(), 3);
        assert_eq!(none.decide(false), None);
    }
}
