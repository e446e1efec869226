//! The desired state of a catalog: its products, read from a source that can be read twice
//! (once to plan, once to apply), and the groups they belong to.

use crate::error::{Error, Result};
use crate::fields::FieldSet;
use crate::resources::{NewGroup, NewProduct};
use std::fmt;
use std::sync::Arc;

/// What a desired product asks of the catalog, when the catalog holds it and when it does not
/// (the meanings of a Matrixify `command` column).
///
/// ```
/// use dintero_products::{DesiredProduct, Intent, NewProduct};
///
/// let row = DesiredProduct::new(NewProduct::with_id("C7")).intent(Intent::Delete).tagged(12);
/// assert_eq!(row.get_intent(), Intent::Delete);
/// assert_eq!(DesiredProduct::new(NewProduct::with_id("C8")).get_intent(), Intent::Merge);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Intent {
    /// Created when missing, its managed fields updated when there (the default).
    #[default]
    Merge,
    /// Created when missing. When the catalog holds it already, nothing is written and the
    /// product is rejected ([`Refusal::Exists`](crate::Refusal::Exists)).
    CreateOnly,
    /// Its managed fields updated when there. When the catalog lacks it, nothing is written
    /// and the product is rejected ([`Refusal::Missing`](crate::Refusal::Missing)).
    UpdateOnly,
    /// Deleted when there, whether the sync prunes or not (an explicit delete is no prune:
    /// [`MaxDeletes`](crate::MaxDeletes) does not count it); nothing to do when missing, so a
    /// file of deletes can be run again. Only its id counts.
    Delete,
    /// Left as the catalog holds it: never written, and never pruned (a row a file says to
    /// skip, in a sync that prunes); nothing to do when missing. Only its id counts.
    Keep,
}

/// A desired product, with what it asks ([`Intent`]) and a tag of the caller's (such as the
/// line of the file it came from) that the sync hands back with each of its outcomes.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredProduct {
    pub(super) product: NewProduct,
    pub(super) tag: Option<u64>,
    pub(super) intent: Intent,
}

impl DesiredProduct {
    /// `product`, without a tag, to be merged ([`Intent::Merge`]).
    pub fn new(product: NewProduct) -> Self {
        Self {
            product,
            tag: None,
            intent: Intent::Merge,
        }
    }

    /// Carries `tag`, handed back in [`Progress::Applied`](crate::Progress) and
    /// [`Plan::rejected`](crate::Plan::rejected).
    pub fn tagged(mut self, tag: u64) -> Self {
        self.tag = Some(tag);
        self
    }

    /// Asks `intent` of the catalog (default [`Intent::Merge`]).
    pub fn intent(mut self, intent: Intent) -> Self {
        self.intent = intent;
        self
    }

    /// The product.
    pub fn product(&self) -> &NewProduct {
        &self.product
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<u64> {
        self.tag
    }

    /// What it asks of the catalog; see [`intent`](Self::intent) (named `get_` as the getters
    /// of [`NewProduct`] whose plain name is the builder's).
    pub fn get_intent(&self) -> Intent {
        self.intent
    }
}

impl From<NewProduct> for DesiredProduct {
    fn from(product: NewProduct) -> Self {
        Self::new(product)
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Read = Box<dyn Iterator<Item = Result<DesiredProduct, BoxError>> + Send>;

/// The desired state of a catalog: its products, and the groups they refer to.
///
/// Each product changes only the fields it manages ([`NewProduct::get_managed_fields`]: the fields
/// it sets, unless [`NewProduct::managed_fields`] or [`Desired::managed_fields`] says otherwise); every other
/// field keeps what Dintero holds.
///
/// ```
/// use dintero_products::{Currency, Desired, Field, FieldSet, NewGroup, NewProduct, Price};
///
/// // A million products, made as they are read: never all in memory at once. Each sets a
/// // name, a price and a group, and only those change.
/// let desired = Desired::products_from(|| {
///     (0..1_000_000).map(|i| {
///         NewProduct::new(format!("Chair {i}"))
///             .id(format!("C{i}"))
///             .price(Price::new(9900, Currency::NOK))
///             .group("CHAIRS")
///     })
/// })
/// .group(NewGroup::new("Chairs").id("CHAIRS"));
///
/// // A price list: prices change, nothing else; a source that can fail (a file) yields
/// // `Result`s, and a failure fails the plan rather than pruning what was not read.
/// let prices = Desired::try_products_from(|| {
///     [("C1", 10900), ("C2", 12900)].map(|(id, minor)| {
///         Ok::<_, std::io::Error>(NewProduct::new("").id(id).price(Price::new(minor, Currency::NOK)))
///     })
/// })
/// .managed_fields(FieldSet::from(Field::Price));
/// # let _ = (desired, prices);
/// ```
#[derive(Clone)]
pub struct Desired {
    source: Arc<dyn Fn() -> Read + Send + Sync>,
    groups: Vec<NewGroup>,
    manage: Option<FieldSet>,
}

impl fmt::Debug for Desired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Desired")
            .field("groups", &self.groups)
            .field("manage", &self.manage)
            .finish_non_exhaustive()
    }
}

impl Desired {
    /// These products.
    pub fn products(products: Vec<NewProduct>) -> Self {
        let products = Arc::new(products);
        // One product cloned at a time as the sync reads, never the whole list.
        Self::products_from(move || {
            let products = products.clone();
            (0..products.len()).map(move |i| products[i].clone())
        })
    }

    /// The products `source` yields, each time it is called: a source too large to hold, such
    /// as a generator. It must yield the same products each time. Items are [`NewProduct`]s or
    /// [`DesiredProduct`]s (to carry a tag).
    pub fn products_from<F, I, P>(source: F) -> Self
    where
        F: Fn() -> I + Send + Sync + 'static,
        I: IntoIterator<Item = P>,
        I::IntoIter: Send + 'static,
        P: Into<DesiredProduct> + 'static,
    {
        Self::try_products_from(move || source().into_iter().map(Ok::<P, std::io::Error>))
    }

    /// The products of a source that can fail part-way, such as a file read anew each time:
    /// an `Err` fails the plan (and stops an apply before it prunes), so a prune never deletes
    /// what was not read.
    pub fn try_products_from<F, I, P, E>(source: F) -> Self
    where
        F: Fn() -> I + Send + Sync + 'static,
        I: IntoIterator<Item = Result<P, E>>,
        I::IntoIter: Send + 'static,
        P: Into<DesiredProduct> + 'static,
        E: Into<BoxError> + 'static,
    {
        Self {
            source: Arc::new(move || {
                Box::new(
                    source()
                        .into_iter()
                        .map(|item| item.map(Into::into).map_err(Into::into)),
                )
            }),
            groups: Vec::new(),
            manage: None,
        }
    }

    /// Every product manages exactly `fields`, whatever it sets (see [`NewProduct::managed_fields`]):
    /// for a source whose every product states the same columns.
    pub fn managed_fields(mut self, fields: FieldSet) -> Self {
        self.manage = Some(fields);
        self
    }

    /// A group the products refer to, with its name. A group a product refers to but not
    /// listed here is created with its id as its name when it is missing.
    pub fn group(mut self, group: NewGroup) -> Self {
        self.groups.push(group);
        self
    }

    pub(super) fn groups(&self) -> &[NewGroup] {
        &self.groups
    }

    /// Reads the source anew: each product with [`Desired::managed_fields`] applied, or the error that
    /// ended the source.
    pub(super) fn read(&self) -> impl Iterator<Item = Result<DesiredProduct>> + Send + use<> {
        let manage = self.manage;
        (self.source)().map(move |item| {
            let mut desired = item.map_err(Error::Source)?;
            if let Some(fields) = manage {
                desired.product = desired.product.managed_fields(fields);
            }
            Ok(desired)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Field;

    #[test]
    fn every_reading_manages_what_the_desired_state_says_and_keeps_tags_and_intents() {
        let desired = Desired::products_from(|| {
            [
                DesiredProduct::new(NewProduct::new("A").id("A"))
                    .tagged(2)
                    .intent(Intent::CreateOnly),
                NewProduct::new("B").id("B").into(),
            ]
        })
        .managed_fields(FieldSet::from(Field::Price));
        for _ in 0..2 {
            let read: Vec<_> = desired.read().map(|r| r.unwrap()).collect();
            assert_eq!(read.len(), 2);
            assert_eq!(read[0].tag(), Some(2));
            assert_eq!(read[1].tag(), None);
            assert_eq!(read[0].get_intent(), Intent::CreateOnly);
            assert_eq!(read[1].get_intent(), Intent::Merge);
            assert!(
                read.iter()
                    .all(|d| d.product().get_managed_fields() == FieldSet::from(Field::Price))
            );
        }
    }

    #[test]
    fn a_desired_state_prints_its_groups_and_what_it_manages() {
        let desired = Desired::products(vec![])
            .group(NewGroup::new("Stoler").id("CHAIRS"))
            .managed_fields(FieldSet::from(Field::Price));
        let printed = format!("{desired:?}");
        for part in ["Desired", "Stoler", "CHAIRS", "manage: Some({Price})"] {
            assert!(printed.contains(part), "{part} in {printed}");
        }
    }

    #[test]
    fn a_failing_source_is_an_error_of_the_source() {
        let desired = Desired::try_products_from(|| {
            [
                Ok(NewProduct::new("A").id("A")),
                Err(std::io::Error::other("cut short")),
            ]
        });
        let read: Vec<_> = desired.read().collect();
        assert!(read[0].is_ok());
        let error = read[1].as_ref().map(|_| ()).unwrap_err();
        assert!(matches!(error, Error::Source(_)), "{error:?}");
        // The message is this layer's; the cause is the source's.
        assert_eq!(error.to_string(), "the desired products could not be read");
        let source = std::error::Error::source(error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("cut short"));
    }
}
