//! The product as Dintero returns it.

use super::{NewProduct, ProductUpdate};
use crate::error::{Error, Result};
use crate::ids::{GroupId, ProductId};
use crate::price::{Currency, Price};
use chrono::{DateTime, Utc};
use dintero_products_client::types;

/// A product as Dintero holds it, with the groups it belongs to.
///
/// The fields people use most have plain accessors ([`id`](Self::id), [`name`](Self::name),
/// [`price`](Self::price), [`group_ids`](Self::group_ids), ...); everything the API returned is
/// in [`raw`](Self::raw), the generated type.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    id: String,
    raw: types::ProductDetails,
}

/// What the API returns, as the SDK's type: for a `Product` read from elsewhere, such as a file of
/// the API's JSON. Fails when the id is missing.
impl TryFrom<types::ProductDetails> for Product {
    type Error = Error;
    fn try_from(raw: types::ProductDetails) -> Result<Self> {
        Self::from_raw(raw)
    }
}

impl Product {
    /// Wraps what the API returned; a product without its `product_id` is not usable.
    pub(crate) fn from_raw(raw: types::ProductDetails) -> Result<Self> {
        let id = raw.product_id.clone().ok_or_else(|| Error::Incomplete {
            what: "product",
            missing: "product_id",
        })?;
        Ok(Self { id, raw })
    }

    /// The product's id within its catalog.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The name customers see (empty when the product has none).
    pub fn name(&self) -> &str {
        self.raw.product_name.as_deref().unwrap_or_default()
    }

    /// The description, if any.
    pub fn description(&self) -> Option<&str> {
        self.raw.description.as_deref()
    }

    /// The gross unit price, when the product has an amount and a valid ISO 4217 currency.
    pub fn price(&self) -> Option<Price> {
        let currency = Currency::new(self.raw.currency.as_deref()?).ok()?;
        Some(Price::new(self.raw.unit_gross_price?, currency))
    }

    /// The unit type, such as `stk`.
    pub fn unit(&self) -> Option<&str> {
        self.raw.unit.as_deref()
    }

    /// Whether the product is virtual (not shipped).
    pub fn is_virtual(&self) -> bool {
        self.raw.is_virtual_product
    }

    /// The ids of the groups the product belongs to.
    pub fn group_ids(&self) -> impl Iterator<Item = &str> {
        self.raw.groups.iter().filter_map(|g| g.group_id.as_deref())
    }

    /// The catalog the product is in, as the API reported it.
    pub fn catalog_id(&self) -> Option<&str> {
        self.raw.catalog_id.as_deref()
    }

    /// Not visible before this time.
    pub fn starting_at(&self) -> Option<DateTime<Utc>> {
        self.raw.starting_at
    }

    /// Not visible after this time.
    pub fn stopping_at(&self) -> Option<DateTime<Utc>> {
        self.raw.stopping_at
    }

    /// When the product was last changed.
    pub fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.raw.updated_at
    }

    /// Everything the API returned, as the generated type.
    pub fn raw(&self) -> &types::ProductDetails {
        &self.raw
    }

    /// Everything the API returned, as the generated type.
    pub fn into_raw(self) -> types::ProductDetails {
        self.raw
    }

    /// The product's writable fields as an update that keeps them all: change what you want
    /// and pass it to [`Products::replace`](super::Products::replace). (That is what [`Products::modify`](super::Products::modify) does.)
    pub fn to_update(&self) -> ProductUpdate {
        let r = &self.raw;
        ProductUpdate {
            name: r.product_name.clone(),
            description: r.description.clone(),
            price: self.price(),
            unit: r.unit.clone(),
            is_virtual: Some(r.is_virtual_product),
            starting_at: r.starting_at,
            stopping_at: r.stopping_at,
            dimension: r.dimension.clone(),
            images: r.images.clone(),
            locations: Some(r.locations.iter().map(location_input).collect()),
        }
    }

    /// The product as a create that would make it again, id and groups included: to copy it
    /// to another catalog, or to export and import it.
    pub fn to_new(&self) -> NewProduct {
        NewProduct::whole(
            ProductId::new(self.id.as_str()),
            self.group_ids().map(GroupId::new).collect(),
            self.to_update(),
        )
    }
}

impl crate::resources::sealed::Object for Product {
    type Update = ProductUpdate;
    fn to_update(&self) -> ProductUpdate {
        Product::to_update(self)
    }
}

/// A location as returned, as a location to send. An id the API returned but the SDK would not
/// send (surrounding spaces, say) is left out rather than failing the whole product.
fn location_input(l: &types::Location) -> types::LocationInput {
    types::LocationInput {
        is_available_for_pickup: l.is_available_for_pickup,
        is_available_for_shipping: l.is_available_for_shipping,
        location_id: l
            .location_id
            .as_deref()
            .and_then(|id| crate::LocationId::new(id).ok()),
        location_name: l.location_name.clone(),
        number_of_items_in_storage: l.number_of_items_in_storage,
    }
}
