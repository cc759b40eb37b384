//! Compile-fail cases of `#[define_link]`, `#[derive(Select)]`, typed ids
//! and rooted paths (`ui/*.rs`, with the errors they must give in
//! `ui/*.stderr`), run by `tests/macro_ui.rs`: rustc checks each case
//! against the runtime and macros this workspace's test build already
//! compiled, so the cases cost no second build of the runtime and sqlx.
