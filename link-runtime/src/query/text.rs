//! Rows as JSON text, written straight from their cells: the form of
//! [`Query::stream_json`](super::Query::stream_json). Each root's text is
//! byte for byte `serde_json::to_string` of the object [`Sink`] for
//! [`Value`] builds of the same row (keys in that object's order, the same
//! scalar values), without building the object: no map, no key string
//! per field (one map per level of the plan gives the keys' order).
//!
//! [`Sink`]: super::stitch::Sink

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::plan::Plan;
use super::select::Raw;
use super::stitch;
use crate::db::Cell;
use crate::error::Error;

/// Where one key's value of an object comes from.
#[derive(Debug, Clone, Copy)]
enum Src {
    /// The row's scalar column `i`; `medusa_time`: a timestamp written as
    /// Medusa writes it.
    Scalar { i: usize, medusa_time: bool },
    /// The row's relation slot `slot`, rows of level `level`.
    Rel { slot: usize, level: usize },
}

/// The keys of each level's objects in the order a `serde_json::Map`
/// holds them, indexed like `Plan::levels`. The order is read off a real
/// map built as [`Sink`](super::stitch::Sink) for `Value` builds its
/// objects (the scalars, then the relations; a later key of the same name
/// replaces an earlier one's value), so it follows the map whichever way
/// serde_json is built: sorted by default, in insertion order with its
/// `preserve_order` feature (which any crate of the application may turn
/// on).
pub(super) struct Layouts(Vec<Vec<(String, Src)>>);

impl Layouts {
    pub(super) fn new(plan: &Plan) -> Layouts {
        Layouts(
            plan.levels
                .iter()
                .map(|level| {
                    let mut srcs = Vec::new();
                    for (i, s) in level.scalars.iter().enumerate() {
                        let medusa_time = stitch::writes_medusa_time(level, s);
                        srcs.push((s, Src::Scalar { i, medusa_time }));
                    }
                    for (slot, (name, &c)) in
                        level.child_names.iter().zip(&level.children).enumerate()
                    {
                        srcs.push((name, Src::Rel { slot, level: c }));
                    }
                    // Each key's value: the index of its source in `srcs`.
                    let mut map = Map::new();
                    for (at, (name, _)) in srcs.iter().enumerate() {
                        map.insert(name.to_string(), Value::from(at));
                    }
                    map.into_iter()
                        .filter_map(|(k, at)| {
                            let (_, src) = srcs.get(usize::try_from(at.as_u64()?).ok()?)?;
                            Some((k, *src))
                        })
                        .collect()
                })
                .collect(),
        )
    }

    /// The JSON text of a root row (level 0).
    pub(super) fn root_text(&self, raw: &Raw) -> Result<Box<RawValue>, Error> {
        serde_json::value::to_raw_value(&Text {
            layouts: self,
            level: 0,
            raw,
        })
        .map_err(|e| Error::InvalidValue {
            message: format!("cannot write a row as JSON: {e}"),
        })
    }
}

/// A stitched value of `level` (a row, a list of rows, an absent to-one
/// relation) as JSON.
#[derive(Clone, Copy)]
struct Text<'a> {
    layouts: &'a Layouts,
    level: usize,
    raw: &'a Raw,
}

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self.raw {
            Raw::None => ser.serialize_unit(),
            Raw::List(items) => {
                let mut seq = ser.serialize_seq(Some(items.len()))?;
                for raw in items {
                    seq.serialize_element(&Text { raw, ..*self })?;
                }
                seq.end()
            }
            Raw::Row(vals, rels) => {
                // As the object's map: a key whose value the row lacks is
                // left out, as zipping names with values leaves it out.
                let keys = &self.layouts.0[self.level];
                let mut map = ser.serialize_map(None)?;
                for (k, src) in keys {
                    match *src {
                        Src::Scalar { i, medusa_time } => {
                            if let Some(cell) = vals.get(i) {
                                map.serialize_entry(k, &CellText { cell, medusa_time })?;
                            }
                        }
                        Src::Rel { slot, level } => {
                            if let Some(raw) = rels.get(slot) {
                                map.serialize_entry(
                                    k,
                                    &Text {
                                        level,
                                        raw,
                                        ..*self
                                    },
                                )?;
                            }
                        }
                    }
                }
                map.end()
            }
        }
    }
}

/// A scalar cell as JSON: what [`Cell::into_value`] (or, for Medusa's
/// timestamps, [`stitch::medusa_time`]) makes of it.
struct CellText<'a> {
    cell: &'a Cell,
    medusa_time: bool,
}

impl Serialize for CellText<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self.cell {
            Cell::Time(t) if self.medusa_time => ser.collect_str(&t.format(stitch::MILLIS)),
            c if self.medusa_time => stitch::medusa_time(c.clone()).serialize(ser),
            Cell::Null => ser.serialize_unit(),
            Cell::Text(s) => ser.serialize_str(s),
            Cell::Int(i) => ser.serialize_i64(*i),
            // `Value::from` makes a NaN or an infinity null.
            Cell::Float(f) if f.is_finite() => ser.serialize_f64(*f),
            Cell::Float(_) => ser.serialize_unit(),
            Cell::Bool(b) => ser.serialize_bool(*b),
            Cell::Time(t) => ser.serialize_str(&crate::db::pg_time_text(t)),
            Cell::Json(v) => Value::serialize(v, ser),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every kind of cell writes what its JSON value writes.
    #[test]
    fn cells_write_their_values_text() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-12-01T19:00:02.619531+01:00")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let cells = [
            Cell::Null,
            Cell::Text("a \"quoted\" \\ line\nbreak, \u{1} and ü".into()),
            Cell::Int(i64::MIN),
            Cell::Int(42),
            Cell::Float(0.1),
            Cell::Float(-0.0),
            Cell::Float(1e300),
            Cell::Float(f64::NAN),
            Cell::Float(f64::INFINITY),
            Cell::Bool(true),
            Cell::Time(t),
            Cell::Json(json!({"b": [1, 2.5, null], "a": {"x": "y"}})),
        ];
        let text = |cell: &Cell, medusa_time| {
            serde_json::to_string(&CellText { cell, medusa_time }).unwrap()
        };
        for cell in &cells {
            let value = serde_json::to_string(&cell.clone().into_value()).unwrap();
            assert_eq!(text(cell, false), value, "{cell:?}");
        }
        assert_eq!(text(&Cell::Float(f64::NAN), false), "null");
        assert_eq!(
            text(&Cell::Time(t), false),
            r#""2026-12-01T18:00:02.619531Z""#
        );
        // Medusa's timestamps: from a timestamp cell or from SQLite's text.
        let sqlite = Cell::Text("2026-12-01 18:00:02.619531+00:00".into());
        for cell in [
            Cell::Time(t),
            sqlite,
            Cell::Text("not a time".into()),
            Cell::Null,
        ] {
            let value = serde_json::to_string(&stitch::medusa_time(cell.clone())).unwrap();
            assert_eq!(text(&cell, true), value, "{cell:?}");
        }
        assert_eq!(text(&Cell::Time(t), true), r#""2026-12-01T18:00:02.619Z""#);
    }
}
