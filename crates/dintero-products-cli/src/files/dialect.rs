//! How a CSV file is written: its separator and its encoding, found from the file itself, as
//! Excel writes them differently by locale (`;` where the decimal mark is a comma) and by
//! version (Windows-1252, UTF-8 with a byte-order mark, UTF-16 for "Unicode Text").

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// A text encoding a CSV file may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// Windows-1252, what Excel writes as "CSV" on a Western European Windows: taken for a
    /// file that is not valid UTF-8 (every byte sequence is valid Windows-1252).
    Windows1252,
    /// UTF-16, little-endian, with its byte-order mark (Excel's "Unicode Text").
    Utf16Le,
    /// UTF-16, big-endian, with its byte-order mark.
    Utf16Be,
}

impl Encoding {
    fn encoding_rs(self) -> &'static encoding_rs::Encoding {
        match self {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252,
            Encoding::Utf16Le => encoding_rs::UTF_16LE,
            Encoding::Utf16Be => encoding_rs::UTF_16BE,
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encoding_rs().name())
    }
}

/// How a CSV file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// The separator: `,`, `;` or a tab.
    pub delimiter: u8,
    /// The text encoding.
    pub encoding: Encoding,
}

impl Default for Dialect {
    /// What an export writes: commas, UTF-8.
    fn default() -> Self {
        Self {
            delimiter: b',',
            encoding: Encoding::Utf8,
        }
    }
}

/// The separators a header row is searched for, the default first (it wins a tie).
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// How much of the file's start (64 KiB) is searched for the header row's separator.
const HEADER_BYTES: u64 = 65_536;

impl Dialect {
    /// Finds how the CSV file at `path` is written: its encoding (a UTF-16 byte-order mark;
    /// else UTF-8 when the whole file is valid UTF-8, which takes one read of it; else
    /// Windows-1252), and its separator, the one of `,` `;` and tab the header row holds most
    /// of outside quotes, unless `delimiter` is given.
    pub fn sniff(path: &Path, delimiter: Option<u8>) -> io::Result<Self> {
        let encoding = encoding_of(File::open(path)?)?;
        let delimiter = match delimiter {
            Some(d) => d,
            None => {
                let mut start = Vec::new();
                Self::decode(encoding, File::open(path)?)
                    .take(HEADER_BYTES)
                    .read_to_end(&mut start)?;
                header_delimiter(&start)
            }
        };
        Ok(Self {
            delimiter,
            encoding,
        })
    }

    /// One line saying how the file is read, when it is not plain UTF-8 with commas (a file
    /// read otherwise than the user may think is worth a word).
    pub fn note(&self, file: &str) -> Option<String> {
        let separator = match self.delimiter {
            b',' => None,
            b'\t' => Some("tabs".to_string()),
            d => Some(format!("`{}`", char::from(d))),
        };
        let encoding = match self.encoding {
            Encoding::Utf8 => None,
            Encoding::Windows1252 => Some("Windows-1252 (it is not valid UTF-8)".to_string()),
            other => Some(other.to_string()),
        };
        let said: Vec<String> = [encoding, separator.map(|s| format!("separated by {s}"))]
            .into_iter()
            .flatten()
            .collect();
        (!said.is_empty()).then(|| format!("note: reading {file} as {}", said.join(", ")))
    }

    /// `input`'s text as UTF-8. A UTF-8 file is passed through as it is (its byte-order
    /// mark, if any, is the header's to skip); any other is decoded as it is read.
    pub(crate) fn decode<R: Read + Send + 'static>(
        encoding: Encoding,
        input: R,
    ) -> Box<dyn Read + Send> {
        match encoding {
            Encoding::Utf8 => Box::new(input),
            other => Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(other.encoding_rs()))
                    .bom_sniffing(true)
                    .build(input),
            ),
        }
    }
}

/// The encoding of `input`: read to its end unless a UTF-16 byte-order mark says it at once.
fn encoding_of(input: impl Read) -> io::Result<Encoding> {
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    match reader.fill_buf()? {
        [0xFF, 0xFE, ..] => return Ok(Encoding::Utf16Le),
        [0xFE, 0xFF, ..] => return Ok(Encoding::Utf16Be),
        _ => {}
    }
    // Up to three bytes of a character cut by the end of a chunk wait for the next one.
    let mut pending: Vec<u8> = Vec::with_capacity(64 * 1024 + 4);
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(if pending.is_empty() {
                Encoding::Utf8
            } else {
                Encoding::Windows1252
            });
        }
        pending.extend_from_slice(chunk);
        let n = chunk.len();
        reader.consume(n);
        match utf8_prefix(&pending) {
            None => return Ok(Encoding::Windows1252),
            Some(valid) => drop(pending.drain(..valid)),
        }
    }
}

/// How much of `bytes` is valid UTF-8, when the rest is at most the start of one character
/// cut short; `None` when `bytes` holds a sequence that is not UTF-8.
fn utf8_prefix(bytes: &[u8]) -> Option<usize> {
    match std::str::from_utf8(bytes) {
        Ok(_) => Some(bytes.len()),
        Err(e) if e.error_len().is_none() => Some(e.valid_up_to()),
        Err(_) => None,
    }
}

/// The separator of the first line of `start`: the candidate it holds most of outside quotes.
fn header_delimiter(start: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &byte in start {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(k) = DELIMITERS.iter().position(|d| *d == byte) {
                    counts[k] += 1;
                }
            }
            _ => {}
        }
    }
    // The first of the most frequent: `,` on a tie, and for a header of one column.
    let best = counts.iter().copied().max().unwrap_or(0);
    DELIMITERS
        .iter()
        .zip(counts)
        .find(|(_, n)| *n == best)
        .map_or(b',', |(d, _)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_separator_is_the_one_the_header_holds_most_of() {
        assert_eq!(header_delimiter(b"id;name;price\r\nA;B,C;1,00\r\n"), b';');
        assert_eq!(header_delimiter(b"id,name,price\nA;B;C;D;E\n"), b',');
        assert_eq!(header_delimiter(b"id\tname\nA\tB\n"), b'\t');
        // What is quoted does not count, a line break in it included.
        assert_eq!(header_delimiter(b"\"a;b;c\",d\n"), b',');
        assert_eq!(header_delimiter(b"\"a,b,c\";d\n"), b';');
        assert_eq!(header_delimiter(b"\"a\nb\";c;d\n"), b';');
        assert_eq!(header_delimiter(b"id\n"), b',');
        assert_eq!(header_delimiter(b""), b',');
    }

    #[test]
    fn encodings_are_told_apart() {
        let of = |bytes: &[u8]| encoding_of(bytes).ok();
        assert_eq!(
            of(b"id,name\nA,\xC3\xA6\xC3\xB8\xC3\xA5\n"),
            Some(Encoding::Utf8)
        );
        assert_eq!(of(b"\xEF\xBB\xBFid\n"), Some(Encoding::Utf8));
        assert_eq!(
            of(b"id;name\r\nA;Bl\xE5b\xE6r\r\n"),
            Some(Encoding::Windows1252)
        );
        assert_eq!(of(b"\xFF\xFEi\0d\0"), Some(Encoding::Utf16Le));
        assert_eq!(of(b"\xFE\xFF\0i\0d"), Some(Encoding::Utf16Be));
        // A character cut short at the very end is no UTF-8.
        assert_eq!(of(b"id\n\xC3"), Some(Encoding::Windows1252));
        assert_eq!(of(b""), Some(Encoding::Utf8));
    }

    #[test]
    fn the_scan_stops_at_the_first_byte_that_is_not_utf8() {
        // Bytes no UTF-8 holds, then a reader that fails: the failure is never reached.
        let failing_after = |bytes: &'static [u8]| bytes.chain(FailingReader);
        assert_eq!(
            encoding_of(failing_after(b"id,name\nA,\xFF\n")).ok(),
            Some(Encoding::Windows1252)
        );
        assert!(
            encoding_of(failing_after(b"id,name\nA,B\n")).is_err(),
            "valid so far: read on"
        );
    }

    #[test]
    fn the_note_says_what_is_not_plain_utf8_with_commas() {
        let note = |delimiter, encoding| {
            Dialect {
                delimiter,
                encoding,
            }
            .note("f.csv")
        };
        assert_eq!(note(b',', Encoding::Utf8), None);
        assert_eq!(
            note(b';', Encoding::Utf8).as_deref(),
            Some("note: reading f.csv as separated by `;`")
        );
        assert_eq!(
            note(b'\t', Encoding::Windows1252).as_deref(),
            Some("note: reading f.csv as Windows-1252 (it is not valid UTF-8), separated by tabs")
        );
        assert_eq!(
            note(b',', Encoding::Utf16Le).as_deref(),
            Some("note: reading f.csv as UTF-16LE")
        );
        assert_eq!(
            note(b',', Encoding::Utf16Be).as_deref(),
            Some("note: reading f.csv as UTF-16BE")
        );
    }

    /// A reader that always fails.
    struct FailingReader;

    impl Read for FailingReader {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("the disk is gone"))
        }
    }

    proptest! {
        /// Any text is UTF-8 wherever the reader's chunks cut its characters (the reader is
        /// made to read a few bytes at a time); the same text with one byte that no UTF-8
        /// holds anywhere is not.
        #[test]
        fn utf8_is_found_across_chunk_boundaries(text in any::<String>(), chunk in 1usize..8, bad_at in any::<prop::sample::Index>()) {
            let bytes = text.as_bytes();
            let chunked = |bytes: Vec<u8>| {
                encoding_of(Chunks { bytes, at: 0, chunk }).ok()
            };
            // A UTF-16 byte-order mark cannot start valid UTF-8, so only the scan decides.
            prop_assert_eq!(chunked(bytes.to_vec()), Some(Encoding::Utf8));
            let mut bad = bytes.to_vec();
            bad.insert(bad_at.index(bytes.len() + 1), 0xFF);
            prop_assert_eq!(chunked(bad), Some(Encoding::Windows1252));
        }
    }

    proptest! {
        /// A file in any separator and any encoding Excel writes reads back as the same rows:
        /// the separator and the encoding are found, whatever the names hold (Windows-1252's
        /// letters, separators and quotes inside quoted cells).
        #[test]
        fn any_dialect_reads_back_the_same_rows(
            names in proptest::collection::vec("[a-zA-Z0-9 æøåÆØÅéü«»;,\t\"€]{0,12}", 1..6),
            delimiter in proptest::sample::select(DELIMITERS.to_vec()),
            encoding in proptest::sample::select(vec![Encoding::Utf8, Encoding::Windows1252, Encoding::Utf16Le, Encoding::Utf16Be]),
            bom in any::<bool>(),
            crlf in any::<bool>(),
        ) {
            let mut writer = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .from_writer(Vec::new());
            let fail = |e: &dyn std::fmt::Display| TestCaseError::fail(e.to_string());
            writer.write_record(["id", "name"]).map_err(|e| fail(&e))?;
            for (i, name) in names.iter().enumerate() {
                writer.write_record([format!("P{i}").as_str(), name]).map_err(|e| fail(&e))?;
            }
            let text = String::from_utf8(writer.into_inner().map_err(|e| fail(&e))?).map_err(|e| fail(&e))?;
            let bytes: Vec<u8> = match encoding {
                Encoding::Utf8 => [if bom { "\u{feff}" } else { "" }.as_bytes(), text.as_bytes()].concat(),
                Encoding::Windows1252 => {
                    // Valid UTF-8 only when it is ASCII: then it is read as UTF-8, rightly.
                    encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
                }
                Encoding::Utf16Le | Encoding::Utf16Be => {
                    let le = encoding == Encoding::Utf16Le;
                    let mut bytes = if le { vec![0xFF, 0xFE] } else { vec![0xFE, 0xFF] };
                    for unit in text.encode_utf16() {
                        bytes.extend(if le { unit.to_le_bytes() } else { unit.to_be_bytes() });
                    }
                    bytes
                }
            };
            let dir = tempfile::tempdir().map_err(|e| fail(&e))?;
            let path = dir.path().join("p.csv");
            std::fs::write(&path, &bytes).map_err(|e| fail(&e))?;
            let dialect = Dialect::sniff(&path, None).map_err(|e| fail(&e))?;
            prop_assert_eq!(dialect.delimiter, delimiter);
            // Windows-1252 bytes that happen to be valid UTF-8 (all ASCII, or `Ø€`: D8 80)
            // cannot be told from UTF-8, and are read as it: only then is a name read otherwise.
            let ambiguous = encoding == Encoding::Windows1252 && std::str::from_utf8(&bytes).is_ok();
            let expected = if ambiguous { Encoding::Utf8 } else { encoding };
            prop_assert_eq!(dialect.encoding, expected);
            if ambiguous && !text.is_ascii() {
                return Ok(());
            }
            let rows = crate::files::open(&path, crate::files::FileFormat::Csv, dialect)
                .map_err(|e| fail(&e))?;
            let read: Vec<Option<String>> = rows
                .map(|r| r.map(|r| r.product.get_fields().name.clone()))
                .collect::<Result<_, _>>()
                .map_err(|e| fail(&e))?;
            let written: Vec<Option<String>> = names.iter().map(|n| Some(n.clone()).filter(|n| !n.is_empty())).collect();
            prop_assert_eq!(read, written);
        }
    }

    /// A reader that hands out at most `chunk` bytes a read.
    struct Chunks {
        bytes: Vec<u8>,
        at: usize,
        chunk: usize,
    }

    impl Read for Chunks {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.bytes.len() - self.at);
            buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }
}
