//! What is sent: a product's writable fields ([`ProductUpdate`], the body of a replace) and a
//! product to create ([`NewProduct`]).

use super::Product;
use crate::error::{InvalidInput, Result};
use crate::fields::{Field, FieldSet};
use crate::ids::{GroupId, IntoChecked, ProductId};
use crate::price::Price;
use crate::resources::sealed::Body;
use chrono::{DateTime, Utc};
use dintero_products_client::LocationId;
use dintero_products_client::types;

/// A product's writable fields: the body of [`Products::replace`](super::Products::replace), and what
/// [`Products::modify`](super::Products::modify) hands its closure. A field left `None` is not sent, which a replace
/// takes as "clear it".
///
/// Build one with the setters, or set the public fields directly:
///
/// ```
/// use dintero_products::{Currency, Price, ProductUpdate};
///
/// let mut update = ProductUpdate::new().name("Stablestol").unit("stk");
/// update.price = Some(Price::new(10900, Currency::NOK));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
#[must_use]
pub struct ProductUpdate {
    /// The name customers see.
    pub name: Option<String>,
    /// A description.
    pub description: Option<String>,
    /// The gross unit price and its currency.
    ///
    /// A price the SDK could not read from a fetched product (a currency code such as `nok`,
    /// or an amount without a currency) is kept apart and sent back as it was while this
    /// stays `None`, so that a write of other fields never drops it: set a price to replace
    /// it, or call [`clear_price`](Self::clear_price) to remove it.
    pub price: Option<Price>,
    /// The unit type, such as `stk`.
    pub unit: Option<String>,
    /// Whether the product is virtual (not shipped).
    pub is_virtual: Option<bool>,
    /// Not visible before this time.
    pub starting_at: Option<DateTime<Utc>>,
    /// Not visible after this time.
    pub stopping_at: Option<DateTime<Utc>>,
    /// Attributes such as size and colour.
    pub dimension: Option<types::Dimension>,
    /// Links to images of the product.
    pub images: Option<types::Images>,
    /// Where the product is stocked.
    pub locations: Option<Vec<types::LocationInput>>,
    /// What a fetched product held that the SDK cannot read, sent back as it was.
    pub(super) kept: Kept,
    /// The groups the update sets, sorted, without repeats; `None`: not sent, so the API
    /// keeps them. Only an update read by a client whose facts say an update applies groups
    /// carries them (see `Object::writable`): Dintero's update body has no `groups`, and a
    /// client on the SDK's assumptions never sends the field.
    pub(super) groups: Option<Vec<String>>,
}

/// Group ids as an update carries them: sorted, without repeats, so that the same groups in
/// another order are no change.
pub(super) fn membership<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut ids: Vec<String> = ids.map(str::to_string).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The parts of a fetched product the SDK cannot interpret, carried so that a write built from
/// it (modify, upsert, a sync, a replace from [`Product::to_update`]) sends them back exactly as
/// the server sent them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Kept {
    /// The amount and currency as the API sent them, when they are not a [`Price`]: sent while
    /// [`ProductUpdate::price`] is `None`.
    pub(super) price: Option<(Option<i64>, Option<String>)>,
    /// The product's fields the SDK does not know (the generated type's `extra`).
    pub(super) fields: serde_json::Map<String, serde_json::Value>,
}

/// The setters of the writable product fields, for [`ProductUpdate`] itself and for
/// [`NewProduct`], which holds one.
macro_rules! product_field_setters {
    ($($fields:ident)?) => {
        /// The name customers see.
        pub fn name(mut self, name: impl Into<String>) -> Self {
            self $(.$fields)? .name = Some(name.into());
            self
        }

        /// A description.
        pub fn description(mut self, description: impl Into<String>) -> Self {
            self $(.$fields)? .description = Some(description.into());
            self
        }

        /// The gross unit price, such as `Price::new(10900, Currency::NOK)` for 109.00 NOK.
        pub fn price(mut self, price: Price) -> Self {
            self $(.$fields)? .price = Some(price);
            self
        }

        /// The unit type, such as `stk`.
        pub fn unit(mut self, unit: impl Into<String>) -> Self {
            self $(.$fields)? .unit = Some(unit.into());
            self
        }

        /// Whether the product is virtual (not shipped).
        pub fn virtual_product(mut self, is_virtual: bool) -> Self {
            self $(.$fields)? .is_virtual = Some(is_virtual);
            self
        }

        /// Not visible before this time.
        pub fn starting_at(mut self, at: DateTime<Utc>) -> Self {
            self $(.$fields)? .starting_at = Some(at);
            self
        }

        /// Not visible after this time.
        pub fn stopping_at(mut self, at: DateTime<Utc>) -> Self {
            self $(.$fields)? .stopping_at = Some(at);
            self
        }

        /// Attributes such as size and colour.
        pub fn dimension(mut self, dimension: types::Dimension) -> Self {
            self $(.$fields)? .dimension = Some(dimension);
            self
        }

        /// Links to images of the product.
        pub fn images(mut self, images: types::Images) -> Self {
            self $(.$fields)? .images = Some(images);
            self
        }

        /// Adds a location where the product is stocked.
        pub fn location(mut self, location: types::LocationInput) -> Self {
            self $(.$fields)? .locations.get_or_insert_with(Vec::new).push(location);
            self
        }
    };
}

impl ProductUpdate {
    /// An update with no fields set yet.
    pub fn new() -> Self {
        Self::default()
    }

    product_field_setters!();

    /// Sets the items in storage at one location: the location's count when the update has
    /// that location, else a new location with only its id and count (shipping and pickup as
    /// the API defaults them). The other locations stay. Fails, changing nothing, for an id the
    /// API would refuse.
    ///
    /// ```
    /// use dintero_products::ProductUpdate;
    ///
    /// let mut update = ProductUpdate::new();
    /// update.set_stock("OSL", 12)?;
    /// update.set_stock("OSL", 10)?;
    /// let locations = update.locations.as_deref().unwrap_or_default();
    /// assert_eq!(locations.len(), 1);
    /// assert_eq!(locations[0].number_of_items_in_storage, Some(10));
    /// assert!(update.set_stock(" OSL", 1).is_err());
    /// # Ok::<(), dintero_products::InvalidInput>(())
    /// ```
    pub fn set_stock<I: IntoChecked<LocationId>>(
        &mut self,
        location_id: I,
        count: i64,
    ) -> Result<(), InvalidInput> {
        self.put_stock(&location_id.into_checked()?, count);
        Ok(())
    }

    /// [`set_stock`](Self::set_stock) with an id checked already. The first location with the
    /// id is the one changed, as [`Product::stock_at`] reads the first.
    fn put_stock(&mut self, id: &LocationId, count: i64) {
        let locations = self.locations.get_or_insert_with(Vec::new);
        match locations
            .iter_mut()
            .find(|l| l.location_id.as_ref() == Some(id))
        {
            Some(location) => location.number_of_items_in_storage = Some(count),
            None => locations.push(types::LocationInput {
                location_id: Some(id.clone()),
                number_of_items_in_storage: Some(count),
                ..Default::default()
            }),
        }
    }

    /// Removes the price: unsets [`price`](Self::price), and drops a price the SDK could not
    /// read that a fetched product held (which `price = None` alone keeps).
    ///
    /// ```
    /// use dintero_products::{Currency, Price, ProductUpdate};
    ///
    /// let mut update = ProductUpdate::new().price(Price::new(100, Currency::NOK));
    /// update.clear_price();
    /// assert_eq!(update, ProductUpdate::new());
    /// ```
    pub fn clear_price(&mut self) {
        self.price = None;
        self.kept.price = None;
    }

    /// The update of a fetched product: `price` as the SDK reads it, and the amount and
    /// currency as sent when it cannot.
    pub(super) fn with_kept_price(mut self, amount: Option<i64>, currency: Option<&str>) -> Self {
        if self.price.is_none() && (amount.is_some() || currency.is_some()) {
            self.kept.price = Some((amount, currency.map(str::to_string)));
        }
        self
    }

    /// Copies one field from `given`, unset included (an unset field in `given` clears it
    /// here); every other field stays. For the parts of `dimension`, only that part is copied.
    ///
    /// ```
    /// use dintero_products::{Field, ProductUpdate};
    ///
    /// let mut held = ProductUpdate::new().name("Stol").description("Oak");
    /// held.set_from(Field::Description, &ProductUpdate::new().name("ignored"));
    /// assert_eq!(held, ProductUpdate::new().name("Stol"));
    /// ```
    pub fn set_from(&mut self, field: Field, given: &ProductUpdate) {
        match field {
            Field::Name => self.name.clone_from(&given.name),
            Field::Description => self.description.clone_from(&given.description),
            Field::Price => {
                self.price = given.price;
                self.kept.price.clone_from(&given.kept.price);
            }
            Field::Unit => self.unit.clone_from(&given.unit),
            Field::Virtual => self.is_virtual = given.is_virtual,
            Field::StartingAt => self.starting_at = given.starting_at,
            Field::StoppingAt => self.stopping_at = given.stopping_at,
            Field::DimensionColor
            | Field::DimensionConfig
            | Field::DimensionSize
            | Field::DimensionStyle
            | Field::DimensionVariant => {
                let value = given
                    .dimension
                    .clone()
                    .and_then(|mut d| dimension_part(&mut d, field).take());
                let mut dimension = self.dimension.take().unwrap_or_default();
                *dimension_part(&mut dimension, field) = value;
                // No part set is no dimension, as the API returns it.
                self.dimension = Some(dimension).filter(|d| *d != types::Dimension::default());
            }
            Field::Images => self.images.clone_from(&given.images),
            Field::Locations => self.locations.clone_from(&given.locations),
            // Groups are a `NewProduct`'s, set by its `merge_into` on an update that carries
            // them; an update's own are never copied from another.
            Field::Groups => {}
        }
    }

    /// The fields this update sets (never [`Field::Groups`]: it is not part of an update).
    pub fn present_fields(&self) -> FieldSet {
        let mut dimension = self.dimension.clone().unwrap_or_default();
        let parts = Field::DIMENSION.map(|f| dimension_part(&mut dimension, f).is_some());
        let set = [
            (Field::Name, self.name.is_some()),
            (Field::Description, self.description.is_some()),
            (
                Field::Price,
                self.price.is_some() || self.kept.price.is_some(),
            ),
            (Field::Unit, self.unit.is_some()),
            (Field::Virtual, self.is_virtual.is_some()),
            (Field::StartingAt, self.starting_at.is_some()),
            (Field::StoppingAt, self.stopping_at.is_some()),
            (Field::Images, self.images.is_some()),
            (Field::Locations, self.locations.is_some()),
        ];
        set.into_iter()
            .chain(Field::DIMENSION.into_iter().zip(parts))
            .filter_map(|(field, is_set)| is_set.then_some(field))
            .collect()
    }

    /// Sets every field `given` sets; the others stay.
    pub fn merge(&mut self, given: &ProductUpdate) {
        for field in given.present_fields().iter() {
            self.set_from(field, given);
        }
    }

    pub(super) fn into_body(self) -> types::ProductInput {
        let (unit_gross_price, currency) = match (self.price, self.kept.price) {
            (Some(price), _) => (
                Some(price.minor_units()),
                Some(price.currency().to_string()),
            ),
            (None, Some(kept)) => kept,
            (None, None) => (None, None),
        };
        types::ProductInput {
            product_name: self.name,
            description: self.description,
            unit_gross_price,
            currency,
            unit: self.unit,
            is_virtual_product: self.is_virtual.unwrap_or_default(),
            starting_at: self.starting_at,
            stopping_at: self.stopping_at,
            dimension: self.dimension,
            images: self.images,
            locations: self.locations.unwrap_or_default(),
            extra: with_groups(self.kept.fields, self.groups),
        }
    }
}

/// The body's other fields, and `groups` when the update carries them: the generated
/// `ProductInput` has no such field, and its unknown fields are sent as they are.
fn with_groups(
    mut extra: serde_json::Map<String, serde_json::Value>,
    groups: Option<Vec<String>>,
) -> serde_json::Map<String, serde_json::Value> {
    if let Some(groups) = groups {
        let groups = groups
            .into_iter()
            .map(|id| serde_json::json!({ "group_id": id }))
            .collect();
        extra.insert("groups".into(), serde_json::Value::Array(groups));
    }
    extra
}

/// The part of `dimension` a `Dimension*` field names (any other field names `variant`: callers
/// pass only the five).
pub(crate) fn dimension_part(
    dimension: &mut types::Dimension,
    field: Field,
) -> &mut Option<String> {
    match field {
        Field::DimensionColor => &mut dimension.color,
        Field::DimensionConfig => &mut dimension.config,
        Field::DimensionSize => &mut dimension.size,
        Field::DimensionStyle => &mut dimension.style,
        _ => &mut dimension.variant,
    }
}

/// A product to create: its writable fields, and the id and groups only a create can set.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct NewProduct {
    id: Option<Result<ProductId, InvalidInput>>,
    groups: Vec<Result<GroupId, InvalidInput>>,
    fields: ProductUpdate,
    /// Set by [`NewProduct::managed_fields`]; otherwise the fields that are set are managed.
    managed: Option<FieldSet>,
    /// Set by [`NewProduct::stock`]: a count per location, in the order first named. Apart
    /// from `managed`, as it names its own locations and keeps the others.
    stock: Vec<(Result<LocationId, InvalidInput>, i64)>,
}

impl NewProduct {
    /// A product with this name; Dintero generates its id unless [`id`](Self::id) sets one.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            id: None,
            groups: Vec::new(),
            fields: ProductUpdate::new().name(name),
            managed: None,
            stock: Vec::new(),
        }
    }

    /// A product known by its id with no field set yet: for an upsert or a sync that changes
    /// a few fields and keeps the others.
    ///
    /// ```
    /// use dintero_products::{Currency, Field, FieldSet, NewProduct, Price};
    ///
    /// let row = NewProduct::with_id("CH-1002").price(Price::new(159900, Currency::NOK));
    /// assert_eq!(row.get_managed_fields(), FieldSet::from(Field::Price));
    /// ```
    pub fn with_id<I: IntoChecked<ProductId>>(id: I) -> Self {
        Self {
            id: Some(id.into_checked()),
            groups: Vec::new(),
            fields: ProductUpdate::new(),
            managed: None,
            stock: Vec::new(),
        }
    }

    /// Chooses the product's id instead of letting Dintero generate one. Upserts, bulk writes
    /// and syncs need it.
    pub fn id<I: IntoChecked<ProductId>>(mut self, id: I) -> Self {
        self.id = Some(id.into_checked());
        self
    }

    /// Adds the product to a group (the group must exist; a sync creates it first).
    pub fn group<I: IntoChecked<GroupId>>(mut self, id: I) -> Self {
        self.groups.push(id.into_checked());
        self
    }

    product_field_setters!(fields);

    /// Replaces all the writable fields at once.
    pub fn fields(mut self, fields: ProductUpdate) -> Self {
        self.fields = fields;
        self
    }

    /// Sets the items in storage (`number_of_items_in_storage`) at one location, and only
    /// that: an upsert or a sync sets this location's count and keeps the location's other
    /// fields (its name, pickup, shipping) and every other location as Dintero holds them. A
    /// location the product does not have yet is added with its id and this count alone. Named
    /// again, a location takes the last count.
    ///
    /// It is apart from the managed fields ([`managed_fields`](Self::managed_fields) leaves
    /// it as it is), and cannot go with a managed [`Field::Locations`], which writes the whole
    /// list: [`check`](Self::check) refuses such a product, as it refuses a negative count (a
    /// slip, not a stock) and an id the API would not take, before anything is sent.
    ///
    /// ```
    /// use dintero_products::{FieldSet, NewProduct};
    ///
    /// // A stock file's row: two locations' counts, nothing else of the product.
    /// let row = NewProduct::with_id("CH-1002").stock("OSL-01", 7).stock("BGO", 0);
    /// assert!(row.get_managed_fields().is_empty());
    /// let stock: Vec<_> = row.get_stock().map(|(l, n)| (l.as_str(), n)).collect();
    /// assert_eq!(stock, [("OSL-01", 7), ("BGO", 0)]);
    /// assert!(row.check().is_ok());
    ///
    /// assert!(NewProduct::with_id("C1").stock("OSL-01", -1).check().is_err());
    /// assert!(NewProduct::with_id("C1").stock(" OSL", 1).check().is_err());
    /// let both = NewProduct::with_id("C1").stock("OSL-01", 1).managed_fields(FieldSet::ALL);
    /// assert!(both.check().unwrap_err().to_string().contains("locations"));
    /// ```
    pub fn stock<I: IntoChecked<LocationId>>(mut self, location_id: I, count: i64) -> Self {
        let id = location_id.into_checked();
        match self.stock.iter_mut().find(|(held, _)| match (held, &id) {
            (Ok(held), Ok(id)) => held == id,
            _ => false,
        }) {
            Some(entry) => entry.1 = count,
            None => self.stock.push((id, count)),
        }
        self
    }

    /// The counts set by [`stock`](Self::stock), per location (the valid ids), in the order
    /// first named.
    pub fn get_stock(&self) -> impl Iterator<Item = (&LocationId, i64)> {
        self.stock
            .iter()
            .filter_map(|(id, count)| Some((id.as_ref().ok()?, *count)))
    }

    /// Sets in `update` the counts of [`stock`](Self::stock) (the valid ids; [`check`](Self::check)
    /// has refused a product with another before any write).
    fn put_stock_into(&self, update: &mut ProductUpdate) {
        for (id, count) in self.get_stock() {
            update.put_stock(id, count);
        }
    }

    /// The product's id, if one was set and is valid.
    ///
    /// A getter whose plain name is the builder's setter ([`id`](Self::id)) is named `get_`,
    /// as in the AWS SDK's builders: `get_id`, [`get_fields`](Self::get_fields),
    /// [`get_managed_fields`](Self::get_managed_fields).
    pub fn get_id(&self) -> Option<&ProductId> {
        self.id.as_ref()?.as_ref().ok()
    }

    /// The ids of the groups it will belong to (the valid ones).
    pub fn group_ids(&self) -> impl Iterator<Item = &GroupId> {
        self.groups.iter().filter_map(|g| g.as_ref().ok())
    }

    /// The writable fields, as set by the setters or [`fields`](Self::fields).
    pub fn get_fields(&self) -> &ProductUpdate {
        &self.fields
    }

    /// Manages exactly `fields`: an upsert or a sync writes these and keeps every other field
    /// of the product as Dintero holds it. A managed field left unset is **cleared**; a field
    /// set but not in `fields` is not written.
    ///
    /// Without it, the fields that are set are managed, and the groups when
    /// [`group`](Self::group) was called: nothing a caller did not name is ever changed. A
    /// product made by [`Product::to_new`] manages every field (it states the product whole).
    ///
    /// ```
    /// use dintero_products::{Currency, Field, FieldSet, NewProduct, Price};
    ///
    /// // The price changes and the description is cleared; name, stock, groups, ... are kept.
    /// let row = NewProduct::with_id("CH-1002")
    ///     .price(Price::new(159900, Currency::NOK))
    ///     .managed_fields(FieldSet::from_iter([Field::Price, Field::Description]));
    /// assert!(!row.get_managed_fields().contains(Field::Name));
    ///
    /// // Without `manage`, what is set: the name (set by `new`), the price and the groups.
    /// let row = NewProduct::new("Stol").id("CH-1002").price(Price::new(159900, Currency::NOK)).group("B1");
    /// assert_eq!(row.get_managed_fields(), FieldSet::from_iter([Field::Name, Field::Price, Field::Groups]));
    /// ```
    pub fn managed_fields(mut self, fields: FieldSet) -> Self {
        self.managed = Some(fields);
        self
    }

    /// The fields a job writes for this product; see [`managed_fields`](Self::managed_fields).
    pub fn get_managed_fields(&self) -> FieldSet {
        self.managed.unwrap_or_else(|| {
            let set = self.fields.present_fields();
            if self.groups.is_empty() {
                set
            } else {
                set | Field::Groups
            }
        })
    }

    /// A product stated whole: every field managed, so that a job writes it exactly so (what
    /// [`Product::to_new`] and a recreate make).
    /// The ids are the API's, checked here: one the SDK would not send fails the write.
    pub(super) fn whole(
        id: Result<ProductId, InvalidInput>,
        groups: Vec<Result<GroupId, InvalidInput>>,
        fields: ProductUpdate,
    ) -> Self {
        Self {
            id: Some(id),
            groups,
            fields,
            managed: Some(FieldSet::ALL),
            stock: Vec::new(),
        }
    }

    /// The product `current` with the fields `self` manages set as `self` has them: every
    /// field of `current`, its groups included unless `self` manages them. What a recreate
    /// creates.
    pub(crate) fn applied_to(&self, current: &Product) -> NewProduct {
        let mut fields = current.to_update();
        self.merge_into(&mut fields);
        let groups = if self.get_managed_fields().contains(Field::Groups) {
            self.groups.clone()
        } else {
            current.group_ids().map(GroupId::new).collect()
        };
        NewProduct::whole(ProductId::new(current.id()), groups, fields)
    }

    /// The first invalid value given to a setter, if any: reported by every call before any
    /// request. A price must be within [`Price::check`]'s bounds; a [`stock`](Self::stock)
    /// count must not be negative, nor go with a managed [`Field::Locations`].
    pub fn check(&self) -> Result<(), InvalidInput> {
        if let Some(Err(invalid)) = &self.id {
            return Err(invalid.clone());
        }
        if let Some(price) = &self.fields.price {
            price.check()?;
        }
        if let Some(invalid) = self.groups.iter().find_map(|g| g.as_ref().err()) {
            return Err(invalid.clone());
        }
        for (id, count) in &self.stock {
            let id = id.as_ref().map_err(Clone::clone)?;
            if *count < 0 {
                return Err(InvalidInput::new(
                    "stock",
                    &format!("{count} at {id}"),
                    "must not be negative: it counts the items in storage",
                ));
            }
        }
        match self.get_stock().next() {
            Some((id, _)) if self.get_managed_fields().contains(Field::Locations) => {
                Err(InvalidInput::new(
                    "stock at location",
                    id.as_str(),
                    "cannot be set while `locations` is managed too: `locations` writes every location whole, stock one location's count; set one or the other",
                ))
            }
            _ => Ok(()),
        }
    }

    /// The create body: only the managed fields, and the groups only when managed (a field
    /// set but not managed is not written, on a create as on an update).
    pub(super) fn into_body(self) -> Result<types::CreateProductBody> {
        self.check()?;
        let managed = self.get_managed_fields();
        let mut fields = ProductUpdate::new();
        for field in managed.iter() {
            fields.set_from(field, &self.fields);
        }
        self.put_stock_into(&mut fields);
        let product_id = self.id.transpose()?;
        let groups = if managed.contains(Field::Groups) {
            self.groups.into_iter().flatten().collect()
        } else {
            Vec::new()
        };
        let groups = groups
            .into_iter()
            .map(|id| types::GroupFields {
                group_id: Some(id.into()),
                group_name: None,
            })
            .collect();
        // Not a field a row manages: whatever the product held that the SDK does not know
        // goes with it (a recreate, a copy made by `to_new`).
        fields.kept.fields = self.fields.kept.fields;
        let f = fields.into_body();
        Ok(types::CreateProductBody {
            product_id,
            groups,
            product_name: f.product_name,
            description: f.description,
            unit_gross_price: f.unit_gross_price,
            currency: f.currency,
            unit: f.unit,
            is_virtual_product: f.is_virtual_product,
            starting_at: f.starting_at,
            stopping_at: f.stopping_at,
            dimension: f.dimension,
            images: f.images,
            locations: f.locations,
            extra: f.extra,
        })
    }
}

impl crate::resources::sealed::Body for NewProduct {
    type Id = ProductId;
    type Update = ProductUpdate;
    type Item = Product;

    fn not_applied_to(&self, current: &Product, update: &ProductUpdate) -> FieldSet {
        if update.groups.is_some() {
            // The update carries the groups: `merge_into` set them.
            return FieldSet::EMPTY;
        }
        let wanted: std::collections::BTreeSet<&str> =
            self.group_ids().map(GroupId::as_str).collect();
        let held: std::collections::BTreeSet<&str> = current.group_ids().collect();
        if self.get_managed_fields().contains(Field::Groups) && wanted != held {
            FieldSet::from(Field::Groups)
        } else {
            FieldSet::EMPTY
        }
    }

    fn checked_id(&self) -> Result<Option<ProductId>> {
        self.check()?;
        Ok(self.id.clone().transpose()?)
    }

    fn valid_id(&self) -> Option<ProductId> {
        self.get_id().cloned()
    }

    fn merge_into(&self, update: &mut ProductUpdate) {
        let managed = self.get_managed_fields();
        for field in managed.iter() {
            update.set_from(field, &self.fields);
        }
        self.put_stock_into(update);
        // Only an update that carries groups can change them; one that does not keeps the
        // product's, as Dintero's update body has no `groups`.
        if let Some(groups) = update
            .groups
            .as_mut()
            .filter(|_| managed.contains(Field::Groups))
        {
            *groups = membership(self.group_ids().map(GroupId::as_str));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price::Currency;

    #[test]
    fn only_a_price_the_sdk_cannot_read_is_kept_apart() {
        let body = |update: ProductUpdate| {
            let body = update.into_body();
            (body.unit_gross_price, body.currency)
        };
        // Read as a `Price`: nothing is kept apart, so unsetting `price` clears it.
        let mut read = ProductUpdate::new()
            .price(Price::new(100, Currency::NOK))
            .with_kept_price(Some(100), Some("NOK"));
        read.price = None;
        assert_eq!(body(read), (None, None));
        // Not a `Price`: sent as it came while `price` is unset, and either half alone counts.
        let kept = |amount, currency| ProductUpdate::new().with_kept_price(amount, currency);
        assert_eq!(
            body(kept(Some(100), Some("nok"))),
            (Some(100), Some("nok".into()))
        );
        assert_eq!(body(kept(Some(100), None)), (Some(100), None));
        assert_eq!(body(kept(None, Some("NOK"))), (None, Some("NOK".into())));
        assert_eq!(kept(None, None), ProductUpdate::new());
        assert!(
            kept(None, Some("NOK"))
                .present_fields()
                .contains(Field::Price)
        );
        // A price set replaces it; `clear_price` drops it.
        let mut replaced = kept(Some(100), Some("nok"));
        replaced.price = Some(Price::new(200, Currency::NOK));
        assert_eq!(body(replaced), (Some(200), Some("NOK".into())));
        let mut cleared = kept(Some(100), Some("nok"));
        cleared.clear_price();
        assert_eq!(body(cleared), (None, None));
    }

    #[test]
    fn stock_sets_its_locations_counts_and_keeps_every_other_part_of_the_locations() {
        let location = |id: &str, name: Option<&str>, count: Option<i64>| types::LocationInput {
            location_id: Some(id.parse().unwrap()),
            location_name: name.map(str::to_string),
            is_available_for_pickup: true,
            number_of_items_in_storage: count,
            ..Default::default()
        };
        let held = ProductUpdate::new()
            .name("Stol")
            .location(location("OSL", Some("Oslo"), Some(4)))
            .location(location("BGO", Some("Bergen"), Some(2)));
        // Named twice, the last count counts; a location not held is added with id and count.
        let row = NewProduct::with_id("C1")
            .stock("OSL", 5)
            .stock("TRD", 1)
            .stock("OSL", 7);
        assert!(row.get_managed_fields().is_empty());
        let mut update = held.clone();
        row.merge_into(&mut update);
        let added = types::LocationInput {
            location_id: Some("TRD".parse().unwrap()),
            number_of_items_in_storage: Some(1),
            ..Default::default()
        };
        let expected = ProductUpdate::new()
            .name("Stol")
            .location(location("OSL", Some("Oslo"), Some(7)))
            .location(location("BGO", Some("Bergen"), Some(2)))
            .location(added.clone());
        assert_eq!(update, expected);

        // Created, it has just the locations named.
        let body = row.clone().into_body().unwrap();
        let mut osl = added.clone();
        osl.location_id = Some("OSL".parse().unwrap());
        osl.number_of_items_in_storage = Some(7);
        assert_eq!(body.locations, [osl, added]);
        assert_eq!(body.product_name, None, "nothing else is managed");

        // Apart from the managed fields, which do not drop it.
        let managed = row.managed_fields(FieldSet::from(Field::Name));
        assert_eq!(managed.get_stock().count(), 2);
        assert!(managed.check().is_ok());
    }

    #[test]
    fn stock_beside_managed_locations_or_negative_or_at_a_bad_id_is_refused_before_sending() {
        let located = NewProduct::with_id("C1")
            .location(types::LocationInput::default())
            .stock("OSL", 1);
        let error = located.check().unwrap_err();
        assert_eq!(
            (error.what(), error.value()),
            ("stock at location", Some("OSL"))
        );
        assert!(located.clone().into_body().is_err());
        // Locations set but not managed are not written: no conflict.
        let unmanaged = located.managed_fields(FieldSet::from(Field::Name));
        assert!(unmanaged.check().is_ok());

        let negative = NewProduct::with_id("C1").stock("OSL", 3).stock("BGO", -1);
        let error = negative.check().unwrap_err();
        assert_eq!(error.value(), Some("-1 at BGO"));
        assert!(negative.into_body().is_err());

        let bad = NewProduct::with_id("C1").stock("", 1);
        assert_eq!(bad.check().unwrap_err().what(), "location id");
        assert_eq!(bad.get_stock().count(), 0);
    }

    #[test]
    fn groups_are_merged_and_sent_only_by_an_update_that_carries_them() {
        let row = NewProduct::with_id("C1")
            .group("B2")
            .group("B1")
            .group("B2");
        let plain = ProductUpdate::new().name("Stol");
        let mut merged = plain.clone();
        row.merge_into(&mut merged);
        assert_eq!(merged, plain, "no groups to carry: none set");
        assert!(!merged.clone().into_body().extra.contains_key("groups"));

        let mut carrying = plain.clone();
        carrying.groups = Some(vec!["A".into()]);
        row.merge_into(&mut carrying);
        assert_eq!(
            carrying.groups.as_deref(),
            Some(&["B1".into(), "B2".into()][..])
        );
        assert_eq!(
            carrying.clone().into_body().extra["groups"],
            serde_json::json!([{"group_id": "B1"}, {"group_id": "B2"}])
        );
        // Not managed: the update's groups stay.
        let mut kept = plain.clone();
        kept.groups = Some(vec!["A".into()]);
        row.clone()
            .managed_fields(FieldSet::from(Field::Name))
            .merge_into(&mut kept);
        assert_eq!(kept.groups.as_deref(), Some(&["A".into()][..]));
    }

    #[test]
    fn merge_sets_what_is_given_and_keeps_the_rest_down_to_dimension_parts() {
        let mut held = ProductUpdate::new()
            .name("Stol")
            .description("Oak")
            .dimension(types::Dimension {
                color: Some("red".into()),
                size: Some("L".into()),
                ..Default::default()
            });
        let given = ProductUpdate::new()
            .description("Ash")
            .price(Price::new(100, Currency::NOK))
            .dimension(types::Dimension {
                color: Some("blue".into()),
                ..Default::default()
            });
        assert_eq!(
            given.present_fields(),
            FieldSet::from_iter([Field::Description, Field::Price, Field::DimensionColor])
        );
        held.merge(&given);
        let expected = ProductUpdate::new()
            .name("Stol")
            .description("Ash")
            .price(Price::new(100, Currency::NOK))
            .dimension(types::Dimension {
                color: Some("blue".into()),
                size: Some("L".into()),
                ..Default::default()
            });
        assert_eq!(held, expected);
        // Clearing the last part of a dimension leaves no dimension, as the API returns it.
        let mut one_part = ProductUpdate::new().dimension(types::Dimension {
            size: Some("L".into()),
            ..Default::default()
        });
        one_part.set_from(Field::DimensionSize, &ProductUpdate::new());
        assert_eq!(one_part.dimension, None);
    }
}
