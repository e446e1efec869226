//! Products in a catalog: `client.products(catalog_id)`.

use super::{body_id, limit};
use crate::client::Client;
use crate::error::{InvalidInput, Result};
use crate::ids::{CatalogId, Cursor, GroupId, IntoChecked, PageSize, ProductId};
use crate::pagination::{ListOperation, ListRequest, Page};
use crate::price::Price;
use crate::transport::Operation;
use chrono::{DateTime, Utc};
use dintero_products_client::types;
use futures::future::BoxFuture;

/// A product, as the API returns it (with the groups it belongs to).
pub type Product = types::ProductDetails;

const LIST: Operation = Operation {
    name: "list_products",
    idempotent: true,
};
const GET: Operation = Operation {
    name: "get_product",
    idempotent: true,
};
const CREATE: Operation = Operation {
    name: "create_product",
    idempotent: false,
};
const UPDATE: Operation = Operation {
    name: "update_product",
    idempotent: true,
};
const DELETE: Operation = Operation {
    name: "delete_product",
    idempotent: true,
};

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

    /// Lists the catalog's products; [`product_id`](ListRequest::product_id) and
    /// [`product_name`](ListRequest::product_name) filter them.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let chairs: Vec<_> = client.products("S23").list().product_name("Stol").items().try_collect().await?;
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

    /// Gets one product.
    pub async fn get<I: IntoChecked<ProductId>>(&self, id: I) -> Result<Product> {
        let (catalog, id) = (self.catalog.clone()?, id.into_checked()?);
        let c = &self.client;
        c.call(GET, || {
            c.raw()
                .get_product()
                .aid(c.account_id().as_str())
                .catalog_id(catalog.as_str())
                .product_id(id.as_str())
                .send()
        })
        .await
    }

    /// Creates a product in the catalog.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use dintero_products::NewProduct;
    ///
    /// let chair = NewProduct::new("Stablestol")
    ///     .id("Stol22")
    ///     .price(10900, "NOK") // 109.00 NOK, in minor units
    ///     .unit("stk")
    ///     .group("B1");
    /// let created = client.products("S23").create(chair).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, product: NewProduct) -> Result<Product> {
        let catalog = self.catalog.clone()?;
        let body = product.into_body()?;
        let c = &self.client;
        c.call(CREATE, || {
            c.raw()
                .create_product()
                .aid(c.account_id().as_str())
                .catalog_id(catalog.as_str())
                .body(body.clone())
                .send()
        })
        .await
    }

    /// Replaces a product's writable fields.
    pub async fn update<I: IntoChecked<ProductId>>(
        &self,
        id: I,
        update: ProductUpdate,
    ) -> Result<Product> {
        let (catalog, id) = (self.catalog.clone()?, id.into_checked()?);
        let body = update.into_body()?;
        let c = &self.client;
        c.call(UPDATE, || {
            c.raw()
                .update_product()
                .aid(c.account_id().as_str())
                .catalog_id(catalog.as_str())
                .product_id(id.as_str())
                .body(body.clone())
                .send()
        })
        .await
    }

    /// Deletes a product and returns it as it was.
    pub async fn delete<I: IntoChecked<ProductId>>(&self, id: I) -> Result<Product> {
        let (catalog, id) = (self.catalog.clone()?, id.into_checked()?);
        let c = &self.client;
        c.call(DELETE, || {
            c.raw()
                .delete_product()
                .aid(c.account_id().as_str())
                .catalog_id(catalog.as_str())
                .product_id(id.as_str())
                .send()
        })
        .await
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
    /// Only the product with this id.
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
                .call(LIST, || {
                    let mut request = c
                        .raw()
                        .list_products()
                        .aid(c.account_id().as_str())
                        .catalog_id(catalog.as_str());
                    if let Some(size) = size {
                        request = request.limit(limit(size));
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
            Ok(Page::new(list.products, list.starting_after))
        })
    }
}

/// The writable product fields, shared by [`NewProduct`] and [`ProductUpdate`].
#[derive(Debug, Clone, Default)]
struct ProductFields {
    name: Option<String>,
    description: Option<String>,
    price: Option<Result<Price, InvalidInput>>,
    unit: Option<String>,
    is_virtual: bool,
    starting_at: Option<DateTime<Utc>>,
    stopping_at: Option<DateTime<Utc>>,
    dimension: Option<types::Dimension>,
    images: Option<types::Images>,
    locations: Vec<types::LocationInput>,
}

/// The setters of [`ProductFields`], written once for both builders that hold them.
macro_rules! product_field_setters {
    () => {
        /// The name customers see.
        pub fn name(mut self, name: impl Into<String>) -> Self {
            self.fields.name = Some(name.into());
            self
        }

        /// A description.
        pub fn description(mut self, description: impl Into<String>) -> Self {
            self.fields.description = Some(description.into());
            self
        }

        /// The gross unit price in minor units (øre, cents), with its ISO 4217 currency:
        /// `price(10900, "NOK")` is 109.00 NOK.
        pub fn price(mut self, minor_units: i64, currency: &str) -> Self {
            self.fields.price = Some(Price::new(minor_units, currency));
            self
        }

        /// The unit type, such as `stk`.
        pub fn unit(mut self, unit: impl Into<String>) -> Self {
            self.fields.unit = Some(unit.into());
            self
        }

        /// Whether the product is virtual (not shipped).
        pub fn virtual_product(mut self, is_virtual: bool) -> Self {
            self.fields.is_virtual = is_virtual;
            self
        }

        /// Not visible before this time.
        pub fn starting_at(mut self, at: DateTime<Utc>) -> Self {
            self.fields.starting_at = Some(at);
            self
        }

        /// Not visible after this time.
        pub fn stopping_at(mut self, at: DateTime<Utc>) -> Self {
            self.fields.stopping_at = Some(at);
            self
        }

        /// Attributes such as size and colour.
        pub fn dimension(mut self, dimension: types::Dimension) -> Self {
            self.fields.dimension = Some(dimension);
            self
        }

        /// Links to images of the product.
        pub fn images(mut self, images: types::Images) -> Self {
            self.fields.images = Some(images);
            self
        }

        /// Adds a location where the product is stocked.
        pub fn location(mut self, location: types::LocationInput) -> Self {
            self.fields.locations.push(location);
            self
        }
    };
}

/// A product to create.
#[derive(Debug, Clone)]
#[must_use]
pub struct NewProduct {
    fields: ProductFields,
    id: Option<Result<ProductId, InvalidInput>>,
    groups: Vec<Result<GroupId, InvalidInput>>,
}

impl NewProduct {
    /// A product with this name; Dintero generates its id.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            fields: ProductFields {
                name: Some(name.into()),
                ..ProductFields::default()
            },
            id: None,
            groups: Vec::new(),
        }
    }

    /// Chooses the product's id instead of letting Dintero generate one.
    pub fn id<I: IntoChecked<ProductId>>(mut self, id: I) -> Self {
        self.id = Some(id.into_checked());
        self
    }

    /// Adds the product to a group.
    pub fn group<I: IntoChecked<GroupId>>(mut self, id: I) -> Self {
        self.groups.push(id.into_checked());
        self
    }

    product_field_setters!();

    fn into_body(self) -> Result<types::CreateProductBody> {
        let product_id = match self.id.transpose()? {
            Some(id) => Some(body_id("product id", id.as_str())?),
            None => None,
        };
        let groups = self
            .groups
            .into_iter()
            .map(|id| {
                Ok(types::Group {
                    group_id: Some(id?.into()),
                    group_name: None,
                })
            })
            .collect::<Result<_>>()?;
        let f = self.fields;
        let price = f.price.transpose()?;
        Ok(types::CreateProductBody {
            product_id,
            groups,
            product_name: f.name,
            description: f.description,
            unit_gross_price: price.as_ref().map(Price::minor_units),
            currency: price.map(|p| p.currency().to_string()),
            unit: f.unit,
            is_virtual_product: f.is_virtual,
            starting_at: f.starting_at,
            stopping_at: f.stopping_at,
            dimension: f.dimension,
            images: f.images,
            locations: f.locations,
        })
    }
}

/// New values for a product's writable fields. Fields left unset are sent empty: the API's
/// update replaces the product's fields.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ProductUpdate {
    fields: ProductFields,
}

impl ProductUpdate {
    /// An update with no fields set yet.
    pub fn new() -> Self {
        Self::default()
    }

    product_field_setters!();

    fn into_body(self) -> Result<types::ProductInput> {
        let f = self.fields;
        let price = f.price.transpose()?;
        Ok(types::ProductInput {
            product_name: f.name,
            description: f.description,
            unit_gross_price: price.as_ref().map(Price::minor_units),
            currency: price.map(|p| p.currency().to_string()),
            unit: f.unit,
            is_virtual_product: f.is_virtual,
            starting_at: f.starting_at,
            stopping_at: f.stopping_at,
            dimension: f.dimension,
            images: f.images,
            locations: f.locations,
        })
    }
}
