//! Products in a catalog: `client.products(catalog_id)`. The handle and its operations are
//! here; the product as returned in `model`, the list in `list`, what is sent in `bodies`.

mod bodies;
mod list;
mod model;

pub(crate) use bodies::dimension_part;
pub use bodies::{NewProduct, ProductUpdate};
pub use list::ListProducts;
pub use model::Product;

use super::handle::{find_listed, get_one};
use super::sealed::Ops;
use super::{Resource, Written};
use crate::bulk::BulkWriter;
use crate::client::Client;
use crate::doctor::Fact;
use crate::error::{InvalidInput, Result};
use crate::ids::{CatalogId, IntoChecked, ProductId};
use crate::pagination::ListRequest;
use crate::sync::{CatalogSync, Desired};
use futures::FutureExt;
use futures::future::BoxFuture;

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
}

super::handle::handle_methods! {
    Products {
        what: "product",
        handle: r#"products("S23")"#,
        example: r#"NewProduct::new("Stablestol").id("Stol22").unit("stk").group("B1")"#,
        item: Product,
        id: ProductId,
        new: NewProduct,
        update: ProductUpdate,
        get: "Uses Dintero's documented *Products collection* with its `product_id` filter (a get-one-product operation appears nowhere in Dintero's published reference); whatever the filter matches, only the product with exactly this id is returned. With [`ApiFacts`](crate::ApiFacts) that saw `GET .../products/{product_id}` exist (`route.get_product`), one `GET` of that route instead; with facts that saw the filter match whole ids (`filter.product_id` `exact`), only the list's first page is read. See [`ClientBuilder::api_facts`](crate::ClientBuilder::api_facts).",
        create: "Dintero's *Create new product* (its body is not shown in Dintero's reference; the one sent is our best reading of the API). The groups of `new` apply when it is created; an existing product's membership is kept by [`modify`](Self::modify) and [`upsert`](Self::upsert), since Dintero's update body has no `groups` (unless the client's [`ApiFacts`](crate::ApiFacts) saw an update apply them: then [`upsert`](Self::upsert) applies them)",
        replace: "Dintero's *Update product*",
        delete: "`DELETE .../products/{product_id}`, which appears nowhere in Dintero's published reference",
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
    const ID_WHAT: &'static str = "product id";

    fn get_item<'a>(&'a self, id: &'a ProductId) -> BoxFuture<'a, Result<Product>> {
        async move {
            let c = &self.client;
            let by_route = || async move {
                let catalog = self.catalog.clone()?;
                c.call(|| {
                    c.raw()
                        .get_product()
                        .aid(c.account_id())
                        .catalog_id(&catalog)
                        .product_id(id)
                        .send()
                })
                .await
                .and_then(Product::from_raw)
            };
            let by_list = || {
                let list = self.list().product_id(id);
                let is_it = |p: &Product| p.id() == id.as_str();
                find_listed(
                    c,
                    list,
                    Fact::FilterProductId,
                    "product",
                    id.as_str(),
                    is_it,
                )
            };
            get_one(c, Fact::RouteGetProduct, by_route, by_list).await
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
}
