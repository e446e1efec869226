//! The product as Dintero returns it.

use super::bodies::{Kept, membership};
use super::{NewProduct, ProductUpdate};
use crate::error::{Error, Result};
use crate::fields::{Field, FieldSet};
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
    // The id is read from here rather than kept apart: a copy was one allocation per product
    // streamed. Its `product_id` is always present: `from_raw` checks it, and nothing else
    // builds a `Product`. (Boxing it, to move 8 bytes rather than 552 through a stream, ran
    // fewer instructions but took more CPU time: an allocation per product.)
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
        if raw.product_id.is_none() {
            return Err(Error::Incomplete {
                what: "product",
                missing: "product_id",
            });
        }
        Ok(Self { raw })
    }

    /// The product's id within its catalog.
    pub fn id(&self) -> &str {
        self.raw.product_id.as_deref().unwrap_or_default()
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

    /// The items in storage, over every location that reports a count; `None` when none does
    /// (a product without stock figures is not the same as one out of stock).
    ///
    /// ```
    /// use dintero_products::{Product, types};
    ///
    /// let mut raw = types::ProductDetails { product_id: Some("C1".into()), ..Default::default() };
    /// for (id, count) in [("OSL", Some(3)), ("BGO", Some(4)), ("TRD", None)] {
    ///     raw.locations.push(types::Location {
    ///         location_id: Some(id.into()),
    ///         number_of_items_in_storage: count,
    ///         ..Default::default()
    ///     });
    /// }
    /// let product = Product::try_from(raw)?;
    /// assert_eq!(product.stock(), Some(7));
    /// assert_eq!(product.stock_at("BGO"), Some(4));
    /// assert_eq!(product.stock_at("TRD"), None); // no count reported
    /// assert_eq!(product.stock_at("SVG"), None); // not stocked there
    /// # Ok::<(), dintero_products::Error>(())
    /// ```
    pub fn stock(&self) -> Option<i64> {
        self.raw
            .locations
            .iter()
            .filter_map(|l| l.number_of_items_in_storage)
            .reduce(i64::saturating_add)
    }

    /// The items in storage at one location, when the product is stocked there and the
    /// location reports a count.
    pub fn stock_at(&self, location_id: &str) -> Option<i64> {
        self.raw
            .locations
            .iter()
            .find(|l| l.location_id.as_deref() == Some(location_id))?
            .number_of_items_in_storage
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
    ///
    /// What the SDK cannot interpret is in it too, and sent back as it came: a price it cannot
    /// read, fields it does not know.
    ///
    /// ```
    /// use dintero_products::{Field, Product, types};
    ///
    /// let raw: types::ProductDetails = serde_json::from_str(
    ///     r#"{"product_id": "C1", "unit_gross_price": 10900, "currency": "nok", "ean": "7038010012345"}"#,
    /// )?;
    /// let product = Product::try_from(raw)?;
    /// assert_eq!(product.price(), None); // `nok` is no ISO 4217 code
    /// let update = product.to_update();
    /// assert!(update.present_fields().contains(Field::Price)); // kept, sent back as it came
    /// assert_eq!(product.raw().extra["ean"], "7038010012345");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
            kept: Kept {
                price: None,
                fields: r.extra.clone(),
            },
            groups: None,
        }
        .with_kept_price(r.unit_gross_price, r.currency.as_deref())
    }

    /// The product as a create that would make it again, id and groups included: to copy it
    /// to another catalog, or to export and import it.
    pub fn to_new(&self) -> NewProduct {
        NewProduct::whole(
            ProductId::new(self.id()),
            self.group_ids().map(GroupId::new).collect(),
            self.to_update(),
        )
    }
}

impl crate::resources::sealed::Object for Product {
    type Update = ProductUpdate;

    fn writable(&self, client: &crate::Client) -> ProductUpdate {
        let mut update = self.to_update();
        if client.facts().update_applies_groups() {
            update.groups = Some(membership(self.group_ids()));
        }
        update
    }

    fn not_taken(&self, sent: &ProductUpdate) -> FieldSet {
        match &sent.groups {
            Some(groups) if *groups != membership(self.group_ids()) => {
                FieldSet::from(Field::Groups)
            }
            _ => FieldSet::EMPTY,
        }
    }
}

/// A location as returned, as a location to send, with the fields the SDK does not know. An id
/// the API returned but the SDK would not send of its own (surrounding spaces, say) goes back
/// as it came, among those fields, rather than be dropped (the API would then make a new id).
fn location_input(l: &types::Location) -> types::LocationInput {
    let mut extra = l.extra.clone();
    let location_id = l.location_id.as_deref().and_then(|id| {
        let checked = crate::LocationId::new(id).ok();
        if checked.is_none() {
            extra.insert("location_id".into(), id.into());
        }
        checked
    });
    types::LocationInput {
        is_available_for_pickup: l.is_available_for_pickup,
        is_available_for_shipping: l.is_available_for_shipping,
        location_id,
        location_name: l.location_name.clone(),
        number_of_items_in_storage: l.number_of_items_in_storage,
        extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(json: serde_json::Value) -> Product {
        Product::try_from(serde_json::from_value::<types::ProductDetails>(json).unwrap()).unwrap()
    }

    #[test]
    fn each_accessor_reads_its_own_field() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let p = product(serde_json::json!({
            "product_id": "C1",
            "product_name": "Ullgenser",
            "description": "Varm",
            "unit_gross_price": 149900,
            "currency": "NOK",
            "unit": "stk",
            "is_virtual_product": true,
            "catalog_id": "K1",
            "groups": [{"group_id": "B1"}, {"group_id": "B2"}],
            "locations": [
                {"location_id": "OSL", "number_of_items_in_storage": 3},
                {"location_id": "BGO", "number_of_items_in_storage": 0},
            ],
            "starting_at": "2026-01-01T00:00:00Z",
            "stopping_at": "2026-02-01T00:00:00Z",
            "updated_at": "2026-03-01T00:00:00Z",
        }));
        assert_eq!(p.id(), "C1");
        assert_eq!(p.name(), "Ullgenser");
        assert_eq!(p.description(), Some("Varm"));
        assert_eq!(p.price(), Some(Price::new(149900, Currency::NOK)));
        assert_eq!(p.unit(), Some("stk"));
        assert!(p.is_virtual());
        assert_eq!(p.catalog_id(), Some("K1"));
        assert_eq!(p.group_ids().collect::<Vec<_>>(), ["B1", "B2"]);
        assert_eq!(p.stock(), Some(3));
        // Out of stock at one location is a count, not a location without one.
        assert_eq!(p.stock_at("BGO"), Some(0));
        assert_eq!(p.stock_at("OSL"), Some(3));
        assert_eq!(p.starting_at(), Some(at("2026-01-01T00:00:00Z")));
        assert_eq!(p.stopping_at(), Some(at("2026-02-01T00:00:00Z")));
        assert_eq!(p.updated_at(), Some(at("2026-03-01T00:00:00Z")));
        assert_eq!(p.raw().product_name.as_deref(), Some("Ullgenser"));
        assert_eq!(p.clone().into_raw(), *p.raw());
    }

    #[test]
    fn a_product_with_its_id_alone_reads_as_empty_not_as_defaults() {
        let p = product(serde_json::json!({"product_id": "C1"}));
        assert_eq!(p.id(), "C1");
        assert_eq!(p.name(), "");
        assert_eq!(p.description(), None);
        assert_eq!(p.price(), None);
        assert_eq!(p.unit(), None);
        assert!(!p.is_virtual());
        assert_eq!(p.catalog_id(), None);
        assert_eq!(p.group_ids().count(), 0);
        assert_eq!(p.stock(), None);
        assert_eq!(p.stock_at("OSL"), None);
        assert_eq!(p.starting_at(), None);
        assert_eq!(p.stopping_at(), None);
        assert_eq!(p.updated_at(), None);
    }

    #[test]
    fn a_product_without_its_id_is_refused() {
        let error = Product::try_from(types::ProductDetails::default()).unwrap_err();
        assert!(error.to_string().contains("product_id"), "{error}");
    }
}
