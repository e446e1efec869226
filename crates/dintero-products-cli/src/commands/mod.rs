//! What each command does, on top of the SDK.

mod doctor;
mod export;
mod import;
mod job;
mod resources;
mod source;
mod sync;

use crate::cli::{Cli, Command};
use crate::connect::{Env, connect};
use crate::error::{CliError, Status};
use crate::output::Output;
use crate::progress::{self, Mode};
use clap::CommandFactory;
use std::io::{self, BufRead, IsTerminal, Write};

/// Runs a parsed command line.
pub(crate) async fn execute(cli: Cli, env: &Env) -> Result<Status, CliError> {
    let mode = Mode::detect(cli.global.quiet);
    if let Command::Completions { shell } = cli.command {
        // Into memory first: `generate` panics when its writer fails (a closed pipe, say).
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "dintero-products", &mut script);
        let mut out = Output::open(None)?;
        out.write_all(&script).map_err(|e| out.error(e))?;
        out.commit()?;
        return Ok(Status::Success);
    }
    let connection = connect(&cli.global, env).await?;
    let client = &connection.client;
    match cli.command {
        Command::Catalogs(command) => resources::catalogs(client, command).await,
        Command::Groups(command) => resources::groups(client, command).await,
        Command::Products(command) => resources::products(client, command, mode).await,
        Command::Doctor(args) => doctor::doctor(client, args).await,
        Command::Completions { .. } => Ok(Status::Success),
    }
}

/// Whether a person can answer a question on standard input.
fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// Refuses, as a usage error, a destructive command that cannot ask: standard input is not a
/// terminal and `--yes` was not given.
fn require_yes_off_terminal(yes: bool, what: &str) -> Result<(), CliError> {
    if yes || stdin_is_terminal() {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "{what}: pass --yes to confirm (standard input is not a terminal, so nobody can be asked)"
        )))
    }
}

/// Asks `question` on the terminal; true for `y` or `yes`.
fn ask(question: &str) -> Result<bool, CliError> {
    progress::flush_stderr();
    confirm(question, &mut io::stdin().lock(), &mut io::stderr()).map_err(|source| {
        CliError::Input {
            what: "cannot read the answer".into(),
            source,
        }
    })
}

/// Writes `question` and `[y/N]` to `output`, reads one line of `input`: true for `y` or
/// `yes` in any case, false for anything else, an empty line or the end of input.
pub(crate) fn confirm(
    question: &str,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> io::Result<bool> {
    write!(output, "{question} [y/N] ")?;
    output.flush()?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

#[cfg(test)]
mod tests {
    use super::confirm;

    fn answer(text: &str) -> (bool, String) {
        let mut shown = Vec::new();
        let yes = confirm("Delete 3 products?", &mut text.as_bytes(), &mut shown).unwrap_or(false);
        (yes, String::from_utf8_lossy(&shown).into_owned())
    }

    #[test]
    fn only_yes_confirms() {
        assert_eq!(answer("y\n"), (true, "Delete 3 products? [y/N] ".into()));
        assert!(answer("YES\n").0);
        assert!(answer(" yes \r\n").0);
        assert!(!answer("\n").0);
        assert!(!answer("").0, "the end of input is a no");
        assert!(!answer("no\n").0);
        assert!(!answer("yess\n").0);
    }
}
