//! Executing one API call: authentication, the 401 renewal, retries, tracing, and turning
//! whatever happened into [`Error`].
//!
//! The generated client calls our [`Middleware`] around each HTTP exchange. What the middleware
//! learns (the token it used, the response status and headers, a typed authentication error) is
//! written to a task-local [`Attempt`] scoped around that one attempt, because progenitor's
//! errors drop it: a documented status whose body fails to decode loses its status, and a hook
//! error is flattened to a string.

use crate::auth::{Token, TokenSource};
use crate::error::{ApiError, Error, dintero_error, snippet};
use crate::retry::{RetryPolicy, may_retry};
use dintero_products_client::{Middleware, OperationInfo, ResponseValue, types};
use futures::future::BoxFuture;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

type RawError = dintero_products_client::Error<types::Error>;

/// An operation as the call loop needs to know it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Operation {
    pub name: &'static str,
    /// GET, PUT and DELETE may be repeated; POST may not.
    pub idempotent: bool,
}

/// What the middleware observed during one attempt.
#[derive(Default)]
struct Attempt {
    token: Option<Arc<Token>>,
    auth_error: Option<Error>,
    status: Option<StatusCode>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
}

tokio::task_local! {
    static ATTEMPT: RefCell<Attempt>;
}

fn observe(f: impl FnOnce(&mut Attempt)) {
    // Outside a scope (a caller using `Client::raw` directly) there is nobody to tell.
    let _ = ATTEMPT.try_with(|attempt| f(&mut attempt.borrow_mut()));
}

/// The middleware the facade plugs into the generated client.
pub(crate) struct Hooks {
    pub tokens: Arc<TokenSource>,
}

impl Middleware for Hooks {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _info: &'a OperationInfo,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            match self.tokens.token().await {
                Ok(token) => {
                    request
                        .headers_mut()
                        .insert(AUTHORIZATION, token.header().clone());
                    observe(|a| a.token = Some(token));
                    Ok(())
                }
                Err(error) => {
                    let message = error.to_string();
                    observe(|a| a.auth_error = Some(error));
                    Err(message)
                }
            }
        })
    }

    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        _info: &'a OperationInfo,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            let response = client.execute(request).await?;
            let status = response.status();
            // Only an error carries the request id and `Retry-After`; a success skips the lookups.
            let (request_id, retry_after) = if status.is_success() {
                (None, None)
            } else {
                let headers = response.headers();
                (request_id(headers), retry_after(headers))
            };
            observe(|a| {
                a.status = Some(status);
                a.request_id = request_id;
                a.retry_after = retry_after;
            });
            Ok(response)
        })
    }
}

/// Runs `send` (one generated call) until it succeeds, fails for good, or the retry policy is
/// spent, renewing a rejected token once.
pub(crate) async fn call<T, F, Fut>(
    tokens: &TokenSource,
    policy: &RetryPolicy,
    op: Operation,
    send: F,
) -> Result<T, Error>
where
    T: DeserializeOwned,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<ResponseValue<T>, RawError>>,
{
    let started = Instant::now();
    // Built at the first failure: most calls succeed at once and never need it.
    let mut waits = None;
    let mut renewed = false;
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        let span = tracing::info_span!(
            "dintero_products.request",
            operation = op.name,
            attempt,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let attempt_started = Instant::now();
        let (result, seen) = ATTEMPT
            .scope(RefCell::new(Attempt::default()), async {
                let result = send().await;
                (result, ATTEMPT.with(RefCell::take))
            })
            .instrument(span.clone())
            .await;
        if let Some(status) = seen.status {
            span.record("status", status.as_u16());
        }
        span.record("duration_ms", attempt_started.elapsed().as_millis() as u64);
        let token = seen.token.clone();
        let error = match result {
            Ok(value) => return Ok(value.into_inner()),
            Err(dintero_products_client::Error::UnexpectedResponse(response))
                if response.status().is_success() =>
            {
                match undocumented_success::<T>(response).await {
                    Ok(value) => return Ok(value),
                    Err(error) => error,
                }
            }
            Err(raw) => into_error::<T>(raw, seen).await,
        };
        if error.status() == Some(StatusCode::UNAUTHORIZED)
            && !renewed
            && tokens.can_renew()
            && let Some(token) = token
        {
            renewed = true;
            tracing::debug!(parent: &span, "access token rejected; renewing it once");
            tokens.renew(&token).await?;
            continue;
        }
        if !may_retry(&error, op.idempotent) {
            return Err(error);
        }
        let Some(backoff) = waits.get_or_insert_with(|| policy.schedule()).next() else {
            return Err(error);
        };
        let wait = error
            .retry_after()
            .map_or(backoff, |asked| asked.max(backoff));
        if started.elapsed() + wait > policy.max_elapsed_time() {
            return Err(error);
        }
        tracing::debug!(parent: &span, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
        tokio::time::sleep(wait).await;
    }
}

/// Turns progenitor's error, and what the middleware saw, into ours.
async fn into_error<T: DeserializeOwned>(raw: RawError, seen: Attempt) -> Error {
    use dintero_products_client::Error as E;
    match raw {
        E::InvalidRequest(message) => {
            Error::Config(format!("the request could not be built: {message}"))
        }
        E::Custom(message) => seen.auth_error.unwrap_or(Error::Auth {
            status: None,
            message,
        }),
        E::CommunicationError(source)
        | E::InvalidUpgrade(source)
        | E::ResponseBodyError(source) => Error::Transport {
            status: seen.status,
            source,
        },
        E::ErrorResponse(response) => {
            let status = response.status();
            let body = response.into_inner();
            Error::Api(ApiError {
                status,
                code: body.error.code,
                message: Some(body.error.message),
                request_id: seen.request_id,
                retry_after: seen.retry_after,
                body_snippet: None,
            })
        }
        E::InvalidResponsePayload(bytes, source) => {
            // progenitor does not say which status this was; the middleware does.
            let status = seen.status.unwrap_or(StatusCode::OK);
            if status.is_success() {
                decode_error::<T>(status, &bytes, source)
            } else {
                api_error_from_body(status, &bytes, seen.request_id, seen.retry_after)
            }
        }
        E::UnexpectedResponse(response) => {
            let status = response.status();
            match response.bytes().await {
                Ok(bytes) => api_error_from_body(status, &bytes, seen.request_id, seen.retry_after),
                Err(source) => Error::Transport {
                    status: Some(status),
                    source,
                },
            }
        }
    }
}

/// A 2xx the spec does not list (progenitor calls it unexpected) still carries what we asked for.
async fn undocumented_success<T: DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, Error> {
    let status = response.status();
    let bytes = response.bytes().await.map_err(|source| Error::Transport {
        status: Some(status),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| decode_error::<T>(status, &bytes, source))
}

/// A JSON decode failure, with the path where it failed.
fn decode_error<T: DeserializeOwned>(
    status: StatusCode,
    body: &[u8],
    source: serde_json::Error,
) -> Error {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let (path, source) = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(e) => (e.path().to_string(), e.into_inner()),
        Ok(_) => (".".to_string(), source),
    };
    Error::Decode {
        status,
        path,
        body_snippet: snippet(body),
        source,
    }
}

/// An error status whose body may or may not be Dintero's `{"error": {...}}`.
fn api_error_from_body(
    status: StatusCode,
    body: &[u8],
    request_id: Option<String>,
    retry_after: Option<Duration>,
) -> Error {
    let (code, message, body_snippet) = match dintero_error(body) {
        Some((code, message)) => (code, Some(message), None),
        None => (None, None, Some(snippet(body))),
    };
    Error::Api(ApiError {
        status,
        code,
        message,
        request_id,
        retry_after,
        body_snippet,
    })
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    ["request-id", "x-request-id", "x-correlation-id"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
        .map(str::to_string)
}

/// `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let when = SystemTime::from(when);
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let soon = chrono::Utc::now() + chrono::Duration::seconds(30);
        headers.insert(
            RETRY_AFTER,
            HeaderValue::try_from(soon.to_rfc2822()).unwrap(),
        );
        let wait = retry_after(&headers).unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn non_json_error_bodies_keep_status_and_snippet() {
        let html = b"<html><body><h1>502 Bad Gateway</h1></body></html>";
        let error = api_error_from_body(StatusCode::BAD_GATEWAY, html, Some("r-1".into()), None);
        assert_eq!(error.status(), Some(StatusCode::BAD_GATEWAY));
        let text = error.to_string();
        assert!(
            text.contains("502 Bad Gateway") && text.contains("<h1>") && text.contains("r-1"),
            "{text}"
        );
    }

    #[test]
    fn decode_errors_name_the_path() {
        let body = br#"{"groups": [{"group_id": "B1"}, {"group_id": 7}]}"#;
        let source = serde_json::from_slice::<types::GroupList>(body).unwrap_err();
        let error = decode_error::<types::GroupList>(StatusCode::OK, body, source);
        match &error {
            Error::Decode { path, .. } => assert_eq!(path, "groups[1].group_id"),
            other => panic!("{other:?}"),
        }
    }
}
