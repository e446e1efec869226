//! A recreate: delete a product and create it again, to change what an update cannot (its
//! groups), without ever leaving it deleted.

use super::journal::Journal;
use crate::error::{Error, InvalidInput, Result};
use crate::resources::sealed::{Body as _, Ops};
use crate::resources::{self, NewProduct, Product, Products, Written};

/// The journal's scope of a catalog: `account/catalog`.
pub(super) fn scope(products: &Products) -> Result<String> {
    Ok(format!(
        "{}/{}",
        products.client().account_id(),
        products.catalog_id()?
    ))
}

/// Deletes the product `new` names and creates it again with every field it had, the fields
/// `new` manages set as `new` has them.
///
/// In this order: the current product is read; its whole body goes to the journal (durably);
/// it is deleted; the new one is created. When the create fails, the old one is created again
/// and the failure is [`Error::Recreate`] with `restored: true`; when that fails too, the
/// journal keeps the body for the next plan to restore (`restored: false`). A product gone
/// before the delete is simply created.
pub(crate) async fn recreate(
    products: &Products,
    new: NewProduct,
    journal: Option<&dyn Journal>,
) -> Result<Written<Product>> {
    let id = new.checked_id()?.ok_or_else(|| {
        Error::InvalidInput(InvalidInput::missing(
            Products::ID_WHAT,
            "a recreate needs one: set it with `.id(..)`",
        ))
    })?;
    let current = match products.get_item(&id).await {
        Ok(current) => current,
        Err(e) if e.is_not_found() => return resources::create_once(products, new).await,
        Err(e) => return Err(e),
    };
    let replacement = new.applied_to(&current);
    let scope = scope(products)?;
    let end = |journal: Option<&dyn Journal>| match journal {
        Some(journal) => journal.end(&scope, id.as_str()).map_err(Error::Journal),
        None => Ok(()),
    };
    if let Some(journal) = journal {
        journal.begin(&scope, &current).map_err(Error::Journal)?;
    }
    if let Err(e) = products.delete_item(&id).await {
        // Whether it is gone decides what comes next: a create, or nothing.
        let gone = e.is_not_found()
            || (e.is_outcome_unknown()
                && products
                    .get_item(&id)
                    .await
                    .is_err_and(|e| e.is_not_found()));
        if !gone {
            end(journal)?;
            return Err(e);
        }
    }
    match resources::create_once(products, replacement).await {
        Ok(created) => {
            end(journal)?;
            Ok(Written::Recreated(created.into_inner()))
        }
        Err(create_error) => {
            let restored = resources::create_once(products, current.to_new())
                .await
                .is_ok();
            if restored {
                end(journal)?;
            }
            Err(Error::Recreate {
                id: id.to_string(),
                restored,
                source: Box::new(create_error),
            })
        }
    }
}

impl super::CatalogSync {
    /// Creates again, as they were, the products the journal holds for this catalog that a
    /// killed run left deleted, and closes their entries; returns their ids. Fails when one
    /// cannot be restored: planning on would take it for a product to create from the desired
    /// fields alone, and lose the others.
    pub(super) async fn repair(&self) -> Result<Vec<String>> {
        let Some(journal) = &self.journal else {
            return Ok(Vec::new());
        };
        let scope = scope(&self.products)?;
        let mut restored = Vec::new();
        for product in journal.pending(&scope).map_err(Error::Journal)? {
            let id = product.id().to_string();
            let result = match self.products.get(id.as_str()).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_not_found() => {
                    resources::create_once(&self.products, product.to_new())
                        .await
                        .map(|_| restored.push(id.clone()))
                }
                Err(e) => Err(e),
            }
            .and_then(|()| journal.end(&scope, &id).map_err(Error::Journal));
            self.report(super::Progress::Restored {
                id: &id,
                result: &result,
            });
            result?;
        }
        Ok(restored)
    }
}
