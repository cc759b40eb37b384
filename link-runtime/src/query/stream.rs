//! Streaming: all roots of a request with their relations, read in chunks
//! of cursor pages, so memory holds a bounded number of chunks at a time;
//! as JSON objects ([`Query::stream`]) or as a derived selection
//! ([`Query::fetch_stream`]), the same reading either way.
//!
//! The chunks are read by a task of their own, one chunk ahead of the
//! caller: while the caller works on a chunk, the next one is read. Within
//! the task, the roots of the next chunk are read while the relations of
//! the current one are. When the roots come in primary-key order with no
//! filter, a chunk's children through the primary key are read as a key
//! range of the link table (`Parents::Range`: an index range scan, no bound
//! array of keys).

use link_model::ScalarType;
use serde_json::Value;
use tokio::sync::mpsc;

use super::cursor;
use super::plan::{OrderBy, Plan, Schema};
use super::request::{Count, Dir, Graph};
use super::select::{self, Raw, Selectable};
use super::sql::{Parents, Resolved, Select, Writer};
use super::stitch::{Row, Sink};
use super::{Prefetched, Query, typed};
use crate::db::Sql;
use crate::error::Error;

/// Roots of a request in chunks, from [`Query::stream`]: JSON objects.
pub struct GraphStream {
    chunks: Chunks<Value, Value>,
}

/// Roots of a typed request in chunks, from [`Query::fetch_stream`]: rows
/// decoded into the derived selection `T`, as [`Query::fetch`] decodes
/// them (no JSON value is built).
pub struct FetchStream<T> {
    chunks: Chunks<Raw, T>,
}

/// The chunks of a stream whose rows are stitched as `S` and handed over
/// as `O`.
struct Chunks<S, O> {
    /// What to read, until the reading task starts.
    start: Option<(Query, Graph, u64)>,
    rx: Option<mpsc::Receiver<Finishing<O>>>,
    done: bool,
    /// What a finished row becomes (on the chunk's finishing task).
    finish: fn(S) -> Result<O, Error>,
}

impl<S, O> Chunks<S, O> {
    fn new(query: &Query, req: Graph, chunk: u64, finish: fn(S) -> Result<O, Error>) -> Self {
        Chunks {
            start: Some((query.clone(), req, chunk.max(1))),
            rx: None,
            done: false,
            finish,
        }
    }
}

impl Query {
    /// Reads every root of `req` (with its nested relations) in chunks of
    /// `chunk` roots, keyset-paginated on the root's order (which must allow
    /// cursors: see `Metadata::next`). `req` takes no `skip`, `take` or
    /// `after`: the stream pages itself. Each chunk costs one cursor page
    /// (one statement for its roots, one per relation hop); one chunk is
    /// read ahead of the caller (on a Tokio task), so at most three chunks
    /// are held at a time.
    pub fn stream(&self, req: Graph, chunk: u64) -> GraphStream {
        GraphStream {
            chunks: Chunks::new(self, req, chunk, Ok),
        }
    }

    /// [`Query::stream`] for the derived selection `T`: every root of
    /// `req` in chunks of `chunk` roots, keyset-paginated on the root's
    /// order, each row decoded into a `T` as [`Query::fetch`] decodes it
    /// (the request's fields are `T`'s, its nested lists take `T`'s list
    /// arguments unless `req` sets them). Reading ahead and memory are as
    /// for [`Query::stream`]; rows are decoded on the task that finishes
    /// their chunk, while the caller works on the one before.
    pub fn fetch_stream<T>(&self, req: typed::Select<T::Root>, chunk: u64) -> FetchStream<T>
    where
        T: Selectable + Send + 'static,
    {
        FetchStream {
            chunks: Chunks::new(
                self,
                super::selection_graph::<T>(req),
                chunk,
                select::decode::<T>,
            ),
        }
    }
}

/// The roots of one chunk, read, with the plan that read them.
struct Roots<S> {
    plan: Plan,
    resolved: Resolved,
    rows: Vec<Row<S>>,
    /// The cursor after the last root, when the chunk is full.
    next: Option<String>,
    chunk: u64,
}

impl GraphStream {
    /// The next chunk of roots, `None` after the last one.
    pub async fn next(&mut self) -> Option<Result<Vec<Value>, Error>> {
        self.chunks.next().await
    }
}

impl<T: Send + 'static> FetchStream<T> {
    /// The next chunk of rows, `None` after the last one.
    pub async fn next(&mut self) -> Option<Result<Vec<T>, Error>> {
        self.chunks.next().await
    }
}

impl<S, O> Chunks<S, O>
where
    S: Sink + Send + Sync + 'static,
    O: Send + 'static,
{
    async fn next(&mut self) -> Option<Result<Vec<O>, Error>> {
        if self.done {
            return None;
        }
        if let Some((query, req, chunk)) = self.start.take() {
            if req.skip.is_some() || req.take.is_some() || req.after.is_some() {
                self.done = true;
                return Some(Err(Error::InvalidPagination {
                    message: "a stream pages itself: give no `skip`, `take` or `after`".to_string(),
                }));
            }
            // One chunk in the channel, one being read: bounded memory.
            let (tx, rx) = mpsc::channel(1);
            tokio::spawn(produce(query, req, chunk, tx, self.finish));
            self.rx = Some(rx);
        }
        let got = match self.rx.as_mut()?.recv().await {
            Some(finishing) => match finishing.await {
                Ok(r) => Some(r),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => None,
            },
            None => None,
        };
        match got {
            Some(Ok(rows)) => Some(Ok(rows)),
            Some(Err(e)) => {
                self.done = true;
                Some(Err(e))
            }
            None => {
                self.done = true;
                None
            }
        }
    }
}

/// A chunk being finished (its remaining relations read, its rows
/// stitched) on a task of its own.
type Finishing<O> = tokio::task::JoinHandle<Result<Vec<O>, Error>>;

/// Reads the chunks of `req` into `tx` until the last one, an error, or
/// the stream being dropped. Three stages overlap: the roots of chunk
/// `i + 1` and the range-read children of chunk `i` are read together,
/// while chunk `i - 1` is finished on a task of its own.
async fn produce<S, O>(
    query: Query,
    req: Graph,
    chunk: u64,
    tx: mpsc::Sender<Finishing<O>>,
    finish: fn(S) -> Result<O, Error>,
) where
    S: Sink + Send + Sync + 'static,
    O: Send + 'static,
{
    let fail = |e: Error| -> Finishing<O> { tokio::spawn(async move { Err(e) }) };
    let mut page = query.chunk_roots::<S>(&req, chunk, None).await;
    loop {
        let roots = match page {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(fail(e)).await;
                return;
            }
        };
        if roots.rows.is_empty() {
            return;
        }
        if roots.next.is_none() && roots.rows.len() as u64 == chunk {
            // A full chunk without a cursor: the order allows none.
            let _ = tx
                .send(fail(Error::InvalidPagination {
                    message: format!(
                        "cannot stream `{}`: its order needs fields that are never NULL, of text, number, boolean, date or timestamp type",
                        req.entity
                    ),
                }))
                .await;
            return;
        }
        let after = roots.next.clone();
        // The next chunk's roots are read while this chunk's children are.
        let next_page = async {
            match after {
                Some(a) => Some(query.chunk_roots(&req, chunk, Some(a)).await),
                None => None,
            }
        };
        let (fetched, next_page) = tokio::join!(query.chunk_children(roots), next_page);
        let finishing = match fetched {
            Ok(f) => {
                let q = query.clone();
                tokio::spawn(async move { q.chunk_finish(f, finish).await })
            }
            Err(e) => {
                let _ = tx.send(fail(e)).await;
                return;
            }
        };
        if tx.send(finishing).await.is_err() {
            return;
        }
        match next_page {
            Some(p) => page = p,
            None => return,
        }
    }
}

/// A chunk's roots with the children read by key range.
struct Fetched<S> {
    roots: Roots<S>,
    prefetched: Prefetched<S>,
}

impl Query {
    /// The roots of the chunk after `after` (the first one when `None`).
    async fn chunk_roots<S: Sink>(
        &self,
        req: &Graph,
        chunk: u64,
        after: Option<String>,
    ) -> Result<Roots<S>, Error> {
        let mut page = req.clone().take(chunk).count(Count::None);
        page.after = after;
        let plan = Schema { graph: &self.graph }.plan(&page)?;
        let resolved = self.resolve(&plan).await?;
        let root = plan.root();
        let db = self.dbs.get(&root.info.data_source).clone();
        let d = db.dialect();
        let cols = root.columns(&plan);
        let types: Vec<ScalarType> = cols.iter().map(|(_, t)| *t).collect();
        let rows = self
            .fetch_rows(&db, &types, true, |packed| {
                let mut sql = Sql::new(d);
                let order = Writer::new(&plan, &resolved, d).root(
                    &mut sql,
                    Select::Columns {
                        cols: &cols,
                        packed,
                    },
                );
                (sql, order)
            })
            .await
            .map_err(|e| super::field_type(&[(&root.info, &cols)], e))?;
        let rows: Vec<Row<S>> = rows.into_iter().map(|r| Row::new(root, r, None)).collect();
        let next = match (&plan.keyset, rows.last()) {
            (Some(ks), Some(last)) if rows.len() as u64 == chunk => {
                Some(cursor::after(ks, root, &plan, &last.vals))
            }
            _ => None,
        };
        Ok(Roots {
            plan,
            resolved,
            rows,
            next,
            chunk,
        })
    }

    /// The children of a chunk's roots that a key range reads.
    async fn chunk_children<S: Sink>(&self, roots: Roots<S>) -> Result<Fetched<S>, Error> {
        let Roots {
            plan,
            resolved,
            rows,
            chunk,
            ..
        } = &roots;
        let chunk = *chunk;
        let root = plan.root();
        let pk = &root.info.pk;
        // Roots in ascending primary-key order, every one read: a child
        // through the primary key is a key range of the chunk.
        let ranged = root.filter.is_true()
            && root.order.iter().all(|t| {
                t.dir == Dir::Asc && matches!(&t.by, OrderBy::Field { col, .. } if col == pk)
            });
        let kpos = root.key_index(plan, pk);
        let after = plan
            .keyset
            .as_ref()
            .and_then(|k| k.after.as_ref())
            .and_then(|v| v.last());
        let upto = if rows.len() as u64 == chunk {
            rows.last()
                .and_then(|r| r.vals.get(kpos))
                .map(crate::db::Cell::to_value)
        } else {
            None
        };
        let mut prefetched = Vec::with_capacity(root.children.len());
        for &c in &root.children {
            let by_range = ranged
                && plan.edge(c).hop.parent_col() == pk.as_str()
                && plan.levels[c].take.is_none()
                && self.joins_in_sql(plan, c, true);
            if by_range {
                let parents = Parents::Range {
                    after,
                    upto: upto.as_ref(),
                };
                let fetched = self.fetch_child(plan, resolved, c, parents).await?;
                prefetched.push(Some(Ok(fetched)));
            } else {
                prefetched.push(None);
            }
        }
        Ok(Fetched { roots, prefetched })
    }

    /// A chunk's remaining relations read and its rows finished, each
    /// made an `O` by `finish`.
    async fn chunk_finish<S: Sink + Send + Sync, O>(
        &self,
        fetched: Fetched<S>,
        finish: fn(S) -> Result<O, Error>,
    ) -> Result<Vec<O>, Error> {
        let Fetched {
            roots:
                Roots {
                    plan,
                    resolved,
                    mut rows,
                    ..
                },
            prefetched,
        } = fetched;
        self.fill(&plan, &resolved, 0, &mut rows, true, prefetched)
            .await?;
        let root = plan.root();
        rows.into_iter().map(|r| finish(r.finish(root))).collect()
    }
}
