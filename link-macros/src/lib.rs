//! `#[define_link]` lands here; all logic lives in `link-codegen`.
