//! What a plan holds of each product, compactly: all ids in one string, the entries in vectors
//! sorted by id. No hash table: with its spare capacity it took twice the memory for a million
//! products.

use super::fingerprint::Fingerprint;
use super::plan::{Action, Needs};
use crate::error::{Error, InvalidInput, Result};
use crate::fields::FieldSet;
use crate::price::Price;

/// Where an id sits in a [`Ledger`]'s text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Span {
    start: u32,
    len: u16,
}

/// What the plan does to one product of the catalog or of the desired state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Planned {
    pub(super) action: Action,
    /// The managed fields that differ.
    pub(super) fields: FieldSet,
    /// The consents the change needs.
    pub(super) needs: Needs,
}

/// What the plan knows of one product of the catalog.
#[derive(Debug, Clone, Copy)]
pub(super) struct Held {
    pub(super) id: Span,
    pub(super) fingerprint: Fingerprint,
    /// Kept whole, to tell a price jump from a price change.
    pub(super) price: Option<Price>,
    /// `None` until a desired product with its id turns up; then what to do with it (`None`
    /// again when nothing).
    pub(super) planned: Option<Option<Planned>>,
}

#[derive(Debug, Default)]
pub(super) struct Ledger {
    text: String,
    /// The catalog's products, sorted by id once listed.
    pub(super) held: Vec<Held>,
    /// Desired products the catalog does not hold, sorted by id once planned.
    pub(super) creates: Vec<Span>,
}

impl Ledger {
    /// Stores `id`'s text; the span points at it.
    pub(super) fn push(&mut self, id: &str) -> Result<Span> {
        let too_many = || {
            Error::InvalidInput(InvalidInput::new(
                "desired product id",
                id,
                "one too many for a plan (4 GiB of ids, or one over 64 KiB)",
            ))
        };
        let start = u32::try_from(self.text.len()).map_err(|_| too_many())?;
        let len = u16::try_from(id.len()).map_err(|_| too_many())?;
        self.text.push_str(id);
        Ok(Span { start, len })
    }

    /// The id at `span`: spans are made only by [`Ledger::push`], so they lie within the text.
    pub(super) fn id(&self, span: Span) -> &str {
        let start = span.start as usize;
        &self.text[start..start + usize::from(span.len)]
    }

    /// Sorts the catalog's products by id, once all are listed.
    pub(super) fn sort_held(&mut self) {
        let Self { text, held, .. } = self;
        let id = |span: Span| &text[span.start as usize..][..usize::from(span.len)];
        held.sort_unstable_by(|a, b| id(a.id).cmp(id(b.id)));
        held.shrink_to_fit();
    }

    /// Sorts the creates by id, once all are planned; an id desired twice is the error.
    pub(super) fn sort_creates(&mut self) -> Result<(), String> {
        let Self { text, creates, .. } = self;
        let id = |span: Span| &text[span.start as usize..][..usize::from(span.len)];
        creates.sort_unstable_by(|a, b| id(*a).cmp(id(*b)));
        creates.shrink_to_fit();
        match creates.windows(2).find(|pair| id(pair[0]) == id(pair[1])) {
            Some(pair) => Err(id(pair[0]).to_string()),
            None => Ok(()),
        }
    }

    /// Where the catalog's product `id` is in `held`.
    pub(super) fn held(&self, id: &str) -> Option<usize> {
        self.held.binary_search_by(|h| self.id(h.id).cmp(id)).ok()
    }

    /// What the plan does to the product `id`, if anything (deletes excepted).
    pub(super) fn planned(&self, id: &str) -> Option<Planned> {
        match self.held(id) {
            Some(i) => self.held[i].planned.flatten(),
            None => self
                .creates
                .binary_search_by(|c| self.id(*c).cmp(id))
                .ok()
                .map(|_| Planned {
                    action: Action::Create,
                    fields: FieldSet::EMPTY,
                    needs: Needs::NONE,
                }),
        }
    }

    /// The catalog's products no desired product named.
    pub(super) fn not_desired(&self) -> impl Iterator<Item = &str> {
        self.held
            .iter()
            .filter(|h| h.planned.is_none())
            .map(|h| self.id(h.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(ledger: &mut Ledger, id: &str) {
        let span = ledger.push(id).unwrap();
        ledger.held.push(Held {
            id: span,
            fingerprint: Default::default(),
            price: None,
            planned: None,
        });
    }

    #[test]
    fn ids_are_found_once_sorted_and_twice_given_is_named() {
        let mut ledger = Ledger::default();
        for id in ["C", "A", "ø", "B"] {
            held(&mut ledger, id);
        }
        ledger.sort_held();
        let ids: Vec<&str> = ledger.held.iter().map(|h| ledger.id(h.id)).collect();
        assert_eq!(ids, ["A", "B", "C", "ø"]);
        assert_eq!(ledger.held("C"), Some(2));
        assert_eq!(ledger.held("D"), None);

        let update = Planned {
            action: Action::Update,
            fields: FieldSet::from(crate::Field::Name),
            needs: Needs::NONE,
        };
        ledger.held[0].planned = Some(Some(update)); // A: an update
        ledger.held[1].planned = Some(None); // B: unchanged
        for id in ["NEW2", "NEW1"] {
            let span = ledger.push(id).unwrap();
            ledger.creates.push(span);
        }
        assert_eq!(ledger.sort_creates(), Ok(()));
        assert_eq!(ledger.planned("A"), Some(update));
        assert_eq!(ledger.planned("B"), None);
        assert_eq!(
            ledger.planned("NEW1").map(|p| p.action),
            Some(Action::Create)
        );
        assert_eq!(ledger.planned("NEW3"), None);
        assert_eq!(ledger.not_desired().collect::<Vec<_>>(), ["C", "ø"]);

        let span = ledger.push("NEW1").unwrap();
        ledger.creates.push(span);
        assert_eq!(ledger.sort_creates(), Err("NEW1".to_string()));
    }

    #[test]
    fn an_id_too_long_for_a_span_is_an_error_not_a_wrong_id() {
        let mut ledger = Ledger::default();
        let long = "x".repeat(usize::from(u16::MAX) + 1);
        assert!(ledger.push(&long).is_err());
        let span = ledger.push("ok").unwrap();
        assert_eq!(ledger.id(span), "ok");
    }
}
