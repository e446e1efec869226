//! `products sync`: the SDK's catalog sync, with the file as the desired state.

use super::{ask, require_yes_off_terminal};
use crate::cli::SyncArgs;
use crate::error::{CliError, Status};
use crate::files::{self, FileFormat, Place, RowError};
use crate::output::{Output, line};
use crate::progress::{Mode, Progress};
use crate::report::{Entry, Report};
use dintero_products::{Action, Client, Desired, NewProduct, Progress as SyncProgress};
use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// What the first reading of the file found.
struct Checked {
    /// Rows that can be synced.
    good: usize,
    /// Lines of the rows that cannot: unreadable, or an id given on an earlier line too.
    skip: HashSet<u64>,
}

/// Reads the whole file once, reporting each bad row; a repeated id is a bad row too (the
/// sync needs one row per product).
fn check(
    path: &Path,
    format: FileFormat,
    progress: &Progress,
    report: &mut Report,
) -> Result<Checked, CliError> {
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut checked = Checked {
        good: 0,
        skip: HashSet::new(),
    };
    for row in files::open(path, format)? {
        let error = match row {
            Ok(row) => match first_line.get(row.id()) {
                None => {
                    first_line.insert(row.id().to_string(), row.line);
                    checked.good += 1;
                    continue;
                }
                Some(first) => RowError {
                    file: path.display().to_string().into(),
                    line: row.line,
                    place: Place::Row,
                    id: Some(row.id().to_string()),
                    message: format!("product {} is on line {first} already", row.id()),
                    fatal: false,
                },
            },
            Err(error) => error,
        };
        progress.println(&format!("error: {error}"));
        report.add(&Entry {
            line: Some(error.line),
            id: error.id.as_deref(),
            outcome: "failed",
            error: Some(error.to_string()),
        });
        if error.fatal {
            return Err(CliError::Failed(format!(
                "{} could not be read to its end; nothing was sent",
                path.display()
            )));
        }
        checked.skip.insert(error.line);
    }
    Ok(checked)
}

/// The file's good rows, read anew each time the sync asks (to plan, then to apply), so no
/// product body is held in memory. `changed` is set when a reading does not match the first.
fn desired(
    path: PathBuf,
    format: FileFormat,
    skip: Arc<HashSet<u64>>,
    changed: Arc<AtomicBool>,
) -> Desired {
    Desired::products_from(move || -> Box<dyn Iterator<Item = NewProduct> + Send> {
        let skip = skip.clone();
        let changed = changed.clone();
        match files::open(&path, format) {
            Ok(rows) => Box::new(rows.filter_map(move |row| match row {
                Ok(row) if !skip.contains(&row.line) => Some(row.product),
                Ok(_) => None,
                Err(error) => {
                    if error.fatal || !skip.contains(&error.line) {
                        changed.store(true, Ordering::Relaxed);
                    }
                    None
                }
            })),
            Err(_) => {
                changed.store(true, Ordering::Relaxed);
                Box::new(std::iter::empty())
            }
        }
    })
}

/// Plans, prints the plan, asks when products would be deleted, applies.
pub(crate) async fn sync(client: &Client, args: SyncArgs, mode: Mode) -> Result<Status, CliError> {
    let format = FileFormat::choose(args.format, &args.file)?;
    if args.prune && !args.dry_run {
        require_yes_off_terminal(
            args.yes,
            "--prune deletes the catalog's products that are not in the file",
        )?;
    }
    let mut report = Report::open(args.report.as_deref())?;
    let progress = Progress::stages(mode, "synced", "products");
    let checked = check(&args.file, format, &progress, &mut report)?;
    let bad_rows = checked.skip.len();
    let file = args.file.display().to_string();
    if bad_rows > 0 && args.prune && !args.dry_run {
        progress.clear();
        report.finish()?;
        return Err(CliError::Failed(format!(
            "{bad_rows} row{} of {file} could not be read, and --prune would delete {}: fix {}, or sync without --prune; nothing was sent",
            plural(bad_rows),
            if bad_rows == 1 {
                "its product"
            } else {
                "their products"
            },
            if bad_rows == 1 { "it" } else { "them" },
        )));
    }
    client.catalogs().get(args.catalog.as_str()).await?;

    let changed = Arc::new(AtomicBool::new(false));
    let skip = Arc::new(checked.skip);
    let outcomes: Arc<Mutex<HashMap<String, Result<Action, String>>>> = Arc::default();
    let record = report.is_on().then(|| outcomes.clone());
    let shown = progress.clone();
    let sync = client
        .products(args.catalog.as_str())
        .sync(desired(
            args.file.clone(),
            format,
            skip.clone(),
            changed.clone(),
        ))
        .prune(args.prune)
        .concurrency(usize::from(args.concurrency))
        .on_progress(move |event| match event {
            SyncProgress::Listed(n) => shown.stage(&format!("read {n} products of the catalog")),
            SyncProgress::Compared(n) => shown.stage(&format!("compared {n} rows of the file")),
            SyncProgress::Applied { action, id, result } => {
                shown.inc(1);
                if let Err(e) = result {
                    shown.println(&format!("error: product {id}: {e}"));
                }
                if let Some(outcomes) = &record {
                    let outcome = result
                        .as_ref()
                        .map(|()| *action)
                        .map_err(ToString::to_string);
                    outcomes
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(id.to_string(), outcome);
                }
            }
            _ => {}
        });

    progress.stage("planning: reading the catalog");
    let plan = sync.plan().await?;
    let (_, desired_count) = plan.sizes();
    if changed.load(Ordering::Relaxed) || desired_count != checked.good {
        return Err(CliError::Failed(format!(
            "{file} changed while it was being read; nothing was sent"
        )));
    }
    // The planning spinner goes: the plan, and perhaps a question, take the screen.
    progress.clear();
    let summary = plan.summary();
    let mut out = Output::open(None)?;
    write!(out, "{plan}")
        .and_then(|()| out.flush())
        .map_err(|e| out.error(e))?;

    let planned: HashMap<&str, Action> = plan
        .changes()
        .into_iter()
        .map(|(id, a, _)| (id, a))
        .collect();
    if args.dry_run || plan.is_empty() {
        let text = if args.dry_run {
            "dry run: nothing was sent but list requests"
        } else {
            "nothing to change"
        };
        line(&mut out, text)?;
        out.commit()?;
        if report.is_on() {
            let outcome = |action: Option<Action>| match action {
                None => "unchanged",
                Some(Action::Create) => "create",
                Some(Action::Update) => "update",
                Some(Action::Recreate) => "recreate",
                Some(Action::Delete) => "delete",
                Some(_) => "change",
            };
            write_rows(&args.file, format, &skip, &mut report, |id| {
                (outcome(planned.get(id).copied()), None)
            })?;
            for (id, action, _) in plan.changes() {
                if action == Action::Delete {
                    report.add(&Entry {
                        line: None,
                        id: Some(id),
                        outcome: "delete",
                        error: None,
                    });
                }
            }
        }
        report.finish()?;
        return Ok(status(bad_rows == 0));
    }
    out.commit()?;

    if summary.delete > 0 && !args.yes {
        let question = format!(
            "Delete {} product{} from catalog {}?",
            summary.delete,
            plural(summary.delete),
            args.catalog
        );
        if !ask(&question)? {
            crate::output::note("not applied: nothing was changed");
            report.finish()?;
            return Ok(Status::SomeFailed);
        }
    }

    progress
        .set_total((summary.create + summary.update + summary.recreate + summary.delete) as u64);
    let applied = sync.apply(&plan).await?;
    progress.finish();
    if changed.load(Ordering::Relaxed) {
        progress.println(&format!(
            "warning: {file} could not be read again as it was while applying; sync again to finish"
        ));
    }
    for (id, error) in &applied.failed {
        if id.starts_with("group ") {
            progress.println(&format!("error: {id}: {error}"));
        }
    }

    if report.is_on() {
        let mut outcomes =
            std::mem::take(&mut *outcomes.lock().unwrap_or_else(PoisonError::into_inner));
        // The failed first half of a recreate (its delete) is reported only here.
        for (id, error) in &applied.failed {
            outcomes.insert(id.clone(), Err(error.to_string()));
        }
        let word = |action: Action| match action {
            Action::Create => "created",
            Action::Update => "updated",
            Action::Recreate => "recreated",
            Action::Delete => "deleted",
            _ => "changed",
        };
        write_rows(
            &args.file,
            format,
            &skip,
            &mut report,
            |id| match outcomes.get(id) {
                None if planned.contains_key(id) => {
                    ("failed", Some("not applied (see the errors above)".into()))
                }
                None => ("unchanged", None),
                Some(Ok(action)) => (word(*action), None),
                Some(Err(e)) => ("failed", Some(e.clone())),
            },
        )?;
        for (id, action, _) in plan.changes() {
            if action == Action::Delete {
                let (outcome, error) = match outcomes.get(id) {
                    Some(Err(e)) => ("failed", Some(e.clone())),
                    _ => ("deleted", None),
                };
                report.add(&Entry {
                    line: None,
                    id: Some(id),
                    outcome,
                    error,
                });
            }
        }
    }
    report.finish()?;

    let mut out = Output::open(None)?;
    line(
        &mut out,
        &format!(
            "applied to catalog {}: {} created, {} updated, {} recreated, {} deleted, {} group{} created or renamed; {} failed",
            args.catalog,
            applied.created,
            applied.updated,
            applied.recreated,
            applied.deleted,
            applied.groups,
            plural(applied.groups),
            applied.failed.len()
        ),
    )?;
    out.commit()?;
    Ok(status(bad_rows == 0 && applied.is_success()))
}

/// One report line per good row of the file, in file order, with what `outcome` says of its
/// id. (Bad rows were reported when the file was first read.)
fn write_rows(
    path: &Path,
    format: FileFormat,
    skip: &HashSet<u64>,
    report: &mut Report,
    outcome: impl Fn(&str) -> (&'static str, Option<String>),
) -> Result<(), CliError> {
    for row in files::open(path, format)?.flatten() {
        if skip.contains(&row.line) {
            continue;
        }
        let (word, error) = outcome(row.id());
        report.add(&Entry {
            line: Some(row.line),
            id: Some(row.id()),
            outcome: word,
            error,
        });
    }
    Ok(())
}

fn status(success: bool) -> Status {
    if success {
        Status::Success
    } else {
        Status::SomeFailed
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
