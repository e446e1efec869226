//! An in-memory, stateful fake of the Dintero Products API and its token endpoint, in the
//! spirit of stripe-mock: start it in a test, point a client at [`FakeServer::base_url`], and
//! it behaves like the API (tokens, catalogs, groups, products, pagination, errors), with
//! seeded fault injection for testing retries.
//!
//! ```
//! use dintero_products_fake::FakeServer;
//! use serde_json::{Value, json};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // Binds 127.0.0.1 on a free port; stops when `server` is dropped.
//!     let server = FakeServer::start().await;
//!     let aid = "T12345678";
//!     server.seed_catalog(aid, "S23", "Sommer");
//!     server.seed_products(aid, "S23", 25); // P000001 ..= P000025
//!
//!     // The client-credentials flow, as a client does it.
//!     let http = reqwest::Client::new();
//!     let token: Value = http
//!         .post(server.token_url(aid))
//!         .basic_auth(server.client_id(), Some(server.client_secret()))
//!         .json(&json!({"grant_type": "client_credentials", "audience": server.audience(aid)}))
//!         .send()
//!         .await?
//!         .json()
//!         .await?;
//!     let access_token = token["access_token"].as_str().unwrap_or_default();
//!
//!     let page: Value = http
//!         .get(format!("{}/accounts/{aid}/products/catalogs/S23/products?limit=5", server.base_url()))
//!         .bearer_auth(access_token)
//!         .send()
//!         .await?
//!         .json()
//!         .await?;
//!     assert_eq!(page["products"][0]["product_id"], "P000001");
//!     assert!(page["starting_after"].is_string()); // an opaque cursor: more pages follow
//!
//!     assert_eq!(server.token_requests(), 1);
//!     assert_eq!(server.requests().len(), 2);
//!     Ok(())
//! }
//! ```
//!
//! # Behaviour
//!
//! - Routes live below `/v1`: `POST /accounts/{aid}/auth/token`, and
//!   `/accounts/{aid}/products/{catalogs,groups}[/{id}]` and
//!   `/accounts/{aid}/products/catalogs/{catalog_id}/products[/{product_id}]`.
//! - Every API route needs `Authorization: Bearer <token>` with a token this server issued,
//!   unexpired and not revoked (`401`); a token is valid for the account it was issued for only
//!   (another valid account id gets `403`). Account ids must match `^[PT]\d{8}$` (`400`).
//! - Path segments are percent-decoded exactly once, after the path is split on `/`, so an id
//!   `a/b` travels as `a%2Fb`.
//! - Errors are `{"error": {"code": "<CODE>", "message": "<text>"}}`; every response carries
//!   a `request-id` header.
//! - Lists are ordered by id, take `limit` (1..=100, default 10) and an opaque `starting_after`
//!   cursor, present in the answer exactly when more items follow.
//! - [`Faults`] inject failures, decided by a generator seeded with
//!   [`FakeServerBuilder::seed`]; see [`FaultKind`] for what each does on the wire.

#![warn(missing_docs)]

mod error;
mod faults;
mod http;
mod store;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{FaultKind, Faults};
pub use store::{seeded_group_id, seeded_product_id};

use http::{App, Config};

/// The client id accepted by default.
pub const DEFAULT_CLIENT_ID: &str = "fake-client-id";
/// The client secret accepted by default.
pub const DEFAULT_CLIENT_SECRET: &str = "fake-client-secret";
/// The default lifetime of an issued access token: 4 hours.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(4 * 60 * 60);
/// The seed used when [`FakeServerBuilder::seed`] is not called.
pub const DEFAULT_SEED: u64 = 0;

/// One request as the server received it, and how it answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The `request-id` header sent back with the answer.
    pub request_id: String,
    /// The method, such as `"GET"`.
    pub method: String,
    /// The path as received, still percent-encoded (`/v1/accounts/.../a%2Fb`).
    pub path: String,
    /// The raw query string, without the `?`, if there was one.
    pub query: Option<String>,
    /// Whether the request had an `Authorization` header (of any kind).
    pub authorization: bool,
    /// The status answered; `None` while the request is in flight, and for a
    /// [`FaultKind::DropConnection`], whose status line never reaches the client.
    pub status: Option<u16>,
    /// The fault injected on this request, if any.
    pub fault: Option<FaultKind>,
}

impl RecordedRequest {
    /// Whether a fault was injected on this request.
    pub fn fault_injected(&self) -> bool {
        self.fault.is_some()
    }
}

/// Configures and starts a [`FakeServer`]. Made by [`FakeServer::builder`].
#[derive(Clone, Debug)]
pub struct FakeServerBuilder {
    client_id: String,
    client_secret: String,
    token_lifetime: Duration,
    latency: Duration,
    faults: Faults,
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

    /// A delay added to every response, faults included (default none).
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
            token_lifetime: self.token_lifetime,
            latency: self.latency,
        };
        let decider = faults::FaultDecider::new(self.faults, self.seed);
        let app = Arc::new(App::new(config, decider, self.seed));
        let router = Router::new()
            .fallback(http::handle)
            .with_state(Arc::clone(&app));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                // Either an explicit stop or the `FakeServer` being dropped.
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

    /// `<base_url>/accounts/<aid>`: the `audience` a token request for `aid` sends.
    pub fn audience(&self, aid: &str) -> String {
        format!("{}/accounts/{aid}", self.base_url())
    }

    /// `<base_url>/accounts/<aid>/auth/token`: the token endpoint for `aid`.
    pub fn token_url(&self, aid: &str) -> String {
        format!("{}/auth/token", self.audience(aid))
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
        self.app.token_requests()
    }

    /// Invalidates every token issued so far: the next API call with one gets `401`.
    pub fn revoke_tokens(&self) {
        self.app.revoke_tokens();
    }

    /// Replaces the faults to inject from now on. The seeded generator continues where it was.
    pub fn set_faults(&self, faults: Faults) {
        self.app.faults().set_faults(faults);
    }

    /// Creates a catalog (or renames it, keeping its products) without going through HTTP.
    pub fn seed_catalog(&self, aid: &str, catalog_id: &str, name: &str) {
        self.app.write().seed_catalog(aid, catalog_id, name);
    }

    /// Adds `n` products to a catalog (created, named `Catalog <id>`, if missing) without going
    /// through HTTP, and returns the numbers used: product `i` has id
    /// [`seeded_product_id(i)`](seeded_product_id) (`P000001`, ...; numbering continues across
    /// calls for the same catalog).
    ///
    /// Product `i` is named `Product 00000i`, costs `unit_gross_price` `9900 + (i % 50) * 100`
    /// `NOK` per `stk`, sits at location `LOC001`, and belongs to group
    /// `G00000{(i - 1) % 5 + 1}`. Only the number is stored per product; the rest is derived
    /// when rendered, so a million products take well under 100 MB.
    ///
    /// Ids are zero-padded to six digits, so they sort numerically up to 999 999.
    pub fn seed_products(&self, aid: &str, catalog_id: &str, n: u32) -> std::ops::Range<u32> {
        self.app.write().seed_products(aid, catalog_id, n)
    }

    /// Adds `n` groups to an account without going through HTTP and returns the numbers used:
    /// group `i` has id [`seeded_group_id(i)`](seeded_group_id) (`G000001`, ...) and name
    /// `Group 00000i`.
    pub fn seed_groups(&self, aid: &str, n: u32) -> std::ops::Range<u32> {
        self.app.write().seed_groups(aid, n)
    }

    /// How many products a catalog holds (0 if it does not exist).
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
