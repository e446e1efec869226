//! What can stop a command, and the exit status each gets.

use std::io;

/// Exit status: everything went through.
pub const EXIT_OK: u8 = 0;
/// Exit status: some rows or writes failed, or a request failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status: a usage or configuration error (clap uses it for its own usage errors too),
/// credentials the token endpoint refuses, or input the SDK refuses before sending anything.
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
    #[error("{what}")]
    Input {
        /// What was being done, naming the file.
        what: String,
        /// Why it failed.
        #[source]
        source: io::Error,
    },

    /// Output could not be written.
    #[error("{what}")]
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

    /// The doctor could not run: `--write` on a production account, a bad prefix, or an API
    /// it could not use (its partial table is printed first).
    #[error(transparent)]
    Doctor(#[from] dintero_products::DoctorError),
    /// The work could not be done as asked, such as a sync whose file changed while it was
    /// being read; nothing more was sent.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    /// The exit status, by the kind of failure: 2 for usage and configuration (a bad setting,
    /// credentials the token endpoint refuses, input the SDK refuses before sending), 1 for
    /// the rest (a request or the work failed).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Input { .. } | CliError::Doctor(_) => EXIT_USAGE,
            CliError::Api(e) if e.is_config() || e.is_invalid_input() => EXIT_USAGE,
            CliError::Api(e)
                if e.is_auth()
                    && e.status()
                        .is_some_and(|s| matches!(s.as_u16(), 400 | 401 | 403)) =>
            {
                EXIT_USAGE
            }
            CliError::Api(_) | CliError::Output { .. } | CliError::Failed(_) => EXIT_FAILED,
        }
    }

    /// Whether this is standard output closing early (`| head`): the reader has what it
    /// wanted, so the command ends quietly.
    pub(crate) fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// `error` and its causes on one line, `: ` between them, for a failure among others (a row, a
/// write) that gets one line of the output or the report.
pub(crate) fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    causes(error).collect::<Vec<_>>().join(": ")
}

/// `error` for the end of a command: its message, then a `caused by:` line for each cause.
pub(crate) fn report(error: &(dyn std::error::Error + 'static)) -> String {
    let mut causes = causes(error);
    let mut text = format!("error: {}", causes.next().unwrap_or_default());
    for cause in causes {
        text.push_str("\ncaused by: ");
        text.push_str(&cause);
    }
    text
}

/// The messages of `error` and of each of its sources; a cause with the same message as the
/// one before (an error of another crate that wraps without adding) is shown once.
fn causes(error: &(dyn std::error::Error + 'static)) -> impl Iterator<Item = String> {
    let mut last = String::new();
    std::iter::successors(Some(error), |e| e.source()).filter_map(move |e| {
        let message = e.to_string();
        if message.is_empty() || message == last {
            return None;
        }
        last.clone_from(&message);
        Some(message)
    })
}

/// The outcome of a command that ran to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Everything went through.
    Success,
    /// Some rows or writes failed; they were reported.
    SomeFailed,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error of another crate that wraps its cause and repeats it word for word.
    #[derive(Debug)]
    struct Same(io::Error);
    impl std::fmt::Display for Same {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.0.fmt(f)
        }
    }
    impl std::error::Error for Same {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_report_shows_each_cause_once_on_a_line_of_its_own() {
        let denied = || io::Error::new(io::ErrorKind::PermissionDenied, "permission denied");
        let error = CliError::Input {
            what: "cannot open prices.csv".into(),
            source: denied(),
        };
        assert_eq!(
            report(&error),
            "error: cannot open prices.csv\ncaused by: permission denied"
        );
        assert_eq!(
            one_line(&error),
            "cannot open prices.csv: permission denied"
        );

        let wrapped = CliError::Output {
            what: "cannot write out.csv".into(),
            source: io::Error::other(Same(denied())),
        };
        assert_eq!(
            report(&wrapped),
            "error: cannot write out.csv\ncaused by: permission denied"
        );
    }

    #[test]
    fn exit_statuses_follow_the_kind_of_failure() {
        use dintero_products::Error;
        let config = CliError::Api(
            dintero_products::Client::builder()
                .build()
                .expect_err("no account id"),
        );
        assert_eq!(config.exit_code(), EXIT_USAGE);
        let input = CliError::Api(Error::from(
            dintero_products::ProductId::new("").expect_err("empty"),
        ));
        assert_eq!(input.exit_code(), EXIT_USAGE);
        let failed = CliError::Api(Error::NotFound {
            what: "group",
            id: "B1".into(),
        });
        assert_eq!(failed.exit_code(), EXIT_FAILED);
        assert_eq!(CliError::Usage("x".into()).exit_code(), EXIT_USAGE);
        assert_eq!(CliError::Failed("x".into()).exit_code(), EXIT_FAILED);
    }
}
