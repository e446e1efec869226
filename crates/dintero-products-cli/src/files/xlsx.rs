//! `.xlsx` workbooks: the columns of `table`, read with calamine as a stream of cells and
//! written with rust_xlsxwriter a row at a time, so a workbook of any size takes the memory of
//! a row (and, when read, of its shared-strings table, which calamine holds whole).
//!
//! A workbook holds typed cells where CSV holds texts: a reader turns each cell into the text
//! CSV would hold (a number as it is typed, a date as RFC 3339), and a writer writes texts as
//! text cells, so an id `007` or a name `=1+1` is never taken for a number or a formula, and
//! prices and stock as numbers a spreadsheet can sum.

use super::table::{self, Cell, Table};
use super::{Place, Row, RowError};
use crate::error::CliError;
use calamine::{DataRef, ExcelDateTime, Reader, Xlsx};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use dintero_products::{LocationId, Product};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use std::io::{self, Read, Seek};
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};

/// The name of the sheet an export writes, and the one a reader takes when there are several.
pub const SHEET: &str = "Products";

/// Rows handed from the reading thread at a time: few enough to keep memory flat, enough that
/// the channel costs nothing beside the parsing.
const BATCH: usize = 256;

/// What the reading thread sends after the header.
enum Message {
    Rows(Vec<Result<Row, RowError>>),
    /// The sheet was read to its end: without it, a closed channel means the thread died.
    End,
}

/// The products of a workbook's sheet, row by row; see `columns.txt` for the columns.
///
/// The sheet is the one named `Products` (in any case), or else the first. Its first row that
/// is not empty is the header, wherever it starts (a table at `B3` is fine); empty rows are
/// skipped, and each row's line is its row number in the sheet.
///
/// calamine's cell reader borrows the workbook, so a thread owns both and hands rows over a
/// bounded channel: memory stays that of a few batches of rows, and a workbook so malformed
/// that calamine panics ends the reading with an error rather than the program.
pub struct XlsxProducts {
    file: Arc<str>,
    batches: Receiver<Message>,
    current: std::vec::IntoIter<Result<Row, RowError>>,
    /// The line of the last row handed out, for an error after it.
    last_line: u64,
    done: bool,
}

impl XlsxProducts {
    /// Opens the workbook in `input`, finds its sheet and reads and checks its header row.
    /// `file` names the file in messages.
    ///
    /// Fails when `input` is not a workbook calamine can read (not a zip, encrypted, an
    /// `.xls`), has no sheet, or the sheet has no header row or a header `table` refuses.
    pub fn new(file: Arc<str>, input: impl Read + Seek + Send + 'static) -> Result<Self, CliError> {
        let (header_tx, header_rx) = mpsc::sync_channel(1);
        let (batches_tx, batches) = mpsc::sync_channel(4);
        let name = file.clone();
        std::thread::Builder::new()
            .name("xlsx-reader".into())
            .spawn(move || read_sheet(name, input, &header_tx, &batches_tx))
            .map_err(|source| CliError::Input {
                what: format!("cannot read {file}"),
                source,
            })?;
        match header_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(CliError::Usage(format!(
                    "{file}: cannot read the workbook: it is malformed"
                )));
            }
        }
        Ok(Self {
            file,
            batches,
            current: Vec::new().into_iter(),
            last_line: 1,
            done: false,
        })
    }
}

impl Iterator for XlsxProducts {
    type Item = Result<Row, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.current.next() {
                self.last_line = match &item {
                    Ok(row) => row.line,
                    Err(e) => e.line,
                };
                return Some(item);
            }
            if self.done {
                return None;
            }
            match self.batches.recv() {
                Ok(Message::Rows(batch)) => self.current = batch.into_iter(),
                Ok(Message::End) => self.done = true,
                Err(_) => {
                    self.done = true;
                    return Some(Err(RowError {
                        file: self.file.clone(),
                        line: self.last_line + 1,
                        place: Place::Row,
                        id: None,
                        message: "cannot read further: the workbook is malformed".into(),
                        fatal: true,
                    }));
                }
            }
        }
    }
}

/// A cell's value as the text CSV would hold, or why it has none (an error cell).
type Value = Result<String, String>;

/// One row of the sheet: its number (from 0) and its cells that are not empty, by column.
struct SheetRow {
    number: u32,
    cells: Vec<(u32, Value)>,
}

/// The thread's work: the header's outcome on `header`, then the rows on `batches`. It ends
/// as soon as the other side hangs up.
fn read_sheet(
    file: Arc<str>,
    input: impl Read + Seek,
    header: &SyncSender<Result<(), CliError>>,
    batches: &SyncSender<Message>,
) {
    let cannot = |why: String| CliError::Usage(format!("{file}: cannot read the workbook: {why}"));
    let mut workbook = match Xlsx::new(input) {
        Ok(workbook) => workbook,
        Err(e) => {
            let _ = header.send(Err(cannot(format!(
                "{e} (is it an .xlsx file? an .xls or an encrypted one is not read)"
            ))));
            return;
        }
    };
    let names = workbook.sheet_names();
    let Some(sheet) = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(SHEET))
        .or(names.first())
        .cloned()
    else {
        let _ = header.send(Err(cannot("it has no sheet".into())));
        return;
    };
    let mut rows = match workbook.worksheet_cells_reader(&sheet) {
        Ok(cells) => SheetRows {
            cells,
            pending: None,
            ended: false,
        },
        Err(e) => {
            let _ = header.send(Err(cannot(format!("sheet {sheet:?}: {e}"))));
            return;
        }
    };
    let first = loop {
        match rows.next_row() {
            Ok(Some(row)) if !row.cells.is_empty() => break row,
            Ok(Some(_)) => {}
            Ok(None) => {
                let _ = header.send(Err(CliError::Usage(format!(
                    "{file}: sheet {sheet:?} is empty; a file of products needs a header row naming its columns"
                ))));
                return;
            }
            Err(e) => {
                let _ = header.send(Err(cannot(format!("sheet {sheet:?}: {e}"))));
                return;
            }
        }
    };
    let columns = match Columns::from_header(&file, first) {
        Ok(columns) => columns,
        Err(e) => {
            let _ = header.send(Err(e));
            return;
        }
    };
    if header.send(Ok(())).is_err() {
        return;
    }

    let mut batch = Vec::with_capacity(BATCH);
    let mut last_line = u64::from(columns.header_row) + 1;
    loop {
        let item = match rows.next_row() {
            Ok(Some(row)) if row.cells.is_empty() => continue,
            Ok(Some(row)) => {
                last_line = u64::from(row.number) + 1;
                columns.parse(&row)
            }
            Ok(None) => break,
            Err(e) => Err(RowError {
                file: file.clone(),
                line: last_line + 1,
                place: Place::Row,
                id: None,
                message: format!("cannot read further: {e}"),
                fatal: true,
            }),
        };
        let fatal = item.as_ref().is_err_and(|e| e.fatal);
        batch.push(item);
        if fatal {
            let _ = batches.send(Message::Rows(batch));
            let _ = batches.send(Message::End);
            return;
        }
        if batch.len() == BATCH
            && batches
                .send(Message::Rows(std::mem::replace(
                    &mut batch,
                    Vec::with_capacity(BATCH),
                )))
                .is_err()
        {
            return;
        }
    }
    if !batch.is_empty() && batches.send(Message::Rows(batch)).is_err() {
        return;
    }
    let _ = batches.send(Message::End);
}

/// The cells of a sheet, gathered into rows (calamine hands them one by one, in order).
struct SheetRows<'a, RS: Read + Seek> {
    cells: calamine::XlsxCellReader<'a, RS>,
    /// The first cell of the next row, read to find where this one ends.
    pending: Option<((u32, u32), Value)>,
    /// Whether calamine said the sheet ended (asked again, it fails).
    ended: bool,
}

impl<RS: Read + Seek> SheetRows<'_, RS> {
    /// The next row with a cell, its empty cells left out (a row of formatted blanks has
    /// none); `None` at the end of the sheet.
    fn next_row(&mut self) -> Result<Option<SheetRow>, calamine::XlsxError> {
        let mut row: Option<SheetRow> = None;
        loop {
            let next = match self.pending.take() {
                Some(cell) => Some(cell),
                None if self.ended => None,
                None => self.cells.next_cell()?.map(|cell| {
                    let value = value(cell.get_value());
                    (cell.get_position(), value)
                }),
            };
            let Some(((number, column), value)) = next else {
                self.ended = true;
                return Ok(row);
            };
            match &mut row {
                Some(current) if current.number != number => {
                    self.pending = Some(((number, column), value));
                    return Ok(row);
                }
                Some(current) => {
                    if value.as_ref().map_or(true, |text| !text.is_empty()) {
                        current.cells.push((column, value));
                    }
                }
                None => {
                    let cells = match value {
                        Ok(text) if text.is_empty() => Vec::new(),
                        value => vec![(column, value)],
                    };
                    row = Some(SheetRow { number, cells });
                }
            }
        }
    }
}

/// Where each of the header's columns is in the sheet, and the table they make.
struct Columns {
    table: Table,
    /// The sheet column (from 0) of each of the table's positions, in the header's order.
    sheet: Vec<u32>,
    /// The header's row (from 0).
    header_row: u32,
    /// The table position of the `id` column, to name a row's product in its errors.
    id: Option<usize>,
}

impl Columns {
    /// Reads the header row: its cells that are not blank name the columns, wherever they
    /// are (an empty column between two is no column).
    fn from_header(file: &Arc<str>, row: SheetRow) -> Result<Self, CliError> {
        let line = u64::from(row.number) + 1;
        let mut names = Vec::new();
        let mut sheet = Vec::new();
        for (column, value) in row.cells {
            match value {
                Ok(name) if name.trim().is_empty() => {}
                Ok(name) => {
                    names.push(name);
                    sheet.push(column);
                }
                Err(message) => {
                    return Err(CliError::Usage(format!(
                        "{file}, line {line}, column {}: the header row {message}",
                        column + 1
                    )));
                }
            }
        }
        let table =
            Table::from_header(file.clone(), line, names.iter().map(String::as_str), false)?;
        let id = names.iter().position(|n| {
            n.trim_start_matches('\u{feff}')
                .trim()
                .eq_ignore_ascii_case("id")
        });
        Ok(Self {
            table,
            sheet,
            header_row: row.number,
            id,
        })
    }

    /// The name of the header's column at table position `position`.
    fn name(&self, position: usize) -> String {
        self.table.name_at(position)
    }

    /// One row as a product, or the first thing wrong with it: an error cell, a value in a
    /// column the header does not name, or what `table` finds.
    fn parse(&self, row: &SheetRow) -> Result<Row, RowError> {
        let line = u64::from(row.number) + 1;
        let mut texts = vec![String::new(); self.sheet.len()];
        let mut problem = None;
        for (column, value) in &row.cells {
            match (self.sheet.binary_search(column), value) {
                (Ok(position), Ok(text)) => texts[position] = text.clone(),
                (Ok(position), Err(message)) => {
                    problem.get_or_insert((*column, self.name(position), message.clone()));
                }
                (Err(_), Ok(text)) if text.trim().is_empty() => {}
                (Err(_), _) => {
                    problem.get_or_insert((
                        *column,
                        column_letters(*column),
                        "a value in a column the header row does not name (give it a name, or clear the column)".into(),
                    ));
                }
            }
        }
        let id = self
            .id
            .map(|p| texts[p].trim().to_string())
            .filter(|id| !id.is_empty());
        if let Some((column, name, message)) = problem {
            return Err(RowError {
                file: self.table.file(),
                line,
                place: Place::Column {
                    number: column as usize + 1,
                    name,
                },
                id,
                message,
                fatal: false,
            });
        }
        self.table.parse(line, texts.as_slice()).map_err(|mut e| {
            // `table` numbers columns by their place in the header; a person looks for the
            // sheet's column.
            if let Place::Column { number, .. } = &mut e.place
                && let Some(column) = number.checked_sub(1).and_then(|p| self.sheet.get(p))
            {
                *number = *column as usize + 1;
            }
            e
        })
    }
}

/// A column's letters, as a spreadsheet names it: `A`, `Z`, `AA`.
fn column_letters(column: u32) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(column) + 1;
    while n > 0 {
        let rest = (n - 1) % 26;
        letters.push(char::from(b'A' + rest as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// A cell as the text CSV would hold: a text as it is, a number as typed (a whole number
/// without `.0`, so an id typed as 12345 reads `12345`), `true`/`false`, a date and time as
/// RFC 3339 in UTC (a workbook holds no zone), a formula's cached value. An error cell is
/// `Err`, saying so.
fn value(cell: &DataRef<'_>) -> Value {
    Ok(match cell {
        DataRef::Empty => String::new(),
        DataRef::String(text) => text.clone(),
        DataRef::SharedString(text) => (*text).to_string(),
        DataRef::Float(number) => float(*number),
        DataRef::Int(number) => number.to_string(),
        DataRef::Bool(value) => value.to_string(),
        DataRef::DateTime(time) => excel_time(time)?,
        DataRef::DateTimeIso(text) => iso_time(text),
        DataRef::DurationIso(text) => text.clone(),
        DataRef::Error(error) => {
            return Err(format!(
                "holds the error {error}: correct the formula or type the value"
            ));
        }
    })
}

/// Rust's shortest text that reads back as `number` (never an exponent): `1499`, `19.99`.
fn float(number: f64) -> String {
    if number == 0.0 {
        // Not `-0`.
        "0".into()
    } else {
        number.to_string()
    }
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A date cell (a serial number of days, formatted as a date) as RFC 3339; a duration as its
/// number of days.
fn excel_time(time: &ExcelDateTime) -> Value {
    if time.is_duration() {
        return Ok(float(time.as_f64()));
    }
    let (year, month, day, hour, minute, second, milli) = time.to_ymd_hms_milli();
    NaiveDate::from_ymd_opt(year.into(), month.into(), day.into())
        .and_then(|date| {
            date.and_hms_milli_opt(hour.into(), minute.into(), second.into(), milli.into())
        })
        .map(|time| rfc3339(time.and_utc()))
        // Excel's 29 February 1900, a day that never was.
        .ok_or_else(|| {
            format!("holds the date {year:04}-{month:02}-{day:02}, which is no day of the calendar")
        })
}

/// A cell of ISO 8601 time (a workbook's `d` type): in UTC, as RFC 3339, when it is a time;
/// as it is otherwise, for `table` to judge.
fn iso_time(text: &str) -> String {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return rfc3339(time.with_timezone(&Utc));
    }
    if let Ok(time) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return rfc3339(time.and_utc());
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return rfc3339(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    text.to_string()
}

/// The widest a column is made, in characters: wider texts (descriptions, images) are cut
/// on screen, not in the cell.
const MAX_WIDTH: usize = 50;

/// Writes products as a workbook of one sheet, [`SHEET`], every column, header first: the
/// header bold and frozen, texts as text cells (never a formula or a number: `007` and `=1+1`
/// stay as they are), the price as a number shown with its currency's decimals, stock counts
/// as numbers, times as RFC 3339 text.
///
/// rust_xlsxwriter's constant-memory mode keeps the current row in memory and writes the rows
/// before it to a temporary file, with strings inline (no shared-strings table, which would
/// grow with the catalog); the workbook is put together into `out` by [`finish`](Self::finish).
/// A sheet holds at most 1,048,575 products below its header.
pub struct XlsxWriter<W: io::Write> {
    out: W,
    workbook: Workbook,
    stock: Vec<LocationId>,
    header: Vec<String>,
    /// Each column's widest value so far, in characters, at most [`MAX_WIDTH`].
    widths: Vec<usize>,
    /// The number format of each number of decimals met so far.
    formats: Vec<(u32, Format)>,
    /// The last row written (the header is row 0).
    row: u32,
}

impl<W: io::Write + Send> XlsxWriter<W> {
    /// A writer into `out` with a `stock:` column for each of `locations` in place of the
    /// `locations` column (none: the `locations` column); the sheet's temporary file goes to
    /// the system's temporary directory.
    pub fn new(out: W, locations: Vec<LocationId>) -> io::Result<Self> {
        Self::new_in(out, locations, &std::env::temp_dir())
    }

    /// As [`new`](Self::new), the sheet's temporary file in `temp_dir`: beside the output, it
    /// is on a disk with room for the workbook, where the system's may be in memory.
    pub fn new_in(out: W, locations: Vec<LocationId>, temp_dir: &Path) -> io::Result<Self> {
        let mut workbook = Workbook::new();
        workbook.set_tempdir(temp_dir).map_err(io_error)?;
        let header = table::export_header(&locations);
        let bold = Format::new().set_bold();
        let sheet = workbook
            .add_worksheet_with_constant_memory()
            .map_err(io_error)?;
        sheet.set_name(SHEET).map_err(io_error)?;
        sheet.set_freeze_panes(1, 0).map_err(io_error)?;
        for (column, name) in header.iter().enumerate() {
            sheet
                .write_string_with_format(0, column_number(column)?, name, &bold)
                .map_err(io_error)?;
        }
        Ok(Self {
            out,
            workbook,
            stock: locations,
            widths: header.iter().map(|name| width(name)).collect(),
            header,
            formats: Vec::new(),
            row: 0,
        })
    }

    /// Writes one product as a row.
    pub fn write(&mut self, product: &Product) -> io::Result<()> {
        let cells = table::export_row(product, &self.stock)?;
        let row = self.row + 1;
        let sheet = self.workbook.worksheet_from_index(0).map_err(io_error)?;
        for (column, cell) in cells.iter().enumerate() {
            let written = match cell {
                // An empty cell reads as an empty text; writing none keeps the file small.
                Cell::Text(text) if text.is_empty() => continue,
                Cell::Text(text) => sheet.write_string(row, column_number(column)?, text),
                Cell::Number {
                    text,
                    value,
                    decimals,
                } if fits_f64(text) => {
                    let format = number_format(&mut self.formats, *decimals);
                    sheet.write_number_with_format(row, column_number(column)?, *value, format)
                }
                // More digits than a spreadsheet's number holds: as text, which loses none.
                Cell::Number { text, .. } => sheet.write_string(row, column_number(column)?, text),
            };
            written.map_err(|e| match e {
                XlsxError::RowColumnLimitError => io::Error::other(format!(
                    "a worksheet holds at most {} products: export this catalog as CSV or JSON Lines",
                    row - 1
                )),
                XlsxError::MaxStringLengthExceeded => io::Error::other(format!(
                    "product {}: its {} is longer than a workbook cell holds (32,767 characters): export this catalog as CSV or JSON Lines",
                    product.id(),
                    self.header.get(column).map_or("?", String::as_str)
                )),
                e => io_error(e),
            })?;
            if let Some(widest) = self.widths.get_mut(column) {
                *widest = (*widest).max(width(cell.text()));
            }
        }
        self.row = row;
        Ok(())
    }

    /// Puts the workbook together into the destination and returns it.
    pub fn finish(mut self) -> io::Result<W> {
        // The column widths go in the sheet's start, which is written now, after every row:
        // so they fit the widest value of the whole sheet (rust_xlsxwriter's autofit reads
        // the rows it holds, and in constant-memory mode it holds one).
        let sheet = self.workbook.worksheet_from_index(0).map_err(io_error)?;
        for (column, widest) in self.widths.iter().enumerate() {
            // Two characters of margin, as a spreadsheet's autofit leaves.
            let width = (*widest + 2) as f64;
            sheet
                .set_column_width(column_number(column)?, width)
                .map_err(io_error)?;
        }
        self.workbook
            .save_to_writer(&mut self.out)
            .map_err(io_error)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The width a value asks for: its longest line, in characters, at most [`MAX_WIDTH`].
fn width(text: &str) -> usize {
    text.lines()
        .map(|line| line.chars().take(MAX_WIDTH).count())
        .max()
        .unwrap_or(0)
}

fn column_number(column: usize) -> io::Result<u16> {
    u16::try_from(column).map_err(|_| io::Error::other("too many columns for a worksheet"))
}

/// Whether a spreadsheet's number (an f64, shown to 15 significant digits) holds every digit
/// of the decimal `text`.
fn fits_f64(text: &str) -> bool {
    let digits = text
        .chars()
        .filter(char::is_ascii_digit)
        .skip_while(|c| *c == '0')
        .count();
    digits <= 15
}

/// The format showing exactly `decimals` decimals (`0`, `0.00`, `0.000`), made once.
fn number_format(formats: &mut Vec<(u32, Format)>, decimals: u32) -> &Format {
    let index = match formats.iter().position(|(d, _)| *d == decimals) {
        Some(index) => index,
        None => {
            let pattern = match decimals {
                0 => "0".to_string(),
                d => format!("0.{}", "0".repeat(d as usize)),
            };
            formats.push((decimals, Format::new().set_num_format(pattern)));
            formats.len() - 1
        }
    };
    &formats[index].1
}

fn io_error(error: XlsxError) -> io::Error {
    match error {
        XlsxError::IoError(e) => e,
        XlsxError::TempFileError(dir, e) => io::Error::new(
            e.kind(),
            format!("cannot make a temporary file in {}: {e}", dir.display()),
        ),
        e => io::Error::other(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{ExcelDateTime as WriteDateTime, Formula};
    use std::io::Cursor;

    fn read(bytes: Vec<u8>) -> Result<Vec<Result<Row, RowError>>, CliError> {
        Ok(XlsxProducts::new("t.xlsx".into(), Cursor::new(bytes))?.collect())
    }

    /// The rows of `bytes`, each as `line id name price` or its error as printed.
    fn lines(bytes: Vec<u8>) -> Vec<String> {
        match read(bytes) {
            Ok(rows) => rows
                .into_iter()
                .map(|row| match row {
                    Ok(row) => {
                        let fields = row.product.get_fields();
                        format!(
                            "{} {} {} {}",
                            row.line,
                            row.id(),
                            fields.name.as_deref().unwrap_or("-"),
                            fields.price.map_or("-".to_string(), |p| p.to_string())
                        )
                    }
                    Err(e) => e.to_string(),
                })
                .collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    fn save(workbook: &mut Workbook) -> Vec<u8> {
        workbook
            .save_to_buffer()
            .unwrap_or_else(|e| panic!("saving a test workbook: {e}"))
    }

    #[test]
    fn cells_read_as_csv_would_hold_them() {
        let time =
            WriteDateTime::parse_from_str("2024-01-15T09:00:00").unwrap_or_else(|e| panic!("{e}"));
        let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        let header = ["id", "name", "price", "currency", "virtual", "starting_at"];
        for (c, name) in header.iter().enumerate() {
            sheet
                .write_string(0, c as u16, *name)
                .map(|_| ())
                .unwrap_or_default();
        }
        let written = (|| -> Result<(), XlsxError> {
            sheet.write_number(1, 0, 12345)?;
            sheet.write_string(1, 1, "Chair")?;
            sheet.write_number(1, 2, 1499)?;
            sheet.write_string(1, 3, "NOK")?;
            sheet.write_boolean(1, 4, true)?;
            sheet.write_datetime_with_format(1, 5, &time, &date)?;
            // Row 3 is empty; row 4 has a formula with its cached value.
            sheet.write_string(3, 0, "007")?;
            sheet.write_formula(3, 1, Formula::new("=\"Lamp\"").set_result("Lamp"))?;
            sheet.write_number(3, 2, 19.99)?;
            sheet.write_string(3, 3, "NOK")?;
            sheet.write_boolean(3, 4, false)?;
            Ok(())
        })();
        assert!(written.is_ok(), "{written:?}");
        let rows = read(save(&mut workbook)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows.len(), 2);
        let first = rows[0].as_ref().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((first.line, first.id()), (2, "12345"));
        let fields = first.product.get_fields();
        assert_eq!(fields.name.as_deref(), Some("Chair"));
        assert_eq!(fields.price.map(|p| p.minor_units()), Some(149_900));
        assert_eq!(fields.is_virtual, Some(true));
        assert_eq!(
            fields.starting_at.map(rfc3339).as_deref(),
            Some("2024-01-15T09:00:00Z")
        );
        let second = rows[1].as_ref().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((second.line, second.id()), (4, "007"));
        let fields = second.product.get_fields();
        assert_eq!(fields.name.as_deref(), Some("Lamp"));
        assert_eq!(fields.price.map(|p| p.minor_units()), Some(1999));
        assert_eq!(fields.is_virtual, Some(false));
    }

    #[test]
    fn numbers_read_as_typed() {
        assert_eq!(float(12345.0), "12345");
        assert_eq!(float(1499.0), "1499");
        assert_eq!(float(19.99), "19.99");
        assert_eq!(float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(float(-0.0), "0");
        assert_eq!(float(1e20), "100000000000000000000");
        assert!(fits_f64("99999999999.99"));
        assert!(fits_f64("0.005"));
        assert!(fits_f64("-123456789012345"));
        assert!(!fits_f64("1234567890123456"));
        assert!(!fits_f64("-92233720368547758.08"));
    }

    #[test]
    fn iso_times_read_as_rfc3339_in_utc() {
        assert_eq!(iso_time("2024-01-15T09:00:00"), "2024-01-15T09:00:00Z");
        assert_eq!(
            iso_time("2024-01-15T10:00:00+01:00"),
            "2024-01-15T09:00:00Z"
        );
        assert_eq!(iso_time("2024-01-15"), "2024-01-15T00:00:00Z");
        assert_eq!(iso_time("soon"), "soon");
    }

    #[test]
    fn column_letters_are_a_spreadsheets() {
        let got: Vec<String> = [0, 25, 26, 27, 701, 702].map(column_letters).into();
        assert_eq!(got, ["A", "Z", "AA", "AB", "ZZ", "AAA"]);
    }

    #[test]
    fn a_sheet_named_products_is_chosen_and_may_start_anywhere() {
        let mut workbook = Workbook::new();
        let written = (|| -> Result<(), XlsxError> {
            workbook
                .add_worksheet()
                .set_name("Notes")?
                .write_string(0, 0, "not products")?;
            let sheet = workbook.add_worksheet().set_name("PRODUCTS")?;
            // A table at B3: header on row 3, a blank row, then two products.
            sheet.write_string(2, 1, "ID")?;
            sheet.write_string(2, 2, "Name")?;
            sheet.write_string(3, 1, "A")?;
            sheet.write_string(3, 2, "Chair")?;
            sheet.write_blank(4, 1, &Format::new().set_bold())?;
            sheet.write_string(5, 1, "B")?;
            sheet.write_string(5, 2, "Table")?;
            Ok(())
        })();
        assert!(written.is_ok(), "{written:?}");
        assert_eq!(lines(save(&mut workbook)), ["4 A Chair -", "6 B Table -"]);
    }

    #[test]
    fn formatted_blanks_are_no_header_no_column_and_no_value() {
        let mut workbook = Workbook::new();
        let written = (|| -> Result<(), XlsxError> {
            let bold = Format::new().set_bold();
            let sheet = workbook.add_worksheet();
            // A formatted blank row before the header, a formatted blank between its names.
            sheet.write_blank(0, 0, &bold)?;
            sheet.write_string(1, 0, "id")?;
            sheet.write_blank(1, 1, &bold)?;
            sheet.write_string(1, 2, "name")?;
            // Spaces in the nameless column are no value there; an error keeps the row's id.
            sheet.write_string(2, 0, "A")?;
            sheet.write_string(2, 1, "  ")?;
            sheet.write_string(2, 2, "Chair")?;
            sheet.write_string(3, 0, "B")?;
            sheet.write_formula(3, 2, Formula::new("=1/0").set_result("#DIV/0!"))?;
            Ok(())
        })();
        assert!(written.is_ok(), "{written:?}");
        let rows = read(save(&mut workbook)).unwrap_or_else(|e| panic!("{e}"));
        let first = rows
            .first()
            .map(|r| r.as_ref().map(|r| (r.line, r.id().to_string())));
        assert!(matches!(&first, Some(Ok((3, id))) if id == "A"), "{rows:?}");
        let second = rows.get(1).and_then(|r| r.as_ref().err());
        assert!(
            second.is_some_and(|e| e.line == 4 && e.id.as_deref() == Some("B")),
            "{rows:?}"
        );
    }

    #[test]
    fn errors_name_the_sheets_row_and_column() {
        let mut workbook = Workbook::new();
        let written = (|| -> Result<(), XlsxError> {
            let sheet = workbook.add_worksheet();
            for (c, name) in ["id", "name", "price", "currency"].iter().enumerate() {
                sheet.write_string(1, c as u16 + 1, *name)?;
            }
            sheet.write_string(2, 1, "A")?;
            sheet.write_formula(2, 3, Formula::new("=1/0").set_result("#DIV/0!"))?;
            sheet.write_string(2, 4, "NOK")?;
            sheet.write_string(3, 1, "B")?;
            sheet.write_number(3, 3, -1)?;
            sheet.write_string(3, 4, "NOK")?;
            sheet.write_string(4, 1, "C")?;
            sheet.write_string(4, 6, "stray")?;
            Ok(())
        })();
        assert!(written.is_ok(), "{written:?}");
        assert_eq!(
            lines(save(&mut workbook)),
            [
                "t.xlsx, line 3, column 4 (price): holds the error #DIV/0!: correct the formula or type the value",
                "t.xlsx, line 4, column 4 (price): invalid price \"-1\": must not be negative",
                "t.xlsx, line 5, column 7 (G): a value in a column the header row does not name (give it a name, or clear the column)",
            ]
        );
    }

    /// A workbook of an `id` header and `good` rows, whose next row holds a cell calamine
    /// refuses (a type attribute no spreadsheet writes), as a damaged or hand-made file might.
    fn broken_after(good: u32) -> Vec<u8> {
        let mut workbook = Workbook::new();
        let written = (|| -> Result<(), XlsxError> {
            let sheet = workbook.add_worksheet();
            sheet.write_string(0, 0, "id")?;
            for row in 1..=good + 1 {
                sheet.write_string(row, 0, format!("P{row}"))?;
            }
            Ok(())
        })();
        assert!(written.is_ok(), "{written:?}");
        let bytes = save(&mut workbook);
        let sheet = unzip(&bytes, "xl/worksheets/sheet1.xml");
        let cell = format!(r#"<c r="A{}" t="s">"#, good + 2);
        assert!(sheet.contains(&cell), "{sheet}");
        let broken = sheet.replace(&cell, &format!(r#"<c r="A{}" t="x">"#, good + 2));
        rezip(&bytes, "xl/worksheets/sheet1.xml", &broken)
    }

    /// A row is handed out once the next row starts, so a cell that cannot be read ends the
    /// reading at the row being read: its line is named, the rows before it are read, and no
    /// row after it is taken for complete.
    #[test]
    fn a_cell_that_cannot_be_read_ends_the_rows_naming_the_row_being_read() {
        for good in 1..=3u32 {
            let rows = lines(broken_after(good));
            let (error, read) = rows.split_last().unwrap_or_else(|| panic!("no rows"));
            let expected: Vec<String> = (1..good)
                .map(|row| format!("{} P{row} - -", row + 1))
                .collect();
            assert_eq!(read, expected, "{good} good rows");
            let line = good + 1;
            assert!(
                error.starts_with(&format!("t.xlsx, line {line}: cannot read further: ")),
                "{good} good rows: {error}"
            );
        }
    }

    /// The reading thread ends without a word only when calamine panicked in it: the rows
    /// already sent are read, then an error names the line after the last of them.
    #[test]
    fn a_reading_thread_that_dies_ends_the_rows_after_the_last_one_read() {
        let (sender, batches) = mpsc::sync_channel(1);
        let row_error = |line| RowError {
            file: "t.xlsx".into(),
            line,
            place: Place::Row,
            id: None,
            message: "a bad row".into(),
            fatal: false,
        };
        assert!(sender.send(Message::Rows(vec![Err(row_error(7))])).is_ok());
        drop(sender);
        let products = XlsxProducts {
            file: "t.xlsx".into(),
            batches,
            current: Vec::new().into_iter(),
            last_line: 1,
            done: false,
        };
        let read: Vec<String> = products
            .map(|row| row.err().map_or("a row".into(), |e| e.to_string()))
            .collect();
        assert_eq!(
            read,
            [
                "t.xlsx, line 7: a bad row",
                "t.xlsx, line 8: cannot read further: the workbook is malformed",
            ]
        );
    }

    #[test]
    fn a_workbook_without_products_is_a_usage_error() {
        let not_a_workbook = read(b"id,name\nA,Chair\n".to_vec())
            .err()
            .map(|e| e.to_string());
        assert!(
            not_a_workbook
                .as_deref()
                .is_some_and(|e| e.starts_with("t.xlsx: cannot read the workbook: ")),
            "{not_a_workbook:?}"
        );
        let mut empty = Workbook::new();
        empty.add_worksheet();
        let empty = read(save(&mut empty)).err().map(|e| e.to_string());
        assert!(
            empty.as_deref().is_some_and(|e| e.contains("is empty")),
            "{empty:?}"
        );
        let mut unknown = Workbook::new();
        let written = unknown.add_worksheet().write_string(2, 0, "nom");
        assert!(written.is_ok());
        let unknown = read(save(&mut unknown)).err().map(|e| e.to_string());
        assert!(
            unknown
                .as_deref()
                .is_some_and(|e| e.starts_with("t.xlsx, line 3: unknown column \"nom\"")),
            "{unknown:?}"
        );
    }

    #[test]
    fn bytes_that_are_no_workbook_never_panic() {
        let mut bytes = Vec::new();
        let mut workbook = Workbook::new();
        let written = workbook.add_worksheet().write_string(0, 0, "id");
        assert!(written.is_ok());
        let good = save(&mut workbook);
        // Cut short and bit-flipped copies of a real workbook.
        for cut in (0..good.len()).step_by(good.len() / 40 + 1) {
            bytes.push(good[..cut].to_vec());
            let mut flipped = good.clone();
            flipped[cut] ^= 0x55;
            bytes.push(flipped);
        }
        for b in bytes {
            let _ = read(b);
        }
    }

    #[test]
    fn widths_and_digits_are_counted_as_a_spreadsheet_shows_them() {
        assert_eq!(width("Chair"), 5);
        assert_eq!(width("two\na longer line"), 13);
        assert_eq!(width(&"x".repeat(200)), MAX_WIDTH);
        assert_eq!(width(""), 0);
        assert!(fits_f64("123456789012345"));
        assert!(fits_f64("-1499.50"));
        assert!(
            fits_f64("0.000000000000001234"),
            "leading zeros are no digits"
        );
        assert!(!fits_f64("1234567890123456"));
    }

    #[test]
    fn each_currency_gets_its_decimals_and_long_numbers_stay_text() {
        let product = |json: serde_json::Value| {
            let raw: dintero_products::types::ProductDetails =
                serde_json::from_value(json).unwrap_or_default();
            Product::try_from(raw).unwrap_or_else(|e| panic!("{e}"))
        };
        let osl = LocationId::new("OSL-01").unwrap_or_else(|e| panic!("{e}"));
        let mut writer = XlsxWriter::new(Vec::new(), vec![osl]).unwrap_or_else(|e| panic!("{e}"));
        for json in [
            serde_json::json!({"product_id": "A", "unit_gross_price": 100, "currency": "NOK"}),
            serde_json::json!({"product_id": "B", "unit_gross_price": 1500, "currency": "KWD",
                "locations": [{"location_id": "OSL-01", "number_of_items_in_storage": 12_345_678_901_234_567_i64}]}),
        ] {
            writer
                .write(&product(json))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let bytes = writer.finish().unwrap_or_else(|e| panic!("{e}"));
        let styles = unzip(&bytes, "xl/styles.xml");
        assert!(styles.contains(r#"formatCode="0.00""#), "{styles}");
        assert!(styles.contains(r#"formatCode="0.000""#), "{styles}");
        let sheet = unzip(&bytes, "xl/worksheets/sheet1.xml");
        assert!(
            sheet.contains("12345678901234567"),
            "every digit, as text: {sheet}"
        );
        assert!(
            !sheet.contains("<t></t>") && !sheet.contains("<t/>"),
            "no empty cell is written: {sheet}"
        );
    }

    #[test]
    fn the_writer_writes_typed_cells_a_header_and_widths() {
        let raw: dintero_products::types::ProductDetails =
            serde_json::from_value(serde_json::json!({
                "product_id": "007",
                "product_name": "=1+1",
                "unit_gross_price": 149_950,
                "currency": "NOK",
                "locations": [{"location_id": "OSL-01", "number_of_items_in_storage": 4}]
            }))
            .unwrap_or_default();
        let product = Product::try_from(raw).unwrap_or_else(|e| panic!("{e}"));
        let osl = LocationId::new("OSL-01").unwrap_or_else(|e| panic!("{e}"));
        let mut writer = XlsxWriter::new(Vec::new(), vec![osl]).unwrap_or_else(|e| panic!("{e}"));
        writer.write(&product).unwrap_or_else(|e| panic!("{e}"));
        let bytes = writer.finish().unwrap_or_else(|e| panic!("{e}"));

        let mut workbook = Xlsx::new(Cursor::new(bytes.clone())).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(workbook.sheet_names(), [SHEET]);
        let range = workbook
            .worksheet_range(SHEET)
            .unwrap_or_else(|e| panic!("{e}"));
        let at = |row: u32, column: &str| {
            let header =
                table::export_header(
                    &[LocationId::new("OSL-01").unwrap_or_else(|e| panic!("{e}"))],
                );
            let c = header
                .iter()
                .position(|h| h == column)
                .unwrap_or(usize::MAX);
            range.get_value((row, c as u32)).cloned()
        };
        use calamine::Data;
        assert_eq!(
            at(0, "stock:OSL-01"),
            Some(Data::String("stock:OSL-01".into()))
        );
        assert_eq!(at(1, "id"), Some(Data::String("007".into())));
        assert_eq!(at(1, "name"), Some(Data::String("=1+1".into())));
        assert_eq!(at(1, "price"), Some(Data::Float(1499.5)));
        assert_eq!(at(1, "stock:OSL-01"), Some(Data::Float(4.0)));
        assert_eq!(at(1, "virtual"), Some(Data::String("false".into())));

        // The sheet's XML: frozen under the header, a bold header, the price's format.
        let xml = unzip(&bytes, "xl/worksheets/sheet1.xml");
        assert!(
            xml.contains(
                r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
            ),
            "{xml}"
        );
        assert!(xml.contains("<cols>"), "{xml}");
        // The id column fits `007` with two characters of margin: 5, which the file stores
        // with Excel's padding of 0.7109375.
        assert!(
            xml.contains(r#"<col min="1" max="1" width="5.7109375" customWidth="1"/>"#),
            "{xml}"
        );
        assert!(!xml.contains("<f>"), "no formula: {xml}");
        let styles = unzip(&bytes, "xl/styles.xml");
        assert!(styles.contains(r#"formatCode="0.00""#), "{styles}");
        assert!(styles.contains("<b/>"), "{styles}");
        let rows = lines(bytes);
        assert_eq!(rows, ["2 007 =1+1 1499.50 NOK"]);
    }

    /// `bytes`, a workbook, with the part `name` replaced by `text`.
    fn rezip(bytes: &[u8], name: &str, text: &str) -> Vec<u8> {
        use std::io::Write as _;
        let copied = (|| -> zip::result::ZipResult<Vec<u8>> {
            let mut archive = zip::ZipArchive::new(Cursor::new(bytes))?;
            let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
            for i in 0..archive.len() {
                let part = archive.by_index(i)?;
                if part.name()? == name {
                    drop(part);
                    out.start_file(name, zip::write::SimpleFileOptions::default())?;
                    out.write_all(text.as_bytes())?;
                } else {
                    out.raw_copy_file(part)?;
                }
            }
            Ok(out.finish()?.into_inner())
        })();
        copied.unwrap_or_else(|e| panic!("rewriting {name}: {e}"))
    }

    /// The text of one part of a workbook (a zip archive).
    fn unzip(bytes: &[u8], name: &str) -> String {
        let mut text = String::new();
        let read = zip::ZipArchive::new(Cursor::new(bytes)).and_then(|mut archive| {
            archive
                .by_name(name)?
                .read_to_string(&mut text)
                .map_err(Into::into)
        });
        assert!(read.is_ok(), "{name}: {read:?}");
        text
    }
}
