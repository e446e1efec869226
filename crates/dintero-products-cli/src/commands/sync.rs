//! `products sync`: a catalog job that may also delete what the file lacks (`--prune`).

use super::job::{self, Kind};
use crate::cli::SyncArgs;
use crate::error::{CliError, Status};
use crate::progress::Mode;
use dintero_products::Client;

/// Plans the file against the catalog, prints the plan, asks, applies.
pub(crate) async fn sync(client: &Client, args: SyncArgs, mode: Mode) -> Result<Status, CliError> {
    let kind = Kind::Sync {
        prune: args.prune,
        max_deletes: args.max_deletes,
    };
    job::run(client, kind, args.job, mode).await
}
