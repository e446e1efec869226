//! Executing one API call: authentication, the 401 renewal, retries, tracing, limits on what a
//! server may send, and turning whatever happened into [`Error`].
//!
//! The generated client calls our [`Middleware`] around each HTTP exchange, passing the
//! operation id it was generated with; the request carries the method. What the middleware
//! learns (the operation, the method, the response status and headers) is written to a
//! task-local [`Attempt`] scoped around that one attempt, because progenitor's errors drop it:
//! a documented status whose body fails to decode loses its status.

use crate::auth::{Token, TokenSource};
use crate::body;
use crate::error::{ApiError, AuthError, Error, dintero_error, snippet};
use crate::limiter::RateLimiter;
use crate::retry::{Retrier, RetryPolicy, may_retry, retry_after};
use dintero_products_client::{Middleware, OperationInfo, ResponseValue, types};
use futures::future::BoxFuture;
use reqwest::header::{AUTHORIZATION, HeaderMap, LOCATION};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

type RawError = dintero_products_client::Error<types::ErrorBody>;

/// What the middleware observed during one attempt (and what the call loop handed it).
#[derive(Default)]
struct Attempt {
    /// The attempt's number, for its span.
    number: u32,
    /// The token the call loop got for this attempt.
    token: Option<Arc<Token>>,
    method: Option<Method>,
    status: Option<StatusCode>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    location: Option<String>,
}

tokio::task_local! {
    static ATTEMPT: RefCell<Attempt>;
}

/// The middleware the facade plugs into the generated client. It also serves callers of
/// [`Client::raw`](crate::Client::raw), outside any call loop: they get the token, the body limit
/// and a span, but no retries.
pub(crate) struct Hooks {
    pub tokens: Arc<TokenSource>,
    pub max_body_bytes: usize,
}

impl Middleware for Hooks {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _info: &'a OperationInfo,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let handed = ATTEMPT
                .try_with(|a| a.borrow().token.clone())
                .ok()
                .flatten();
            let token = match handed {
                Some(token) => token,
                // A raw call: nobody fetched a token for it.
                None => self.tokens.token(None).await.map_err(|e| e.to_string())?,
            };
            request
                .headers_mut()
                .insert(AUTHORIZATION, token.header().clone());
            Ok(())
        })
    }

    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        info: &'a OperationInfo,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let number = ATTEMPT.try_with(|a| a.borrow().number).unwrap_or(1);
        let span = tracing::info_span!(
            "dintero_products.request",
            operation = info.operation_id,
            method = %request.method(),
            attempt = number,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        // Recorded before sending: a request that fails on the way is retried by its method.
        let _ = ATTEMPT.try_with(|a| a.borrow_mut().method = Some(request.method().clone()));
        let recorder = span.clone();
        Box::pin(
            async move {
                let started = Instant::now();
                let result = client.execute(request).await;
                let span = recorder;
                span.record("duration_ms", started.elapsed().as_millis() as u64);
                let response = result?;
                let status = response.status();
                span.record("status", status.as_u16());
                // Only an error carries the request id, `Retry-After` or `Location`; a success
                // skips the lookups.
                let seen = (!status.is_success()).then(|| {
                    let headers = response.headers();
                    (
                        request_id(headers),
                        retry_after(headers),
                        headers
                            .get(LOCATION)
                            .and_then(|l| l.to_str().ok())
                            .map(str::to_string),
                    )
                });
                let _ = ATTEMPT.try_with(|a| {
                    let mut a = a.borrow_mut();
                    a.status = Some(status);
                    if let Some((request_id, retry_after, location)) = seen {
                        (a.request_id, a.retry_after, a.location) =
                            (request_id, retry_after, location);
                    }
                });
                Ok(body::limited(response, self.max_body_bytes))
            }
            .instrument(span),
        )
    }
}

/// Runs `send` (one generated call) until it succeeds, fails for good, or the retry policy is
/// spent, renewing a rejected token once. Waiting for a token counts against the policy's time
/// budget.
pub(crate) async fn call<T, F, Fut>(
    tokens: &TokenSource,
    policy: &RetryPolicy,
    limiter: Option<&RateLimiter>,
    send: F,
) -> Result<T, Error>
where
    T: DeserializeOwned,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<ResponseValue<T>, RawError>>,
{
    let mut retrier = Retrier::new(policy);
    let deadline = retrier.deadline();
    let mut token = tokens.token(deadline).await.map_err(Error::Auth)?;
    let mut renewed = false;
    let mut number: u32 = 0;
    loop {
        number += 1;
        if let Some(limiter) = limiter {
            limiter.acquire().await;
        }
        let attempt = Attempt {
            number,
            token: Some(token.clone()),
            ..Attempt::default()
        };
        let (result, seen) = ATTEMPT
            .scope(RefCell::new(attempt), async {
                let result = send().await;
                (result, ATTEMPT.with(RefCell::take))
            })
            .await;
        let method = seen.method.clone();
        let error = match result {
            Ok(value) => {
                if let Some(limiter) = limiter {
                    limiter.succeeded();
                }
                return Ok(value.into_inner());
            }
            Err(raw) => into_error::<T>(raw, seen).await,
        };
        if let Some(limiter) = limiter.filter(|_| error.is_rate_limited()) {
            // The whole job pauses and slows down; this call goes again when the limiter lets
            // it, within its time budget.
            limiter.throttle(error.retry_after());
            if !retrier.fits(error.retry_after().unwrap_or_default()) {
                return Err(error);
            }
            token = tokens.token(deadline).await.map_err(Error::Auth)?;
            continue;
        }
        // Two `if`s on purpose: the once-only flag guards the renewal on its own, so a slip in
        // why a renewal helps renews once too often, never for ever (cargo-mutants turned an
        // `&&` of one condition into `||`, and every failing call renewed its token in a loop).
        #[allow(
            clippy::collapsible_if,
            reason = "the flag must stay a guard of its own"
        )]
        if error.status() == Some(StatusCode::UNAUTHORIZED) && tokens.can_renew() {
            if !renewed {
                renewed = true;
                tracing::debug!(attempt = number, "access token rejected; renewing it once");
                token = tokens.renew(&token, deadline).await.map_err(Error::Auth)?;
                continue;
            }
        }
        let idempotent = method.as_ref().is_some_and(|m| *m != Method::POST);
        // No method seen: the request never left (bad input); nothing to retry.
        if method.is_none() || !may_retry(&error, idempotent) {
            return Err(error);
        }
        let Some(wait) = retrier.next_wait(error.retry_after()) else {
            return Err(error);
        };
        tracing::debug!(attempt = number, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
        tokio::time::sleep(wait).await;
        // The token may have expired while waiting.
        token = tokens.token(deadline).await.map_err(Error::Auth)?;
    }
}

/// Turns progenitor's error, and what the middleware saw, into ours.
async fn into_error<T: DeserializeOwned>(raw: RawError, seen: Attempt) -> Error {
    use dintero_products_client::Error as E;
    if let Some(status) = seen.status.filter(StatusCode::is_redirection) {
        return Error::Redirect {
            status,
            location: seen.location,
        };
    }
    match raw {
        E::InvalidRequest(message) => Error::RequestBuild(message),
        // Only a raw call's token fetch fails inside the middleware; the call loop fetches its
        // tokens before sending. The message is the token failure's.
        E::Custom(message) => Error::Auth(AuthError::new(message, false)),
        E::CommunicationError(source)
        | E::InvalidUpgrade(source)
        | E::ResponseBodyError(source) => transport_error(seen.status, source),
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
            match body::read(response).await {
                Ok(bytes) => api_error_from_body(status, &bytes, seen.request_id, seen.retry_after),
                Err(body::ReadError::TooLarge { status, limit }) => {
                    Error::BodyTooLarge { status, limit }
                }
                Err(body::ReadError::Transport { status, source }) => {
                    transport_error(Some(status), source)
                }
            }
        }
    }
}

/// A transport failure, or a body stopped at the size limit.
fn transport_error(status: Option<StatusCode>, source: reqwest::Error) -> Error {
    match (body::exceeded_limit(&source), status) {
        (Some(limit), Some(status)) => Error::BodyTooLarge { status, limit },
        _ => Error::Transport { status, source },
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// What progenitor reports before anything is sent is sorted by kind: a value it could not
    /// put into the request, and a raw call's token failure (the only failure of the hooks).
    #[tokio::test]
    async fn errors_before_sending_are_sorted_by_kind() {
        let built = into_error::<types::GroupList>(
            RawError::InvalidRequest("limit: conversion failed".into()),
            Attempt::default(),
        )
        .await;
        assert!(built.is_request_build(), "{built:?}");
        assert!(!built.is_config() && !built.is_retryable());
        assert_eq!(
            built.to_string(),
            "the request could not be built: limit: conversion failed"
        );

        let token = into_error::<types::GroupList>(
            RawError::Custom("could not reach the token endpoint".into()),
            Attempt::default(),
        )
        .await;
        assert!(token.is_auth() && !token.is_config(), "{token:?}");
        let cause = std::error::Error::source(&token).map(ToString::to_string);
        assert_eq!(cause.as_deref(), Some("could not reach the token endpoint"));
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
