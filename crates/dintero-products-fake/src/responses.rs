//! How answers look on the wire: JSON bodies, list envelopes, and Dintero's error body
//! `{"error": {"code": "...", "message": "..."}}`.

use axum::body::Body;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::cursors::Page;
use crate::errors::ApiError;

/// An `ApiError` answers with Dintero's error body. The impl is here, not beside the type, so
/// that the modules below this one can return errors without knowing how answers are written.
///
/// The error rides along in the response's extensions, because its code may yet change: the
/// middleware writes a `404` again with the dialect's code, which is known only per request.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = error(self.status, self.code, &self.message);
        response.extensions_mut().insert(self);
        response
    }
}

/// The wire shape of an error; written here rather than taken from the generated client so
/// that the fake's errors do not change when the client's type names do.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

/// An error answer with Dintero's body.
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorBody {
        error: ErrorDetail { code, message },
    };
    // Two borrowed strings always serialise; the fallback keeps the shape all the same.
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{\"error\":{}}".to_vec());
    with_body(status, "application/json", Body::from(bytes))
}

/// A `429` with `Retry-After` (whole seconds) and Dintero's error body; shared by the rate
/// limiter and the injected fault so that a client cannot tell them apart on the wire.
pub(crate) fn too_many_requests(retry_after_secs: u64, message: &str) -> Response {
    let mut response = error(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", message);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// A JSON answer; a value that does not serialise becomes a `500` with the error body.
pub(crate) fn json(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => with_body(status, "application/json", Body::from(bytes)),
        Err(e) => ApiError::internal(format!("could not encode: {e}")).into_response(),
    }
}

/// A list envelope `{"<key>": [...], "<cursor_key>": "..."}`: the array is always there, even
/// when empty, and the cursor only when the page has one and the dialect names a key for it
/// other than the array's.
pub(crate) fn list<T: Serialize>(key: &str, page: Page<T>, cursor_key: Option<&str>) -> Response {
    let items = match serde_json::to_value(page.items) {
        Ok(items) => items,
        Err(e) => return ApiError::internal(format!("could not encode: {e}")).into_response(),
    };
    let mut envelope = serde_json::Map::new();
    envelope.insert(key.to_owned(), items);
    if let (Some(cursor), Some(cursor_key)) = (page.next, cursor_key)
        && cursor_key != key
    {
        envelope.insert(cursor_key.to_owned(), cursor.into());
    }
    json(StatusCode::OK, &envelope)
}

/// A response with this status, content type and body.
pub(crate) fn with_body(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
