//! Writes of pairs: create (upsert), dismiss, erase.

use std::collections::HashMap;

use serde_json::{Map, Value};

use link_model::{ExtraColumn, Link as LinkDef, Side};

use crate::db::{Arg, DbError, Dialect, Sql, Tx, now, time_value};
use crate::error::{Error, one_of};
use crate::input::IntoLinkValues;
use crate::value::LinkValue;

use super::*;

impl Link {
    /// Creates links (an upsert on the key pair): revives dismissed pairs,
    /// overwrites supplied extra columns and keeps omitted ones, keeps the id
    /// of an existing row. All or nothing.
    pub async fn create(&self, input: impl IntoLinkValues) -> Result<Vec<LinkRow>, Error> {
        let values = input.into_link_values(&self.graph)?;
        let groups = self.prepare(values)?;
        let mut tx = self.db().begin().await?;
        let mut out = Vec::new();
        for g in &groups {
            match self.upsert(&mut tx, g).await {
                Ok(rows) => out.extend(rows),
                Err(e) => {
                    let _ = tx.rollback().await;
                    if e.is_unique_violation() {
                        return Err(self
                            .explain_cardinality(&groups)
                            .await
                            .unwrap_or(Error::Database(e)));
                    }
                    return Err(e.into());
                }
            }
        }
        tx.commit().await?;
        self.emit(Action::Attached, &out);
        Ok(out)
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
            if v.left.contains('\0') || v.right.contains('\0') {
                return Err(Error::InvalidValue {
                    message: format!("link `{}` keys cannot contain NUL characters", link.name),
                });
            }
            if v.left.is_empty() || v.right.is_empty() {
                return Err(Error::InvalidValue {
                    message: format!("link `{}` needs two non-empty keys", link.name),
                });
            }
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

    pub(crate) async fn upsert(&self, tx: &mut Tx, g: &Group) -> Result<Vec<LinkRow>, DbError> {
        let (def, st) = self.stored(&g.link).map_err(|e| DbError::Decode {
            column: 0,
            message: e.to_string(),
        })?;
        let cols: Vec<&ExtraColumn> = g
            .columns
            .iter()
            .filter_map(|c| st.extra_columns.iter().find(|x| x.name == *c))
            .collect();
        let d = tx.dialect();
        let mut out = Vec::with_capacity(g.rows.len());
        let ts = now();
        // Without extra columns every value of a new row is known here, so
        // a chunk is first inserted without RETURNING and its rows are built
        // in memory; only a chunk that meets existing pairs is upserted with
        // RETURNING (reading back what is really stored). Rows inserted by
        // this transaction cannot change under it.
        let known = st.extra_columns.is_empty();
        let time = time_value(d, &ts);
        for chunk in g.rows.chunks(CHUNK) {
            let ids: Vec<String> = chunk
                .iter()
                .map(|_| format!("{}_{}", st.id_prefix, next_ulid()))
                .collect();
            let insert = |sql: &mut Sql| -> Result<(), DbError> {
                sql.push("INSERT INTO ").ident(&st.table).push(" (");
                sql.ident(&def.left.key)
                    .push(", ")
                    .ident(&def.right.key)
                    .push(", \"id\"");
                for c in &cols {
                    sql.push(", ").ident(&c.name);
                }
                sql.push(", \"created_at\", \"updated_at\", \"deleted_at\") VALUES ");
                for (i, ((left, right, data), id)) in chunk.iter().zip(&ids).enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.push("(");
                    sql.arg(Arg::Text(left.clone())).push(", ");
                    sql.arg(Arg::Text(right.clone())).push(", ");
                    sql.arg(Arg::Text(id.clone()));
                    for c in &cols {
                        sql.push(", ");
                        let v = data.get(c.name.as_ref()).unwrap_or(&Value::Null);
                        let arg = to_arg(&def.name, c, v).map_err(|e| DbError::Decode {
                            column: 0,
                            message: e.to_string(),
                        })?;
                        sql.arg(arg);
                        if d == Dialect::Postgres {
                            sql.push(&format!(
                                "::{}",
                                link_model::sql::scalar_type(c.ty, Dialect::Postgres)
                            ));
                        }
                    }
                    sql.push(", ")
                        .arg(Arg::Time(ts))
                        .push(", ")
                        .arg(Arg::Time(ts))
                        .push(", NULL)");
                }
                sql.push(" ON CONFLICT (")
                    .ident(&def.left.key)
                    .push(", ")
                    .ident(&def.right.key)
                    .push(")");
                Ok(())
            };
            if known {
                let mut sql = Sql::new(d);
                insert(&mut sql)?;
                sql.push(" DO NOTHING");
                let inserted = tx.execute(&sql).await?;
                if inserted == chunk.len() as u64 {
                    out.extend(chunk.iter().zip(ids).map(|((left, right, _), id)| LinkRow {
                        link: def.name.to_string(),
                        id,
                        left: left.clone(),
                        right: right.clone(),
                        data: Map::new(),
                        created_at: time.clone(),
                        updated_at: time.clone(),
                        deleted_at: Value::Null,
                    }));
                    continue;
                }
                // Some pairs exist: the upsert revives or updates them and
                // returns every row (those just inserted come back as they
                // are: same id and values).
            }
            let mut sql = Sql::new(d);
            insert(&mut sql)?;
            sql.push(
                " DO UPDATE SET \"deleted_at\" = NULL, \"updated_at\" = excluded.\"updated_at\"",
            );
            for c in &cols {
                sql.push(", ")
                    .ident(&c.name)
                    .push(" = excluded.")
                    .ident(&c.name);
            }
            returning(&mut sql, d, def, st);
            let rows = tx.fetch(&sql, &row_types(st)).await?;
            out.extend(rows.into_iter().map(|r| decode_row(def, st, r)));
        }
        Ok(out)
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
                    sql.push(" WHERE \"deleted_at\" IS NULL AND ")
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
    /// pairs are ignored.
    pub async fn dismiss(&self, input: impl IntoLinkValues) -> Result<Vec<LinkRow>, Error> {
        let values = input.into_link_values(&self.graph)?;
        let by_link = self.pairs_by_link(values)?;
        let ts = now();
        let mut tx = self.db().begin().await?;
        let mut out = Vec::new();
        for (name, pairs) in &by_link {
            let (def, st) = self.stored(name)?;
            for chunk in pairs.chunks(CHUNK) {
                let mut sql = Sql::new(tx.dialect());
                sql.push("UPDATE ")
                    .ident(&st.table)
                    .push(" SET \"deleted_at\" = ")
                    .arg(Arg::Time(ts));
                sql.push(", \"updated_at\" = ").arg(Arg::Time(ts));
                sql.push(" WHERE \"deleted_at\" IS NULL AND ");
                pair_condition(&mut sql, def, chunk);
                returning(&mut sql, tx.dialect(), def, st);
                match tx.fetch(&sql, &row_types(st)).await {
                    Ok(rows) => out.extend(rows.into_iter().map(|r| decode_row(def, st, r))),
                    Err(e) => {
                        let _ = tx.rollback().await;
                        return Err(e.into());
                    }
                }
            }
        }
        tx.commit().await?;
        self.emit(Action::Detached, &out);
        Ok(out)
    }

    /// Hard-deletes exactly the given pairs, live or dismissed, and returns
    /// them (used to undo a create that inserted them).
    pub async fn erase(&self, input: impl IntoLinkValues) -> Result<Vec<LinkRow>, Error> {
        let values = input.into_link_values(&self.graph)?;
        let by_link = self.pairs_by_link(values)?;
        let mut tx = self.db().begin().await?;
        let mut out = Vec::new();
        for (name, pairs) in &by_link {
            let (def, st) = self.stored(name)?;
            for chunk in pairs.chunks(CHUNK) {
                let mut sql = Sql::new(tx.dialect());
                sql.push("DELETE FROM ").ident(&st.table).push(" WHERE ");
                pair_condition(&mut sql, def, chunk);
                returning(&mut sql, tx.dialect(), def, st);
                match tx.fetch(&sql, &row_types(st)).await {
                    Ok(rows) => out.extend(rows.into_iter().map(|r| decode_row(def, st, r))),
                    Err(e) => {
                        let _ = tx.rollback().await;
                        return Err(e.into());
                    }
                }
            }
        }
        tx.commit().await?;
        let live: Vec<LinkRow> = out
            .iter()
            .filter(|r| r.deleted_at.is_null())
            .cloned()
            .collect();
        self.emit(Action::Detached, &live);
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
