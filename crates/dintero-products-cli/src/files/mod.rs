//! Product files: CSV, `.xlsx` workbooks and JSON Lines, read row by row and written product
//! by product, so a file of any size takes the memory of one row. The columns of a CSV file
//! and of a workbook's sheet are `table`'s, and `dialect` finds how a CSV file is written
//! (separator, encoding).
//!
//! Readers yield a [`Row`] (a [`NewProduct`] and its line) or a [`RowError`] naming the file,
//! the line and the column, and go on with the next row. Writers take the SDK's [`Product`].
//!
//! A row manages exactly the fields its file names (a CSV file's columns, a JSON line's keys),
//! so a job changes those and keeps every other field as Dintero holds it: a file of prices
//! never wipes names or stock. Values a write would refuse (a negative price, a malformed
//! currency) are row errors here, before anything is sent.

mod csv;
mod dialect;
mod jsonl;
mod table;
mod xlsx;

pub use self::csv::{CsvProducts, CsvWriter};
pub use self::dialect::{Dialect, Encoding};
pub use self::jsonl::{JsonlProducts, JsonlWriter};
pub use self::table::{COLUMNS, Command, IMPORT_ONLY, STOCK_PREFIX};
pub use self::xlsx::{SHEET, XlsxProducts, XlsxWriter};

use crate::error::CliError;
use dintero_products::{LocationId, NewProduct, Product};
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;
use std::sync::Arc;

/// A file format for products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    /// Comma-, semicolon- or tab-separated values with a header row naming the columns (see
    /// CSV FILES)
    #[value(alias = "tsv")]
    Csv,
    /// JSON Lines: one product a line, with the API's field names
    #[value(alias = "ndjson", alias = "json")]
    Jsonl,
    /// An Excel workbook: the sheet named Products (or the first), a header row naming the
    /// columns, as in CSV
    #[value(alias = "excel")]
    Xlsx,
}

impl FileFormat {
    /// The format a file name's extension stands for: `.csv` / `.tsv`, `.xlsx`, or `.jsonl` /
    /// `.ndjson` (any case).
    pub fn from_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" | "tsv" => Some(Self::Csv),
            "jsonl" | "ndjson" => Some(Self::Jsonl),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// The format given, or else the one of the file's extension.
    pub(crate) fn choose(given: Option<Self>, path: &Path) -> Result<Self, CliError> {
        given.or_else(|| Self::from_path(path)).ok_or_else(|| {
            CliError::Usage(format!(
                "cannot tell the format of {}: name it .csv, .xlsx, .jsonl or .ndjson, or pass --format csv|xlsx|jsonl",
                path.display()
            ))
        })
    }
}

/// One product read from a file.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Row {
    /// The line it starts on, counting from 1 (the header of a CSV file is line 1).
    pub line: u64,
    /// The product, with its id (a row without one is a [`RowError`]), managing the fields
    /// its file names ([`NewProduct::get_managed_fields`]).
    pub product: NewProduct,
    /// What the row asks for: its `command` cell, [`Command::Merge`] without one.
    pub command: Command,
}

impl Row {
    /// The product's id.
    pub fn id(&self) -> &str {
        self.product
            .get_id()
            .map(|id| id.as_str())
            .unwrap_or_default()
    }
}

/// Where in a row a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Place {
    /// The whole row (or line).
    Row,
    /// A CSV column: its number, counting from 1, and its name in the header.
    Column {
        /// The column's number, from 1.
        number: usize,
        /// The column's name.
        name: String,
    },
    /// A JSON Lines field, and the character column where the parser stopped, when known.
    Field {
        /// The field's path, such as `unit_gross_price` or `groups[0].group_id`; empty when
        /// the line is not JSON there (a syntax error, a line cut short).
        path: String,
        /// The column, counting from 1.
        column: Option<usize>,
    },
}

/// A row that could not be read; the rows after it still are.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RowError {
    /// The file, as named on the command line.
    pub file: Arc<str>,
    /// The line the row starts on, counting from 1.
    pub line: u64,
    /// Where in the row.
    pub place: Place,
    /// The product's id, when the row had a readable one.
    pub id: Option<String>,
    /// What is wrong, in a sentence.
    pub message: String,
    /// Whether reading cannot go on past it (the file could not be read further).
    pub fatal: bool,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, line {}", self.file, self.line)?;
        match &self.place {
            Place::Row => {}
            Place::Column { number, name } => write!(f, ", column {number} ({name})")?,
            Place::Field {
                path,
                column: Some(column),
            } if path.is_empty() => write!(f, ", column {column}")?,
            Place::Field {
                path,
                column: Some(column),
            } => write!(f, ", column {column} ({path})")?,
            Place::Field { path, column: None } => write!(f, ", field {path}")?,
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for RowError {}

/// The rows of a file, whatever its format.
pub type Rows = Box<dyn Iterator<Item = Result<Row, RowError>> + Send>;

/// Opens `path` and reads its products lazily; a CSV file as `dialect` says it is written
/// ([`Dialect::sniff`]). A file that cannot be opened, a workbook calamine cannot read, or a
/// file without a valid header row, is an error here; a bad row is an item of the iterator.
pub fn open(path: &Path, format: FileFormat, dialect: Dialect) -> Result<Rows, CliError> {
    let name: Arc<str> = path.display().to_string().into();
    let file = File::open(path).map_err(|source| CliError::Input {
        what: format!("cannot open {}", path.display()),
        source,
    })?;
    Ok(match format {
        FileFormat::Csv => Box::new(CsvProducts::with_dialect(name, file, dialect)?),
        FileFormat::Jsonl => Box::new(JsonlProducts::new(
            name,
            BufReader::with_capacity(64 * 1024, file),
        )),
        FileFormat::Xlsx => Box::new(XlsxProducts::new(
            name,
            BufReader::with_capacity(64 * 1024, file),
        )?),
    })
}

/// Writes products in one of the formats.
pub enum ProductWriter<W: io::Write> {
    /// CSV, header first (boxed: the `csv` writer carries its own state and buffer).
    Csv(Box<CsvWriter<W>>),
    /// JSON Lines.
    Jsonl(JsonlWriter<W>),
    /// A workbook, put together into the destination by [`finish`](Self::finish) (boxed: it
    /// carries the workbook's state).
    Xlsx(Box<XlsxWriter<W>>),
}

impl<W: io::Write + Send> ProductWriter<W> {
    /// A writer of `format` into `out` (a CSV header is written at once). A file with columns
    /// (CSV, a workbook) has a `stock:` column for each of `stock_locations` in place of the
    /// `locations` column; none: the `locations` column. JSON Lines has no columns, and takes
    /// no locations. A workbook's rows wait in a file of the system's temporary directory.
    pub fn new(format: FileFormat, out: W, stock_locations: Vec<LocationId>) -> io::Result<Self> {
        Self::new_in(format, out, stock_locations, &std::env::temp_dir())
    }

    /// As [`new`](Self::new), a workbook's rows waiting in a file of `temp_dir`.
    pub fn new_in(
        format: FileFormat,
        out: W,
        stock_locations: Vec<LocationId>,
        temp_dir: &Path,
    ) -> io::Result<Self> {
        Ok(match format {
            FileFormat::Csv => Self::Csv(Box::new(CsvWriter::with_stock_columns(
                out,
                stock_locations,
            )?)),
            FileFormat::Jsonl if stock_locations.is_empty() => Self::Jsonl(JsonlWriter::new(out)),
            FileFormat::Jsonl => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "JSON Lines has no columns: stock columns are for CSV and .xlsx",
                ));
            }
            FileFormat::Xlsx => Self::Xlsx(Box::new(XlsxWriter::new_in(
                out,
                stock_locations,
                temp_dir,
            )?)),
        })
    }

    /// Writes one product.
    pub fn write(&mut self, product: &Product) -> io::Result<()> {
        match self {
            Self::Csv(w) => w.write(product),
            Self::Jsonl(w) => w.write(product),
            Self::Xlsx(w) => w.write(product),
        }
    }

    /// Flushes (a workbook: puts it together) and returns the destination.
    pub fn finish(self) -> io::Result<W> {
        match self {
            Self::Csv(w) => w.finish(),
            Self::Jsonl(w) => w.finish(),
            Self::Xlsx(w) => w.finish(),
        }
    }
}

/// `s`, at most `max` characters of it, with `…` when cut: values quoted in messages.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_columns_are_for_files_with_columns() {
        let stock = || {
            LocationId::new("OSL-01")
                .map(|l| vec![l])
                .unwrap_or_default()
        };
        let jsonl = ProductWriter::new(FileFormat::Jsonl, Vec::new(), stock());
        assert!(
            matches!(&jsonl, Err(e) if e.kind() == io::ErrorKind::InvalidInput),
            "JSON Lines has no columns"
        );
        assert!(ProductWriter::new(FileFormat::Jsonl, Vec::new(), Vec::new()).is_ok());
        let csv = ProductWriter::new(FileFormat::Csv, Vec::new(), stock())
            .and_then(ProductWriter::finish)
            .map(String::from_utf8);
        assert!(
            matches!(&csv, Ok(Ok(text)) if text.trim_end().ends_with(",stock:OSL-01")),
            "{csv:?}"
        );
    }
}
