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
//!   `/accounts/{aid}/products/catalogs/{catalog_id}/products[/{product_id}]`. An unknown
//!   route is a `404`; a known route with another method is a `405` with `Allow` (`GET` routes
//!   also answer `HEAD`).
//! - Every API route needs `Authorization: Bearer <token>` with a token this server issued,
//!   unexpired and not revoked (`401`); a token is valid for the account it was issued for only
//!   (another valid account id gets `403`). Account ids must match `^[PT]\d{8}$` (`400`;
//!   [`is_valid_account_id`]).
//! - A token request sends HTTP Basic client credentials and
//!   `{"grant_type": "client_credentials", "audience": "..."}`, where the audience must be
//!   exactly [`FakeServer::audience`]: `https://api.dintero.com/v1/accounts/<aid>` unless
//!   [`FakeServerBuilder::audience_base`] says otherwise (`400`).
//! - Path segments are percent-decoded exactly once, each on its own, so an id `a/b` travels as
//!   `a%2Fb`; a malformed escape is a `400`. Ids sent in create bodies follow the client
//!   crate's rules (non-empty, at most 255 characters, no surrounding whitespace or control
//!   characters, not `.` or `..`; `400`), and are unique per account (catalogs, groups) or
//!   per catalog (products) (`409`).
//! - Errors are `{"error": {"code": "<code>", "message": "<text>"}}`; codes are free text, as
//!   Dintero's are (`NOT FOUND`, with a space; `BAD_REQUEST`, `UNAUTHORIZED`, `FORBIDDEN`,
//!   `CONFLICT`, `RATE_LIMITED`). Every response carries a `request-id` header.
//! - Creates answer `200` by default, or `201` ([`FakeServerBuilder::create_status`]).
//!   Deleting a catalog deletes its products.
//! - Lists are ordered by id, take `limit` (1..=100, default 10) and an opaque `starting_after`
//!   cursor, present in the answer exactly when more items follow. The products list filters
//!   by `product_id` (exact) and `product_name` (case-insensitive substring), the groups list
//!   by `group_id` (exact).
//! - A product update (`PUT`) replaces the writable fields; `groups` only when sent.
//! - Where the real API's behaviour is a guess (each point above, whether the single-item
//!   `GET`s and the product `DELETE` exist, and more), a [`Dialect`] switches it, at start
//!   ([`FakeServerBuilder::dialect`]) or while running ([`FakeServer::set_dialect`]); what is
//!   described here is the default dialect.
//! - [`Faults`] inject failures, decided by a generator seeded with
//!   [`FakeServerBuilder::seed`]; see [`FaultKind`] for what each does on the wire.
//! - A [`RateLimit`] (off by default) answers `429` with `Retry-After` once its token bucket is
//!   empty.
//! - Seeding ([`FakeServer::seed_products`], [`FakeServer::seed_groups`],
//!   [`FakeServer::seed_demo`]) fills the store without going through HTTP.
//!
//! # As a program
//!
//! `cargo run -p dintero-products-fake -- --demo` serves the demo catalog on port 8080 and
//! prints the `DINTERO_*` settings a client needs, as `export` lines; `--dialect KEY=VALUE`
//! (repeatable) sets the dialect in [`Dialect`]'s spelling; `--help` lists the other options.

#![warn(missing_docs)]

// The modules form layers, each using only the ones below it; the order is declared, and
// enforced, in `tests/it/layering.rs`.
mod config;
mod cursors;
mod dialect;
mod errors;
mod extract;
mod faults;
mod ids;
mod locks;
mod middleware;
mod paths;
mod rate_limit;
mod responses;
mod routes;
mod server;
mod state;
mod store;
mod tokens;

/// The type of [`Dialect::request_id_header`]: `http`'s, re-exported so that a dependant needs
/// no `http` of its own.
pub use axum::http::HeaderName;
pub use config::{
    DEFAULT_AUDIENCE_BASE, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_SEED,
    DEFAULT_TOKEN_LIFETIME,
};
pub use dialect::{
    AudienceCheck, CreateStatus, DEFAULT_CURSOR_KEY, DEFAULT_LIMIT_MAX, DEFAULT_NOT_FOUND_CODE,
    DEFAULT_REQUEST_ID_HEADER, Dialect, DialectError, EndSignal, GroupsInUpdate, LimitOverMax,
    Match, MatchKind, Route, UnsupportedCreateStatus, UpdateSemantics,
};
pub use faults::{FaultKind, Faults};
pub use ids::is_valid_account_id;
pub use rate_limit::RateLimit;
pub use server::{FakeServer, FakeServerBuilder};
pub use state::RecordedRequest;
pub use store::{DEMO_CATALOG_ID, seeded_group_id, seeded_product_id};
