//! The fake's integration tests, in one test binary: one link instead of one per file, which is
//! most of a cold test run's time on a small machine. One module per topic.

mod auth;
mod binary;
mod common;
mod crud;
mod dialects;
mod faults;
mod layering;
mod pagination;
mod path_ids;
mod rate_limit;
mod seeding;
