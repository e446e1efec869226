//! Products in a catalog: `client.products(catalog_id)`.

use super::sealed::Ops;
use super::{Resource, Written};
use crate::bulk::BulkWriter;
use crate::client::Client;
use crate::error::{Error, InvalidInput, Result};
use crate::fields::{Field, FieldSet};
use crate::ids::{CatalogId, Cursor, GroupId, IntoChecked, PageSize, ProductId};
use crate::pagination::{ListOperation, ListRequest, Page};
use crate::price::{Currency, Price};
use crate::sync::{CatalogSync, Desired};
use chrono::{DateTime, Utc};
use dintero_products_client::types;
use futures::FutureExt;
use futures::future::BoxFuture;

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
        let id = raw.product_id.clone().ok_or(Error::Incomplete {
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
    /// and pass it to [`Products::replace`]. (That is what [`Products::modify`] does.)
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
        NewProduct {
            id: Some(ProductId::new(self.id.as_str())),
            groups: self.group_ids().map(GroupId::new).collect(),
            fields: self.to_update(),
            managed: Some(FieldSet::ALL),
        }
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

/// The products of one catalog; see [`Client::products`].
#[derive(Debug, Clone)]
pub struct Products {
    client: Client,
    catalog: Result<CatalogId, InvalidInput>,
}

impl Products {
    pub(crate) fn new(client: Client, catalog: Result<CatalogId, InvalidInput>) -> Self {
        Self { client, catalog }
    }

    /// The catalog these products belong to, if its id was valid.
    pub fn catalog_id(&self) -> Result<&CatalogId, InvalidInput> {
        self.catalog.as_ref().map_err(Clone::clone)
    }

    /// Lists the catalog's products: Dintero's *Products collection* (`aid_products_get`);
    /// [`product_id`](ListRequest::product_id) and [`product_name`](ListRequest::product_name)
    /// filter them.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let chairs: Vec<_> = client.products("S23").list().product_name("Stol").items().try_collect().await?;
    /// for chair in &chairs {
    ///     println!("{}: {} {:?}", chair.id(), chair.name(), chair.price().map(|p| p.to_string()));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListRequest<ListProducts> {
        let op = ListProducts {
            catalog: self.catalog.clone(),
            product_id: None,
            product_name: None,
        };
        ListRequest::new(self.client.clone(), op)
    }

    /// Gets one product, or [`Error::NotFound`].
    ///
    /// Uses Dintero's documented *Products collection* with its `product_id` filter (a
    /// get-one-product operation appears nowhere in Dintero's published reference); whatever
    /// the filter matches, only the product with exactly this id is returned. (The generated
    /// `raw().get_product()` still calls `GET .../products/{product_id}`, an unseen route.)
    pub async fn get<I: IntoChecked<ProductId>>(&self, id: I) -> Result<Product> {
        self.get_item(&id.into_checked()?).await
    }

    /// Creates a product in the catalog: Dintero's *Create new product* (its body is not shown
    /// in Dintero's reference; the one sent is our best reading of the API).
    ///
    /// A create is not retried when its outcome is unknown (the server may have created it);
    /// [`create_once`](Self::create_once) looks before it sends again.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use dintero_products::{Currency, NewProduct, Price};
    ///
    /// let chair = NewProduct::new("Stablestol")
    ///     .id("Stol22")
    ///     .price(Price::new(10900, Currency::NOK)) // 109.00 NOK, in minor units
    ///     .unit("stk")
    ///     .group("B1");
    /// let created = client.products("S23").create(chair).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, product: NewProduct) -> Result<Product> {
        self.create_item(product).await
    }

    /// Creates a product exactly once, even when an attempt's outcome is unknown (a timeout, a
    /// dropped connection, a 5xx): before sending it again, looks its id up, and if it is there,
    /// the first attempt landed. Needs the product's id ([`NewProduct::id`]); without one it is
    /// a plain [`create`](Self::create).
    pub async fn create_once(&self, product: NewProduct) -> Result<Written<Product>> {
        super::create_once(self, product).await
    }

    /// **Replaces** a product's writable fields with `update`: Dintero's *Update product*.
    /// Every field `update` leaves unset is cleared on the product. To change some fields and
    /// keep the others, use [`modify`](Self::modify).
    pub async fn replace<I: IntoChecked<ProductId>>(
        &self,
        id: I,
        update: ProductUpdate,
    ) -> Result<Product> {
        self.replace_item(&id.into_checked()?, update).await
    }

    /// Changes some of a product's fields and keeps the others: reads the product, lets
    /// `change` edit its writable fields, and writes them all back (nothing is written when
    /// `change` changes nothing).
    ///
    /// The API has no version check: if another writer changes the product between the read
    /// and the write, the write wins and their change to the fields in `update` is lost (a
    /// "last writer wins" read-modify-write). Group membership is not a writable field of
    /// Dintero's update body, so it is kept as it is.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// // Ten per cent up; the name, description, unit, locations, ... are kept.
    /// client
    ///     .products("S23")
    ///     .modify("Stol22", |p| {
    ///         p.price = p.price.and_then(|price| price.change_by_percent(10.0).ok());
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn modify<I: IntoChecked<ProductId>>(
        &self,
        id: I,
        change: impl FnOnce(&mut ProductUpdate),
    ) -> Result<Written<Product>> {
        super::modify(self, &id.into_checked()?, change).await
    }

    /// Creates the product, or, when its id exists, sets the fields `product` sets and keeps
    /// the others. Needs the product's id ([`NewProduct::id`]).
    ///
    /// Under concurrency: a create that meets an existing id (409, another writer created it
    /// meanwhile) turns into a modify; a modify whose product disappeared (404, deleted
    /// meanwhile) turns into a create; after three such turns the last error is returned. The
    /// groups of `product` apply when it is created; an existing product's membership is kept,
    /// since Dintero's update body has no `groups`.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use dintero_products::{Currency, NewProduct, Price};
    ///
    /// let row = NewProduct::new("Stablestol").id("Stol22").price(Price::new(11900, Currency::NOK));
    /// let written = client.products("S23").upsert(row).await?;
    /// println!("{} is {}", written.get().id(), if written.changed() { "written" } else { "unchanged" });
    /// # Ok(()) }
    /// ```
    pub async fn upsert(&self, product: NewProduct) -> Result<Written<Product>> {
        super::upsert(self, product).await
    }

    /// Many writes to the products as one job: bounded concurrency, a result per write, one rate
    /// limiter for the whole job; see [`BulkWriter`].
    pub fn bulk(&self) -> BulkWriter<Self> {
        BulkWriter::new(self.clone())
    }

    /// Makes the catalog hold exactly the `desired` products (and the groups they refer to):
    /// [`plan`](CatalogSync::plan) what would change, look at it, then
    /// [`apply`](CatalogSync::apply) it.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use dintero_products::{Currency, Desired, NewProduct, Price};
    ///
    /// let desired = Desired::products(vec![
    ///     NewProduct::new("Stablestol").id("Stol22").price(Price::new(10900, Currency::NOK)).group("B1"),
    /// ]);
    /// let sync = client.products("S23").sync(desired).prune(true);
    /// let plan = sync.plan().await?;
    /// print!("{plan}"); // a readable diff
    /// let report = sync.apply(&plan).await?;
    /// assert!(report.is_success());
    /// # Ok(()) }
    /// ```
    pub fn sync(&self, desired: Desired) -> CatalogSync {
        CatalogSync::new(self.clone(), desired)
    }

    /// Deletes a product and returns it as it was. This calls
    /// `DELETE .../products/{product_id}`, which appears nowhere in Dintero's published reference.
    pub async fn delete<I: IntoChecked<ProductId>>(&self, id: I) -> Result<Product> {
        self.delete_item(&id.into_checked()?).await
    }
}

impl Resource for Products {
    type Item = Product;
    type Id = ProductId;
    type New = NewProduct;
    type Update = ProductUpdate;
}

impl Ops for Products {
    fn client(&self) -> &Client {
        &self.client
    }

    fn with_client(&self, client: Client) -> Self {
        Self {
            client,
            ..self.clone()
        }
    }

    const WHAT: &'static str = "product";

    fn get_item<'a>(&'a self, id: &'a ProductId) -> BoxFuture<'a, Result<Product>> {
        async move {
            self.list()
                .product_id(id)
                .find("product", id.as_str(), |p| p.id() == id.as_str())
                .await
        }
        .boxed()
    }

    fn create_item(&self, product: NewProduct) -> BoxFuture<'_, Result<Product>> {
        async move {
            let catalog = self.catalog.clone()?;
            let body = product.into_body()?;
            let c = &self.client;
            c.call(|| {
                c.raw()
                    .create_product()
                    .aid(c.account_id())
                    .catalog_id(&catalog)
                    .body(body.clone())
                    .send()
            })
            .await
            .and_then(Product::from_raw)
        }
        .boxed()
    }

    fn replace_item<'a>(
        &'a self,
        id: &'a ProductId,
        update: ProductUpdate,
    ) -> BoxFuture<'a, Result<Product>> {
        async move {
            let catalog = self.catalog.clone()?;
            let body = update.into_body();
            let c = &self.client;
            c.call(|| {
                c.raw()
                    .update_product()
                    .aid(c.account_id())
                    .catalog_id(&catalog)
                    .product_id(id)
                    .body(body.clone())
                    .send()
            })
            .await
            .and_then(Product::from_raw)
        }
        .boxed()
    }

    fn delete_item<'a>(&'a self, id: &'a ProductId) -> BoxFuture<'a, Result<Product>> {
        async move {
            let catalog = self.catalog.clone()?;
            let c = &self.client;
            c.call(|| {
                c.raw()
                    .delete_product()
                    .aid(c.account_id())
                    .catalog_id(&catalog)
                    .product_id(id)
                    .send()
            })
            .await
            .and_then(Product::from_raw)
        }
        .boxed()
    }

    fn recreate_item<'a>(
        &'a self,
        new: NewProduct,
        journal: Option<&'a dyn crate::sync::Journal>,
    ) -> BoxFuture<'a, Result<Written<Product>>> {
        crate::sync::recreate(self, new, journal).boxed()
    }

    fn update_of(item: &Product) -> ProductUpdate {
        item.to_update()
    }

    fn checked_id(new: &NewProduct) -> Result<Option<ProductId>> {
        new.check()?;
        Ok(new.id.clone().transpose()?)
    }

    fn id_of(new: &NewProduct) -> Option<ProductId> {
        new.product_id().cloned()
    }

    fn merge(update: &mut ProductUpdate, new: &NewProduct) {
        for field in new.managed_fields().iter() {
            update.set_from(field, &new.fields);
        }
    }
}

/// The products list and its filters.
#[derive(Debug, Clone)]
pub struct ListProducts {
    catalog: Result<CatalogId, InvalidInput>,
    product_id: Option<Result<ProductId, InvalidInput>>,
    product_name: Option<String>,
}

impl ListRequest<ListProducts> {
    /// Only the product with this id (the server may match more; see [`Products::get`]).
    pub fn product_id<I: IntoChecked<ProductId>>(mut self, id: I) -> Self {
        self.op.product_id = Some(id.into_checked());
        self
    }

    /// Only products whose name matches (the server decides how).
    pub fn product_name(mut self, name: impl Into<String>) -> Self {
        self.op.product_name = Some(name.into());
        self
    }
}

impl ListOperation for ListProducts {
    type Item = Product;
}

impl crate::pagination::sealed::FetchPage for ListProducts {
    fn fetch_page<'a>(
        &'a self,
        c: &'a Client,
        size: Option<PageSize>,
        cursor: Option<&'a Cursor>,
    ) -> BoxFuture<'a, Result<Page<Product>>> {
        Box::pin(async move {
            let catalog = self.catalog.clone()?;
            let product_id = self.product_id.clone().transpose()?;
            let list = c
                .call(|| {
                    let mut request = c
                        .raw()
                        .list_products()
                        .aid(c.account_id())
                        .catalog_id(&catalog);
                    if let Some(size) = size {
                        request = request.limit(size.as_non_zero());
                    }
                    if let Some(cursor) = cursor {
                        request = request.starting_after(cursor.as_str());
                    }
                    if let Some(id) = &product_id {
                        request = request.product_id(id.as_str());
                    }
                    if let Some(name) = &self.product_name {
                        request = request.product_name(name.as_str());
                    }
                    request.send()
                })
                .await?;
            let products = list
                .products
                .into_iter()
                .map(Product::from_raw)
                .collect::<Result<_>>()?;
            Ok(Page::new(products, list.starting_after))
        })
    }
}

/// A product's writable fields: the body of [`Products::replace`], and what
/// [`Products::modify`] hands its closure. A field left `None` is not sent, which a replace
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
            Field::Price => self.price = given.price,
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
            // Membership is not a field of the update body.
            Field::Groups => {}
        }
    }

    /// The fields this update sets (never [`Field::Groups`]: it is not part of an update).
    pub fn set_fields(&self) -> FieldSet {
        let mut dimension = self.dimension.clone().unwrap_or_default();
        let parts = Field::DIMENSION.map(|f| dimension_part(&mut dimension, f).is_some());
        let set = [
            (Field::Name, self.name.is_some()),
            (Field::Description, self.description.is_some()),
            (Field::Price, self.price.is_some()),
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
        for field in given.set_fields().iter() {
            self.set_from(field, given);
        }
    }

    fn into_body(self) -> types::ProductInput {
        types::ProductInput {
            product_name: self.name,
            description: self.description,
            unit_gross_price: self.price.map(|p| p.minor_units()),
            currency: self.price.map(|p| p.currency().to_string()),
            unit: self.unit,
            is_virtual_product: self.is_virtual.unwrap_or_default(),
            starting_at: self.starting_at,
            stopping_at: self.stopping_at,
            dimension: self.dimension,
            images: self.images,
            locations: self.locations.unwrap_or_default(),
        }
    }
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
    /// Set by [`NewProduct::manage`]; otherwise the fields that are set are managed.
    managed: Option<FieldSet>,
}

impl NewProduct {
    /// A product with this name; Dintero generates its id unless [`id`](Self::id) sets one.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            id: None,
            groups: Vec::new(),
            fields: ProductUpdate::new().name(name),
            managed: None,
        }
    }

    /// A product known by its id with no field set yet: for an upsert or a sync that changes
    /// a few fields and keeps the others.
    ///
    /// ```
    /// use dintero_products::{Currency, Field, FieldSet, NewProduct, Price};
    ///
    /// let row = NewProduct::with_id("CH-1002").price(Price::new(159900, Currency::NOK));
    /// assert_eq!(row.managed_fields(), FieldSet::from(Field::Price));
    /// ```
    pub fn with_id<I: IntoChecked<ProductId>>(id: I) -> Self {
        Self {
            id: Some(id.into_checked()),
            groups: Vec::new(),
            fields: ProductUpdate::new(),
            managed: None,
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

    /// The product's id, if one was set and is valid.
    pub fn product_id(&self) -> Option<&ProductId> {
        self.id.as_ref()?.as_ref().ok()
    }

    /// The ids of the groups it will belong to (the valid ones).
    pub fn group_ids(&self) -> impl Iterator<Item = &GroupId> {
        self.groups.iter().filter_map(|g| g.as_ref().ok())
    }

    /// The writable fields.
    pub fn writable_fields(&self) -> &ProductUpdate {
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
    ///     .manage(FieldSet::from_iter([Field::Price, Field::Description]));
    /// assert!(!row.managed_fields().contains(Field::Name));
    ///
    /// // Without `manage`, what is set: the name (set by `new`), the price and the groups.
    /// let row = NewProduct::new("Stol").id("CH-1002").price(Price::new(159900, Currency::NOK)).group("B1");
    /// assert_eq!(row.managed_fields(), FieldSet::from_iter([Field::Name, Field::Price, Field::Groups]));
    /// ```
    pub fn manage(mut self, fields: FieldSet) -> Self {
        self.managed = Some(fields);
        self
    }

    /// The fields a job writes for this product; see [`manage`](Self::manage).
    pub fn managed_fields(&self) -> FieldSet {
        self.managed.unwrap_or_else(|| {
            let set = self.fields.set_fields();
            if self.groups.is_empty() {
                set
            } else {
                set | Field::Groups
            }
        })
    }

    /// The product `current` with the fields `self` manages set as `self` has them: every
    /// field of `current`, its groups included unless `self` manages them. What a recreate
    /// creates.
    pub(crate) fn applied_to(&self, current: &Product) -> NewProduct {
        let mut fields = current.to_update();
        Products::merge(&mut fields, self);
        let groups = if self.managed_fields().contains(Field::Groups) {
            self.groups.clone()
        } else {
            current.group_ids().map(GroupId::new).collect()
        };
        NewProduct {
            id: Some(ProductId::new(current.id())),
            groups,
            fields,
            managed: Some(FieldSet::ALL),
        }
    }

    /// The first invalid value given to a setter, if any: reported by every call before any
    /// request. A price must be within [`Price::check`]'s bounds.
    pub fn check(&self) -> Result<(), InvalidInput> {
        if let Some(Err(invalid)) = &self.id {
            return Err(invalid.clone());
        }
        if let Some(price) = &self.fields.price {
            price.check()?;
        }
        match self.groups.iter().find_map(|g| g.as_ref().err()) {
            Some(invalid) => Err(invalid.clone()),
            None => Ok(()),
        }
    }

    /// The create body: only the managed fields, and the groups only when managed (a field
    /// set but not managed is not written, on a create as on an update).
    fn into_body(self) -> Result<types::CreateProductBody> {
        self.check()?;
        let managed = self.managed_fields();
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
        let mut fields = ProductUpdate::new();
        for field in managed.iter() {
            fields.set_from(field, &self.fields);
        }
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            given.set_fields(),
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
