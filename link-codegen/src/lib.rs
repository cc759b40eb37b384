//! All logic of module links: parsing (`links.toml`, `#[define_link]` tokens),
//! validation into the [`link_model::LinkGraph`], and emitting (Rust, SQL, docs).
//!
//! Pipeline: front end -> [`ast::Document`] (spanned) -> [`validate::validate`]
//! (collects every problem) -> emitters.

pub mod ast;
pub mod build;
pub mod diagnostic;
pub mod emit;
pub mod expand;
pub mod generate;
pub mod json_schema;
pub mod migrations;
pub mod names;
pub mod parse;
pub mod select;
/// The link-table schema as a value (in `link-model`, shared with the runtime).
pub use link_model::schema;
pub mod validate;

use std::ops::Range;

pub use build::{BuildError, build};
pub use diagnostic::{Diagnostic, Diagnostics};
pub use generate::{Codegen, CodegenError, OutputFile, Plan};
pub use validate::{CodegenConfig, Validated};

/// Parses and validates `links.toml` text.
///
/// On failure returns every problem, rendered with file, line, column, the
/// offending text underlined and a hint.
pub fn check_toml(file_name: &str, source: &str) -> Result<Validated, CheckError> {
    let mut diags = Diagnostics::default();
    let doc = parse::toml::parse(source, &mut diags);
    let validated = validate::validate(&doc, &mut diags);
    match validated {
        Some(v) if diags.is_empty() => Ok(v),
        _ => Err(CheckError {
            rendered: diagnostic::render(file_name, source, &diags.list),
            diagnostics: diags.list,
        }),
    }
}

/// Every problem of one definition file. `Debug` shows the rendering, as
/// `Display` does (so `.unwrap()` prints the diagnostics, not a struct).
#[derive(Clone)]
pub struct CheckError {
    /// Every problem, in the order reported.
    pub diagnostics: Vec<Diagnostic<Range<usize>>>,
    /// Plain-text rendering (no colour) of all diagnostics.
    pub rendered: String,
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.rendered)
    }
}

impl std::fmt::Debug for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.rendered)
    }
}

impl std::error::Error for CheckError {}
