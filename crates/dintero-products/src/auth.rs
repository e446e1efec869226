//! Credentials and the access-token cache.
//!
//! With client credentials, the token comes from `POST {base}/accounts/{aid}/auth/token` (HTTP
//! Basic `client_id:client_secret`, body `{"grant_type":"client_credentials","audience":
//! "https://api.dintero.com/v1/accounts/{aid}"}`), is cached, and is renewed ahead of its
//! `expires_in`.
//!
//! One token request is in flight at a time, and its outcome, success or failure, goes to every
//! caller waiting on it: a burst of calls against a dead token endpoint costs that endpoint at
//! most the retry policy's attempts, not a request per caller. The request is a shared future
//! that lives as long as somebody waits on it; each caller waits no longer than its own time
//! budget.

use crate::body;
use crate::error::{AuthError, dintero_error, is_retryable_status, snippet};
use crate::retry::{Retrier, RetryPolicy, retry_after};
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use reqwest::StatusCode;
use reqwest::header::{HeaderValue, LOCATION};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// A secret string (a client secret or a token): redacted in `Debug`, never `Display`ed.
#[derive(Clone)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Arc::from(value.into()))
    }

    /// The secret itself; the one place it leaves this type.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl<S: Into<String>> From<S> for Secret {
    fn from(value: S) -> Self {
        Self::new(value)
    }
}

/// How the client authenticates.
#[derive(Clone, Debug)]
pub(crate) enum Credentials {
    /// A token obtained elsewhere; it cannot be renewed.
    Bearer(Secret),
    /// A client id and secret, exchanged for tokens as needed.
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
    },
}

/// What a token with a lifetime of 0 or less is trusted for. Taken literally, every call would
/// fetch a token of its own; instead the token is reused for this long, and should the API
/// refuse it earlier, the 401 renewal replaces it. A positive lifetime, however short, is
/// honoured as given.
pub(crate) const NONPOSITIVE_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// The longest: a token is renewed at least once a day, whatever `expires_in` claims.
pub(crate) const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// What a token response without `expires_in` is taken to mean.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);

/// An access token and when to stop using it.
pub(crate) struct Token {
    header: HeaderValue,
    renew_at: Option<Instant>,
}

impl Token {
    fn new(token: &str, lifetime: Option<Duration>) -> Result<Self, AuthError> {
        let mut header = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| {
            // Asking again would get the same token: not retryable.
            AuthError::new(
                "the access token holds characters not allowed in a header",
                false,
            )
        })?;
        header.set_sensitive(true);
        // Renew a tenth of the lifetime early, but at most five minutes early.
        let renew_at = lifetime.map(|life| {
            let margin = (life / 10).min(Duration::from_secs(300));
            let now = Instant::now();
            now.checked_add(life - margin).unwrap_or(now)
        });
        Ok(Self { header, renew_at })
    }

    /// The `Authorization` header value, marked sensitive.
    pub(crate) fn header(&self) -> &HeaderValue {
        &self.header
    }

    fn is_fresh(&self) -> bool {
        self.renew_at.is_none_or(|at| Instant::now() < at)
    }
}

/// How long to trust a token whose response said `expires_in` (seconds, any JSON number).
pub(crate) fn lifetime(expires_in: Option<f64>) -> Duration {
    match expires_in {
        None => DEFAULT_TOKEN_LIFETIME,
        Some(seconds) if seconds.is_nan() => DEFAULT_TOKEN_LIFETIME,
        Some(seconds) if seconds <= 0.0 => NONPOSITIVE_TOKEN_LIFETIME,
        Some(seconds) => Duration::try_from_secs_f64(seconds)
            .unwrap_or(MAX_TOKEN_LIFETIME)
            .min(MAX_TOKEN_LIFETIME),
    }
}

type TokenResult = Result<Arc<Token>, AuthError>;
type SharedFetch = Shared<BoxFuture<'static, TokenResult>>;

#[derive(Default)]
struct State {
    current: Option<Arc<Token>>,
    /// The token request in flight, shared by everybody waiting for it.
    in_flight: Option<SharedFetch>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Gives out tokens: the static one, or cached client-credentials tokens.
pub(crate) struct TokenSource {
    /// `None` for a static bearer token.
    fetcher: Option<Arc<Fetcher>>,
    state: Arc<Mutex<State>>,
}

/// Everything one token request needs, owned, so that the shared future can be `'static`.
struct Fetcher {
    client_id: String,
    client_secret: Secret,
    token_url: String,
    audience: String,
    http: reqwest::Client,
    policy: RetryPolicy,
    max_body_bytes: usize,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("TokenSource");
        match &self.fetcher {
            Some(fetcher) => s
                .field("client_id", &fetcher.client_id)
                .field("client_secret", &fetcher.client_secret)
                .field("token_url", &fetcher.token_url)
                .field("audience", &fetcher.audience),
            None => s.field("bearer", &"<redacted>"),
        };
        s.finish_non_exhaustive()
    }
}

/// Where and how tokens are fetched.
pub(crate) struct TokenEndpoint {
    pub token_url: String,
    pub audience: String,
    pub http: reqwest::Client,
    pub policy: RetryPolicy,
    pub max_body_bytes: usize,
}

impl TokenSource {
    pub(crate) fn new(
        credentials: Credentials,
        endpoint: TokenEndpoint,
    ) -> Result<Self, AuthError> {
        let (fetcher, current) = match credentials {
            Credentials::Bearer(token) => (None, Some(Arc::new(Token::new(token.expose(), None)?))),
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => {
                let fetcher = Fetcher {
                    client_id,
                    client_secret,
                    token_url: endpoint.token_url,
                    audience: endpoint.audience,
                    http: endpoint.http,
                    policy: endpoint.policy,
                    max_body_bytes: endpoint.max_body_bytes,
                };
                (Some(Arc::new(fetcher)), None)
            }
        };
        Ok(Self {
            fetcher,
            state: Arc::new(Mutex::new(State {
                current,
                in_flight: None,
            })),
        })
    }

    /// The request this source sends for a new token, built and not sent, and the audience it
    /// names: for the doctor, which must see the token endpoint's answer as it is, and sends it
    /// exactly as the client would. `None` for a static bearer token.
    pub(crate) fn token_request(&self) -> Option<(reqwest::RequestBuilder, &str)> {
        let fetcher = self.fetcher.as_ref()?;
        Some((fetcher.request(), fetcher.audience.as_str()))
    }

    /// Whether a rejected token can be replaced by a new one.
    pub(crate) fn can_renew(&self) -> bool {
        self.fetcher.is_some()
    }

    /// A token that is valid for a while yet, waiting at most until `deadline` for a token
    /// request (one already in flight, or a new one).
    pub(crate) async fn token(&self, deadline: Option<Instant>) -> TokenResult {
        let fetch = {
            let mut state = lock(&self.state);
            if let Some(token) = state.current.as_ref().filter(|t| t.is_fresh()) {
                return Ok(token.clone());
            }
            match (&state.in_flight, &self.fetcher) {
                (Some(in_flight), _) => in_flight.clone(),
                (None, Some(fetcher)) => {
                    let fetch = start_fetch(fetcher.clone(), Arc::downgrade(&self.state));
                    state.in_flight = Some(fetch.clone());
                    fetch
                }
                (None, None) => {
                    return Err(AuthError::new(
                        "the bearer token was rejected, and a static token cannot be renewed",
                        false,
                    ));
                }
            }
        };
        match deadline {
            None => fetch.await,
            Some(deadline) => tokio::time::timeout_at(deadline.into(), fetch)
                .await
                .unwrap_or_else(|_| {
                    Err(AuthError {
                        timed_out: true,
                        ..AuthError::new(
                            "timed out waiting for an access token (the call's time budget ran out)",
                            false,
                        )
                    })
                }),
        }
    }

    /// Replaces `rejected`, which the API refused with a 401, unless another call already did,
    /// and returns the token to use now.
    pub(crate) async fn renew(
        &self,
        rejected: &Arc<Token>,
        deadline: Option<Instant>,
    ) -> TokenResult {
        {
            let mut state = lock(&self.state);
            if state
                .current
                .as_ref()
                .is_some_and(|t| Arc::ptr_eq(t, rejected))
            {
                state.current = None;
            }
        }
        self.token(deadline).await
    }
}

/// Starts the one token request; when it ends, it caches a new token and clears itself.
fn start_fetch(fetcher: Arc<Fetcher>, state: std::sync::Weak<Mutex<State>>) -> SharedFetch {
    async move {
        let result = fetcher.fetch_with_retries().await.map(Arc::new);
        if let Some(state) = state.upgrade() {
            let mut state = lock(&state);
            if let Ok(token) = &result {
                state.current = Some(token.clone());
            }
            state.in_flight = None;
        }
        result
    }
    .boxed()
    .shared()
}

impl Fetcher {
    /// Asks for a token, retrying under the client's retry policy.
    async fn fetch_with_retries(&self) -> Result<Token, AuthError> {
        let mut retrier = Retrier::new(&self.policy);
        loop {
            let error = match self.fetch_once().await {
                Ok(token) => return Ok(token),
                Err(error) => error,
            };
            if !error.retryable {
                return Err(error);
            }
            let Some(wait) = retrier.next_wait(error.retry_after) else {
                return Err(error);
            };
            tracing::debug!(wait_ms = wait.as_millis() as u64, error = %error, "retrying the token request");
            tokio::time::sleep(wait).await;
        }
    }

    /// The token request, built and not sent.
    fn request(&self) -> reqwest::RequestBuilder {
        self.http
            .post(&self.token_url)
            .basic_auth(&self.client_id, Some(self.client_secret.expose()))
            .json(&serde_json::json!({
                "grant_type": "client_credentials",
                "audience": self.audience,
            }))
    }

    async fn fetch_once(&self) -> Result<Token, AuthError> {
        let span = tracing::debug_span!("dintero_products.token", status = tracing::field::Empty);
        let response = self
            .request()
            .send()
            .instrument(span.clone())
            .await
            .map_err(|e| AuthError {
                timed_out: e.is_timeout(),
                ..transport_failure("could not reach the token endpoint", e, None)
            })?;
        let status = response.status();
        span.record("status", status.as_u16());
        if status.is_redirection() {
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(|l| format!(" to {l:?}"))
                .unwrap_or_default();
            return Err(AuthError {
                status: Some(status),
                ..AuthError::new(
                    format!(
                        "the token endpoint answered {status} (a redirect{location}); redirects are not followed"
                    ),
                    false,
                )
            });
        }
        let asked_to_wait = retry_after(response.headers());
        let body = body::read(body::limited(response, self.max_body_bytes))
            .await
            .map_err(|e| match e {
                body::ReadError::TooLarge { status, limit } => AuthError {
                    status: Some(status),
                    ..AuthError::new(
                        format!("the token response is larger than {limit} bytes"),
                        false,
                    )
                },
                body::ReadError::Transport { status, source } => {
                    transport_failure("could not read the token response", source, Some(status))
                }
            })?;
        if !status.is_success() {
            let message =
                dintero_error(&body).map_or_else(|| snippet(&body), |(_, message)| message);
            return Err(AuthError {
                status: Some(status),
                retry_after: asked_to_wait,
                ..AuthError::new(
                    format!("the token endpoint answered {status}: {message}"),
                    is_retryable_status(status),
                )
            });
        }
        let parsed = parse_token_response(&body).map_err(|message| AuthError {
            status: Some(status),
            ..AuthError::new(message, false)
        })?;
        Token::new(&parsed.access_token, Some(lifetime(parsed.expires_in))).map_err(|e| AuthError {
            status: Some(status),
            ..e
        })
    }
}

fn transport_failure(what: &str, source: reqwest::Error, status: Option<StatusCode>) -> AuthError {
    AuthError {
        status,
        timed_out: source.is_timeout(),
        ..AuthError::new(
            if source.is_timeout() {
                "the token request timed out"
            } else {
                what
            },
            true,
        )
    }
    .with_source(source)
}

impl AuthError {
    fn with_source(mut self, source: reqwest::Error) -> Self {
        self.source = Some(Arc::new(source));
        self
    }
}

/// What a token response holds that matters here.
#[derive(Debug, PartialEq)]
pub(crate) struct AccessToken {
    pub access_token: String,
    /// Seconds, as sent: any JSON number (negative, fractional, huge) is accepted and clamped
    /// later by [`lifetime`]; anything else counts as absent.
    pub expires_in: Option<f64>,
}

/// Parses a token response body; the error says what is wrong without echoing the token.
pub(crate) fn parse_token_response(body: &[u8]) -> Result<AccessToken, String> {
    #[derive(serde::Deserialize)]
    struct Raw {
        access_token: String,
        #[serde(default)]
        expires_in: Option<serde_json::Value>,
    }
    // serde's message may quote the offending value, which could be the token itself: say
    // only where the body went wrong.
    let raw: Raw = serde_json::from_slice(body).map_err(|e| {
        format!(
            "the token response is not an access token ({:?} error at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        )
    })?;
    Ok(AccessToken {
        access_token: raw.access_token,
        expires_in: raw.expires_in.as_ref().and_then(serde_json::Value::as_f64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        let credentials = Credentials::ClientCredentials {
            client_id: "id".into(),
            client_secret: secret,
        };
        assert!(!format!("{credentials:?}").contains("hunter2"));
        let token = Token::new("eyJ.secret.jwt", None).unwrap();
        assert!(token.header().is_sensitive());
        assert!(!format!("{:?}", token.header()).contains("eyJ"));
    }

    #[test]
    fn tokens_renew_ahead_of_expiry() {
        let long = Token::new("t", Some(Duration::from_secs(600))).unwrap();
        assert!(long.is_fresh());
        let expired = Token::new("t", Some(Duration::ZERO)).unwrap();
        assert!(!expired.is_fresh());
    }

    #[test]
    fn lifetimes_are_clamped() {
        assert_eq!(lifetime(Some(14_400.0)), Duration::from_secs(14_400));
        assert_eq!(lifetime(Some(1.5)), Duration::from_millis(1500));
        assert_eq!(lifetime(Some(0.0)), NONPOSITIVE_TOKEN_LIFETIME);
        assert_eq!(lifetime(Some(-5.0)), NONPOSITIVE_TOKEN_LIFETIME);
        assert_eq!(
            lifetime(Some(f64::NEG_INFINITY)),
            NONPOSITIVE_TOKEN_LIFETIME
        );
        assert_eq!(lifetime(Some(u64::MAX as f64)), MAX_TOKEN_LIFETIME);
        assert_eq!(lifetime(Some(f64::INFINITY)), MAX_TOKEN_LIFETIME);
        // Without a usable `expires_in`, an hour: what OAuth servers commonly give, and what
        // the README promises (a non-number counts as absent).
        let hour = Duration::from_secs(3600);
        assert_eq!(lifetime(Some(f64::NAN)), hour);
        assert_eq!(lifetime(None), hour);
    }

    #[test]
    fn token_responses_take_any_number() {
        let parsed =
            parse_token_response(br#"{"access_token":"a","expires_in":18446744073709551615}"#)
                .unwrap();
        assert_eq!(lifetime(parsed.expires_in), MAX_TOKEN_LIFETIME);
        let parsed = parse_token_response(br#"{"access_token":"a","expires_in":-1}"#).unwrap();
        assert_eq!(lifetime(parsed.expires_in), NONPOSITIVE_TOKEN_LIFETIME);
        let parsed = parse_token_response(br#"{"access_token":"a","expires_in":"soon"}"#).unwrap();
        assert_eq!(parsed.expires_in, None);
        let error = parse_token_response(br#"{"access_token":["the-secret-token"]}"#).unwrap_err();
        assert!(!error.contains("the-secret-token"), "{error}");
    }

    fn any_json_number() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        prop_oneof![
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            any::<String>().prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
            Just(serde_json::json!({"nested": [1]})),
        ]
    }

    proptest::proptest! {
        /// Whatever a token endpoint answers with a 200, parsing it and building the token
        /// never panic; the lifetime is always within bounds; a token that cannot go in a header
        /// is an error that is not retried.
        #[test]
        fn any_token_response_is_handled(
            access_token in proptest::prelude::any::<String>(),
            expires_in in any_json_number(),
            with_expiry in proptest::prelude::any::<bool>(),
            junk in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            let _ = parse_token_response(&junk);
            let mut body = serde_json::json!({"access_token": access_token, "token_type": "Bearer"});
            if with_expiry {
                body["expires_in"] = expires_in;
            }
            if let Ok(parsed) = parse_token_response(body.to_string().as_bytes()) {
                let life = lifetime(parsed.expires_in);
                proptest::prop_assert!(life <= MAX_TOKEN_LIFETIME);
                match Token::new(&parsed.access_token, Some(life)) {
                    Ok(token) => proptest::prop_assert!(token.header().is_sensitive()),
                    Err(error) => {
                        proptest::prop_assert!(!error.is_retryable());
                        proptest::prop_assert!(!error.to_string().contains(&parsed.access_token) || parsed.access_token.is_empty());
                    }
                }
            }
        }
    }
}
