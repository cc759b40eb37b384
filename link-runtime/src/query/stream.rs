//! Streaming: all roots of a request with their relations, read in chunks
//! of cursor pages, so memory holds a bounded number of chunks at a time;
//! as JSON objects ([`Query::stream`]) or as a derived selection
//! ([`Query::fetch_stream`]) or as each root's JSON text
//! ([`Query::stream_json`]), the same reading every way.
//!
//! The roots of each chunk are read in order by a task of their own; the
//! rest of a chunk (its relations, its stitching) runs on a task of its
//! own as soon as its roots are in, so the server reads the relations of
//! one chunk while the client decodes those of the one before, and the
//! next chunk is ready when the caller asks. When the roots come in primary-key order with no
//! filter, a chunk's children through the primary key are read as a key
//! range of the link table (`Parents::Range`: an index range scan, no bound
//! array of keys).

use link_model::ScalarType;
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::sync::mpsc;

use super::cursor;
use super::plan::{OrderBy, Plan, Schema};
use super::request::{Count, Dir, Graph};
use super::select::{self, Raw, Selectable};
use super::sql::{Parents, Resolved, Select, Writer};
use super::stitch::{Row, Sink};
use super::text::Layouts;
use super::{Prefetched, Query, typed};
use crate::db::Sql;
use crate::error::Error;

/// Roots of a request in chunks, from [`Query::stream`]: JSON objects.
pub struct GraphStream {
    chunks: Chunks<Value, Vec<Value>>,
}

/// Roots of a request in chunks, from [`Query::stream_json`]: each root as
/// its JSON text.
pub struct JsonStream {
    chunks: Chunks<Raw, Vec<Box<RawValue>>>,
}

/// Roots of a typed request in chunks, from [`Query::fetch_stream`]: rows
/// decoded into the derived selection `T`, as [`Query::fetch`] decodes
/// them (no JSON value is built).
pub struct FetchStream<T> {
    chunks: Chunks<Raw, Vec<T>>,
}

/// The chunks of a stream whose rows are stitched as `S`, each chunk
/// handed over as a `B`.
struct Chunks<S, B> {
    /// What to read, until the reading task starts.
    start: Option<(Query, Graph, u64)>,
    rx: Option<mpsc::Receiver<Finishing<B>>>,
    done: bool,
    /// What a chunk's finished rows become (on the chunk's finishing task).
    finish: Finish<S, B>,
}

/// What the finished rows of a chunk read by a plan become.
type Finish<S, B> = fn(&Plan, Vec<S>) -> Result<B, Error>;

impl<S, B> Chunks<S, B> {
    fn new(query: &Query, req: Graph, chunk: u64, finish: Finish<S, B>) -> Self {
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
    /// (one statement for its roots, one per relation hop); chunks are
    /// read ahead of the caller (on Tokio tasks), at most three held at a
    /// time: the caller's, one ready and one being read. Memory follows
    /// `chunk`: as JSON, 5,000 products with three channels each are about
    /// 15 MB.
    pub fn stream(&self, req: Graph, chunk: u64) -> GraphStream {
        GraphStream {
            chunks: Chunks::new(self, req, chunk, |_, rows| Ok(rows)),
        }
    }

    /// [`Query::stream`] with each root as its JSON text: byte for byte
    /// `serde_json::to_string` of the object `stream` yields for it, written
    /// straight from the row's values on the task that finishes the chunk,
    /// without building that object. The form for moving many roots (to a
    /// file, a response, another service): at 1,000,000 products with their
    /// channels it costs about what the typed stream costs (about the
    /// hand-written join read with sqlx), where building and dropping the
    /// `Value`s costs a third to a half more. Parse a root
    /// (`serde_json::from_str(raw.get())`) into a `Value` or your own type
    /// when you need its fields.
    pub fn stream_json(&self, req: Graph, chunk: u64) -> JsonStream {
        JsonStream {
            chunks: Chunks::new(self, req, chunk, |plan, rows| {
                let layouts = Layouts::new(plan);
                rows.iter().map(|r| layouts.root_text(r)).collect()
            }),
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
            chunks: Chunks::new(self, super::selection_graph::<T>(req), chunk, |_, rows| {
                rows.into_iter().map(select::decode::<T>).collect()
            }),
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

impl JsonStream {
    /// The next chunk of roots (each one's JSON text), `None` after the
    /// last one.
    pub async fn next(&mut self) -> Option<Result<Vec<Box<RawValue>>, Error>> {
        self.chunks.next().await
    }
}

impl<T: Send + 'static> FetchStream<T> {
    /// The next chunk of rows, `None` after the last one.
    pub async fn next(&mut self) -> Option<Result<Vec<T>, Error>> {
        self.chunks.next().await
    }
}

impl<S, B> Chunks<S, B>
where
    S: Sink + Send + Sync + 'static,
    B: Send + 'static,
{
    async fn next(&mut self) -> Option<Result<B, Error>> {
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
type Finishing<B> = tokio::task::JoinHandle<Result<B, Error>>;

/// Reads the chunks of `req` into `tx` until the last one, an error, or
/// the stream being dropped. The roots of each chunk are read here, in
/// order (each chunk's cursor is the last root of the one before); the
/// rest of a chunk (its relations, its stitching) runs on a task of its
/// own as soon as its roots are in, so the server reads the relations of
/// one chunk while the client decodes those of the one before. The channel
/// bounds the chunks in flight: the caller's, the one in the channel and
/// the one waiting to be sent.
async fn produce<S, B>(
    query: Query,
    req: Graph,
    chunk: u64,
    tx: mpsc::Sender<Finishing<B>>,
    finish: Finish<S, B>,
) where
    S: Sink + Send + Sync + 'static,
    B: Send + 'static,
{
    let fail = |e: Error| -> Finishing<B> { tokio::spawn(async move { Err(e) }) };
    let mut after = None;
    loop {
        let roots = match query.chunk_roots::<S>(&req, chunk, after).await {
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
        after = roots.next.clone();
        // A chunk starts when the channel has room for it: at most the
        // caller's chunk, the one in the channel and the one being read.
        let Ok(permit) = tx.reserve().await else {
            return;
        };
        let q = query.clone();
        permit.send(tokio::spawn(
            async move { q.chunk_finish(roots, finish).await },
        ));
        if after.is_none() {
            return;
        }
    }
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

    /// The children of a chunk's roots that a key range reads (`None` for
    /// a relation read otherwise).
    async fn chunk_ranged<S: Sink>(&self, roots: &Roots<S>) -> Result<Prefetched<S>, Error> {
        let Roots {
            plan,
            resolved,
            rows,
            chunk,
            ..
        } = roots;
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
        Ok(prefetched)
    }

    /// A chunk's relations read (by key range where they can be) and its
    /// rows finished, made a `B` by `finish`.
    async fn chunk_finish<S: Sink + Send + Sync, B>(
        &self,
        roots: Roots<S>,
        finish: Finish<S, B>,
    ) -> Result<B, Error> {
        let prefetched = self.chunk_ranged(&roots).await?;
        let Roots {
            plan,
            resolved,
            mut rows,
            ..
        } = roots;
        self.fill(&plan, &resolved, 0, &mut rows, true, prefetched)
            .await?;
        let root = plan.root();
        let rows = rows.into_iter().map(|r| r.finish(root)).collect();
        finish(&plan, rows)
    }
}
