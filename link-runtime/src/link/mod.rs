//! The Link service: create, dismiss, delete (with cascade), restore, list
//! and purge stored links.
//!
//! Fixes over Medusa: either module order is accepted; cardinality is
//! enforced by partial unique indexes (race-free) and an identical pair is
//! never a violation; a batch is one transaction; dismiss emits events;
//! delete/restore report what they touched and return errors as errors;
//! restore can undo exactly one delete; purge hard-deletes soft-deleted rows.
mod cascade;
mod row;
mod selection;
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

/// The Link service.
#[derive(Clone)]
pub struct Link {
    graph: Arc<LinkGraph>,
    dbs: Databases,
    events: broadcast::Sender<LinkEvent>,
}

/// Rows per multi-row statement (bound parameters stay under SQLite's 32,766).
pub(crate) const CHUNK: usize = 1000;

pub(crate) fn unknown_link(graph: &LinkGraph, name: &str) -> Error {
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

    pub(crate) fn emit(&self, action: Action, rows: &[LinkRow]) {
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
