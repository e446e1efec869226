//! What a plan holds of each product, compactly: all ids in one string, the entries in vectors
//! sorted by id. No hash table: with its spare capacity it took twice the memory for a million
//! products.

use super::fingerprint::{self, Fingerprint};
use super::plan::{Action, Needs, Refusal};
use crate::error::{Error, InvalidInput, Result};
use crate::fields::FieldSet;
use crate::price::Price;
use crate::resources::Product;

/// Where an id sits in a [`Ledger`]'s text. Packed to six bytes: a million creates take 2 MB
/// less, and [`Held`] keeps its size with a [`Planned`] of six bytes beside it.
#[derive(Debug, Clone, Copy)]
#[repr(C, packed(2))]
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
    /// Whether the stock at a location the desired product names differs
    /// ([`NewProduct::stock`](crate::NewProduct::stock): no field of its own).
    pub(super) stock: bool,
}

impl Planned {
    /// An explicit delete ([`Intent::Delete`](super::Intent::Delete)).
    pub(super) const DELETE: Planned = Planned {
        action: Action::Delete,
        fields: FieldSet::EMPTY,
        needs: Needs::NONE,
        stock: false,
    };
}

/// Why a desired product was rejected: what [`Refusal`] says, in a byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rejection {
    /// Create only, and the catalog holds it.
    Exists,
    /// Update only, and the catalog lacks it.
    Missing,
}

impl Rejection {
    pub(super) fn refusal(self) -> Refusal {
        match self {
            Rejection::Exists => Refusal::Exists,
            Rejection::Missing => Refusal::Missing,
        }
    }

    /// What the product asked, refused.
    pub(super) fn action(self) -> Action {
        match self {
            Rejection::Exists => Action::Create,
            Rejection::Missing => Action::Update,
        }
    }
}

/// A desired product rejected by the plan, with its tag: the tag is known only while the
/// desired state is read, and a dry run must name the row.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rejected {
    pub(super) id: Span,
    pub(super) why: Rejection,
    pub(super) tag: Option<u64>,
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
    /// Desired products the catalog does not hold and that are not created (deletes of what
    /// is gone, updates only of what is missing): kept to find an id desired twice.
    pub(super) absent: Vec<Span>,
    /// Desired products rejected, sorted by id once planned.
    pub(super) rejected: Vec<Rejected>,
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

    /// Sorts the desired products the catalog does not hold (creates, absent, rejected) by id,
    /// once all are planned; an id desired twice among creates and absent is the error (one
    /// the catalog holds is found desired twice as it is planned).
    pub(super) fn sort_desired(&mut self) -> Result<(), String> {
        let Self {
            text,
            creates,
            absent,
            rejected,
            ..
        } = self;
        let id = |span: Span| &text[span.start as usize..][..usize::from(span.len)];
        rejected.sort_unstable_by(|a, b| id(a.id).cmp(id(b.id)));
        rejected.shrink_to_fit();
        for spans in [&mut *creates, &mut *absent] {
            spans.sort_unstable_by(|a, b| id(*a).cmp(id(*b)));
            spans.shrink_to_fit();
            if let Some(pair) = spans.windows(2).find(|pair| id(pair[0]) == id(pair[1])) {
                return Err(id(pair[0]).to_string());
            }
        }
        // Both sorted: one walk finds an id in both.
        let (mut c, mut a) = (creates.iter().peekable(), absent.iter().peekable());
        while let (Some(x), Some(y)) = (c.peek(), a.peek()) {
            match id(**x).cmp(id(**y)) {
                std::cmp::Ordering::Less => _ = c.next(),
                std::cmp::Ordering::Greater => _ = a.next(),
                std::cmp::Ordering::Equal => return Err(id(**x).to_string()),
            }
        }
        Ok(())
    }

    /// Where the catalog's product `id` is in `held`.
    pub(super) fn held(&self, id: &str) -> Option<usize> {
        self.held.binary_search_by(|h| self.id(h.id).cmp(id)).ok()
    }

    /// What the plan does to the desired product `id`, if anything (prunes excepted).
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
                    stock: false,
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

/// The stock of the catalog's products, per location, while a plan is made.
///
/// A desired product's [`stock`](crate::NewProduct::stock) names a few locations and keeps the
/// others, so the plan must compare the catalog's count at just those locations, and the
/// locations a file names are known only once the catalog is listed and the file read. Kept
/// therefore for every listed location, as little as compares exactly (to the fingerprints'
/// precision): the owner, a hash of the location's id and one of its count, 12 bytes a
/// location, in one vector in listing order (the owners' spans grow with it, so it is sorted
/// by owner as it is made). `Held` does not grow, and the table goes when the plan is made.
/// The other ways cost more: listing twice, reading the source a third time, or a read per
/// product.
#[derive(Debug, Default)]
pub(super) struct Stocks(Vec<[u32; 3]>);

impl Stocks {
    /// Records the locations of `product`, held at `owner`.
    pub(super) fn record(&mut self, owner: Span, product: &Product) {
        // An empty id takes no text, so its span's start is another's; a desired id is never
        // empty, so such a product is never looked up.
        if owner.len == 0 {
            return;
        }
        for location in &product.raw().locations {
            if let Some(id) = location.location_id.as_deref() {
                self.0.push([
                    owner.start,
                    fingerprint::of_location(id),
                    fingerprint::of_count(location.number_of_items_in_storage),
                ]);
            }
        }
    }

    /// Whether the product held at `owner` has `count` items at `location`: its first location
    /// with that id, as [`Product::stock_at`] reads it.
    pub(super) fn holds(&self, owner: Span, location: &str, count: i64) -> bool {
        let from = self.0.partition_point(|e| e[0] < owner.start);
        let key = fingerprint::of_location(location);
        self.0[from..]
            .iter()
            .take_while(|e| e[0] == owner.start)
            .find(|e| e[1] == key)
            .is_some_and(|e| e[2] == fingerprint::of_count(Some(count)))
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
            stock: false,
        };
        ledger.held[0].planned = Some(Some(update)); // A: an update
        ledger.held[1].planned = Some(None); // B: unchanged
        for id in ["NEW2", "NEW1"] {
            let span = ledger.push(id).unwrap();
            ledger.creates.push(span);
        }
        assert_eq!(ledger.sort_desired(), Ok(()));
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
        assert_eq!(ledger.sort_desired(), Err("NEW1".to_string()));
    }

    #[test]
    fn an_id_desired_twice_is_found_among_creates_and_absent_alike() {
        let ledger_of = |creates: &[&str], absent: &[&str]| {
            let mut ledger = Ledger::default();
            for id in creates {
                let span = ledger.push(id).unwrap();
                ledger.creates.push(span);
            }
            for id in absent {
                let span = ledger.push(id).unwrap();
                ledger.absent.push(span);
            }
            ledger
        };
        let twice = |creates, absent| ledger_of(creates, absent).sort_desired();
        assert_eq!(twice(&["B", "A", "D"], &["E", "C"]), Ok(()));
        assert_eq!(twice(&["B", "A"], &["C", "A"]), Err("A".to_string()));
        assert_eq!(twice(&["A"], &["C", "B", "C"]), Err("C".to_string()));
        assert_eq!(twice(&[], &["Z", "Y"]), Ok(()));
        assert_eq!(twice(&["X", "Z"], &["A", "Z"]), Err("Z".to_string()));

        let mut ledger = ledger_of(&[], &["M", "K"]);
        for (i, why) in [Rejection::Missing, Rejection::Exists]
            .into_iter()
            .enumerate()
        {
            let id = ledger.absent[i];
            ledger.rejected.push(Rejected {
                id,
                why,
                tag: Some(i as u64),
            });
        }
        assert_eq!(ledger.sort_desired(), Ok(()));
        let rejected: Vec<_> = ledger
            .rejected
            .iter()
            .map(|r| (ledger.id(r.id), r.why, r.tag))
            .collect();
        assert_eq!(
            rejected,
            [
                ("K", Rejection::Exists, Some(1)),
                ("M", Rejection::Missing, Some(0))
            ]
        );
    }

    #[test]
    fn stock_is_compared_at_the_first_location_with_the_id_and_only_for_its_owner() {
        let product = |id: &str, locations: &[(&str, Option<i64>)]| {
            let mut raw = dintero_products_client::types::ProductDetails {
                product_id: Some(id.into()),
                ..Default::default()
            };
            for (location, count) in locations {
                raw.locations
                    .push(dintero_products_client::types::Location {
                        location_id: Some((*location).into()),
                        number_of_items_in_storage: *count,
                        ..Default::default()
                    });
            }
            Product::try_from(raw).unwrap()
        };
        let mut ledger = Ledger::default();
        let mut stocks = Stocks::default();
        let listed = [
            product("A", &[("OSL", Some(4)), ("BGO", None), ("OSL", Some(9))]),
            product("", &[("OSL", Some(1))]),
            product("B", &[("OSL", Some(5))]),
            product("C", &[]),
        ];
        let mut spans = Vec::new();
        for p in &listed {
            let span = ledger.push(p.id()).unwrap();
            stocks.record(span, p);
            spans.push(span);
        }
        let [a, _, b, c] = spans[..] else {
            unreachable!()
        };
        assert!(stocks.holds(a, "OSL", 4));
        assert!(
            !stocks.holds(a, "OSL", 9),
            "the first location with the id counts"
        );
        assert!(!stocks.holds(a, "BGO", 0), "no count is no count of 0");
        assert!(!stocks.holds(a, "TRD", 0), "not stocked there");
        assert!(stocks.holds(b, "OSL", 5));
        assert!(
            !stocks.holds(b, "OSL", 1),
            "the empty id's location is nobody's"
        );
        assert!(!stocks.holds(c, "OSL", 5));
    }

    #[test]
    fn what_a_plan_holds_per_product_stays_small() {
        // A million products: 88 MB of `Held`, as before stock and intents were planned.
        assert!(size_of::<Held>() <= 88, "{}", size_of::<Held>());
        assert!(size_of::<Span>() <= 6);
        assert!(size_of::<Rejected>() <= 24);
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
