//! Product files: CSV and JSON Lines, read row by row and written product by product, so a
//! file of any size takes the memory of one row.
//!
//! Readers yield a [`Row`] (a [`NewProduct`] and its line) or a [`RowError`] naming the file,
//! the line and the column, and go on with the next row. Writers take the SDK's [`Product`].
//!
//! A row manages exactly the fields its file names (a CSV file's columns, a JSON line's keys),
//! so a job changes those and keeps every other field as Dintero holds it: a file of prices
//! never wipes names or stock. Values a write would refuse (a negative price, a malformed
//! currency) are row errors here, before anything is sent.

mod csv;
mod jsonl;

pub use self::csv::{CSV_COLUMNS, CsvProducts, CsvWriter};
pub use self::jsonl::{JsonlProducts, JsonlWriter};

use crate::error::CliError;
use dintero_products::{NewProduct, Product};
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;
use std::sync::Arc;

/// A file format for products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    /// Comma-separated values with a header row naming the columns (see CSV FILES)
    Csv,
    /// JSON Lines: one product a line, with the API's field names
    #[value(alias = "ndjson", alias = "json")]
    Jsonl,
}

impl FileFormat {
    /// The format a file name's extension stands for: `.csv`, or `.jsonl` / `.ndjson` (any
    /// case).
    pub fn from_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Self::Csv),
            "jsonl" | "ndjson" => Some(Self::Jsonl),
            _ => None,
        }
    }

    /// The format given, or else the one of the file's extension.
    pub(crate) fn choose(given: Option<Self>, path: &Path) -> Result<Self, CliError> {
        given.or_else(|| Self::from_path(path)).ok_or_else(|| {
            CliError::Usage(format!(
                "cannot tell the format of {}: name it .csv, .jsonl or .ndjson, or pass --format csv|jsonl",
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

/// Opens `path` and reads its products lazily. A file that cannot be opened, or a CSV file
/// without a valid header row, is an error here; a bad row is an item of the iterator.
pub fn open(path: &Path, format: FileFormat) -> Result<Rows, CliError> {
    let name: Arc<str> = path.display().to_string().into();
    let file = File::open(path).map_err(|source| CliError::Input {
        what: format!("cannot open {}", path.display()),
        source,
    })?;
    let reader = BufReader::with_capacity(64 * 1024, file);
    Ok(match format {
        FileFormat::Csv => Box::new(CsvProducts::new(name, reader)?),
        FileFormat::Jsonl => Box::new(JsonlProducts::new(name, reader)),
    })
}

/// Writes products in one of the formats.
pub enum ProductWriter<W: io::Write> {
    /// CSV, header first (boxed: the `csv` writer carries its own state and buffer).
    Csv(Box<CsvWriter<W>>),
    /// JSON Lines.
    Jsonl(JsonlWriter<W>),
}

impl<W: io::Write> ProductWriter<W> {
    /// A writer of `format` into `out` (a CSV header is written at once).
    pub fn new(format: FileFormat, out: W) -> io::Result<Self> {
        Ok(match format {
            FileFormat::Csv => Self::Csv(Box::new(CsvWriter::new(out)?)),
            FileFormat::Jsonl => Self::Jsonl(JsonlWriter::new(out)),
        })
    }

    /// Writes one product.
    pub fn write(&mut self, product: &Product) -> io::Result<()> {
        match self {
            Self::Csv(w) => w.write(product),
            Self::Jsonl(w) => w.write(product),
        }
    }

    /// Flushes and returns the destination.
    pub fn finish(self) -> io::Result<W> {
        match self {
            Self::Csv(w) => w.finish(),
            Self::Jsonl(w) => w.finish(),
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
