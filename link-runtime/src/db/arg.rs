//! Bound values and the one conversion from JSON values to them, shared by
//! Query (filter values) and Link (extra columns), so both accept and refuse
//! the same values for a column type.

use serde_json::Value;

use link_model::ScalarType;

use crate::DateTime;

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// NULL of a column type (Postgres needs the type).
    Null(ScalarType),
    /// Text (also uuid, lower-cased).
    Text(String),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A JSON document.
    Json(Value),
    /// A timestamp (UTC).
    Time(DateTime),
    /// A calendar date.
    Date(chrono::NaiveDate),
    /// An exact decimal number, as its text (`numeric` on Postgres).
    Decimal(String),
    /// A set of text keys: `text[]` on Postgres, a JSON array on SQLite
    /// (read with `json_each`); see [`super::Sql::push_in_keys`].
    TextArray(Vec<String>),
}

/// Why a JSON value cannot be bound as a column type: what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError {
    /// What the column takes, e.g. "a 32-bit integer".
    pub expected: &'static str,
}

impl Arg {
    /// Converts a JSON value for a column of type `ty`. `null` becomes
    /// [`Arg::Null`]; callers decide whether the column may be NULL.
    ///
    /// Rules: text without NUL characters; uuid as 36 characters with four
    /// dashes (stored lower-case); integer within 32 bits, bigint within 64;
    /// float/double any JSON number; decimal a number or a numeric string;
    /// boolean; timestamp an RFC 3339 string; date `YYYY-MM-DD`; json any
    /// value.
    pub fn from_json(ty: ScalarType, v: &Value) -> Result<Arg, ArgError> {
        use ScalarType as T;
        let bad = |expected| ArgError { expected };
        if v.is_null() {
            return Ok(Arg::Null(ty));
        }
        if ty != T::Json && v.as_str().is_some_and(|s| s.contains('\0')) {
            return Err(bad("a string without NUL characters"));
        }
        Ok(match ty {
            T::Text | T::Enum => Arg::Text(v.as_str().ok_or(bad("a string"))?.to_string()),
            T::Uuid => {
                let s = v.as_str().ok_or(bad("a UUID string"))?;
                if s.len() != 36 || s.chars().filter(|c| *c == '-').count() != 4 {
                    return Err(bad("a UUID string"));
                }
                Arg::Text(s.to_ascii_lowercase())
            }
            T::Integer => {
                let i = v.as_i64().ok_or(bad("an integer"))?;
                if i32::try_from(i).is_err() {
                    return Err(bad("a 32-bit integer"));
                }
                Arg::Int(i)
            }
            T::BigInt => Arg::Int(v.as_i64().ok_or(bad("an integer"))?),
            T::Float | T::Double => Arg::Float(v.as_f64().ok_or(bad("a number"))?),
            T::Decimal => match v {
                Value::Number(n) => Arg::Decimal(n.to_string()),
                Value::String(s) if s.parse::<f64>().is_ok_and(f64::is_finite) => {
                    Arg::Decimal(s.clone())
                }
                _ => return Err(bad("a decimal number")),
            },
            T::Boolean => Arg::Bool(v.as_bool().ok_or(bad("a boolean"))?),
            T::Json => Arg::Json(v.clone()),
            T::Timestamp => {
                let s = v.as_str().ok_or(bad("an RFC 3339 timestamp"))?;
                let t = chrono::DateTime::parse_from_rfc3339(s)
                    .map_err(|_| bad("an RFC 3339 timestamp"))?;
                Arg::Time(t.with_timezone(&chrono::Utc))
            }
            T::Date => {
                let s = v.as_str().ok_or(bad("a date like \"2024-01-31\""))?;
                Arg::Date(s.parse().map_err(|_| bad("a date like \"2024-01-31\""))?)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ScalarType as T;
    use serde_json::json;

    #[test]
    fn one_set_of_rules_per_type() {
        let ok = |ty, v: Value| Arg::from_json(ty, &v).unwrap();
        let err = |ty, v: Value| Arg::from_json(ty, &v).unwrap_err().expected;
        assert_eq!(ok(T::Text, json!("a")), Arg::Text("a".into()));
        assert_eq!(
            err(T::Text, json!("a\0")),
            "a string without NUL characters"
        );
        assert_eq!(err(T::Text, json!(1)), "a string");
        assert_eq!(ok(T::Integer, json!(7)), Arg::Int(7));
        assert_eq!(err(T::Integer, json!(1_i64 << 40)), "a 32-bit integer");
        assert_eq!(ok(T::BigInt, json!(1_i64 << 40)), Arg::Int(1 << 40));
        assert_eq!(ok(T::Decimal, json!(1.5)), Arg::Decimal("1.5".into()));
        assert_eq!(ok(T::Decimal, json!("10.25")), Arg::Decimal("10.25".into()));
        assert_eq!(err(T::Decimal, json!("ten")), "a decimal number");
        assert_eq!(
            ok(T::Uuid, json!("0191D2A0-0000-7000-8000-000000000000")),
            Arg::Text("0191d2a0-0000-7000-8000-000000000000".into())
        );
        assert_eq!(err(T::Uuid, json!("nope")), "a UUID string");
        assert_eq!(
            ok(T::Date, json!("2024-01-31")),
            Arg::Date("2024-01-31".parse().unwrap())
        );
        assert_eq!(
            err(T::Date, json!("31/01/2024")),
            "a date like \"2024-01-31\""
        );
        assert_eq!(
            err(T::Timestamp, json!("yesterday")),
            "an RFC 3339 timestamp"
        );
        assert_eq!(
            ok(T::Json, json!({"a": "\u{0}"})),
            Arg::Json(json!({"a": "\u{0}"}))
        );
        assert_eq!(ok(T::Boolean, Value::Null), Arg::Null(T::Boolean));
    }
}
