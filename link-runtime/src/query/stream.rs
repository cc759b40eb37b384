//! Streaming: all roots of a request with their relations, read in chunks
//! of cursor pages, so memory holds one chunk at a time.

use serde_json::Value;

use super::Query;
use super::request::{Count, Graph};
use crate::error::Error;

/// Roots of a request in chunks, from [`Query::stream`].
pub struct GraphStream {
    query: Query,
    req: Graph,
    chunk: u64,
    after: Option<String>,
    done: bool,
}

impl Query {
    /// Reads every root of `req` (with its nested relations) in chunks of
    /// `chunk` roots, keyset-paginated on the root's order (which must allow
    /// cursors: see `Metadata::next`). `req` takes no `skip`, `take` or
    /// `after`: the stream pages itself. Each chunk costs one cursor page.
    pub fn stream(&self, req: Graph, chunk: u64) -> GraphStream {
        GraphStream {
            query: self.clone(),
            req,
            chunk: chunk.max(1),
            after: None,
            done: false,
        }
    }
}

impl GraphStream {
    /// The next chunk of roots, `None` after the last one.
    pub async fn next(&mut self) -> Option<Result<Vec<Value>, Error>> {
        if self.done {
            return None;
        }
        if self.req.skip.is_some() || self.req.take.is_some() || self.req.after.is_some() {
            self.done = true;
            return Some(Err(Error::InvalidPagination {
                message: "a stream pages itself: give no `skip`, `take` or `after`".to_string(),
            }));
        }
        let mut page = self.req.clone().take(self.chunk).count(Count::None);
        page.after = self.after.take();
        let r = match self.query.graph(page).await {
            Ok(r) => r,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        let next = r.metadata.and_then(|m| m.next);
        if next.is_none() && r.data.len() as u64 == self.chunk {
            // A full chunk without a cursor: the order allows none.
            self.done = true;
            return Some(Err(Error::InvalidPagination {
                message: format!(
                    "cannot stream `{}`: its order needs fields that are never NULL, of text, number, boolean, date or timestamp type",
                    self.req.entity
                ),
            }));
        }
        self.after = next;
        self.done = self.after.is_none();
        if r.data.is_empty() {
            return None;
        }
        Some(Ok(r.data))
    }
}
