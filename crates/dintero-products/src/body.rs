//! Response bodies read under a size limit.
//!
//! progenitor's generated code reads a whole body with `Response::bytes()`, and so did the token
//! fetch: a hostile or broken server could make the client buffer gigabytes. Every response is
//! therefore checked before anything reads it: a `Content-Length` over the limit fails at the
//! first read, and a body of unknown length is re-wrapped in a stream that fails once more than
//! the limit has arrived; reading stops there and the connection is dropped.

use futures::{StreamExt, stream};
use reqwest::StatusCode;
use std::fmt;

/// The default limit: a page of 100 products is a few hundred kilobytes.
pub(crate) const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The error a limited body fails with; found again in the error chain by [`exceeded_limit`].
#[derive(Debug)]
pub(crate) struct BodyTooLarge {
    limit: usize,
}

impl fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the response body is larger than {} bytes", self.limit)
    }
}

impl std::error::Error for BodyTooLarge {}

/// `response`, with a body that fails once more than `limit` bytes arrive.
///
/// A body whose `Content-Length` is within the limit is left as it is: HTTP framing already
/// stops it there, and the pagination hot path pays nothing. A body announced over the limit
/// fails at the first read, before any of it is buffered; a body of unknown length (chunked) is
/// counted as it streams.
pub(crate) fn limited(mut response: reqwest::Response, limit: usize) -> reqwest::Response {
    let announced = response.content_length();
    if announced.is_some_and(|length| length <= limit as u64) {
        return response;
    }
    let (status, version) = (response.status(), response.version());
    let headers = std::mem::take(response.headers_mut());
    let body = if announced.is_some() {
        reqwest::Body::wrap_stream(stream::once(async move {
            Err::<bytes::Bytes, BoxError>(Box::new(BodyTooLarge { limit }))
        }))
    } else {
        let mut seen = 0usize;
        reqwest::Body::wrap_stream(response.bytes_stream().map(move |chunk| {
            let chunk = chunk.map_err(|e| Box::new(e) as BoxError)?;
            seen = seen.saturating_add(chunk.len());
            if seen > limit {
                return Err(Box::new(BodyTooLarge { limit }) as BoxError);
            }
            Ok(chunk)
        }))
    };
    // Rebuilt part by part (the URL is not carried over: nothing downstream reads it).
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    reqwest::Response::from(rebuilt)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The limit that stopped reading a body, if that is what `error` (or one of its causes) is.
pub(crate) fn exceeded_limit(error: &(dyn std::error::Error + 'static)) -> Option<usize> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(too_large) = e.downcast_ref::<BodyTooLarge>() {
            return Some(too_large.limit);
        }
        next = e.source();
    }
    None
}

/// Reads a whole limited body; a failure is either over the limit or a transport error.
pub(crate) async fn read(response: reqwest::Response) -> Result<bytes::Bytes, ReadError> {
    let status = response.status();
    response
        .bytes()
        .await
        .map_err(|source| match exceeded_limit(&source) {
            Some(limit) => ReadError::TooLarge { status, limit },
            None => ReadError::Transport { status, source },
        })
}

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    TooLarge {
        status: StatusCode,
        limit: usize,
    },
    Transport {
        status: StatusCode,
        source: reqwest::Error,
    },
}
