//! What can stop a command, and the exit status each gets.

use std::io;

/// Exit status: everything went through.
pub const EXIT_OK: u8 = 0;
/// Exit status: some rows or writes failed, or a request failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status: a usage or configuration error (clap uses it for its own usage errors too).
pub const EXIT_USAGE: u8 = 2;

/// An error that stops a command. Row-level problems are not errors of this kind: they are
/// reported, counted, and the command goes on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The command line or the configuration cannot work: a missing account id or secret, a
    /// file that cannot be opened, a CSV file without a header row, `--prune` without `--yes`
    /// off a terminal.
    #[error("{0}")]
    Usage(String),

    /// An input file could not be opened or read.
    #[error("{what}: {source}")]
    Input {
        /// What was being done, naming the file.
        what: String,
        /// Why it failed.
        #[source]
        source: io::Error,
    },

    /// Output could not be written.
    #[error("{what}: {source}")]
    Output {
        /// What was being written.
        what: String,
        /// Why it failed.
        #[source]
        source: io::Error,
    },

    /// The SDK failed: a request, the credentials, or a value it refused.
    #[error(transparent)]
    Api(#[from] dintero_products::Error),

    /// The work could not be done as asked, such as a sync whose file changed while it was
    /// being read; nothing more was sent.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    /// The exit status: 2 for usage and configuration (including credentials the token
    /// endpoint refuses, and ids the SDK refuses before sending), 1 for the rest.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Input { .. } => EXIT_USAGE,
            CliError::Api(e) => match e {
                dintero_products::Error::Config(_) | dintero_products::Error::InvalidInput(_) => {
                    EXIT_USAGE
                }
                dintero_products::Error::Auth(_)
                    if e.status()
                        .is_some_and(|s| matches!(s.as_u16(), 400 | 401 | 403)) =>
                {
                    EXIT_USAGE
                }
                _ => EXIT_FAILED,
            },
            CliError::Output { .. } | CliError::Failed(_) => EXIT_FAILED,
        }
    }

    /// Whether this is standard output closing early (`| head`): the reader has what it
    /// wanted, so the command ends quietly.
    pub(crate) fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// The outcome of a command that ran to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Everything went through.
    Success,
    /// Some rows or writes failed; they were reported.
    SomeFailed,
}
