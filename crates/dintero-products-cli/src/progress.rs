//! Progress on standard error: an `indicatif` bar with counts and rate on a terminal, plain
//! lines every few thousand items or seconds elsewhere (a log, CI), nothing with `--quiet`.
//! Never on standard output, which carries data.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Plain lines: one every this many items...
const LINE_EVERY_ITEMS: u64 = 10_000;
/// ...or after this long, whichever comes first.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A bar redrawn in place: standard error is a terminal.
    Bar,
    /// A line now and then: standard error is a file or a pipe.
    Lines,
    /// Nothing (`--quiet`).
    Off,
}

impl Mode {
    /// The mode for this process: `quiet` turns it off; otherwise a bar on a terminal.
    pub(crate) fn detect(quiet: bool) -> Self {
        if quiet {
            Mode::Off
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines
        }
    }
}

/// The progress of one job; cheap to clone, shared with the callbacks that count.
#[derive(Clone)]
pub(crate) struct Progress {
    inner: Arc<Inner>,
}

struct Inner {
    mode: Mode,
    /// What is being counted, such as `exported`.
    verb: String,
    /// What the items are, such as `products`.
    noun: &'static str,
    state: Mutex<State>,
}

struct State {
    /// The bar on screen, in [`Mode::Bar`]; replaced when a count with a total starts.
    bar: Option<ProgressBar>,
    count: u64,
    total: Option<u64>,
    started: Instant,
    last_line: Instant,
    last_count: u64,
    /// The first word of the last stage printed as a line.
    last_stage: String,
}

impl Progress {
    /// Progress of `verb` `noun`s (`exported`, `products`), shown as a spinner with the count
    /// and the rate until [`set_total`](Self::set_total) gives it an end.
    pub(crate) fn new(mode: Mode, verb: impl Into<String>, noun: &'static str) -> Self {
        let verb = verb.into();
        let bar = (mode == Mode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(spinner_style(&verb, noun));
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let now = Instant::now();
        Self {
            inner: Arc::new(Inner {
                mode,
                verb,
                noun,
                state: Mutex::new(State {
                    bar,
                    count: 0,
                    total: None,
                    started: now,
                    last_line: now,
                    last_count: 0,
                    last_stage: String::new(),
                }),
            }),
        }
    }

    /// As [`new`](Self::new), but the spinner shows only what is being done
    /// ([`stage`](Self::stage)) until [`set_total`](Self::set_total) starts the count: for a
    /// job that plans before it works.
    pub(crate) fn stages(mode: Mode, verb: impl Into<String>, noun: &'static str) -> Self {
        let progress = Self::new(mode, verb, noun);
        if let Some(bar) = progress.bar() {
            let style = ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
        }
        progress
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while counting leaves the counts usable.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn bar(&self) -> Option<ProgressBar> {
        self.state().bar.clone()
    }

    /// Starts counting anew towards `total`: a bar with an end and an estimate.
    pub(crate) fn set_total(&self, total: u64) {
        let mut state = self.state();
        if let Some(old) = state.bar.take() {
            old.finish_and_clear();
        }
        if self.inner.mode == Mode::Bar {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(bar_style(&self.inner.verb, self.inner.noun));
            bar.enable_steady_tick(Duration::from_millis(120));
            state.bar = Some(bar);
        }
        let now = Instant::now();
        state.total = Some(total);
        state.count = 0;
        state.started = now;
        state.last_line = now;
        state.last_count = 0;
    }

    /// Says what is being done now: beside the bar, or as a line when its first word changes
    /// or every few seconds (so a stage reported a thousand times prints a few lines).
    pub(crate) fn stage(&self, text: &str) {
        if let Some(bar) = self.bar() {
            bar.set_message(text.to_string());
            return;
        }
        if self.inner.mode != Mode::Lines || text.is_empty() {
            return;
        }
        let mut state = self.state();
        let word = text.split_whitespace().next().unwrap_or_default();
        let now = Instant::now();
        if state.last_stage != word || now.duration_since(state.last_line) >= LINE_EVERY {
            state.last_stage = word.to_string();
            state.last_line = now;
            drop(state);
            crate::output::note(text);
        }
    }

    /// `n` more items done.
    pub(crate) fn inc(&self, n: u64) {
        if self.inner.mode == Mode::Off {
            return;
        }
        let mut state = self.state();
        state.count += n;
        if let Some(bar) = &state.bar {
            bar.inc(n);
            return;
        }
        let now = Instant::now();
        let due = state.count / LINE_EVERY_ITEMS > state.last_count / LINE_EVERY_ITEMS
            || now.duration_since(state.last_line) >= LINE_EVERY;
        if due {
            state.last_line = now;
            state.last_count = state.count;
            let text = self.line(&state, "so far");
            drop(state);
            crate::output::note(&text);
        }
    }

    /// Prints a line above the bar (an error about one row, say); shown whatever the mode.
    pub(crate) fn println(&self, text: &str) {
        self.suspend(|| crate::output::note(text));
    }

    /// Runs `f` with the bar hidden, so what it prints is not drawn over.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match self.bar() {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Takes the bar off the screen without a word (before a question, or when nothing was
    /// counted); [`set_total`](Self::set_total) can start another.
    pub(crate) fn clear(&self) {
        if let Some(bar) = self.state().bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Ends the bar, and prints how many items were done and how fast, unless quiet.
    pub(crate) fn finish(&self) {
        self.clear();
        if self.inner.mode == Mode::Off {
            return;
        }
        let text = self.line(&self.state(), "in all");
        crate::output::note(&text);
    }

    fn line(&self, state: &State, when: &str) -> String {
        let elapsed = state.started.elapsed();
        let rate = state.count as f64 / elapsed.as_secs_f64().max(1e-3);
        let of = state.total.map(|t| format!(" of {t}")).unwrap_or_default();
        format!(
            "{} {}{of} {} {when} ({:.1} s, {:.0}/s)",
            self.inner.verb,
            state.count,
            self.inner.noun,
            elapsed.as_secs_f64(),
            rate
        )
    }
}

fn spinner_style(verb: &str, noun: &str) -> ProgressStyle {
    let template =
        format!("{{spinner}} {verb} {{human_pos}} {noun} ({{rate}}, {{elapsed}}) {{msg}}");
    ProgressStyle::with_template(&template)
        .map(with_rate)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar_style(verb: &str, noun: &str) -> ProgressStyle {
    let template = format!(
        "{verb} [{{bar:30}}] {{human_pos}}/{{human_len}} {noun} ({{rate}}, eta {{eta}}) {{msg}}"
    );
    ProgressStyle::with_template(&template)
        .map(|s| with_rate(s).progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// `{rate}`: items a second, whole (indicatif's `{per_sec}` shows four decimals).
fn with_rate(style: ProgressStyle) -> ProgressStyle {
    style.with_key(
        "rate",
        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0}/s", state.per_sec());
        },
    )
}

/// Flushes standard error (before a prompt).
pub(crate) fn flush_stderr() {
    let _ = std::io::stderr().flush();
}
