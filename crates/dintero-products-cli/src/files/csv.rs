//! CSV: the columns of `table`, read and written through the `csv` crate, in the dialect
//! `dialect` finds.

use super::dialect::Dialect;
use super::table::{self, Table};
use super::{Place, Row, RowError};
use crate::error::CliError;
use dintero_products::{LocationId, Product};
use std::io;
use std::sync::Arc;

/// The products of a CSV file, row by row; see `columns.txt` for the columns.
pub struct CsvProducts<R: io::Read> {
    reader: csv::Reader<Lines<R>>,
    /// Lines before the current position, counted from the line ends `Lines` saw.
    lines_before: u64,
    table: Table,
    record: csv::StringRecord,
    done: bool,
}

impl CsvProducts<Box<dyn io::Read + Send>> {
    /// Reads and checks the header row of `input`, written in `dialect`.
    pub fn with_dialect(
        file: Arc<str>,
        input: impl io::Read + Send + 'static,
        dialect: Dialect,
    ) -> Result<Self, CliError> {
        let input = Dialect::decode(dialect.encoding, input);
        Self::read(file, input, dialect.delimiter)
    }
}

impl<R: io::Read> CsvProducts<R> {
    /// Reads and checks the header row of `input`, a UTF-8 file separated by commas. `file`
    /// names the file in messages.
    ///
    /// Fails when there is no header row, or when it names a column twice, a column that is
    /// not known (a file without a header row has data there), or no `id`.
    pub fn new(file: Arc<str>, input: R) -> Result<Self, CliError> {
        Self::read(file, input, b',')
    }

    fn read(file: Arc<str>, input: R, delimiter: u8) -> Result<Self, CliError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .delimiter(delimiter)
            .from_reader(Lines::new(input));
        let headers = match reader.headers() {
            Ok(headers) => headers.clone(),
            Err(e) => {
                return Err(CliError::Usage(format!(
                    "{file}, line 1: cannot read the header row ({e})"
                )));
            }
        };
        // A CSV export guards texts a spreadsheet would run as formulas; reading takes it off.
        let table = Table::from_header(file, 1, headers.iter(), true)?;
        Ok(Self {
            reader,
            lines_before: 0,
            table,
            record: csv::StringRecord::new(),
            done: false,
        })
    }

    /// The line (from 1) of the record at `position`. The `csv` crate's own line count is one
    /// short after a CRLF header and counts a lone CR not at all, and Excel on Windows
    /// writes CRLF: so lines are counted from the bytes, by `Lines`.
    fn line_at(&mut self, position: &csv::Position) -> u64 {
        let ends = &mut self.reader.get_mut().ends;
        while ends.front().is_some_and(|end| *end < position.byte()) {
            ends.pop_front();
            self.lines_before += 1;
        }
        self.lines_before + 1
    }

    /// A row the `csv` crate could not read: wrong number of fields, broken UTF-8, or the
    /// file could not be read further (then reading stops).
    fn read_error(&mut self, error: &csv::Error) -> RowError {
        let line = error.position().map_or(0, |p| self.line_at(p));
        let (place, message, fatal) = match error.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => (
                Place::Row,
                format!(
                    "{len} field{} where the header has {expected_len} (a missing or extra separator, or a quote that is not closed)",
                    if *len == 1 { "" } else { "s" }
                ),
                false,
            ),
            csv::ErrorKind::Utf8 { err, .. } => (
                Place::Column {
                    number: err.field() + 1,
                    name: self.table.name_at(err.field()),
                },
                "not valid UTF-8 (save the file as UTF-8)".to_string(),
                false,
            ),
            // An I/O error: reading cannot go on.
            _ => (Place::Row, format!("cannot read further: {error}"), true),
        };
        if fatal {
            self.done = true;
        }
        RowError {
            file: self.table.file(),
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
                let position = self.record.position().cloned();
                let line = position.map_or(0, |p| self.line_at(&p));
                Some(self.table.parse(line, &self.record))
            }
            Err(e) => Some(Err(self.read_error(&e))),
        }
    }
}

/// A reader that notes where each line ends as the bytes pass through: at its `\r` (alone or
/// before `\n`), or at a `\n` after no `\r`, the line ends the `csv` crate accepts. A record
/// that starts after `k` of them is on line `k + 1`; the `csv` crate starts a record after a
/// CRLF at its `\n`, so a CRLF ends its line at the `\r`. Only the ends not yet counted are
/// kept (those in the `csv` crate's read-ahead), so memory stays flat.
pub struct Lines<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// Where the lines not yet counted end, in order.
    ends: std::collections::VecDeque<u64>,
    /// Whether the last byte read was a `\r`: a `\n` after it ends no other line.
    after_cr: bool,
}

impl<R> Lines<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            ends: std::collections::VecDeque::new(),
            after_cr: false,
        }
    }
}

impl<R: io::Read> io::Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (at, byte) in (self.offset..).zip(&buf[..n]) {
            match byte {
                b'\r' => self.ends.push_back(at),
                b'\n' if !self.after_cr => self.ends.push_back(at),
                _ => {}
            }
            self.after_cr = *byte == b'\r';
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Writes products as CSV, every column, header first. Texts a spreadsheet would run as a
/// formula are guarded with a leading `'` (CSV injection); an import takes it off.
pub struct CsvWriter<W: io::Write> {
    inner: csv::Writer<W>,
    stock: Vec<LocationId>,
}

impl<W: io::Write> CsvWriter<W> {
    /// A writer into `out`; writes the header row.
    pub fn new(out: W) -> io::Result<Self> {
        Self::with_stock_columns(out, Vec::new())
    }

    /// A writer into `out` with a `stock:` column for each of `locations` in place of the
    /// `locations` column (none: the `locations` column); writes the header row.
    pub fn with_stock_columns(out: W, locations: Vec<LocationId>) -> io::Result<Self> {
        let mut inner = csv::WriterBuilder::new().from_writer(out);
        inner.write_record(table::export_header(&locations))?;
        Ok(Self {
            inner,
            stock: locations,
        })
    }

    /// Writes one product as a row.
    pub fn write(&mut self, product: &Product) -> io::Result<()> {
        let cells = table::export_row(product, &self.stock)?;
        let texts: Vec<_> = cells
            .iter()
            .map(|cell| {
                if cell.is_text() {
                    table::guard(cell.text())
                } else {
                    cell.text().into()
                }
            })
            .collect();
        self.inner
            .write_record(texts.iter().map(|t| t.as_bytes()))?;
        Ok(())
    }

    /// Flushes and returns the destination.
    pub fn finish(self) -> io::Result<W> {
        self.inner
            .into_inner()
            .map_err(|e| io::Error::new(e.error().kind(), e.error().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::COLUMNS;
    use dintero_products::{Currency, Field, FieldSet, NewProduct, Price, ProductUpdate, types};
    use proptest::prelude::*;

    /// The rows of `text`, read on a thread that must be done within seconds: a reader broken
    /// into reading for ever fails the test rather than hanging it.
    fn read(text: &str) -> Result<Vec<Result<Row, RowError>>, CliError> {
        read_bytes(text.as_bytes().to_vec())
    }

    fn read_bytes(bytes: Vec<u8>) -> Result<Vec<Result<Row, RowError>>, CliError> {
        let (done, rows) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let read = CsvProducts::new("t.csv".into(), bytes.as_slice()).map(Iterator::collect);
            let _ = done.send(read);
        });
        rows.recv_timeout(std::time::Duration::from_secs(20))
            .unwrap_or_else(|e| panic!("reading a small file did not end: {e}"))
    }

    #[test]
    fn a_cell_that_is_not_utf8_is_named_and_the_next_rows_read() {
        let rows = read_bytes(b"id,name\nA,Bl\xE5b\xE6r\nB,ok\n".to_vec()).unwrap_or_default();
        let first = rows
            .first()
            .and_then(|r| r.as_ref().err())
            .map(ToString::to_string);
        assert_eq!(
            first.as_deref(),
            Some("t.csv, line 2, column 2 (name): not valid UTF-8 (save the file as UTF-8)")
        );
        assert!(
            matches!(rows.get(1), Some(Ok(row)) if row.id() == "B"),
            "{rows:?}"
        );
    }

    #[test]
    fn a_file_that_cannot_be_read_further_ends_in_one_fatal_error() {
        struct Failing(bool);
        impl io::Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if std::mem::replace(&mut self.0, true) {
                    return Err(io::Error::other("the disk is gone"));
                }
                let header = b"id,name\nA,One\n";
                buf[..header.len()].copy_from_slice(header);
                Ok(header.len())
            }
        }
        let rows: Vec<_> = CsvProducts::new("t.csv".into(), Failing(false))
            .map(Iterator::collect)
            .unwrap_or_default();
        let errors: Vec<&RowError> = rows.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(errors.len(), 1, "{rows:?}");
        assert!(
            errors[0].fatal && errors[0].message.contains("the disk is gone"),
            "{rows:?}"
        );
    }

    #[test]
    fn lines_are_right_far_into_a_file_past_any_read_ahead() {
        let mut text = String::from("id,name\r\n");
        for i in 0..5_000 {
            text.push_str(&format!("P{i},\"Name\r\n{i}\"\r\n"));
        }
        text.push_str("LAST,x,y\r\n");
        let rows = read(&text).unwrap_or_default();
        let last = rows.last().and_then(|r| r.as_ref().err()).map(|e| e.line);
        assert_eq!(
            last,
            Some(2 + 2 * 5_000),
            "two lines a row, after the header"
        );
    }

    #[test]
    fn rows_are_numbered_by_their_first_line_whatever_the_line_ends() {
        for text in [
            "id,description\nA,x\nB,\"1\n2\"\nC,y\n",
            "id,description\r\nA,x\r\nB,\"1\r\n2\"\r\nC,y\r\n",
            "id,description\rA,x\rB,\"1\r2\"\rC,y\r",
            "id,description\r\nA,x\r\nB,\"1\n2\"\r\nC,y",
        ] {
            let lines: Vec<u64> = read(text)
                .unwrap_or_default()
                .into_iter()
                .map(|r| r.map_or_else(|e| e.line, |r| r.line))
                .collect();
            assert_eq!(lines, [2, 3, 5], "{text:?}");
        }
        // An error's line too, after a CRLF header.
        let bad = row("id,name\r\nA,B,C\r\n").err();
        assert_eq!(
            bad.as_deref(),
            Some(
                "t.csv, line 2: 3 fields where the header has 2 (a missing or extra separator, or a quote that is not closed)"
            )
        );
    }

    proptest::proptest! {
        /// Whatever line ends a file mixes (LF, CRLF, a lone CR) and however many line breaks
        /// its quoted cells hold, each row is numbered by the line it starts on.
        #[test]
        fn line_numbers_follow_every_line_end(
            rows in proptest::collection::vec(
                (0usize..3, proptest::collection::vec(0usize..3, 0..3)),
                1..12,
            ),
            header_end in 0usize..3,
        ) {
            const ENDS: [&str; 3] = ["\n", "\r\n", "\r"];
            let mut text = format!("id,description{}", ENDS[header_end]);
            let mut line = 2;
            let mut expected = Vec::new();
            for (i, (end, breaks)) in rows.iter().enumerate() {
                expected.push(line);
                let description: String = breaks.iter().map(|b| format!("x{}", ENDS[*b])).collect();
                text.push_str(&format!("R{i},\"{description}y\"{}", ENDS[*end]));
                line += 1 + breaks.len() as u64;
            }
            let lines: Vec<u64> = read(&text)
                .map_err(|e| TestCaseError::fail(e.to_string()))?
                .into_iter()
                .map(|r| r.map_or_else(|e| e.line, |r| r.line))
                .collect();
            prop_assert_eq!(lines, expected, "{:?}", text);
        }
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
        let product = row("id,price,currency\nCH-1002,1599.00,NOK\n");
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
                    BIG,Chair,1000000000.01,NOK\n\
                    HUGE,Chair,99999999999999999999999,NOK\n\
                    LOWER,Chair,100,nok\n\
                    LONG,Chair,100,NOKK\n\
                    ALONE,Chair,,N0K\n\
                    MAX,Chair,1000000000,NOK\n";
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
                "t.csv, line 3, column 3 (price): invalid price \"1000000000.01\": is more than 100 000 000 000 minor units (one billion in the major unit): a typing slip?".to_string(),
                "t.csv, line 4, column 3 (price): invalid price \"99999999999999999999999\": is too large: it does not fit in 64 bits of minor units".to_string(),
                format!("t.csv, line 5, column 4 (currency): invalid currency \"nok\": {currency}"),
                format!("t.csv, line 6, column 4 (currency): invalid currency \"NOKK\": {currency}"),
                format!("t.csv, line 7, column 4 (currency): invalid currency \"N0K\": {currency}"),
                "ok MAX".to_string(),
            ]
        );
    }

    #[test]
    fn a_well_formed_currency_the_sdk_does_not_list_is_carried() {
        let price = row("id,price,currency\nA,1,HRK\n").map(|p| p.get_fields().price);
        let kuna = Currency::new("HRK").map(|c| Some(Price::new(100, c)));
        assert_eq!(price, kuna.map_err(|e| e.to_string()));
        assert!(price.is_ok_and(|p| p.is_some_and(|p| p.currency().as_str() == "HRK")));
    }

    fn index_of(name: &str) -> usize {
        COLUMNS
            .iter()
            .position(|c| *c == name)
            .unwrap_or(usize::MAX)
    }

    /// A cell that reads as a value of its column.
    fn sample(column: &str) -> &'static str {
        match column {
            "id" => "CH-1",
            "price" => "1\u{a0}499,00",
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
            columns in proptest::sample::subsequence(COLUMNS[1..].to_vec(), 0..COLUMNS.len())
                .prop_shuffle(),
            id_at in 0..COLUMNS.len(),
            rows in proptest::collection::vec(proptest::collection::vec(any::<bool>(), COLUMNS.len()), 1..4),
        ) {
            let mut columns = columns;
            columns.insert(id_at.min(columns.len()), "id");
            let has_currency = columns.contains(&"currency");
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(&columns).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut expected_set = Vec::new();
            for filled in &rows {
                // A price is filled only with a currency beside it; that is the one pairing.
                let price_filled = filled[index_of("price")] && has_currency;
                let is_filled = |column: &str| match column {
                    "id" => true,
                    "price" => price_filled,
                    "currency" => filled[index_of("currency")] || price_filled,
                    c => COLUMNS.iter().position(|k| *k == c).is_some_and(|k| filled[k]),
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
