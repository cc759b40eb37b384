//! Front ends: each turns its input into the spanned [`crate::ast::Document`].

pub mod attr;
pub mod keys;
pub mod toml;
