//! JSON Lines: one product a line, as the API's own JSON (`types::ProductDetails`).

use super::{Place, Row, RowError};
use dintero_products::{Currency, Product, types};
use std::io::{self, BufRead, Read};
use std::sync::Arc;

/// The longest line read; a product is a few kilobytes, and a file without line breaks must
/// not be read whole into memory.
const MAX_LINE_BYTES: u64 = 1 << 20;

/// The products of a JSON Lines file, line by line.
///
/// Each line is read leniently as the API's product (`types::ProductDetails`: unknown fields
/// and the fields the API fills itself are ignored), then becomes a create through the SDK
/// (`Product::try_from`, then `to_new`). Blank lines are skipped.
pub struct JsonlProducts<R: BufRead> {
    file: Arc<str>,
    reader: R,
    line: u64,
    buffer: Vec<u8>,
    done: bool,
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
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let raw: types::ProductDetails = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| {
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
            })
            .and_then(|raw| {
                de.end().map(|()| raw).map_err(|e| {
                    self.error(
                        Place::Field {
                            path: String::new(),
                            column: Some(e.column()),
                        },
                        None,
                        format!("{} after the product", json_message(&e)),
                    )
                })
            })?;
        let field = |name: &str| Place::Field {
            path: name.into(),
            column: None,
        };
        let id = raw.product_id.clone().filter(|id| !id.trim().is_empty());
        let Some(id) = id else {
            return Err(self.error(
                field("product_id"),
                None,
                "missing product_id: every product needs one".into(),
            ));
        };
        // The SDK reads an unknown currency, or a price without one, as no price: here that
        // would drop a price without a word, so the line is refused instead.
        if let Some(code) = &raw.currency
            && let Err(e) = Currency::new(code)
        {
            return Err(self.error(field("currency"), Some(id), e.to_string()));
        }
        if raw.unit_gross_price.is_some() && raw.currency.is_none() {
            return Err(self.error(
                field("currency"),
                Some(id),
                "unit_gross_price needs a currency, such as \"NOK\"".into(),
            ));
        }
        let product = Product::try_from(raw)
            .map_err(|e| self.error(field("product_id"), Some(id.clone()), e.to_string()))?
            .to_new();
        if let Err(invalid) = product.check() {
            // An invalid id is either the product's or one of its groups'.
            let path = if product.product_id().is_none() {
                "product_id"
            } else {
                "groups"
            };
            return Err(self.error(field(path), Some(id), invalid.to_string()));
        }
        Ok(Row {
            line: self.line,
            product,
        })
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
            "{\"product_id\":\"C\",\"unit_gross_price\":1,\"currency\":\"XYZ\"}\n",
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
            got[3].starts_with("t.jsonl, line 5, field currency: invalid currency \"XYZ\""),
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
        let expected = Product::try_from(raw).map(|p| p.to_new()).ok();
        let got = read(text).into_iter().next().and_then(Result::ok);
        assert_eq!(got.map(|r| r.product), expected);
        assert!(expected.is_some());
    }
}
