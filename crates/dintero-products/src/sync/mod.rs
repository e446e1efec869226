//! Catalog sync: make a catalog hold the desired products, in two steps a person can look at in
//! between. [`CatalogSync::plan`] compares the desired state with what Dintero holds and says
//! what would change; [`CatalogSync::apply`] makes those changes through
//! [`BulkWriter`](crate::BulkWriter) jobs.
//!
//! A sync never loses data:
//! - It changes only the fields each desired product *manages*
//!   ([`NewProduct::get_managed_fields`](crate::NewProduct::get_managed_fields)): a file's columns, a
//!   JSON line's keys. Every other field keeps the value Dintero holds, in the plan and in what
//!   is written.
//! - Changing a product's groups needs a delete and a create (Dintero's update body has no
//!   `groups`): such a *recreate* is shown apart and happens only with consent
//!   ([`CatalogSync::allow_recreate`] or [`Plan::approve`]). Its product's full body is written
//!   to a [`Journal`] before the delete; when the create fails the product is created again as
//!   it was, and a run killed in between is repaired by the next plan. A client given
//!   [`ApiFacts`](crate::ApiFacts) that saw an update apply `groups`
//!   ([`ClientBuilder::api_facts`](crate::ClientBuilder::api_facts)) changes them by an
//!   update instead: no recreate, no consent.
//! - A price multiplied or divided by ten or more (kroner typed into a column of øre) is shown
//!   apart and needs consent too.
//! - A prune deletes only what was truly read: a source that fails part-way fails the plan, an
//!   empty source never prunes, and deletes beyond [`MaxDeletes`] (10% of the catalog by
//!   default) are refused.
//! - Each desired product may say what it allows ([`Intent`]): to be created only, updated
//!   only, or deleted (a delete asked for, made without pruning). One whose intent the catalog
//!   does not allow is rejected alone ([`Plan::rejected`]), and nothing is written to it.
//! - Stock can be set one location at a time ([`NewProduct::stock`](crate::NewProduct::stock)):
//!   the other locations, and the location's other fields, keep what Dintero holds.
//!
//! Memory stays small whatever the catalog's size: the plan keeps, per product, its id, its
//! price and a hash of each writable field (no bodies); the desired products are read again
//! from their source when the plan is applied. A sync is idempotent (right after one, the next
//! plans nothing) and resumable: products carry ids of our choosing, so a sync interrupted at
//! any point, planned and applied again, ends in the desired state with nothing created twice.
//!
//! The modules, one job each: `fingerprint` (fields in one normal form, hashed), `ledger` (what
//! a plan holds per product), `desired` (the desired state and its source), `plan` (planning
//! and the diff), `apply` (the bulk jobs), `recreate` (delete and create without loss),
//! `journal` (what a recreate writes down first), `report` (what an apply did).

mod apply;
mod desired;
mod fingerprint;
mod journal;
mod ledger;
mod plan;
mod recreate;
mod report;

pub use desired::{Desired, DesiredProduct, Intent};
pub use journal::{FileJournal, Journal};
pub use plan::{Action, Consent, MaxDeletes, PRICE_JUMP, Plan, Refusal, Summary};
pub(crate) use recreate::recreate;
pub use report::{SyncReport, Target};

use crate::bulk::DEFAULT_CONCURRENCY;
use crate::error::Result;
use crate::limiter::RateLimiter;
use crate::resources::Products;
use std::fmt;
use std::sync::Arc;

/// A sync of one catalog; see [`Products::sync`].
#[must_use = "a sync does nothing until planned and applied"]
pub struct CatalogSync {
    products: Products,
    desired: Desired,
    prune: bool,
    max_deletes: MaxDeletes,
    approved: plan::Approvals,
    concurrency: usize,
    limiter: Option<RateLimiter>,
    journal: Option<Arc<dyn Journal>>,
    progress: Option<ProgressFn>,
}

type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

impl fmt::Debug for CatalogSync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CatalogSync")
            .field("catalog", &self.products.catalog_id())
            .field("prune", &self.prune)
            .field("max_deletes", &self.max_deletes)
            .field("concurrency", &self.concurrency)
            .field("journal", &self.journal)
            .finish_non_exhaustive()
    }
}

/// What a sync reports while it works, to a callback set with [`CatalogSync::on_progress`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// Planning: this many products of the catalog read so far.
    Listed(usize),
    /// Planning: this many desired products compared so far.
    Compared(usize),
    /// Planning: a product an interrupted recreate had deleted was created again from the
    /// journal (or found there already).
    Restored {
        /// The product.
        id: &'a str,
        /// How it went.
        result: &'a Result<()>,
    },
    /// Applying: one write finished, or one change was held back for want of consent, or
    /// one product was rejected ([`Plan::rejected`]).
    Applied {
        /// What was done, or would have been.
        action: Action,
        /// To which product or group.
        target: &'a Target,
        /// The tag the desired product carried ([`DesiredProduct::tagged`]), such as its line.
        tag: Option<u64>,
        /// How it went; a change held back or a product rejected is an `Err` of
        /// [`Error::Refused`](crate::Error).
        result: &'a Result<()>,
        /// Whether the write changed anything: an update whose product, read again, already
        /// held the desired fields writes nothing.
        changed: bool,
    },
}

impl CatalogSync {
    pub(crate) fn new(products: Products, desired: Desired) -> Self {
        Self {
            products,
            desired,
            prune: false,
            max_deletes: MaxDeletes::default(),
            approved: plan::Approvals::default(),
            concurrency: DEFAULT_CONCURRENCY,
            limiter: None,
            journal: None,
            progress: None,
        }
    }

    /// Delete the catalog's products that are not desired (default: keep them). Within
    /// [`max_deletes`](Self::max_deletes), and never when the desired state is empty.
    pub fn prune(mut self, prune: bool) -> Self {
        self.prune = prune;
        self
    }

    /// How many products a prune may delete (default: 10% of the catalog, rounded down); a
    /// plan that would delete more is refused ([`Plan::refusal`]).
    pub fn max_deletes(mut self, limit: MaxDeletes) -> Self {
        self.max_deletes = limit;
        self
    }

    /// Consent to recreates (default: none). Without it, products whose groups must change are
    /// left untouched and reported as needing it ([`SyncReport::held_back`]).
    pub fn allow_recreate(mut self, allow: bool) -> Self {
        self.approved.set(Consent::Recreate, allow);
        self
    }

    /// Consent to price jumps (default: none): a price multiplied or divided by ten or more.
    /// Without it, such products are left untouched and reported as needing it.
    pub fn allow_price_jumps(mut self, allow: bool) -> Self {
        self.approved.set(Consent::PriceJump, allow);
        self
    }

    /// Where recreates write a product's body before deleting it, and where a plan looks for
    /// recreates an earlier, killed run did not finish (default: none; a recreate then still
    /// restores a product whose create failed, but a process killed between its delete and
    /// its create loses it).
    pub fn journal(mut self, journal: impl Journal) -> Self {
        self.journal = Some(Arc::new(journal));
        self
    }

    /// Writes in flight at once while applying (default 8; see [`crate::MAX_CONCURRENCY`]).
    pub fn concurrency(mut self, writes: usize) -> Self {
        self.concurrency = writes;
        self
    }

    /// The rate limiter the apply shares (default: a new adaptive one per apply).
    pub fn rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// A callback told of the work as it goes: for a progress bar, a log, or a report per row.
    pub fn on_progress(mut self, progress: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    fn report(&self, event: Progress) {
        if let Some(progress) = &self.progress {
            progress(&event);
        }
    }
}
