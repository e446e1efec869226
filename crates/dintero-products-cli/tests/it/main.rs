//! The command line's integration tests: one binary, one module per topic, so the SDK, the fake
//! and the test dependencies are linked once rather than once per file.

mod cli;
mod csv_round_trip;
mod doctor;
mod spreadsheets;
// A pseudo-terminal for standard input: Unix only.
#[cfg(unix)]
mod terminal;
mod xlsx;
