//! The layer around every route: it logs the request, applies the rate limit, injects the
//! fault the seeded generator drew, adds the configured latency and the `request-id` header,
//! and logs the status answered. Handlers only do their operation.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use crate::faults;
use crate::paths::TOKEN_ROUTE;
use crate::responses::{self, REQUEST_ID};
use crate::state::{App, Verdict};

pub(crate) async fn gate(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let token_route = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|path| path.as_str() == TOKEN_ROUTE);
    let arrival = app.arrive(&request, token_route);

    let latency = app.config.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let (mut response, status_sent) = match arrival.verdict {
        Verdict::Pass => (next.run(request).await, true),
        Verdict::RateLimited(retry) => (
            responses::too_many_requests(retry.secs, &retry.message()),
            true,
        ),
        Verdict::Fault(kind) => {
            let answer = faults::answer(&kind, next.run(request)).await;
            (answer.response, answer.status_sent)
        }
    };

    if let Ok(value) = HeaderValue::from_str(&arrival.request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    app.answered(
        arrival.seq,
        status_sent.then_some(response.status().as_u16()),
    );
    response
}
