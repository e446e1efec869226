//! `dintero-products`, a command line for the Dintero Products API: list, export, import and
//! sync the catalogs, groups and products of an account, from CSV (as Excel writes it), `.xlsx`
//! workbooks and JSON Lines, with progress and a dry run. Built on the `dintero-products` SDK.
//!
//! ```text
//! dintero-products [--demo] [--account-id AID] [--client-id ID] [--client-secret-file FILE]
//!                  [--base-url URL] [--audience AUD] [--quiet] <command>
//!
//!   catalogs list [--format table|json] [--output FILE] [--limit N]
//!   catalogs create ID --name NAME
//!   catalogs delete ID [--yes]
//!   groups   list [--format table|json] [--output FILE] [--limit N]
//!   groups   get ID [--format table|json]
//!   groups   create ID --name NAME
//!   groups   delete ID
//!   products list   --catalog C [--name TEXT] [--format table|json] [--output FILE] [--limit N]
//!   products get    --catalog C ID [--format table|json]
//!   products delete --catalog C ID... [--concurrency N]
//!   products export --catalog C [--format jsonl|csv|xlsx] [--output FILE]
//!                   [--stock-columns [LOCATION,...]]
//!   products import --catalog C FILE [--format csv|xlsx|jsonl] [--delimiter SEP] [--dry-run]
//!                   [--allow-recreate] [--yes] [--journal FILE] [--report FILE] [--concurrency N]
//!   products sync   --catalog C FILE [--format csv|xlsx|jsonl] [--delimiter SEP] [--dry-run]
//!                   [--allow-recreate] [--yes] [--prune] [--max-deletes N|N%] [--journal FILE]
//!                   [--report FILE] [--concurrency N]
//!   doctor [--write] [--json] [--save FILE] [--record FILE] [--prefix PREFIX]
//!   completions bash|zsh|fish|elvish|powershell
//! ```
//!
//! `--demo` starts the project's fake server in the process, seeded with the demo catalog
//! `DEMO`, so every command can be tried without an account:
//! `dintero-products --demo products list --catalog DEMO`.
//!
//! Credentials come from `DINTERO_ACCOUNT_ID`, `DINTERO_CLIENT_ID`, `DINTERO_CLIENT_SECRET`,
//! `DINTERO_BASE_URL` and `DINTERO_AUDIENCE`, or the flags of the same names; the secret only
//! from the variable or `--client-secret-file` (`-` for standard input), and it is never
//! printed.
//!
//! Data goes to standard output or the `--output` file; progress (a bar on a terminal, a line
//! every 10,000 items or 5 seconds otherwise), notes and errors go to standard error. The exit
//! status is 0 when everything went through, 1 when some rows or writes failed, a change was
//! held back for want of consent or a plan was refused, 2 for usage and configuration errors.
//!
//! `products import` and `products sync` are one engine, the SDK's catalog sync (an import
//! never prunes): only the fields a file names change, an empty cell clears its field, a
//! product whose groups change is deleted and created again only with `--allow-recreate` (its
//! body first written to the `--journal`, so a killed run loses nothing), a price changed by a
//! factor of ten or more needs `--yes` (or a yes on a terminal), and a prune deletes at most
//! `--max-deletes` products and never from an empty file.
//!
//! # Files
//!
//! ```text
#![doc = include_str!("columns.txt")]
//! ```
//!
//! # As a library
//!
//! [`run`] is the whole program: the binary's `main` only calls it, and tests and benchmarks
//! call it the same way. The file readers and writers are public too ([`files`]), for programs
//! that produce or consume the same files.
//!
//! ```no_run
//! use dintero_products_cli::{Env, run};
//!
//! # async fn demo() {
//! let status = run(
//!     ["dintero-products", "--demo", "products", "export", "--catalog", "DEMO", "--output", "demo.csv"],
//!     &Env::from_process(),
//! )
//! .await;
//! # let _ = status;
//! # }
//! ```

#![warn(missing_docs)]

mod cli;
mod commands;
mod connect;
pub mod error;
pub mod files;
mod output;
mod progress;
mod report;

pub use connect::{DEMO_ACCOUNT_ID, Env};
pub use error::CliError;

use clap::Parser;
use cli::Cli;
use error::{EXIT_FAILED, EXIT_OK, Status};
use std::ffi::OsString;
use std::process::ExitCode;

/// Runs the command line `args` (the program's name first, as in `std::env::args_os()`) with
/// the client secret of `env` (the flags' `DINTERO_*` variables are read from the process's
/// environment), and returns its exit status: 0 when everything went through, 1 when some rows
/// or writes failed or a request failed, 2 for usage and configuration errors.
///
/// Output, progress and errors go to this process's standard output and standard error; a
/// confirmation is read from its standard input. Runs on the caller's tokio runtime, where
/// `--demo` also serves its fake server (the binary's runtime is multi-threaded).
pub async fn run<I, T>(args: I, env: &Env) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    ExitCode::from(run_code(args, env).await)
}

/// [`run`], with the exit status as a number.
pub async fn run_code<I, T>(args: I, env: &Env) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to standard output with 0; usage errors to standard error
            // with 2.
            let _ = e.print();
            return u8::try_from(e.exit_code()).unwrap_or(error::EXIT_USAGE);
        }
    };
    match commands::execute(cli, env).await {
        Ok(Status::Success) => EXIT_OK,
        Ok(Status::SomeFailed) => EXIT_FAILED,
        Err(e) if e.is_broken_pipe() => EXIT_OK,
        Err(e) => {
            output::note(&describe(&e));
            e.exit_code()
        }
    }
}

/// The error and its causes, with a hint where one helps.
fn describe(e: &CliError) -> String {
    let report = error::report(e);
    match e {
        CliError::Api(api) if api.is_unauthorized() || api.is_forbidden() => format!(
            "{report}\nhint: check DINTERO_ACCOUNT_ID, DINTERO_CLIENT_ID and the client secret (or try --demo)"
        ),
        _ => report,
    }
}
