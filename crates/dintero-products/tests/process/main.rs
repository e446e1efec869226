//! Tests that need the process to themselves, kept out of `tests/it`: the tracing test installs
//! a global subscriber (a per-thread one misses callsites another test's thread registered
//! first), and the body-memory test reads the process's peak resident memory, which the many
//! tests of `it` would raise. The two disturb each other by a few KiB at most. `environment`
//! runs this binary again with variables set, for `Client::from_env`.

#[path = "../it/common/mod.rs"]
mod common;
#[path = "../it/hostile/mod.rs"]
mod hostile;

mod body_memory;
mod environment;
mod traces;
