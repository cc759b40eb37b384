//! Streaming: all roots of a request with their relations, read in chunks
//! of cursor pages, so memory holds a bounded number of chunks at a time.
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
use super::sql::{Parents, Resolved, Select, Writer};
use super::stitch::Row;
use super::{Prefetched, Query};
use crate::db::Sql;
use crate::error::Error;

/// Roots of a request in chunks, from [`Query::stream`].
pub struct GraphStream {
    /// What to read, until the reading task starts.
    start: Option<(Query, Graph, u64)>,
    rx: Option<mpsc::Receiver<Finishing>>,
    done: bool,
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
            start: Some((self.clone(), req, chunk.max(1))),
            rx: None,
            done: false,
        }
    }
}

/// The roots of one chunk, read, with the plan that read them.
struct Roots {
    plan: Plan,
    resolved: Resolved,
    rows: Vec<Row<Value>>,
    /// The cursor after the last root, when the chunk is full.
    next: Option<String>,
    chunk: u64,
}

impl GraphStream {
    /// The next chunk of roots, `None` after the last one.
    pub async fn next(&mut self) -> Option<Result<Vec<Value>, Error>> {
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
            tokio::spawn(produce(query, req, chunk, tx));
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
type Finishing = tokio::task::JoinHandle<Result<Vec<Value>, Error>>;

/// Reads the chunks of `req` into `tx` until the last one, an error, or
/// the stream being dropped. Three stages overlap: the roots of chunk
/// `i + 1` and the range-read children of chunk `i` are read together,
/// while chunk `i - 1` is finished on a task of its own.
async fn produce(query: Query, req: Graph, chunk: u64, tx: mpsc::Sender<Finishing>) {
    let fail = |e: Error| -> Finishing { tokio::spawn(async move { Err(e) }) };
    let mut page = query.chunk_roots(&req, chunk, None).await;
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
                tokio::spawn(async move { q.chunk_finish(f).await })
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
struct Fetched {
    roots: Roots,
    prefetched: Prefetched<Value>,
}

impl Query {
    /// The roots of the chunk after `after` (the first one when `None`).
    async fn chunk_roots(
        &self,
        req: &Graph,
        chunk: u64,
        after: Option<String>,
    ) -> Result<Roots, Error> {
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
        let rows: Vec<Row<Value>> = rows.into_iter().map(|r| Row::new(root, r, None)).collect();
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
    async fn chunk_children(&self, roots: Roots) -> Result<Fetched, Error> {
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

    /// A chunk's remaining relations read and its rows finished.
    async fn chunk_finish(&self, fetched: Fetched) -> Result<Vec<Value>, Error> {
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
        Ok(rows.into_iter().map(|r| r.finish(root)).collect())
    }
}
