//! The integration tests, one module per former test binary, linked into
//! one binary: a cold `cargo test --workspace` links the runtime, sqlx and
//! tokio into this one executable instead of one per file, and the modules'
//! tests run in parallel threads instead of one binary after another.
//! Snapshots are named after the module (`integration__<module>__<test>`).

mod support;

mod build_helper;
mod codegen;
mod compile_fixtures;
mod db_lifecycle;
mod diagnostics;
mod fuzz;
mod guide;
mod link_service;
mod macro_expand;
mod medusa_oracle;
mod migrations;
mod query;
mod query_placement;
mod schema;
mod seed;
mod sql_apply;
mod storefront;
mod typed_query;
mod workflow;
