//! The Link service: create, dismiss, delete (with cascade), restore, list
//! and purge stored links.
//!
//! Fixes over Medusa: either module order is accepted; cardinality is
//! enforced by partial unique indexes (race-free) and an identical pair is
//! never a violation; a batch is one transaction; dismiss emits events;
//! delete/restore report what they touched and return errors as errors;
//! restore can undo exactly one delete; purge hard-deletes soft-deleted rows.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::broadcast;

use link_model::{ExtraColumn, Link as LinkDef, LinkGraph, LinkKind, ScalarType, Side, StoredLink};

use crate::DateTime;
use crate::db::{Arg, Db, DbError, Dialect, Sql, Tx, now, select_expr, time_value};
use crate::error::{Error, one_of};
use crate::input::IntoLinkValues;
use crate::value::LinkValue;

/// Databases by data-source name; link tables live in `default`.
#[derive(Clone, Debug)]
pub struct Databases {
    default: Db,
    others: HashMap<String, Db>,
}

impl Databases {
    /// Every data source in one database.
    pub fn single(db: Db) -> Databases {
        Databases {
            default: db,
            others: HashMap::new(),
        }
    }

    /// Adds (or replaces) a named data source.
    pub fn with(mut self, name: impl Into<String>, db: Db) -> Databases {
        let name = name.into();
        if name == "default" {
            self.default = db;
        } else {
            self.others.insert(name, db);
        }
        self
    }

    /// The database of link tables.
    pub fn default_db(&self) -> &Db {
        &self.default
    }

    /// The database of a data source (the default one when not configured
    /// separately).
    pub fn get(&self, name: &str) -> &Db {
        self.others.get(name).unwrap_or(&self.default)
    }

    /// Whether two data sources are served by the same pool (compared by
    /// [`crate::db::DbId`], never by address).
    pub fn same(&self, a: &str, b: &str) -> bool {
        self.get(a).id() == self.get(b).id()
    }
}

/// What happened to a link row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Attached,
    Detached,
}

/// One event per row, delivered after commit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkEvent {
    /// `LinkProductSalesChannel.attached`, as Medusa names them.
    pub name: String,
    pub action: Action,
    pub link: String,
    pub id: String,
    pub left: String,
    pub right: String,
}

/// A row of a link table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkRow {
    pub link: String,
    pub id: String,
    pub left: String,
    pub right: String,
    /// Extra-column values.
    pub data: Map<String, Value>,
    pub created_at: Value,
    pub updated_at: Value,
    pub deleted_at: Value,
}

impl LinkRow {
    /// The link value that re-creates this row (with its extra columns).
    pub fn to_value(&self) -> LinkValue {
        LinkValue::new(
            self.link.clone(),
            self.left.clone(),
            self.right.clone(),
            self.data.clone(),
        )
    }

    /// The row as the generated record struct (or any serde type whose
    /// fields are the table's columns).
    pub fn to_record<T: serde::de::DeserializeOwned>(&self, graph: &LinkGraph) -> Result<T, Error> {
        let Some(link) = graph.link(&self.link) else {
            return Err(unknown_link(graph, &self.link));
        };
        let mut obj = self.data.clone();
        obj.insert(link.left.key.to_string(), Value::String(self.left.clone()));
        obj.insert(
            link.right.key.to_string(),
            Value::String(self.right.clone()),
        );
        obj.insert("id".into(), Value::String(self.id.clone()));
        obj.insert("created_at".into(), self.created_at.clone());
        obj.insert("updated_at".into(), self.updated_at.clone());
        obj.insert("deleted_at".into(), self.deleted_at.clone());
        serde_json::from_value(Value::Object(obj)).map_err(|e| Error::InvalidValue {
            message: e.to_string(),
        })
    }

    /// Medusa's JSON shape: `{"<module>": {"<key>": id}, …, "data": {…}}`.
    pub fn to_json(&self, graph: &LinkGraph) -> Value {
        let mut obj = Map::new();
        if let Some(l) = graph.link(&self.link) {
            let mut side = |s: &link_model::LinkSide, v: &str| {
                let name = if l.left.module == l.right.module {
                    s.alias.to_string()
                } else {
                    s.module.to_string()
                };
                obj.insert(name, serde_json::json!({ s.key.as_ref(): v }));
            };
            side(&l.left, &self.left);
            side(&l.right, &self.right);
        }
        if !self.data.is_empty() {
            obj.insert("data".into(), Value::Object(self.data.clone()));
        }
        Value::Object(obj)
    }
}

/// Rows one side's ids select: `module`'s records with `key` in `ids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub module: String,
    pub key: String,
    pub ids: Vec<String>,
}

impl Selection {
    pub fn new(
        module: impl Into<String>,
        key: impl Into<String>,
        ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> Selection {
        Selection {
            module: module.into(),
            key: key.into(),
            ids: ids.into_iter().map(Into::into).collect(),
        }
    }

    /// Typed: records of model `M` by their ids, through linkable key `key`
    /// (e.g. `Selection::of::<entities::SalesChannel>("sales_channel_id", [id])`).
    pub fn of<M: crate::id::Entity>(
        key: impl Into<String>,
        ids: impl IntoIterator<Item = crate::id::Id<M>>,
    ) -> Selection {
        Selection::new(
            M::MODULE,
            key,
            ids.into_iter().map(crate::id::Id::into_string),
        )
    }

    /// Medusa's shape: `{"sales_channel": {"sales_channel_id": ["sc_1"]}}`
    /// (one or many modules and keys; a single id or an array).
    pub fn from_json(v: &Value) -> Result<Vec<Selection>, Error> {
        let Value::Object(obj) = v else {
            return Err(Error::InvalidValue {
                message: format!("expected {{\"<module>\": {{\"<key>\": [ids]}}}}, found {v}"),
            });
        };
        let mut out = Vec::new();
        for (module, keys) in obj {
            let Value::Object(keys) = keys else {
                return Err(Error::InvalidValue {
                    message: format!("`{module}` must be an object of linkable keys to ids"),
                });
            };
            for (key, ids) in keys {
                let ids = match ids {
                    Value::String(s) => vec![s.clone()],
                    Value::Array(a) => a
                        .iter()
                        .map(|x| match x {
                            Value::String(s) => Ok(s.clone()),
                            other => Err(Error::InvalidValue {
                                message: format!(
                                    "`{module}.{key}` ids must be strings, found {other}"
                                ),
                            }),
                        })
                        .collect::<Result<_, _>>()?,
                    other => {
                        return Err(Error::InvalidValue {
                            message: format!(
                                "`{module}.{key}` must be an id or an array of ids, found {other}"
                            ),
                        });
                    }
                };
                out.push(Selection::new(module.clone(), key.clone(), ids));
            }
        }
        Ok(out)
    }
}

/// What a delete or restore touched.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CascadeReport {
    /// The time written to `deleted_at` (delete) or matched (exact restore).
    pub at: Option<DateTime>,
    /// Link rows touched, per link.
    pub links: BTreeMap<String, Vec<LinkRow>>,
    /// Module records touched, per `module.model`.
    pub records: BTreeMap<String, Vec<String>>,
}

impl CascadeReport {
    pub fn is_empty(&self) -> bool {
        self.links.values().all(Vec::is_empty) && self.records.values().all(Vec::is_empty)
    }
}

/// Which rows `list` returns.
#[derive(Debug, Clone, PartialEq)]
pub enum ListFilter {
    /// Exactly these pairs.
    Pairs(Vec<LinkValue>),
    /// Every link of these records.
    Of(Vec<Selection>),
}

/// The Link service.
#[derive(Clone)]
pub struct Link {
    graph: Arc<LinkGraph>,
    dbs: Databases,
    events: broadcast::Sender<LinkEvent>,
}

/// Rows per multi-row statement (bound parameters stay under SQLite's 32,766).
const CHUNK: usize = 1000;

fn unknown_link(graph: &LinkGraph, name: &str) -> Error {
    Error::UnknownLink {
        link: name.to_string(),
        expected: one_of(graph.stored_links().map(|(l, _)| l.name.as_ref())),
    }
}

impl Link {
    pub fn new(graph: impl Into<Arc<LinkGraph>>, dbs: Databases) -> Link {
        let (events, _) = broadcast::channel(4096);
        Link {
            graph: graph.into(),
            dbs,
            events,
        }
    }

    pub fn graph(&self) -> &LinkGraph {
        &self.graph
    }

    pub fn databases(&self) -> &Databases {
        &self.dbs
    }

    /// Events of committed writes.
    pub fn subscribe(&self) -> broadcast::Receiver<LinkEvent> {
        self.events.subscribe()
    }

    fn stored(&self, name: &str) -> Result<(&LinkDef, &StoredLink), Error> {
        match self.graph.link(name) {
            Some(l) => match &l.kind {
                LinkKind::Stored(st) => Ok((l, st)),
                LinkKind::ReadOnly(_) => Err(Error::InvalidValue {
                    message: format!(
                        "link `{name}` is read-only: it joins on a column and stores nothing"
                    ),
                }),
            },
            None => Err(unknown_link(&self.graph, name)),
        }
    }

    fn db(&self) -> &Db {
        &self.dbs.default
    }

    fn emit(&self, action: Action, rows: &[LinkRow]) {
        if self.events.receiver_count() == 0 {
            return;
        }
        for r in rows {
            let entity = link_model::naming::link_entity_name(&r.link);
            let name = match action {
                Action::Attached => format!("{entity}.attached"),
                Action::Detached => format!("{entity}.detached"),
            };
            let _ = self.events.send(LinkEvent {
                name,
                action,
                link: r.link.clone(),
                id: r.id.clone(),
                left: r.left.clone(),
                right: r.right.clone(),
            });
        }
    }

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
    fn prepare(&self, values: Vec<LinkValue>) -> Result<Vec<Group>, Error> {
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

    fn check_batch_cardinality(&self, pairs: &[LinkValue]) -> Result<(), Error> {
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

    async fn upsert(&self, tx: &mut Tx, g: &Group) -> Result<Vec<LinkRow>, DbError> {
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
    async fn explain_cardinality(&self, groups: &[Group]) -> Option<Error> {
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

    fn pairs_by_link(&self, values: Vec<LinkValue>) -> Result<Vec<(String, Vec<Pair>)>, Error> {
        let mut by_link: Vec<(String, Vec<(String, String)>)> = Vec::new();
        for v in values {
            self.stored(&v.link)?;
            match by_link.iter_mut().find(|(l, _)| *l == v.link) {
                Some((_, p)) => p.push((v.left, v.right)),
                None => by_link.push((v.link, vec![(v.left, v.right)])),
            }
        }
        Ok(by_link)
    }

    /// Live (or, with `with_deleted`, all) rows for the given pairs or records.
    pub async fn list(
        &self,
        filter: &ListFilter,
        with_deleted: bool,
    ) -> Result<Vec<LinkRow>, Error> {
        let mut out = Vec::new();
        match filter {
            ListFilter::Pairs(values) => {
                for (name, pairs) in self.pairs_by_link(values.clone())? {
                    let (def, st) = self.stored(&name)?;
                    for chunk in pairs.chunks(CHUNK) {
                        let mut sql = Sql::new(self.db().dialect());
                        select_rows(&mut sql, self.db().dialect(), def, st);
                        sql.push(" WHERE ");
                        if !with_deleted {
                            sql.push("\"deleted_at\" IS NULL AND ");
                        }
                        pair_condition(&mut sql, def, chunk);
                        sql.push(" ORDER BY \"created_at\", \"id\"");
                        let rows = self.db().fetch(&sql, &row_types(st)).await?;
                        out.extend(rows.into_iter().map(|r| decode_row(def, st, r)));
                    }
                }
            }
            ListFilter::Of(selections) => {
                for sel in selections {
                    for (def, st, side) in self.links_of(sel)? {
                        for chunk in sel.ids.chunks(CHUNK) {
                            let mut sql = Sql::new(self.db().dialect());
                            select_rows(&mut sql, self.db().dialect(), def, st);
                            sql.push(" WHERE ");
                            if !with_deleted {
                                sql.push("\"deleted_at\" IS NULL AND ");
                            }
                            sql.ident(&def.side(side).key).push(" IN (");
                            push_list(&mut sql, chunk);
                            sql.push(") ORDER BY \"created_at\", \"id\"");
                            let rows = self.db().fetch(&sql, &row_types(st)).await?;
                            out.extend(rows.into_iter().map(|r| decode_row(def, st, r)));
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// Stored links with a side of `sel.module` keyed by `sel.key`.
    fn links_of(&self, sel: &Selection) -> Result<Vec<(&LinkDef, &StoredLink, Side)>, Error> {
        let Some(module) = self.graph.module(&sel.module) else {
            return Err(Error::UnknownModule {
                module: sel.module.clone(),
                expected: one_of(self.graph.modules.iter().map(|m| m.name.as_ref())),
            });
        };
        let keys: Vec<&str> = module
            .models
            .iter()
            .flat_map(|m| m.linkable_keys.iter().map(|k| k.name.as_ref()))
            .collect();
        if !keys.contains(&sel.key.as_str()) {
            let model = module
                .models
                .first()
                .map_or(sel.module.as_str(), |m| m.name.as_ref());
            return Err(Error::UnknownKey {
                model: model.to_string(),
                key: sel.key.clone(),
                expected: one_of(keys),
            });
        }
        let mut out = Vec::new();
        for (def, st) in self.graph.stored_links() {
            for side in [Side::Left, Side::Right] {
                let s = def.side(side);
                if s.module == sel.module && s.key == sel.key {
                    out.push((def, st, side));
                }
            }
        }
        Ok(out)
    }

    /// Soft-deletes every link of the selected records and cascades to the
    /// records of sides marked `delete_cascade` (soft-deleting module rows
    /// whose model has a soft-delete column), recursively, never visiting a
    /// record twice. Reports what it touched; `restore_exact` undoes it.
    pub async fn delete(&self, selections: &[Selection]) -> Result<CascadeReport, Error> {
        self.cascade(selections, Mode::Delete(now())).await
    }

    /// Restores every soft-deleted link of the selected records (and cascades
    /// like `delete`), including older dismissals, as Medusa does.
    pub async fn restore(&self, selections: &[Selection]) -> Result<CascadeReport, Error> {
        self.cascade(selections, Mode::Restore(None)).await
    }

    /// Restores exactly what one `delete` removed: rows whose deletion time
    /// is the report's; older dismissals stay dismissed.
    pub async fn restore_exact(
        &self,
        selections: &[Selection],
        report: &CascadeReport,
    ) -> Result<CascadeReport, Error> {
        let Some(at) = report.at else {
            return Ok(CascadeReport::default());
        };
        self.cascade(selections, Mode::Restore(Some(at))).await
    }

    async fn cascade(&self, selections: &[Selection], mode: Mode) -> Result<CascadeReport, Error> {
        // Validate everything first.
        for sel in selections {
            self.links_of(sel)?;
        }
        let mut report = CascadeReport {
            at: match mode {
                Mode::Delete(t) | Mode::Restore(Some(t)) => Some(t),
                Mode::Restore(None) => None,
            },
            ..Default::default()
        };
        let mut txs: Vec<(String, Tx)> = vec![("default".to_string(), self.db().begin().await?)];
        let result = self
            .cascade_in(selections, mode, &mut txs, &mut report)
            .await;
        match result {
            Ok(()) => {
                for (_, tx) in txs {
                    tx.commit().await?;
                }
                let rows: Vec<LinkRow> = report.links.values().flatten().cloned().collect();
                self.emit(
                    match mode {
                        Mode::Delete(_) => Action::Detached,
                        Mode::Restore(_) => Action::Attached,
                    },
                    &rows,
                );
                Ok(report)
            }
            Err(e) => {
                for (_, tx) in txs {
                    let _ = tx.rollback().await;
                }
                Err(e)
            }
        }
    }

    async fn cascade_in(
        &self,
        selections: &[Selection],
        mode: Mode,
        txs: &mut Vec<(String, Tx)>,
        report: &mut CascadeReport,
    ) -> Result<(), Error> {
        // Work list of (module, key, ids); visited (module, key, id).
        let mut queue: Vec<Selection> = selections.to_vec();
        let mut visited: HashSet<(String, String, String)> = HashSet::new();
        while let Some(sel) = queue.pop() {
            let ids: Vec<String> = sel
                .ids
                .iter()
                .filter(|id| visited.insert((sel.module.clone(), sel.key.clone(), (*id).clone())))
                .cloned()
                .collect();
            if ids.is_empty() {
                continue;
            }
            let links: Vec<(LinkDef, StoredLink, Side)> = self
                .links_of(&sel)?
                .into_iter()
                .map(|(d, s, side)| (d.clone(), s.clone(), side))
                .collect();
            for (def, st, side) in &links {
                let tx = &mut txs[0].1;
                let d = tx.dialect();
                let mut touched = Vec::new();
                for chunk in ids.chunks(CHUNK) {
                    let mut sql = Sql::new(d);
                    sql.push("UPDATE ")
                        .ident(&st.table)
                        .push(" SET \"deleted_at\" = ");
                    match mode {
                        Mode::Delete(t) => {
                            sql.arg(Arg::Time(t))
                                .push(", \"updated_at\" = ")
                                .arg(Arg::Time(t));
                            sql.push(" WHERE \"deleted_at\" IS NULL AND ");
                        }
                        Mode::Restore(at) => {
                            sql.push("NULL, \"updated_at\" = ").arg(Arg::Time(now()));
                            sql.push(" WHERE ");
                            match at {
                                Some(t) => sql
                                    .push("\"deleted_at\" = ")
                                    .arg(Arg::Time(t))
                                    .push(" AND "),
                                None => sql.push("\"deleted_at\" IS NOT NULL AND "),
                            };
                        }
                    }
                    sql.ident(&def.side(*side).key).push(" IN (");
                    push_list(&mut sql, chunk);
                    sql.push(")");
                    returning(&mut sql, d, def, st);
                    let rows = tx.fetch(&sql, &row_types(st)).await?;
                    touched.extend(rows.into_iter().map(|r| decode_row(def, st, r)));
                }
                let other = def.side(side.other());
                if other.delete_cascade && !touched.is_empty() {
                    let other_ids: Vec<String> = touched
                        .iter()
                        .map(|r| {
                            if *side == Side::Left {
                                r.right.clone()
                            } else {
                                r.left.clone()
                            }
                        })
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    if let Some(done) = self.cascade_records(other, &other_ids, mode, txs).await? {
                        report
                            .records
                            .entry(format!("{}.{}", other.module, other.model))
                            .or_default()
                            .extend(done.iter().cloned());
                        // Their links go too (or come back).
                        for key in self.keys_of(other) {
                            queue.push(Selection::new(other.module.to_string(), key, done.clone()));
                        }
                    }
                }
                report
                    .links
                    .entry(def.name.to_string())
                    .or_default()
                    .extend(touched);
            }
        }
        Ok(())
    }

    /// Linkable keys of a side's model that stand for the same column as the
    /// side's key.
    fn keys_of(&self, side: &link_model::LinkSide) -> Vec<String> {
        let Some(model) = self.graph.model(&side.module, &side.model) else {
            return vec![side.key.to_string()];
        };
        let column = model
            .linkable_keys
            .iter()
            .find(|k| k.name == side.key)
            .map(|k| k.column.clone());
        model
            .linkable_keys
            .iter()
            .filter(|k| Some(&k.column) == column.as_ref())
            .map(|k| k.name.to_string())
            .collect()
    }

    /// Soft-deletes (or restores) module records; `None` when the model has
    /// no soft-delete column.
    async fn cascade_records(
        &self,
        side: &link_model::LinkSide,
        ids: &[String],
        mode: Mode,
        txs: &mut Vec<(String, Tx)>,
    ) -> Result<Option<Vec<String>>, Error> {
        let Some(module) = self.graph.module(&side.module) else {
            return Ok(None);
        };
        let Some(model) = module.models.iter().find(|m| m.name == side.model) else {
            return Ok(None);
        };
        let Some(sd) = &model.soft_delete else {
            return Ok(None);
        };
        let column = model
            .linkable_keys
            .iter()
            .find(|k| k.name == side.key)
            .map_or(model.primary_key.as_ref(), |k| k.column.as_ref())
            .to_string();
        let ds = module.data_source.to_string();
        let db = self.dbs.get(&ds);
        let idx = match txs
            .iter()
            .position(|(name, _)| *name == ds || self.dbs.get(name).id() == db.id())
        {
            Some(i) => i,
            None => {
                txs.push((ds.clone(), db.begin().await?));
                txs.len() - 1
            }
        };
        let tx = &mut txs[idx].1;
        let mut done = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let mut sql = Sql::new(tx.dialect());
            sql.push("UPDATE ")
                .ident(&model.table)
                .push(" SET ")
                .ident(sd)
                .push(" = ");
            match mode {
                Mode::Delete(t) => {
                    sql.arg(Arg::Time(t))
                        .push(" WHERE ")
                        .ident(sd)
                        .push(" IS NULL AND ");
                }
                Mode::Restore(at) => {
                    sql.push("NULL WHERE ");
                    match at {
                        Some(t) => sql.ident(sd).push(" = ").arg(Arg::Time(t)).push(" AND "),
                        None => sql.ident(sd).push(" IS NOT NULL AND "),
                    };
                }
            }
            sql.ident(&column).push(" IN (");
            push_list(&mut sql, chunk);
            sql.push(") RETURNING ").ident(&column);
            let rows = tx.fetch(&sql, &[ScalarType::Text]).await?;
            done.extend(
                rows.into_iter()
                    .filter_map(|r| r.into_iter().next())
                    .filter_map(|v| match v {
                        Value::String(s) => Some(s),
                        _ => None,
                    }),
            );
        }
        Ok(Some(done))
    }

    /// Hard-deletes soft-deleted link rows: all of them, or those deleted
    /// before `older_than`. Returns the count per link.
    pub async fn purge(
        &self,
        older_than: Option<DateTime>,
    ) -> Result<BTreeMap<String, u64>, Error> {
        let mut out = BTreeMap::new();
        let mut tx = self.db().begin().await?;
        for (def, st) in self.graph.stored_links() {
            let mut sql = Sql::new(tx.dialect());
            sql.push("DELETE FROM ")
                .ident(&st.table)
                .push(" WHERE \"deleted_at\" IS NOT NULL");
            if let Some(t) = older_than {
                sql.push(" AND \"deleted_at\" < ").arg(Arg::Time(t));
            }
            match tx.execute(&sql).await {
                Ok(n) => {
                    out.insert(def.name.to_string(), n);
                }
                Err(e) => {
                    let _ = tx.rollback().await;
                    return Err(e.into());
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Delete(DateTime),
    Restore(Option<DateTime>),
}

/// A ULID that sorts after every earlier one of this process, so link rows
/// created in one call keep their order under `ORDER BY created_at, id`.
fn next_ulid() -> ulid::Ulid {
    static GENERATOR: std::sync::Mutex<Option<ulid::Generator>> = std::sync::Mutex::new(None);
    let mut g = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    g.get_or_insert_with(ulid::Generator::new)
        .generate()
        .unwrap_or_else(|_| ulid::Ulid::generate())
}

/// `(left key, right key)` of a link row.
type Pair = (String, String);

/// Rows of one link that supply the same extra columns.
struct Group {
    link: String,
    columns: Vec<String>,
    rows: Vec<(String, String, Map<String, Value>)>,
}

/// Is `side`'s key unique among live rows? (The other side is not a list.)
fn is_unique(def: &LinkDef, side: Side) -> bool {
    !def.side(side.other()).is_list
}

/// `(unique side, its value, the other side's value)` for each unique key.
fn unique_sides<'a>(def: &LinkDef, left: &'a str, right: &'a str) -> Vec<(Side, &'a str, &'a str)> {
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
fn to_arg(link: &str, c: &ExtraColumn, v: &Value) -> Result<Arg, Error> {
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

/// Column types of a link row as selected by [`select_rows`].
fn row_types(st: &StoredLink) -> Vec<ScalarType> {
    let mut v = vec![ScalarType::Text, ScalarType::Text, ScalarType::Text];
    v.extend(st.extra_columns.iter().map(|c| c.ty));
    v.extend([ScalarType::Timestamp; 3]);
    v
}

fn row_columns(d: Dialect, def: &LinkDef, st: &StoredLink, alias: &str) -> String {
    let mut cols = vec![
        select_expr(d, alias, &def.left.key, ScalarType::Text),
        select_expr(d, alias, &def.right.key, ScalarType::Text),
        select_expr(d, alias, "id", ScalarType::Text),
    ];
    cols.extend(
        st.extra_columns
            .iter()
            .map(|c| select_expr(d, alias, &c.name, c.ty)),
    );
    for c in ["created_at", "updated_at", "deleted_at"] {
        cols.push(select_expr(d, alias, c, ScalarType::Timestamp));
    }
    cols.join(", ")
}

fn select_rows(sql: &mut Sql, d: Dialect, def: &LinkDef, st: &StoredLink) {
    sql.push("SELECT ")
        .push(&row_columns(d, def, st, &st.table))
        .push(" FROM ")
        .ident(&st.table);
}

fn returning(sql: &mut Sql, d: Dialect, def: &LinkDef, st: &StoredLink) {
    sql.push(" RETURNING ")
        .push(&row_columns(d, def, st, &st.table));
}

fn decode_row(def: &LinkDef, st: &StoredLink, row: Vec<Value>) -> LinkRow {
    let mut it = row.into_iter();
    let mut text = || match it.next() {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    let (left, right, id) = (text(), text(), text());
    let mut data = Map::new();
    for c in st.extra_columns.iter() {
        data.insert(c.name.to_string(), it.next().unwrap_or(Value::Null));
    }
    LinkRow {
        link: def.name.to_string(),
        id,
        left,
        right,
        data,
        created_at: it.next().unwrap_or(Value::Null),
        updated_at: it.next().unwrap_or(Value::Null),
        deleted_at: it.next().unwrap_or(Value::Null),
    }
}

fn push_list(sql: &mut Sql, ids: &[String]) {
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.arg(Arg::Text(id.clone()));
    }
}

/// `(lk, rk) IN (VALUES ($1, $2), …)`
fn pair_condition(sql: &mut Sql, def: &LinkDef, pairs: &[(String, String)]) {
    sql.push("(")
        .ident(&def.left.key)
        .push(", ")
        .ident(&def.right.key)
        .push(") IN (VALUES ");
    for (i, (l, r)) in pairs.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("(")
            .arg(Arg::Text(l.clone()))
            .push(", ")
            .arg(Arg::Text(r.clone()))
            .push(")");
    }
    sql.push(")");
}
