//! Seeded fault injection: which faults exist, which request gets one, and what each does on
//! the wire.
//!
//! Everything a fault kind means is in one exhaustive `match` (in `answer`), with no wildcard
//! arm, so a new kind does not compile until it says what it does.

use std::future::Future;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;

use crate::errors::ApiError;
use crate::responses;

/// How long a truncated body waits between its half and the error that closes the connection.
const TRUNCATION_PAUSE: Duration = Duration::from_millis(20);

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
    method: Option<String>,
    path_ending: Option<String>,
    first: Option<u64>,
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

    /// Only requests with this method (`"POST"`, `"DELETE"`, ...) are eligible: to fail a
    /// job's creates and let its reads through.
    pub fn only_method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only requests whose path ends with `suffix` (`"/catalogs/S23"`) are eligible: to fail
    /// one route and let the others through.
    pub fn only_path_ending(mut self, suffix: &str) -> Self {
        self.path_ending = Some(suffix.to_owned());
        self
    }

    /// Only the first `n` eligible requests are (a fault that happens once, say); the
    /// requests after them pass.
    pub fn first(mut self, n: u64) -> Self {
        self.first = Some(n);
        self
    }

    /// Whether `POST /accounts/{aid}/auth/token` can get faults too (default `false`).
    pub fn include_token_endpoint(mut self, include: bool) -> Self {
        self.include_token_endpoint = include;
        self
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
    pub(crate) fn decide(
        &mut self,
        token_route: bool,
        method: &str,
        path: &str,
    ) -> Option<FaultKind> {
        if token_route && !self.faults.include_token_endpoint {
            return None;
        }
        if self.faults.method.as_deref().is_some_and(|m| m != method) {
            return None;
        }
        if (self.faults.path_ending.as_deref()).is_some_and(|end| !path.ends_with(end)) {
            return None;
        }
        if let Some(left) = &mut self.faults.first {
            if *left == 0 {
                return None;
            }
            *left -= 1;
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

/// A fault's answer, and whether its status line reaches the client (for the request log).
pub(crate) struct FaultAnswer {
    pub response: Response,
    pub status_sent: bool,
}

impl From<Response> for FaultAnswer {
    fn from(response: Response) -> Self {
        FaultAnswer {
            response,
            status_sent: true,
        }
    }
}

/// Answers a request that drew `kind`. `process` is the real handling of the request: the
/// kinds that apply the request (a create) await it, the others drop it unpolled, so the
/// request is never processed.
pub(crate) async fn answer(
    kind: &FaultKind,
    process: impl Future<Output = Response>,
) -> FaultAnswer {
    match kind {
        FaultKind::Status(code) => status(*code).into(),
        FaultKind::Html502 => html_502().into(),
        FaultKind::RateLimited { retry_after_secs } => responses::too_many_requests(
            *retry_after_secs,
            &format!("rate limited (injected fault); retry after {retry_after_secs} s"),
        )
        .into(),
        FaultKind::DropConnection => FaultAnswer {
            response: dropped_connection(),
            status_sent: false,
        },
        FaultKind::TruncatedBody => truncated(process.await).await.into(),
        FaultKind::Slow(delay) => {
            let response = process.await;
            tokio::time::sleep(*delay).await;
            response.into()
        }
    }
}

/// `HTTP_<n>` for statuses without a canonical reason, else the reason in upper snake case.
fn reason_code(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => reason
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect(),
        None => format!("HTTP_{}", status.as_u16()),
    }
}

fn status(code: u16) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    responses::error(status, &reason_code(status), "injected fault")
}

const BAD_GATEWAY_HTML: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>fake-gateway</center>\r\n</body>\r\n</html>\r\n";

/// What a proxy in front of the API sends when the API is down: HTML, not JSON.
fn html_502() -> Response {
    responses::with_body(
        StatusCode::BAD_GATEWAY,
        "text/html; charset=utf-8",
        Body::from(BAD_GATEWAY_HTML),
    )
}

fn injected_io_error() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "injected fault")
}

/// A body that fails before its first byte: hyper then aborts the connection before it flushes
/// the status line, so the client sees the connection close without a response.
fn dropped_connection() -> Response {
    let stream = futures::stream::once(async { Err::<Bytes, _>(injected_io_error()) });
    Response::new(Body::from_stream(stream))
}

/// The real status and headers with `Content-Length` announcing the whole body, then half of
/// the body and an error, which makes hyper close the connection.
async fn truncated(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => return ApiError::internal(format!("could not buffer: {e}")).into_response(),
    };
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    // The error comes a moment after the half: in the same poll, hyper would discard the head
    // and the half unsent.
    let first = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(half) });
    let cut = futures::stream::once(async {
        tokio::time::sleep(TRUNCATION_PAUSE).await;
        Err(injected_io_error())
    });
    Response::from_parts(parts, Body::from_stream(first.chain(cut)))
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
        let da: Vec<_> = (0..200).map(|_| a.decide(false, "GET", "/v1/x")).collect();
        let db: Vec<_> = (0..200).map(|_| b.decide(false, "GET", "/v1/x")).collect();
        assert_eq!(da, db);
        let hits = da.iter().filter(|d| d.is_some()).count();
        assert!((50..150).contains(&hits), "{hits}");
        assert!(da.contains(&Some(FaultKind::Html502)));
        assert!(da.contains(&Some(FaultKind::Status(500))));
    }

    #[test]
    fn token_route_excluded_unless_asked() {
        let mut d = FaultDecider::new(Faults::always(FaultKind::DropConnection), 1);
        assert_eq!(d.decide(true, "POST", "/v1/x"), None);
        assert_eq!(
            d.decide(false, "GET", "/v1/x"),
            Some(FaultKind::DropConnection)
        );
        d.set_faults(Faults::always(FaultKind::Html502).include_token_endpoint(true));
        assert_eq!(d.decide(true, "POST", "/v1/x"), Some(FaultKind::Html502));
    }

    #[test]
    fn a_method_and_a_count_narrow_the_faults() {
        let faults = Faults::always(FaultKind::Status(400))
            .only_method("post")
            .first(2);
        let mut d = FaultDecider::new(faults, 1);
        assert_eq!(d.decide(false, "GET", "/v1/x"), None);
        assert_eq!(
            d.decide(false, "POST", "/v1/x"),
            Some(FaultKind::Status(400))
        );
        assert_eq!(d.decide(false, "DELETE", "/v1/x"), None);
        assert_eq!(
            d.decide(false, "POST", "/v1/x"),
            Some(FaultKind::Status(400))
        );
        assert_eq!(d.decide(false, "POST", "/v1/x"), None, "only the first two");
        let mut d = FaultDecider::new(
            Faults::always(FaultKind::Status(403)).only_path_ending("/S23"),
            1,
        );
        assert_eq!(d.decide(false, "GET", "/v1/catalogs/S23/products"), None);
        assert_eq!(
            d.decide(false, "GET", "/v1/catalogs/S23"),
            Some(FaultKind::Status(403))
        );
    }

    #[test]
    fn probability_is_clamped_and_empty_kinds_mean_500() {
        assert_eq!(Faults::new().probability(7.0).probability, 1.0);
        assert_eq!(Faults::new().probability(f64::NAN).probability, 0.0);
        assert_eq!(Faults::new().probability(-1.0).probability, 0.0);
        let mut d = FaultDecider::new(Faults::new().probability(1.0), 3);
        assert_eq!(
            d.decide(false, "GET", "/v1/x"),
            Some(FaultKind::Status(500))
        );
        let mut none = FaultDecider::new(Faults::new(), 3);
        assert_eq!(none.decide(false, "GET", "/v1/x"), None);
    }

    #[test]
    fn reason_codes() {
        assert_eq!(
            reason_code(StatusCode::INTERNAL_SERVER_ERROR),
            "INTERNAL_SERVER_ERROR"
        );
        assert_eq!(
            reason_code(StatusCode::SERVICE_UNAVAILABLE),
            "SERVICE_UNAVAILABLE"
        );
        assert_eq!(
            reason_code(StatusCode::from_u16(599).unwrap_or_default()),
            "HTTP_599"
        );
    }

    /// A request handler that counts whether it ran.
    async fn process(ran: &std::sync::atomic::AtomicBool) -> Response {
        ran.store(true, std::sync::atomic::Ordering::SeqCst);
        StatusCode::CREATED.into_response()
    }

    #[tokio::test]
    async fn only_truncation_and_slowness_process_the_request() {
        let kinds = [
            (FaultKind::Status(503), false, Some(503)),
            (FaultKind::Html502, false, Some(502)),
            (
                FaultKind::RateLimited {
                    retry_after_secs: 2,
                },
                false,
                Some(429),
            ),
            (FaultKind::DropConnection, false, None),
            (FaultKind::TruncatedBody, true, Some(201)),
            (FaultKind::Slow(Duration::from_millis(1)), true, Some(201)),
        ];
        for (kind, processes, status) in kinds {
            let ran = std::sync::atomic::AtomicBool::new(false);
            let answer = answer(&kind, process(&ran)).await;
            assert_eq!(
                ran.load(std::sync::atomic::Ordering::SeqCst),
                processes,
                "{kind:?}"
            );
            let sent = answer
                .status_sent
                .then_some(answer.response.status().as_u16());
            assert_eq!(sent, status, "{kind:?}");
        }
    }
}
