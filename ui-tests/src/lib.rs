//! Compile-fail cases of `#[define_link]` (`ui/*.rs`, with the errors they
//! must give in `ui/*.stderr`), run by `tests/macro_ui.rs`.
//!
//! They live in this small crate because trybuild builds every case with
//! the dependencies of the crate its test belongs to: here the runtime and
//! the macros, so a cold run does not also build the integration tests'
//! dependencies (Postgres drivers, insta, divan, the storefront, …).
