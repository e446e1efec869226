//! The layer around every route: it reads the request's dialect, logs the request, applies the
//! rate limit, injects the fault the seeded generator drew, adds the configured latency and the
//! request-id header, puts the dialect's words into the answer (the code of a `404`, the
//! methods `Allow` lists), and logs the status answered. Handlers only do their operation.
//!
//! Also the gate in front of the routes a dialect may turn off.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::ALLOW;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use crate::dialect::{Dialect, Route};
use crate::errors::ApiError;
use crate::faults;
use crate::paths::{CATALOG, GROUP, PRODUCT, TOKEN_ROUTE};
use crate::responses;
use crate::state::{App, Verdict};

pub(crate) async fn gate(
    State(app): State<Arc<App>>,
    mut request: Request,
    next: Next,
) -> Response {
    let matched = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let token_route = matched.as_deref() == Some(TOKEN_ROUTE);
    // One dialect for the whole request, whatever `set_dialect` does meanwhile; the handlers
    // read it from the extensions.
    let dialect = app.dialect();
    request.extensions_mut().insert(Arc::clone(&dialect));
    let arrival = app.arrive(&request, token_route);

    let latency = app.config.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    // The dialect's codes go in before a fault may cut the body short.
    let handled = async { with_dialect_codes(&dialect, next.run(request).await) };
    let (mut response, status_sent) = match arrival.verdict {
        Verdict::Pass => (handled.await, true),
        Verdict::RateLimited(retry) => (
            responses::too_many_requests(retry.secs, &retry.message()),
            true,
        ),
        Verdict::Fault(kind) => {
            let answer = faults::answer(&kind, handled).await;
            (answer.response, answer.status_sent)
        }
    };

    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(path) = matched.as_deref()
    {
        drop_absent_methods(&mut response, &dialect, path);
    }
    if let Some(name) = &dialect.request_id_header
        && let Ok(value) = HeaderValue::from_str(&arrival.request_id)
    {
        response.headers_mut().insert(name.clone(), value);
    }
    app.answered(
        arrival.seq,
        status_sent.then_some(response.status().as_u16()),
    );
    response
}

/// A `404` written again with the dialect's code: errors are made in layers that do not know
/// the dialect, and carry themselves in the response's extensions for this.
fn with_dialect_codes(dialect: &Dialect, response: Response) -> Response {
    match response.extensions().get::<ApiError>() {
        Some(error)
            if error.status == StatusCode::NOT_FOUND && error.code != dialect.not_found_code =>
        {
            responses::error(error.status, &dialect.not_found_code, &error.message)
        }
        _ => response,
    }
}

/// The methods of the single-item paths, as axum's method router lists them in `Allow`.
const ITEM_METHODS: [&str; 4] = ["GET", "HEAD", "PUT", "DELETE"];

/// A `405`'s `Allow` without the methods of the routes the dialect turned off. Axum's method
/// router, around this middleware, knows every route, and writes its own list only when the
/// answer has none.
fn drop_absent_methods(response: &mut Response, dialect: &Dialect, path: &str) {
    let absent_get = match path {
        CATALOG => !dialect.serves(Route::GetCatalog),
        GROUP => !dialect.serves(Route::GetGroup),
        PRODUCT => !dialect.serves(Route::GetProduct),
        _ => false,
    };
    let absent_delete = path == PRODUCT && !dialect.serves(Route::DeleteProduct);
    if !absent_get && !absent_delete {
        return;
    }
    let kept: Vec<&str> = ITEM_METHODS
        .into_iter()
        .filter(|method| {
            let get = matches!(*method, "GET" | "HEAD");
            !(get && absent_get || *method == "DELETE" && absent_delete)
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&kept.join(",")) {
        response.headers_mut().insert(ALLOW, value);
    }
}

/// In front of a route the dialect may turn off: when it is off, the request is answered as an
/// unknown path is, before its token is looked at, as by an API that never had the route.
pub(crate) async fn optional_route(
    State((app, route)): State<(Arc<App>, Route)>,
    request: Request,
    next: Next,
) -> Response {
    let serves = match request.extensions().get::<Arc<Dialect>>() {
        Some(dialect) => dialect.serves(route),
        None => app.dialect().serves(route),
    };
    if serves {
        next.run(request).await
    } else {
        ApiError::no_route(request.uri().path()).into_response()
    }
}
