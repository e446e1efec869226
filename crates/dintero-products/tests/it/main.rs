//! The SDK against loopback servers, in one test binary: one link instead of one per file, which
//! is most of a cold test run's time on a small machine. Tests that need a process of their own
//! are in `tests/process`.

mod auth;
mod common;
mod errors;
mod hostile;
mod input;
mod pagination;
mod resources;
mod retries;
