//! `products import` and `products sync`: one engine, the SDK's catalog sync with the file as
//! the desired state. An import is a sync that never prunes. Check the file, plan, print the
//! plan, ask what needs asking, apply, report each row.

use super::source::{self, Checked};
use super::{ask, require_yes_off_terminal, stdin_is_terminal};
use crate::cli::JobArgs;
use crate::error::{CliError, Status, one_line};
use crate::files::{Command, FileFormat, Row};
use crate::output::{Output, line};
use crate::progress::{Mode, Progress};
use crate::report::{Entry, Report};
use dintero_products::{
    Action, CatalogSync, Client, Consent, Error, FieldSet, FileJournal, Journal as _, MaxDeletes,
    Plan, Progress as SyncProgress, Refusal, SyncReport, Target,
};
use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Which job: they differ in pruning, and in what their summary says.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    /// Create and update; never delete.
    Import,
    /// Create, update, and with `prune` delete what the file lacks, within `max_deletes`.
    Sync {
        prune: bool,
        max_deletes: MaxDeletes,
    },
}

impl Kind {
    fn prune(self) -> bool {
        matches!(self, Kind::Sync { prune: true, .. })
    }
}

/// What the apply's progress callback shares with the command: the report, and which lines it
/// has written (so the rows nothing happened to can be reported after).
struct Outcomes {
    report: Report,
    reported: HashSet<u64>,
}

fn lock(outcomes: &Mutex<Outcomes>) -> MutexGuard<'_, Outcomes> {
    // A panic elsewhere while holding it leaves the report usable.
    outcomes.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs an import or a sync of `args.file` into `args.catalog`.
pub(super) async fn run(
    client: &Client,
    kind: Kind,
    args: JobArgs,
    mode: Mode,
) -> Result<Status, CliError> {
    let format = FileFormat::choose(args.format, &args.file)?;
    if kind.prune() && !args.dry_run {
        require_yes_off_terminal(
            args.yes,
            "--prune deletes the catalog's products that are not in the file",
        )?;
    }
    let mut report = Report::open(args.report.as_deref())?;
    let verb = match kind {
        Kind::Import => "imported",
        Kind::Sync { .. } => "synced",
    };
    let progress = Progress::stages(mode, verb, "products");
    let checked = Arc::new(source::check(
        &args.file,
        format,
        args.delimiter,
        &progress,
        &mut report,
    )?);
    let bad_rows = checked.bad;
    if bad_rows > 0 && kind.prune() && !args.dry_run {
        progress.clear();
        report.finish()?;
        return Err(bad_rows_and_prune(bad_rows, &args.file));
    }
    // Before anything else: a catalog that is not there (or credentials that do not work) is
    // one error, not one per row.
    client.catalogs().get(args.catalog.as_str()).await?;

    let journal = if args.dry_run {
        note_pending(client, &args);
        None
    } else {
        JournalFile::open(&args)?
    };
    let (journal, _tidy) = journal.unzip();
    let outcomes = Arc::new(Mutex::new(Outcomes {
        report,
        reported: HashSet::new(),
    }));
    let events = on_event(
        outcomes.clone(),
        progress.clone(),
        args.file.display().to_string(),
    );
    let sync = open_sync(client, kind, &args, checked.clone(), journal).on_progress(events);

    progress.stage("planning: reading the catalog");
    let plan = sync.plan().await.map_err(planning_error)?;
    // The planning spinner goes: the plan, and perhaps a question, take the screen.
    progress.clear();
    print(&plan)?;
    let job = Job {
        kind,
        args: &args,
        checked: &checked,
        bad_rows,
    };
    job.carry_out(sync, plan, outcomes, &progress).await
}

/// The SDK's sync of the file's good rows, with the job's flags.
fn open_sync(
    client: &Client,
    kind: Kind,
    args: &JobArgs,
    checked: Arc<Checked>,
    journal: Option<FileJournal>,
) -> CatalogSync {
    let mut sync = client
        .products(args.catalog.as_str())
        .sync(source::desired(checked))
        .allow_recreate(args.allow_recreate)
        .allow_price_jumps(args.yes)
        .concurrency(usize::from(args.concurrency));
    if let Kind::Sync { prune, max_deletes } = kind {
        sync = sync.prune(prune).max_deletes(max_deletes);
    }
    if let Some(journal) = journal {
        sync = sync.journal(journal);
    }
    sync
}

/// The parts of a job its last steps need.
struct Job<'a> {
    kind: Kind,
    args: &'a JobArgs,
    checked: &'a Checked,
    bad_rows: usize,
}

impl Job<'_> {
    /// What follows the printed plan: a dry run ends; a refused plan fails; otherwise ask what
    /// needs asking, apply, report the rows, and say what happened.
    async fn carry_out(
        &self,
        sync: CatalogSync,
        mut plan: Plan,
        outcomes: Arc<Mutex<Outcomes>>,
        progress: &Progress,
    ) -> Result<Status, CliError> {
        if self.args.dry_run {
            return self.dry_run(&plan, take(sync, outcomes)?.report);
        }
        if let Some(refusal) = plan.refusal() {
            let refused = refused(refusal);
            take(sync, outcomes)?.report.finish()?;
            return Err(refused);
        }
        if plan.is_empty() && plan.held_back().is_empty() && plan.rejected().is_empty() {
            return self.nothing_to_change(&plan, take(sync, outcomes)?.report);
        }
        if !self.confirm(&mut plan)? {
            take(sync, outcomes)?.report.finish()?;
            return Ok(Status::SomeFailed);
        }

        let s = plan.summary();
        progress.set_total(
            (s.create + s.update + s.recreate + s.delete + s.held_back + s.rejected) as u64,
        );
        let applied = sync.apply(&plan).await?;
        progress.finish();
        if let Some(unread) = &applied.unread {
            progress.println(&format!(
                "warning: {unread}; the rows before went through and nothing was pruned: run again to finish"
            ));
        }
        self.report_the_rest(&plan, &applied, take(sync, outcomes)?)?;
        self.summary(&plan, &applied)?;
        Ok(status(self.bad_rows == 0 && applied.is_success()))
    }

    /// Asks what needs asking on a terminal: deletes (unless `--yes`), then price jumps
    /// (unless `--yes`; off a terminal they are held back). False when the deletes are refused.
    fn confirm(&self, plan: &mut Plan) -> Result<bool, CliError> {
        let summary = plan.summary();
        if summary.delete > 0 && !self.args.yes {
            // A file's DELETE rows are found by the plan, so this is the first place to refuse.
            require_yes_off_terminal(
                self.args.yes,
                &format!(
                    "the plan deletes {} product{}",
                    summary.delete,
                    plural(summary.delete)
                ),
            )?;
            let question = format!(
                "Delete {} product{} from catalog {}?",
                summary.delete,
                plural(summary.delete),
                self.args.catalog
            );
            if !ask(&question)? {
                crate::output::note("not applied: nothing was changed");
                return Ok(false);
            }
        }
        let jumps = plan
            .held_back()
            .iter()
            .filter(|(_, consents)| consents.contains(&Consent::PriceJump))
            .count();
        if jumps > 0 && !self.args.yes && stdin_is_terminal() {
            let question = format!(
                "Apply {jumps} price change{} by a factor of ten or more (marked ! above)?",
                plural(jumps)
            );
            if ask(&question)? {
                plan.approve(Consent::PriceJump);
            }
        }
        Ok(true)
    }

    /// A dry run's end: a report line per row saying what would become of it, and the exit
    /// status the run would have: 1 for bad rows, a refusal, or changes held back.
    fn dry_run(&self, plan: &Plan, mut report: Report) -> Result<Status, CliError> {
        let mut out = Output::open(None)?;
        self.commands_said(&mut out)?;
        line(&mut out, "dry run: nothing was sent but list requests")?;
        out.commit()?;
        let changes = plan.changes();
        let held_back = plan.held_back();
        let rejections = plan.rejected();
        if report.is_on() {
            // The rows that delete their product; the other deletes are the prune's.
            let mut deleted_by_row = HashSet::new();
            source::each_good_row(self.checked, |row| {
                let id = row.id();
                let (outcome, error) = match (
                    rejected(&rejections, id),
                    held(&held_back, id),
                    planned(&changes, id),
                ) {
                    (Some(refusal), _, _) => ("failed", Some(row_refused(refusal, row.command))),
                    (None, Some(consents), _) => ("needs-consent", Some(needs_consent(consents))),
                    (None, None, Some(action)) => (would(action), None),
                    (None, None, None) => (unchanged(row), None),
                };
                if row.command == Command::Delete {
                    deleted_by_row.insert(id.to_string());
                }
                report.add(&Entry {
                    line: Some(row.line),
                    id: Some(id),
                    command: Some(row.command.name()),
                    outcome,
                    error,
                });
            })?;
            let pruned = changes
                .iter()
                .filter(|c| c.1 == Action::Delete && !deleted_by_row.contains(c.0));
            for (id, _, _) in pruned {
                report.add(&Entry {
                    line: None,
                    id: Some(id),
                    command: None,
                    outcome: would(Action::Delete),
                    error: None,
                });
            }
        }
        report.finish()?;
        Ok(status(
            self.bad_rows == 0
                && plan.refusal().is_none()
                && held_back.is_empty()
                && rejections.is_empty(),
        ))
    }

    /// What the file's `command` column asked, when it asked anything but `MERGE`: how many
    /// rows ran each command, and what a `REPLACE` clears.
    fn commands_said(&self, out: &mut Output) -> Result<(), CliError> {
        let counts = &self.checked.commands;
        if counts
            .iter()
            .zip(Command::ALL)
            .all(|(n, c)| *n == 0 || c == Command::Merge)
        {
            return Ok(());
        }
        let said: Vec<String> = Command::ALL
            .iter()
            .zip(counts)
            .filter(|(_, n)| **n > 0)
            .map(|(c, n)| format!("{n} {}", c.name()))
            .collect();
        line(out, &format!("commands: {}", said.join(", ")))?;
        let replace = counts[source::command_index(Command::Replace)];
        if replace > 0 {
            line(
                out,
                &format!(
                    "REPLACE on {replace} row{}: every field the file has no column for is cleared ({})",
                    plural(replace),
                    names(self.checked.replace_clears)
                ),
            )?;
        }
        Ok(())
    }

    /// The plan writes nothing: every good row is unchanged.
    fn nothing_to_change(&self, plan: &Plan, mut report: Report) -> Result<Status, CliError> {
        let mut out = Output::open(None)?;
        line(&mut out, "nothing to change")?;
        out.commit()?;
        if report.is_on() {
            source::each_good_row(self.checked, |row| {
                report.add(&Entry {
                    line: Some(row.line),
                    id: Some(row.id()),
                    command: Some(row.command.name()),
                    outcome: unchanged(row),
                    error: None,
                });
            })?;
        }
        report.finish()?;
        self.summary(plan, &SyncReport::default())?;
        Ok(status(self.bad_rows == 0))
    }

    /// Report lines for the good rows no write was told of: unchanged, or planned and not
    /// applied (the file could not be read again, a group could not be created).
    fn report_the_rest(
        &self,
        plan: &Plan,
        applied: &SyncReport,
        outcomes: Outcomes,
    ) -> Result<(), CliError> {
        let Outcomes {
            mut report,
            reported,
        } = outcomes;
        if report.is_on() {
            let changes = plan.changes();
            let why = match &applied.unread {
                Some(e) => format!("not applied: {}", one_line(e)),
                None => "not applied (see the errors above)".to_string(),
            };
            source::each_good_row(self.checked, |row| {
                if reported.contains(&row.line) {
                    return;
                }
                let (outcome, error) = match planned(&changes, row.id()) {
                    Some(_) => ("failed", Some(why.clone())),
                    None => (unchanged(row), None),
                };
                report.add(&Entry {
                    line: Some(row.line),
                    id: Some(row.id()),
                    command: Some(row.command.name()),
                    outcome,
                    error,
                });
            })?;
        }
        report.finish()
    }

    /// The line saying what really happened.
    fn summary(&self, plan: &Plan, applied: &SyncReport) -> Result<(), CliError> {
        let unchanged = plan.summary().unchanged + applied.unchanged;
        let failed = self.bad_rows + applied.failed.len();
        let held_back = applied.held_back.len();
        let text = match self.kind {
            Kind::Import => format!(
                "imported {} into catalog {}: {} created, {} updated, {unchanged} unchanged, {} recreated, {held_back} held back, {failed} failed",
                self.args.file.display(),
                self.args.catalog,
                applied.created,
                applied.updated,
                applied.recreated,
            ),
            Kind::Sync { .. } => format!(
                "synced catalog {}: {} created, {} updated, {unchanged} unchanged, {} recreated, {} deleted, {held_back} held back, {} group{} created or renamed; {failed} failed",
                self.args.catalog,
                applied.created,
                applied.updated,
                applied.recreated,
                applied.deleted,
                applied.groups,
                plural(applied.groups),
            ),
        };
        // Rare (another writer changed a product's groups between the plan and the write),
        // so said only when it happened.
        let text = match applied.not_applied.len() {
            0 => text,
            n => format!("{text}; {n} partly applied (groups not changed)"),
        };
        // Said only when the file asked for them: rows that delete their product, or are
        // skipped.
        let text = match (self.kind, applied.deleted) {
            (Kind::Import, n) if n > 0 => format!("{text}; {n} deleted"),
            _ => text,
        };
        let text = match self.checked.commands[source::command_index(Command::Ignore)] {
            0 => text,
            n => format!("{text}; {n} ignored"),
        };
        let mut out = Output::open(None)?;
        line(&mut out, &text)?;
        out.commit()
    }
}

/// Tells the progress and the report of each write as it finishes.
fn on_event(
    outcomes: Arc<Mutex<Outcomes>>,
    progress: Progress,
    file: String,
) -> impl Fn(&SyncProgress) + Send + Sync + 'static {
    move |event| match event {
        SyncProgress::Listed(n) => progress.stage(&format!("read {n} products of the catalog")),
        SyncProgress::Compared(n) => progress.stage(&format!("compared {n} rows of the file")),
        // The products restored are listed with the plan; only a failure needs saying here.
        SyncProgress::Restored { id, result: Err(e) } => progress.println(&format!(
            "error: product {id} could not be restored from the journal: {}",
            one_line(e)
        )),
        SyncProgress::Applied {
            action,
            target,
            tag,
            result,
            changed,
        } => {
            // An update that found the product as desired when it read it again wrote nothing.
            let action = (*changed || result.is_err()).then_some(*action);
            applied(&outcomes, &progress, &file, (action, target, *tag), result)
        }
        _ => {}
    }
}

/// One write finished, or one change was held back.
fn applied(
    outcomes: &Mutex<Outcomes>,
    progress: &Progress,
    file: &str,
    (action, target, tag): (Option<Action>, &Target, Option<u64>),
    result: &dintero_products::Result<()>,
) {
    let Target::Product(id) = target else {
        // Groups have no row; a failure is said once, and their products then wait.
        if let Err(e) = result {
            progress.println(&format!("error: {target}: {}", one_line(e)));
        }
        return;
    };
    progress.inc(1);
    let (tag, command) = tag.map(source::untag).unzip();
    let place = tag.map_or(String::new(), |line| format!("{file}, line {line}: "));
    let (outcome, error) = match result {
        Ok(()) => (action.map_or("unchanged", done), None),
        Err(Error::Refused(Refusal::NeedsConsent { consents })) => {
            let why = needs_consent(consents);
            progress.println(&format!("held back: {place}product {id}: {why}"));
            ("needs-consent", Some(why))
        }
        Err(Error::Refused(refusal @ (Refusal::Exists | Refusal::Missing))) => {
            let why = row_refused(refusal, command.unwrap_or_default());
            progress.println(&format!("error: {place}product {id}: {why}"));
            ("failed", Some(why))
        }
        Err(e) => {
            let e = one_line(e);
            progress.println(&format!("error: {place}product {id}: {e}"));
            ("failed", Some(e))
        }
    };
    let mut outcomes = lock(outcomes);
    outcomes.report.add(&Entry {
        line: tag,
        id: Some(id.as_str()),
        command: command.map(Command::name),
        outcome,
        error,
    });
    if let Some(line) = tag {
        outcomes.reported.insert(line);
    }
}

/// Why a change was left untouched, and the flag that allows it.
fn needs_consent(consents: &[Consent]) -> String {
    let reasons: Vec<&str> = consents
        .iter()
        .map(|consent| match consent {
            Consent::Recreate => {
                "its groups change, so it would be deleted and created again (pass --allow-recreate)"
            }
            Consent::PriceJump => {
                "its price changes by a factor of ten or more (pass --yes, or answer yes on a terminal)"
            }
            _ => "a change that needs consent",
        })
        .collect();
    format!("left untouched: {}", reasons.join("; and "))
}

/// What became of a row nothing was written for: `ignored` when its command said so.
fn unchanged(row: &Row) -> &'static str {
    match row.command {
        Command::Ignore => "ignored",
        _ => "unchanged",
    }
}

fn done(action: Action) -> &'static str {
    match action {
        Action::Create => "created",
        Action::Update => "updated",
        Action::Recreate => "recreated",
        Action::Delete => "deleted",
        _ => "changed",
    }
}

fn would(action: Action) -> &'static str {
    match action {
        Action::Create => "would-create",
        Action::Update => "would-update",
        Action::Recreate => "would-recreate",
        Action::Delete => "would-delete",
        _ => "would-change",
    }
}

/// What the plan does to `id`, from its changes (sorted by id).
fn planned(changes: &[(&str, Action, FieldSet)], id: &str) -> Option<Action> {
    let i = changes.binary_search_by(|c| c.0.cmp(id)).ok()?;
    changes.get(i).map(|c| c.1)
}

/// Why the plan refused `id`'s row, from its rejections (sorted by id).
fn rejected<'a>(rejections: &'a [(&str, Refusal, Option<u64>)], id: &str) -> Option<&'a Refusal> {
    let i = rejections.binary_search_by(|r| r.0.cmp(id)).ok()?;
    rejections.get(i).map(|r| &r.1)
}

/// A row the plan refused, with the command that made it so.
fn row_refused(refusal: &Refusal, command: Command) -> String {
    format!("{refusal} (the row's command is {})", command.name())
}

/// The consents `id` lacks, from the plan's held-back changes (sorted by id).
fn held<'a>(held_back: &'a [(&str, Vec<Consent>)], id: &str) -> Option<&'a [Consent]> {
    let i = held_back.binary_search_by(|h| h.0.cmp(id)).ok()?;
    held_back.get(i).map(|h| h.1.as_slice())
}

/// The plan on standard output.
fn print(plan: &Plan) -> Result<(), CliError> {
    let mut out = Output::open(None)?;
    write!(out, "{plan}")
        .and_then(|()| out.flush())
        .map_err(|e| out.error(e))?;
    out.commit()
}

/// Waits for the sync to let go of the callback, and takes what it wrote.
fn take(sync: CatalogSync, outcomes: Arc<Mutex<Outcomes>>) -> Result<Outcomes, CliError> {
    drop(sync); // holds the callback, and with it a clone of `outcomes`
    Arc::into_inner(outcomes)
        .map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner))
        .ok_or_else(|| CliError::Failed("the report is still being written".into()))
}

fn planning_error(e: Error) -> CliError {
    match e {
        // The file, read again, is not the one checked: say so plainly.
        Error::Source(why) => CliError::Failed(format!("{why}; nothing from it was applied")),
        e => CliError::Api(e),
    }
}

/// A refused plan's error, with the way out.
fn refused(refusal: &Refusal) -> CliError {
    let hint = match refusal {
        Refusal::TooManyDeletes { deletes, .. } => format!(
            "\nhint: if these deletes are meant, pass --max-deletes {deletes} (or --max-deletes 100%)"
        ),
        Refusal::EmptySource { .. } => {
            "\nhint: the file holds no product; is it the right file?".to_string()
        }
        _ => String::new(),
    };
    CliError::Failed(format!("not applied, nothing was sent: {refusal}{hint}"))
}

fn bad_rows_and_prune(bad_rows: usize, file: &Path) -> CliError {
    let (their, them) = if bad_rows == 1 {
        ("its product", "it")
    } else {
        ("their products", "them")
    };
    CliError::Failed(format!(
        "{bad_rows} row{} of {} could not be read, and --prune would delete {their}: fix {them}, or sync without --prune; nothing was sent",
        plural(bad_rows),
        file.display(),
    ))
}

/// The journal file of a run that may recreate, or repair: there when asked for
/// (`--allow-recreate`) or left by an earlier run. Removed at the end when this run created it
/// and left it empty, so runs without recreates leave no file behind.
struct JournalFile {
    path: PathBuf,
    created: bool,
}

impl JournalFile {
    /// The journal for the SDK, and the file to tidy up when the job ends (dropped).
    fn open(args: &JobArgs) -> Result<Option<(FileJournal, Self)>, CliError> {
        let path = args.journal.clone();
        let exists = path.exists();
        if !exists && !args.allow_recreate {
            return Ok(None);
        }
        let journal = FileJournal::open(&path).map_err(|e| journal_error(args, e))?;
        let file = Self {
            path,
            created: !exists,
        };
        Ok(Some((journal, file)))
    }
}

impl Drop for JournalFile {
    fn drop(&mut self) {
        let empty = std::fs::metadata(&self.path).is_ok_and(|m| m.len() == 0);
        if self.created && empty {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn journal_error(args: &JobArgs, source: std::io::Error) -> CliError {
    CliError::Input {
        what: format!(
            "cannot open the journal {} (choose another with --journal FILE)",
            args.journal.display()
        ),
        source,
    }
}

/// In a dry run nothing is restored; but a journal holding products a killed run left deleted
/// is worth a word.
fn note_pending(client: &Client, args: &JobArgs) {
    if !args.journal.exists() {
        return;
    }
    let Ok(journal) = FileJournal::open(&args.journal) else {
        return;
    };
    let scope = format!("{}/{}", client.account_id(), args.catalog);
    if let Ok(pending) = journal.pending(&scope)
        && !pending.is_empty()
    {
        crate::output::note(&format!(
            "note: the journal {} holds {} product{} an interrupted run left deleted; a run without --dry-run restores them first",
            args.journal.display(),
            pending.len(),
            plural(pending.len())
        ));
    }
}

fn status(success: bool) -> Status {
    if success {
        Status::Success
    } else {
        Status::SomeFailed
    }
}

/// The names of `fields`, as the plan names them.
fn names(fields: FieldSet) -> String {
    let names: Vec<&str> = fields.iter().map(|f| f.name()).collect();
    names.join(", ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
