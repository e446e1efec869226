//! JSON Lines: one product a line, as the API's own JSON (`types::ProductDetails`).

use super::{Place, Row, RowError};
use chrono::{DateTime, Utc};
use dintero_products::{Currency, Field, FieldSet, Price, Product, types};
use serde::{Deserialize, Deserializer};
use std::io::{self, BufRead, Read};
use std::sync::Arc;

/// The longest line read; a product is a few kilobytes, and a file without line breaks must
/// not be read whole into memory.
const MAX_LINE_BYTES: u64 = 1 << 20;

/// The products of a JSON Lines file, line by line.
///
/// Each line is read leniently with the API's field names (unknown fields and the fields the
/// API fills itself are ignored), then becomes a create through the SDK (`Product::try_from`,
/// then `to_new`) that manages exactly the keys the line has: an absent key keeps the field
/// as Dintero holds it, `null` clears it. Blank lines are skipped.
pub struct JsonlProducts<R: BufRead> {
    file: Arc<str>,
    reader: R,
    line: u64,
    buffer: Vec<u8>,
    done: bool,
}

/// The writable keys of a line, each `None` when the key is absent and `Some(None)` when it is
/// `null`. Other keys (`id`, `created_at`, `catalog_id`, unknown ones) are ignored.
///
/// Read as this rather than as `types::ProductDetails`, which cannot tell an absent key from a
/// `null` one, and refuses `null` for `is_virtual_product`, `groups` and `locations`.
#[derive(Deserialize)]
#[serde(expecting = "a JSON object: one product")]
struct Line {
    #[serde(default)]
    product_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    product_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    unit_gross_price: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    currency: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    unit: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    is_virtual_product: Option<Option<bool>>,
    #[serde(default, deserialize_with = "present")]
    starting_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "present")]
    stopping_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "present")]
    dimension: Option<Option<DimensionKeys>>,
    #[serde(default, deserialize_with = "present")]
    images: Option<Option<types::Images>>,
    #[serde(default, deserialize_with = "present")]
    locations: Option<Option<Vec<types::Location>>>,
    #[serde(default, deserialize_with = "present")]
    groups: Option<Option<Vec<types::GroupFields>>>,
}

/// The parts of `dimension`, each a field of its own: absent keeps, `null` clears.
#[derive(Deserialize)]
#[serde(expecting = "a JSON object of dimension parts")]
struct DimensionKeys {
    #[serde(default, deserialize_with = "present")]
    color: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    config: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    size: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    style: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    variant: Option<Option<String>>,
}

/// A key that is there: `Some(None)` for `null`. (An absent key never gets here: it is the
/// field's default, `None`.)
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

impl Line {
    /// The fields the line names, `null` or not. `currency` alone names none: it only
    /// qualifies `unit_gross_price`, so a line with a currency and no price keeps the price.
    fn managed(&self) -> FieldSet {
        let keys = [
            (Field::Name, self.product_name.is_some()),
            (Field::Description, self.description.is_some()),
            (Field::Price, self.unit_gross_price.is_some()),
            (Field::Unit, self.unit.is_some()),
            (Field::Virtual, self.is_virtual_product.is_some()),
            (Field::StartingAt, self.starting_at.is_some()),
            (Field::StoppingAt, self.stopping_at.is_some()),
            (Field::Images, self.images.is_some()),
            (Field::Locations, self.locations.is_some()),
            (Field::Groups, self.groups.is_some()),
        ];
        let parts = match &self.dimension {
            None => [false; 5],
            // `"dimension": null` clears every part.
            Some(None) => [true; 5],
            Some(Some(d)) => {
                [&d.color, &d.config, &d.size, &d.style, &d.variant].map(Option::is_some)
            }
        };
        keys.into_iter()
            .chain(Field::DIMENSION.into_iter().zip(parts))
            .filter_map(|(field, named)| named.then_some(field))
            .collect()
    }

    /// The line as the API's product, each absent or `null` key as no value.
    fn into_details(self, product_id: String) -> types::ProductDetails {
        let dimension = self.dimension.flatten().map(|d| types::Dimension {
            color: d.color.flatten(),
            config: d.config.flatten(),
            size: d.size.flatten(),
            style: d.style.flatten(),
            variant: d.variant.flatten(),
            extra: Default::default(),
        });
        types::ProductDetails {
            product_id: Some(product_id),
            product_name: self.product_name.flatten(),
            description: self.description.flatten(),
            unit_gross_price: self.unit_gross_price.flatten(),
            currency: self.currency.flatten(),
            unit: self.unit.flatten(),
            is_virtual_product: self.is_virtual_product.flatten().unwrap_or_default(),
            starting_at: self.starting_at.flatten(),
            stopping_at: self.stopping_at.flatten(),
            // No part set is no dimension, as the API returns it.
            dimension: dimension.filter(|d| *d != types::Dimension::default()),
            images: self.images.flatten(),
            locations: self.locations.flatten().unwrap_or_default(),
            groups: self.groups.flatten().unwrap_or_default(),
            ..types::ProductDetails::default()
        }
    }
}

impl<R: BufRead> JsonlProducts<R> {
    /// Reads `input`; `file` names it in messages.
    pub fn new(file: Arc<str>, input: R) -> Self {
        Self {
            file,
            reader: input,
            line: 0,
            buffer: Vec::new(),
            done: false,
        }
    }

    fn error(&self, place: Place, id: Option<String>, message: String) -> RowError {
        RowError {
            file: self.file.clone(),
            line: self.line,
            place,
            id,
            message,
            fatal: false,
        }
    }

    /// The current line as a product, or what is wrong with it.
    fn parse(&self, bytes: &[u8]) -> Result<Row, RowError> {
        let line = self.read_line(bytes)?;
        let field = |name: &str| Place::Field {
            path: name.into(),
            column: None,
        };
        let id = line.product_id.clone().filter(|id| !id.trim().is_empty());
        let Some(id) = id else {
            return Err(self.error(
                field("product_id"),
                None,
                "missing product_id: every product needs one".into(),
            ));
        };
        self.check_price(&line)
            .map_err(|(path, message)| self.error(field(path), Some(id.clone()), message))?;
        let managed = line.managed();
        let product = Product::try_from(line.into_details(id.clone()))
            .map_err(|e| self.error(field("product_id"), Some(id.clone()), e.to_string()))?
            .to_new()
            .managed_fields(managed);
        if let Err(invalid) = product.check() {
            // The price is checked above, so an invalid id is either the product's or one of
            // its groups'.
            let path = if product.get_id().is_none() {
                "product_id"
            } else {
                "groups"
            };
            return Err(self.error(field(path), Some(id), invalid.to_string()));
        }
        Ok(Row {
            command: super::Command::Merge,
            line: self.line,
            product,
        })
    }

    /// The line's keys, or where its JSON is wrong: the field and the column.
    fn read_line(&self, bytes: &[u8]) -> Result<Line, RowError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let line: Line = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            // Only a value of the wrong type or shape sits at a field; a syntax error or a
            // line cut short has no field to name.
            let path = match inner.classify() {
                serde_json::error::Category::Data if path != "." => path,
                _ => String::new(),
            };
            self.error(
                Place::Field {
                    path,
                    column: Some(inner.column()),
                },
                None,
                json_message(&inner),
            )
        })?;
        de.end().map(|()| line).map_err(|e| {
            self.error(
                Place::Field {
                    path: String::new(),
                    column: Some(e.column()),
                },
                None,
                format!("{} after the product", json_message(&e)),
            )
        })
    }

    /// Refuses, naming the key, what the SDK would read as no price or a write would refuse:
    /// a malformed currency, a price without one, a negative or absurd amount. A well-formed
    /// currency, withdrawn (`HRK`) or unknown to the SDK (`QQQ`), is carried as it is.
    fn check_price(&self, line: &Line) -> Result<(), (&'static str, String)> {
        let currency = match &line.currency {
            Some(Some(code)) => Some(Currency::new(code).map_err(|e| ("currency", e.to_string()))?),
            _ => None,
        };
        let Some(Some(amount)) = line.unit_gross_price else {
            return Ok(());
        };
        let Some(currency) = currency else {
            return Err((
                "currency",
                "unit_gross_price needs a currency, such as \"NOK\"".into(),
            ));
        };
        match Price::try_new(amount, currency) {
            Ok(_) => Ok(()),
            Err(e) => Err(("unit_gross_price", e.to_string())),
        }
    }
}

/// serde_json's message without its " at line L column C", which the row error says its own way.
fn json_message(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    message
        .strip_suffix(&suffix)
        .map_or(message.clone(), str::to_string)
}

impl<R: BufRead> Iterator for JsonlProducts<R> {
    type Item = Result<Row, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buffer.clear();
            let read = (&mut self.reader)
                .take(MAX_LINE_BYTES)
                .read_until(b'\n', &mut self.buffer);
            match read {
                Ok(0) => self.done = true,
                Ok(_) => {
                    self.line += 1;
                    if !self.buffer.ends_with(b"\n") && self.buffer.len() as u64 >= MAX_LINE_BYTES {
                        // Skip the rest of the overlong line, so the next one is read whole.
                        if let Err(e) = skip_line(&mut self.reader) {
                            return Some(Err(self.fatal(e)));
                        }
                        return Some(Err(self.error(
                            Place::Row,
                            None,
                            format!("longer than {MAX_LINE_BYTES} bytes; is this JSON Lines?"),
                        )));
                    }
                    let line = self.buffer.trim_ascii();
                    if line.is_empty() {
                        continue;
                    }
                    return Some(self.parse(line));
                }
                Err(e) => return Some(Err(self.fatal(e))),
            }
        }
        None
    }
}

impl<R: BufRead> JsonlProducts<R> {
    fn fatal(&mut self, e: io::Error) -> RowError {
        self.done = true;
        RowError {
            fatal: true,
            ..self.error(Place::Row, None, format!("cannot read further: {e}"))
        }
    }
}

fn skip_line(reader: &mut impl BufRead) -> io::Result<()> {
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(());
        }
        match available.iter().position(|b| *b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = available.len();
                reader.consume(n);
            }
        }
    }
}

/// Writes products as JSON Lines: each the API's JSON (`types::ProductDetails`), every field
/// it returned, one a line.
pub struct JsonlWriter<W: io::Write> {
    out: W,
}

impl<W: io::Write> JsonlWriter<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> Self {
        Self { out }
    }

    /// Writes one product as a line.
    pub fn write(&mut self, product: &Product) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, product.raw())?;
        self.out.write_all(b"\n")
    }

    /// Flushes and returns the destination.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dintero_products::NewProduct;

    fn read(text: &str) -> Vec<Result<Row, RowError>> {
        JsonlProducts::new("t.jsonl".into(), text.as_bytes()).collect()
    }

    fn messages(text: &str) -> Vec<String> {
        read(text)
            .into_iter()
            .map(|r| match r {
                Ok(row) => format!("ok {} line {}", row.id(), row.line),
                Err(e) => e.to_string(),
            })
            .collect()
    }

    #[test]
    fn each_line_is_a_product_or_names_what_is_wrong() {
        let text = concat!(
            "{\"product_id\":\"A\",\"product_name\":\"Chair\",\"unit_gross_price\":100,\"currency\":\"NOK\",\"whatever\":1}\n",
            "\n",
            "{\"product_name\":\"no id\"}\n",
            "{\"product_id\":\"B\",\"unit_gross_price\":\"12\",\"currency\":\"NOK\"}\n",
            "{\"product_id\":\"C\",\"unit_gross_price\":1,\"currency\":\"nok\"}\n",
            "{\"product_id\":\"D\",\"unit_gross_price\":1}\n",
            "{\"product_id\":\"E\"\n",
            "{\"product_id\":\"F\"} x\n",
            "{\"product_id\":\"G\",\"groups\":[{\"group_id\":\" bad \"}]}\r\n",
        );
        let got = messages(text);
        assert_eq!(got[0], "ok A line 1");
        assert_eq!(
            got[1],
            "t.jsonl, line 3, field product_id: missing product_id: every product needs one"
        );
        assert!(
            got[2].starts_with(
                "t.jsonl, line 4, column 41 (unit_gross_price): invalid type: string \"12\""
            ),
            "{}",
            got[2]
        );
        assert!(
            got[3].starts_with("t.jsonl, line 5, field currency: invalid currency \"nok\""),
            "{}",
            got[3]
        );
        assert_eq!(
            got[4],
            "t.jsonl, line 6, field currency: unit_gross_price needs a currency, such as \"NOK\""
        );
        assert!(got[5].starts_with("t.jsonl, line 7, column "), "{}", got[5]);
        assert!(got[5].contains("EOF while parsing"), "{}", got[5]);
        assert!(
            got[6].contains("trailing characters after the product"),
            "{}",
            got[6]
        );
        assert!(
            got[7].starts_with("t.jsonl, line 9, field groups: invalid group id"),
            "{}",
            got[7]
        );
        assert_eq!(got.len(), 8);
    }

    #[test]
    fn an_overlong_line_is_skipped_and_reading_goes_on() {
        let long = "x".repeat(MAX_LINE_BYTES as usize + 10);
        let text = format!("{long}\n{{\"product_id\":\"A\"}}\n");
        let got = messages(&text);
        assert!(got[0].contains("line 1: longer than"), "{}", got[0]);
        assert_eq!(got[1], "ok A line 2");
    }

    #[test]
    fn what_is_read_is_the_sdk_create_of_the_product() {
        let text = "{\"product_id\":\"A\",\"product_name\":\"Chair\",\"groups\":[{\"group_id\":\"G1\",\"group_name\":\"One\"}],\"unit_gross_price\":100,\"currency\":\"NOK\"}";
        let raw: types::ProductDetails = serde_json::from_str(text).unwrap_or_default();
        let keys = FieldSet::from_iter([Field::Name, Field::Groups, Field::Price]);
        let expected = Product::try_from(raw)
            .map(|p| p.to_new().managed_fields(keys))
            .ok();
        let got = read(text).into_iter().next().and_then(Result::ok);
        assert_eq!(got.map(|r| r.product), expected);
        assert!(expected.is_some());
    }

    /// The one product of `text`, or its error as the command line prints it.
    fn one(text: &str) -> Result<NewProduct, String> {
        match read(text).into_iter().next() {
            Some(Ok(row)) => Ok(row.product),
            Some(Err(e)) => Err(e.to_string()),
            None => Err("no line".into()),
        }
    }

    #[test]
    fn a_line_of_three_keys_changes_the_price_alone() {
        let line = r#"{"product_id":"CH-1002","unit_gross_price":159900,"currency":"NOK"}"#;
        let product = one(line).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(product.get_managed_fields(), FieldSet::from(Field::Price));
        assert!(!product.get_managed_fields().contains(Field::Virtual));
        assert!(!product.get_managed_fields().contains(Field::Locations));
        assert_eq!(
            product.get_fields().price,
            Some(Price::new(159900, Currency::NOK))
        );

        // A currency without unit_gross_price says nothing about the price.
        let managed = one(r#"{"product_id":"A","currency":"NOK"}"#).map(|p| p.get_managed_fields());
        assert_eq!(managed, Ok(FieldSet::EMPTY));
    }

    #[test]
    fn null_clears_and_an_absent_key_keeps() {
        let line = r#"{"product_id":"A","description":null,"unit_gross_price":null,"currency":"NOK","is_virtual_product":null,"locations":null,"groups":null,"images":null,"dimension":{"color":null,"size":"L"}}"#;
        let product = one(line).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            product.get_managed_fields(),
            FieldSet::from_iter([
                Field::Description,
                Field::Price,
                Field::Virtual,
                Field::Locations,
                Field::Groups,
                Field::Images,
                Field::DimensionColor,
                Field::DimensionSize,
            ])
        );
        let fields = product.get_fields();
        assert_eq!(fields.description, None);
        assert_eq!(fields.price, None);
        assert_eq!(fields.images, None);
        // As the SDK states a product that is not virtual and has no stock anywhere.
        assert_eq!(fields.is_virtual, Some(false));
        assert_eq!(fields.locations.as_deref().map(<[_]>::len), Some(0));
        assert_eq!(product.group_ids().count(), 0);
        let size = types::Dimension {
            size: Some("L".into()),
            ..types::Dimension::default()
        };
        assert_eq!(fields.dimension, Some(size));

        let managed = one(r#"{"product_id":"A","dimension":null}"#).map(|p| p.get_managed_fields());
        assert_eq!(managed, Ok(Field::DIMENSION.into_iter().collect()));
        let managed = one(r#"{"product_id":"A","dimension":{}}"#).map(|p| p.get_managed_fields());
        assert_eq!(managed, Ok(FieldSet::EMPTY));
    }

    #[test]
    fn prices_out_of_bounds_and_malformed_currencies_are_named() {
        let text = concat!(
            "{\"product_id\":\"NEG\",\"unit_gross_price\":-1,\"currency\":\"NOK\"}\n",
            "{\"product_id\":\"BIG\",\"unit_gross_price\":100000000001,\"currency\":\"NOK\"}\n",
            "{\"product_id\":\"LONG\",\"unit_gross_price\":100,\"currency\":\"NOKK\"}\n",
            "{\"product_id\":\"ALONE\",\"currency\":\"nok\"}\n",
            "{\"product_id\":\"NULL\",\"unit_gross_price\":100,\"currency\":null}\n",
            "{\"product_id\":\"MAX\",\"unit_gross_price\":100000000000,\"currency\":\"NOK\"}\n",
            "{\"product_id\":\"KUNA\",\"unit_gross_price\":100,\"currency\":\"HRK\"}\n",
            "5\n",
        );
        let currency = "must be an ISO 4217 code: three capital letters such as `NOK`";
        assert_eq!(
            messages(text),
            [
                "t.jsonl, line 1, field unit_gross_price: invalid price \"-1\": must not be negative".to_string(),
                "t.jsonl, line 2, field unit_gross_price: invalid price \"100000000001\": is more than 100 000 000 000 minor units (one billion in the major unit): a typing slip?".to_string(),
                format!("t.jsonl, line 3, field currency: invalid currency \"NOKK\": {currency}"),
                format!("t.jsonl, line 4, field currency: invalid currency \"nok\": {currency}"),
                "t.jsonl, line 5, field currency: unit_gross_price needs a currency, such as \"NOK\"".to_string(),
                "ok MAX line 6".to_string(),
                "ok KUNA line 7".to_string(),
                "t.jsonl, line 8, column 1: invalid type: integer `5`, expected a JSON object: one product".to_string(),
            ]
        );
        let kuna = read(text)
            .into_iter()
            .flatten()
            .find(|row| row.id() == "KUNA")
            .and_then(|row| row.product.get_fields().price);
        assert_eq!(kuna.map(|p| p.currency().to_string()), Some("HRK".into()));
    }
}
