//! A Rust SDK for the Dintero Products API: the catalogs, groups and products of a merchant
//! account.
//!
//! ```no_run
//! use dintero_products::{Client, NewGroup};
//! use futures::TryStreamExt;
//!
//! # async fn run() -> dintero_products::Result<()> {
//! let client = Client::builder()
//!     .account_id("T12345678")                         // P or T, then 8 digits
//!     .client_credentials("client-id", "client-secret") // or .bearer_token(jwt)
//!     .build()?;                                        // https://api.dintero.com/v1 by default
//! // or Client::from_env()
//!
//! let page = client.groups().list().limit(50).send().await?; // one page
//! let resume_from = page.next_cursor().cloned();             // continue later from here
//! let chairs: Vec<_> = client.products("S23").list().product_name("Stol").items().try_collect().await?;
//! let mut pages = client.catalogs().list().limit(100).pages(); // a Stream of pages
//! while let Some(page) = pages.try_next().await? {
//!     println!("{} catalogs", page.len());
//! }
//! let group = client.groups().create(NewGroup::new("Møbel").id("B1")).await?;
//! client.products("S23").delete("Stol22").await?;
//! # Ok(()) }
//! ```
//!
//! # What it does for you
//!
//! - **Authentication.** With client credentials, tokens are fetched from
//!   `{base}/accounts/{aid}/auth/token` for Dintero's audience
//!   (`https://api.dintero.com/v1/accounts/{aid}`, whatever the base URL), cached, and renewed
//!   before they expire. One token request is in flight at a time and its outcome, success or
//!   failure, goes to every caller waiting; waiting counts against each call's time budget. A
//!   lifetime of 0 or less is trusted for a minute, one over a day is capped at a day. A 401
//!   renews the token and retries once. Secrets and tokens are redacted in `Debug` and never
//!   appear in errors or logs; a base URL holding credentials is refused.
//! - **Checked input.** Ids ([`AccountId`], [`CatalogId`], [`GroupId`], [`ProductId`]) and the
//!   page size ([`PageSize`], 1 to 100) are validated before any request is sent. In paths, every
//!   character outside the unreserved set is percent-encoded, so no id can leave its segment.
//! - **A hostile server cannot hurt the caller.** Bodies are read under a limit
//!   ([`ClientBuilder::max_body_bytes`]), redirects are never followed ([`Error::Redirect`]), and
//!   time arithmetic on what a server sends (`expires_in`, `Retry-After`) saturates.
//! - **One error type.** [`Error`] keeps the HTTP status of every failed response, Dintero's
//!   error code and message (free text), the request id, and a snippet of a body that is not
//!   JSON; `is_not_found`, `is_conflict`, `is_timeout`, `is_retryable`, `is_outcome_unknown` and
//!   friends answer the usual questions.
//! - **Retries.** GET, PUT and DELETE are retried on transient failures, with exponential backoff
//!   and jitter, honouring `Retry-After`; a POST only where it certainly was not processed (see
//!   [`RetryPolicy`]).
//! - **Pagination.** Every list is a [`ListRequest`], one generic type; see below.
//! - **Catalog jobs that never lose data.** [`Products::modify`] and [`Products::upsert`] keep
//!   the fields they do not set; [`Products::create_once`] never creates twice;
//!   [`Products::bulk`] runs many writes under one [`RateLimiter`]; [`Products::sync`] plans and
//!   applies a catalog's desired state. The same for groups and catalogs, written once over
//!   [`Resource`]. The rules (see [`CatalogSync`]):
//!   - a job writes only the fields a desired product *manages* ([`NewProduct::get_managed_fields`]:
//!     what it sets, or exactly what [`NewProduct::managed_fields`] names, where a managed field left
//!     unset is cleared); every other field keeps what Dintero holds;
//!   - a change of groups, which needs a delete and a create, and a price multiplied or divided
//!     by ten or more are shown apart in the plan and made only with consent; a recreate writes
//!     the product to a [`Journal`] first and puts it back if its create fails;
//!   - a prune deletes only what was truly read: a failing source fails the plan, an empty one
//!     never prunes, and deletes beyond [`MaxDeletes`] are refused;
//!   - prices are checked before sending (not negative, at most [`Price::MAX_MINOR_UNITS`]), and
//!     a well-formed currency the SDK does not list is carried, never dropped;
//!   - what the SDK cannot interpret is sent back exactly as the server sent it: a price it
//!     cannot read (a currency such as `nok`), fields it does not know (the generated types'
//!     `extra` maps), a location id it would not send of its own;
//!   - a write that could not apply all it was asked says so ([`Written::PartlyApplied`]).
//! - **Written as you think.** [`Products::try_modify`] lets the change fail with nothing
//!   written; [`Write::modify`] infers its closure's type; every write takes ids as `&str`;
//!   [`BulkWriter::run_stream`] writes from a `Stream`; [`Price`] shows and parses major units
//!   (`"1 499,00 NOK"`); [`Product::stock`] and [`Product::stock_at`] answer stock questions.
//! - **Tracing.** Each HTTP attempt is a `dintero_products.request` span with the operation, the
//!   method, the attempt number, the status and the duration.
//! - **Guesses checked, and then used.** [`Client::doctor`] checks on a real account what the
//!   SDK assumes of the API ([`Fact`]); its findings, saved ([`ApiFacts::save`]) and given to a
//!   client ([`ClientBuilder::api_facts`], or `DINTERO_API_FACTS`), let the behaviours resting
//!   on a guess follow what was observed: groups changed by an update rather than a recreate,
//!   `get` by the object's route, an exact id filter read one page deep. Without them, the
//!   safe assumptions.
//!
//! # Pagination
//!
//! [`ListRequest::send`] fetches one page; [`ListRequest::pages`] and [`ListRequest::items`] are
//! lazy `Stream`s (`Send + Unpin`) over all of them.
//!
//! - The next request sends the response's `starting_after` exactly as the server gave it. It is
//!   opaque: not necessarily the last item's id.
//! - The streams ask for pages of 100 (the most the API serves) unless a `limit` is set;
//!   `send` keeps the server's default (10).
//! - A page shorter than the `limit` is not the end of the list.
//! - A missing or empty cursor, or an empty page, is the end.
//! - A cursor the server repeats is an error ([`Error::PaginationLoop`]), never an endless loop.
//! - Filters and `limit` are kept on every page.
//! - After an error the stream yields it and ends.
//! - While you work through one page, the next is already being fetched (one request ahead;
//!   [`ListRequest::prefetch`] turns it off).
//! - [`ListRequest::max_items`] stops after N items; [`ListRequest::starting_after`] resumes from
//!   a saved [`Cursor`].
//!
//! # Layers
//!
//! This crate wraps `dintero-products-client`, which progenitor generates from the API's OpenAPI
//! description. [`Product`], [`Group`] and [`Catalog`] wrap its response types (`raw()` returns
//! them); all its types are re-exported as [`types`]; [`Client::raw`] reaches the generated
//! client for anything not wrapped here.
//!
//! # TLS
//!
//! rustls by default (feature `rustls`); feature `native-tls` uses the platform's TLS instead.

#![warn(missing_docs)]

mod auth;
mod body;
mod bulk;
mod client;
mod doctor;
mod error;
mod fields;
mod ids;
mod limiter;
mod pagination;
mod price;
mod resources;
mod retry;
mod sync;
mod transport;

pub use auth::Secret;
pub use bulk::{
    BulkRun, BulkWriter, DEFAULT_CONCURRENCY, MAX_CONCURRENCY, MAX_WAITING, Outcome, Write,
    WriteKind,
};
pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL};
pub use dintero_products_client::LocationId;
pub use doctor::{
    ApiFacts, Doctor, DoctorCleanup, DoctorError, DoctorReport, Fact, FactsError, Finding,
    Leftover, UnknownFact,
};
pub use error::{ApiError, AuthError, BoxError, Error, InvalidInput, Result};
pub use fields::{Field, FieldSet};
pub use ids::{
    AccountId, CatalogId, Cursor, GroupId, IntoChecked, MAX_ID_CHARS, PageSize, ProductId,
};
pub use limiter::RateLimiter;
pub use pagination::{Items, ListOperation, ListRequest, Page, Pages};
pub use price::{Currency, Price};
pub use resources::{
    Catalog, CatalogUpdate, Catalogs, Group, GroupUpdate, Groups, ListCatalogs, ListGroups,
    ListProducts, NewCatalog, NewGroup, NewProduct, Product, ProductUpdate, Products, Resource,
    Written,
};
pub use retry::RetryPolicy;
pub use sync::{
    Action, CatalogSync, Consent, Desired, DesiredProduct, FileJournal, Intent, Journal,
    MaxDeletes, PRICE_JUMP, Plan, Progress, Refusal, Summary, SyncReport, Target,
};

/// The generated request and response types, for fields and values this crate does not wrap.
pub use dintero_products_client::types;
