//! Applying a plan: groups first, then the products' writes, then the deletes, each a bulk job
//! under one rate limiter.

use super::desired::{DesiredProduct, Intent};
use super::plan::{Action, GroupChange, Plan, Refusal};
use super::report::{SyncReport, Target};
use super::{CatalogSync, Progress};
use crate::bulk::{Write, WriteKind};
use crate::error::{Error, Result};
use crate::ids::ProductId;
use crate::resources::sealed::{Body as _, Ops};
use crate::resources::{Groups, Products};
use futures::StreamExt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// What an apply's input found on the way, shared with the loop over outcomes.
#[derive(Default)]
struct Reading {
    /// The error that ended the desired products early.
    unread: Option<Error>,
    /// Changes left untouched for want of consent, with their tags.
    held_back: Vec<(ProductId, Vec<super::Consent>, Option<u64>)>,
}

fn lock(reading: &Mutex<Reading>) -> MutexGuard<'_, Reading> {
    // Only this module's closures hold it, for one assignment each: a poisoned lock still
    // holds what they wrote.
    reading.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CatalogSync {
    /// Makes the changes of `plan`: groups first (so products can refer to them), then the
    /// products' creates, updates, recreates and deletes asked for ([`Intent::Delete`]), in
    /// the order of the desired state, then the prunes. A failed write is reported and the
    /// others go on; plan and apply again to retry what failed.
    ///
    /// Fails with [`Error::Refused`], sending nothing, when the plan is refused
    /// ([`Plan::refusal`]). Changes that need a consent not given are left untouched and
    /// reported ([`SyncReport::held_back`]). Products the plan rejected ([`Plan::rejected`])
    /// are left untouched and reported first, each as failed with [`Error::Refused`] and its
    /// tag. An update only ([`Intent::UpdateOnly`]) never creates its product, even one
    /// deleted since the plan; a create only ([`Intent::CreateOnly`]) fails for one created
    /// since. An update reads the product and writes it back with its managed fields changed:
    /// `k` updated products of a catalog cost `k` reads and `k` writes. When the source fails
    /// part-way, the writes before go through and nothing is pruned ([`SyncReport::unread`]).
    pub async fn apply(&self, plan: &Plan) -> Result<SyncReport> {
        if let Some(refusal) = plan.refusal() {
            return Err(Error::Refused(refusal.clone()));
        }
        let mut report = SyncReport::default();
        let limiter = self.limiter.clone().unwrap_or_default();

        // Told first: they are decided, and a failed group would end the apply early.
        let ledger = &plan.ledger;
        for rejected in &ledger.rejected {
            let Ok(id) = ProductId::new(ledger.id(rejected.id)) else {
                continue; // desired ids were checked ids
            };
            let result = Err(Error::Refused(rejected.why.refusal()));
            let (action, tag) = (rejected.why.action(), rejected.tag);
            self.finished(&mut report, action, Target::Product(id), tag, result, false);
        }

        let groups = self.products.client().groups();
        let group_writes: Vec<(Action, Write<Groups>)> = plan
            .groups
            .iter()
            .map(|change| match change {
                GroupChange::Create(g) => (Action::Create, Write::create(g.clone())),
                GroupChange::Rename(g) => (Action::Update, Write::upsert(g.clone())),
            })
            .collect();
        let mut run = groups
            .bulk()
            .concurrency(self.concurrency)
            .rate_limiter(limiter.clone())
            .run_tagged(group_writes);
        while let Some(outcome) = run.next().await {
            let Some(id) = outcome.id else { continue }; // planned groups all have ids
            // A group created by an earlier, interrupted run is what a create wants.
            let result = outcome
                .result
                .map(|_| ())
                .or_else(|e| if e.is_conflict() { Ok(()) } else { Err(e) });
            self.finished(
                &mut report,
                outcome.tag,
                Target::Group(id),
                None,
                result,
                true,
            );
        }
        if report
            .failed
            .iter()
            .any(|(t, _)| matches!(t, Target::Group(_)))
        {
            // Products would refer to groups that are not there. (The rejected products are
            // failures too, but decided ones: the other products' writes still go.)
            return Ok(report);
        }

        let reading = Arc::new(Mutex::new(Reading::default()));
        let mut run = self
            .products
            .bulk()
            .concurrency(self.concurrency)
            .rate_limiter(limiter)
            .journal_opt(self.journal.clone())
            .run_tagged(writes(self, plan, reading.clone()));
        while let Some(outcome) = run.next().await {
            let Some(id) = outcome.id else { continue }; // planned products all have ids
            let (action, tag) = outcome.tag;
            let (changed, result) = match outcome.result {
                Ok(written) => {
                    let not_applied = written.not_applied();
                    if !not_applied.is_empty() {
                        report
                            .not_applied
                            .push((Target::Product(id.clone()), not_applied));
                    }
                    (written.changed(), Ok(()))
                }
                // Already gone (an interrupted run deleted it) is what a delete wants.
                Err(e) if outcome.kind == WriteKind::Delete && e.is_not_found() => (true, Ok(())),
                Err(e) => (false, Err(e)),
            };
            self.finished(
                &mut report,
                action,
                Target::Product(id),
                tag,
                result,
                changed,
            );
        }
        drop(run); // the input, and its hold on `reading`
        let reading = std::mem::take(&mut *lock(&reading));
        report.unread = reading.unread;
        for (id, consents, tag) in reading.held_back {
            let result = Err(Error::Refused(Refusal::NeedsConsent {
                consents: consents.clone(),
            }));
            let target = Target::Product(id.clone());
            let action = match plan.ledger.planned(id.as_str()) {
                Some(planned) => planned.action,
                None => Action::Update,
            };
            self.report(Progress::Applied {
                action,
                target: &target,
                tag,
                result: &result,
                changed: false,
            });
            report.held_back.push((id, consents));
        }
        Ok(report)
    }

    /// One write finished: told to the progress callback, counted in the report.
    fn finished(
        &self,
        report: &mut SyncReport,
        action: Action,
        target: Target,
        tag: Option<u64>,
        result: Result<()>,
        changed: bool,
    ) {
        self.report(Progress::Applied {
            action,
            target: &target,
            tag,
            result: &result,
            changed,
        });
        report.record(action, target, result.map(|()| changed));
    }
}

/// The products' writes, read from the desired state as the bulk job asks for them: each
/// planned change that has its consents (an update is an upsert of the managed fields, or a
/// modify when it may only update), then, when pruning and only if the source was read to its
/// end, the prunes.
fn writes(
    sync: &CatalogSync,
    plan: &Plan,
    reading: Arc<Mutex<Reading>>,
) -> impl Iterator<Item = ((Action, Option<u64>), Write<Products>)> + Send + 'static {
    let ledger = plan.ledger.clone();
    let approved = plan.approved;
    let ended = reading.clone();
    let held = reading.clone();
    let changes = sync
        .desired
        .read()
        .map_while(move |item| match item {
            Ok(product) => Some(product),
            Err(e) => {
                lock(&ended).unread = Some(e);
                None
            }
        })
        .filter_map({
            let ledger = ledger.clone();
            move |desired: DesiredProduct| {
                let DesiredProduct {
                    product,
                    tag,
                    intent,
                } = desired;
                let id = product.get_id()?.clone();
                let planned = ledger.planned(id.as_str())?;
                // A source read anew that no longer asks the delete it asked when planned (or
                // asks one the plan did not show) has changed: no delete is made unseen.
                if (planned.action == Action::Delete) != (intent == Intent::Delete) {
                    return None;
                }
                let missing = planned.needs.missing(approved);
                if !missing.is_empty() {
                    lock(&held).held_back.push((id, missing, tag));
                    return None;
                }
                let write = match (planned.action, intent) {
                    // A modify fails for a product deleted since the plan, where an upsert
                    // would create it.
                    (Action::Update, Intent::UpdateOnly) => {
                        Write::modify(id, move |update| product.merge_into(update))
                    }
                    (Action::Update, _) => Write::upsert(product),
                    (Action::Recreate, _) => Write::recreate(product),
                    (Action::Create, _) => Write::create(product),
                    (Action::Delete, _) => Write::delete(id),
                };
                Some(((planned.action, tag), write))
            }
        });
    let prune = plan.prune;
    // Decided when the changes are all read: a source that ended early prunes nothing.
    let deletes = std::iter::once(()).flat_map(move |()| {
        let read_whole = lock(&reading).unread.is_none();
        let ids: Vec<ProductId> = if prune && read_whole {
            ledger
                .not_desired()
                .filter_map(|id| ProductId::new(id).ok())
                .collect()
        } else {
            Vec::new()
        };
        ids.into_iter()
            .map(|id| ((Action::Delete, None), Write::delete(id)))
    });
    changes.chain(deletes)
}
