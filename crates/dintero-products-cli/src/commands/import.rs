//! `products import`: a catalog job that creates and updates, and never deletes.

use super::job::{self, Kind};
use crate::cli::ImportArgs;
use crate::error::{CliError, Status};
use crate::progress::Mode;
use dintero_products::Client;

/// Plans the file against the catalog, prints the plan, applies it without pruning.
pub(crate) async fn import(
    client: &Client,
    args: ImportArgs,
    mode: Mode,
) -> Result<Status, CliError> {
    job::run(client, Kind::Import, args.job, mode).await
}
