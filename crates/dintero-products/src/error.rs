//! One error type for everything the SDK can fail at.
//!
//! Every failure that involved a response keeps its HTTP status; API errors keep Dintero's
//! `error.code`, `error.message` and the request id; a body that is not the documented JSON
//! (an HTML page from a proxy) is kept as a snippet. Secrets never reach an error: the SDK
//! never puts a header or a credential into one.

use reqwest::StatusCode;
use std::fmt;
use std::time::Duration;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error status.
    #[error(transparent)]
    Api(#[from] ApiError),

    /// An argument was rejected before any request was sent.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),

    /// The client was configured wrongly (missing account id or credentials, a bad base URL).
    #[error("invalid configuration: {0}")]
    Config(String),

    /// Getting an access token failed.
    #[error("authentication failed: {message}")]
    Auth {
        /// The status of the token endpoint's answer, when it answered.
        status: Option<StatusCode>,
        /// What happened, with the token endpoint's `error.message` when it sent one.
        message: String,
    },

    /// The request could not be sent, or the response could not be read (a refused or dropped
    /// connection, a timeout, a truncated body).
    #[error("transport error{}: {source}", status_suffix(*.status))]
    Transport {
        /// The status, when the response had started before the failure.
        status: Option<StatusCode>,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// A successful response whose body is not what the API documents.
    #[error("could not decode the {status} response at `{path}`: {source}")]
    Decode {
        /// The response status.
        status: StatusCode,
        /// The JSON path that failed, such as `products[3].created_at` (`.` for the whole body).
        path: String,
        /// The start of the body, for diagnosis.
        body_snippet: String,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },

    /// The server sent a cursor it had sent before, so following it would never end.
    #[error(
        "pagination loop: the server repeated the cursor {cursor:?}; stopping instead of looping"
    )]
    PaginationLoop {
        /// The repeated cursor.
        cursor: String,
    },
}

fn status_suffix(status: Option<StatusCode>) -> String {
    status.map(|s| format!(" after {s}")).unwrap_or_default()
}

impl Error {
    /// The HTTP status of the response this error came from, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Auth { status, .. } | Error::Transport { status, .. } => *status,
            Error::Decode { status, .. } => Some(*status),
            Error::InvalidInput(_) | Error::Config(_) | Error::PaginationLoop { .. } => None,
        }
    }

    /// Whether the API said the resource does not exist (404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the API asked us to slow down (429).
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// Whether trying again later may succeed: connection failures, timeouts, truncated bodies,
    /// 408, 429, 500, 502, 503 and 504. Whether the SDK itself retries also depends on the
    /// method; see the crate's Reliability notes.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } => true,
            Error::Api(e) => is_retryable_status(e.status),
            Error::Auth { status, .. } => status.is_none_or(is_retryable_status),
            _ => false,
        }
    }

    /// How long the server asked us to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(e) => e.retry_after,
            _ => None,
        }
    }
}

pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// An error status from the API.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Dintero's `error.code`, such as `NOT FOUND`, when the body had one.
    pub code: Option<String>,
    /// Dintero's `error.message`, when the body had one.
    pub message: Option<String>,
    /// The request id the server sent back, for support requests.
    pub request_id: Option<String>,
    /// The `Retry-After` the server sent, as a duration from now.
    pub retry_after: Option<Duration>,
    /// The start of the body when it was not Dintero's JSON error (an HTML page from a proxy).
    pub body_snippet: Option<String>,
}

impl std::error::Error for ApiError {}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the API answered {}", self.status)?;
        match (&self.code, &self.message) {
            (Some(code), Some(message)) => write!(f, ": {message} ({code})")?,
            (None, Some(message)) => write!(f, ": {message}")?,
            (Some(code), None) => write!(f, ": {code}")?,
            (None, None) => {}
        }
        if let Some(snippet) = &self.body_snippet {
            write!(f, "; body: {snippet:?}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// An argument the API would reject, caught before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    what: &'static str,
    value: String,
    problem: &'static str,
}

impl InvalidInput {
    pub(crate) fn new(what: &'static str, value: &str, problem: &'static str) -> Self {
        // Keep a readable, bounded echo of the value: ids can be long or hold control characters.
        let value: String = value
            .chars()
            .take(64)
            .flat_map(char::escape_debug)
            .collect();
        Self {
            what,
            value,
            problem,
        }
    }

    /// What was invalid, such as `account id` or `page size (limit)`.
    pub fn what(&self) -> &str {
        self.what
    }

    /// Why it was rejected.
    pub fn problem(&self) -> &str {
        self.problem
    }
}

impl std::error::Error for InvalidInput {}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} \"{}\": {}",
            self.what, self.value, self.problem
        )
    }
}

/// Dintero's error body, `{"error": {"code": .., "message": ..}}`, as `(code, message)`, if
/// `body` is one.
pub(crate) fn dintero_error(body: &[u8]) -> Option<(Option<String>, String)> {
    let parsed = serde_json::from_slice::<dintero_products_client::types::Error>(body).ok()?;
    Some((parsed.error.code, parsed.error.message))
}

/// At most this many bytes of a body are kept in an error.
pub(crate) const SNIPPET_BYTES: usize = 512;

/// The start of a body, as text, for an error message.
pub(crate) fn snippet(body: &[u8]) -> String {
    let cut = &body[..body.len().min(SNIPPET_BYTES)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if body.len() > SNIPPET_BYTES {
        text.push('…');
    }
    text
}
