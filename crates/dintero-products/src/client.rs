//! The [`Client`] and its builder.

use crate::auth::{Credentials, Secret, TokenSource};
use crate::error::{Error, Result};
use crate::ids::{AccountId, CatalogId, IntoChecked};
use crate::resources::{Catalogs, Groups, Products};
use crate::retry::RetryPolicy;
use crate::transport::{self, Operation};
use dintero_products_client::{ResponseValue, types};
use serde::de::DeserializeOwned;
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Where the API lives.
pub const DEFAULT_BASE_URL: &str = "https://api.dintero.com/v1";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for one Dintero account. Cheap to clone: clones share the connection pool, the
/// token cache and the settings.
///
/// ```no_run
/// # async fn run() -> Result<(), dintero_products::Error> {
/// use dintero_products::Client;
///
/// let client = Client::builder()
///     .account_id("T12345678")?
///     .client_credentials("my-client-id", "my-client-secret")
///     .build()?;
/// let catalogs = client.catalogs().list().limit(20).send().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    /// Kept outside the `Arc` so that [`Client::with_retry_policy`] is a cheap per-call override.
    retry: RetryPolicy,
}

struct Inner {
    raw: dintero_products_client::Client,
    account: AccountId,
    tokens: Arc<TokenSource>,
    base_url: String,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("account", &self.inner.account)
            .field("base_url", &self.inner.base_url)
            .field("tokens", &self.inner.tokens)
            .field("retry", &self.retry)
            .finish()
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: `DINTERO_ACCOUNT_ID`, `DINTERO_CLIENT_ID`,
    /// `DINTERO_CLIENT_SECRET`, and optionally `DINTERO_BASE_URL`.
    pub fn from_env() -> Result<Client> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let missing =
            |name: &str| Error::Config(format!("the environment variable {name} is not set"));
        let mut builder = Client::builder()
            .account_id(var("DINTERO_ACCOUNT_ID").ok_or_else(|| missing("DINTERO_ACCOUNT_ID"))?)?
            .client_credentials(
                var("DINTERO_CLIENT_ID").ok_or_else(|| missing("DINTERO_CLIENT_ID"))?,
                var("DINTERO_CLIENT_SECRET").ok_or_else(|| missing("DINTERO_CLIENT_SECRET"))?,
            );
        if let Some(url) = var("DINTERO_BASE_URL") {
            builder = builder.base_url(url);
        }
        builder.build()
    }

    /// This client with another retry policy, for the calls made through it; the connection
    /// pool and the token cache stay shared.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use dintero_products::RetryPolicy;
    ///
    /// // This one lookup may not wait: no retries.
    /// let group = client.with_retry_policy(RetryPolicy::none()).groups().get("B1").await?;
    /// # Ok(()) }
    /// ```
    pub fn with_retry_policy(&self, policy: RetryPolicy) -> Client {
        Client {
            inner: self.inner.clone(),
            retry: policy,
        }
    }

    /// The account this client works on.
    pub fn account_id(&self) -> &AccountId {
        &self.inner.account
    }

    /// The API's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The account's catalogs.
    pub fn catalogs(&self) -> Catalogs {
        Catalogs::new(self.clone())
    }

    /// The account's product groups.
    pub fn groups(&self) -> Groups {
        Groups::new(self.clone())
    }

    /// The products of one catalog. An invalid id is reported by the first call, before any
    /// request.
    pub fn products<C: IntoChecked<CatalogId>>(&self, catalog: C) -> Products {
        Products::new(self.clone(), catalog.into_checked())
    }

    /// The generated client, for anything this crate does not wrap. Its calls are
    /// authenticated, but not retried, and return the generated error type.
    pub fn raw(&self) -> &dintero_products_client::Client {
        &self.inner.raw
    }

    /// Runs one generated call with authentication, the 401 renewal, retries and tracing.
    pub(crate) async fn call<T, F, Fut>(&self, op: Operation, send: F) -> Result<T>
    where
        T: DeserializeOwned,
        F: Fn() -> Fut,
        Fut:
            Future<Output = Result<ResponseValue<T>, dintero_products_client::Error<types::Error>>>,
    {
        transport::call(&self.inner.tokens, &self.retry, op, send).await
    }
}

/// Configures a [`Client`]; see [`Client::builder`].
#[derive(Default)]
#[must_use]
pub struct ClientBuilder {
    account: Option<AccountId>,
    credentials: Option<Credentials>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: Option<String>,
    http: Option<reqwest::Client>,
    retry: Option<RetryPolicy>,
    allow_http: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("account", &self.account)
            .field("credentials", &self.credentials)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The account to work on: `T` or `P` followed by 8 digits.
    pub fn account_id<A: IntoChecked<AccountId>>(mut self, account: A) -> Result<Self> {
        self.account = Some(account.into_checked()?);
        Ok(self)
    }

    /// Authenticate with a client id and secret; tokens are fetched, cached and renewed.
    pub fn client_credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        self.credentials = Some(Credentials::ClientCredentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        });
        self
    }

    /// Authenticate with a token obtained elsewhere. It is sent as it is and never renewed.
    pub fn bearer_token(mut self, token: impl Into<Secret>) -> Self {
        self.credentials = Some(Credentials::Bearer(token.into()));
        self
    }

    /// Another base URL, such as a test server's (default: [`DEFAULT_BASE_URL`]). It must be
    /// `https`, except on loopback or with [`allow_insecure_http`](Self::allow_insecure_http).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Allow a plain-`http` base URL that is not on loopback. Credentials then cross the
    /// network in clear text; use it only inside a trusted network.
    pub fn allow_insecure_http(mut self) -> Self {
        self.allow_http = true;
        self
    }

    /// The longest one HTTP attempt may take, from connecting to the end of the body (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The longest connecting may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The `User-Agent` header (default: `dintero-products-rust/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// When and how calls are retried (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Use this `reqwest::Client` (its own timeouts and user agent then apply).
    pub fn reqwest_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client> {
        let account = self.account.ok_or_else(|| {
            Error::Config("no account id: call `.account_id(..)` or set DINTERO_ACCOUNT_ID".into())
        })?;
        let credentials = self.credentials.ok_or_else(|| {
            Error::Config(
                "no credentials: call `.client_credentials(..)` or `.bearer_token(..)`".into(),
            )
        })?;
        let base_url = checked_base_url(
            self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
            self.allow_http,
        )?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(self.timeout.unwrap_or(DEFAULT_TIMEOUT))
                .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .user_agent(self.user_agent.unwrap_or_else(|| {
                    concat!("dintero-products-rust/", env!("CARGO_PKG_VERSION")).into()
                }))
                .build()
                .map_err(|e| Error::Config(format!("could not set up HTTP: {e}")))?,
        };
        let account_base = format!("{base_url}/accounts/{}", account.as_str());
        let tokens = Arc::new(TokenSource::new(credentials, &account_base, http.clone())?);
        let hooks = dintero_products_client::Hooks::new(transport::Hooks {
            tokens: tokens.clone(),
        });
        let raw = dintero_products_client::Client::new_with_client(&base_url, http, hooks);
        Ok(Client {
            inner: Arc::new(Inner {
                raw,
                account,
                tokens,
                base_url,
            }),
            retry: self.retry.unwrap_or_default(),
        })
    }
}

/// The base URL without a trailing slash, if it is safe to send credentials to.
fn checked_base_url(url: &str, allow_http: bool) -> Result<String> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| Error::Config(format!("base URL {url:?}: {e}")))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => {}
        "http" if loopback || allow_http => {}
        "http" => {
            return Err(Error::Config(format!(
                "base URL {url:?} is plain http off loopback; use https, or `.allow_insecure_http()` inside a trusted network"
            )));
        }
        other => {
            return Err(Error::Config(format!(
                "base URL {url:?}: unsupported scheme {other:?}"
            )));
        }
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL {url:?} must not have a query or fragment"
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_and_their_handles_cross_threads() {
        fn send_sync<T: Send + Sync + Clone + 'static>() {}
        send_sync::<Client>();
        send_sync::<Catalogs>();
        send_sync::<Groups>();
        send_sync::<Products>();
    }

    #[test]
    fn base_urls_must_be_safe_for_credentials() {
        assert_eq!(
            checked_base_url("https://api.dintero.com/v1/", false).unwrap(),
            "https://api.dintero.com/v1"
        );
        for loopback in [
            "http://127.0.0.1:8080",
            "http://localhost:1/v1",
            "http://[::1]:9",
        ] {
            assert!(checked_base_url(loopback, false).is_ok(), "{loopback}");
        }
        let err = checked_base_url("http://api.example.com", false).unwrap_err();
        assert!(err.to_string().contains("allow_insecure_http"), "{err}");
        assert!(checked_base_url("http://api.example.com", true).is_ok());
        assert!(checked_base_url("ftp://x", true).is_err());
        assert!(checked_base_url("not a url", true).is_err());
    }

    #[test]
    fn build_names_what_is_missing() {
        let err = Client::builder().build().unwrap_err();
        assert!(err.to_string().contains("no account id"), "{err}");
        let err = Client::builder()
            .account_id("T12345678")
            .unwrap()
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("no credentials"), "{err}");
        let err = Client::builder().account_id("T1234").unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    }

    #[test]
    fn debug_output_has_no_secrets() {
        let client = Client::builder()
            .account_id("T12345678")
            .unwrap()
            .client_credentials("id", "super-secret-value")
            .build()
            .unwrap();
        let shown = format!("{client:?}");
        assert!(!shown.contains("super-secret-value"), "{shown}");
        assert!(shown.contains("T12345678"), "{shown}");
    }
}
