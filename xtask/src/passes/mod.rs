//! Normalisation passes: each turns one quirk of a Dintero-style spec into something progenitor
//! generates cleanly, and says where it fired. They run in the order of [`PASSES`]; each is a
//! pure `Value -> Value` edit with unit tests beside it, so a spec fix is never a hand edit.

mod distinct_names;
mod guessed_success_codes;
mod keep_unknown_fields;
mod lenient_responses;
mod name_inline_responses;
mod read_only;
mod ref_siblings;
mod regex_format;
mod rename_operations;
mod shared_body_ids;
mod shared_params;
mod single_response_type;
mod split_shared_schemas;

use serde_json::Value;

/// What one pass did at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub pass: &'static str,
    /// JSON pointer into the document as it stood when the pass ran.
    pub at: String,
    pub what: String,
}

/// Collects the findings of every pass, for `--explain`.
#[derive(Debug, Default)]
pub struct Log {
    pub findings: Vec<Finding>,
    current: &'static str,
}

impl Log {
    pub fn note(&mut self, at: impl Into<String>, what: impl Into<String>) {
        self.findings.push(Finding {
            pass: self.current,
            at: at.into(),
            what: what.into(),
        });
    }
}

/// A named normalisation pass.
pub struct Pass {
    pub name: &'static str,
    /// Why the pass exists: the generator behaviour it works around.
    pub why: &'static str,
    pub run: fn(&mut Value, &mut Log),
}

/// The pipeline, in order. Later passes rely on earlier ones: names come from renamed
/// operationIds, guessed success codes are ranges before one success type is chosen, and the
/// request/response split must precede the passes that edit one side, and `keep-unknown-fields`
/// runs after every split and rename, on the final schema names.
pub const PASSES: &[Pass] = &[
    ref_siblings::PASS,
    regex_format::PASS,
    rename_operations::PASS,
    shared_params::PASS,
    guessed_success_codes::PASS,
    single_response_type::PASS,
    name_inline_responses::PASS,
    split_shared_schemas::PASS,
    shared_body_ids::PASS,
    read_only::PASS,
    lenient_responses::PASS,
    distinct_names::PASS,
    keep_unknown_fields::PASS,
];

/// Runs the given passes over `doc`, in the order given: the pipeline, or (in tests) the
/// pipeline less one pass.
pub fn normalise_with<'a>(doc: &mut Value, passes: impl IntoIterator<Item = &'a Pass>) -> Log {
    let mut log = Log::default();
    for pass in passes {
        log.current = pass.name;
        (pass.run)(doc, &mut log);
    }
    log
}

/// Runs one pass in isolation, for tests.
#[cfg(test)]
pub fn run_one(pass: &Pass, doc: &mut Value) -> Vec<Finding> {
    let mut log = Log {
        current: pass.name,
        ..Log::default()
    };
    (pass.run)(doc, &mut log);
    log.findings
}
