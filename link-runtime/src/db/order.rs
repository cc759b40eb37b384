//! Rows put in link order by the client: a statement read without `ORDER
//! BY` whose last three columns are a parent key, a link's `created_at` and
//! its `id`, sorted as `ORDER BY parent, created_at, id COLLATE "C"` would
//! have (byte order of text, time order, NULL last), then given without the
//! two link columns.
//!
//! Two ways to the same order: [`link_ordered`] sorts decoded cells (any
//! driver); on Postgres, [`raw_order`] sorts the rows by their raw values
//! before anything is decoded, so the link's two columns are never decoded
//! (a stream of a million products reads three million of them).
//!
//! Child rows leave here [`Parented`]: the parent key taken off the row,
//! one shared key per run of rows of the same parent ([`share_parents`];
//! on Postgres the raw bytes of the key are compared and only a run's
//! first key is decoded).

use std::sync::Arc;

use super::{Cell, CellRow};

/// A child row's cells (without its parent key) and the key of its parent
/// (`None` for NULL), shared by the consecutive rows of one parent.
pub(crate) type Parented = (CellRow, Option<Arc<str>>);

/// Rows whose last cell is a parent key, as [`Parented`] rows: a run of
/// rows of one parent shares one key.
pub(crate) fn share_parents(rows: Vec<CellRow>) -> Vec<Parented> {
    let mut prev: Option<Arc<str>> = None;
    rows.into_iter()
        .map(|mut r| {
            let key = r.pop().and_then(Cell::into_key);
            let parent = match (key, &prev) {
                (Some(k), Some(p)) if *k == **p => Some(p.clone()),
                (Some(k), _) => {
                    let k: Arc<str> = k.into();
                    prev = Some(k.clone());
                    Some(k)
                }
                (None, _) => None,
            };
            (r, parent)
        })
        .collect()
}

/// A sort key of one cell: NULL last, then text by bytes, timestamps by time.
type Key<'a> = (bool, Option<&'a [u8]>, Option<&'a crate::DateTime>);

fn key(c: &Cell) -> Key<'_> {
    match c {
        Cell::Text(t) => (false, Some(t.as_bytes()), None),
        Cell::Time(t) => (false, None, Some(t)),
        Cell::Null => (true, None, None),
        _ => (false, None, None),
    }
}

/// Rows whose last three cells are a parent key, a link's `created_at` and
/// its `id`, sorted by them (a stable sort: rows read through an index come
/// in runs of one parent), with the two link cells dropped and the parent
/// key taken off.
pub(super) fn link_ordered(mut rows: Vec<CellRow>) -> Vec<Parented> {
    fn tail(r: &[Cell]) -> (Key<'_>, Key<'_>, Key<'_>) {
        let n = r.len();
        (key(&r[n - 3]), key(&r[n - 2]), key(&r[n - 1]))
    }
    rows.sort_by(|a, b| tail(a).cmp(&tail(b)));
    for r in &mut rows {
        r.truncate(r.len() - 2);
    }
    share_parents(rows)
}

/// A raw sort key: NULL last, then the value's bytes (text) or its
/// microseconds (a timestamp's binary form).
#[cfg(feature = "postgres")]
type RawKey<'a> = ((bool, &'a [u8]), (bool, i64), (bool, &'a [u8]));

/// The order of Postgres rows whose columns `parent`, `parent + 1` and
/// `parent + 2` are a parent key, a link's `created_at` (`timestamptz` or
/// `timestamp`) and its `id`: the row indices sorted as [`link_ordered`]
/// sorts the decoded rows. `None` when a value is not what the raw
/// comparison assumes (a timestamp not in binary form, a column of another
/// type): the caller decodes and sorts instead, which reports a wrong type
/// as decoding does.
#[cfg(feature = "postgres")]
pub(super) fn raw_order(rows: &[sqlx::postgres::PgRow], parent: usize) -> Option<Vec<usize>> {
    use sqlx::postgres::PgValueFormat;
    use sqlx::{Row, ValueRef};
    let (at, id) = (parent + 1, parent + 2);
    // One checked value of each column vouches for its type in every row.
    let first = |i: usize| {
        rows.iter()
            .find(|r| r.try_get_raw(i).is_ok_and(|v| !v.is_null()))
    };
    if let Some(r) = first(parent) {
        r.try_get::<Option<&str>, _>(parent).ok()?;
    }
    // `timestamptz` or `timestamp`: both are microseconds in binary form,
    // compared as the server compares them.
    if let Some(r) = first(at)
        && r.try_get::<Option<crate::DateTime>, _>(at).is_err()
        && r.try_get::<Option<chrono::NaiveDateTime>, _>(at).is_err()
    {
        return None;
    }
    if let Some(r) = first(id) {
        r.try_get::<Option<&str>, _>(id).ok()?;
    }
    fn text<'r>(v: &sqlx::postgres::PgValueRef<'r>) -> (bool, &'r [u8]) {
        match v.as_bytes() {
            Ok(b) if !v.is_null() => (false, b),
            _ => (true, &[]),
        }
    }
    // One pass: each row's three values, every timestamp in its binary
    // form (eight bytes of microseconds).
    let mut keys: Vec<(RawKey<'_>, usize)> = Vec::with_capacity(rows.len());
    for (n, r) in rows.iter().enumerate() {
        let (p, t, i) = (
            r.try_get_raw(parent).ok()?,
            r.try_get_raw(at).ok()?,
            r.try_get_raw(id).ok()?,
        );
        let time = if t.is_null() {
            (true, 0)
        } else if t.format() == PgValueFormat::Binary {
            let b: [u8; 8] = t.as_bytes().ok()?.try_into().ok()?;
            (false, i64::from_be_bytes(b))
        } else {
            return None;
        };
        keys.push(((text(&p), time, text(&i)), n));
    }
    // Stable: the rows come in runs of one parent, which a merge sort
    // passes over about once.
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    Some(keys.into_iter().map(|(_, n)| n).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sort_by_parent_then_time_then_id_bytes_null_last() {
        let t = |s: &str| {
            Cell::Time(
                chrono::DateTime::parse_from_rfc3339(s)
                    .unwrap()
                    .with_timezone(&chrono::Utc),
            )
        };
        let txt = |s: &str| Cell::Text(s.to_string());
        let rows: Vec<CellRow> = vec![
            smallvec::smallvec![txt("c3"), txt("p2"), t("2024-01-01T00:00:00Z"), txt("l1")],
            smallvec::smallvec![txt("c1"), txt("p1"), t("2024-01-02T00:00:00Z"), txt("l2")],
            smallvec::smallvec![txt("c2"), txt("p1"), t("2024-01-01T00:00:00Z"), txt("l_b")],
            smallvec::smallvec![txt("c4"), txt("p1"), t("2024-01-01T00:00:00Z"), txt("l_B")],
            smallvec::smallvec![txt("c5"), Cell::Null, t("2024-01-01T00:00:00Z"), txt("l0")],
            smallvec::smallvec![txt("c6"), txt("p1"), Cell::Null, txt("l9")],
        ];
        let sorted = link_ordered(rows);
        let firsts: Vec<(&str, Option<&str>)> = sorted
            .iter()
            .map(|(r, p)| {
                assert_eq!(r.len(), 1);
                (r[0].as_str().unwrap(), p.as_deref())
            })
            .collect();
        // `l_B` before `l_b` (byte order), NULL time and NULL parent last.
        assert_eq!(
            firsts,
            [
                ("c4", Some("p1")),
                ("c2", Some("p1")),
                ("c1", Some("p1")),
                ("c6", Some("p1")),
                ("c3", Some("p2")),
                ("c5", None)
            ]
        );
        // One key per run of a parent.
        assert!(Arc::ptr_eq(
            sorted[0].1.as_ref().unwrap(),
            sorted[3].1.as_ref().unwrap()
        ));
    }
}
