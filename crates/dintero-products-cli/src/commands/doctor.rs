//! `doctor`: the SDK's guesses about Dintero's API checked against the account, as a table
//! (or one JSON object), with the exit status saying whether every one held.

use crate::cli::DoctorArgs;
use crate::error::{CliError, Status};
use crate::output::{Output, line, note, table, write_table};
use dintero_products::{Client, DoctorReport, Finding, Leftover};
use serde_json::Value;
use std::fs::File;
use std::io::BufWriter;

/// Runs the doctor; with `--write` its cleanup also runs on Ctrl-C, and whatever it could not
/// delete is named.
pub(crate) async fn doctor(client: &Client, args: DoctorArgs) -> Result<Status, CliError> {
    let mut doctor = client.doctor().write(args.write);
    if let Some(prefix) = args.prefix {
        doctor = doctor.prefix(prefix);
    }
    if let Some(path) = &args.record {
        let file = File::create(path).map_err(|source| CliError::Output {
            what: format!("cannot write the transcript {}", path.display()),
            source,
        })?;
        doctor = doctor.record(BufWriter::new(file));
    }
    let cleanup = doctor.cleanup();
    let report = tokio::select! {
        report = doctor.run() => report,
        _ = tokio::signal::ctrl_c() => {
            note("interrupted: deleting what the doctor created");
            let left = cleanup.run().await;
            say_leftovers(&left);
            return Err(CliError::Failed("interrupted; nothing else was checked".into()));
        }
    };
    let report = match report {
        Ok(report) => report,
        Err(error) => {
            // What was found before the API refused (the token facts) is worth showing.
            if let Some(report) = error.report() {
                print(report, args.json)?;
            }
            return Err(CliError::Doctor(error));
        }
    };
    print(&report, args.json)?;
    say_leftovers(report.not_cleaned_up());
    if let Some(error) = report.transcript_error() {
        note(&format!("warning: the transcript is incomplete: {error}"));
    }
    if let Some(path) = &args.save {
        report
            .facts()
            .save(path)
            .map_err(|e| CliError::Failed(format!("cannot save {}: {e}", path.display())))?;
        note(&format!(
            "saved {}: give it to the SDK with DINTERO_API_FACTS={} or --api-facts",
            path.display(),
            path.display()
        ));
    }
    Ok(if report.all_hold() {
        Status::Success
    } else {
        Status::SomeFailed
    })
}

/// The report on standard output: a table of facts, or one JSON object.
fn print(report: &DoctorReport, json: bool) -> Result<(), CliError> {
    let mut out = Output::open(None)?;
    if json {
        line(&mut out, &report.to_json().to_string())?;
        return out.commit();
    }
    let mut rows = table(&["fact", "assumed", "observed", "holds"]);
    for (fact, finding) in report.iter() {
        rows.add_row([
            fact.name().to_string(),
            shown(&finding.assumed),
            observed(finding),
            holds(finding).to_string(),
        ]);
    }
    write_table(&mut out, &rows, "no facts")?;
    let contradicted = report.contradicted().count();
    let skipped = report.skipped().count();
    line(
        &mut out,
        &format!(
            "{} facts: {} hold, {contradicted} do not, {skipped} not checked",
            report.iter().count(),
            report.iter().count() - contradicted - skipped,
        ),
    )?;
    if contradicted > 0 {
        line(
            &mut out,
            "A fact that does not hold is a guess of ours that is wrong: run again with --record FILE and send the file with the table (it holds no secret or token).",
        )?;
    }
    out.commit()
}

fn holds(finding: &Finding) -> &'static str {
    match (finding.is_skipped(), finding.holds) {
        (true, _) => "-",
        (false, true) => "yes",
        (false, false) => "NO",
    }
}

fn observed(finding: &Finding) -> String {
    match (&finding.observed, &finding.skipped) {
        (Some(value), _) => shown(value),
        (None, Some(why)) => format!("(not checked: {why})"),
        (None, None) => "-".to_string(),
    }
}

/// A JSON value as a person reads it: a string without its quotes.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

fn say_leftovers(left: &[Leftover]) {
    if left.is_empty() {
        return;
    }
    note("the doctor could not delete what it created; delete these by hand:");
    for leftover in left {
        note(&format!("  {leftover}"));
    }
}
