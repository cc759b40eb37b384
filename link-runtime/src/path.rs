//! Field paths for Query, typed by the generated `paths` module.

use std::fmt;

/// A field path such as `sales_channels.stock_locations.name` or `products.*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldPath(String);

impl FieldPath {
    /// The dotted path, e.g. `sales_channels.name`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<FieldPath> for String {
    fn from(p: FieldPath) -> String {
        p.0
    }
}

impl AsRef<str> for FieldPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The relation path leading to a level of the query (empty at the root).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PathPrefix(String);

impl PathPrefix {
    /// The root level (no relation).
    pub fn root() -> Self {
        PathPrefix(String::new())
    }

    /// The dotted relation path (empty at the root).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path of a field at this level.
    pub fn field(&self, name: &str) -> FieldPath {
        if self.0.is_empty() {
            FieldPath(name.to_string())
        } else {
            FieldPath(format!("{}.{name}", self.0))
        }
    }

    /// The prefix of a relation at this level.
    pub fn relation(&self, name: &str) -> PathPrefix {
        if self.0.is_empty() {
            PathPrefix(name.to_string())
        } else {
            PathPrefix(format!("{}.{name}", self.0))
        }
    }
}

/// Generated path types of a root entity.
pub trait EntityPath {
    /// The entity name Query takes.
    const ENTITY: &'static str;
    /// The generated entity struct graph results deserialise into.
    type Output;
}
