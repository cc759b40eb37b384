//! Emitters: validated graph -> generated files.

pub mod docs;
pub mod rust;
pub mod sql;
