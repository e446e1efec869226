//! Starting, configuring, seeding, inspecting and stopping a fake server.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use dintero_products_client::types::ProductDetails;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{
    Config, DEFAULT_AUDIENCE_BASE, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_SEED,
    DEFAULT_TOKEN_LIFETIME,
};
use crate::dialect::{CreateStatus, Dialect};
use crate::faults::{FaultDecider, Faults};
use crate::rate_limit::RateLimit;
use crate::state::{App, RecordedRequest};
use crate::{routes, tokens};

/// Configures and starts a [`FakeServer`]. Made by [`FakeServer::builder`].
#[derive(Clone, Debug)]
pub struct FakeServerBuilder {
    client_id: String,
    client_secret: String,
    token_lifetime: Duration,
    latency: Duration,
    faults: Faults,
    rate_limit: Option<RateLimit>,
    dialect: Dialect,
    audience_base: String,
    seed: u64,
    port: u16,
}

impl Default for FakeServerBuilder {
    fn default() -> Self {
        FakeServerBuilder {
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            latency: Duration::ZERO,
            faults: Faults::new(),
            rate_limit: None,
            dialect: Dialect::default(),
            audience_base: DEFAULT_AUDIENCE_BASE.to_owned(),
            seed: DEFAULT_SEED,
            port: 0,
        }
    }
}

impl FakeServerBuilder {
    /// The client credentials the token endpoint accepts (HTTP Basic).
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.client_id = client_id.into();
        self.client_secret = client_secret.into();
        self
    }

    /// How long an issued access token stays valid (default 4 hours). `expires_in` in the
    /// token answer is this, in whole seconds.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// A delay added to every response, faults and rate-limited answers included (default
    /// none).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The faults to inject (default none). Can be changed later with
    /// [`FakeServer::set_faults`].
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// A rate limit over every request but the token endpoint's (default none). Can be changed
    /// or turned off later with [`FakeServer::set_rate_limit`].
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// The status of a successful create (default [`CreateStatus::Ok`], `200`): a shortcut for
    /// the dialect's [`create_status`](Dialect::create_status).
    ///
    /// ```
    /// use dintero_products_fake::{CreateStatus, FakeServer};
    ///
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = FakeServer::builder()
    ///     .create_status(CreateStatus::Created)
    ///     .start()
    ///     .await?;
    /// // Or from a number read elsewhere, refused unless it is 200 or 201:
    /// let status = CreateStatus::try_from(201)?;
    /// # let _ = (server, status);
    /// # Ok(())
    /// # }
    /// ```
    pub fn create_status(mut self, status: CreateStatus) -> Self {
        self.dialect.create_status = status;
        self
    }

    /// How the server behaves where the real API's behaviour is a guess (default
    /// [`Dialect::default()`], the fake as it always was). It replaces the whole dialect, a
    /// [`create_status`](Self::create_status) called before included. Can be changed later
    /// with [`FakeServer::set_dialect`].
    ///
    /// ```
    /// use dintero_products_fake::{Dialect, FakeServer, UpdateSemantics};
    ///
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = FakeServer::builder()
    ///     .dialect(Dialect::default().update(UpdateSemantics::Merge))
    ///     .start()
    ///     .await?;
    /// // Or spelled as the binary's `--dialect` flags are:
    /// let dialect = Dialect::from_settings(["update.semantics=merge", "routes.get=off"])?;
    /// server.set_dialect(dialect);
    /// # Ok(())
    /// # }
    /// ```
    pub fn dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// The API the token endpoint expects as `audience`: a token request for account `aid`
    /// must send exactly `<base>/accounts/<aid>` (a trailing `/` of `base` is dropped). The
    /// default is Dintero's, [`DEFAULT_AUDIENCE_BASE`], whatever URL the fake listens on, as
    /// with the real API behind a proxy.
    pub fn audience_base(mut self, base: impl Into<String>) -> Self {
        let base = base.into();
        self.audience_base = base.trim_end_matches('/').to_owned();
        self
    }

    /// The seed of the fault generator, and of the uuids of seeded items (default
    /// [`DEFAULT_SEED`]).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The port to bind on 127.0.0.1 (default 0: a free port chosen by the OS).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Binds 127.0.0.1 and starts serving on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound (for example, the port is taken).
    pub async fn start(self) -> std::io::Result<FakeServer> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, self.port)).await?;
        let addr = listener.local_addr()?;
        let config = Config {
            client_id: self.client_id,
            client_secret: self.client_secret,
            latency: self.latency,
            audience_base: self.audience_base,
        };
        let app = Arc::new(App::new(
            config,
            self.dialect,
            self.token_lifetime,
            FaultDecider::new(self.faults, self.seed),
            self.rate_limit,
            self.seed,
        ));
        let router = routes::router(Arc::clone(&app));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            // Either an explicit stop or the `FakeServer` being dropped ends the wait.
            let shutdown = async {
                let _ = stopped.await;
            };
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await;
        });
        Ok(FakeServer {
            addr,
            app,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// A running fake. Stops (gracefully) when dropped or on [`FakeServer::shutdown`].
pub struct FakeServer {
    addr: SocketAddr,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeServer")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl FakeServer {
    /// Starts a server with the default configuration on 127.0.0.1 and a free port.
    ///
    /// # Panics
    ///
    /// Only if 127.0.0.1:0 cannot be bound (no loopback interface, or no free port). Use
    /// [`FakeServer::builder`] and [`FakeServerBuilder::start`] to get that as an error.
    pub async fn start() -> FakeServer {
        match Self::builder().start().await {
            Ok(server) => server,
            Err(e) => panic!("dintero-products-fake: cannot bind 127.0.0.1:0: {e}"),
        }
    }

    /// A builder for a server with non-default settings.
    pub fn builder() -> FakeServerBuilder {
        FakeServerBuilder::default()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/v1`: the base URL to give a client.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The `audience` a token request for `aid` must send: by default
    /// `https://api.dintero.com/v1/accounts/<aid>`, Dintero's, not the fake's own URL (see
    /// [`FakeServerBuilder::audience_base`]). Anything else gets `400`, unless the dialect's
    /// [`audience`](Dialect::audience) accepts any.
    pub fn audience(&self, aid: &str) -> String {
        tokens::audience(&self.app.config.audience_base, aid)
    }

    /// `<base_url>/accounts/<aid>/auth/token`: the token endpoint for `aid`.
    pub fn token_url(&self, aid: &str) -> String {
        format!("{}/accounts/{aid}/auth/token", self.base_url())
    }

    /// The client id the token endpoint accepts.
    pub fn client_id(&self) -> &str {
        &self.app.config.client_id
    }

    /// The client secret the token endpoint accepts.
    pub fn client_secret(&self) -> &str {
        &self.app.config.client_secret
    }

    /// Every request received since the start or the last [`clear_requests`](Self::clear_requests),
    /// in the order they arrived (which is the order fault decisions were drawn in).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.app.requests()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.app.clear_requests();
    }

    /// How many access tokens have been issued.
    pub fn token_requests(&self) -> usize {
        self.app.tokens.count()
    }

    /// Invalidates every token issued so far: the next API call with one gets `401`.
    pub fn revoke_tokens(&self) {
        self.app.tokens.revoke_all();
    }

    /// Replaces the faults to inject from now on. The seeded generator continues where it was.
    pub fn set_faults(&self, faults: Faults) {
        self.app.set_faults(faults);
    }

    /// Replaces the dialect from the next request on; a request in flight keeps the one it
    /// arrived with.
    pub fn set_dialect(&self, dialect: Dialect) {
        self.app.set_dialect(dialect);
    }

    /// The dialect the server speaks now.
    pub fn dialect(&self) -> Dialect {
        Dialect::clone(&self.app.dialect())
    }

    /// Turns the rate limit on (with a full bucket), changes it, or turns it off (`None`).
    ///
    /// ```
    /// # use dintero_products_fake::{FakeServer, RateLimit};
    /// # async fn demo(server: FakeServer) {
    /// server.set_rate_limit(RateLimit::per_second(200).burst(10));
    /// server.set_rate_limit(None);
    /// # }
    /// ```
    pub fn set_rate_limit(&self, limit: impl Into<Option<RateLimit>>) {
        self.app.set_rate_limit(limit.into());
    }

    /// How many requests the rate limit has answered with `429` since the start (injected
    /// [`FaultKind::RateLimited`](crate::FaultKind::RateLimited) faults are not counted).
    pub fn rate_limited_count(&self) -> u64 {
        self.app.rate_limited_count()
    }

    /// Creates a catalog (or renames it, keeping its products) without going through HTTP.
    pub fn seed_catalog(&self, aid: &str, catalog_id: &str, name: &str) {
        self.app.write().seed_catalog(aid, catalog_id, name);
    }

    /// Adds `n` products to a catalog (created, named `Catalog <id>`, if missing) without going
    /// through HTTP, and returns the numbers used: product `i` has id
    /// [`seeded_product_id(i)`](crate::seeded_product_id) (`P000001`, ...; numbering continues
    /// across calls for the same catalog).
    ///
    /// Product `i` is named `Product 00000i`, costs `unit_gross_price` `9900 + (i % 50) * 100`
    /// `NOK` per `stk`, sits at location `LOC001`, and belongs to group
    /// `G00000{(i - 1) % 5 + 1}`. Those groups are created too when missing, as the ones
    /// [`seed_groups`](Self::seed_groups) makes, so every group a product names exists.
    /// Only the number is stored per product; the rest is derived when rendered, so a million
    /// products take well under 100 MB.
    ///
    /// Ids are zero-padded to six digits, so they sort numerically up to 999 999.
    pub fn seed_products(&self, aid: &str, catalog_id: &str, n: u32) -> Range<u32> {
        self.app.write().seed_products(aid, catalog_id, n)
    }

    /// Stores `product` in a catalog (created, named `Catalog <id>`, if missing) as given,
    /// without going through HTTP and without the checks a request's body gets: what another
    /// client, or an older version of the API, may have left in a catalog (a location id with
    /// a leading space, say). A product with its id is replaced.
    pub fn seed_product(&self, aid: &str, catalog_id: &str, product: ProductDetails) {
        self.app.write().seed_product(aid, catalog_id, product);
    }

    /// Adds `n` groups to an account without going through HTTP and returns the numbers used:
    /// group `i` has id [`seeded_group_id(i)`](crate::seeded_group_id) (`G000001`, ...) and
    /// name `Group 00000i`. Numbering continues across calls; a group with a number already
    /// made (for seeded products, or by a request using that id) is kept as it is.
    pub fn seed_groups(&self, aid: &str, n: u32) -> Range<u32> {
        self.app.write().seed_groups(aid, n)
    }

    /// Creates, or resets to its original content, a small furniture shop in account `aid`:
    /// catalog [`DEMO_CATALOG_ID`](crate::DEMO_CATALOG_ID) (`DEMO`, "Demo catalog") with 24
    /// products, and the groups they belong to: `CHAIRS` ("Chairs"), `TABLES` ("Tables"),
    /// `LAMPS` ("Lamps") and `OUTDOOR` ("Outdoor").
    ///
    /// Products have ids such as `CH-1001`, `TB-2003` or `LP-3005`, a name and a description,
    /// a price in NOK minor units (`unit_gross_price` `149900` is 1 499,00 kr) per `stk`, one or
    /// two groups, and stock at one or both of two locations (`OSL-01` "Oslo showroom",
    /// `BGO-WH` "Bergen warehouse"). Everything is fixed, timestamps included
    /// (2024-01-15 09:00 UTC), and uuids derive from the server's seed, so the demo is the same
    /// on every run.
    ///
    /// ```
    /// use dintero_products_fake::{DEMO_CATALOG_ID, FakeServer};
    ///
    /// # async fn demo() {
    /// let server = FakeServer::start().await;
    /// server.seed_demo("T12345678");
    /// assert_eq!(server.product_count("T12345678", DEMO_CATALOG_ID), 24);
    /// # }
    /// ```
    pub fn seed_demo(&self, aid: &str) {
        self.app.write().seed_demo(aid);
    }

    /// How many products a catalog holds (0 if it does not exist). A catalog deleted without
    /// its products (see the dialect's
    /// [`delete_catalog_cascades`](Dialect#structfield.delete_catalog_cascades)) still counts
    /// them.
    pub fn product_count(&self, aid: &str, catalog_id: &str) -> usize {
        self.app.read().product_count(aid, catalog_id)
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for that.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
