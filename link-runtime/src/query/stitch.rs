//! Regrouping child rows under their parents. Rows carry their columns as
//! decoded [`Cell`]s and one slot per child relation; what a finished row
//! becomes is the [`Sink`]'s business (JSON objects for `graph`), so the
//! stitching itself does not assume an output type.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use serde_json::{Map, Value};

use link_model::ScalarType;

use super::plan::Level;
use super::request::Shape;
use crate::db::{Cell, CellRow};

/// What finished rows become.
pub(super) trait Sink: Sized + Clone {
    /// A row of `level`: its columns (requested scalars first, in request
    /// order) and its relations (in `level.children` order).
    fn object(level: &Level, vals: CellRow, rels: Vec<Self>) -> Self;
    /// A list relation's value.
    fn list(items: Vec<Self>) -> Self;
    /// An absent to-one relation (and a slot not filled yet).
    fn none() -> Self;
}

/// JSON objects: the one place cells become JSON values in Query.
impl Sink for Value {
    fn object(level: &Level, vals: CellRow, rels: Vec<Value>) -> Value {
        let mut out = Map::new();
        for (s, c) in level.scalars.iter().zip(vals) {
            let v = if writes_medusa_time(level, s) {
                medusa_time(c)
            } else {
                c.into_value()
            };
            out.insert(s.clone(), v);
        }
        // `rels` follow the children's order; names come from the caller.
        for (name, v) in level.child_names.iter().zip(rels) {
            out.insert(name.clone(), v);
        }
        Value::Object(out)
    }

    fn list(items: Vec<Value>) -> Value {
        Value::Array(items)
    }

    fn none() -> Value {
        Value::Null
    }
}

/// Whether `level` writes its field `s` as Medusa writes timestamps (a
/// timestamp of a Medusa-shaped request).
pub(super) fn writes_medusa_time(level: &Level, s: &str) -> bool {
    level.shape == Shape::Medusa && level.info.ty(s) == ScalarType::Timestamp
}

/// A timestamp cell as Medusa writes it (see [`millis`]).
pub(super) fn medusa_time(c: Cell) -> Value {
    match c {
        Cell::Time(t) => Value::String(t.format(MILLIS).to_string()),
        c => millis(c.into_value()),
    }
}

/// Medusa's timestamp format (UTC, milliseconds).
pub(super) const MILLIS: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

/// A timestamp as Medusa writes it: UTC, milliseconds
/// (`2026-12-01T19:00:02.619Z`); anything else unchanged.
fn millis(v: Value) -> Value {
    let Value::String(text) = &v else { return v };
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => Value::String(t.with_timezone(&chrono::Utc).format(MILLIS).to_string()),
        Err(_) => v,
    }
}

/// A fetched row: column values, the parent key it belongs to (child
/// levels; the rows of one parent usually share one key) and one slot per
/// child relation.
#[derive(Debug, Clone)]
pub(super) struct Row<S> {
    pub vals: CellRow,
    pub parent: Option<Arc<str>>,
    pub rels: Vec<S>,
}

impl<S: Sink> Row<S> {
    pub fn new(level: &Level, vals: CellRow, parent: Option<Arc<str>>) -> Row<S> {
        Row {
            vals,
            parent,
            rels: vec![S::none(); level.children.len()],
        }
    }

    /// Child rows of `level` from their cells and parent keys.
    pub fn children(level: &Level, rows: Vec<crate::db::Parented>) -> Vec<Row<S>> {
        rows.into_iter()
            .map(|(vals, parent)| Row::new(level, vals, parent))
            .collect()
    }

    pub fn finish(self, level: &Level) -> S {
        S::object(level, self.vals, self.rels)
    }
}

/// The distinct keys of `rows` at `kpos`, sorted.
pub(super) fn keys<S>(rows: &[Row<S>], kpos: usize) -> Vec<String> {
    let mut keys: Vec<String> = rows
        .iter()
        .filter_map(|r| r.vals.get(kpos).and_then(Cell::key))
        .map(Cow::into_owned)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Puts each parent's child rows (finished) into relation slot `ci` of
/// `rows`: a list, or the first child (or none) of a to-one relation.
/// Parents are matched on the value at `kpos`; child rows arrive grouped
/// or not, in their list order.
pub(super) fn stitch<S: Sink>(
    rows: &mut [Row<S>],
    ci: usize,
    kpos: usize,
    child: &Level,
    is_list: bool,
    child_rows: Vec<Row<S>>,
) {
    // Child rows finished, in runs of one parent (the usual order), each
    // run's list allocated once at its length.
    let mut lens: Vec<(Option<Arc<str>>, usize)> = Vec::new();
    for r in &child_rows {
        match (lens.last_mut(), &r.parent) {
            (Some((Some(k), n)), Some(p)) if k == p => *n += 1,
            (Some((None, n)), None) => *n += 1,
            _ => lens.push((r.parent.clone(), 1)),
        }
    }
    let mut left = child_rows.into_iter();
    let mut runs: Runs<S> = Vec::with_capacity(lens.len());
    for (key, n) in lens {
        let run = left.by_ref().take(n);
        match key {
            Some(k) => runs.push((k, run.map(|r| r.finish(child)).collect())),
            // Rows without a parent key belong to no parent.
            None => run.for_each(drop),
        }
    }
    let runs = match in_order(rows, kpos, runs) {
        Ok(found) => {
            let mut found = found.into_iter().peekable();
            for (i, row) in rows.iter_mut().enumerate() {
                let objs = match found.peek() {
                    Some((at, _)) if *at == i => found.next().map(|(_, o)| o).unwrap_or_default(),
                    _ => Vec::new(),
                };
                row.rels[ci] = if is_list {
                    S::list(objs)
                } else {
                    objs.into_iter().next().unwrap_or_else(S::none)
                };
            }
            return;
        }
        Err(runs) => runs,
    };
    // Finished child rows by parent key. The count is how many parent rows
    // take the list: the last one takes it, earlier ones a copy.
    let mut by_parent: HashMap<Arc<str>, (Vec<S>, usize)> = HashMap::new();
    for (k, objs) in runs {
        add_run(&mut by_parent, k, objs);
    }
    for row in rows.iter() {
        if let Some(k) = row.vals.get(kpos).and_then(Cell::key)
            && let Some(e) = by_parent.get_mut(k.as_ref())
        {
            e.1 += 1;
        }
    }
    for row in rows.iter_mut() {
        let found = match row.vals.get(kpos).and_then(Cell::key) {
            Some(k) => match by_parent.get_mut(k.as_ref()) {
                Some(e) if e.1 > 1 => {
                    e.1 -= 1;
                    e.0.clone()
                }
                Some(_) => by_parent
                    .remove(k.as_ref())
                    .map(|e| e.0)
                    .unwrap_or_default(),
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        row.rels[ci] = if is_list {
            S::list(found)
        } else {
            found.into_iter().next().unwrap_or_else(S::none)
        };
    }
}

/// When the parents' keys are distinct and increasing (byte-wise) and the
/// runs of children come in the same order, one run per parent, each
/// parent's children are the next run whose key is its own: `Ok` with each
/// run beside the index of its parent row (no map of keys). Otherwise the
/// runs come back for the general path.
///
/// Why that is exact: with distinct parent keys, a parent left without a
/// run while every run found its parent in order has no run at all (its
/// key's run, if any, went to a parent of the same key: itself).
type Runs<S> = Vec<(Arc<str>, Vec<S>)>;

fn in_order<S>(
    rows: &[Row<S>],
    kpos: usize,
    runs: Runs<S>,
) -> Result<Vec<(usize, Vec<S>)>, Runs<S>> {
    let mut prev: Option<Cow<'_, str>> = None;
    let mut j = 0;
    // Parent row index of each run, checked before anything is moved.
    let mut at = Vec::with_capacity(runs.len());
    for (i, row) in rows.iter().enumerate() {
        let Some(k) = row.vals.get(kpos).and_then(Cell::key) else {
            continue;
        };
        if prev.as_ref().is_some_and(|p| p.as_ref() >= k.as_ref()) {
            return Err(runs);
        }
        if runs.get(j).is_some_and(|(rk, _)| **rk == *k) {
            at.push(i);
            j += 1;
        }
        prev = Some(k);
    }
    if j != runs.len() {
        return Err(runs);
    }
    Ok(at
        .into_iter()
        .zip(runs)
        .map(|(i, (_, objs))| (i, objs))
        .collect())
}

fn add_run<S>(by_parent: &mut HashMap<Arc<str>, (Vec<S>, usize)>, k: Arc<str>, objs: Vec<S>) {
    match by_parent.entry(k) {
        Entry::Occupied(mut e) => e.get_mut().0.extend(objs),
        Entry::Vacant(e) => {
            e.insert((objs, 0));
        }
    }
}
