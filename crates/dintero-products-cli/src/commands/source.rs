//! The file as a catalog job's desired state: read once to check it (each bad row reported
//! once), then again each time the SDK asks (to plan, to apply), and once more for the report.
//! A reading that is not the first one's (the file was edited in between) is an error of the
//! source, so the SDK fails the plan, or stops the apply before it prunes anything.

use crate::error::CliError;
use crate::files::{self, Command, Dialect, FileFormat, Place, Row, RowError, Rows};
use crate::progress::Progress;
use crate::report::{Entry, Report};
use dintero_products::{Desired, DesiredProduct, Field, FieldSet, Intent};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// The file as the first reading found it.
#[derive(Debug)]
pub(super) struct Checked {
    path: PathBuf,
    format: FileFormat,
    /// How a CSV file is written, found by the first reading.
    dialect: Dialect,
    /// Its size and modification time then: a later reading that finds others reads another
    /// file, and must not be taken for the one checked.
    stamp: Stamp,
    /// Rows that can be written.
    pub(super) good: usize,
    /// Lines of the rows that are not: unreadable, an id given on an earlier line too, or
    /// `IGNORE`d without an id.
    pub(super) skip: HashSet<u64>,
    /// Of `skip`, the rows that are bad (the others were ignored, as their command asked).
    pub(super) bad: usize,
    /// How many rows ran each command, in the order of [`Command::ALL`].
    pub(super) commands: [usize; Command::ALL.len()],
    /// The fields a `REPLACE` row clears, of all such rows: those it leaves empty.
    pub(super) replace_clears: FieldSet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(path: &Path) -> Option<Self> {
        let metadata = std::fs::metadata(path).ok()?;
        Some(Self {
            len: metadata.len(),
            modified: metadata.modified().ok(),
        })
    }
}

/// Reads the whole file once, reporting each bad row on standard error and in the report; a
/// repeated id is a bad row too, on its later line (a job needs one row per product). Fails
/// when the file cannot be read to its end: a job on part of a file is not what was asked.
/// A CSV file's dialect is found first (`delimiter` when given), and said when it is not
/// plain UTF-8 with commas.
pub(super) fn check(
    path: &Path,
    format: FileFormat,
    delimiter: Option<u8>,
    progress: &Progress,
    report: &mut Report,
) -> Result<Checked, CliError> {
    let stamp = Stamp::of(path);
    let dialect = match format {
        FileFormat::Csv => {
            let dialect = Dialect::sniff(path, delimiter).map_err(|source| CliError::Input {
                what: format!("cannot open {}", path.display()),
                source,
            })?;
            if let Some(note) = dialect.note(&path.display().to_string()) {
                progress.println(&note);
            }
            dialect
        }
        _ => Dialect::default(),
    };
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut good = 0;
    let mut skip = HashSet::new();
    let mut commands = [0; Command::ALL.len()];
    let mut replace_clears = FieldSet::EMPTY;
    let mut ignored = 0;
    for row in files::open(path, format, dialect)? {
        if let Ok(row) = &row {
            commands[command_index(row.command)] += 1;
            if row.command == Command::Replace {
                replace_clears = replace_clears | cleared_by(row);
            }
            // An ignored row with an id goes to the sync, to be kept (never pruned); one
            // without is simply skipped.
            if row.command == Command::Ignore && row.product.get_id().is_none() {
                report.add(&Entry {
                    line: Some(row.line),
                    id: None,
                    command: Some(row.command.name()),
                    outcome: "ignored",
                    error: None,
                });
                skip.insert(row.line);
                ignored += 1;
                continue;
            }
        }
        let error = match row {
            Ok(row) => match first_line.get(row.id()) {
                None => {
                    first_line.insert(row.id().to_string(), row.line);
                    good += 1;
                    continue;
                }
                Some(first) => repeated(path, &row, *first),
            },
            Err(error) => error,
        };
        progress.println(&format!("error: {error}"));
        report.add(&Entry {
            line: Some(error.line),
            id: error.id.as_deref(),
            command: None,
            outcome: "failed",
            error: Some(error.to_string()),
        });
        if error.fatal {
            return Err(CliError::Failed(format!(
                "{} could not be read to its end; nothing was sent",
                path.display()
            )));
        }
        skip.insert(error.line);
    }
    Ok(Checked {
        path: path.to_path_buf(),
        format,
        dialect,
        stamp: stamp.ok_or_else(|| CliError::Failed(format!("{} vanished", path.display())))?,
        good,
        bad: skip.len() - ignored,
        skip,
        commands,
        replace_clears,
    })
}

/// The fields a row that states its product whole leaves empty, and so clears.
fn cleared_by(row: &Row) -> FieldSet {
    let mut set = row.product.get_fields().present_fields();
    if row.product.group_ids().next().is_some() {
        set = set | FieldSet::from(Field::Groups);
    }
    FieldSet::ALL.iter().filter(|f| !set.contains(*f)).collect()
}

/// Where `command` is in [`Command::ALL`], and so in [`Checked::commands`].
pub(super) fn command_index(command: Command) -> usize {
    Command::ALL
        .iter()
        .position(|c| *c == command)
        .unwrap_or_default()
}

/// The sync hands back one `u64` per product, its tag: the row's line, with its command in
/// the top byte, so that a report can name each row's command without a table of them.
const COMMAND_SHIFT: u32 = 56;

/// The tag of the row on `line` that runs `command`.
pub(super) fn tag(line: u64, command: Command) -> u64 {
    line | ((command_index(command) as u64) << COMMAND_SHIFT)
}

/// The line and command a [`tag`] holds.
pub(super) fn untag(tag: u64) -> (u64, Command) {
    let index = usize::try_from(tag >> COMMAND_SHIFT).unwrap_or(usize::MAX);
    let command = Command::ALL.get(index).copied().unwrap_or_default();
    (tag & ((1 << COMMAND_SHIFT) - 1), command)
}

/// What a row's command asks of the SDK's sync (`REPLACE` is a merge of every field: the
/// row manages them all; an ignored product is kept as it is, so a prune spares it).
fn intent(command: Command) -> Intent {
    match command {
        Command::New => Intent::CreateOnly,
        Command::Update => Intent::UpdateOnly,
        Command::Delete => Intent::Delete,
        Command::Ignore => Intent::Keep,
        _ => Intent::Merge,
    }
}

fn repeated(path: &Path, row: &Row, first: u64) -> RowError {
    RowError {
        file: path.display().to_string().into(),
        line: row.line,
        place: Place::Row,
        id: Some(row.id().to_string()),
        message: format!(
            "product {} is on line {first} already: give each product one row",
            row.id()
        ),
        fatal: false,
    }
}

/// Why a reading of the file is not the one checked.
#[derive(Debug)]
struct Changed(String);

impl fmt::Display for Changed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Changed {}

/// The file's good rows as the desired state, each tagged with its line.
pub(super) fn desired(checked: Arc<Checked>) -> Desired {
    Desired::try_products_from(move || Reading::start(checked.clone()))
}

/// One reading of the good rows, which ends in an error at the first sign that the file is
/// not the one checked: another size or time, a row readable then and not now, another count.
struct Reading {
    checked: Arc<Checked>,
    rows: Option<Rows>,
    /// The first error, not yet handed out: the file cannot be read as it was.
    failed: Option<Changed>,
    yielded: usize,
    done: bool,
}

impl Reading {
    fn start(checked: Arc<Checked>) -> Self {
        let name = checked.path.display().to_string();
        let (rows, failed) = if Stamp::of(&checked.path) != Some(checked.stamp) {
            let why = format!("{name} changed after it was first read");
            (None, Some(Changed(why)))
        } else {
            match files::open(&checked.path, checked.format, checked.dialect) {
                Ok(rows) => (Some(rows), None),
                Err(e) => (None, Some(Changed(e.to_string()))),
            }
        };
        Self {
            checked,
            rows,
            failed,
            yielded: 0,
            done: false,
        }
    }

    fn changed(&mut self, why: String) -> Option<Result<DesiredProduct, Changed>> {
        self.done = true;
        let name = self.checked.path.display();
        Some(Err(Changed(format!(
            "{name} changed after it was first read: {why}"
        ))))
    }
}

impl Iterator for Reading {
    type Item = Result<DesiredProduct, Changed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if let Some(failed) = self.failed.take() {
            self.done = true;
            return Some(Err(failed));
        }
        let rows = self.rows.as_mut()?;
        loop {
            match rows.next() {
                Some(Ok(row)) if self.checked.skip.contains(&row.line) => {}
                Some(Ok(row)) => {
                    self.yielded += 1;
                    if self.yielded > self.checked.good {
                        return self.changed("it has more rows".into());
                    }
                    let tag = tag(row.line, row.command);
                    let desired = DesiredProduct::new(row.product).intent(intent(row.command));
                    return Some(Ok(desired.tagged(tag)));
                }
                Some(Err(e)) if !e.fatal && self.checked.skip.contains(&e.line) => {}
                Some(Err(e)) => return self.changed(e.to_string()),
                None if self.yielded < self.checked.good => {
                    return self.changed("it has fewer rows".into());
                }
                None => {
                    self.done = true;
                    return None;
                }
            }
        }
    }
}

/// The good rows once more, in file order, for the report: what `each` is told of each.
/// Rows that cannot be read now were reported by the first reading, or by the job's source.
pub(super) fn each_good_row(checked: &Checked, mut each: impl FnMut(&Row)) -> Result<(), CliError> {
    for row in files::open(&checked.path, checked.format, checked.dialect)?.flatten() {
        if !checked.skip.contains(&row.line) {
            each(&row);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Mode;

    fn checked(path: &Path) -> Arc<Checked> {
        let progress = Progress::new(Mode::Off, "read", "rows");
        let mut report = Report::open(None).unwrap_or_else(|e| panic!("{e}"));
        let checked = check(path, FileFormat::Csv, None, &progress, &mut report);
        Arc::new(checked.unwrap_or_else(|e| panic!("{e}")))
    }

    /// What one reading yields: the lines of its products, or the error that ended it.
    fn read(checked: &Arc<Checked>) -> Vec<Result<u64, String>> {
        Reading::start(checked.clone())
            .map(|item| {
                item.map(|p| p.tag().unwrap_or(0))
                    .map_err(|e| e.to_string())
            })
            .collect()
    }

    #[test]
    fn a_reading_yields_the_good_rows_tagged_with_their_lines() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("p.csv");
        let text = "id,price,currency\nA,100,NOK\nB,abc,NOK\nA,200,NOK\nC,300,NOK\n";
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let checked = checked(&path);
        assert_eq!((checked.good, checked.skip.len()), (2, 2));
        assert_eq!(read(&checked), [Ok(2), Ok(5)]);
        assert_eq!(read(&checked), [Ok(2), Ok(5)], "each reading is the same");
    }

    #[test]
    fn a_file_changed_after_its_check_ends_the_reading_in_an_error() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("p.csv");
        std::fs::write(&path, "id,name\nA,One\nB,Two\n").unwrap_or_else(|e| panic!("{e}"));
        let checked = checked(&path);
        for edited in [
            "id,name\nA,One\n",                 // a row fewer
            "id,name\nA,One\nB,Two\nC,Three\n", // a row more
            "id,name\nA,One\nB,Two,x\n",        // a good row gone bad
        ] {
            std::fs::write(&path, edited).unwrap_or_else(|e| panic!("{e}"));
            let items = read(&checked);
            let last = items.last().cloned();
            assert!(
                matches!(&last, Some(Err(e)) if e.contains("changed after it was first read")),
                "{edited:?}: {items:?}"
            );
        }
        std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(read(&checked).as_slice(), [Err(_)]));
    }

    #[test]
    fn the_same_size_and_time_with_other_rows_is_caught_by_the_rows() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("p.csv");
        for (edited, why) in [
            ("id,name\nA,One\nB,T,o\n", "a good row gone bad"),
            ("id,name\nA,One\n", "fewer rows"),
            (
                "id,name\nA,One\nB,T,o\nC,Three\n",
                "a good row gone bad, another after it",
            ),
        ] {
            std::fs::write(&path, "id,name\nA,One\nB,Two\n").unwrap_or_else(|e| panic!("{e}"));
            let mut checked = checked(&path);
            // As if the edit kept the size and the clock did not tick: the rows still tell.
            std::fs::write(&path, edited).unwrap_or_else(|e| panic!("{e}"));
            if let (Some(stamp), Some(c)) = (Stamp::of(&path), Arc::get_mut(&mut checked)) {
                c.stamp = stamp;
            }
            let items = read(&checked);
            assert!(
                matches!(items.as_slice(), [Ok(2), Err(e)] if e.contains("changed after it was first read")),
                "{why}: {items:?}"
            );
        }
    }
}
