//! Typed cells: what a column value decodes into, the one decoder of rows
//! for every driver, and SQLite's packed rows.
//!
//! Every read decodes its columns into [`Cell`]s, by the column's declared
//! [`ScalarType`], in [`decode_row`] (the same code for both drivers; only
//! the types whose wire form differs ask the driver). A [`Cell`] becomes a
//! JSON value only where JSON is wanted ([`Cell::into_value`]: the JSON
//! sink of Query, the Link service), moving its string.

use std::borrow::Cow;

use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde_json::Value;
use sqlx::{ColumnIndex, Decode, Row, Type};

use link_model::ScalarType;

use super::DbError;
use crate::DateTime;

/// The cells of one row as Query reads them: up to two inline (most rows
/// of a relation read one or two columns), so a row costs no allocation of
/// its own.
pub(crate) type CellRow = smallvec::SmallVec<[Cell; 2]>;

/// One decoded column value.
///
/// Text-like types (text, uuid, enum, date and decimal, which both drivers
/// read as their text form) are [`Cell::Text`], as are SQLite's
/// timestamps (stored as text); Postgres timestamps are [`Cell::Time`].
/// [`Cell::Json`] holds JSON columns only.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// A text value (and the text form of dates, decimals, uuids, enums and
    /// SQLite timestamps).
    Text(String),
    /// An integer of any width.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A timestamp the driver decoded as one (Postgres).
    Time(DateTime),
    /// The value of a JSON column.
    Json(Value),
}

impl Cell {
    /// The cell as a JSON value (what `graph` returns for it): text moved,
    /// timestamps as RFC 3339 text (`AutoSi` precision, `Z`).
    pub fn into_value(self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Text(s) => Value::String(s),
            Cell::Int(i) => Value::from(i),
            Cell::Float(f) => Value::from(f),
            Cell::Bool(b) => Value::Bool(b),
            Cell::Time(t) => Value::String(super::pg_time_text(&t)),
            Cell::Json(v) => v,
        }
    }

    /// [`Cell::into_value`] of a copy.
    pub fn to_value(&self) -> Value {
        self.clone().into_value()
    }

    /// Whether the cell is NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// The text of a text cell.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Cell::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The integer of an integer cell.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The cell as a key (text as is, borrowed; numbers and booleans as
    /// their JSON text; timestamps as their JSON text); `None` for NULL and
    /// JSON values other than strings, numbers and booleans.
    pub fn key(&self) -> Option<Cow<'_, str>> {
        match self {
            Cell::Text(s) => Some(Cow::Borrowed(s)),
            Cell::Int(i) => Some(Cow::Owned(i.to_string())),
            Cell::Bool(b) => Some(Cow::Owned(b.to_string())),
            Cell::Float(f) => match Value::from(*f) {
                Value::Number(n) => Some(Cow::Owned(n.to_string())),
                _ => None,
            },
            Cell::Time(t) => Some(Cow::Owned(super::pg_time_text(t))),
            Cell::Null => None,
            Cell::Json(v) => match v {
                Value::String(s) => Some(Cow::Borrowed(s)),
                Value::Number(n) => Some(Cow::Owned(n.to_string())),
                Value::Bool(b) => Some(Cow::Owned(b.to_string())),
                _ => None,
            },
        }
    }

    /// The cell as a key, moved when it is text.
    pub fn into_key(self) -> Option<String> {
        match self {
            Cell::Text(s) => Some(s),
            other => other.key().map(Cow::into_owned),
        }
    }
}

/// What a driver decodes differently: the types whose wire form is not the
/// same for SQLite and Postgres. Everything else is [`decode_row`]'s. Each
/// method decodes column `i` with its type checked when `checked`.
pub(super) trait DriverRow: Row {
    /// Whether a column's type is the statement's, the same in every row
    /// (Postgres), so that one checked non-NULL value vouches for the rest;
    /// SQLite types each value, and every value is checked.
    const TYPED_COLUMNS: bool;
    /// A 32-bit `integer` column.
    fn integer(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error>;
    /// A single-precision `float` column.
    fn float(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error>;
    /// A `decimal` column, as text.
    fn decimal(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error>;
    /// A `json` column.
    fn json(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error>;
    /// A `timestamp` column.
    fn timestamp(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error>;
    /// A `date` column, as text.
    fn date(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error>;
}

/// A nullable column of Rust type `T`, through `cell`; its SQL type checked
/// against `T` when `checked` (sqlx's own check, and its error).
pub(super) fn get<'r, R, T>(
    row: &'r R,
    i: usize,
    checked: bool,
    cell: impl FnOnce(T) -> Cell,
) -> Result<Cell, sqlx::Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    let v = if checked {
        row.try_get::<Option<T>, _>(i)?
    } else {
        row.try_get_unchecked::<Option<T>, _>(i)?
    };
    Ok(v.map_or(Cell::Null, cell))
}

/// The one row decoder: each column as its declared type says.
///
/// `verified` holds, per column, whether a checked non-NULL value of the
/// statement has vouched for the column's type ([`DriverRow::TYPED_COLUMNS`]):
/// checking the type of every value of a large read costs a fifth of its
/// decoding, and the column's type cannot change between rows.
pub(super) fn decode_row<R>(
    row: &R,
    cols: &[ScalarType],
    verified: &mut [bool],
) -> Result<CellRow, DbError>
where
    R: DriverRow,
    usize: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> f64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
{
    use ScalarType as T;
    let mut out = CellRow::with_capacity(cols.len());
    for (i, ty) in cols.iter().enumerate() {
        let checked = !verified[i];
        let cell = match ty {
            // uuid and enums are selected as text (see `select_expr`).
            T::Text | T::Uuid | T::Enum => get(row, i, checked, Cell::Text),
            T::BigInt => get(row, i, checked, Cell::Int),
            T::Double => get(row, i, checked, Cell::Float),
            T::Boolean => get(row, i, checked, Cell::Bool),
            T::Integer => row.integer(i, checked),
            T::Float => row.float(i, checked),
            T::Decimal => row.decimal(i, checked),
            T::Json => row.json(i, checked),
            T::Timestamp => row.timestamp(i, checked),
            T::Date => row.date(i, checked),
        }
        .map_err(|e| DbError::Decode {
            column: i,
            message: e.to_string(),
        })?;
        if R::TYPED_COLUMNS && cell != Cell::Null {
            verified[i] = true;
        }
        out.push(cell);
    }
    Ok(out)
}

/// Whether SQLite's JSON carries a value of this type exactly, so a row
/// packed by `json_array` decodes as the row decoder would (REAL values are
/// printed with fewer digits than they hold, so floating and decimal types
/// are not).
pub(crate) fn json_exact(ty: ScalarType) -> bool {
    use ScalarType as T;
    match ty {
        T::Text
        | T::Uuid
        | T::Enum
        | T::Date
        | T::Timestamp
        | T::Integer
        | T::BigInt
        | T::Boolean => true,
        T::Json => true,
        T::Float | T::Double | T::Decimal => false,
    }
}

/// A value of a packed row, before its column type is applied: no JSON
/// value is built for it.
enum Packed {
    Null,
    Text(String),
    Int(i64),
    /// Anything a packed text or integer column cannot hold.
    Other,
}

impl<'de> de::Deserialize<'de> for Packed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Packed, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Packed;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a packed value")
            }
            fn visit_unit<E>(self) -> Result<Packed, E> {
                Ok(Packed::Null)
            }
            fn visit_none<E>(self) -> Result<Packed, E> {
                Ok(Packed::Null)
            }
            fn visit_str<E>(self, s: &str) -> Result<Packed, E> {
                Ok(Packed::Text(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Packed, E> {
                Ok(Packed::Text(s))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Packed, E> {
                Ok(Packed::Int(i))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Packed, E> {
                Ok(i64::try_from(u).map_or(Packed::Other, Packed::Int))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Packed, E> {
                Ok(Packed::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Packed, E> {
                Ok(Packed::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Packed, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Packed::Other)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<Packed, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Packed::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// Rows packed by SQLite as `[[v, …], …]` (`json_array` per row), decoded
/// exactly as the row decoder decodes the same values from rows: text for
/// text types (TEXT values only), integers (INTEGER values only), booleans
/// from integers (non-zero is true), JSON columns parsed from their text.
/// `None` when any value would not decode the same (another storage class,
/// which the row decoder rejects): the caller reads the rows instead.
pub(crate) fn unpack_rows(text: &str, types: &[ScalarType]) -> Option<Vec<CellRow>> {
    use ScalarType as T;
    let rows: Vec<Vec<Packed>> = serde_json::from_str(text).ok()?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if row.len() != types.len() {
            return None;
        }
        let mut cells = CellRow::with_capacity(row.len());
        for (v, ty) in row.into_iter().zip(types) {
            cells.push(match (ty, v) {
                (_, Packed::Null) => Cell::Null,
                (T::Text | T::Uuid | T::Date | T::Timestamp, Packed::Text(s)) => Cell::Text(s),
                (T::Integer | T::BigInt, Packed::Int(i)) => Cell::Int(i),
                (T::Boolean, Packed::Int(i)) => Cell::Bool(i != 0),
                (T::Json, Packed::Text(s)) => sqlite_json(s),
                _ => return None,
            });
        }
        out.push(cells);
    }
    Some(out)
}

/// A JSON column's text as SQLite keeps it: parsed, or the text itself
/// when it is not JSON.
pub(super) fn sqlite_json(text: String) -> Cell {
    match serde_json::from_str(&text) {
        Ok(v) => Cell::Json(v),
        Err(_) => Cell::Json(Value::String(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_rows_decode_like_rows_or_not_at_all() {
        use ScalarType as T;
        let types = [T::Text, T::Integer, T::Boolean, T::Json, T::Timestamp];
        let rows = unpack_rows(
            r#"[["a",7,1,"{\"k\":[1]}","2024-01-01T00:00:00.000Z"],[null,-3,0,"not json",null],["b",null,2,null,"x"]]"#,
            &types,
        );
        let rows: Option<Vec<Vec<Cell>>> =
            rows.map(|r| r.into_iter().map(CellRow::into_vec).collect());
        assert_eq!(
            rows,
            Some(vec![
                vec![
                    Cell::Text("a".into()),
                    Cell::Int(7),
                    Cell::Bool(true),
                    Cell::Json(serde_json::json!({"k": [1]})),
                    Cell::Text("2024-01-01T00:00:00.000Z".into()),
                ],
                vec![
                    Cell::Null,
                    Cell::Int(-3),
                    Cell::Bool(false),
                    Cell::Json(Value::from("not json")),
                    Cell::Null,
                ],
                vec![
                    Cell::Text("b".into()),
                    Cell::Null,
                    Cell::Bool(true),
                    Cell::Null,
                    Cell::Text("x".into()),
                ],
            ])
        );
        // Values the row decoder rejects (another storage class) are not
        // decoded here either: the caller reads rows.
        assert_eq!(unpack_rows(r#"[[1]]"#, &[T::Text]), None);
        assert_eq!(unpack_rows(r#"[["1"]]"#, &[T::Integer]), None);
        assert_eq!(unpack_rows(r#"[[1.5]]"#, &[T::Integer]), None);
        assert_eq!(unpack_rows(r#"[[1.0]]"#, &[T::Boolean]), None);
        assert_eq!(unpack_rows(r#"[[{"a":1}]]"#, &[T::Json]), None);
        assert_eq!(unpack_rows(r#"[[true]]"#, &[T::Boolean]), None);
        assert_eq!(
            unpack_rows(r#"[[18446744073709551615]]"#, &[T::BigInt]),
            None
        );
        assert_eq!(unpack_rows(r#"[["a","b"]]"#, &[T::Text]), None);
        assert_eq!(unpack_rows("[]", &[T::Text]).map(|r| r.len()), Some(0));
        assert!(!json_exact(T::Float) && !json_exact(T::Double) && !json_exact(T::Decimal));
    }

    #[test]
    fn cells_become_the_json_values_and_keys_of_before() {
        let t = chrono::DateTime::parse_from_rfc3339("2024-05-06T07:08:09.123456Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            Cell::Time(t).into_value(),
            Value::from("2024-05-06T07:08:09.123456Z")
        );
        assert_eq!(Cell::Float(1.0).into_value(), serde_json::json!(1.0));
        assert_eq!(Cell::Float(f64::NAN).into_value(), Value::Null);
        assert_eq!(Cell::Float(1.0).key().as_deref(), Some("1.0"));
        assert_eq!(Cell::Int(-4).key().as_deref(), Some("-4"));
        assert_eq!(Cell::Bool(true).key().as_deref(), Some("true"));
        assert_eq!(Cell::Null.key(), None);
        assert_eq!(Cell::Text("k".into()).into_key().as_deref(), Some("k"));
    }
}
