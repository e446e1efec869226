//! The client-credentials flow: checking what a token request sends, issuing access tokens,
//! and recognising them on API requests.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::http::header::{self, HeaderMap};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::errors::ApiError;
use crate::locks::lock;

/// The body of `POST /accounts/{aid}/auth/token`.
#[derive(Deserialize)]
pub(crate) struct TokenRequest {
    pub grant_type: String,
    pub audience: String,
}

/// The answer to a token request.
#[derive(Serialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}

#[derive(Clone, Debug)]
struct IssuedToken {
    aid: String,
    expires: Instant,
}

/// The access tokens issued and not yet revoked.
#[derive(Debug)]
pub(crate) struct Tokens {
    lifetime: Duration,
    issued: Mutex<HashMap<String, IssuedToken>>,
    count: AtomicUsize,
}

impl Tokens {
    pub(crate) fn new(lifetime: Duration) -> Self {
        Tokens {
            lifetime,
            issued: Mutex::new(HashMap::new()),
            count: AtomicUsize::new(0),
        }
    }

    pub(crate) fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// How many tokens have been issued since the start.
    pub(crate) fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    pub(crate) fn revoke_all(&self) {
        lock(&self.issued).clear();
    }

    pub(crate) fn issue(&self, aid: &str) -> String {
        let token = format!(
            "fake_{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let now = Instant::now();
        let mut issued = lock(&self.issued);
        // Expired tokens are forgotten here, so a long run does not keep them all.
        issued.retain(|_, t| t.expires > now);
        issued.insert(
            token.clone(),
            IssuedToken {
                aid: aid.to_owned(),
                expires: now + self.lifetime,
            },
        );
        self.count.fetch_add(1, Ordering::SeqCst);
        token
    }

    /// Checks the bearer token of an API request and returns the account it was issued for.
    pub(crate) fn account_of(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("missing Authorization header"))?;
        let value = value
            .to_str()
            .map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
        let token = split_scheme(value, "bearer")
            .ok_or_else(|| ApiError::unauthorized("expected Authorization: Bearer <token>"))?;
        let issued = lock(&self.issued);
        let token = issued
            .get(token)
            .ok_or_else(|| ApiError::unauthorized("unknown or revoked access token"))?;
        if token.expires <= Instant::now() {
            return Err(ApiError::unauthorized("access token expired"));
        }
        Ok(token.aid.clone())
    }
}

/// The `client_id` and `client_secret` of a token request's HTTP Basic credentials.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Result<(String, String), ApiError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| split_scheme(v, "basic"))
        .ok_or_else(|| {
            ApiError::unauthorized("expected Authorization: Basic <client credentials>")
        })?;
    let malformed = || ApiError::unauthorized("malformed Basic credentials");
    let decoded = STANDARD
        .decode(basic)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(malformed)?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    Ok((id.to_owned(), secret.to_owned()))
}

/// `"<scheme> <rest>"` with a case-insensitive scheme, returning the trimmed rest.
fn split_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    (given.eq_ignore_ascii_case(scheme) && !rest.is_empty()).then_some(rest)
}

/// The audience a token request for `aid` must send: Dintero's API, whatever host the client
/// talks to.
pub(crate) fn audience(audience_base: &str, aid: &str) -> String {
    format!("{audience_base}/accounts/{aid}")
}

/// The rules of a token request's body, checked after the client credentials; any audience
/// passes when none is expected.
pub(crate) fn check_request(
    request: &TokenRequest,
    expected_audience: Option<&str>,
) -> Result<(), ApiError> {
    if request.grant_type != "client_credentials" {
        return Err(ApiError::bad_request(format!(
            "unsupported grant_type {:?}; expected \"client_credentials\"",
            request.grant_type
        )));
    }
    if let Some(expected_audience) = expected_audience
        && request.audience != expected_audience
    {
        return Err(ApiError::bad_request(format!(
            "audience {:?} is not this account's; expected {expected_audience:?}",
            request.audience
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_case_insensitive_and_need_a_value() {
        assert_eq!(split_scheme("Bearer abc", "bearer"), Some("abc"));
        assert_eq!(split_scheme("  bearer   abc ", "bearer"), Some("abc"));
        assert_eq!(split_scheme("Basic abc", "bearer"), None);
        assert_eq!(split_scheme("Bearer ", "bearer"), None);
        assert_eq!(split_scheme("Bearer", "bearer"), None);
    }

    #[test]
    fn the_audience_must_match_exactly() {
        let expected = audience("https://api.dintero.com/v1", "T12345678");
        assert_eq!(expected, "https://api.dintero.com/v1/accounts/T12345678");
        let request = |audience: &str| TokenRequest {
            grant_type: "client_credentials".to_owned(),
            audience: audience.to_owned(),
        };
        assert!(check_request(&request(&expected), Some(&expected)).is_ok());
        for wrong in [
            "http://127.0.0.1:8080/v1/accounts/T12345678",
            "https://api.dintero.com/v1/accounts/T12345678/",
            "https://api.dintero.com/v1/accounts/T00000000",
            "",
        ] {
            let error = check_request(&request(wrong), Some(&expected)).err();
            assert!(check_request(&request(wrong), None).is_ok(), "{wrong}");
            assert!(
                error.is_some_and(|e| e.message.contains(&expected)),
                "{wrong}"
            );
        }
    }
}
