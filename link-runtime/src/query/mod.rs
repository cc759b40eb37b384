//! Query: `graph` over field paths across modules, with filters (including
//! filters on linked records that narrow the root), pagination, ordering by
//! to-one linked fields and per-parent limits on nested lists.
//!
//! The pipeline: **request** ([`Graph`]) → **plan** (`plan`: an arena of
//! levels with ids, typed filters from `filter`, all checked before any
//! statement) → **cross-database resolution** (`cross_db`: relation filters
//! whose records live elsewhere become key sets, by filter id) → **SQL**
//! (`sql`: one statement per level, written for the dialect that runs it) →
//! **stitch** (`stitch`: child rows regrouped under their parents).
//!
//! Execution: one statement per relation hop (plus one for the count), never
//! one per row. A child level takes its parents' keys as one bound array (an
//! index probe on the join key, any number of keys); the root's children are
//! instead a semi-join on the root's own query, read while the root's
//! statement runs, when every root is read or a small page comes in
//! primary-key order. The count runs alongside the relations. On SQLite a level's rows come back packed in one JSON
//! value when their types allow (see `fetch_rows`).

mod cross_db;
mod cursor;
mod filter;
mod plan;
mod request;
pub mod select;
mod sql;
mod stitch;
mod stream;
mod text;
pub mod typed;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use link_model::{LinkGraph, ScalarType};

use crate::db::{Cell, CellRow, Db, Dialect, Sql};
use crate::error::Error;
use crate::link::Databases;

use plan::{Hop, LevelId, Plan, Schema};
use sql::{Parents, Resolved, Select, Writer};
use stitch::{Row, Sink};

pub use request::{Count, Dir, FieldOrPath, Graph, GraphResult, Metadata, Nested, Shape};
pub use stream::{FetchStream, GraphStream, JsonStream};

/// The Query service.
#[derive(Clone)]
pub struct Query {
    graph: Arc<LinkGraph>,
    dbs: Databases,
}

/// Largest page whose children are read at the same time as the page (a
/// semi-join re-running the page) when it comes in primary-key order.
const KEY_LIST_MAX: usize = 1000;

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Rows of one statement, maybe prefetched.
type Prefetched<S> = Vec<Option<Result<Vec<Row<S>>, Error>>>;

impl Query {
    /// A Query service over `graph`, reading each data source's database.
    pub fn new(graph: impl Into<Arc<LinkGraph>>, dbs: Databases) -> Query {
        Query {
            graph: graph.into(),
            dbs,
        }
    }

    /// The databases read, by data source.
    pub fn databases(&self) -> &Databases {
        &self.dbs
    }

    /// The link graph queried.
    pub fn graph_def(&self) -> &LinkGraph {
        &self.graph
    }

    /// Runs a graph request; rows are JSON objects holding exactly the
    /// requested fields and relations.
    pub async fn graph(&self, req: Graph) -> Result<GraphResult, Error> {
        self.run::<Value>(&req).await
    }

    /// Runs a graph request and deserialises every row into `T` (a generated
    /// entity struct or the caller's own serde type).
    pub async fn graph_as<T: DeserializeOwned>(&self, req: Graph) -> Result<GraphResult<T>, Error> {
        let r = self.graph(req).await?;
        let data = r
            .data
            .into_iter()
            .map(|v| {
                serde_json::from_value(v).map_err(|e| Error::InvalidValue {
                    message: format!("cannot deserialise a row: {e}"),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(GraphResult {
            data,
            metadata: r.metadata,
        })
    }

    /// Runs a typed request and deserialises every row into its root's
    /// generated entity struct.
    pub async fn select<R: DeserializeOwned>(
        &self,
        req: typed::Select<R>,
    ) -> Result<GraphResult<R>, Error> {
        self.graph_as::<R>(req.into_graph()).await
    }

    /// Runs a typed request for the derived selection `T`: the request's
    /// fields are `T`'s (fields given to `req` are replaced), its nested
    /// lists take `T`'s `#[select(take, order)]` unless `req` sets them, and
    /// each row is decoded into a `T` straight from the fetched values.
    pub async fn fetch<T: select::Selectable>(
        &self,
        req: typed::Select<T::Root>,
    ) -> Result<GraphResult<T>, Error> {
        let graph = selection_graph::<T>(req);
        let r = self.run::<select::Raw>(&graph).await?;
        let data = r
            .data
            .into_iter()
            .map(select::decode::<T>)
            .collect::<Result<_, _>>()?;
        Ok(GraphResult {
            data,
            metadata: r.metadata,
        })
    }

    async fn run<S: Sink + Send + Sync>(&self, req: &Graph) -> Result<GraphResult<S>, Error> {
        let plan = Schema { graph: &self.graph }.plan(req)?;
        let resolved = self.resolve(&plan).await?;
        let root = plan.root();
        let db = self.dbs.get(&root.info.data_source).clone();
        let d = db.dialect();
        let cols = root.columns(&plan);
        let types: Vec<ScalarType> = cols.iter().map(|(_, t)| *t).collect();
        // Medusa gives `metadata` only when `skip` is given; a request
        // using what Medusa lacks (a cursor, a count mode) gets it too.
        let with_metadata = match req.shape {
            Shape::Exact => plan.paged(),
            Shape::Medusa => {
                plan.skip.is_some()
                    || (plan.paged() && (req.after.is_some() || req.count != Count::Exact))
            }
        };
        let count = async {
            if !with_metadata {
                return Ok(None);
            }
            Ok::<_, Error>(Some(self.count(&db, &plan, &resolved, req.count).await?))
        };
        // Every root with its only relation, a per-parent `take` read by a
        // lateral join, or a page of roots with its only list: one
        // statement for both.
        let joined = root.children.first().copied().filter(|&c| {
            let w = Writer::new(&plan, &resolved, d);
            root.children.len() == 1
                && d == Dialect::Postgres
                && self.joins_in_sql(&plan, c, true)
                && ((!plan.paged() && w.lateral(c)) || w.lateral_page(c))
        });
        if let Some(c) = joined {
            let (fetched, count) = tokio::join!(
                self.fetch_with_lateral(&db, &plan, &resolved, &cols, c),
                count
            );
            let (mut rows, child_rows) = fetched?;
            self.fill(
                &plan,
                &resolved,
                0,
                &mut rows,
                true,
                vec![Some(Ok(child_rows))],
            )
            .await?;
            let metadata = metadata(&plan, count?, &rows);
            let data = rows.into_iter().map(|r| r.finish(root)).collect();
            return Ok(GraphResult { data, metadata });
        }
        let rows = self.fetch_rows(&db, &types, true, |packed| {
            let mut sql = Sql::new(d);
            let order = Writer::new(&plan, &resolved, d).root(
                &mut sql,
                Select::Columns {
                    cols: &cols,
                    packed,
                },
            );
            (sql, order)
        });
        // Relations that semi-join on the root's query are read meanwhile
        // (on another connection when the pool has one).
        let (rows, prefetched) = tokio::join!(rows, self.prefetch::<S>(&plan, &resolved));
        let rows = rows.map_err(|e| field_type(&[(&root.info, &cols)], e))?;
        let mut rows: Vec<Row<S>> = rows.into_iter().map(|r| Row::new(root, r, None)).collect();
        // The count and the relations are independent reads: run together.
        let (count, children) = tokio::join!(
            count,
            self.fill(&plan, &resolved, 0, &mut rows, true, prefetched)
        );
        let metadata = metadata(&plan, count?, &rows);
        children?;
        let data = rows.into_iter().map(|r| r.finish(root)).collect();
        Ok(GraphResult { data, metadata })
    }

    /// The roots and the rows of their windowed child `c`, from one
    /// statement (`Writer::root_with_lateral`): a root's row repeats for
    /// each of its children, a root without children comes once with a
    /// NULL marker.
    async fn fetch_with_lateral<S: Sink>(
        &self,
        db: &Db,
        plan: &Plan,
        resolved: &Resolved,
        cols: &[(String, ScalarType)],
        c: LevelId,
    ) -> Result<(Vec<Row<S>>, Vec<Row<S>>), Error> {
        let root = plan.root();
        let child = &plan.levels[c];
        let ccols = child.columns(plan);
        let mut types: Vec<ScalarType> = cols.iter().map(|(_, t)| *t).collect();
        types.extend(ccols.iter().map(|(_, t)| *t));
        types.push(ScalarType::Integer);
        let mut sql = Sql::new(db.dialect());
        Writer::new(plan, resolved, db.dialect()).root_with_lateral(&mut sql, cols, c, &ccols);
        let all = db
            .fetch_rows(&sql, &types)
            .await
            .map_err(|e| field_type(&[(&root.info, cols), (&child.info, &ccols)], e.into()))?;
        let n = cols.len();
        let pkpos = root.key_index(plan, &root.info.pk);
        let kpos = root.key_index(plan, plan.edge(c).hop.parent_col());
        let mut rows: Vec<Row<S>> = Vec::new();
        let mut child_rows: Vec<CellRow> = Vec::new();
        for mut r in all {
            let hit = r.pop();
            let mut cvals: CellRow = r.drain(n..).collect();
            let parent = r.get(kpos).cloned().unwrap_or(Cell::Null);
            if rows
                .last()
                .is_none_or(|p| p.vals.get(pkpos) != r.get(pkpos))
            {
                rows.push(Row::new(root, r, None));
            }
            if !matches!(hit, None | Some(Cell::Null)) {
                cvals.push(parent);
                child_rows.push(cvals);
            }
        }
        let child_rows = Row::children(child, crate::db::share_parents(child_rows));
        Ok((rows, child_rows))
    }

    /// The count of a paginated request's roots, as `mode` asks.
    async fn count(
        &self,
        db: &Db,
        plan: &Plan,
        resolved: &Resolved,
        mode: Count,
    ) -> Result<Option<u64>, Error> {
        let d = db.dialect();
        let mut sql = Sql::new(d);
        match (mode, d) {
            (Count::None, _) => return Ok(None),
            (Count::Estimate, Dialect::Postgres) => {
                sql.push("EXPLAIN (FORMAT JSON) ");
                Writer::new(plan, resolved, d).root(&mut sql, Select::Estimate);
                let plan_json = db.fetch_cells(&sql, &[ScalarType::Json]).await?;
                let rows = plan_json
                    .first()
                    .and_then(|r| r.first())
                    .and_then(|c| match c {
                        Cell::Json(v) => v.pointer("/0/Plan/Plan Rows"),
                        _ => None,
                    })
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0);
                return Ok(Some(rows.max(0.0).round() as u64));
            }
            _ => {
                Writer::new(plan, resolved, d).root(&mut sql, Select::Count);
            }
        }
        let n = db.fetch_cells(&sql, &[ScalarType::BigInt]).await?;
        Ok(Some(
            n.first()
                .and_then(|r| r.first())
                .and_then(Cell::as_i64)
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
        ))
    }

    /// Whether child level `id` is read in its parent's database by a
    /// statement over the parent level's own query (`inline`: the parent's
    /// rows can be written as SQL there).
    fn joins_in_sql(&self, plan: &Plan, id: LevelId, inline: bool) -> bool {
        let edge = plan.edge(id);
        let child = &plan.levels[id].info.data_source;
        let parent = &plan.levels[edge.parent].info.data_source;
        inline
            && self.dbs.same(child, parent)
            && (matches!(edge.hop, Hop::Direct { .. }) || self.dbs.same("default", child))
    }

    /// Child rows of the root read while the root's own statement runs: the
    /// children that semi-join on the root's query (in its database, when
    /// more roots than [`KEY_LIST_MAX`] may come, or the roots come in
    /// primary-key order).
    async fn prefetch<S: Sink>(&self, plan: &Plan, resolved: &Resolved) -> Prefetched<S> {
        let root = plan.root();
        // All roots: a semi-join on the root's query, read at the same time
        // as the roots. A small page in primary-key order: re-running the
        // page inside the child's statement costs an index range, and both
        // statements run at once instead of one after the other.
        let by_pk = root
            .order
            .iter()
            .all(|t| matches!(&t.by, plan::OrderBy::Field { col, .. } if *col == root.info.pk));
        let many = match plan.take {
            None => true,
            // A large page: its keys as one array use the join key's index.
            Some(t) => by_pk && t <= KEY_LIST_MAX as u64,
        };
        let mut out = Vec::with_capacity(root.children.len());
        // Every root but the soft-deleted: on Postgres their children need
        // no semi-join (children of soft-deleted roots are dropped by
        // stitching). SQLite reads the link table in the semi-join's key
        // order faster than it sorts the whole table.
        let all = !plan.paged()
            && root.filter.is_true()
            && self.dbs.get(&root.info.data_source).dialect() == Dialect::Postgres;
        let parents = if all { Parents::All } else { Parents::Query };
        for &c in &root.children {
            if many && self.joins_in_sql(plan, c, true) {
                out.push(Some(self.fetch_child(plan, resolved, c, parents).await));
            } else {
                out.push(None);
            }
        }
        out
    }

    /// Fetches every child level of `id` and stitches it into `rows`.
    fn fill<'a, S: Sink + Send + Sync>(
        &'a self,
        plan: &'a Plan,
        resolved: &'a Resolved,
        id: LevelId,
        rows: &'a mut [Row<S>],
        inline: bool,
        mut prefetched: Prefetched<S>,
    ) -> BoxFut<'a, Result<(), Error>> {
        Box::pin(async move {
            let level = &plan.levels[id];
            for (ci, &cid) in level.children.iter().enumerate() {
                let edge = plan.edge(cid);
                let child = &plan.levels[cid];
                let kpos = level.key_index(plan, edge.hop.parent_col());
                let in_sql = self.joins_in_sql(plan, cid, inline);
                let mut child_rows = match prefetched.get_mut(ci).and_then(Option::take) {
                    Some(fetched) => fetched?,
                    None => {
                        let keys = stitch::keys(rows, kpos);
                        let text_keys = level.info.ty(edge.hop.parent_col()) == ScalarType::Text;
                        if keys.is_empty() {
                            Vec::new()
                        } else if in_sql && !text_keys {
                            self.fetch_child(plan, resolved, cid, Parents::Query)
                                .await?
                        } else if matches!(edge.hop, Hop::Pivot { .. })
                            && !self.dbs.same("default", &child.info.data_source)
                        {
                            self.fetch_apart(plan, resolved, cid, &keys).await?
                        } else {
                            self.fetch_child(plan, resolved, cid, Parents::Keys(&keys))
                                .await?
                        }
                    }
                };
                if !child.children.is_empty() && !child_rows.is_empty() {
                    self.fill(plan, resolved, cid, &mut child_rows, in_sql, Vec::new())
                        .await?;
                }
                stitch::stitch(rows, ci, kpos, child, edge.is_list, child_rows);
            }
            Ok(())
        })
    }

    /// The rows of child level `id` for `parents`, one statement in the
    /// child's database (the link table, if any, lives there too).
    async fn fetch_child<S: Sink>(
        &self,
        plan: &Plan,
        resolved: &Resolved,
        id: LevelId,
        parents: Parents<'_>,
    ) -> Result<Vec<Row<S>>, Error> {
        let level = &plan.levels[id];
        let db = self.dbs.get(&level.info.data_source);
        let d = db.dialect();
        let cols = level.columns(plan);
        let mut types: Vec<ScalarType> = cols.iter().map(|(_, t)| *t).collect();
        types.push(ScalarType::Text);
        let unpacked = Select::Columns {
            cols: &cols,
            packed: false,
        };
        let build = |packed| {
            let mut sql = Sql::new(d);
            let order = Writer::new(plan, resolved, d).child(
                &mut sql,
                id,
                parents,
                Select::Columns {
                    cols: &cols,
                    packed,
                },
            );
            (sql, order)
        };
        let rows = if sql::sorted_by_caller(plan, id, parents, unpacked, d) {
            // The link's `created_at` and `id` follow the parent key.
            db.fetch_link_ordered(&build(false).0, &types)
                .await
                .map_err(Error::from)
        } else {
            // Per-parent windows are never packed.
            let packable = level.take.is_none();
            self.fetch_rows(db, &types, packable, build)
                .await
                .map(crate::db::share_parents)
        }
        .map_err(|e| field_type(&[(&level.info, &cols)], e))?;
        Ok(Row::children(level, rows))
    }

    /// The rows of a level's statement, built by `build` (given whether to
    /// write it packed; it returns the packed aggregate's order).
    ///
    /// On SQLite, sqlx hands rows over one by one from a worker thread,
    /// copying every value: that costs more than the query for large reads.
    /// When every column has a type that JSON carries exactly, the rows come
    /// back packed in one JSON array (`json_group_array`, ordered like the
    /// statement) and are decoded as the row decoder would; anything that
    /// does not map back exactly, or a failing packed statement, falls back
    /// to the plain statement.
    async fn fetch_rows(
        &self,
        db: &Db,
        types: &[ScalarType],
        packable: bool,
        build: impl Fn(bool) -> (Sql, Vec<String>),
    ) -> Result<Vec<CellRow>, Error> {
        if packable
            && db.dialect() == Dialect::Sqlite
            && !types.is_empty()
            && types.iter().all(|t| crate::db::json_exact(*t))
        {
            let (inner, order) = build(true);
            let mut sql = Sql::new(Dialect::Sqlite);
            sql.push("SELECT json_group_array(json_array(");
            sql.push(
                &(0..types.len())
                    .map(|i| format!("\"__c{i}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            sql.push(")");
            if !order.is_empty() {
                sql.push(" ORDER BY ").push(&order.join(", "));
            }
            sql.push(") FROM (").append(inner).push(")");
            if let Ok(packed) = db.fetch_cells(&sql, &[ScalarType::Text]).await
                && let Some(Cell::Text(text)) = packed.first().and_then(|r| r.first())
                && let Some(rows) = crate::db::unpack_rows(text, types)
            {
                return Ok(rows);
            }
        }
        let (sql, _) = build(false);
        Ok(db.fetch_rows(&sql, types).await?)
    }
}

/// The request of derived selection `T`: `req` with `T`'s fields (fields
/// given to `req` are replaced) and `T`'s list arguments where `req` sets
/// none.
fn selection_graph<T: select::Selectable>(req: typed::Select<T::Root>) -> Graph {
    let mut graph = req.into_graph();
    graph.fields.clear();
    T::request(&crate::path::PathPrefix::root(), &mut graph.fields);
    T::nested(&crate::path::PathPrefix::root(), &mut graph.nested);
    graph
}

/// The entities whose columns a statement reads, in statement order.
/// A page's metadata, from its count (`None`: no metadata) and its rows
/// (the cursor after the last one, when the page is full).
fn metadata<S>(plan: &Plan, count: Option<Option<u64>>, rows: &[Row<S>]) -> Option<Metadata> {
    let root = plan.root();
    let next = match (&plan.keyset, plan.take, rows.last()) {
        (Some(ks), Some(take), Some(last)) if take > 0 && rows.len() as u64 == take => {
            Some(cursor::after(ks, root, plan, &last.vals))
        }
        _ => None,
    };
    count.map(|count| Metadata {
        count,
        skip: plan.skip.unwrap_or(0),
        take: plan.take,
        next,
    })
}

type Columns<'a> = [(&'a plan::EntityInfo, &'a [(String, ScalarType)])];

/// A value that does not decode as its column's declared type, named by
/// entity and field (a join key read as `__k_<col>` by its column), with a
/// hint for a Postgres enum declared `text`; any other error unchanged.
fn field_type(parts: &Columns<'_>, e: Error) -> Error {
    let Error::Database(crate::db::DbError::Decode { column, message }) = &e else {
        return e;
    };
    let mut at = *column;
    let mut found = None;
    for (info, cols) in parts {
        if at < cols.len() {
            found = Some((*info, &cols[at]));
            break;
        }
        at -= cols.len();
    }
    let Some((info, (name, ty))) = found else {
        return e;
    };
    let field = plan::column_of(name);
    // sqlx: "… is not compatible with SQL type `order_status_enum`".
    let sql_type = message
        .split_once("is not compatible with SQL type `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(t, _)| t.to_string());
    let (problem, hint) = match sql_type {
        Some(t) => {
            let hint = if *ty == ScalarType::Text {
                "; declare a Postgres enum column `enum`"
            } else {
                ""
            };
            (format!("its column is of type `{t}`"), hint)
        }
        None => (format!("its column does not read as that ({message})"), ""),
    };
    Error::FieldType {
        entity: info.name.clone(),
        field: field.to_string(),
        declared: ty.name().to_string(),
        problem,
        hint: hint.to_string(),
    }
}
