//! Where data goes: standard output, or a file named by `--output` that appears only when
//! complete; and the two shapes of a listing, a table for people and JSON Lines for programs.

use crate::cli::ListFormat;
use crate::error::CliError;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

const BUFFER_BYTES: usize = 64 * 1024;

/// Standard output, or a file written beside its destination and renamed when complete.
pub(crate) struct Output {
    kind: Kind,
    name: String,
}

enum Kind {
    Stdout(BufWriter<io::Stdout>),
    File {
        writer: BufWriter<tempfile::NamedTempFile>,
        destination: PathBuf,
    },
}

impl Output {
    /// Standard output, or `path`.
    pub(crate) fn open(path: Option<&Path>) -> Result<Self, CliError> {
        let Some(path) = path else {
            return Ok(Self {
                kind: Kind::Stdout(BufWriter::with_capacity(BUFFER_BYTES, io::stdout())),
                name: "standard output".into(),
            });
        };
        let name = path.display().to_string();
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        // In the same directory, so the final rename stays on one file system.
        let mut builder = tempfile::Builder::new();
        builder.prefix(".dintero-products-");
        // As any new file would be (0666 less the umask), not a temporary file's 0600.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let file = builder
            .tempfile_in(directory)
            .map_err(|e| CliError::Usage(format!("cannot write {name}: {e}")))?;
        Ok(Self {
            kind: Kind::File {
                writer: BufWriter::with_capacity(BUFFER_BYTES, file),
                destination: path.to_path_buf(),
            },
            name,
        })
    }

    /// Whether this is standard output on a terminal (a person is reading).
    pub(crate) fn is_terminal(&self) -> bool {
        matches!(self.kind, Kind::Stdout(_)) && io::stdout().is_terminal()
    }

    /// The error for a failed write to this output.
    pub(crate) fn error(&self, source: io::Error) -> CliError {
        CliError::Output {
            what: format!("cannot write to {}", self.name),
            source,
        }
    }

    /// Flushes; a file is moved into place only now, complete.
    pub(crate) fn commit(self) -> Result<(), CliError> {
        let name = self.name;
        let error = |source: io::Error| CliError::Output {
            what: format!("cannot write to {name}"),
            source,
        };
        match self.kind {
            Kind::Stdout(mut writer) => writer.flush().map_err(error),
            Kind::File {
                writer,
                destination,
            } => {
                let file = writer.into_inner().map_err(|e| error(e.into_error()))?;
                file.persist(&destination).map_err(|e| error(e.error))?;
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.kind {
            Kind::Stdout(w) => w.write(buf),
            Kind::File { writer, .. } => writer.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.kind {
            Kind::Stdout(w) => w.write_all(buf),
            Kind::File { writer, .. } => writer.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.kind {
            Kind::Stdout(w) => w.flush(),
            Kind::File { writer, .. } => writer.flush(),
        }
    }
}

/// The format asked for, or a table for a person at a terminal and JSON Lines otherwise.
pub(crate) fn list_format(given: Option<ListFormat>, output: &Output) -> ListFormat {
    given.unwrap_or(if output.is_terminal() {
        ListFormat::Table
    } else {
        ListFormat::Json
    })
}

/// Writes `value` as one JSON line.
pub(crate) fn json_line(out: &mut Output, value: &impl Serialize) -> Result<(), CliError> {
    serde_json::to_writer(&mut *out, value)
        .map_err(io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(|e| out.error(e))
}

/// An empty table with these column names, fitted to the terminal's width when there is one.
pub(crate) fn table(headers: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(headers.iter().copied());
    table
}

/// Writes a table, or a line saying there is nothing to show.
pub(crate) fn write_table(out: &mut Output, table: &Table, empty: &str) -> Result<(), CliError> {
    let written = if table.row_count() == 0 {
        writeln!(out, "{empty}")
    } else {
        writeln!(out, "{table}")
    };
    written.map_err(|e| out.error(e))
}

/// Writes one line of text.
pub(crate) fn line(out: &mut Output, text: &str) -> Result<(), CliError> {
    writeln!(out, "{text}").map_err(|e| out.error(e))
}

/// A note for the person running the command, on standard error. A closed standard error is
/// no reason to fail the command.
pub(crate) fn note(text: &str) {
    let _ = writeln!(io::stderr(), "{text}");
}
