//! The desired state of a catalog: its products, read from a source that can be read twice
//! (once to plan, once to apply), and the groups they belong to.

use crate::error::{Error, Result};
use crate::fields::FieldSet;
use crate::resources::{NewGroup, NewProduct};
use std::fmt;
use std::sync::Arc;

/// A desired product, with a tag of the caller's (such as the line of the file it came from)
/// that the sync hands back with each of its outcomes.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredProduct {
    product: NewProduct,
    tag: Option<u64>,
}

impl DesiredProduct {
    /// `product`, without a tag.
    pub fn new(product: NewProduct) -> Self {
        Self { product, tag: None }
    }

    /// Carries `tag`, handed back in [`Progress::Applied`](crate::Progress).
    pub fn tagged(mut self, tag: u64) -> Self {
        self.tag = Some(tag);
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

    pub(super) fn into_parts(self) -> (NewProduct, Option<u64>) {
        (self.product, self.tag)
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
    pub(super) fn read(
        &self,
    ) -> impl Iterator<Item = Result<(NewProduct, Option<u64>)>> + Send + use<> {
        let manage = self.manage;
        (self.source)().map(move |item| {
            let (product, tag) = item.map_err(Error::Source)?.into_parts();
            Ok((
                match manage {
                    Some(fields) => product.managed_fields(fields),
                    None => product,
                },
                tag,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Field;

    #[test]
    fn every_reading_manages_what_the_desired_state_says_and_keeps_tags() {
        let desired = Desired::products_from(|| {
            [
                DesiredProduct::new(NewProduct::new("A").id("A")).tagged(2),
                NewProduct::new("B").id("B").into(),
            ]
        })
        .managed_fields(FieldSet::from(Field::Price));
        for _ in 0..2 {
            let read: Vec<_> = desired.read().map(|r| r.unwrap()).collect();
            assert_eq!(read.len(), 2);
            assert_eq!(read[0].1, Some(2));
            assert_eq!(read[1].1, None);
            assert!(
                read.iter()
                    .all(|(p, _)| p.get_managed_fields() == FieldSet::from(Field::Price))
            );
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
