//! Cursor pages: a page's last root, as the values of the root's order
//! (the primary key last, as tie-breaker), becomes an opaque cursor; the
//! next page starts strictly after it (keyset pagination), whatever the
//! depth, at the cost of an index range scan on an indexed order.

use serde_json::Value;

use link_model::ScalarType;

use super::plan::{EntityInfo, Level, OrderBy, OrderTerm, Plan};
use super::request::Dir;
use crate::db::{Arg, Cell, Dialect};
use crate::error::Error;

/// The root's order as keyset columns, and where to start.
#[derive(Debug, Clone)]
pub(super) struct Keyset {
    /// `(column, type, direction)`, the primary key last.
    pub cols: Vec<(String, ScalarType, Dir)>,
    /// The values of the last row of the previous page.
    pub after: Option<Vec<Value>>,
}

/// Types whose values read back exactly and compare in SQL as in the order.
fn keyset_type(ty: ScalarType) -> bool {
    use ScalarType as T;
    matches!(
        ty,
        T::Text
            | T::Enum
            | T::Integer
            | T::BigInt
            | T::Float
            | T::Double
            | T::Boolean
            | T::Date
            | T::Timestamp
    )
}

const PREFIX: &str = "c1";

fn bad(message: impl Into<String>) -> Error {
    Error::InvalidPagination {
        message: message.into(),
    }
}

/// The keyset of a root order, when the order allows cursors.
pub(super) fn keyset(info: &EntityInfo, order: &[OrderTerm]) -> Option<Keyset> {
    let mut cols = Vec::new();
    for t in order {
        let OrderBy::Field { col, ty, nullable } = &t.by else {
            return None;
        };
        if *nullable || !keyset_type(*ty) {
            return None;
        }
        cols.push((col.clone(), *ty, t.dir));
    }
    let pk = info.field(&info.pk)?;
    if !keyset_type(pk.ty) {
        return None;
    }
    cols.push((info.pk.clone(), pk.ty, Dir::Asc));
    Some(Keyset { cols, after: None })
}

/// Encodes the values of a row's keyset columns.
pub(super) fn encode(values: &[Value]) -> String {
    let text = Value::Array(values.to_vec()).to_string();
    let mut out = String::with_capacity(PREFIX.len() + text.len() * 2);
    out.push_str(PREFIX);
    for b in text.bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The cursor after a row of `level` (the root) whose columns are `vals`.
pub(super) fn after(keyset: &Keyset, level: &Level, plan: &Plan, vals: &[Cell]) -> String {
    let values: Vec<Value> = keyset
        .cols
        .iter()
        .map(|(c, ..)| {
            vals.get(level.key_index(plan, c))
                .map_or(Value::Null, Cell::to_value)
        })
        .collect();
    encode(&values)
}

/// Decodes a cursor for `keyset`, checking it fits the request's order.
pub(super) fn decode(cursor: &str, keyset: &Keyset) -> Result<Vec<Value>, Error> {
    let wrong = || {
        bad(format!(
            "`after` is not a cursor of this request's order: {cursor:?}"
        ))
    };
    let hex = cursor.strip_prefix(PREFIX).ok_or_else(wrong)?;
    if hex.len() % 2 != 0 || !hex.is_ascii() {
        return Err(wrong());
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| wrong())?;
    let values: Vec<Value> = serde_json::from_slice(&bytes).map_err(|_| wrong())?;
    if values.len() != keyset.cols.len() {
        return Err(wrong());
    }
    for (v, (_, ty, _)) in values.iter().zip(&keyset.cols) {
        let fits = match ty {
            ScalarType::Integer | ScalarType::BigInt => v.is_i64(),
            ScalarType::Float | ScalarType::Double => v.is_number(),
            ScalarType::Boolean => v.is_boolean(),
            _ => v.is_string(),
        };
        if !fits || Arg::from_json(*ty, v).is_err() {
            return Err(wrong());
        }
    }
    Ok(values)
}

/// A keyset value (checked by [`decode`]) as bound: on SQLite as read (text
/// keeps its stored form); on Postgres converted for the column type.
pub(super) fn arg(d: Dialect, ty: ScalarType, v: &Value) -> Arg {
    let raw = || match v {
        Value::String(s) => Arg::Text(s.clone()),
        Value::Bool(b) => Arg::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Arg::Int(i),
            None => Arg::Float(n.as_f64().unwrap_or(0.0)),
        },
        _ => Arg::Null(ty),
    };
    match d {
        Dialect::Sqlite => raw(),
        Dialect::Postgres => Arg::from_json(ty, v).unwrap_or_else(|_| raw()),
    }
}
