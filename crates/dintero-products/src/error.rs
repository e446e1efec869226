//! One error type for everything the SDK can fail at.
//!
//! Each variant is one kind of failure, and its message says only what happened at its own
//! layer: the cause (a transport error, the token endpoint's answer, an I/O error) is reached
//! through [`source()`](std::error::Error::source), never repeated in the message. To show the
//! whole story, print the chain, as `anyhow`'s `{:#}` or the command line's `caused by:` lines
//! do.
//!
//! Every failure that involved a response keeps its HTTP status; API errors keep Dintero's
//! `error.code`, `error.message` and the request id; a body that is not the documented JSON
//! (an HTML page from a proxy) is kept as a snippet. Secrets never reach an error: the SDK
//! never puts a header or a credential into one, and refuses base URLs that hold credentials.

pub use dintero_products_client::InvalidInput;
use reqwest::StatusCode;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any error, boxed: what a [`try_modify`](crate::Products::try_modify) closure returns, so
/// that `?` works on any error type inside it and the closure's type is inferred.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What went wrong.
///
/// Each failure that involved a response keeps its HTTP status ([`Error::status`]); the
/// predicates (`is_not_found`, `is_conflict`, `is_retryable`, ...) answer the usual questions
/// without matching on variants.
///
/// ```no_run
/// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
/// use dintero_products::{Error, NewGroup};
///
/// match client.groups().create(NewGroup::new("Møbel").id("B1")).await {
///     Ok(group) => println!("created {}", group.id()),
///     Err(e) if e.is_conflict() => println!("B1 exists already"),
///     Err(e) if e.is_outcome_unknown() => println!("maybe created: look before trying again ({e})"),
///     Err(Error::Api(api)) => println!("{} {:?} [request id {:?}]", api.status, api.message, api.request_id),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error status.
    #[error(transparent)]
    Api(#[from] ApiError),

    /// An argument to a call, or a catalog job's input, was rejected before any request was
    /// sent: an id the API would refuse, an upsert without an id, a product desired twice.
    /// [`InvalidInput`] says what was wrong.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),

    /// The client was configured wrongly (no account id or credentials, a bad base URL, a
    /// bearer token that cannot be sent, an HTTP client that could not be set up). Only
    /// [`ClientBuilder::build`](crate::ClientBuilder::build) returns it.
    #[error("invalid configuration: {message}")]
    Config {
        /// What is wrong with the configuration.
        message: String,
        /// What failed underneath, when something did (the HTTP client's setup).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// Getting an access token failed: the token endpoint refused the credentials, could not
    /// be reached, or answered something else than a token; a static token was rejected; or
    /// waiting for a token ran out of time. [`AuthError`] (the source) says which.
    #[error("authentication failed")]
    Auth(#[source] AuthError),

    /// The request could not be built from the arguments given (the generated client refused
    /// a value while building it); nothing was sent.
    #[error("the request could not be built: {0}")]
    RequestBuild(String),

    /// The request could not be sent, or the response could not be read (a refused or dropped
    /// connection, a timeout, a truncated body). [`Error::is_timeout`] tells a timeout apart.
    #[error("{}", transport_message(*.status, source))]
    Transport {
        /// The status, when the response had started before the failure.
        status: Option<StatusCode>,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// The response body was larger than the client's limit
    /// ([`ClientBuilder::max_body_bytes`](crate::ClientBuilder::max_body_bytes)); reading
    /// stopped there.
    #[error(
        "the {status} response body is larger than the limit of {limit} bytes; reading stopped"
    )]
    BodyTooLarge {
        /// The response status.
        status: StatusCode,
        /// The limit, in bytes.
        limit: usize,
    },

    /// The server answered with a redirect. Redirects are never followed: the bearer token or
    /// a request body must not travel to another place than the one configured.
    #[error("the API answered {status} (a redirect{}); redirects are not followed", location_suffix(.location.as_deref()))]
    Redirect {
        /// The 3xx status.
        status: StatusCode,
        /// The `Location` header, if any.
        location: Option<String>,
    },

    /// A successful response whose body is not what the API documents.
    #[error("could not decode the {status} response at `{path}`")]
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

    /// A lookup found no such object. Unlike an [`Error::Api`] with status 404, this comes from
    /// a search the SDK made on a documented list (see `groups().get`), which answered without
    /// it.
    #[error("{what} {id:?} not found")]
    NotFound {
        /// What was looked for, such as `group`.
        what: &'static str,
        /// The id looked for.
        id: String,
    },

    /// The API returned an object without a field the SDK needs to work with it, such as a
    /// product without its `product_id`.
    #[error("the API returned a {what} without `{missing}`")]
    Incomplete {
        /// What was returned, such as `product`.
        what: &'static str,
        /// The field it lacked.
        missing: &'static str,
    },

    /// A catalog job's source of desired products failed part-way (a file could not be read
    /// to its end). A plan fails on it; an apply stops reading and prunes nothing.
    #[error("the desired products could not be read")]
    Source(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// The closure of a [`try_modify`](crate::Products::try_modify) returned an error (the
    /// source); the object was read, and nothing was written. A closure that returns this
    /// crate's [`Error`] or an [`InvalidInput`] gets that error back unwrapped instead.
    #[error("the change was given up by its closure; nothing was written")]
    Change(#[source] BoxError),

    /// A catalog job refused a change, and sent nothing for it: a plan it could not undo
    /// (too many deletes, an empty source), a change that needs consent not given, or one
    /// product whose intent the catalog does not allow ([`Refusal::Exists`],
    /// [`Refusal::Missing`]: the sync's other products still go).
    ///
    /// [`Refusal::Exists`]: crate::Refusal::Exists
    /// [`Refusal::Missing`]: crate::Refusal::Missing
    #[error("refused: {0}")]
    Refused(crate::sync::Refusal),

    /// A product deleted to be created again (a recreate) could not be created again.
    /// `restored` says whether it was then created again as it was; when not, its body is in
    /// the sync's journal and the next sync with that journal restores it.
    #[error("{}", recreate_message(id, *restored))]
    Recreate {
        /// The product.
        id: String,
        /// Whether it was put back as it was before the recreate.
        restored: bool,
        /// Why the create of the new product failed.
        #[source]
        source: Box<Error>,
    },

    /// A catalog job's journal could not be written or read, so a step it guards (a recreate's
    /// delete) was not taken.
    #[error("the journal could not be written or read")]
    Journal(#[source] std::io::Error),

    /// The server sent a cursor it had sent before, so following it would never end.
    #[error(
        "pagination loop: the server repeated the cursor {cursor:?}; stopping instead of looping"
    )]
    PaginationLoop {
        /// The repeated cursor.
        cursor: String,
    },
}

fn transport_message(status: Option<StatusCode>, source: &reqwest::Error) -> String {
    let after = status.map(|s| format!(" after {s}")).unwrap_or_default();
    let what = if source.is_timeout() {
        "the request timed out"
    } else if source.is_connect() {
        "could not connect to the API"
    } else {
        "the connection failed"
    };
    format!("{what}{after}")
}

fn recreate_message(id: &str, restored: bool) -> String {
    if restored {
        format!(
            "product {id} could not be created again after its delete; it was restored as it was"
        )
    } else {
        format!(
            "product {id} was deleted and could not be created again, nor restored; its last body is in the sync's journal, and the next sync with that journal restores it"
        )
    }
}

fn location_suffix(location: Option<&str>) -> String {
    location.map(|l| format!(" to {l:?}")).unwrap_or_default()
}

impl Error {
    /// The HTTP status of the response this error came from, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Auth(e) => e.status,
            Error::Transport { status, .. } => *status,
            Error::BodyTooLarge { status, .. }
            | Error::Redirect { status, .. }
            | Error::Decode { status, .. } => Some(*status),
            Error::InvalidInput(_)
            | Error::Config { .. }
            | Error::RequestBuild(_)
            | Error::NotFound { .. }
            | Error::Incomplete { .. }
            | Error::PaginationLoop { .. }
            | Error::Source(_)
            | Error::Change(_)
            | Error::Refused(_)
            | Error::Journal(_) => None,
            Error::Recreate { source, .. } => source.status(),
        }
    }

    /// Whether the client was configured wrongly ([`Error::Config`]).
    pub fn is_config(&self) -> bool {
        matches!(self, Error::Config { .. })
    }

    /// Whether an argument or a job's input was refused before sending ([`Error::InvalidInput`]).
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::InvalidInput(_))
    }

    /// Whether getting an access token failed ([`Error::Auth`]). A token the API itself
    /// refused (401) is [`is_unauthorized`](Self::is_unauthorized).
    pub fn is_auth(&self) -> bool {
        matches!(self, Error::Auth(_))
    }

    /// Whether a [`try_modify`](crate::Products::try_modify) closure gave its change up
    /// ([`Error::Change`]); nothing was written.
    pub fn is_change(&self) -> bool {
        matches!(self, Error::Change(_))
    }

    /// Whether the request could not be built ([`Error::RequestBuild`]); nothing was sent.
    pub fn is_request_build(&self) -> bool {
        matches!(self, Error::RequestBuild(_))
    }

    /// Whether the object does not exist: the API answered 404, or a lookup on a list found
    /// nothing ([`Error::NotFound`]).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. }) || self.api_status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the API refused because the object already exists, or was changed meanwhile (409).
    pub fn is_conflict(&self) -> bool {
        self.api_status() == Some(StatusCode::CONFLICT)
    }

    /// Whether the API refused the access token (401), or the token endpoint refused the
    /// client credentials.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// Whether the credentials are valid but not allowed to do this (403).
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(StatusCode::FORBIDDEN)
    }

    /// Whether the API asked us to slow down (429).
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// Whether the call timed out: an HTTP attempt, or waiting for an access token.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport { source, .. } => source.is_timeout(),
            Error::Auth(e) => e.timed_out,
            _ => false,
        }
    }

    /// Whether trying again later may succeed: connection failures, timeouts, truncated bodies,
    /// 408, 429, 500, 502, 503 and 504, and a token endpoint failing in those ways. Errors
    /// that would fail the same way again (bad input, 4xx answers, redirects, bodies over the
    /// limit or that do not decode) are not. Whether the SDK itself retries also depends on
    /// the method; see [`RetryPolicy`](crate::RetryPolicy).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } => true,
            Error::Api(e) => is_retryable_status(e.status),
            Error::Auth(e) => e.retryable,
            _ => false,
        }
    }

    /// Whether the request may have been processed although the call failed: it was sent, and
    /// then the connection dropped, the answer timed out or was cut short, or the server or a
    /// proxy answered 5xx. A create that failed this way may have created its object; see
    /// [`Products::create_once`](crate::Products::create_once).
    pub fn is_outcome_unknown(&self) -> bool {
        match self {
            Error::Transport { source, .. } => !source.is_connect(),
            Error::Api(e) => e.status.is_server_error(),
            Error::BodyTooLarge { .. } | Error::Decode { .. } | Error::Incomplete { .. } => true,
            _ => false,
        }
    }

    /// How long the server asked us to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(e) => e.retry_after,
            Error::Auth(e) => e.retry_after,
            _ => None,
        }
    }

    /// The error of a change closure: this crate's own errors come back as they were, any
    /// other is an [`Error::Change`].
    pub(crate) fn from_change(error: BoxError) -> Self {
        match error.downcast::<Error>() {
            Ok(error) => *error,
            Err(error) => match error.downcast::<InvalidInput>() {
                Ok(invalid) => Error::InvalidInput(*invalid),
                Err(other) => Error::Change(other),
            },
        }
    }

    /// The configuration error `message`, with nothing underneath.
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
            source: None,
        }
    }

    /// The status of an answer from the API itself (not the token endpoint).
    fn api_status(&self) -> Option<StatusCode> {
        match self {
            Error::Auth(_) => None,
            other => other.status(),
        }
    }
}

pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Why an access token could not be had: the token endpoint's answer, or why there was none.
///
/// Its [`Display`](fmt::Display) names the cause ("connection refused", "timed out", the
/// endpoint's `error.message`); the underlying transport error, when there was one, is its
/// [`source`](std::error::Error::source). Shared by every call that waited for the same token
/// request, so it is cheap to clone.
#[derive(Debug, Clone)]
pub struct AuthError {
    pub(crate) status: Option<StatusCode>,
    pub(crate) message: String,
    pub(crate) retryable: bool,
    pub(crate) timed_out: bool,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) source: Option<Arc<reqwest::Error>>,
}

impl AuthError {
    /// A failure with no response and no transport error behind it.
    pub(crate) fn new(message: impl Into<String>, retryable: bool) -> Self {
        Self {
            status: None,
            message: message.into(),
            retryable,
            timed_out: false,
            retry_after: None,
            source: None,
        }
    }

    /// The status the token endpoint answered with, when it answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// Whether asking again later may succeed (the endpoint was unreachable, timed out, or
    /// answered 408, 429 or 5xx).
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
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

/// Dintero's error body, `{"error": {"code": .., "message": ..}}`, as `(code, message)`, if
/// `body` is one.
pub(crate) fn dintero_error(body: &[u8]) -> Option<(Option<String>, String)> {
    let parsed = serde_json::from_slice::<dintero_products_client::types::ErrorBody>(body).ok()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What a body of `len` bytes of `byte` should leave in an error: all of it up to the limit,
    /// else its first `SNIPPET_BYTES` and a mark that it was cut.
    fn expected_snippet(len: usize, byte: u8) -> String {
        let kept = String::from_utf8(vec![byte; len.min(SNIPPET_BYTES)]).unwrap_or_default();
        if len > SNIPPET_BYTES {
            format!("{kept}…")
        } else {
            kept
        }
    }

    #[test]
    fn a_body_at_the_limit_is_kept_whole_and_one_byte_more_is_cut() {
        for len in [0, SNIPPET_BYTES - 1, SNIPPET_BYTES, SNIPPET_BYTES + 1] {
            assert_eq!(
                snippet(&vec![b'x'; len]),
                expected_snippet(len, b'x'),
                "{len}"
            );
        }
        // A cut through a character shows the replacement character, never a panic.
        let mut body = vec![b'a'; SNIPPET_BYTES - 1];
        body.extend("é".as_bytes());
        assert!(
            snippet(&body).ends_with("\u{FFFD}…"),
            "{:?}",
            snippet(&body)
        );
    }

    proptest::proptest! {
        #[test]
        fn a_body_is_kept_whole_up_to_the_limit_and_cut_with_a_mark_after(
            len in 0usize..1_200,
            byte in 0x20u8..0x7f,
        ) {
            proptest::prop_assert_eq!(snippet(&vec![byte; len]), expected_snippet(len, byte));
        }
    }
}
