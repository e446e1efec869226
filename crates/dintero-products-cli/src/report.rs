//! `--report FILE`: one JSON line per row, with what became of it.

use crate::error::CliError;
use crate::output::{Output, json_line};
use serde::Serialize;
use std::path::Path;

/// One line of a report.
#[derive(Debug, Serialize)]
pub(crate) struct Entry<'a> {
    /// The row's line in the input file; `null` for a product deleted by a pruning sync.
    pub(crate) line: Option<u64>,
    /// The product's id, when the row had a readable one.
    pub(crate) id: Option<&'a str>,
    /// The row's command (`MERGE`, `NEW`, `UPDATE`, `REPLACE`, `DELETE`, `IGNORE`); `null` for
    /// a product deleted by a pruning sync, and for a row that could not be read.
    pub(crate) command: Option<&'a str>,
    /// `created`, `updated`, `unchanged`, `recreated`, `deleted`, `needs-consent` (left
    /// untouched: a recreate without `--allow-recreate`, a price jump without `--yes`),
    /// `ignored` (its command said so) or `failed`; in a dry run, what would be done: `would-create`, `would-update`,
    /// `would-recreate`, `would-delete`, `needs-consent` or `unchanged`.
    pub(crate) outcome: &'a str,
    /// Why it failed, or what it needs; `null` otherwise.
    pub(crate) error: Option<String>,
}

/// The report file, or nothing when none was asked for.
pub(crate) struct Report {
    out: Option<Output>,
    /// The first failure to write, kept so the command can end with it.
    failed: Option<CliError>,
}

impl Report {
    /// A report into `path`, if given; the file appears when the command ends.
    pub(crate) fn open(path: Option<&Path>) -> Result<Self, CliError> {
        let out = path.map(|p| Output::open(Some(p))).transpose()?;
        Ok(Self { out, failed: None })
    }

    /// Whether a report is being written.
    pub(crate) fn is_on(&self) -> bool {
        self.out.is_some()
    }

    /// Adds a line. A failure to write is kept for [`finish`](Self::finish) rather than
    /// stopping the job half-way.
    pub(crate) fn add(&mut self, entry: &Entry<'_>) {
        if let (Some(out), None) = (&mut self.out, &self.failed)
            && let Err(e) = json_line(out, entry)
        {
            self.failed = Some(e);
        }
    }

    /// Moves the report into place, or returns the first failure to write it.
    pub(crate) fn finish(self) -> Result<(), CliError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        match self.out {
            Some(out) => out.commit(),
            None => Ok(()),
        }
    }
}
