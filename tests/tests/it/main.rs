//! The end-to-end tests: one binary, one module per topic, so the SDK and the fake are linked
//! once rather than once per file.

mod api_facts;
mod doctor;
mod e2e;
mod ergonomics;
mod jobs;
mod sync_intents;
