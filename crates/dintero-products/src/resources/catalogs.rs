//! Catalogs: `client.catalogs()`.

use super::sealed::Ops;
use super::{Resource, Written};
use crate::bulk::BulkWriter;
use crate::client::Client;
use crate::error::{Error, InvalidInput, Result};
use crate::ids::{CatalogId, Cursor, IntoChecked, PageSize};
use crate::pagination::{ListOperation, ListRequest, Page};
use chrono::{DateTime, Utc};
use dintero_products_client::types;
use futures::FutureExt;
use futures::future::BoxFuture;

super::named::named_resource! {
    what: "catalog",
    object: Catalog wraps CatalogResponse { id: catalog_id, name: catalog_name },
    id: CatalogId,
    update: CatalogUpdate,
    new: NewCatalog { id: catalog_id, name: catalog_name },
    name_doc: "The name customers see",
}

/// The account's catalogs; see [`Client::catalogs`].
#[derive(Debug, Clone)]
pub struct Catalogs {
    client: Client,
}

impl Catalogs {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Lists the catalogs: Dintero's *Catalogs collection* (`aid_catalogs_get`).
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let mut pages = client.catalogs().list().limit(100).pages();
    /// while let Some(page) = pages.try_next().await? {
    ///     for catalog in &page {
    ///         println!("{}: {}", catalog.id(), catalog.name());
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListRequest<ListCatalogs> {
        ListRequest::new(self.client.clone(), ListCatalogs)
    }

    /// Gets one catalog, or [`Error::NotFound`].
    ///
    /// Uses Dintero's documented *Catalogs collection* (`aid_catalogs_get`), walking it until
    /// the catalog turns up: a get-one-catalog operation appears nowhere in Dintero's published
    /// reference. (The generated `raw().get_catalog()` still calls
    /// `GET .../catalogs/{catalog_id}`, an unseen route.)
    pub async fn get<I: IntoChecked<CatalogId>>(&self, id: I) -> Result<Catalog> {
        self.get_item(&id.into_checked()?).await
    }

    /// Creates a catalog: Dintero's *Create new catalog* (`aid_catalogs_post`).
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use dintero_products::NewCatalog;
    ///
    /// let catalog = client.catalogs().create(NewCatalog::new("Sommer").id("S23")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, catalog: NewCatalog) -> Result<Catalog> {
        self.create_item(catalog).await
    }

    /// Creates a catalog exactly once, even when an attempt's outcome is unknown; see
    /// [`Products::create_once`](crate::Products::create_once).
    pub async fn create_once(&self, catalog: NewCatalog) -> Result<Written<Catalog>> {
        super::create_once(self, catalog).await
    }

    /// **Replaces** a catalog's writable fields: Dintero's *Update catalog*
    /// (`aid_catalogs_put`). A field `update` leaves unset is cleared; [`modify`](Self::modify)
    /// keeps what it does not change.
    pub async fn replace<I: IntoChecked<CatalogId>>(
        &self,
        id: I,
        update: CatalogUpdate,
    ) -> Result<Catalog> {
        self.replace_item(&id.into_checked()?, update).await
    }

    /// Reads the catalog, lets `change` edit its writable fields, and writes them back
    /// (nothing when nothing changed); the last writer wins, as for
    /// [`Products::modify`](crate::Products::modify).
    pub async fn modify<I: IntoChecked<CatalogId>>(
        &self,
        id: I,
        change: impl FnOnce(&mut CatalogUpdate),
    ) -> Result<Written<Catalog>> {
        super::modify(self, &id.into_checked()?, change).await
    }

    /// Creates the catalog, or, when its id exists, sets the fields `catalog` sets; see
    /// [`Products::upsert`](crate::Products::upsert) for the behaviour under concurrency.
    pub async fn upsert(&self, catalog: NewCatalog) -> Result<Written<Catalog>> {
        super::upsert(self, catalog).await
    }

    /// Many writes to the catalogs as one job: bounded concurrency, a result per write, one rate
    /// limiter for the whole job; see [`BulkWriter`].
    pub fn bulk(&self) -> BulkWriter<Self> {
        BulkWriter::new(self.clone())
    }

    /// Deletes a catalog **and all its products**, and returns the catalog as it was:
    /// Dintero's *Delete catalog* ("Delete catalog and all corresponding products").
    pub async fn delete<I: IntoChecked<CatalogId>>(&self, id: I) -> Result<Catalog> {
        self.delete_item(&id.into_checked()?).await
    }
}

impl Resource for Catalogs {
    type Item = Catalog;
    type Id = CatalogId;
    type New = NewCatalog;
    type Update = CatalogUpdate;
}

impl Ops for Catalogs {
    fn client(&self) -> &Client {
        &self.client
    }

    fn with_client(&self, client: Client) -> Self {
        Self { client }
    }

    const WHAT: &'static str = "catalog";

    fn get_item<'a>(&'a self, id: &'a CatalogId) -> BoxFuture<'a, Result<Catalog>> {
        async move {
            self.list()
                .find("catalog", id.as_str(), |c| c.id() == id.as_str())
                .await
        }
        .boxed()
    }

    fn create_item(&self, catalog: NewCatalog) -> BoxFuture<'_, Result<Catalog>> {
        async move {
            let body = catalog.into_body()?;
            let c = &self.client;
            c.call(|| {
                c.raw()
                    .create_catalog()
                    .aid(c.account_id())
                    .body(body.clone())
                    .send()
            })
            .await
            .and_then(Catalog::from_raw)
        }
        .boxed()
    }

    fn replace_item<'a>(
        &'a self,
        id: &'a CatalogId,
        update: CatalogUpdate,
    ) -> BoxFuture<'a, Result<Catalog>> {
        async move {
            let body = types::CatalogInput {
                catalog_id: None,
                catalog_name: update.name,
            };
            let c = &self.client;
            c.call(|| {
                c.raw()
                    .update_catalog()
                    .aid(c.account_id())
                    .catalog_id(id)
                    .body(body.clone())
                    .send()
            })
            .await
            .and_then(Catalog::from_raw)
        }
        .boxed()
    }

    fn delete_item<'a>(&'a self, id: &'a CatalogId) -> BoxFuture<'a, Result<Catalog>> {
        async move {
            let c = &self.client;
            c.call(|| {
                c.raw()
                    .delete_catalog()
                    .aid(c.account_id())
                    .catalog_id(id)
                    .send()
            })
            .await
            .and_then(Catalog::from_raw)
        }
        .boxed()
    }

    fn update_of(item: &Catalog) -> CatalogUpdate {
        item.to_update()
    }

    fn checked_id(new: &NewCatalog) -> Result<Option<CatalogId>> {
        new.checked_id()
    }

    fn id_of(new: &NewCatalog) -> Option<CatalogId> {
        new.catalog_id().cloned()
    }

    fn merge(update: &mut CatalogUpdate, new: &NewCatalog) {
        update.merge(&new.fields);
    }
}

/// The catalogs list (it has no filters).
#[derive(Debug, Clone)]
pub struct ListCatalogs;

impl ListOperation for ListCatalogs {
    type Item = Catalog;
}

impl crate::pagination::sealed::FetchPage for ListCatalogs {
    fn fetch_page<'a>(
        &'a self,
        c: &'a Client,
        size: Option<PageSize>,
        cursor: Option<&'a Cursor>,
    ) -> BoxFuture<'a, Result<Page<Catalog>>> {
        Box::pin(async move {
            let list = c
                .call(|| {
                    let mut request = c.raw().list_catalogs().aid(c.account_id());
                    if let Some(size) = size {
                        request = request.limit(size.as_non_zero());
                    }
                    if let Some(cursor) = cursor {
                        request = request.starting_after(cursor.as_str());
                    }
                    request.send()
                })
                .await?;
            let catalogs = list
                .catalogs
                .into_iter()
                .map(Catalog::from_raw)
                .collect::<Result<_>>()?;
            Ok(Page::new(catalogs, list.starting_after))
        })
    }
}

impl NewCatalog {
    fn into_body(self) -> Result<types::CreateCatalogBody> {
        Ok(types::CreateCatalogBody {
            catalog_id: self.id.transpose()?,
            catalog_name: self.fields.name,
        })
    }
}
