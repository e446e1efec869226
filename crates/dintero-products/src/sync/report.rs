//! What an apply did, counted and by target.

use super::plan::{Action, Consent};
use crate::error::Error;
use crate::fields::FieldSet;
use crate::ids::{GroupId, ProductId};
use std::fmt;

/// What a write of a sync was to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// A product of the catalog.
    Product(ProductId),
    /// A group of the account.
    Group(GroupId),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Product(id) => write!(f, "product {id}"),
            Target::Group(id) => write!(f, "group {id}"),
        }
    }
}

/// What an apply did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct SyncReport {
    /// Products created.
    pub created: usize,
    /// Products updated.
    pub updated: usize,
    /// Products planned for an update that held what was desired when read again.
    pub unchanged: usize,
    /// Products deleted and created again.
    pub recreated: usize,
    /// Products deleted.
    pub deleted: usize,
    /// Groups created or renamed.
    pub groups: usize,
    /// Writes that went through in part: what they asked and could not apply (a product's
    /// groups, changed by another writer between the plan and the write).
    pub not_applied: Vec<(Target, FieldSet)>,
    /// Changes left untouched for want of consent, with the consents missing.
    pub held_back: Vec<(ProductId, Vec<Consent>)>,
    /// The writes that failed. A recreate that failed says whether its product was restored
    /// ([`Error::Recreate`]). The products the plan rejected are here too, untouched, with
    /// [`Error::Refused`] ([`Plan::rejected`](super::Plan::rejected)).
    pub failed: Vec<(Target, Error)>,
    /// Why the desired products could not be read again to their end, if they could not: the
    /// writes read before went through, and nothing was pruned.
    pub unread: Option<Error>,
}

impl SyncReport {
    pub(super) fn record(&mut self, action: Action, target: Target, result: Result<bool, Error>) {
        match (result, action) {
            (Err(e), _) => self.failed.push((target, e)),
            (Ok(_), _) if matches!(target, Target::Group(_)) => self.groups += 1,
            (Ok(false), _) => self.unchanged += 1,
            (Ok(true), Action::Create) => self.created += 1,
            (Ok(true), Action::Update) => self.updated += 1,
            (Ok(true), Action::Recreate) => self.recreated += 1,
            (Ok(true), Action::Delete) => self.deleted += 1,
        }
    }

    /// Whether every planned change was made: no write failed or went through in part, none
    /// was held back, and the source was read to its end.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
            && self.not_applied.is_empty()
            && self.held_back.is_empty()
            && self.unread.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_is_counted_where_it_belongs() {
        let product = || Target::Product(ProductId::new("P").unwrap());
        let mut report = SyncReport::default();
        report.record(Action::Create, product(), Ok(true));
        report.record(Action::Update, product(), Ok(true));
        report.record(Action::Update, product(), Ok(false));
        report.record(Action::Recreate, product(), Ok(true));
        report.record(Action::Delete, product(), Ok(true));
        report.record(
            Action::Create,
            Target::Group(GroupId::new("G").unwrap()),
            Ok(true),
        );
        assert_eq!(
            (
                report.created,
                report.updated,
                report.unchanged,
                report.recreated,
                report.deleted,
                report.groups
            ),
            (1, 1, 1, 1, 1, 1)
        );
        assert!(report.is_success());
        report.record(Action::Delete, product(), Err(Error::config("x")));
        assert_eq!(report.deleted, 1);
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.failed[0].0.to_string(), "product P");
        assert!(!report.is_success());
    }

    #[test]
    fn held_back_or_unread_or_partly_applied_is_no_success() {
        let report = SyncReport {
            not_applied: vec![(
                Target::Product(ProductId::new("P").unwrap()),
                FieldSet::from(crate::Field::Groups),
            )],
            ..SyncReport::default()
        };
        assert!(!report.is_success());
        let mut report = SyncReport::default();
        report
            .held_back
            .push((ProductId::new("P").unwrap(), vec![Consent::Recreate]));
        assert!(!report.is_success());
        let report = SyncReport {
            unread: Some(Error::config("x")),
            ..SyncReport::default()
        };
        assert!(!report.is_success());
    }
}
