//! Module tables, read-only: every declared model field must be a column of
//! the model's live table with a compatible type. Module tables belong to
//! their modules (created by the modules' own migrations), so they are only
//! reported on, never altered.
//!
//! Compatibility of a declared type with a live column type (Postgres: the
//! catalog's `format_type`; SQLite: the declared column type, by affinity):
//!
//! | declared | Postgres | SQLite |
//! |---|---|---|
//! | `text` | `text`, `character varying`, `character`, `citext` | `TEXT`, `*CHAR*`, `CLOB` |
//! | `enum` | any enum (user-defined) type, the text types | `TEXT`, `*CHAR*`, `CLOB` |
//! | `uuid` | `uuid`, the text types | `TEXT`, `*CHAR*`, `UUID`, `BLOB` |
//! | `integer`, `bigint` | `smallint`, `integer`, `bigint` | `*INT*` |
//! | `boolean` | `boolean` | `BOOL*`, `*INT*` |
//! | `float`, `double`, `decimal` | `real`, `double precision`, `numeric` | `REAL`, `FLOA*`, `DOUB*`, `NUMERIC`, `DECIMAL*`, `*INT*` |
//! | `timestamp` | `timestamp with(out) time zone` | `TEXT`, `DATETIME`, `TIMESTAMP*`, `NUMERIC`, `*INT*`, `REAL` |
//! | `date` | `date` | `TEXT`, `DATE`, `DATETIME`, `NUMERIC`, `*INT*` |
//! | `json` | `json`, `jsonb` | `TEXT`, `JSON*`, `BLOB` |

use std::fmt;

use link_model::{LinkGraph, ScalarType};

use super::Snapshot;
use crate::db::Dialect;

/// A problem of one module table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelProblem {
    /// A declared field has no column.
    MissingColumn {
        /// The field.
        field: String,
    },
    /// A declared field's column has a type the declared type does not
    /// accept (see the module docs).
    IncompatibleType {
        /// The field.
        field: String,
        /// The declared type name.
        declared: String,
        /// The live column type.
        found: String,
    },
}

impl fmt::Display for ModelProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelProblem::MissingColumn { field } => {
                write!(f, "field {field}: no such column")
            }
            ModelProblem::IncompatibleType {
                field,
                declared,
                found,
            } => write!(
                f,
                "field {field}: declared {declared}, the column is {found}"
            ),
        }
    }
}

/// One declared model's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelTable {
    /// `module.model`.
    pub model: String,
    /// The model's table.
    pub table: String,
    /// `false`: the table does not exist here (its module has not created
    /// it, or it lives in another database).
    pub present: bool,
    /// What is wrong with it (empty when absent).
    pub problems: Vec<ModelProblem>,
}

/// Whether a live column of type `live` (catalog spelling) holds values of
/// the declared type `ty`.
pub fn compatible(ty: ScalarType, live: &str, d: Dialect) -> bool {
    use ScalarType as T;
    match d {
        Dialect::Postgres => {
            let base = live.split('(').next().unwrap_or(live).trim();
            let text = matches!(base, "text" | "character varying" | "character" | "citext");
            let known = [
                "text",
                "character varying",
                "character",
                "citext",
                "uuid",
                "smallint",
                "integer",
                "bigint",
                "boolean",
                "real",
                "double precision",
                "numeric",
                "timestamp with time zone",
                "timestamp without time zone",
                "date",
                "json",
                "jsonb",
                "bytea",
            ];
            match ty {
                // Enum types are shown by their own name: only `enum`
                // fields read them (as text; a `text` field would not
                // decode).
                T::Text => text,
                T::Enum => text || !known.contains(&base),
                T::Uuid => base == "uuid" || text,
                T::Integer | T::BigInt => matches!(base, "smallint" | "integer" | "bigint"),
                T::Boolean => base == "boolean",
                T::Float | T::Double | T::Decimal => {
                    matches!(base, "real" | "double precision" | "numeric")
                }
                T::Timestamp => base.starts_with("timestamp"),
                T::Date => base == "date",
                T::Json => matches!(base, "json" | "jsonb"),
            }
        }
        Dialect::Sqlite => {
            let t = live.trim().to_ascii_uppercase();
            let int = t.contains("INT");
            let text = t == "TEXT" || t.contains("CHAR") || t.contains("CLOB");
            match ty {
                T::Text | T::Enum => text,
                T::Uuid => text || t == "UUID" || t == "BLOB",
                T::Integer | T::BigInt => int,
                T::Boolean => t.starts_with("BOOL") || int,
                T::Float | T::Double | T::Decimal => {
                    t == "REAL"
                        || t.starts_with("FLOA")
                        || t.starts_with("DOUB")
                        || t == "NUMERIC"
                        || t.starts_with("DECIMAL")
                        || int
                }
                T::Timestamp => {
                    t == "TEXT"
                        || t == "DATETIME"
                        || t.starts_with("TIMESTAMP")
                        || t == "NUMERIC"
                        || t == "REAL"
                        || int
                }
                T::Date => t == "TEXT" || t == "DATE" || t == "DATETIME" || t == "NUMERIC" || int,
                T::Json => t == "TEXT" || t.starts_with("JSON") || t == "BLOB",
            }
        }
    }
}

/// Every declared model's table, in declaration order, checked against the
/// live tables of `snap`.
pub(super) fn check(graph: &LinkGraph, snap: &Snapshot, d: Dialect) -> Vec<ModelTable> {
    let mut out = Vec::new();
    for module in graph.modules.iter() {
        for model in module.models.iter() {
            let live = snap.tables.get(&*model.table);
            let problems = live.map_or_else(Vec::new, |live| {
                model
                    .fields
                    .iter()
                    .filter_map(|f| match live.column(&f.name) {
                        None => Some(ModelProblem::MissingColumn {
                            field: f.name.to_string(),
                        }),
                        Some(c) if !compatible(f.ty, &c.ty, d) => {
                            Some(ModelProblem::IncompatibleType {
                                field: f.name.to_string(),
                                declared: f.ty.name().to_string(),
                                found: c.ty.clone(),
                            })
                        }
                        Some(_) => None,
                    })
                    .collect()
            });
            out.push(ModelTable {
                model: format!("{}.{}", module.name, model.name),
                table: model.table.to_string(),
                present: live.is_some(),
                problems,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_rules() {
        use ScalarType as T;
        let pg = Dialect::Postgres;
        assert!(compatible(T::Text, "character varying(255)", pg));
        assert!(!compatible(T::Text, "order_status_enum", pg), "an enum");
        assert!(compatible(T::Enum, "order_status_enum", pg));
        assert!(compatible(T::Enum, "text", pg));
        assert!(!compatible(T::Enum, "integer", pg));
        assert!(!compatible(T::Text, "integer", pg));
        assert!(compatible(T::Json, "jsonb", pg));
        assert!(compatible(T::Float, "double precision", pg));
        assert!(compatible(T::Timestamp, "timestamp with time zone", pg));
        assert!(!compatible(T::Boolean, "text", pg));
        let lite = Dialect::Sqlite;
        assert!(compatible(T::Text, "VARCHAR(255)", lite));
        assert!(compatible(T::Boolean, "BOOLEAN", lite));
        assert!(compatible(T::Float, "REAL", lite));
        assert!(!compatible(T::Integer, "TEXT", lite));
        assert!(compatible(T::Timestamp, "TEXT", lite));
    }
}
