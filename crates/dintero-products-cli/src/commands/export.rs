//! `products export`: every product of a catalog, written as it arrives.

use crate::error::{CliError, Status};
use crate::files::{FileFormat, ProductWriter};
use crate::output::{Output, note};
use crate::progress::{Mode, Progress};
use dintero_products::{Client, PageSize};
use futures::TryStreamExt;
use std::path::Path;

/// Streams the catalog's products into `output` (standard output when `None`).
///
/// Memory stays flat whatever the catalog's size: one page is held while the next is fetched
/// (the SDK's prefetch), and each product is written, then dropped, before the next.
pub(crate) async fn export(
    client: &Client,
    catalog: &str,
    format: Option<FileFormat>,
    output: Option<&Path>,
    mode: Mode,
) -> Result<Status, CliError> {
    let format = format
        .or_else(|| output.and_then(FileFormat::from_path))
        .unwrap_or(FileFormat::Jsonl);
    let mut out = Output::open(output)?;
    let target = output.map_or("standard output".to_string(), |p| p.display().to_string());
    let write_error = |source| CliError::Output {
        what: format!("cannot write to {target}"),
        source,
    };
    let progress = Progress::new(mode, "exported", "products");
    let mut writer = ProductWriter::new(format, &mut out).map_err(write_error)?;
    let mut products = client.products(catalog).list().limit(PageSize::MAX).items();
    while let Some(product) = products.try_next().await? {
        writer.write(&product).map_err(write_error)?;
        progress.inc(1);
    }
    writer.finish().map_err(write_error)?;
    out.commit()?;
    progress.finish();
    if let Some(path) = output {
        note(&format!("wrote {}", path.display()));
    }
    Ok(Status::Success)
}
