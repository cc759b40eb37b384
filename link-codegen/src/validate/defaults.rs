//! Rules for extra-column defaults: each default fits its column's type.

use link_model::{DefaultValue, ScalarType, s};

use crate::ast::DefaultAst;

/// Why a default does not fit its column's type.
pub(super) struct DefaultError {
    /// Label under the default.
    pub(super) label: String,
    /// What to write instead.
    pub(super) help: String,
}

/// Rule: a default fits its column's type (range, UUID and date syntax,
/// `"now"` for timestamps). Returns the default as stored.
pub(super) fn default_for(ty: ScalarType, d: &DefaultAst) -> Result<DefaultValue, DefaultError> {
    let bad = |label: &str, help: &str| DefaultError {
        label: label.to_string(),
        help: help.to_string(),
    };
    use ScalarType as T;
    match (ty, d) {
        (T::Boolean, DefaultAst::Bool(b)) => Ok(DefaultValue::Bool(*b)),
        (T::Integer, DefaultAst::Int(i)) => {
            if i32::try_from(*i).is_ok() {
                Ok(DefaultValue::Int(*i))
            } else {
                Err(bad(
                    "out of range for a 32-bit integer",
                    "use type `bigint` or a value within ±2147483647",
                ))
            }
        }
        (T::BigInt, DefaultAst::Int(i)) => Ok(DefaultValue::Int(*i)),
        (T::Float | T::Double | T::Decimal, DefaultAst::Int(i)) => {
            Ok(DefaultValue::Float(s(i.to_string())))
        }
        (T::Float | T::Double | T::Decimal, DefaultAst::Float(f)) => {
            let clean = f.replace('_', "");
            match clean.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(DefaultValue::Float(s(clean))),
                _ => Err(bad(
                    "not a finite number",
                    "use a finite number such as `0.5`",
                )),
            }
        }
        (T::Text | T::Enum, DefaultAst::Str(t)) => Ok(DefaultValue::Text(s(t.clone()))),
        (T::Uuid, DefaultAst::Str(t)) => {
            if is_uuid(t) {
                Ok(DefaultValue::Text(s(t.to_ascii_lowercase())))
            } else {
                Err(bad(
                    "not a UUID",
                    "write a UUID such as `\"00000000-0000-0000-0000-000000000000\"`",
                ))
            }
        }
        (T::Timestamp, DefaultAst::Str(t)) if t == "now" => Ok(DefaultValue::Now),
        (T::Timestamp, _) => Err(bad(
            "timestamps default only to `\"now\"`",
            "write `default = \"now\"`",
        )),
        (T::Date, DefaultAst::Str(t)) => {
            if is_date(t) {
                Ok(DefaultValue::Text(s(t.clone())))
            } else {
                Err(bad("not a date", "write a date as `\"2024-01-31\"`"))
            }
        }
        (T::Json, DefaultAst::Json(j)) => Ok(DefaultValue::Json(s(j.clone()))),
        (T::Json, DefaultAst::Str(t)) => Ok(DefaultValue::Json(s(serde_json::Value::String(
            t.clone(),
        )
        .to_string()))),
        (T::Json, DefaultAst::Int(i)) => Ok(DefaultValue::Json(s(i.to_string()))),
        (T::Json, DefaultAst::Bool(b)) => Ok(DefaultValue::Json(s(b.to_string()))),
        (T::Json, DefaultAst::Float(f)) => Ok(DefaultValue::Json(s(f.replace('_', "")))),
        (T::Boolean, _) => Err(bad("expected `true` or `false`", "write `default = false`")),
        (T::Integer | T::BigInt, _) => Err(bad("expected an integer", "write `default = 0`")),
        (T::Float | T::Double | T::Decimal, _) => {
            Err(bad("expected a number", "write `default = 0.0`"))
        }
        (T::Text | T::Enum, _) => Err(bad("expected a string", "write `default = \"\"`")),
        (T::Uuid, _) => Err(bad(
            "expected a UUID string",
            "write a UUID such as `\"00000000-0000-0000-0000-000000000000\"`",
        )),
        (T::Date, _) => Err(bad(
            "expected a date string",
            "write a date as `\"2024-01-31\"`",
        )),
    }
}

/// Whether `t` is a hyphenated UUID.
fn is_uuid(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Whether `t` is a `YYYY-MM-DD` date.
fn is_date(t: &str) -> bool {
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| t.get(r).and_then(|x| x.parse::<u32>().ok());
    matches!((num(0..4), num(5..7), num(8..10)), (Some(_), Some(m), Some(d)) if (1..=12).contains(&m) && (1..=31).contains(&d))
}
