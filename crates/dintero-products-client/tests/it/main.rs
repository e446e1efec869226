//! The client crate's integration tests: one binary, one module per topic, so the client and
//! its test dependencies are linked once rather than once per file.

// The other-shape client's generated code names `crate::Hooks` and `crate::path::encode_path`,
// as the client crate's own does; in this binary `crate` is this file.
use dintero_products_client::{Hooks, path};

mod decode;
mod other_shape;
mod path_encoding;
mod success_codes;
