//! The products list and its filters.

use super::Product;
use crate::client::Client;
use crate::error::{InvalidInput, Result};
use crate::ids::{CatalogId, Cursor, IntoChecked, PageSize, ProductId};
use crate::pagination::{ListOperation, ListRequest, Page};
use crate::resources::handle::{Paged, page_of};
use futures::future::BoxFuture;

/// The products list and its filters.
#[derive(Debug, Clone)]
pub struct ListProducts {
    pub(super) catalog: Result<CatalogId, InvalidInput>,
    pub(super) product_id: Option<Result<ProductId, InvalidInput>>,
    pub(super) product_name: Option<String>,
}

impl ListRequest<ListProducts> {
    /// Only the product with this id (the server may match more; see [`Products::get`](super::Products::get)).
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
                        .catalog_id(&catalog)
                        .page(size, cursor);
                    if let Some(id) = &product_id {
                        request = request.product_id(id.as_str());
                    }
                    if let Some(name) = &self.product_name {
                        request = request.product_name(name.as_str());
                    }
                    request.send()
                })
                .await?;
            page_of(list.products, list.starting_after, Product::from_raw)
        })
    }
}
