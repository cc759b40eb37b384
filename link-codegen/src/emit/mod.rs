//! Emitters: validated graph -> generated files.

pub mod docs;
pub mod rust;
/// SQL of link tables per dialect (in `link-model`, shared with the runtime).
pub use link_model::sql;
