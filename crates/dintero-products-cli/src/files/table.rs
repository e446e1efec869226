//! Spreadsheets of products, whatever holds the cells (CSV, an `.xlsx` workbook): which column
//! holds what, a row of cells read as a product, and a product written as a row of cells. The
//! columns are documented in `columns.txt`; the file formats differ only in how they hold
//! cells, so every rule about a column's meaning lives here, once.

use super::{Place, Row, RowError, shorten};
use crate::error::CliError;
use chrono::{DateTime, SecondsFormat, Utc};
use dintero_products::types;
use dintero_products::{
    Currency, Field, FieldSet, GroupId, LocationId, NewProduct, Price, Product, ProductId,
    ProductUpdate,
};
use std::num::IntErrorKind;
use std::sync::Arc;

/// The columns an export writes, in this order; an import takes any subset in any order, and
/// also [`IMPORT_ONLY`] and `stock:<location_id>` columns.
pub const COLUMNS: [&str; 17] = [
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

/// Columns an import reads that an export does not write: the price in minor units, as the
/// API names it, and the row's command.
pub const IMPORT_ONLY: [&str; 2] = ["unit_gross_price", "command"];

/// The prefix of a column that sets the stock at one location: `stock:OSL-01`.
pub const STOCK_PREFIX: &str = "stock:";

// Indexes into `COLUMNS`, then into `IMPORT_ONLY` after them.
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
const UNIT_GROSS_PRICE: usize = 17;
const COMMAND: usize = 18;
const KNOWN: usize = COLUMNS.len() + IMPORT_ONLY.len();

fn name_of(column: usize) -> &'static str {
    COLUMNS
        .iter()
        .chain(IMPORT_ONLY.iter())
        .nth(column)
        .copied()
        .unwrap_or("?")
}

/// The field each known column writes. `id` names the product and is no field; `currency`
/// only qualifies the price: templates fill it on every row, so on its own it changes no
/// price; `command` says what to do with the row.
const COLUMN_FIELDS: [Option<Field>; KNOWN] = [
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
    Some(Field::Price),
    None,
];

/// What a row asks for, from its `command` cell: Matrixify's commands, with its meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Command {
    /// Create the product, or update the columns given (the default, and an empty cell).
    #[default]
    Merge,
    /// Create only: an id the catalog holds is a row error.
    New,
    /// Update only: an id the catalog lacks is a row error.
    Update,
    /// Replace the whole product: the fields of columns not in the file are cleared.
    Replace,
    /// Delete the product.
    Delete,
    /// Skip the row.
    Ignore,
}

impl Command {
    /// Every command, in the order `columns.txt` lists them.
    pub const ALL: [Command; 6] = [
        Command::Merge,
        Command::New,
        Command::Update,
        Command::Replace,
        Command::Delete,
        Command::Ignore,
    ];

    /// The name a file writes: `MERGE`, `NEW`, ...
    pub fn name(self) -> &'static str {
        match self {
            Command::Merge => "MERGE",
            Command::New => "NEW",
            Command::Update => "UPDATE",
            Command::Replace => "REPLACE",
            Command::Delete => "DELETE",
            Command::Ignore => "IGNORE",
        }
    }

    /// The command a cell names, in any case; an empty cell is [`Command::Merge`].
    fn parse(cell: &str) -> Option<Self> {
        let cell = cell.trim();
        if cell.is_empty() {
            return Some(Command::Merge);
        }
        Self::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(cell))
    }
}

/// The cells of one row, as the file holds them; a missing cell reads as an empty one.
pub(crate) trait Cells {
    /// The text of the cell at `position` (from 0).
    fn cell(&self, position: usize) -> Option<&str>;
}

impl Cells for csv::StringRecord {
    fn cell(&self, position: usize) -> Option<&str> {
        self.get(position)
    }
}

impl Cells for [String] {
    fn cell(&self, position: usize) -> Option<&str> {
        self.get(position).map(String::as_str)
    }
}

/// Where each column is in a file's rows, read from its header row.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    file: Arc<str>,
    /// Where each known column is, if it is there.
    columns: [Option<usize>; KNOWN],
    /// The `stock:` columns: the location, and where its column is.
    stock: Vec<(LocationId, usize)>,
    /// The fields of the columns the header names: what every row manages. A job changes these
    /// (an empty cell clears its field) and keeps every other field as Dintero holds it.
    managed: FieldSet,
    /// Whether text cells may carry the guard an export puts before a formula ([`guard`]).
    guarded: bool,
}

impl Table {
    /// Reads a header row, on `line` of `file` (which names the file in messages); `guarded`
    /// says whether its text cells may start with the guard a CSV export writes (see
    /// [`guard`]).
    ///
    /// Fails when the header is empty, or names a column twice, a column that is not known
    /// (a file without a header row has data there), no `id`, a price in both units, or both
    /// `locations` and `stock:` columns.
    pub(crate) fn from_header<'a>(
        file: Arc<str>,
        line: u64,
        names: impl IntoIterator<Item = &'a str>,
        guarded: bool,
    ) -> Result<Self, CliError> {
        let header_error = |message: String| {
            CliError::Usage(format!(
                "{file}, line {line}: {message}; a file of products needs a header row naming its columns: {}, or stock:<location_id>",
                COLUMNS
                    .iter()
                    .chain(IMPORT_ONLY.iter())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        };
        let names: Vec<&str> = names.into_iter().collect();
        if names.iter().all(|h| h.trim().is_empty()) {
            return Err(header_error(
                "the file is empty or its first line is".into(),
            ));
        }
        let mut columns = [None; KNOWN];
        let mut stock: Vec<(LocationId, usize)> = Vec::new();
        let mut unknown = Vec::new();
        for (position, name) in names.iter().enumerate() {
            // Spreadsheets add a byte-order mark and change case; neither changes the meaning.
            let name = name.trim_start_matches('\u{feff}').trim();
            if let Some(location) = strip_prefix_ignore_case(name, STOCK_PREFIX) {
                let location = LocationId::new(location.trim())
                    .map_err(|e| header_error(format!("column {:?}: {e}", shorten(name, 40))))?;
                if stock.iter().any(|(l, _)| *l == location) {
                    return Err(header_error(format!("column {name:?} appears twice")));
                }
                stock.push((location, position));
                continue;
            }
            let wanted = name.to_ascii_lowercase();
            match (0..KNOWN).find(|k| name_of(*k) == wanted) {
                Some(k) if columns[k].is_some() => {
                    return Err(header_error(format!(
                        "column {:?} appears twice",
                        name_of(k)
                    )));
                }
                Some(k) => columns[k] = Some(position),
                None => unknown.push(format!("{:?}", shorten(name, 40))),
            }
        }
        if !unknown.is_empty() {
            let hint = match names.first() {
                Some(first) if unknown.len() == 1 && first.contains([';', '\t']) => {
                    " (is the separator `;` or a tab? pass --delimiter)"
                }
                _ => "",
            };
            return Err(header_error(format!(
                "unknown column{} {}{hint}",
                if unknown.len() > 1 { "s" } else { "" },
                unknown.join(", ")
            )));
        }
        if columns[ID].is_none() {
            return Err(header_error("no `id` column".into()));
        }
        if columns[PRICE].is_some() && columns[UNIT_GROSS_PRICE].is_some() {
            return Err(header_error(
                "both `price` (in the currency's major unit, 1499.00) and `unit_gross_price` (in minor units, 149900): keep one".into(),
            ));
        }
        if columns[LOCATIONS].is_some() && !stock.is_empty() {
            return Err(header_error(
                "both `locations` and `stock:` columns: `locations` sets every location whole, a `stock:` column one location's stock; keep one kind".into(),
            ));
        }
        let managed = columns
            .iter()
            .zip(COLUMN_FIELDS)
            .filter(|(position, _)| position.is_some())
            .filter_map(|(_, field)| field)
            .collect();
        Ok(Self {
            file,
            columns,
            stock,
            managed,
            guarded,
        })
    }

    /// The file, as messages name it.
    pub(crate) fn file(&self) -> Arc<str> {
        self.file.clone()
    }

    /// The `stock:` columns' locations, in the file's order.
    #[cfg(test)]
    pub(crate) fn stock_locations(&self) -> impl Iterator<Item = &LocationId> {
        self.stock.iter().map(|(l, _)| l)
    }

    /// Reads one row, which starts on `line`.
    pub(crate) fn parse<C: Cells + ?Sized>(&self, line: u64, cells: &C) -> Result<Row, RowError> {
        Reading {
            table: self,
            cells,
            line,
        }
        .row()
    }

    /// A row error at `column` (an index into the known columns), or at a position.
    fn error(&self, line: u64, place: Place, id: Option<String>, message: String) -> RowError {
        RowError {
            file: self.file.clone(),
            line,
            place,
            id,
            message,
            fatal: false,
        }
    }

    fn place(&self, column: usize) -> Place {
        Place::Column {
            number: self.columns[column].map_or(0, |p| p + 1),
            name: name_of(column).to_string(),
        }
    }

    /// The name of the column at `position` (from 0), for a message about a cell.
    pub(crate) fn name_at(&self, position: usize) -> String {
        if let Some(k) = self.columns.iter().position(|c| *c == Some(position)) {
            return name_of(k).to_string();
        }
        self.stock
            .iter()
            .find(|(_, p)| *p == position)
            .map_or_else(|| "?".to_string(), |(l, _)| format!("{STOCK_PREFIX}{l}"))
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// One row being read.
struct Reading<'a, C: Cells + ?Sized> {
    table: &'a Table,
    cells: &'a C,
    line: u64,
}

impl<C: Cells + ?Sized> Reading<'_, C> {
    fn cell(&self, column: usize) -> &str {
        self.table.columns[column]
            .and_then(|position| self.cells.cell(position))
            .unwrap_or_default()
    }

    /// A text cell, the guard of an export taken off: an empty one is no value.
    fn text(&self, column: usize) -> Option<String> {
        let cell = self.cell(column);
        let cell = if self.table.guarded {
            unguard(cell)
        } else {
            cell
        };
        Some(cell).filter(|s| !s.is_empty()).map(str::to_string)
    }

    fn row(&self) -> Result<Row, RowError> {
        let table = self.table;
        let id_cell = self.text(ID).unwrap_or_default();
        let raw_id = id_cell.trim();
        let id = Some(raw_id.to_string()).filter(|s| !s.is_empty());
        let fail = |column: usize, message: String| {
            table.error(self.line, table.place(column), id.clone(), message)
        };
        let command = Command::parse(self.cell(COMMAND)).ok_or_else(|| {
            fail(
                COMMAND,
                format!(
                    "{:?} is not a command: write one of {}, or leave it empty for MERGE",
                    shorten(self.cell(COMMAND), 40),
                    Command::ALL.map(Command::name).join(", ")
                ),
            )
        })?;
        if command == Command::Ignore {
            // Skipped whatever it holds: only its id is kept, for the report, when it has one.
            let product = match ProductId::new(raw_id) {
                Ok(id) => NewProduct::new("").id(id),
                Err(_) => NewProduct::new(""),
            };
            return Ok(Row {
                line: self.line,
                product: product.managed_fields(FieldSet::EMPTY),
                command,
            });
        }
        if raw_id.is_empty() {
            return Err(fail(ID, "missing id: every row needs one".into()));
        }
        let product_id = ProductId::new(raw_id).map_err(|e| fail(ID, e.to_string()))?;
        if command == Command::Delete {
            // Only the id counts: the rest of the row may be anything, even unreadable.
            let product = NewProduct::new("")
                .id(product_id)
                .managed_fields(FieldSet::EMPTY);
            return Ok(Row {
                line: self.line,
                product,
                command,
            });
        }

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
        for group in split_groups(&self.text(GROUPS).unwrap_or_default()) {
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

        let stock = self.stock().map_err(|(position, message)| {
            let place = Place::Column {
                number: position + 1,
                name: table.name_at(position),
            };
            table.error(self.line, place, id.clone(), message)
        })?;
        if command == Command::Replace && !stock.is_empty() {
            // Whole: the locations are those of the stock columns, with nothing else.
            let locations = stock.iter().map(|(location, count)| types::LocationInput {
                location_id: Some(location.clone()),
                number_of_items_in_storage: Some(*count),
                ..Default::default()
            });
            fields.locations = Some(locations.collect());
        }
        let mut product = groups
            .into_iter()
            .fold(NewProduct::new("").fields(fields).id(product_id), |p, g| {
                p.group(g)
            });
        let managed = match command {
            // Whole: what the file does not name is cleared, not kept.
            Command::Replace => FieldSet::ALL,
            _ => {
                for (location, count) in stock {
                    product = product.stock(location, count);
                }
                table.managed
            }
        };
        Ok(Row {
            line: self.line,
            product: product.managed_fields(managed),
            command,
        })
    }

    /// The counts of the row's `stock:` cells that are filled (an empty one leaves its
    /// location as it is), or the position of the cell at fault and what is wrong.
    fn stock(&self) -> Result<Vec<(LocationId, i64)>, (usize, String)> {
        let mut stock = Vec::new();
        for (location, position) in &self.table.stock {
            let cell = self.cells.cell(*position).unwrap_or_default().trim();
            if cell.is_empty() {
                continue;
            }
            match cell.parse::<i64>() {
                Ok(count) if count >= 0 => stock.push((location.clone(), count)),
                _ => {
                    let message = format!(
                        "{:?} is not a stock: write a whole number of items, 0 or more",
                        shorten(cell, 40)
                    );
                    return Err((*position, message));
                }
            }
        }
        Ok(stock)
    }

    /// The row's price, checked as a write would check it, or the column at fault and what
    /// is wrong. An empty price cell is no price, which clears it like any empty cell of a
    /// column that is there; a currency beside it is no error, as templates fill that column
    /// on every row, and sets nothing (an export writes a currency the API holds without a
    /// price that way, and reading it back must clear the price, not keep one).
    fn price(&self, currency: Option<Currency>) -> Result<Option<Price>, (usize, String)> {
        let column = if self.table.columns[UNIT_GROSS_PRICE].is_some() {
            UNIT_GROSS_PRICE
        } else {
            PRICE
        };
        let amount = self.cell(column).trim();
        if amount.is_empty() {
            return Ok(None);
        }
        let currency = currency.ok_or_else(|| {
            let at = if self.table.columns[CURRENCY].is_some() {
                CURRENCY
            } else {
                column
            };
            (at, "a price needs a currency, such as NOK".to_string())
        })?;
        let price = if column == PRICE {
            Price::from_major(amount, currency).map_err(|e| {
                let message = format!("invalid price {:?}: {}", shorten(amount, 40), e.problem());
                (PRICE, message)
            })?
        } else {
            Price::new(minor_units(amount).map_err(|m| (column, m))?, currency)
        };
        // Negative and absurd amounts are refused here, naming the row, before anything is sent.
        price.check().map(|()| Some(price)).map_err(|e| {
            let message = match column {
                PRICE => format!("invalid price {:?}: {}", shorten(amount, 40), e.problem()),
                _ => e.to_string(),
            };
            (column, message)
        })
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
}

/// A whole number of minor units, as `unit_gross_price` holds it.
fn minor_units(amount: &str) -> Result<i64, String> {
    amount.parse().map_err(|e: std::num::ParseIntError| {
        let shown = shorten(amount, 40);
        match e.kind() {
            // Worded as `Price::check` words the amounts that do fit in an i64.
            IntErrorKind::PosOverflow => format!(
                "invalid price {shown:?}: is more than {} minor units: a typing slip?",
                Price::MAX_MINOR_UNITS
            ),
            IntErrorKind::NegOverflow => format!("invalid price {shown:?}: must not be negative"),
            _ if amount.contains(['.', ',']) => format!(
                "{shown:?} is not a whole number of minor units (unit_gross_price is in minor units, 1250 for 12.50; or name the column `price` to write 12,50)"
            ),
            _ => format!("{shown:?} is not a whole number of minor units"),
        }
    })
}

/// A cell as a spreadsheet file holds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Text, written as it is (and guarded in CSV, see [`guard`]).
    Text(String),
    /// A number: `text` is exact, and what CSV writes; `value` and `decimals` are what a
    /// workbook shows (an amount of NOK with two decimals).
    Number {
        text: String,
        value: f64,
        decimals: u32,
    },
}

impl Cell {
    /// The cell's text, as CSV holds it (unguarded).
    pub(crate) fn text(&self) -> &str {
        match self {
            Cell::Text(text) | Cell::Number { text, .. } => text,
        }
    }

    /// Whether it is a text cell (which CSV guards).
    pub(crate) fn is_text(&self) -> bool {
        matches!(self, Cell::Text(_))
    }
}

/// The header an export writes: [`COLUMNS`], with a `stock:` column for each of
/// `stock_locations` in place of `locations` when there are any.
pub(crate) fn export_header(stock_locations: &[LocationId]) -> Vec<String> {
    let mut header: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    if !stock_locations.is_empty() {
        header.retain(|c| c != COLUMNS[LOCATIONS]);
        header.extend(stock_locations.iter().map(|l| format!("{STOCK_PREFIX}{l}")));
    }
    header
}

/// A product as the cells of [`export_header`]`(stock_locations)`.
///
/// The price and currency are written as the API holds them, even when the import would
/// refuse them (a malformed currency, a negative amount): an import then names the row,
/// where leaving the price out would lose it without a word.
pub(crate) fn export_row(
    product: &Product,
    stock_locations: &[LocationId],
) -> Result<Vec<Cell>, serde_json::Error> {
    let raw = product.raw();
    let fields = product.to_update();
    let text = |s: &Option<String>| Cell::Text(s.clone().unwrap_or_default());
    let time = |t: &Option<DateTime<Utc>>| {
        Cell::Text(
            t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                .unwrap_or_default(),
        )
    };
    let dimension = fields.dimension.clone().unwrap_or_default();
    let images = match &fields.images {
        Some(images) => serde_json::to_string(images)?,
        None => String::new(),
    };
    let price = match raw.unit_gross_price {
        Some(minor) => price_cell(minor, raw.currency.as_deref()),
        None => Cell::Text(String::new()),
    };
    let mut cells = vec![
        Cell::Text(product.id().to_string()),
        text(&fields.name),
        price,
        text(&raw.currency),
        Cell::Text(join_groups(product.group_ids())),
        text(&fields.description),
        text(&fields.unit),
        Cell::Text(raw.is_virtual_product.to_string()),
        time(&fields.starting_at),
        time(&fields.stopping_at),
        text(&dimension.color),
        text(&dimension.config),
        text(&dimension.size),
        text(&dimension.style),
        text(&dimension.variant),
        Cell::Text(images),
    ];
    if stock_locations.is_empty() {
        // Always written, `[]` included, as `virtual` is: an exported row states every field.
        let locations = fields.locations.as_deref().unwrap_or_default();
        cells.push(Cell::Text(serde_json::to_string(locations)?));
    } else {
        cells.extend(stock_locations.iter().map(|l| {
            product
                .stock_at(l.as_str())
                .map_or(Cell::Text(String::new()), |n| Cell::Number {
                    text: n.to_string(),
                    value: n as f64,
                    decimals: 0,
                })
        }));
    }
    Ok(cells)
}

/// An amount in minor units as the `price` column writes it: in the major unit, with the
/// currency's decimals (two for a code that is no currency, as the API may hold one).
fn price_cell(minor: i64, currency: Option<&str>) -> Cell {
    let currency = currency
        .and_then(|c| Currency::new(c).ok())
        .unwrap_or(Currency::NOK);
    let price = Price::new(minor, currency);
    Cell::Number {
        text: price.to_major_string(),
        value: price.to_major_f64(),
        decimals: currency.exponent(),
    }
}

/// Whether a spreadsheet would take `text` for a formula (OWASP's list of first characters),
/// or `text` is such a text guarded already: what [`guard`] protects.
fn needs_guard(text: &str) -> bool {
    match text.strip_prefix('\'') {
        Some(rest) => needs_guard(rest),
        None => text.starts_with(['=', '+', '-', '@', '\t', '\r']),
    }
}

/// `text` made safe to open in a spreadsheet: a leading `'` when it would be taken for a
/// formula (OWASP's advice against CSV injection). [`unguard`] reads it back, so export then
/// import is lossless: a text that starts with `'` followed by such a text is guarded too.
pub(crate) fn guard(text: &str) -> std::borrow::Cow<'_, str> {
    if needs_guard(text) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// A cell's text with [`guard`]'s `'` taken off; any other text as it is (a name that
/// starts with `'` and no formula keeps its `'`).
pub(crate) fn unguard(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => text,
    }
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

    fn table(header: &str) -> Result<Table, String> {
        Table::from_header("t.csv".into(), 1, header.split(','), true).map_err(|e| e.to_string())
    }

    /// The row `cells` (separated by `|`) under `header`, or its error as printed.
    fn row(header: &str, cells: &str) -> Result<Row, String> {
        let cells: Vec<String> = cells.split('|').map(str::to_string).collect();
        table(header)?
            .parse(2, cells.as_slice())
            .map_err(|e| e.to_string())
    }

    fn price(cells: &str) -> Result<Option<i64>, String> {
        let row = row("id,price,currency", cells)?;
        Ok(row.product.get_fields().price.map(|p| p.minor_units()))
    }

    #[test]
    fn prices_are_read_as_a_spreadsheet_shows_them() {
        for amount in [
            "1499",
            "1499.00",
            "1499,00",
            "1 499,00",
            "1\u{a0}499,00",
            "1\u{202f}499,00",
            "1.499,00",
            "1,499.00",
            " 1499,0 ",
        ] {
            assert_eq!(
                price(&format!("A|{amount}|NOK")),
                Ok(Some(149900)),
                "{amount:?}"
            );
        }
        assert_eq!(price("A|1499|JPY"), Ok(Some(1499)));
        assert_eq!(price("A|1.499|KWD"), Ok(Some(1499)));
        assert_eq!(price("A|1,5|KWD"), Ok(Some(1500)));
        assert_eq!(price("A||NOK"), Ok(None));
        let error = |cells: &str| price(cells).err().unwrap_or_default();
        for (cells, problem) in [
            ("A|1499,005|NOK", "has more decimals than the currency's 2"),
            ("A|10.5|JPY", "has decimals, and the currency has none"),
            ("A|1.499|NOK", "is ambiguous"),
            ("A|14 99|NOK", "thousands separators"),
            ("A|abc|NOK", "must be a number"),
            ("A|-1|NOK", "must not be negative"),
            (
                "A|1000000000,01|NOK",
                "is more than 100 000 000 000 minor units",
            ),
        ] {
            let got = error(cells);
            assert!(
                got.starts_with("t.csv, line 2, column 2 (price): invalid price"),
                "{cells}: {got}"
            );
            assert!(got.contains(problem), "{cells}: {got}");
        }
    }

    #[test]
    fn unit_gross_price_is_in_minor_units_and_not_beside_price() {
        let minor = row("id,unit_gross_price,currency", "A|149900|NOK")
            .map(|r| r.product.get_fields().price.map(|p| p.minor_units()));
        assert_eq!(minor, Ok(Some(149900)));
        let managed = row("id,unit_gross_price,currency", "A|149900|NOK")
            .map(|r| r.product.get_managed_fields());
        assert_eq!(managed, Ok(FieldSet::from(Field::Price)));
        let decimals = row("id,unit_gross_price,currency", "A|1499,00|NOK").err();
        assert!(
            decimals.is_some_and(|e| e.contains("column 2 (unit_gross_price)")
                && e.contains("name the column `price`"))
        );
        let both = table("id,price,unit_gross_price,currency").err();
        assert!(
            both.is_some_and(|e| e.contains("both `price`")),
            "a file with both is refused"
        );
    }

    #[test]
    fn commands_are_read_in_any_case_and_an_empty_cell_merges() {
        let command =
            |cell: &str| row("id,name,command", &format!("A|Chair|{cell}")).map(|r| r.command);
        assert_eq!(command(""), Ok(Command::Merge));
        for c in Command::ALL {
            assert_eq!(command(c.name()), Ok(c));
            assert_eq!(command(&c.name().to_lowercase()), Ok(c));
        }
        let bad = command("UPSERT").err();
        assert!(bad.is_some_and(|e| e.contains("column 3 (command): \"UPSERT\" is not a command")));
        // A row to delete or skip needs only its id: the rest may be anything.
        let delete = row("id,price,currency,command", "A|abc|nok|DELETE")
            .map(|r| r.product.get_managed_fields());
        assert_eq!(delete, Ok(FieldSet::EMPTY));
        let ignored =
            row("id,price,command", "|abc|ignore").map(|r| (r.command, r.id().to_string()));
        assert_eq!(
            ignored,
            Ok((Command::Ignore, String::new())),
            "an ignored row needs not even an id"
        );
        let no_id = row("id,command", "|DELETE").err();
        assert!(
            no_id.is_some_and(|e| e.contains("missing id")),
            "a delete needs its id"
        );
        // REPLACE manages every field, so what the file does not name is cleared.
        let replace =
            row("id,name,command", "A|Chair|REPLACE").map(|r| r.product.get_managed_fields());
        assert_eq!(replace, Ok(FieldSet::ALL));
        let merge = row("id,name,command", "A|Chair|MERGE").map(|r| r.product.get_managed_fields());
        assert_eq!(merge, Ok(FieldSet::from(Field::Name)));
    }

    #[test]
    fn unit_gross_price_errors_say_what_is_wrong() {
        let error = |amount: &str| {
            row("id,unit_gross_price,currency", &format!("A|{amount}|NOK"))
                .err()
                .unwrap_or_default()
        };
        assert!(error("99999999999999999999").ends_with("invalid price \"99999999999999999999\": is more than 100000000000 minor units: a typing slip?"));
        assert!(
            error("-99999999999999999999")
                .ends_with("invalid price \"-99999999999999999999\": must not be negative")
        );
        assert!(error("abc").ends_with("\"abc\" is not a whole number of minor units"));
        assert!(error("12,50").contains("name the column `price`"));
    }

    #[test]
    fn stock_cells_set_stock_and_a_replace_makes_them_the_locations() {
        let merge = row("id,stock:OSL-01,stock:BGO", "A|4|").map(|r| {
            let stock: Vec<(String, i64)> = r
                .product
                .get_stock()
                .map(|(l, n)| (l.to_string(), n))
                .collect();
            (stock, r.product.get_fields().locations.clone())
        });
        assert_eq!(
            merge,
            Ok((vec![("OSL-01".to_string(), 4)], None)),
            "an empty cell leaves its location"
        );
        let replace = row("id,stock:OSL-01,command", "A|4|REPLACE").map(|r| {
            let locations = r.product.get_fields().locations.clone().unwrap_or_default();
            let ids: Vec<_> = locations
                .iter()
                .map(|l| {
                    (
                        l.location_id.as_ref().map(ToString::to_string),
                        l.number_of_items_in_storage,
                    )
                })
                .collect();
            (r.product.get_stock().count(), ids)
        });
        assert_eq!(
            replace,
            Ok((0, vec![(Some("OSL-01".to_string()), Some(4))]))
        );
        let replace_without = row("id,stock:OSL-01,command", "A||REPLACE")
            .map(|r| r.product.get_fields().locations.clone());
        assert_eq!(
            replace_without,
            Ok(None),
            "no stock cell: the locations are cleared"
        );
        for bad in ["-1", "4.5", "four"] {
            let error = row("id,stock:OSL-01", &format!("A|{bad}"))
                .err()
                .unwrap_or_default();
            assert!(
                error.starts_with("t.csv, line 2, column 2 (stock:OSL-01): "),
                "{error}"
            );
        }
    }

    #[test]
    fn number_cells_are_written_as_they_are_and_texts_guarded() {
        let raw: dintero_products::types::ProductDetails =
            serde_json::from_value(serde_json::json!({
                "product_id": "-ID",
                "product_name": "=1+1",
                "unit_gross_price": -5,
                "currency": "NOK",
            }))
            .unwrap_or_default();
        let product = Product::try_from(raw).map_err(|e| e.to_string());
        let cells = product.map(|p| export_row(&p, &[]).map_err(|e| e.to_string()));
        let cells = cells.and_then(|c| c).unwrap_or_default();
        let price = cells.get(2).cloned();
        assert_eq!(price.as_ref().map(Cell::text), Some("-0.05"));
        assert_eq!(
            price.as_ref().map(Cell::is_text),
            Some(false),
            "a number is no text to guard"
        );
        assert!(cells.first().is_some_and(Cell::is_text));
        assert!(
            cells
                .get(1)
                .is_some_and(|c| c.is_text() && guard(c.text()) == "'=1+1")
        );
    }

    #[test]
    fn a_header_read_with_the_wrong_separator_says_so() {
        let hint = "pass --delimiter";
        let one_cell = Table::from_header("t.csv".into(), 1, ["id;name;price"], true).err();
        assert!(one_cell.is_some_and(|e| e.to_string().contains(hint)));
        let tabs = Table::from_header("t.csv".into(), 1, ["id\tname"], true).err();
        assert!(tabs.is_some_and(|e| e.to_string().contains(hint)));
        // A misspelt column is no separator problem, nor are several unknown ones.
        let misspelt = table("id,nmae").err();
        assert!(
            misspelt.is_some_and(|e| e.contains("unknown column \"nmae\"") && !e.contains(hint))
        );
        let several = Table::from_header("t.csv".into(), 1, ["a;b", "c"], true).err();
        assert!(several.is_some_and(
            |e| e.to_string().contains("unknown columns") && !e.to_string().contains(hint)
        ));
    }

    #[test]
    fn stock_columns_are_checked_in_the_header() {
        let locations = table("id,stock:OSL-01,Stock:BGO-02").map(|t| {
            t.stock_locations()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
        });
        assert_eq!(
            locations,
            Ok(vec!["OSL-01".to_string(), "BGO-02".to_string()])
        );
        let twice = table("id,stock:A,stock:A").err();
        assert!(twice.is_some_and(|e| e.contains("appears twice")));
        let both = table("id,locations,stock:A").err();
        assert!(both.is_some_and(|e| e.contains("both `locations` and `stock:`")));
        let empty = table("id,stock:").err();
        assert!(
            empty.is_some_and(|e| e.contains("column \"stock:\"")),
            "a location id is needed"
        );
    }

    #[test]
    fn a_guarded_export_reads_back_and_an_unguarded_table_keeps_the_quote() {
        let guarded = row("id,name", "'=ID|'=1+1")
            .map(|r| (r.id().to_string(), r.product.get_fields().name.clone()));
        assert_eq!(guarded, Ok(("=ID".to_string(), Some("=1+1".to_string()))));
        let kept = Table::from_header("t.xlsx".into(), 1, ["id", "name"], false)
            .map_err(|e| e.to_string())
            .and_then(|t| {
                let cells = ["A".to_string(), "'=1+1".to_string()];
                t.parse(2, cells.as_slice()).map_err(|e| e.to_string())
            })
            .map(|r| r.product.get_fields().name.clone());
        assert_eq!(kept, Ok(Some("'=1+1".to_string())));
    }

    #[test]
    fn guarded_texts_read_back_as_they_were() {
        for (text, written) in [
            ("=1+1", "'=1+1"),
            ("+47 22 00 00 00", "'+47 22 00 00 00"),
            ("-5", "'-5"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=1+1", "''=1+1"),
            ("'quoted'", "'quoted'"),
            ("Chair", "Chair"),
            ("", ""),
        ] {
            assert_eq!(guard(text), written, "{text:?}");
            assert_eq!(unguard(written), text, "{written:?}");
        }
    }

    /// `minor` øre written as a spreadsheet user might: `kind` picks the decimal mark and the
    /// thousands separator (none, a space, a no-break space, `.` or `,`).
    fn spelled(minor: i64, kind: usize) -> String {
        let (whole, cents) = (minor / 100, minor % 100);
        let digits = whole.to_string();
        let (decimal, thousands) = [
            (",", ""),
            (".", ""),
            (",", " "),
            (",", "\u{a0}"),
            (",", "."),
            (".", ","),
        ][kind % 6];
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push_str(thousands);
            }
            grouped.push(c);
        }
        format!("{grouped}{decimal}{cents:02}")
    }

    proptest! {
        /// Every amount a price column may hold, in every spelling of it, is the same price.
        #[test]
        fn every_spelling_of_a_price_is_the_same_price(minor in 0..=Price::MAX_MINOR_UNITS, kind in 0usize..6) {
            let text = spelled(minor, kind);
            prop_assert_eq!(price(&format!("A|{text}|NOK")), Ok(Some(minor)), "{}", text);
        }

        /// Whatever the text, its guarded form starts with no character a spreadsheet takes
        /// for a formula, and reads back as the text.
        #[test]
        fn guarding_is_lossless_and_safe(text in prop_oneof![any::<String>(), "['=+@\t\r-]{0,4}[a-z=]{0,3}"]) {
            let guarded = guard(&text);
            prop_assert!(!guarded.starts_with(['=', '+', '-', '@', '\t', '\r']), "{:?}", guarded);
            prop_assert_eq!(unguard(&guarded), text.as_str());
        }
    }
}
