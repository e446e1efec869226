//! `doctor`: checks, against a real account, each behaviour of the API that this SDK assumes
//! without Dintero publishing it, and reports per [`Fact`] what the SDK assumes, what the
//! server did, and whether the assumption holds.
//!
//! Everything else in this crate was verified against servers written from the same guesses;
//! a doctor run is how the guesses meet the real API. Read-only by default: the token,
//! list envelopes, cursors and limits, filters, error bodies, headers and the `GET` routes,
//! probed with ids taken from the account's lists. [`Doctor::write`] adds the probes that need
//! writes (creates, updates, deletes), on a test account only, inside a catalog and groups the
//! run creates under a unique prefix and deletes at the end, whatever happened.

mod facts;
mod http;
mod probes;
mod record;

pub use facts::{ApiFacts, Fact, FactsError, Finding, UnknownFact};

use crate::Client;
use crate::error::{Error, InvalidInput};
use crate::ids::{AccountId, CatalogId, GroupId, ProductId};
use http::Shared;
use record::Transcript;
use serde_json::Value;
use std::fmt;
use std::sync::Arc;

impl Client {
    /// A doctor for this client's account: checks the SDK's assumptions about the API (the
    /// [`Fact`]s) and reports what the server did. Requests go to this client's base URL,
    /// with its credentials, audience, timeouts and retry policy.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let report = client
    ///     .doctor()
    ///     .write(true) // a T account only
    ///     .record(std::fs::File::create("doctor.jsonl")?)
    ///     .run()
    ///     .await?;
    /// for (fact, finding) in &report {
    ///     let mark = if finding.is_skipped() { "skip" } else if finding.holds { "ok" } else { "DIFFERS" };
    ///     println!("{fact:<24} {mark:<8} assumed {} observed {:?}", finding.assumed, finding.observed);
    /// }
    /// report.facts().save("api-facts.json")?;
    /// assert!(report.not_cleaned_up().is_empty(), "left behind: {:?}", report.not_cleaned_up());
    /// # Ok(()) }
    /// ```
    pub fn doctor(&self) -> Doctor {
        Doctor {
            shared: Arc::new(Shared::new(self.clone())),
            write: false,
            prefix: default_prefix(),
        }
    }
}

/// `DOCTOR-<unix seconds>-<4 hex digits>`: unique enough that two runs never share it, and
/// telling, in an account's lists, what created it and when.
fn default_prefix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // `RandomState` is seeded randomly per process: a random part without a dependency.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("DOCTOR-{seconds}-{:04x}", hasher.finish() & 0xffff)
}

/// A doctor run being configured; see [`Client::doctor`].
#[must_use = "a doctor does nothing until `.run().await`"]
pub struct Doctor {
    shared: Arc<Shared>,
    write: bool,
    prefix: String,
}

impl fmt::Debug for Doctor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Doctor")
            .field("client", &self.shared.client)
            .field("write", &self.write)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Doctor {
    /// Whether to run the write probes too (default `false`: read-only). They run on a test
    /// account (`T...`) only: on a production one, [`run`](Self::run) refuses before any
    /// request ([`DoctorError::ProductionAccount`]).
    pub fn write(mut self, write: bool) -> Self {
        self.write = write;
        self
    }

    /// The prefix of the ids of everything write mode creates (default
    /// `DOCTOR-<unix seconds>-<4 hex digits>`). Anything whose id starts with it is taken to
    /// be the doctor's, and may be deleted: choose one nothing else in the account uses.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The prefix write mode uses.
    pub fn get_prefix(&self) -> &str {
        &self.prefix
    }

    /// Writes a transcript of every request and response of the run to `sink`, as JSON Lines:
    /// one object per exchange, with `probe` (the fact whose probe sent it, or
    /// `doctor.setup` / `doctor.cleanup`), `method`, `path`, `query`, `request` and
    /// `response` (each `{"headers", "body"}`, the body as JSON when it is, else as text),
    /// `status`, `error` (when no answer could be read) and `ms`.
    ///
    /// Every credential is replaced by `"[redacted]"`: `Authorization` headers (the token
    /// request's Basic one too), cookies, token fields of bodies (`access_token`, ...), any
    /// `Bearer ...`, and the client secret and tokens wherever a server echoes them. A sink
    /// that fails stops the transcript, not the run
    /// ([`DoctorReport::transcript_error`]).
    pub fn record(self, sink: impl std::io::Write + Send + 'static) -> Self {
        *http::lock(&self.shared.transcript) = Some(Arc::new(Transcript::new(Box::new(sink))));
        self
    }

    /// A handle that deletes what this run has created and not deleted yet. The run cleans
    /// up by itself, even after a failed probe; the handle is for when the run itself is cut
    /// short, such as by Ctrl-C (`interrupted` being, say, `tokio::signal::ctrl_c`):
    ///
    /// ```no_run
    /// # async fn interrupted() {}
    /// # async fn run(client: dintero_products::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let doctor = client.doctor().write(true);
    /// let cleanup = doctor.cleanup();
    /// tokio::select! {
    ///     report = doctor.run() => println!("all hold: {}", report?.all_hold()),
    ///     _ = interrupted() => {
    ///         let left = cleanup.run().await;
    ///         eprintln!("interrupted; left behind: {left:?}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn cleanup(&self) -> DoctorCleanup {
        DoctorCleanup {
            shared: self.shared.clone(),
        }
    }

    /// Runs the probes and reports; in write mode, deletes what it created before returning.
    ///
    /// # Errors
    ///
    /// [`DoctorError::ProductionAccount`] and [`DoctorError::InvalidPrefix`] before any
    /// request; [`DoctorError::Unusable`] when no API request can be made at all (no access
    /// token, or the first list refused), with what was found until then. A probe that fails
    /// on its own is reported as skipped, with the reason, and the run goes on.
    pub async fn run(self) -> Result<DoctorReport, DoctorError> {
        if self.write {
            let account = self.shared.client.account_id();
            // Whatever else is set: writes on a production account are never the doctor's.
            if !account.as_str().starts_with('T') {
                return Err(DoctorError::ProductionAccount {
                    account: account.clone(),
                });
            }
            check_prefix(&self.prefix)?;
        }
        probes::Run::new(self.shared, self.write, self.prefix)
            .go()
            .await
    }
}

/// Every id write mode makes from the prefix must be one the API takes.
fn check_prefix(prefix: &str) -> Result<(), DoctorError> {
    for suffix in probes::CATALOG_SUFFIXES {
        CatalogId::new(format!("{prefix}{suffix}"))?;
    }
    for suffix in probes::GROUP_SUFFIXES {
        GroupId::new(format!("{prefix}{suffix}"))?;
    }
    for suffix in probes::PRODUCT_SUFFIXES {
        ProductId::new(format!("{prefix}{suffix}"))?;
    }
    Ok(())
}

/// Something write mode created that is not deleted (yet).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Leftover {
    /// A catalog.
    Catalog {
        /// Its id.
        id: String,
    },
    /// A group.
    Group {
        /// Its id.
        id: String,
    },
    /// A product.
    Product {
        /// The catalog it is in.
        catalog: String,
        /// Its id.
        id: String,
    },
}

impl fmt::Display for Leftover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Leftover::Catalog { id } => write!(f, "catalog {id}"),
            Leftover::Group { id } => write!(f, "group {id}"),
            Leftover::Product { catalog, id } => write!(f, "product {id} in catalog {catalog}"),
        }
    }
}

/// Deletes what a doctor run created and has not deleted yet; see [`Doctor::cleanup`].
/// Cheap to clone.
#[derive(Clone)]
pub struct DoctorCleanup {
    shared: Arc<Shared>,
}

impl fmt::Debug for DoctorCleanup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DoctorCleanup")
            .field("pending", &self.pending())
            .finish()
    }
}

impl DoctorCleanup {
    /// What the run created and has not deleted yet.
    pub fn pending(&self) -> Vec<Leftover> {
        self.shared.pending()
    }

    /// Deletes it all (products, then catalogs, then groups), and returns what could not be
    /// deleted.
    pub async fn run(&self) -> Vec<Leftover> {
        probes::cleanup(&self.shared).await
    }
}

/// Why a doctor run could not report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DoctorError {
    /// Write mode on a production account (`P...`): refused before any request.
    #[error(
        "the doctor's write probes run on a test account only (T...), and {account} is a production account; run it read-only, or on a test account"
    )]
    ProductionAccount {
        /// The account.
        account: AccountId,
    },
    /// The prefix makes ids the API would refuse; nothing was sent.
    #[error("the doctor's prefix makes an invalid id")]
    InvalidPrefix(#[from] InvalidInput),
    /// No API request could be made (no access token, or the first list refused): the
    /// report holds what was found until then (the `token.*` facts), the rest skipped.
    #[error("the doctor could not use the API")]
    Unusable {
        /// Why.
        #[source]
        source: Box<Error>,
        /// What was found.
        report: Box<DoctorReport>,
    },
}

impl DoctorError {
    /// The partial report of [`DoctorError::Unusable`].
    pub fn report(&self) -> Option<&DoctorReport> {
        match self {
            DoctorError::Unusable { report, .. } => Some(report),
            _ => None,
        }
    }
}

/// What a doctor run found: a [`Finding`] per [`Fact`], in the order of [`Fact::ALL`], and
/// what write mode could not delete.
#[derive(Clone, Debug)]
pub struct DoctorReport {
    findings: Vec<(Fact, Finding)>,
    not_cleaned_up: Vec<Leftover>,
    prefix: Option<String>,
    transcript_error: Option<String>,
}

impl DoctorReport {
    /// The finding for `fact`.
    pub fn get(&self, fact: Fact) -> &Finding {
        // Every report has a finding per fact of `ALL`, in its order; see `probes::Run::report`.
        &self.findings[Fact::ALL.iter().position(|f| *f == fact).unwrap_or(0)].1
    }

    /// Every fact and its finding, in the order of [`Fact::ALL`]: a table's rows.
    pub fn iter(&self) -> impl Iterator<Item = (Fact, &Finding)> {
        self.findings.iter().map(|(fact, finding)| (*fact, finding))
    }

    /// Whether no finding contradicts the SDK's assumptions (skipped ones contradict
    /// nothing; see [`skipped`](Self::skipped)).
    pub fn all_hold(&self) -> bool {
        self.findings.iter().all(|(_, finding)| finding.holds)
    }

    /// The facts whose finding contradicts the SDK's assumption.
    pub fn contradicted(&self) -> impl Iterator<Item = (Fact, &Finding)> {
        self.iter().filter(|(_, finding)| !finding.holds)
    }

    /// The facts whose probe was skipped, with the reason in each finding.
    pub fn skipped(&self) -> impl Iterator<Item = (Fact, &Finding)> {
        self.iter().filter(|(_, finding)| finding.is_skipped())
    }

    /// What write mode created and could not delete: delete it by hand.
    pub fn not_cleaned_up(&self) -> &[Leftover] {
        &self.not_cleaned_up
    }

    /// The prefix of what write mode created; `None` for a read-only run.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// Why the transcript stopped, if writing it failed.
    pub fn transcript_error(&self) -> Option<&str> {
        self.transcript_error.as_deref()
    }

    /// One JSON object whose keys are the fact names, each
    /// `{"assumed": .., "observed": .., "holds": true|false}` plus `"skipped": ".."` when the
    /// probe was skipped.
    pub fn to_json(&self) -> Value {
        self.facts().to_json()
    }

    /// The findings, to save and give a client later.
    pub fn facts(&self) -> ApiFacts {
        ApiFacts::from_findings(self.findings.iter().cloned())
    }
}

impl<'a> IntoIterator for &'a DoctorReport {
    type Item = (Fact, &'a Finding);
    type IntoIter = Box<dyn Iterator<Item = (Fact, &'a Finding)> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl From<&DoctorReport> for ApiFacts {
    fn from(report: &DoctorReport) -> Self {
        report.facts()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}
    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn runs_and_their_results_cross_threads() {
        let client = Client::builder()
            .account_id("T12345678")
            .bearer_token("token")
            .build()
            .unwrap();
        let run = client.doctor().record(Vec::new()).run();
        assert_send(&run);
        assert_send_sync::<DoctorReport>();
        assert_send_sync::<DoctorError>();
        assert_send_sync::<DoctorCleanup>();
    }

    #[test]
    fn default_prefixes_are_valid_and_differ() {
        let a = default_prefix();
        assert!(a.starts_with("DOCTOR-"), "{a}");
        check_prefix(&a).unwrap();
        assert!(check_prefix(" x").is_err());
        let client = Client::builder()
            .account_id("T12345678")
            .bearer_token("token")
            .build()
            .unwrap();
        assert_eq!(client.doctor().prefix("X").get_prefix(), "X");
    }

    #[test]
    fn leftovers_say_what_they_are() {
        let product = Leftover::Product {
            catalog: "C".into(),
            id: "P".into(),
        };
        assert_eq!(product.to_string(), "product P in catalog C");
        assert_eq!(Leftover::Group { id: "G".into() }.to_string(), "group G");
    }
}
