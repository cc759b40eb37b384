//! The database lifecycle of link tables: `migrate`, `status` and
//! `sync-links` (what `cargo links db` and `cargo xtask db` run).
//!
//! - [`migrate()`]: the generated versioned migrations ([`crate::migrate::run`]),
//!   refusing clearly when an applied migration's file changed, under a
//!   Postgres advisory lock so concurrent runs serialise.
//! - [`status`]: applied and pending migrations, and the drift between the
//!   live database and the link graph, found by introspection
//!   (`sqlite_master` / `pragma_table_info` / `pragma_index_list` on SQLite,
//!   `pg_catalog` on Postgres): link tables missing, extra (left by a removed
//!   link) or different (columns, types, nullability, primary key, indexes).
//! - [`plan_sync`] / [`execute`]: Medusa's `db:sync-links` without versioned
//!   migrations: a plan of create / update / rename / noop / delete actions,
//!   destructive steps flagged with the rows they touch, run in ONE
//!   transaction (under `pg_advisory_xact_lock` on Postgres). Destructive
//!   steps run only when allowed, and are reported when skipped.
//!
//! The expected schema is [`link_model::schema::tables_of`] and every
//! statement comes from [`link_model::sql`], the generator of the versioned
//! migrations, so a synced table equals a migrated one.
//!
//! Medusa compatibility: link tables created by Medusa have exactly the shape
//! [`link_model::sql`] creates, so they are in sync; when Medusa's tracking
//! table `link_module_migrations` exists, it identifies link tables (also for
//! renames) and is kept up to date (one row per link table with its
//! `{"toModel","toModule","fromModel","fromModule"}` descriptor).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write};

use link_model::schema::{self, Change, ColumnState, IndexSpec, TableState};
use link_model::sql::{self as ddl, literal, quote};
use link_model::{LinkGraph, ScalarType};
use serde_json::Value;

use crate::db::{Db, DbError, Dialect, Sql, Tx};
use crate::error::Error;
use crate::migrate::{self, MigrationSource, Migrations, TRACKING_TABLE};

mod modules;
pub use modules::{ModelProblem, ModelTable, compatible};

/// Medusa's tracking table of link tables.
pub const MEDUSA_TRACKING_TABLE: &str = "link_module_migrations";

/// Class of the Postgres advisory lock taken by [`migrate()`] and [`execute`]
/// (the second key is the hash of the current schema).
pub const LOCK_CLASS: i32 = 0x6c6e_6b73;

/// Tables never reported as link tables.
const INTERNAL_TABLES: [&str; 3] = [TRACKING_TABLE, MEDUSA_TRACKING_TABLE, "_sqlx_migrations"];

mod execute;
mod introspect;
mod migrations;
mod plan;
mod status;
mod target;
pub use self::execute::*;
use self::introspect::*;
pub use self::migrations::*;
pub use self::plan::*;
pub use self::status::*;
pub use self::target::*;
