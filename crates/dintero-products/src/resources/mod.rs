//! One module per resource: its handle (`client.catalogs()`, ...), its list operation and
//! filters, and the builders for its request bodies.

mod catalogs;
mod groups;
mod products;

pub use catalogs::{Catalog, CatalogUpdate, Catalogs, ListCatalogs, NewCatalog};
pub use groups::{Group, GroupUpdate, Groups, ListGroups, NewGroup};
pub use products::{ListProducts, NewProduct, Product, ProductUpdate, Products};

use crate::error::InvalidInput;
use std::num::NonZeroU64;

/// Converts one of our validated ids into the generated body type for the same field, which
/// checks the spec's constraints again (and cannot fail for an id we accepted).
fn body_id<T>(what: &'static str, id: &str) -> Result<T, InvalidInput>
where
    T: for<'a> TryFrom<&'a str>,
{
    T::try_from(id).map_err(|_| InvalidInput::new(what, id, "rejected by the API's schema"))
}

/// The generated builders take the limit as a `NonZeroU64`.
fn limit(size: crate::ids::PageSize) -> NonZeroU64 {
    NonZeroU64::from(std::num::NonZeroU8::new(size.get()).unwrap_or(std::num::NonZeroU8::MIN))
}
