//! The `dintero-products` program: everything is in the library's `run`, which tests and the
//! benchmark call too.

use dintero_products_cli::{Env, run};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    run(std::env::args_os(), &Env::from_process()).await
}
