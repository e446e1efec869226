//! Catalogs: `client.catalogs()`.

use super::handle::{Paged, get_one, page_of};
use super::sealed::Ops;
use super::{Resource, Written};
use crate::bulk::BulkWriter;
use crate::client::Client;
use crate::doctor::Fact;
use crate::error::{Error, InvalidInput, Result};
use crate::ids::{CatalogId, Cursor, IntoChecked, PageSize};
use crate::pagination::{ListOperation, ListRequest, Page};
use chrono::{DateTime, Utc};
use dintero_products_client::types;
use futures::FutureExt;
use futures::future::BoxFuture;

super::named::named_resource! {
    what: "catalog",
    handle: Catalogs,
    object: Catalog wraps CatalogResponse { id: catalog_id, name: catalog_name },
    id: CatalogId,
    update: CatalogUpdate sent as CatalogInput,
    new: NewCatalog sent as CreateCatalogBody,
    calls: { create: create_catalog, update: update_catalog, delete: delete_catalog },
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

    /// One catalog: by its route when the facts say it exists, else the list walked until it
    /// turns up (there is no documented get, and the list has no filter).
    async fn find(&self, id: &CatalogId) -> Result<Catalog> {
        let c = &self.client;
        let by_route = || async move {
            c.call(|| {
                c.raw()
                    .get_catalog()
                    .aid(c.account_id())
                    .catalog_id(id)
                    .send()
            })
            .await
            .and_then(Catalog::from_raw)
        };
        let by_list = || {
            self.list().find("catalog", id.as_str(), |catalog| {
                catalog.id() == id.as_str()
            })
        };
        get_one(c, Fact::RouteGetCatalog, by_route, by_list).await
    }
}

super::handle::handle_methods! {
    Catalogs {
        what: "catalog",
        handle: "catalogs()",
        example: r#"NewCatalog::new("Sommer").id("S23")"#,
        item: Catalog,
        id: CatalogId,
        new: NewCatalog,
        update: CatalogUpdate,
        get: "Uses Dintero's documented *Catalogs collection* (`aid_catalogs_get`), walking it until the catalog turns up: a get-one-catalog operation appears nowhere in Dintero's published reference. With [`ApiFacts`](crate::ApiFacts) that saw `GET .../catalogs/{catalog_id}` exist (`route.get_catalog`), one `GET` of that route instead; see [`ClientBuilder::api_facts`](crate::ClientBuilder::api_facts).",
        create: "Dintero's *Create new catalog* (`aid_catalogs_post`)",
        replace: "Dintero's *Update catalog* (`aid_catalogs_put`)",
        delete: "Dintero's *Delete catalog*, which deletes **all its products** too",
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
                    c.raw()
                        .list_catalogs()
                        .aid(c.account_id())
                        .page(size, cursor)
                        .send()
                })
                .await?;
            page_of(list.catalogs, list.starting_after, Catalog::from_raw)
        })
    }
}
