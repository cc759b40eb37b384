//! Writes of pairs: create (upsert), dismiss, erase.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use link_model::{ExtraColumn, Link as LinkDef, ScalarType, Side, StoredLink};

use crate::DateTime;
use crate::db::{Arg, Dialect, Sql, Tx, now, time_value};
use crate::error::{Error, one_of};
use crate::input::IntoLinkValues;
use crate::value::LinkValue;

use super::*;

impl Link {
    /// Creates links (an upsert on the key pair), all or nothing:
    ///
    /// - a new pair gets a new id; it must supply every extra column that
    ///   is NOT NULL without a default ([`Error::MissingColumn`] otherwise,
    ///   before any write);
    /// - an existing pair keeps its id (unlike Medusa, which issues a new
    ///   one), comes back when dismissed, takes the extra columns supplied
    ///   and keeps every column omitted, nullable or not;
    /// - a live pair given with the values it has is left untouched (no
    ///   write, no event).
    ///
    /// Returns every pair as stored after the call, grouped by link and by
    /// the set of extra columns supplied, in input order within a group (a
    /// pair given twice is merged into its first place). Events go out only for
    /// rows that changed, saying what changed ([`Change`]).
    pub async fn create(&self, input: impl IntoLinkValues) -> Result<Vec<LinkRow>, Error> {
        let values = input.into_link_values(&self.graph)?;
        let groups = self.prepare(values)?;
        let db = self.db();
        let mut tx = db.begin().await.map_err(|e| db_error(db, e))?;
        match self.create_in(&mut tx, &groups).await {
            Ok(out) => {
                tx.commit().await.map_err(|e| db_error(db, e))?;
                for (row, change) in &out {
                    if let Some(c) = change {
                        self.emit_one(Action::Attached, c.clone(), row);
                    }
                }
                Ok(out.into_iter().map(|(r, _)| r).collect())
            }
            Err(e) => {
                let _ = tx.rollback().await;
                if let Error::Database(d) = &e
                    && d.is_unique_violation()
                {
                    return Err(self.explain_cardinality(&groups).await.unwrap_or(e));
                }
                Err(e)
            }
        }
    }

    /// The writes of `create` in one transaction: first the reads that
    /// decide merges and required columns (groups with extra columns), then
    /// the writes.
    async fn create_in(
        &self,
        tx: &mut Tx,
        groups: &[Group],
    ) -> Result<Vec<(LinkRow, Option<Change>)>, Error> {
        let ts = now();
        let mut existing: Vec<HashMap<Pair, LinkRow>> = Vec::with_capacity(groups.len());
        for g in groups {
            let (def, st) = self.stored(&g.link)?;
            if st.extra_columns.is_empty() {
                existing.push(HashMap::new());
                continue;
            }
            let pairs: Vec<Pair> = g
                .rows
                .iter()
                .map(|(l, r, _)| (l.clone(), r.clone()))
                .collect();
            let stored: HashMap<Pair, LinkRow> = self
                .read_pairs(tx, def, st, &pairs)
                .await?
                .into_iter()
                .map(|r| ((r.left.clone(), r.right.clone()), r))
                .collect();
            for (l, r, _) in &g.rows {
                if stored.contains_key(&(l.clone(), r.clone())) {
                    continue;
                }
                if let Some(c) = required_omitted(st, &g.columns).first() {
                    return Err(Error::MissingColumn {
                        link: def.name.to_string(),
                        column: c.name.to_string(),
                        pair: format!("{l} - {r}"),
                    });
                }
            }
            existing.push(stored);
        }
        let mut out = Vec::new();
        for (g, stored) in groups.iter().zip(existing) {
            let (def, st) = self.stored(&g.link)?;
            if st.extra_columns.is_empty() {
                out.extend(self.insert_plain(tx, def, st, g, ts).await?);
            } else {
                out.extend(self.upsert_merge(tx, def, st, g, stored, ts).await?);
            }
        }
        Ok(out)
    }

    /// The stored rows (live or dismissed) of `pairs`, locked for the rest
    /// of the transaction on Postgres (SQLite's `BEGIN IMMEDIATE` already
    /// holds the database): one statement.
    pub(crate) async fn read_pairs(
        &self,
        tx: &mut Tx,
        def: &LinkDef,
        st: &StoredLink,
        pairs: &[Pair],
    ) -> Result<Vec<LinkRow>, Error> {
        let d = tx.dialect();
        let mut sql = Sql::new(d);
        select_rows(&mut sql, d, def, st);
        sql.push(" WHERE ");
        pair_condition(&mut sql, def, pairs);
        if d == Dialect::Postgres {
            sql.push(" FOR UPDATE");
        }
        let rows = tx
            .fetch(&sql, &row_types(st))
            .await
            .map_err(|e| db_error(self.db(), e))?;
        Ok(rows.into_iter().map(|r| decode_row(def, st, r)).collect())
    }

    /// A group of a link without extra columns: every value of a new row is
    /// known here, so the rows are inserted without reading them back (on
    /// Postgres one statement for the whole group, from bound arrays through
    /// `unnest`; on SQLite multi-row VALUES of [`CHUNK`] rows). Only when
    /// some pairs existed are they read (one statement) and the dismissed
    /// ones revived (one statement).
    async fn insert_plain(
        &self,
        tx: &mut Tx,
        def: &LinkDef,
        st: &StoredLink,
        g: &Group,
        ts: DateTime,
    ) -> Result<Vec<(LinkRow, Option<Change>)>, Error> {
        let de = |e| db_error(self.db(), e);
        let d = tx.dialect();
        let ids: Vec<String> = g
            .rows
            .iter()
            .map(|_| format!("{}_{}", st.id_prefix, next_ulid()))
            .collect();
        let head = |sql: &mut Sql| {
            sql.push("INSERT INTO ")
                .ident(&st.table)
                .push(" (")
                .ident(&def.left.key)
                .push(", ")
                .ident(&def.right.key)
                .push(", \"id\", \"created_at\", \"updated_at\") ");
        };
        let conflict = |sql: &mut Sql| {
            sql.push(" ON CONFLICT (")
                .ident(&def.left.key)
                .push(", ")
                .ident(&def.right.key)
                .push(") DO NOTHING");
        };
        let mut inserted = 0;
        match d {
            Dialect::Postgres => {
                let mut sql = Sql::new(d);
                head(&mut sql);
                sql.push("SELECT \"u\".\"l\", \"u\".\"r\", \"u\".\"i\", ")
                    .arg(Arg::Time(ts))
                    .push(", ")
                    .arg(Arg::Time(ts))
                    .push(" FROM unnest(CAST(")
                    .arg(Arg::TextArray(
                        g.rows.iter().map(|(l, _, _)| l.clone()).collect(),
                    ))
                    .push(" AS text[]), CAST(")
                    .arg(Arg::TextArray(
                        g.rows.iter().map(|(_, r, _)| r.clone()).collect(),
                    ))
                    .push(" AS text[]), CAST(")
                    .arg(Arg::TextArray(ids.clone()))
                    .push(" AS text[])) AS \"u\"(\"l\", \"r\", \"i\")");
                conflict(&mut sql);
                inserted += tx.execute(&sql).await.map_err(de)?;
            }
            Dialect::Sqlite => {
                for (chunk, chunk_ids) in g.rows.chunks(CHUNK).zip(ids.chunks(CHUNK)) {
                    // The timestamps bound once per statement, three values
                    // per row (`WHERE true`: SQLite's upsert after a SELECT).
                    let mut sql = Sql::new(d);
                    head(&mut sql);
                    sql.push("SELECT \"column1\", \"column2\", \"column3\", ")
                        .arg(Arg::Time(ts))
                        .push(", ")
                        .arg(Arg::Time(ts))
                        .push(" FROM (VALUES ");
                    sql.push_list(chunk.iter().zip(chunk_ids), |s, ((l, r, _), id)| {
                        s.tuple([
                            Arg::Text(l.clone()),
                            Arg::Text(r.clone()),
                            Arg::Text(id.clone()),
                        ]);
                    });
                    sql.push(") WHERE true");
                    conflict(&mut sql);
                    inserted += tx.execute(&sql).await.map_err(de)?;
                }
            }
        }
        let time = time_value(d, &ts);
        let new_row = |(l, r): (&String, &String), id: &String| LinkRow {
            link: def.name.to_string(),
            id: id.clone(),
            left: l.clone(),
            right: r.clone(),
            data: Map::new(),
            created_at: time.clone(),
            updated_at: time.clone(),
            deleted_at: Value::Null,
        };
        if inserted == g.rows.len() as u64 {
            return Ok(g
                .rows
                .iter()
                .zip(&ids)
                .map(|((l, r, _), id)| (new_row((l, r), id), Some(Change::New)))
                .collect());
        }
        // Some pairs existed: rows with one of this call's ids are new,
        // dismissed ones come back, live ones stay as they are.
        let pairs: Vec<Pair> = g
            .rows
            .iter()
            .map(|(l, r, _)| (l.clone(), r.clone()))
            .collect();
        let ours: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let mut stored: HashMap<Pair, (LinkRow, Option<Change>)> = HashMap::new();
        let mut revive = Vec::new();
        for row in self.read_pairs(tx, def, st, &pairs).await? {
            let change = if ours.contains(row.id.as_str()) {
                Some(Change::New)
            } else if !row.deleted_at.is_null() {
                revive.push(row.id.clone());
                None
            } else {
                None
            };
            stored.insert((row.left.clone(), row.right.clone()), (row, change));
        }
        if !revive.is_empty() {
            let mut sql = Sql::new(d);
            sql.push("UPDATE ")
                .ident(&st.table)
                .push(" SET \"deleted_at\" = NULL, \"updated_at\" = ")
                .arg(Arg::Time(ts))
                .push(" WHERE ")
                .push_in_keys(ScalarType::Text, &revive, |s| {
                    s.ident("id");
                });
            returning(&mut sql, d, def, st);
            for r in tx.fetch(&sql, &row_types(st)).await.map_err(de)? {
                let row = decode_row(def, st, r);
                stored.insert(
                    (row.left.clone(), row.right.clone()),
                    (row, Some(Change::Revived { columns: vec![] })),
                );
            }
        }
        Ok(pairs
            .into_iter()
            .filter_map(|p| stored.remove(&p))
            .collect())
    }

    /// A group of a link with extra columns, `stored` its pairs' rows read
    /// before: new pairs and changed ones are upserted (multi-row VALUES of
    /// [`CHUNK`] rows, reading back what is stored); unchanged live pairs
    /// are not written. Required columns the group omits are written with
    /// the stored values, so an existing row keeps them.
    async fn upsert_merge(
        &self,
        tx: &mut Tx,
        def: &LinkDef,
        st: &StoredLink,
        g: &Group,
        stored: HashMap<Pair, LinkRow>,
        ts: DateTime,
    ) -> Result<Vec<(LinkRow, Option<Change>)>, Error> {
        let de = |e| db_error(self.db(), e);
        let d = tx.dialect();
        let supplied: Vec<&ExtraColumn> = g
            .columns
            .iter()
            .filter_map(|c| st.extra_columns.iter().find(|x| x.name == *c))
            .collect();
        let required = required_omitted(st, &g.columns);
        let mut result: Vec<Option<(LinkRow, Option<Change>)>> = vec![None; g.rows.len()];
        // (row index, id, change, values of supplied then required columns)
        let mut writes: Vec<(usize, String, Change, Vec<Arg>)> = Vec::new();
        for (i, (l, r, data)) in g.rows.iter().enumerate() {
            let old = stored.get(&(l.clone(), r.clone()));
            let mut args = Vec::with_capacity(supplied.len() + required.len());
            let mut changed = Vec::new();
            for c in &supplied {
                let v = data.get(c.name.as_ref()).unwrap_or(&Value::Null);
                if let Some(old) = old
                    && !same_value(c, old.data.get(c.name.as_ref()), v)
                {
                    changed.push(c.name.to_string());
                }
                args.push(to_arg(&def.name, c, v)?);
            }
            let (id, change) = match old {
                Some(old) => {
                    for c in &required {
                        let v = old.data.get(c.name.as_ref()).unwrap_or(&Value::Null);
                        args.push(to_arg(&def.name, c, v)?);
                    }
                    if old.deleted_at.is_null() && changed.is_empty() {
                        result[i] = Some((old.clone(), None));
                        continue;
                    }
                    let change = if old.deleted_at.is_null() {
                        Change::Data { columns: changed }
                    } else {
                        Change::Revived { columns: changed }
                    };
                    (old.id.clone(), change)
                }
                None => (format!("{}_{}", st.id_prefix, next_ulid()), Change::New),
            };
            writes.push((i, id, change, args));
        }
        let columns: Vec<&ExtraColumn> = supplied.iter().chain(&required).copied().collect();
        for chunk in writes.chunks(CHUNK) {
            let mut sql = Sql::new(d);
            sql.push("INSERT INTO ")
                .ident(&st.table)
                .push(" (")
                .ident(&def.left.key)
                .push(", ")
                .ident(&def.right.key)
                .push(", \"id\"");
            for c in &columns {
                sql.push(", ").ident(&c.name);
            }
            sql.push(", \"created_at\", \"updated_at\") VALUES ");
            sql.push_list(chunk, |s, (i, id, _, args)| {
                let (l, r, _) = &g.rows[*i];
                s.push("(")
                    .arg(Arg::Text(l.clone()))
                    .push(", ")
                    .arg(Arg::Text(r.clone()))
                    .push(", ")
                    .arg(Arg::Text(id.clone()));
                for (c, a) in columns.iter().zip(args) {
                    s.push(", ").arg(a.clone());
                    cast(s, c);
                }
                s.push(", ")
                    .arg(Arg::Time(ts))
                    .push(", ")
                    .arg(Arg::Time(ts))
                    .push(")");
            });
            sql.push(" ON CONFLICT (")
                .ident(&def.left.key)
                .push(", ")
                .ident(&def.right.key)
                .push(
                    ") DO UPDATE SET \"deleted_at\" = NULL, \"updated_at\" = excluded.\"updated_at\"",
                );
            for c in &supplied {
                sql.push(", ")
                    .ident(&c.name)
                    .push(" = excluded.")
                    .ident(&c.name);
            }
            returning(&mut sql, d, def, st);
            let mut back: HashMap<Pair, LinkRow> = tx
                .fetch(&sql, &row_types(st))
                .await
                .map_err(de)?
                .into_iter()
                .map(|r| {
                    let row = decode_row(def, st, r);
                    ((row.left.clone(), row.right.clone()), row)
                })
                .collect();
            for (i, _, change, _) in chunk {
                let (l, r, _) = &g.rows[*i];
                if let Some(row) = back.remove(&(l.clone(), r.clone())) {
                    result[*i] = Some((row, Some(change.clone())));
                }
            }
        }
        Ok(result.into_iter().flatten().collect())
    }

    /// Validates values and groups them per link and supplied columns.
    pub(crate) fn prepare(&self, values: Vec<LinkValue>) -> Result<Vec<Group>, Error> {
        for v in &values {
            let (link, st) = self.stored(&v.link)?;
            for (k, val) in &v.data {
                let Some(col) = st.extra_columns.iter().find(|c| c.name == *k) else {
                    return Err(Error::InvalidColumn {
                        link: link.name.to_string(),
                        column: k.clone(),
                        problem: format!(
                            "does not exist; expected {}",
                            if st.extra_columns.is_empty() {
                                "no data (the link has no extra columns)".to_string()
                            } else {
                                one_of(st.extra_columns.iter().map(|c| c.name.as_ref()))
                            }
                        ),
                    });
                };
                to_arg(&link.name, col, val)?;
            }
            check_pair(link, &v.left, &v.right)?;
        }
        // Each value's first occurrence of its (link, left, right); a pair
        // given again merges its data into the first, which keeps its place.
        let first: Vec<usize> = {
            let mut seen: HashMap<(&str, &str, &str), usize> = HashMap::with_capacity(values.len());
            values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    *seen
                        .entry((v.link.as_str(), v.left.as_str(), v.right.as_str()))
                        .or_insert(i)
                })
                .collect()
        };
        let mut unique: Vec<LinkValue> = Vec::with_capacity(values.len());
        let mut position = vec![0; values.len()];
        for (i, v) in values.into_iter().enumerate() {
            if first[i] == i {
                position[i] = unique.len();
                unique.push(v);
            } else {
                unique[position[first[i]]].data.extend(v.data);
            }
        }
        // In-batch cardinality conflicts.
        self.check_batch_cardinality(&unique)?;
        let mut groups: Vec<Group> = Vec::new();
        for v in unique {
            let mut cols: Vec<String> = v.data.keys().cloned().collect();
            cols.sort();
            match groups
                .iter_mut()
                .find(|g| g.link == v.link && g.columns == cols)
            {
                Some(g) => g.rows.push((v.left, v.right, v.data)),
                None => groups.push(Group {
                    link: v.link,
                    columns: cols,
                    rows: vec![(v.left, v.right, v.data)],
                }),
            }
        }
        Ok(groups)
    }

    pub(crate) fn check_batch_cardinality(&self, pairs: &[LinkValue]) -> Result<(), Error> {
        let mut seen: HashMap<(&str, Side, &str), &str> = HashMap::new();
        for LinkValue {
            link, left, right, ..
        } in pairs
        {
            let (def, _) = self.stored(link)?;
            if !is_unique(def, Side::Left) && !is_unique(def, Side::Right) {
                continue;
            }
            for (unique_side, key_val, other_val) in unique_sides(def, left, right) {
                if let Some(prev) = seen.insert((link.as_str(), unique_side, key_val), other_val)
                    && prev != other_val
                {
                    let other = def.side(unique_side.other());
                    let this = def.side(unique_side);
                    return Err(Error::Cardinality(Box::new(
                        crate::error::CardinalityViolation {
                            link: link.clone(),
                            this: format!(
                                "{} {} to {} {}",
                                other.model, other_val, this.model, key_val
                            ),
                            side_model: other.model.to_string(),
                            other_model: this.model.to_string(),
                            existing: format!(
                                "{} {} (earlier in the same batch)",
                                other.model, prev
                            ),
                            existing_id: "not yet written".to_string(),
                        },
                    )));
                }
            }
        }
        Ok(())
    }

    /// After a unique violation: find the live link that blocks the batch.
    pub(crate) async fn explain_cardinality(&self, groups: &[Group]) -> Option<Error> {
        for g in groups {
            let (def, st) = self.stored(&g.link).ok()?;
            for unique_side in [Side::Left, Side::Right] {
                if !is_unique(def, unique_side) {
                    continue;
                }
                let key = &def.side(unique_side).key;
                let vals: Vec<String> = g
                    .rows
                    .iter()
                    .map(|(l, r, _)| {
                        if unique_side == Side::Left {
                            l.clone()
                        } else {
                            r.clone()
                        }
                    })
                    .collect();
                for chunk in vals.chunks(CHUNK) {
                    let mut sql = Sql::new(self.db().dialect());
                    select_rows(&mut sql, self.db().dialect(), def, st);
                    sql.push(" WHERE ")
                        .live(None, "deleted_at")
                        .push(" AND ")
                        .ident(key)
                        .push(" IN (");
                    push_list(&mut sql, chunk);
                    sql.push(")");
                    let rows = self.db().fetch(&sql, &row_types(st)).await.ok()?;
                    for r in rows.into_iter().map(|r| decode_row(def, st, r)) {
                        let (mine, theirs) = if unique_side == Side::Left {
                            (&r.left, &r.right)
                        } else {
                            (&r.right, &r.left)
                        };
                        let conflicting = g.rows.iter().find(|(l, rr, _)| {
                            let (m, t) = if unique_side == Side::Left {
                                (l, rr)
                            } else {
                                (rr, l)
                            };
                            m == mine && t != theirs
                        });
                        if let Some((l, rr, _)) = conflicting {
                            let other = def.side(unique_side.other());
                            let this = def.side(unique_side);
                            let (m, t) = if unique_side == Side::Left {
                                (l, rr)
                            } else {
                                (rr, l)
                            };
                            return Some(Error::Cardinality(Box::new(
                                crate::error::CardinalityViolation {
                                    link: def.name.to_string(),
                                    this: format!("{} {} to {} {}", other.model, t, this.model, m),
                                    side_model: other.model.to_string(),
                                    other_model: this.model.to_string(),
                                    existing: format!("{} {}", other.model, theirs),
                                    existing_id: r.id.clone(),
                                },
                            )));
                        }
                    }
                }
            }
        }
        None
    }

    /// Soft-deletes exactly the given live pairs and returns them; unknown
    /// and already dismissed pairs are ignored (one statement per link).
    pub async fn dismiss(&self, input: impl IntoLinkValues) -> Result<Vec<LinkRow>, Error> {
        let values = input.into_link_values(&self.graph)?;
        let by_link = self.pairs_by_link(values)?;
        let ts = now();
        let out = self
            .pair_writes(&by_link, |sql, st| {
                sql.push("UPDATE ")
                    .ident(&st.table)
                    .push(" SET \"deleted_at\" = ")
                    .arg(Arg::Time(ts))
                    .push(", \"updated_at\" = ")
                    .arg(Arg::Time(ts))
                    .push(" WHERE ")
                    .live(None, "deleted_at")
                    .push(" AND ");
            })
            .await?;
        self.emit(Action::Detached, Change::Dismissed, &out);
        Ok(out)
    }

    /// Hard-deletes exactly the given pairs, live or dismissed, and returns
    /// them (used to undo a create that inserted them).
    pub async fn erase(&self, input: impl IntoLinkValues) -> Result<Vec<LinkRow>, Error> {
        let values = input.into_link_values(&self.graph)?;
        let by_link = self.pairs_by_link(values)?;
        let out = self
            .pair_writes(&by_link, |sql, st| {
                sql.push("DELETE FROM ").ident(&st.table).push(" WHERE ");
            })
            .await?;
        let live: Vec<LinkRow> = out
            .iter()
            .filter(|r| r.deleted_at.is_null())
            .cloned()
            .collect();
        self.emit(Action::Detached, Change::Erased, &live);
        Ok(out)
    }

    /// One statement per link, `head` followed by the pair condition and
    /// RETURNING, in one transaction.
    async fn pair_writes(
        &self,
        by_link: &[(String, Vec<Pair>)],
        head: impl Fn(&mut Sql, &StoredLink),
    ) -> Result<Vec<LinkRow>, Error> {
        let db = self.db();
        let mut tx = db.begin().await.map_err(|e| db_error(db, e))?;
        let mut out = Vec::new();
        for (name, pairs) in by_link {
            let (def, st) = self.stored(name)?;
            let d = tx.dialect();
            let mut sql = Sql::new(d);
            head(&mut sql, st);
            pair_condition(&mut sql, def, pairs);
            returning(&mut sql, d, def, st);
            match tx.fetch(&sql, &row_types(st)).await {
                Ok(rows) => out.extend(rows.into_iter().map(|r| decode_row(def, st, r))),
                Err(e) => {
                    let _ = tx.rollback().await;
                    return Err(db_error(db, e));
                }
            }
        }
        tx.commit().await.map_err(|e| db_error(db, e))?;
        Ok(out)
    }

    /// Writes rows back exactly as they were read (id, every extra column,
    /// `created_at`, `updated_at`, `deleted_at`), inserting those that are
    /// gone: the compensation of a workflow step, so that `restore_exact`
    /// with an earlier delete's report still finds what that delete
    /// removed. All or nothing; returns the rows as stored.
    pub async fn put_back(&self, rows: &[LinkRow]) -> Result<Vec<LinkRow>, Error> {
        let mut by_link: Vec<(&str, Vec<&LinkRow>)> = Vec::new();
        for r in rows {
            let (def, _) = self.stored(&r.link)?;
            check_pair(def, &r.left, &r.right)?;
            match by_link.iter_mut().find(|(l, _)| *l == r.link) {
                Some((_, v)) => v.push(r),
                None => by_link.push((&r.link, vec![r])),
            }
        }
        let time = |v: &Value| {
            Arg::from_json(ScalarType::Timestamp, v).map_err(|e| Error::InvalidValue {
                message: format!("a row's timestamp must be {}, found {v}", e.expected),
            })
        };
        // Every statement is built (and every value checked) before the first runs.
        let mut statements = Vec::new();
        let d = self.db().dialect();
        for (name, rows) in &by_link {
            let (def, st) = self.stored(name)?;
            for chunk in rows.chunks(CHUNK) {
                let mut sql = Sql::new(d);
                sql.push("INSERT INTO ")
                    .ident(&st.table)
                    .push(" (")
                    .ident(&def.left.key)
                    .push(", ")
                    .ident(&def.right.key)
                    .push(", \"id\"");
                for c in st.extra_columns.iter() {
                    sql.push(", ").ident(&c.name);
                }
                sql.push(", \"created_at\", \"updated_at\", \"deleted_at\") VALUES ");
                for (i, r) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.push("(")
                        .arg(Arg::Text(r.left.clone()))
                        .push(", ")
                        .arg(Arg::Text(r.right.clone()))
                        .push(", ")
                        .arg(Arg::Text(r.id.clone()));
                    for c in st.extra_columns.iter() {
                        let v = r.data.get(c.name.as_ref()).unwrap_or(&Value::Null);
                        sql.push(", ").arg(to_arg(&def.name, c, v)?);
                        cast(&mut sql, c);
                    }
                    for t in [&r.created_at, &r.updated_at, &r.deleted_at] {
                        sql.push(", ").arg(time(t)?);
                    }
                    sql.push(")");
                }
                sql.push(" ON CONFLICT (")
                    .ident(&def.left.key)
                    .push(", ")
                    .ident(&def.right.key)
                    .push(") DO UPDATE SET \"id\" = excluded.\"id\"");
                for c in st.extra_columns.iter().map(|c| c.name.as_ref()).chain([
                    "created_at",
                    "updated_at",
                    "deleted_at",
                ]) {
                    sql.push(", ").ident(c).push(" = excluded.").ident(c);
                }
                returning(&mut sql, d, def, st);
                statements.push((def, st, sql));
            }
        }
        let db = self.db();
        let mut tx = db.begin().await.map_err(|e| db_error(db, e))?;
        let mut out = Vec::new();
        for (def, st, sql) in &statements {
            match tx.fetch(sql, &row_types(st)).await {
                Ok(rows) => out.extend(rows.into_iter().map(|r| decode_row(def, st, r))),
                Err(e) => {
                    let _ = tx.rollback().await;
                    return Err(db_error(db, e));
                }
            }
        }
        tx.commit().await.map_err(|e| db_error(db, e))?;
        for r in &out {
            let action = if r.deleted_at.is_null() {
                Action::Attached
            } else {
                Action::Detached
            };
            self.emit_one(action, Change::PutBack, r);
        }
        Ok(out)
    }
}

/// `(left key, right key)` of a link row.
pub(crate) type Pair = (String, String);

/// Rows of one link that supply the same extra columns.
pub(crate) struct Group {
    link: String,
    columns: Vec<String>,
    rows: Vec<(String, String, Map<String, Value>)>,
}

/// Is `side`'s key unique among live rows? (The other side is not a list.)
pub(crate) fn is_unique(def: &LinkDef, side: Side) -> bool {
    !def.side(side.other()).is_list
}

/// `(unique side, its value, the other side's value)` for each unique key.
pub(crate) fn unique_sides<'a>(
    def: &LinkDef,
    left: &'a str,
    right: &'a str,
) -> Vec<(Side, &'a str, &'a str)> {
    let mut v = Vec::new();
    if is_unique(def, Side::Left) {
        v.push((Side::Left, left, right));
    }
    if is_unique(def, Side::Right) {
        v.push((Side::Right, right, left));
    }
    v
}

/// Converts a JSON value for an extra column, checking its type.
pub(crate) fn to_arg(link: &str, c: &ExtraColumn, v: &Value) -> Result<Arg, Error> {
    if v.is_null() && !c.nullable {
        return Err(Error::InvalidColumn {
            link: link.to_string(),
            column: c.name.to_string(),
            problem: format!("is not nullable; expected a {} value", c.ty.name()),
        });
    }
    Arg::from_json(c.ty, v).map_err(|e| Error::InvalidColumn {
        link: link.to_string(),
        column: c.name.to_string(),
        problem: format!("expects {}, found {v}", e.expected),
    })
}

/// Extra columns a new pair must supply (NOT NULL without a default) that
/// `supplied` lacks.
fn required_omitted<'a>(st: &'a StoredLink, supplied: &[String]) -> Vec<&'a ExtraColumn> {
    st.extra_columns
        .iter()
        .filter(|c| !c.nullable && c.default.is_none() && !supplied.iter().any(|s| *s == c.name))
        .collect()
}

/// Whether a stored value and a supplied one are the same value of the
/// column's type (compared after the one JSON -> argument conversion;
/// decimals by number).
fn same_value(c: &ExtraColumn, stored: Option<&Value>, supplied: &Value) -> bool {
    let stored = stored.unwrap_or(&Value::Null);
    match (Arg::from_json(c.ty, stored), Arg::from_json(c.ty, supplied)) {
        (Ok(Arg::Decimal(a)), Ok(Arg::Decimal(b))) => {
            a.parse::<f64>().ok() == b.parse::<f64>().ok()
        }
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// On Postgres, the cast that types a bound extra-column value.
fn cast(sql: &mut Sql, c: &ExtraColumn) {
    if sql.dialect() == Dialect::Postgres {
        sql.push(&format!(
            "::{}",
            link_model::sql::scalar_type(c.ty, Dialect::Postgres)
        ));
    }
}
