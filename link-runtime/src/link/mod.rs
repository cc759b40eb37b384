//! The Link service: create, dismiss, delete (with cascade), restore, list
//! and purge stored links.
//!
//! Fixes over Medusa: either module order is accepted; cardinality is
//! enforced by partial unique indexes (race-free) and an identical pair is
//! never a violation; a batch is one transaction; dismiss emits events;
//! delete/restore report what they touched and return errors as errors;
//! restore can undo exactly one delete; purge hard-deletes soft-deleted rows.

#![warn(missing_docs)]
mod cascade;
mod row;
mod selection;
mod typed;
mod write;

pub use row::LinkRow;
pub use selection::{ListFilter, Selection};

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast;

use link_model::{Link as LinkDef, LinkGraph, LinkKind, StoredLink};

use crate::DateTime;
use crate::db::Db;
use crate::error::{Error, one_of};

pub(crate) use row::*;
pub(crate) use write::*;

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
    /// The row is live after the write.
    Attached,
    /// The row is no longer live after the write.
    Detached,
}

/// What a write changed in one row (the event says it; rows a write left
/// as they were get no event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Change {
    /// A pair that did not exist was inserted (with a new id).
    New,
    /// A dismissed pair came back (same id); `columns`: extra columns whose
    /// value the create changed.
    Revived {
        /// Extra columns whose value changed.
        columns: Vec<String>,
    },
    /// A live pair's extra columns changed (same id).
    Data {
        /// Extra columns whose value changed.
        columns: Vec<String>,
    },
    /// A live pair was soft-deleted (dismiss, delete).
    Dismissed,
    /// A live pair was hard-deleted (erase).
    Erased,
    /// A soft-deleted pair came back through restore / restore_exact.
    Restored,
    /// A row was written back exactly as it was before (workflow
    /// compensation); `attached` when it is live again, else `detached`.
    PutBack,
}

/// One event per changed row, delivered after commit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkEvent {
    /// `LinkProductSalesChannel.attached`, as Medusa names them.
    pub name: String,
    /// Attached or detached.
    pub action: Action,
    /// What changed in the row.
    pub change: Change,
    /// The link (table) name.
    pub link: String,
    /// The row's id.
    pub id: String,
    /// The left side's key.
    pub left: String,
    /// The right side's key.
    pub right: String,
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
    /// Whether the call touched nothing.
    pub fn is_empty(&self) -> bool {
        self.links.values().all(Vec::is_empty) && self.records.values().all(Vec::is_empty)
    }
}

/// The Link service.
#[derive(Clone)]
pub struct Link {
    graph: Arc<LinkGraph>,
    dbs: Databases,
    events: broadcast::Sender<LinkEvent>,
}

/// Rows per multi-row statement (bound parameters stay under SQLite's 32,766).
pub(crate) const CHUNK: usize = 1000;

/// The most characters a key column holds, as link-model's DDL declares
/// it ([`link_model::sql::key_type`], [`link_model::sql::KEY_MAX_CHARS`]).
pub use link_model::sql::KEY_MAX_CHARS;

/// The one check of an id against the key column (every entry point calls
/// it before its first statement): not empty, no NUL, at most
/// [`KEY_MAX_CHARS`] characters. `side` is the module (or alias) as the
/// caller names it.
pub(crate) fn check_id(side: &str, key: &str, id: &str) -> Result<(), Error> {
    let problem = if id.is_empty() {
        "it is empty".to_string()
    } else if let Some(at) = id.chars().position(|c| c == '\0') {
        format!("it contains a NUL character (at character {})", at + 1)
    } else {
        let n = id.chars().count();
        if n <= KEY_MAX_CHARS {
            return Ok(());
        }
        format!("it is {n} characters long")
    };
    Err(Error::InvalidId {
        side: side.to_string(),
        key: key.to_string(),
        problem,
        limit: KEY_MAX_CHARS,
    })
}

/// How a side of a link is named by callers: the module, or the alias when
/// both sides are models of one module.
pub(crate) fn side_name(def: &LinkDef, side: link_model::Side) -> &str {
    let s = def.side(side);
    if def.left.module == def.right.module {
        &s.alias
    } else {
        &s.module
    }
}

/// Checks both ids of a link value.
pub(crate) fn check_pair(def: &LinkDef, left: &str, right: &str) -> Result<(), Error> {
    use link_model::Side;
    check_id(side_name(def, Side::Left), &def.left.key, left)?;
    check_id(side_name(def, Side::Right), &def.right.key, right)
}

/// A database error as the caller sees it: a lost connection and an SQLite
/// lock held past the busy timeout are typed; anything else is
/// [`Error::Database`].
pub(crate) fn db_error(db: &Db, e: crate::db::DbError) -> Error {
    if e.is_connection_lost() {
        Error::ConnectionLost {
            message: e.to_string(),
        }
    } else if e.is_busy() {
        Error::Busy {
            timeout_ms: db
                .busy_timeout()
                .unwrap_or(crate::db::DEFAULT_BUSY_TIMEOUT)
                .as_millis() as u64,
        }
    } else {
        Error::Database(e)
    }
}

pub(crate) fn unknown_link(graph: &LinkGraph, name: &str) -> Error {
    Error::UnknownLink {
        link: name.to_string(),
        expected: one_of(graph.stored_links().map(|(l, _)| l.name.as_ref())),
    }
}

impl Link {
    /// The service over `graph`'s stored links, on `dbs`.
    pub fn new(graph: impl Into<Arc<LinkGraph>>, dbs: Databases) -> Link {
        let (events, _) = broadcast::channel(4096);
        Link {
            graph: graph.into(),
            dbs,
            events,
        }
    }

    /// The link graph.
    pub fn graph(&self) -> &LinkGraph {
        &self.graph
    }

    /// The databases by data source.
    pub fn databases(&self) -> &Databases {
        &self.dbs
    }

    /// Events of committed writes.
    pub fn subscribe(&self) -> broadcast::Receiver<LinkEvent> {
        self.events.subscribe()
    }

    pub(crate) fn stored(&self, name: &str) -> Result<(&LinkDef, &StoredLink), Error> {
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

    pub(crate) fn db(&self) -> &Db {
        &self.dbs.default
    }

    /// One event per row, all with the same change.
    pub(crate) fn emit(&self, action: Action, change: Change, rows: &[LinkRow]) {
        if self.events.receiver_count() == 0 {
            return;
        }
        for r in rows {
            self.emit_one(action, change.clone(), r);
        }
    }

    /// One event.
    pub(crate) fn emit_one(&self, action: Action, change: Change, r: &LinkRow) {
        if self.events.receiver_count() == 0 {
            return;
        }
        {
            let entity = link_model::naming::link_entity_name(&r.link);
            let name = match action {
                Action::Attached => format!("{entity}.attached"),
                Action::Detached => format!("{entity}.detached"),
            };
            let _ = self.events.send(LinkEvent {
                name,
                action,
                change,
                link: r.link.clone(),
                id: r.id.clone(),
                left: r.left.clone(),
                right: r.right.clone(),
            });
        }
    }
}

/// A ULID that sorts after every earlier one of this process, so link rows
/// created in one call keep their order under `ORDER BY created_at, id`.
pub(crate) fn next_ulid() -> ulid::Ulid {
    static GENERATOR: std::sync::Mutex<Option<ulid::Generator>> = std::sync::Mutex::new(None);
    let mut g = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    g.get_or_insert_with(ulid::Generator::new)
        .generate()
        .unwrap_or_else(|_| ulid::Ulid::generate())
}
