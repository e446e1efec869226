//! `products export`: every product of a catalog, written as it arrives.

use crate::cli::ExportArgs;
use crate::error::{CliError, Status};
use crate::files::{FileFormat, ProductWriter};
use crate::output::{Output, note};
use crate::progress::{Mode, Progress};
use dintero_products::{Client, LocationId, PageSize};
use futures::TryStreamExt;
use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::Path;

/// Streams the catalog's products into `--output` (standard output without one).
///
/// Memory stays flat whatever the catalog's size: one page is held while the next is fetched
/// (the SDK's prefetch), and each product is written, then dropped, before the next. A
/// workbook's rows wait in a temporary file beside the output (rust_xlsxwriter's
/// constant-memory mode) until it is put together at the end. `--stock-columns` without
/// locations lists the catalog once more first, keeping only the set of location ids.
pub(crate) async fn export(
    client: &Client,
    args: ExportArgs,
    mode: Mode,
) -> Result<Status, CliError> {
    let catalog = args.catalog.as_str();
    let output = args.output.as_deref();
    let format = args
        .format
        .or_else(|| output.and_then(FileFormat::from_path))
        .unwrap_or(FileFormat::Jsonl);
    if format == FileFormat::Xlsx && output.is_none() && std::io::stdout().is_terminal() {
        return Err(CliError::Usage(
            "a workbook is not for a terminal: pass -o FILE.xlsx, or redirect standard output to a file".into(),
        ));
    }
    let stock = match args.stock_columns.as_deref() {
        None => Vec::new(),
        Some(_) if format == FileFormat::Jsonl => {
            return Err(CliError::Usage(
                "--stock-columns is for files with columns: pass --format csv or --format xlsx (JSON Lines writes each product's locations whole)".into(),
            ));
        }
        Some(list) if list.trim().is_empty() => catalog_locations(client, catalog, mode).await?,
        Some(list) => named_locations(list)?,
    };

    let mut out = Output::open(output)?;
    let target = output.map_or("standard output".to_string(), |p| p.display().to_string());
    let write_error = |source| CliError::Output {
        what: format!("cannot write to {target}"),
        source,
    };
    // Where `Output` writes: the directory of the destination, which has room for the
    // workbook, where the system's temporary directory may be in memory. (A bare file name's
    // parent is empty: a temporary file's name joined to it is relative, in the current
    // directory, as the destination is.)
    let temp_dir = output
        .and_then(Path::parent)
        .map_or_else(std::env::temp_dir, Path::to_path_buf);
    let progress = Progress::new(mode, "exported", "products");
    let mut writer =
        ProductWriter::new_in(format, &mut out, stock, &temp_dir).map_err(write_error)?;
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

/// The locations `--stock-columns` names, separated by commas, in that order.
fn named_locations(list: &str) -> Result<Vec<LocationId>, CliError> {
    let mut locations: Vec<LocationId> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let location =
            LocationId::new(name).map_err(|e| CliError::Usage(format!("--stock-columns: {e}")))?;
        if locations.contains(&location) {
            return Err(CliError::Usage(format!(
                "--stock-columns: {location} is named twice"
            )));
        }
        locations.push(location);
    }
    Ok(locations)
}

/// Every location the catalog's products name, sorted: a listing of the catalog that keeps
/// only the set of ids, so memory stays that of the locations, not of the products.
async fn catalog_locations(
    client: &Client,
    catalog: &str,
    mode: Mode,
) -> Result<Vec<LocationId>, CliError> {
    let progress = Progress::new(mode, "read", "products (to find their locations)");
    let mut locations = BTreeSet::new();
    let mut unusable = BTreeSet::new();
    let mut products = client.products(catalog).list().limit(PageSize::MAX).items();
    while let Some(product) = products.try_next().await? {
        for id in product
            .raw()
            .locations
            .iter()
            .filter_map(|l| l.location_id.as_deref())
        {
            match LocationId::new(id) {
                Ok(location) => {
                    locations.insert(location);
                }
                Err(_) => {
                    unusable.insert(id.to_string());
                }
            }
        }
        progress.inc(1);
    }
    progress.finish();
    if !unusable.is_empty() {
        note(&format!(
            "note: {} location id(s) cannot name a column and are left out: {}",
            unusable.len(),
            unusable
                .iter()
                .map(|id| format!("{id:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if locations.is_empty() {
        note("note: no product has a location: writing the `locations` column instead");
    } else {
        let mut shown: Vec<&str> = locations.iter().take(10).map(LocationId::as_str).collect();
        if locations.len() > shown.len() {
            shown.push("…");
        }
        note(&format!(
            "a stock column for each of {} location(s): {}",
            locations.len(),
            shown.join(", ")
        ));
    }
    Ok(locations.into_iter().collect())
}
