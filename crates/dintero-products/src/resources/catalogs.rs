//! Catalogs: `client.catalogs()`.

use super::{body_id, limit};
use crate::client::Client;
use crate::error::{InvalidInput, Result};
use crate::ids::{CatalogId, Cursor, IntoChecked, PageSize};
use crate::pagination::{ListOperation, ListRequest, Page};
use crate::transport::Operation;
use dintero_products_client::types;
use futures::future::BoxFuture;

/// A catalog, as the API returns it.
pub type Catalog = types::CatalogResponse;

const LIST: Operation = Operation {
    name: "list_catalogs",
    idempotent: true,
};
const GET: Operation = Operation {
    name: "get_catalog",
    idempotent: true,
};
const CREATE: Operation = Operation {
    name: "create_catalog",
    idempotent: false,
};
const UPDATE: Operation = Operation {
    name: "update_catalog",
    idempotent: true,
};
const DELETE: Operation = Operation {
    name: "delete_catalog",
    idempotent: true,
};

/// The account's catalogs; see [`Client::catalogs`].
#[derive(Debug, Clone)]
pub struct Catalogs {
    client: Client,
}

impl Catalogs {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Lists the catalogs.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let mut pages = client.catalogs().list().limit(100).pages();
    /// while let Some(page) = pages.try_next().await? {
    ///     for catalog in &page {
    ///         println!("{:?}", catalog.catalog_name);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListRequest<ListCatalogs> {
        ListRequest::new(self.client.clone(), ListCatalogs)
    }

    /// Gets one catalog.
    pub async fn get<I: IntoChecked<CatalogId>>(&self, id: I) -> Result<Catalog> {
        let id = id.into_checked()?;
        let c = &self.client;
        c.call(GET, || {
            c.raw()
                .get_catalog()
                .aid(c.account_id().as_str())
                .catalog_id(id.as_str())
                .send()
        })
        .await
    }

    /// Creates a catalog.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use dintero_products::NewCatalog;
    ///
    /// let catalog = client.catalogs().create(NewCatalog::new("Sommer").id("S23")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, catalog: NewCatalog) -> Result<Catalog> {
        let body = catalog.into_body()?;
        let c = &self.client;
        c.call(CREATE, || {
            c.raw()
                .create_catalog()
                .aid(c.account_id().as_str())
                .body(body.clone())
                .send()
        })
        .await
    }

    /// Replaces a catalog's writable fields.
    pub async fn update<I: IntoChecked<CatalogId>>(
        &self,
        id: I,
        update: CatalogUpdate,
    ) -> Result<Catalog> {
        let id = id.into_checked()?;
        let body = update.into_body();
        let c = &self.client;
        c.call(UPDATE, || {
            c.raw()
                .update_catalog()
                .aid(c.account_id().as_str())
                .catalog_id(id.as_str())
                .body(body.clone())
                .send()
        })
        .await
    }

    /// Deletes a catalog and returns it as it was.
    pub async fn delete<I: IntoChecked<CatalogId>>(&self, id: I) -> Result<Catalog> {
        let id = id.into_checked()?;
        let c = &self.client;
        c.call(DELETE, || {
            c.raw()
                .delete_catalog()
                .aid(c.account_id().as_str())
                .catalog_id(id.as_str())
                .send()
        })
        .await
    }
}

/// The catalogs list (it has no filters).
#[derive(Debug, Clone)]
pub struct ListCatalogs;

impl ListOperation for ListCatalogs {
    type Item = Catalog;

    fn fetch_page<'a>(
        &'a self,
        c: &'a Client,
        size: Option<PageSize>,
        cursor: Option<&'a Cursor>,
    ) -> BoxFuture<'a, Result<Page<Catalog>>> {
        Box::pin(async move {
            let list = c
                .call(LIST, || {
                    let mut request = c.raw().list_catalogs().aid(c.account_id().as_str());
                    if let Some(size) = size {
                        request = request.limit(limit(size));
                    }
                    if let Some(cursor) = cursor {
                        request = request.starting_after(cursor.as_str());
                    }
                    request.send()
                })
                .await?;
            Ok(Page::new(list.catalogs, list.starting_after))
        })
    }
}

/// A catalog to create.
#[derive(Debug, Clone)]
#[must_use]
pub struct NewCatalog {
    name: String,
    id: Option<Result<CatalogId, InvalidInput>>,
}

impl NewCatalog {
    /// A catalog with this name (the one customers see); Dintero generates its id.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            id: None,
        }
    }

    /// Chooses the catalog's id instead of letting Dintero generate one.
    pub fn id<I: IntoChecked<CatalogId>>(mut self, id: I) -> Self {
        self.id = Some(id.into_checked());
        self
    }

    fn into_body(self) -> Result<types::CreateCatalogBody> {
        let catalog_id = match self.id.transpose()? {
            Some(id) => Some(body_id("catalog id", id.as_str())?),
            None => None,
        };
        Ok(types::CreateCatalogBody {
            catalog_id,
            catalog_name: Some(self.name),
        })
    }
}

/// New values for a catalog's writable fields.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct CatalogUpdate {
    name: Option<String>,
}

impl CatalogUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    fn into_body(self) -> types::CatalogInput {
        types::CatalogInput {
            catalog_id: None,
            catalog_name: self.name,
        }
    }
}
