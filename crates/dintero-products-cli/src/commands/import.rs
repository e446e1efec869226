//! `products import`: an upsert per row, through the SDK's bulk writer.

use crate::cli::ImportArgs;
use crate::error::{CliError, Status};
use crate::files::{self, FileFormat, RowError};
use crate::output::{Output, line};
use crate::progress::{Mode, Progress};
use crate::report::{Entry, Report};
use dintero_products::{Client, Products, Write, Written};
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// What the rows came to.
#[derive(Debug, Default)]
struct Tally {
    created: usize,
    updated: usize,
    unchanged: usize,
    /// Rows that could not be read.
    bad_rows: usize,
    /// Rows whose write failed.
    failed_writes: usize,
}

/// Shared between the row iterator (which the bulk job pulls from) and the loop over
/// outcomes.
struct Job {
    report: Report,
    /// The writes in flight: their index in the job, and their line and id. Only these are
    /// held, so memory does not grow with the file.
    pending: HashMap<usize, (u64, String)>,
    tally: Tally,
    progress: Progress,
}

impl Job {
    fn bad_row(&mut self, error: &RowError) {
        self.tally.bad_rows += 1;
        self.progress.println(&format!("error: {error}"));
        self.report.add(&Entry {
            line: Some(error.line),
            id: error.id.as_deref(),
            outcome: "failed",
            error: Some(error.to_string()),
        });
        self.progress.inc(1);
    }
}

fn lock(job: &Mutex<Job>) -> MutexGuard<'_, Job> {
    // A panic elsewhere while holding it leaves the tallies usable.
    job.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads the file row by row and upserts each good row; bad rows are reported and skipped.
pub(crate) async fn import(
    client: &Client,
    args: ImportArgs,
    mode: Mode,
) -> Result<Status, CliError> {
    let format = FileFormat::choose(args.format, &args.file)?;
    let rows = files::open(&args.file, format)?;
    let report = Report::open(args.report.as_deref())?;
    // Before any row: a catalog that is not there (or credentials that do not work) is one
    // error, not one per row.
    client.catalogs().get(args.catalog.as_str()).await?;
    let products: Products = client.products(args.catalog.as_str());

    let progress = Progress::new(mode, "imported", "rows");
    let job = Arc::new(Mutex::new(Job {
        report,
        pending: HashMap::new(),
        tally: Tally::default(),
        progress: progress.clone(),
    }));
    let reading = job.clone();
    let mut index = 0;
    let writes = rows.filter_map(move |row| {
        let mut job = lock(&reading);
        match row {
            Ok(row) => {
                job.pending.insert(index, (row.line, row.id().to_string()));
                index += 1;
                Some(Write::Upsert(row.product))
            }
            Err(error) => {
                job.bad_row(&error);
                None
            }
        }
    });
    let mut run = products
        .bulk()
        .concurrency(usize::from(args.concurrency))
        .run(writes);
    let file = args.file.display().to_string();
    while let Some(outcome) = run.next().await {
        let mut job = lock(&job);
        let (line, id) = job.pending.remove(&outcome.index).unwrap_or_default();
        let (outcome, error) = match &outcome.result {
            Ok(Written::Created(_)) => {
                job.tally.created += 1;
                ("created", None)
            }
            Ok(Written::Unchanged(_)) => {
                job.tally.unchanged += 1;
                ("unchanged", None)
            }
            // An upsert either creates, leaves unchanged or updates.
            Ok(_) => {
                job.tally.updated += 1;
                ("updated", None)
            }
            Err(e) => {
                job.tally.failed_writes += 1;
                job.progress
                    .println(&format!("error: {file}, line {line}: product {id}: {e}"));
                ("failed", Some(e.to_string()))
            }
        };
        job.report.add(&Entry {
            line: Some(line),
            id: Some(&id),
            outcome,
            error,
        });
        job.progress.inc(1);
    }
    drop(run); // ends the row iterator's hold on the job
    progress.finish();
    let job = Arc::try_unwrap(job)
        .map_err(|_| CliError::Failed("the import's rows are still being read".into()))?
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    job.report.finish()?;
    let t = &job.tally;
    let failed = t.bad_rows + t.failed_writes;
    let mut out = Output::open(None)?;
    line(
        &mut out,
        &format!(
            "imported {file} into catalog {}: {} created, {} updated, {} unchanged, {failed} failed",
            args.catalog, t.created, t.updated, t.unchanged
        ),
    )?;
    out.commit()?;
    Ok(if failed == 0 {
        Status::Success
    } else {
        Status::SomeFailed
    })
}
