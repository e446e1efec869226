//! The [`Client`] and its builder.

use crate::auth::{Credentials, Secret, TokenEndpoint, TokenSource};
use crate::body::DEFAULT_MAX_BODY_BYTES;
use crate::doctor::{ApiFacts, Fact};
use crate::error::{Error, InvalidInput, Result};
use crate::ids::{AccountId, CatalogId, IntoChecked};
use crate::limiter::RateLimiter;
use crate::resources::{Catalogs, Groups, Products};
use crate::retry::RetryPolicy;
use crate::transport;
use dintero_products_client::{ResponseValue, types};
use serde::de::DeserializeOwned;
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, LazyLock};
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
///     .account_id("T12345678")
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
    /// Likewise for [`Client::with_rate_limiter`].
    limiter: Option<RateLimiter>,
}

struct Inner {
    raw: dintero_products_client::Client,
    account: AccountId,
    tokens: Arc<TokenSource>,
    base_url: String,
    facts: Option<ApiFacts>,
    /// The `GET` routes the facts said exist and that answered as missing: one bit per
    /// route ([`route_bit`]). Shared by clones, so a stale fact costs one extra request per
    /// client, not one per call.
    routes_gone: AtomicU8,
}

/// Facts for a client given none: every behaviour on the SDK's safe assumptions.
static NO_FACTS: LazyLock<ApiFacts> = LazyLock::new(ApiFacts::default);

fn route_bit(route: Fact) -> u8 {
    match route {
        Fact::RouteGetCatalog => 1,
        Fact::RouteGetGroup => 2,
        Fact::RouteGetProduct => 4,
        _ => 0,
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("account", &self.inner.account)
            .field("base_url", &self.inner.base_url)
            .field("tokens", &self.inner.tokens)
            .field("retry", &self.retry)
            .field("limiter", &self.limiter)
            .field("api_facts", &self.inner.facts.is_some())
            .finish()
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: `DINTERO_ACCOUNT_ID`, `DINTERO_CLIENT_ID`,
    /// `DINTERO_CLIENT_SECRET`, and optionally `DINTERO_BASE_URL`, `DINTERO_AUDIENCE` and
    /// `DINTERO_API_FACTS` (see [`ClientBuilder::from_env`]).
    pub fn from_env() -> Result<Client> {
        ClientBuilder::from_env().build()
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
            retry: policy,
            ..self.clone()
        }
    }

    /// This client with a send rate shared by every call made through it (and its clones): a
    /// 429 pauses them all until `Retry-After` has passed and slows them to the rate the server
    /// let through, and a 429 no longer counts as one of a call's attempts (the time budget
    /// still bounds it). Bulk writes and syncs use one per job.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use dintero_products::RateLimiter;
    ///
    /// let shared = RateLimiter::adaptive();
    /// let polite = client.with_rate_limiter(shared.clone());
    /// polite.catalogs().list().send().await?;
    /// println!("{:?} requests per second", shared.rate());
    /// # Ok(()) }
    /// ```
    pub fn with_rate_limiter(&self, limiter: RateLimiter) -> Client {
        Client {
            limiter: Some(limiter),
            ..self.clone()
        }
    }

    /// The retry policy calls through this client follow.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The account this client works on.
    pub fn account_id(&self) -> &AccountId {
        &self.inner.account
    }

    /// The API's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The facts this client was given ([`ClientBuilder::api_facts`], `DINTERO_API_FACTS`);
    /// `None` when it was given none and every behaviour rests on the SDK's assumptions.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use dintero_products::{ApiFacts, Client, Fact};
    ///
    /// let client = Client::builder()
    ///     .account_id("T12345678")
    ///     .client_credentials("my-client-id", "my-client-secret")
    ///     .api_facts(ApiFacts::load("api-facts.json")?)
    ///     .build()?;
    /// let facts = client.api_facts().expect("given above");
    /// println!("update.groups: {:?}", facts.observed_str(Fact::UpdateGroups));
    /// # Ok(()) }
    /// ```
    pub fn api_facts(&self) -> Option<&ApiFacts> {
        self.inner.facts.as_ref()
    }

    /// The facts that decide the behaviours resting on a guess: the ones given, else none.
    pub(crate) fn facts(&self) -> &ApiFacts {
        self.inner.facts.as_ref().unwrap_or(&NO_FACTS)
    }

    /// Whether to get one object by the `GET` route of `route` (a `route.get_*` fact): the
    /// facts say it exists, and it has not answered as missing since.
    pub(crate) fn uses_get_route(&self, route: Fact) -> bool {
        self.facts().route_exists(route)
            && self.inner.routes_gone.load(Ordering::Relaxed) & route_bit(route) == 0
    }

    /// The `GET` route of `route` answered as missing though the facts say it exists: the
    /// facts are stale there, and this client (its clones too) goes back to the list.
    pub(crate) fn route_gone(&self, route: Fact) {
        self.inner
            .routes_gone
            .fetch_or(route_bit(route), Ordering::Relaxed);
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
    /// authenticated and their bodies limited, but they are not retried, and they return the
    /// generated error type.
    pub fn raw(&self) -> &dintero_products_client::Client {
        &self.inner.raw
    }

    /// The token source, for the doctor's probes: they send their own requests, with this
    /// client's credentials.
    pub(crate) fn tokens(&self) -> &TokenSource {
        &self.inner.tokens
    }

    /// Runs one generated call with authentication, the 401 renewal, retries and tracing.
    pub(crate) async fn call<T, F, Fut>(&self, send: F) -> Result<T>
    where
        T: DeserializeOwned,
        F: Fn() -> Fut,
        Fut: Future<
            Output = Result<ResponseValue<T>, dintero_products_client::Error<types::ErrorBody>>,
        >,
    {
        transport::call(&self.inner.tokens, &self.retry, self.limiter.as_ref(), send).await
    }
}

/// Configures a [`Client`]; see [`Client::builder`].
///
/// Setters never fail: a value that cannot be used (an invalid account id, a base URL holding
/// credentials) is kept as an error and reported by [`build`](Self::build), as `reqwest`'s
/// builder does, so a configuration reads as one chain.
#[derive(Default)]
#[must_use]
pub struct ClientBuilder {
    account: Option<Result<AccountId, InvalidInput>>,
    credentials: Option<Credentials>,
    base_url: Option<Result<String, Error>>,
    audience: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: Option<String>,
    http: Option<reqwest::Client>,
    retry: Option<RetryPolicy>,
    max_body_bytes: Option<usize>,
    allow_http: bool,
    api_facts: Option<Result<ApiFacts, Error>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("account", &self.account)
            .field("credentials", &self.credentials)
            .field("base_url", &self.base_url)
            .field("audience", &self.audience)
            .field("api_facts", &self.api_facts.as_ref().map(|f| f.is_ok()))
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A builder with what the environment sets: `DINTERO_ACCOUNT_ID`, `DINTERO_CLIENT_ID` and
    /// `DINTERO_CLIENT_SECRET`, and, when set, `DINTERO_BASE_URL`, `DINTERO_AUDIENCE` and
    /// `DINTERO_API_FACTS` (the path of a file saved by [`ApiFacts::save`], read now; see
    /// [`api_facts`](Self::api_facts)). A variable that is missing or empty is reported by
    /// [`build`](Self::build) (unless a later setter supplies the value), and so is a facts
    /// file that cannot be read or is not saved facts, naming the file and the variable.
    pub fn from_env() -> ClientBuilder {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) over any source of variables: for a program that reads
    /// its settings elsewhere, or a test (the process's environment is shared by every
    /// thread).
    ///
    /// ```
    /// use dintero_products::ClientBuilder;
    /// use std::collections::HashMap;
    ///
    /// let vars = HashMap::from([
    ///     ("DINTERO_ACCOUNT_ID", "T12345678"),
    ///     ("DINTERO_CLIENT_ID", "id"),
    ///     ("DINTERO_CLIENT_SECRET", "secret"),
    ///     ("DINTERO_API_FACTS", "/no/such/api-facts.json"),
    /// ]);
    /// let error = ClientBuilder::from_vars(|name| vars.get(name).map(|v| v.to_string()))
    ///     .build()
    ///     .unwrap_err();
    /// assert!(error.to_string().contains("DINTERO_API_FACTS"), "{error}");
    /// assert!(error.to_string().contains("/no/such/api-facts.json"), "{error}");
    /// ```
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> ClientBuilder {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut builder = Client::builder();
        if let Some(account) = var("DINTERO_ACCOUNT_ID") {
            builder = builder.account_id(account);
        }
        if let (Some(id), Some(secret)) = (var("DINTERO_CLIENT_ID"), var("DINTERO_CLIENT_SECRET")) {
            builder = builder.client_credentials(id, secret);
        }
        if let Some(url) = var("DINTERO_BASE_URL") {
            builder = builder.base_url(url);
        }
        if let Some(audience) = var("DINTERO_AUDIENCE") {
            builder = builder.audience(audience);
        }
        if let Some(path) = var("DINTERO_API_FACTS") {
            builder.api_facts = Some(load_facts(&path));
        }
        builder
    }

    /// What a [doctor](Client::doctor) found on this account, so that the behaviours that
    /// rest on a guess follow what was observed rather than the SDK's safe assumptions:
    ///
    /// - `update.groups` observed `"applied"`: a product's groups change by an update. A
    ///   sync plans such a change as an [`Action::Update`](crate::Action::Update) (no
    ///   recreate, no consent), and upsert applies them (nothing
    ///   [not applied](crate::Written::not_applied)).
    /// - `route.get_product`, `route.get_group`, `route.get_catalog` observed `true`: `get`
    ///   sends one `GET` to the object's route instead of reading a list. Should the route
    ///   answer `404` or `405` all the same, the list decides (a missing route is not a
    ///   missing object), and when the list has the object the client stops using that route.
    /// - `filter.product_id`, `filter.group_id` observed `"exact"`: a `get` through the list
    ///   takes the first page's answer and reads no further pages (were the filter to match
    ///   more than whole ids after all, an object past that page would be reported missing).
    ///
    /// Any other value, a fact skipped or absent, and a client given no facts: the SDK's
    /// assumptions, as without this call. Facts describe one account's API when the doctor
    /// ran; run it again when the API may have changed.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use dintero_products::{ApiFacts, Client};
    ///
    /// // Once, on a test account: `client.doctor().write(true).run().await?.facts().save(..)`.
    /// let client = Client::builder()
    ///     .account_id("T12345678")
    ///     .client_credentials("my-client-id", "my-client-secret")
    ///     .api_facts(ApiFacts::load("api-facts.json")?)
    ///     .build()?;
    /// let chair = client.products("S23").get("Stol22").await?;
    /// # Ok(()) }
    /// ```
    pub fn api_facts(mut self, facts: ApiFacts) -> Self {
        self.api_facts = Some(Ok(facts));
        self
    }

    /// The account to work on: `T` or `P` followed by 8 digits.
    pub fn account_id<A: IntoChecked<AccountId>>(mut self, account: A) -> Self {
        self.account = Some(account.into_checked());
        self
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

    /// Another base URL, such as a proxy's or a test server's (default: [`DEFAULT_BASE_URL`]).
    /// It must be `https`, except on loopback or with
    /// [`allow_insecure_http`](Self::allow_insecure_http), and must not hold credentials
    /// (`https://user:password@host`): those are refused, and never shown in errors.
    pub fn base_url(mut self, url: impl AsRef<str>) -> Self {
        self.base_url = Some(parse_base_url(url.as_ref()));
        self
    }

    /// The `audience` client-credentials tokens are asked for. Default:
    /// `https://api.dintero.com/v1/accounts/{aid}`, Dintero's, whatever the base URL: a proxy
    /// or a custom base URL still talks to Dintero's API. Set it only when the token endpoint
    /// expects another audience.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
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

    /// When and how calls are retried (default: [`RetryPolicy::default`]). Token requests
    /// follow it too.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The largest response body read, API and token responses alike (default 16 MiB). A
    /// larger body fails with [`Error::BodyTooLarge`] as soon as the limit is passed, and
    /// memory stays bounded whatever the server sends.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = Some(limit);
        self
    }

    /// Use this `reqwest::Client` (its own timeouts, user agent and redirect policy then apply;
    /// build it with `redirect(reqwest::redirect::Policy::none())` to keep the SDK's rule that
    /// redirects are never followed).
    pub fn reqwest_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client> {
        let account = self.account.ok_or_else(|| {
            Error::config("no account id: call `.account_id(..)` or set DINTERO_ACCOUNT_ID")
        })??;
        let credentials = self.credentials.ok_or_else(|| {
            Error::config(
                "no credentials: call `.client_credentials(..)` or `.bearer_token(..)`, or set DINTERO_CLIENT_ID and DINTERO_CLIENT_SECRET",
            )
        })?;
        let base_url = self
            .base_url
            .unwrap_or_else(|| parse_base_url(DEFAULT_BASE_URL))?;
        let facts = self.api_facts.transpose()?;
        check_scheme(&base_url, self.allow_http)?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(self.timeout.unwrap_or(DEFAULT_TIMEOUT))
                .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .user_agent(self.user_agent.unwrap_or_else(|| {
                    concat!("dintero-products-rust/", env!("CARGO_PKG_VERSION")).into()
                }))
                // A redirect would carry the token, or re-send a create, somewhere else.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| Error::Config {
                    message: "could not set up the HTTP client".into(),
                    source: Some(Box::new(e)),
                })?,
        };
        let retry = self.retry.unwrap_or_default();
        let max_body_bytes = self.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES);
        let endpoint = TokenEndpoint {
            token_url: format!("{base_url}/accounts/{account}/auth/token"),
            audience: self
                .audience
                .unwrap_or_else(|| format!("{DEFAULT_BASE_URL}/accounts/{account}")),
            http: http.clone(),
            policy: retry.clone(),
            max_body_bytes,
        };
        let tokens = Arc::new(
            TokenSource::new(credentials, endpoint)
                .map_err(|e| Error::config(format!("the bearer token: {e}")))?,
        );
        let hooks = dintero_products_client::Hooks::new(transport::Hooks {
            tokens: tokens.clone(),
            max_body_bytes,
        });
        let raw = dintero_products_client::Client::new_with_client(&base_url, http, hooks);
        Ok(Client {
            inner: Arc::new(Inner {
                raw,
                account,
                tokens,
                base_url,
                facts,
                routes_gone: AtomicU8::new(0),
            }),
            retry,
            limiter: None,
        })
    }
}

/// The facts of the file `DINTERO_API_FACTS` names, or a configuration error naming both and
/// saying what is wrong (the whole chain: the I/O or JSON error is what tells).
fn load_facts(path: &str) -> Result<ApiFacts> {
    ApiFacts::load(path).map_err(|error| {
        let mut why = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            why = format!("{why}: {cause}");
            source = cause.source();
        }
        Error::Config {
            message: format!(
                "DINTERO_API_FACTS names {path:?}, which cannot be used as saved API facts (a file written by `ApiFacts::save`): {why}"
            ),
            source: Some(Box::new(error)),
        }
    })
}

/// The base URL without a trailing slash; never echoes credentials it may hold.
fn parse_base_url(url: &str) -> Result<String> {
    let shown = redact_userinfo(url);
    let parsed =
        reqwest::Url::parse(url).map_err(|e| Error::config(format!("base URL {shown:?}: {e}")))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::config(format!(
            "base URL {shown:?} holds credentials (user:password@); pass them with `.client_credentials(..)` instead"
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::config(format!(
            "base URL {shown:?} must not have a query or fragment"
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

/// Whether the base URL is safe to send credentials to.
fn check_scheme(url: &str, allow_http: bool) -> Result<()> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| Error::config(format!("base URL {url:?}: {e}")))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback || allow_http => Ok(()),
        "http" => Err(Error::config(format!(
            "base URL {url:?} is plain http off loopback; use https, or `.allow_insecure_http()` inside a trusted network"
        ))),
        other => Err(Error::config(format!(
            "base URL {url:?}: unsupported scheme {other:?}"
        ))),
    }
}

/// `url` with anything between the scheme and an `@` in the authority replaced, so that an
/// error about a URL (even one that does not parse) never shows a password.
fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://<redacted>@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
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

    fn checked(url: &str, allow_http: bool) -> Result<String> {
        let url = parse_base_url(url)?;
        check_scheme(&url, allow_http)?;
        Ok(url)
    }

    #[test]
    fn base_urls_must_be_safe_for_credentials() {
        assert_eq!(
            checked("https://api.dintero.com/v1/", false).unwrap(),
            "https://api.dintero.com/v1"
        );
        for loopback in [
            "http://127.0.0.1:8080",
            "http://localhost:1/v1",
            "http://[::1]:9",
        ] {
            assert!(checked(loopback, false).is_ok(), "{loopback}");
        }
        let err = checked("http://api.example.com", false).unwrap_err();
        assert!(err.to_string().contains("allow_insecure_http"), "{err}");
        assert!(checked("http://api.example.com", true).is_ok());
        for extra in ["?x=1", "#top", "?x=1#top"] {
            let url = format!("https://api.example.com/v1{extra}");
            let err = checked(&url, false).unwrap_err();
            assert!(
                err.to_string().contains("query or fragment"),
                "{url}: {err}"
            );
        }
        assert!(checked("ftp://x", true).is_err());
        assert!(checked("not a url", true).is_err());
    }

    /// A builder prints what it was given, for a log line, and never the secret.
    #[test]
    fn a_builder_prints_its_settings_but_not_the_secret() {
        let builder = Client::builder()
            .account_id("T12345678")
            .client_credentials("the-client-id", "the-hidden-secret")
            .base_url("https://api.example.com/v1")
            .audience("the-audience");
        let shown = format!("{builder:?}");
        for part in [
            "ClientBuilder",
            "T12345678",
            "the-client-id",
            "https://api.example.com/v1",
            "the-audience",
        ] {
            assert!(shown.contains(part), "{part} in {shown}");
        }
        assert!(!shown.contains("the-hidden-secret"), "{shown}");
    }

    /// `allow_insecure_http` lets a plain-http base URL off loopback through `build`.
    #[test]
    fn allow_insecure_http_admits_plain_http_off_loopback() {
        let builder = || {
            Client::builder()
                .account_id("T12345678")
                .client_credentials("id", "secret")
                .base_url("http://products.internal:8080/v1")
        };
        assert!(matches!(builder().build(), Err(Error::Config { .. })));
        let client = builder().allow_insecure_http().build();
        assert_eq!(
            client.as_ref().map(Client::base_url).ok(),
            Some("http://products.internal:8080/v1"),
            "{client:?}"
        );
    }

    #[test]
    fn credentials_in_a_base_url_are_refused_and_never_shown() {
        for url in [
            "https://user:hunter2pw@api.example.com/v1",
            "https://hunter2pw@api.example.com",
            "http://user:hunter2pw@127.0.0.1:1",
            "https://user:hunter2pw@exa mple.com",
            "https://user:hunter2pw@api.example.com/v1?x=1",
        ] {
            let builder = Client::builder()
                .account_id("T12345678")
                .client_credentials("id", "secret")
                .base_url(url);
            let shown = format!("{builder:?}");
            assert!(!shown.contains("hunter2pw"), "{shown}");
            let err = builder.build().unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("hunter2pw"), "{url}: {shown}");
            assert!(matches!(err, Error::Config { .. }), "{url}: {err:?}");
        }
        assert_eq!(
            redact_userinfo("https://u:p@h/x@y"),
            "https://<redacted>@h/x@y"
        );
        assert_eq!(redact_userinfo("https://h/x@y"), "https://h/x@y");
    }

    #[test]
    fn build_names_what_is_missing() {
        let err = Client::builder().build().unwrap_err();
        assert!(err.to_string().contains("no account id"), "{err}");
        let err = Client::builder()
            .account_id("T12345678")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("no credentials"), "{err}");
        let err = Client::builder()
            .account_id("T1234")
            .client_credentials("id", "secret")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    }

    #[test]
    fn the_environment_sets_account_credentials_base_url_and_audience() {
        let vars = std::collections::HashMap::from([
            ("DINTERO_ACCOUNT_ID", "P00000001"),
            ("DINTERO_CLIENT_ID", "id"),
            ("DINTERO_CLIENT_SECRET", "secret"),
            ("DINTERO_BASE_URL", "http://127.0.0.1:9/v1/"),
            (
                "DINTERO_AUDIENCE",
                "https://proxy.example/v1/accounts/P00000001",
            ),
        ]);
        let client = ClientBuilder::from_vars(|name| vars.get(name).map(|v| v.to_string()))
            .build()
            .unwrap();
        assert_eq!(client.account_id().as_str(), "P00000001");
        assert_eq!(client.base_url(), "http://127.0.0.1:9/v1");
        let shown = format!("{client:?}");
        assert!(
            shown.contains("https://proxy.example/v1/accounts/P00000001"),
            "{shown}"
        );
        assert!(!shown.contains("\"secret\""), "{shown}");

        let err = ClientBuilder::from_vars(|name| {
            (name == "DINTERO_ACCOUNT_ID").then(|| "T12345678".to_string())
        })
        .build()
        .unwrap_err();
        assert!(err.to_string().contains("DINTERO_CLIENT_ID"), "{err}");
        let err = ClientBuilder::from_vars(|_| Some("  ".into()))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("DINTERO_ACCOUNT_ID"), "{err}");
    }

    #[test]
    fn the_environment_names_a_facts_file_and_a_bad_one_is_a_configuration_error() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("api-facts.json");
        std::fs::write(
            &good,
            r#"{"update.groups": {"assumed": "ignored", "observed": "applied", "holds": false}}"#,
        )
        .unwrap();
        let not_json = dir.path().join("not-json.json");
        std::fs::write(&not_json, "update.groups=applied").unwrap();
        let wrong_shape = dir.path().join("wrong-shape.json");
        std::fs::write(&wrong_shape, r#"{"update.groups": {"holds": "no"}}"#).unwrap();
        let missing = dir.path().join("missing.json");
        let builder = |facts: Option<&std::path::Path>| {
            let facts = facts.map(|p| p.display().to_string());
            ClientBuilder::from_vars(move |name| match name {
                "DINTERO_ACCOUNT_ID" => Some("T12345678".into()),
                "DINTERO_CLIENT_ID" => Some("id".into()),
                "DINTERO_CLIENT_SECRET" => Some("secret".into()),
                "DINTERO_API_FACTS" => facts.clone(),
                _ => None,
            })
        };

        let client = builder(Some(&good)).build().unwrap();
        let facts = client.api_facts().expect("read from the file");
        assert!(facts.update_applies_groups());
        assert!(client.facts().update_applies_groups());
        assert!(builder(None).build().unwrap().api_facts().is_none());
        assert!(
            !builder(None)
                .build()
                .unwrap()
                .facts()
                .update_applies_groups()
        );

        for (path, says) in [
            (&missing, "could not read"),
            (&not_json, "not JSON"),
            (&wrong_shape, "update.groups"),
        ] {
            let err = builder(Some(path)).build().unwrap_err();
            let shown = err.to_string();
            assert!(matches!(err, Error::Config { .. }), "{err:?}");
            assert!(shown.contains("DINTERO_API_FACTS"), "{shown}");
            assert!(shown.contains(&path.display().to_string()), "{shown}");
            assert!(shown.contains(says), "{shown}");
        }
        // A later setter supplies the value, as for every other variable.
        let client = builder(Some(&missing))
            .api_facts(ApiFacts::default())
            .build()
            .unwrap();
        assert_eq!(client.api_facts(), Some(&ApiFacts::default()));
    }

    #[test]
    fn a_route_found_gone_is_not_used_again_by_any_clone() {
        let facts = ApiFacts::from_json(
            r#"{"route.get_product": {"assumed": true, "observed": true, "holds": true},
                "route.get_group": {"assumed": true, "observed": false, "holds": false}}"#,
        )
        .unwrap();
        let client = Client::builder()
            .account_id("T12345678")
            .bearer_token("token")
            .api_facts(facts)
            .build()
            .unwrap();
        assert!(client.uses_get_route(Fact::RouteGetProduct));
        assert!(!client.uses_get_route(Fact::RouteGetGroup));
        assert!(!client.uses_get_route(Fact::RouteGetCatalog));
        let clone = client.with_retry_policy(RetryPolicy::none());
        clone.route_gone(Fact::RouteGetProduct);
        assert!(!client.uses_get_route(Fact::RouteGetProduct));
    }

    #[test]
    fn debug_output_has_no_secrets() {
        let client = Client::builder()
            .account_id("T12345678")
            .client_credentials("id", "super-secret-value")
            .build()
            .unwrap();
        let shown = format!("{client:?}");
        assert!(!shown.contains("super-secret-value"), "{shown}");
        assert!(shown.contains("T12345678"), "{shown}");
    }
}
