//! CSV: the columns documented in `columns.txt`, read and written through the `csv` crate.

use super::{Place, Row, RowError, shorten};
use crate::error::CliError;
use chrono::{DateTime, SecondsFormat, Utc};
use dintero_products::types;
use dintero_products::{
    Currency, Field, FieldSet, GroupId, NewProduct, Price, Product, ProductId, ProductUpdate,
};
use std::io;
use std::num::IntErrorKind;
use std::sync::Arc;

/// The columns an export writes, in this order; an import takes any subset in any order.
pub const CSV_COLUMNS: [&str; 17] = [
    "id",
    "name",
    "price",
    "currency",
    "groups",
    "description",
    "unit",
    "virtual",
    "starting_at",
    "stopping_at",
    "dimension_color",
    "dimension_config",
    "dimension_size",
    "dimension_style",
    "dimension_variant",
    "images",
    "locations",
];

// Indexes into `CSV_COLUMNS`.
const ID: usize = 0;
const NAME: usize = 1;
const PRICE: usize = 2;
const CURRENCY: usize = 3;
const GROUPS: usize = 4;
const DESCRIPTION: usize = 5;
const UNIT: usize = 6;
const VIRTUAL: usize = 7;
const STARTING_AT: usize = 8;
const STOPPING_AT: usize = 9;
const DIMENSION: [usize; 5] = [10, 11, 12, 13, 14];
const IMAGES: usize = 15;
const LOCATIONS: usize = 16;

/// The field each of [`CSV_COLUMNS`] writes. `id` names the product and is no field; `currency`
/// only qualifies `price`: templates fill it on every row, so on its own it changes no price.
const COLUMN_FIELDS: [Option<Field>; CSV_COLUMNS.len()] = [
    None,
    Some(Field::Name),
    Some(Field::Price),
    None,
    Some(Field::Groups),
    Some(Field::Description),
    Some(Field::Unit),
    Some(Field::Virtual),
    Some(Field::StartingAt),
    Some(Field::StoppingAt),
    Some(Field::DimensionColor),
    Some(Field::DimensionConfig),
    Some(Field::DimensionSize),
    Some(Field::DimensionStyle),
    Some(Field::DimensionVariant),
    Some(Field::Images),
    Some(Field::Locations),
];

/// The products of a CSV file, row by row; see the crate docs for the columns.
pub struct CsvProducts<R: io::Read> {
    file: Arc<str>,
    reader: csv::Reader<R>,
    /// Where each of [`CSV_COLUMNS`] is in the file's rows, if it is there.
    columns: [Option<usize>; CSV_COLUMNS.len()],
    /// The fields of the columns the header names: what every row manages. A job changes these
    /// (an empty cell clears its field) and keeps every other field as Dintero holds it.
    managed: FieldSet,
    record: csv::StringRecord,
    done: bool,
}

impl<R: io::Read> CsvProducts<R> {
    /// Reads and checks the header row. `file` names the file in messages.
    ///
    /// Fails when there is no header row, or when it names a column twice, a column that is
    /// not one of [`CSV_COLUMNS`] (a file without a header row has data there), or no `id`.
    pub fn new(file: Arc<str>, input: R) -> Result<Self, CliError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(input);
        let header_error = |message: String| {
            CliError::Usage(format!(
                "{file}, line 1: {message}; a CSV file needs a header row naming its columns: {}",
                CSV_COLUMNS.join(", ")
            ))
        };
        let headers = match reader.headers() {
            Ok(headers) => headers.clone(),
            Err(e) => return Err(header_error(format!("cannot read the header row ({e})"))),
        };
        if headers.is_empty() || headers.iter().all(|h| h.trim().is_empty()) {
            return Err(header_error(
                "the file is empty or its first line is".into(),
            ));
        }
        let mut columns = [None; CSV_COLUMNS.len()];
        let mut unknown = Vec::new();
        for (position, name) in headers.iter().enumerate() {
            // Spreadsheets add a byte-order mark and change case; neither changes the meaning.
            let wanted = name
                .trim_start_matches('\u{feff}')
                .trim()
                .to_ascii_lowercase();
            match CSV_COLUMNS.iter().position(|c| *c == wanted) {
                Some(k) if columns[k].is_some() => {
                    return Err(header_error(format!(
                        "column {:?} appears twice",
                        CSV_COLUMNS[k]
                    )));
                }
                Some(k) => columns[k] = Some(position),
                None => unknown.push(format!("{:?}", shorten(name, 40))),
            }
        }
        if !unknown.is_empty() {
            return Err(header_error(format!(
                "unknown column{} {}",
                if unknown.len() > 1 { "s" } else { "" },
                unknown.join(", ")
            )));
        }
        if columns[ID].is_none() {
            return Err(header_error("no `id` column".into()));
        }
        Ok(Self {
            file,
            reader,
            columns,
            managed: managed_fields(&columns),
            record: csv::StringRecord::new(),
            done: false,
        })
    }

    fn cell(&self, column: usize) -> &str {
        self.columns[column]
            .and_then(|position| self.record.get(position))
            .unwrap_or_default()
    }

    /// A text cell: an empty one is no value.
    fn text(&self, column: usize) -> Option<String> {
        Some(self.cell(column))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// The current record as a product, or what is wrong with it.
    fn parse(&self, line: u64) -> Result<Row, RowError> {
        let raw_id = self.cell(ID).trim();
        let id = Some(raw_id.to_string()).filter(|s| !s.is_empty());
        let fail = |column: usize, message: String| RowError {
            file: self.file.clone(),
            line,
            place: Place::Column {
                number: self.columns[column].map_or(0, |p| p + 1),
                name: CSV_COLUMNS[column].to_string(),
            },
            id: id.clone(),
            message,
            fatal: false,
        };
        if raw_id.is_empty() {
            return Err(fail(ID, "missing id: every row needs one".into()));
        }
        let product_id = ProductId::new(raw_id).map_err(|e| fail(ID, e.to_string()))?;

        let mut fields = ProductUpdate::new();
        fields.name = self.text(NAME);
        fields.description = self.text(DESCRIPTION);
        fields.unit = self.text(UNIT);

        // A malformed code is refused even without a price: the file is wrong there. A
        // well-formed one, withdrawn (`HRK`) or unknown to the SDK (`QQQ`), is carried as it is.
        let currency = match self.cell(CURRENCY).trim() {
            "" => None,
            code => Some(Currency::new(code).map_err(|e| fail(CURRENCY, e.to_string()))?),
        };
        fields.price = self
            .price(currency)
            .map_err(|(column, message)| fail(column, message))?;

        let mut groups = Vec::new();
        for group in split_groups(self.cell(GROUPS)) {
            groups.push(GroupId::new(group).map_err(|e| fail(GROUPS, e.to_string()))?);
        }

        fields.is_virtual = match self.cell(VIRTUAL).trim().to_ascii_lowercase().as_str() {
            "" => None,
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            other => {
                return Err(fail(
                    VIRTUAL,
                    format!("{:?} is not true or false", shorten(other, 40)),
                ));
            }
        };
        fields.starting_at = self.time(STARTING_AT).map_err(|m| fail(STARTING_AT, m))?;
        fields.stopping_at = self.time(STOPPING_AT).map_err(|m| fail(STOPPING_AT, m))?;

        let [color, config, size, style, variant] = DIMENSION.map(|c| self.text(c));
        let dimension = types::Dimension {
            color,
            config,
            size,
            style,
            variant,
            extra: Default::default(),
        };
        fields.dimension = Some(dimension).filter(|d| *d != types::Dimension::default());

        fields.images = self
            .json::<types::Images>(IMAGES)
            .map_err(|e| fail(IMAGES, format!("not a JSON array of images: {e}")))?;
        fields.locations = self
            .json::<Vec<types::LocationInput>>(LOCATIONS)
            .map_err(|e| fail(LOCATIONS, format!("not a JSON array of locations: {e}")))?;

        let product = groups
            .into_iter()
            .fold(NewProduct::new("").fields(fields).id(product_id), |p, g| {
                p.group(g)
            })
            .managed_fields(self.managed);
        Ok(Row { line, product })
    }

    /// The row's price, checked as a write would check it, or the column at fault and what
    /// is wrong. An empty `price` cell is no price, which clears it like any empty cell of a
    /// column that is there; a currency beside it is no error, as templates fill that column
    /// on every row, and sets nothing (an export writes a currency the API holds without a
    /// price that way, and reading it back must clear the price, not keep one).
    fn price(&self, currency: Option<Currency>) -> Result<Option<Price>, (usize, String)> {
        let amount = self.cell(PRICE).trim();
        if amount.is_empty() {
            return Ok(None);
        }
        let minor_units: i64 = amount.parse().map_err(|e: std::num::ParseIntError| {
            let shown = shorten(amount, 40);
            let message = match e.kind() {
                // Worded as `Price::check` words the amounts that do fit in an i64.
                IntErrorKind::PosOverflow => format!(
                    "invalid price {shown:?}: is more than {} minor units: a typing slip?",
                    Price::MAX_MINOR_UNITS
                ),
                IntErrorKind::NegOverflow => {
                    format!("invalid price {shown:?}: must not be negative")
                }
                _ if amount.contains(['.', ',']) => format!(
                    "{shown:?} is not a whole number of minor units (prices are in minor units: write 1250 for 12.50)"
                ),
                _ => format!("{shown:?} is not a whole number of minor units"),
            };
            (PRICE, message)
        })?;
        let currency = currency.ok_or_else(|| {
            let column = if self.columns[CURRENCY].is_some() {
                CURRENCY
            } else {
                PRICE
            };
            (column, "a price needs a currency, such as NOK".to_string())
        })?;
        // Negative and absurd amounts are refused here, naming the row, before anything is sent.
        Price::try_new(minor_units, currency)
            .map(Some)
            .map_err(|e| (PRICE, e.to_string()))
    }

    fn time(&self, column: usize) -> Result<Option<DateTime<Utc>>, String> {
        match self.cell(column).trim() {
            "" => Ok(None),
            text => DateTime::parse_from_rfc3339(text)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|e| {
                    format!(
                        "{:?} is not an RFC 3339 time such as 2024-01-15T09:00:00Z ({e})",
                        shorten(text, 40)
                    )
                }),
        }
    }

    fn json<T: serde::de::DeserializeOwned>(
        &self,
        column: usize,
    ) -> Result<Option<T>, serde_json::Error> {
        match self.cell(column).trim() {
            "" => Ok(None),
            text => serde_json::from_str(text).map(Some),
        }
    }

    /// A row the `csv` crate could not read: wrong number of fields, broken UTF-8, or the
    /// file could not be read further (then reading stops).
    fn read_error(&mut self, error: &csv::Error) -> RowError {
        let line = error.position().map_or(0, csv::Position::line);
        let (place, message, fatal) = match error.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => (
                Place::Row,
                format!(
                    "{len} field{} where the header has {expected_len} (a missing or extra comma, or a quote that is not closed)",
                    if *len == 1 { "" } else { "s" }
                ),
                false,
            ),
            csv::ErrorKind::Utf8 { err, .. } => (
                Place::Column {
                    number: err.field() + 1,
                    name: self
                        .columns
                        .iter()
                        .position(|c| *c == Some(err.field()))
                        .map_or("?", |k| CSV_COLUMNS[k])
                        .to_string(),
                },
                "not valid UTF-8 (save the file as UTF-8)".to_string(),
                false,
            ),
            // An I/O error, or anything without a position: reading cannot go on.
            _ => (Place::Row, format!("cannot read further: {error}"), true),
        };
        let fatal = fatal || error.position().is_none();
        if fatal {
            self.done = true;
        }
        RowError {
            file: self.file.clone(),
            line,
            place,
            id: None,
            message,
            fatal,
        }
    }
}

impl<R: io::Read> Iterator for CsvProducts<R> {
    type Item = Result<Row, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut record = std::mem::take(&mut self.record);
        let read = self.reader.read_record(&mut record);
        self.record = record;
        match read {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                let line = self.record.position().map_or(0, csv::Position::line);
                Some(self.parse(line))
            }
            Err(e) => Some(Err(self.read_error(&e))),
        }
    }
}

/// Writes products as CSV, every column of [`CSV_COLUMNS`], header first.
pub struct CsvWriter<W: io::Write> {
    inner: csv::Writer<W>,
}

impl<W: io::Write> CsvWriter<W> {
    /// A writer into `out`; writes the header row.
    pub fn new(out: W) -> io::Result<Self> {
        let mut inner = csv::WriterBuilder::new().from_writer(out);
        inner.write_record(CSV_COLUMNS)?;
        Ok(Self { inner })
    }

    /// Writes one product as a row.
    ///
    /// The price and currency are written as the API holds them, even when the import would
    /// refuse them (a malformed currency, a negative amount): an import then names the row,
    /// where leaving the price out would lose it without a word.
    pub fn write(&mut self, product: &Product) -> io::Result<()> {
        let raw = product.raw();
        let fields = product.to_update();
        let text = |s: &Option<String>| s.clone().unwrap_or_default();
        let time = |t: &Option<DateTime<Utc>>| {
            t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                .unwrap_or_default()
        };
        let dimension = fields.dimension.clone().unwrap_or_default();
        let images = match &fields.images {
            Some(images) => serde_json::to_string(images)?,
            None => String::new(),
        };
        // Always written, `[]` included, as `virtual` is: an exported row states every field.
        let locations = serde_json::to_string(fields.locations.as_deref().unwrap_or_default())?;
        let cells: [String; CSV_COLUMNS.len()] = [
            product.id().to_string(),
            text(&fields.name),
            raw.unit_gross_price
                .map(|p| p.to_string())
                .unwrap_or_default(),
            text(&raw.currency),
            join_groups(product.group_ids()),
            text(&fields.description),
            text(&fields.unit),
            raw.is_virtual_product.to_string(),
            time(&fields.starting_at),
            time(&fields.stopping_at),
            text(&dimension.color),
            text(&dimension.config),
            text(&dimension.size),
            text(&dimension.style),
            text(&dimension.variant),
            images,
            locations,
        ];
        self.inner.write_record(&cells)?;
        Ok(())
    }

    /// Flushes and returns the destination.
    pub fn finish(self) -> io::Result<W> {
        self.inner
            .into_inner()
            .map_err(|e| io::Error::new(e.error().kind(), e.error().to_string()))
    }
}

/// The fields of the columns present: `columns` holds, for each of [`CSV_COLUMNS`], where it
/// is in the file.
fn managed_fields(columns: &[Option<usize>; CSV_COLUMNS.len()]) -> FieldSet {
    columns
        .iter()
        .zip(COLUMN_FIELDS)
        .filter(|(position, _)| position.is_some())
        .filter_map(|(_, field)| field)
        .collect()
}

/// Group ids joined with `;`; a `;` or `\` inside an id is escaped with `\`.
fn join_groups<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, id) in ids.enumerate() {
        if i > 0 {
            out.push(';');
        }
        for c in id.chars() {
            if c == ';' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// The group ids of a `groups` cell: split on `;` not escaped with `\`, each trimmed (ids
/// cannot have surrounding spaces), empty ones skipped.
fn split_groups(cell: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut current = String::new();
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.push(chars.next().unwrap_or('\\')),
            ';' => ids.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    ids.push(current);
    ids.into_iter()
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn group_ids_with_separators_survive() {
        let ids = ["A", "B;C", "D\\E", "F\\;", "Ø"];
        let cell = join_groups(ids.iter().copied());
        assert_eq!(cell, "A;B\\;C;D\\\\E;F\\\\\\;;Ø");
        assert_eq!(split_groups(&cell), ids);
    }

    #[test]
    fn group_cells_people_write_are_read_as_meant() {
        assert_eq!(split_groups("CHAIRS; OUTDOOR ;"), ["CHAIRS", "OUTDOOR"]);
        assert_eq!(split_groups(""), Vec::<String>::new());
        assert_eq!(split_groups("A\\"), ["A\\"]);
    }

    fn read(text: &str) -> Result<Vec<Result<Row, RowError>>, CliError> {
        Ok(CsvProducts::new("t.csv".into(), text.as_bytes())?.collect())
    }

    #[test]
    fn headers_are_checked() {
        let no_header = read("CH-1,Chair\n").err().map(|e| e.to_string());
        assert!(
            no_header
                .as_deref()
                .is_some_and(|e| e.contains("unknown columns \"CH-1\", \"Chair\"")
                    && e.contains("header row")),
            "{no_header:?}"
        );
        let twice = read("id,name,ID\n").err().map(|e| e.to_string());
        assert!(twice.is_some_and(|e| e.contains("appears twice")));
        let no_id = read("name\nChair\n").err().map(|e| e.to_string());
        assert!(no_id.is_some_and(|e| e.contains("no `id` column")));
        let empty = read("").err().map(|e| e.to_string());
        assert!(empty.is_some_and(|e| e.contains("empty")));
    }

    #[test]
    fn a_byte_order_mark_and_capitals_are_fine() {
        let rows = read("\u{feff}ID,Name\nCH-1,Chair\n").map(|rows| rows.len());
        assert!(matches!(rows, Ok(1)), "{rows:?}");
    }

    /// The one row of `text`, or its error as the command line prints it.
    fn row(text: &str) -> Result<NewProduct, String> {
        match read(text).map_err(|e| e.to_string())?.into_iter().next() {
            Some(Ok(row)) => Ok(row.product),
            Some(Err(e)) => Err(e.to_string()),
            None => Err("no row".into()),
        }
    }

    fn fields(list: &[Field]) -> FieldSet {
        list.iter().copied().collect()
    }

    #[test]
    fn a_currency_alone_sets_nothing_and_a_price_alone_is_an_error() {
        let rows = read("id,price,currency\nA,,NOK\nB,100,\n").unwrap_or_default();
        let first = rows[0].as_ref().map(|r| r.product.get_fields().price);
        assert!(matches!(first, Ok(None)), "{first:?}");
        let second = rows[1].as_ref().err().map(ToString::to_string);
        assert_eq!(
            second.as_deref(),
            Some("t.csv, line 3, column 3 (currency): a price needs a currency, such as NOK")
        );
        let no_currency_column = row("id,price\nB,100\n").err();
        assert_eq!(
            no_currency_column.as_deref(),
            Some("t.csv, line 2, column 2 (price): a price needs a currency, such as NOK")
        );
    }

    #[test]
    fn a_row_manages_the_fields_of_the_columns_present_and_nothing_else() {
        let product = row("id,price,currency\nCH-1002,159900,NOK\n");
        let managed = product.as_ref().map(NewProduct::get_managed_fields);
        assert_eq!(managed, Ok(FieldSet::from(Field::Price)));
        let price = product.map(|p| p.get_fields().price);
        assert_eq!(price, Ok(Some(Price::new(159900, Currency::NOK))));

        // A currency column without a price column says nothing about prices.
        let managed = row("id,name,currency\nA,Chair,NOK\n").map(|p| p.get_managed_fields());
        assert_eq!(managed, Ok(FieldSet::from(Field::Name)));

        let managed = row("id\nA\n").map(|p| p.get_managed_fields());
        assert_eq!(managed, Ok(FieldSet::EMPTY));
    }

    #[test]
    fn an_empty_cell_in_a_present_column_clears_its_field() {
        let text = "id,name,description,price,currency,groups,unit,virtual,starting_at,images,locations,dimension_size\nA,,,,,,,,,,,\n";
        let product = row(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            product.get_managed_fields(),
            fields(&[
                Field::Name,
                Field::Description,
                Field::Price,
                Field::Groups,
                Field::Unit,
                Field::Virtual,
                Field::StartingAt,
                Field::Images,
                Field::Locations,
                Field::DimensionSize,
            ])
        );
        assert_eq!(product.get_fields(), &ProductUpdate::new());
        assert_eq!(product.group_ids().count(), 0);
    }

    #[test]
    fn a_header_alone_yields_no_rows() {
        for text in ["id,name,price,currency\n", "id,name,price,currency"] {
            let rows = read(text).map(|rows| rows.len());
            assert!(matches!(rows, Ok(0)), "{text:?}: {rows:?}");
        }
    }

    #[test]
    fn a_dimension_column_manages_only_its_part() {
        let rows = read("id,dimension_color\nA,red\nB,\n").unwrap_or_default();
        let products: Vec<_> = rows.into_iter().flatten().map(|r| r.product).collect();
        assert_eq!(products.len(), 2);
        for product in &products {
            assert_eq!(
                product.get_managed_fields(),
                FieldSet::from(Field::DimensionColor)
            );
        }
        let red = types::Dimension {
            color: Some("red".into()),
            ..types::Dimension::default()
        };
        assert_eq!(products[0].get_fields().dimension, Some(red));
        assert_eq!(products[1].get_fields().dimension, None);
    }

    #[test]
    fn prices_out_of_bounds_and_malformed_currencies_are_named() {
        let text = "id,name,price,currency\n\
                    NEG,Chair,-1,NOK\n\
                    BIG,Chair,100000000001,NOK\n\
                    HUGE,Chair,99999999999999999999999,NOK\n\
                    LOWER,Chair,100,nok\n\
                    LONG,Chair,100,NOKK\n\
                    ALONE,Chair,,N0K\n\
                    MAX,Chair,100000000000,NOK\n";
        let got: Vec<String> = read(text)
            .unwrap_or_default()
            .into_iter()
            .map(|r| match r {
                Ok(row) => format!("ok {}", row.id()),
                Err(e) => e.to_string(),
            })
            .collect();
        let currency = "must be an ISO 4217 code: three capital letters such as `NOK`";
        assert_eq!(
            got,
            [
                "t.csv, line 2, column 3 (price): invalid price \"-1\": must not be negative".to_string(),
                "t.csv, line 3, column 3 (price): invalid price \"100000000001\": is more than 100 000 000 000 minor units (one billion in the major unit): a typing slip?".to_string(),
                "t.csv, line 4, column 3 (price): invalid price \"99999999999999999999999\": is more than 100000000000 minor units: a typing slip?".to_string(),
                format!("t.csv, line 5, column 4 (currency): invalid currency \"nok\": {currency}"),
                format!("t.csv, line 6, column 4 (currency): invalid currency \"NOKK\": {currency}"),
                format!("t.csv, line 7, column 4 (currency): invalid currency \"N0K\": {currency}"),
                "ok MAX".to_string(),
            ]
        );
    }

    #[test]
    fn a_well_formed_currency_the_sdk_does_not_list_is_carried() {
        let price = row("id,price,currency\nA,100,HRK\n").map(|p| p.get_fields().price);
        let kuna = Currency::new("HRK").map(|c| Some(Price::new(100, c)));
        assert_eq!(price, kuna.map_err(|e| e.to_string()));
        assert!(price.is_ok_and(|p| p.is_some_and(|p| p.currency().as_str() == "HRK")));
    }

    /// A cell that reads as a value of its column.
    fn sample(column: &str) -> &'static str {
        match column {
            "id" => "CH-1",
            "price" => "149900",
            "currency" => "NOK",
            "groups" => "CHAIRS;OUTDOOR",
            "description" => "Oak, \"solid\"\nline two",
            "virtual" => "yes",
            "starting_at" | "stopping_at" => "2024-01-15T09:00:00Z",
            "images" => r#"[{"href":"https://example.com/a.jpg"}]"#,
            "locations" => r#"[{"location_id":"OSL-01","number_of_items_in_storage":4}]"#,
            _ => "x",
        }
    }

    /// The field a column names, found by name rather than through `COLUMN_FIELDS`: the
    /// field whose name, with `.` written `_`, is the column's (`id` and `currency` name none).
    fn field_named(column: &str) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| f.name().replace('.', "_") == column)
    }

    proptest::proptest! {
        /// Whatever columns a file has, in whatever order, each row manages exactly the fields
        /// of those columns; of these, the filled cells are set and the empty ones clear.
        #[test]
        fn each_row_manages_exactly_the_fields_of_its_columns(
            columns in proptest::sample::subsequence(CSV_COLUMNS[1..].to_vec(), 0..CSV_COLUMNS.len())
                .prop_shuffle(),
            id_at in 0..CSV_COLUMNS.len(),
            rows in proptest::collection::vec(proptest::collection::vec(any::<bool>(), CSV_COLUMNS.len()), 1..4),
        ) {
            let mut columns = columns;
            columns.insert(id_at.min(columns.len()), "id");
            let has_currency = columns.contains(&"currency");
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(&columns).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut expected_set = Vec::new();
            for filled in &rows {
                // A price is filled only with a currency beside it; that is the one pairing.
                let price_filled = filled[PRICE] && has_currency;
                let is_filled = |column: &str| match column {
                    "id" => true,
                    "price" => price_filled,
                    "currency" => filled[CURRENCY] || price_filled,
                    c => CSV_COLUMNS.iter().position(|k| *k == c).is_some_and(|k| filled[k]),
                };
                let cells: Vec<&str> = columns
                    .iter()
                    .map(|c| if is_filled(c) { sample(c) } else { "" })
                    .collect();
                writer.write_record(&cells).map_err(|e| TestCaseError::fail(e.to_string()))?;
                expected_set.push(
                    columns
                        .iter()
                        .filter(|c| is_filled(c))
                        .filter_map(|c| field_named(c))
                        .filter(|f| *f != Field::Groups)
                        .collect::<FieldSet>(),
                );
            }
            let text = writer.into_inner().map_err(|e| TestCaseError::fail(e.to_string()))?;
            let text = String::from_utf8(text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let expected: FieldSet = columns.iter().filter_map(|c| field_named(c)).collect();

            let got = read(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(got.len(), rows.len());
            for (result, set) in got.into_iter().zip(expected_set) {
                let product = result.map_err(|e| TestCaseError::fail(e.to_string()))?.product;
                prop_assert_eq!(product.get_managed_fields(), expected);
                prop_assert_eq!(product.get_fields().present_fields(), set);
            }
        }
    }
}
