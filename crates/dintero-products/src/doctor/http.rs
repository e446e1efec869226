//! The doctor's raw HTTP: requests crafted by hand (odd `limit`s, unknown envelope keys,
//! headers and statuses read as they are), sent the way the SDK sends its own, through the
//! generated client's `reqwest::Client` (its timeouts, no redirects) and the SDK's middleware
//! (its span, its body limit), with this client's credentials; every exchange goes to the
//! transcript.

use super::Leftover;
use super::record::{Line, Secrets, Transcript};
use crate::Client;
use crate::body;
use crate::error::{ApiError, Error, dintero_error, is_retryable_status, snippet};
use crate::retry::{Retrier, retry_after};
use bytes::Bytes;
use dintero_products_client::{ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// What is known of where a list puts its next cursor, learnt by the `list.cursor_key` probe
/// and used by every later walk of a list.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum CursorKey {
    /// Not probed yet: `starting_after`, else any other string of the envelope.
    #[default]
    Unknown,
    /// This key.
    Key(String),
    /// Pages carry no cursor: the next page starts after the last id seen.
    None,
}

/// Everything a run and its cleanup share: the client, the transcript, the secrets to keep
/// out of it, the token in use, and what write mode created and has not deleted yet.
pub(crate) struct Shared {
    pub client: Client,
    pub secrets: Secrets,
    pub transcript: Mutex<Option<Arc<Transcript>>>,
    /// The `Authorization` value of the API probes: the token the `token.*` probe got, so
    /// that no token request of the run is missing from its transcript.
    pub auth: Mutex<Option<HeaderValue>>,
    pub created: Mutex<Vec<Leftover>>,
    pub cursor: Mutex<CursorKey>,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether an exchange may be sent again after a transient failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// A read, a delete or a token request: again on connection failures, timeouts, 408,
    /// 429 and 5xx.
    Idempotent,
    /// A create or an update, whose outcome is the observation: again only on a 429, which
    /// certainly was not processed.
    NotBlindly,
}

/// One answer, read whole (under the client's body limit).
pub(crate) struct Exchange {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Exchange {
    pub(crate) fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub(crate) fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// Dintero's `error.code`, when the body is its error body and has one.
    pub(crate) fn error_code(&self) -> Option<String> {
        dintero_error(&self.body).and_then(|(code, _)| code)
    }

    /// This answer as an [`Error`], for a failure that stops a run.
    pub(crate) fn to_error(&self) -> Error {
        let (code, message, body_snippet) = match dintero_error(&self.body) {
            Some((code, message)) => (code, Some(message), None),
            None => (None, None, Some(snippet(&self.body))),
        };
        Error::Api(ApiError {
            status: self.status,
            code,
            message,
            request_id: None,
            retry_after: retry_after(&self.headers),
            body_snippet,
        })
    }
}

impl Shared {
    pub(crate) fn new(client: Client) -> Self {
        Shared {
            client,
            secrets: Secrets::default(),
            transcript: Mutex::new(None),
            auth: Mutex::new(None),
            created: Mutex::new(Vec::new()),
            cursor: Mutex::new(CursorKey::Unknown),
        }
    }

    /// An answer as a finding shows it: `{"status": .., "body": ..}`, the body as JSON when
    /// it is, secrets taken out.
    pub(crate) fn answer(&self, exchange: &Exchange) -> Value {
        json!({
            "status": exchange.status.as_u16(),
            "body": self.secrets.body(&exchange.body),
        })
    }

    /// The URL of `segments` below `{base}/accounts/{aid}/products`, each segment encoded.
    pub(crate) fn url(&self, segments: &[&str]) -> String {
        let mut url = format!(
            "{}/accounts/{}/products",
            self.client.base_url(),
            dintero_products_client::path::encode_path(self.client.account_id().as_str()),
        );
        for segment in segments {
            url.push('/');
            url.push_str(&dintero_products_client::path::encode_path(segment));
        }
        url
    }

    /// The `Authorization` value of the API probes.
    async fn authorization(&self) -> Result<HeaderValue, Error> {
        if let Some(value) = lock(&self.auth).clone() {
            return Ok(value);
        }
        // A static bearer token (or a cleanup before the token probe): the SDK's own.
        let deadline = Retrier::new(self.client.retry_policy()).deadline();
        let token = self
            .client
            .tokens()
            .token(deadline)
            .await
            .map_err(Error::Auth)?;
        let value = token.header().clone();
        if let Ok(text) = value.to_str() {
            self.secrets.learn_authorization(text);
        }
        Ok(value)
    }

    /// One API request: `method` on `segments`, with `query` and a JSON `body`.
    pub(crate) async fn api(
        &self,
        probe: &'static str,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
        retry: Retry,
    ) -> Result<Exchange, Error> {
        let authorization = self.authorization().await?;
        let url = self.url(segments);
        let http = self.client.raw().client();
        let build = || {
            let mut request = http
                .request(method.clone(), &url)
                .header(AUTHORIZATION, authorization.clone());
            if !query.is_empty() {
                request = request.query(query);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            request
                .build()
                .map_err(|e| Error::RequestBuild(e.to_string()))
        };
        self.send(probe, build, retry).await
    }

    /// Sends what `build` makes until it succeeds, fails for good, or the client's retry
    /// policy is spent.
    pub(crate) async fn send(
        &self,
        probe: &'static str,
        build: impl Fn() -> Result<reqwest::Request, Error>,
        retry: Retry,
    ) -> Result<Exchange, Error> {
        let policy = self.client.retry_policy().clone();
        let mut retrier = Retrier::new(&policy);
        loop {
            let result = self.send_once(probe, build()?).await;
            let (again, asked) = match &result {
                Ok(answer) => (
                    answer.status == StatusCode::TOO_MANY_REQUESTS
                        || retry == Retry::Idempotent && is_retryable_status(answer.status),
                    retry_after(&answer.headers),
                ),
                // A transport failure may have reached the server: only a repeatable request
                // goes again.
                Err(error) => (retry == Retry::Idempotent && error.is_retryable(), None),
            };
            if !again {
                return result;
            }
            let Some(wait) = retrier.next_wait(asked) else {
                return result;
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(
        &self,
        probe: &'static str,
        request: reqwest::Request,
    ) -> Result<Exchange, Error> {
        for value in request.headers().get_all(AUTHORIZATION) {
            if let Ok(text) = value.to_str() {
                self.secrets.learn_authorization(text);
            }
        }
        let method = request.method().clone();
        let url = request.url().clone();
        let request_headers = request.headers().clone();
        let request_body = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .map(Bytes::copy_from_slice);
        let started = Instant::now();
        let raw = self.client.raw();
        let http = raw.client();
        let info = OperationInfo {
            operation_id: probe,
        };
        let sent = match raw.inner().middleware() {
            Some(middleware) => middleware.execute(http, request, &info).await,
            None => http
                .execute(request)
                .await
                .map(|r| body::limited(r, body::DEFAULT_MAX_BODY_BYTES)),
        };
        let mut line = Line {
            probe,
            method: method.as_str(),
            url: &url,
            request_headers: &request_headers,
            request_body: request_body.as_deref(),
            status: None,
            response_headers: None,
            response_body: None,
            error: None,
            millis: 0,
        };
        let response = match sent {
            Ok(response) => response,
            Err(source) => {
                let error = Error::Transport {
                    status: None,
                    source,
                };
                line.error = Some(chain(&error));
                line.millis = started.elapsed().as_millis();
                self.record(&line);
                return Err(error);
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let read = body::read(response).await;
        line.status = Some(status.as_u16());
        line.response_headers = Some(&headers);
        line.millis = started.elapsed().as_millis();
        match read {
            Ok(bytes) => {
                line.response_body = Some(&bytes);
                self.record(&line);
                Ok(Exchange {
                    status,
                    headers,
                    body: bytes,
                })
            }
            Err(failure) => {
                let error = match failure {
                    body::ReadError::TooLarge { status, limit } => {
                        Error::BodyTooLarge { status, limit }
                    }
                    body::ReadError::Transport { status, source } => Error::Transport {
                        status: Some(status),
                        source,
                    },
                };
                line.error = Some(chain(&error));
                self.record(&line);
                Err(error)
            }
        }
    }

    fn record(&self, line: &Line<'_>) {
        let transcript = lock(&self.transcript).clone();
        if let Some(transcript) = transcript {
            transcript.write(&line.to_json(&self.secrets));
        }
    }

    /// Remembers something write mode created (or may have: an answer that was lost).
    pub(crate) fn register(&self, leftover: Leftover) {
        let mut created = lock(&self.created);
        if !created.contains(&leftover) {
            created.push(leftover);
        }
    }

    /// Forgets something deleted.
    pub(crate) fn deregister(&self, leftover: &Leftover) {
        lock(&self.created).retain(|l| l != leftover);
    }

    pub(crate) fn pending(&self) -> Vec<Leftover> {
        lock(&self.created).clone()
    }

    pub(crate) fn cursor_key(&self) -> CursorKey {
        lock(&self.cursor).clone()
    }
}

/// An error and its causes, `: `-separated: the SDK's messages each say one layer.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}
