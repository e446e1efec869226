//! Credentials and the access-token cache.
//!
//! With client credentials, the token comes from `POST {base}/accounts/{aid}/auth/token` (HTTP
//! Basic `client_id:client_secret`, body `{"grant_type":"client_credentials","audience":
//! "{base}/accounts/{aid}"}`), is cached, and is renewed ahead of its `expires_in`. Renewal is
//! single-flight: however many calls need a token at once, one request fetches it.

use crate::error::{Error, dintero_error, snippet};
use reqwest::header::HeaderValue;
use std::fmt;
use std::sync::{Arc, RwLock};
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

/// An access token and when to stop using it.
pub(crate) struct Token {
    header: HeaderValue,
    renew_at: Option<Instant>,
}

impl Token {
    fn new(token: &str, lifetime: Option<Duration>) -> Result<Self, Error> {
        let mut header =
            HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| Error::Auth {
                status: None,
                message: "the access token holds characters not allowed in a header".into(),
            })?;
        header.set_sensitive(true);
        // Renew a tenth of the lifetime early, but at most five minutes early.
        let renew_at = lifetime.map(|life| {
            let margin = (life / 10).min(Duration::from_secs(300));
            Instant::now() + life - margin
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

/// Gives out tokens: the static one, or cached client-credentials tokens.
pub(crate) struct TokenSource {
    credentials: Credentials,
    token_url: String,
    audience: String,
    http: reqwest::Client,
    current: RwLock<Option<Arc<Token>>>,
    /// Held while fetching, so concurrent callers wait for one fetch instead of each starting one.
    fetching: tokio::sync::Mutex<()>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("credentials", &self.credentials)
            .field("token_url", &self.token_url)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    pub(crate) fn new(
        credentials: Credentials,
        account_base: &str,
        http: reqwest::Client,
    ) -> Result<Self, Error> {
        let current = match &credentials {
            Credentials::Bearer(token) => Some(Arc::new(Token::new(token.expose(), None)?)),
            Credentials::ClientCredentials { .. } => None,
        };
        Ok(Self {
            credentials,
            token_url: format!("{account_base}/auth/token"),
            audience: account_base.to_string(),
            http,
            current: RwLock::new(current),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// Whether a rejected token can be replaced by a new one.
    pub(crate) fn can_renew(&self) -> bool {
        matches!(self.credentials, Credentials::ClientCredentials { .. })
    }

    fn cached(&self) -> Option<Arc<Token>> {
        let current = self
            .current
            .read()
            .unwrap_or_else(|poison| poison.into_inner());
        current.as_ref().filter(|t| t.is_fresh()).cloned()
    }

    /// A token that is valid for a while yet.
    pub(crate) async fn token(&self) -> Result<Arc<Token>, Error> {
        if let Some(token) = self.cached() {
            return Ok(token);
        }
        let _fetching = self.fetching.lock().await;
        if let Some(token) = self.cached() {
            return Ok(token); // another caller fetched it while we waited
        }
        self.fetch().await
    }

    /// Replaces `rejected`, which the API refused with a 401, unless another call already did.
    pub(crate) async fn renew(&self, rejected: &Arc<Token>) -> Result<(), Error> {
        let _fetching = self.fetching.lock().await;
        let already_replaced = {
            let current = self
                .current
                .read()
                .unwrap_or_else(|poison| poison.into_inner());
            current.as_ref().is_some_and(|t| !Arc::ptr_eq(t, rejected))
        };
        if !already_replaced {
            self.fetch().await?;
        }
        Ok(())
    }

    /// Fetches a token and caches it. Callers hold `fetching`.
    async fn fetch(&self) -> Result<Arc<Token>, Error> {
        let Credentials::ClientCredentials {
            client_id,
            client_secret,
        } = &self.credentials
        else {
            return Err(Error::Auth {
                status: None,
                message: "the bearer token was rejected, and a static token cannot be renewed"
                    .into(),
            });
        };
        let span = tracing::debug_span!("dintero_products.token", status = tracing::field::Empty);
        let response = self
            .http
            .post(&self.token_url)
            .basic_auth(client_id, Some(client_secret.expose()))
            .json(&serde_json::json!({
                "grant_type": "client_credentials",
                "audience": self.audience,
            }))
            .send()
            .instrument(span.clone())
            .await
            .map_err(|e| Error::Auth {
                status: None,
                message: format!("could not reach the token endpoint: {e}"),
            })?;
        let status = response.status();
        span.record("status", status.as_u16());
        let body = response.bytes().await.map_err(|e| Error::Auth {
            status: Some(status),
            message: format!("could not read the token response: {e}"),
        })?;
        if !status.is_success() {
            let message =
                dintero_error(&body).map_or_else(|| snippet(&body), |(_, message)| message);
            return Err(Error::Auth {
                status: Some(status),
                message: format!("the token endpoint answered {status}: {message}"),
            });
        }
        #[derive(serde::Deserialize)]
        struct AccessToken {
            access_token: String,
            expires_in: Option<u64>,
        }
        let parsed: AccessToken = serde_json::from_slice(&body).map_err(|e| Error::Auth {
            status: Some(status),
            message: format!("the token response is not an access token: {e}"),
        })?;
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
        let token = Arc::new(Token::new(&parsed.access_token, Some(lifetime))?);
        *self
            .current
            .write()
            .unwrap_or_else(|poison| poison.into_inner()) = Some(token.clone());
        Ok(token)
    }
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
        let short = Token::new("t", Some(Duration::from_secs(10))).unwrap();
        assert!(short.is_fresh());
        let expired = Token::new("t", Some(Duration::ZERO)).unwrap();
        assert!(!expired.is_fresh());
    }
}
