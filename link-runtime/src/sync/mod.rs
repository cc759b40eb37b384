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

// ------------------------------------------------------------------ target

/// What Medusa records for a link in `link_module_migrations`: the modules
/// and aliases of both sides.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Descriptor {
    /// Module of the left side.
    pub from_module: String,
    /// Alias of the left side (its model, unless aliased).
    pub from_model: String,
    /// Module of the right side.
    pub to_module: String,
    /// Alias of the right side (its model, unless aliased).
    pub to_model: String,
}

impl Descriptor {
    /// The JSON Medusa stores, keys in the order Postgres prints them.
    pub fn json(&self) -> String {
        let s = |v: &str| Value::String(v.to_string()).to_string();
        format!(
            "{{\"toModel\": {}, \"toModule\": {}, \"fromModel\": {}, \"fromModule\": {}}}",
            s(&self.to_model),
            s(&self.to_module),
            s(&self.from_model),
            s(&self.from_module)
        )
    }

    /// Parses a stored descriptor.
    pub fn parse(json: &str) -> Option<Descriptor> {
        let v: Value = serde_json::from_str(json).ok()?;
        let f = |k: &str| v.get(k)?.as_str().map(str::to_string);
        Some(Descriptor {
            from_module: f("fromModule")?,
            from_model: f("fromModel")?,
            to_module: f("toModule")?,
            to_model: f("toModel")?,
        })
    }

    /// Medusa's rename rule: modules compared case-insensitively, models exactly.
    pub fn same_link(&self, other: &Descriptor) -> bool {
        self.from_module.eq_ignore_ascii_case(&other.from_module)
            && self.to_module.eq_ignore_ascii_case(&other.to_module)
            && self.from_model == other.from_model
            && self.to_model == other.to_model
    }
}

impl fmt::Display for Descriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{} <> {}.{}",
            self.from_module, self.from_model, self.to_module, self.to_model
        )
    }
}

/// A link table the graph wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedTable {
    /// Its columns, indexes and constraints.
    pub state: TableState,
    /// The link it belongs to, as Medusa's `link_module_migrations` records it.
    pub descriptor: Descriptor,
}

/// The link tables a graph wants, and the module tables never to touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The link tables, one per stored link.
    pub tables: Vec<WantedTable>,
    /// Tables of the modules' own models, which sync never touches.
    pub module_tables: Vec<String>,
}

impl Target {
    /// The target of `graph`.
    pub fn of(graph: &LinkGraph) -> Target {
        let tables = graph
            .stored_links()
            .zip(schema::tables_of(graph))
            .map(|((l, _), state)| WantedTable {
                state,
                descriptor: Descriptor {
                    from_module: l.left.module.to_string(),
                    from_model: l.left.alias.to_string(),
                    to_module: l.right.module.to_string(),
                    to_model: l.right.alias.to_string(),
                },
            })
            .collect();
        let module_tables = graph.models().map(|(_, m)| m.table.to_string()).collect();
        Target {
            tables,
            module_tables,
        }
    }
}

// ----------------------------------------------------------- introspection

/// A connection to read from: the pool or an open transaction.
enum Conn<'a> {
    Db(&'a Db),
    Tx(&'a mut Tx),
}

impl Conn<'_> {
    fn dialect(&self) -> Dialect {
        match self {
            Conn::Db(db) => db.dialect(),
            Conn::Tx(tx) => tx.dialect(),
        }
    }

    async fn fetch(&mut self, sql: &str, cols: &[ScalarType]) -> Result<Vec<Vec<Value>>, DbError> {
        let sql = Sql::raw(self.dialect(), sql);
        match self {
            Conn::Db(db) => db.fetch(&sql, cols).await,
            Conn::Tx(tx) => tx.fetch(&sql, cols).await,
        }
    }

    async fn count(&mut self, table: &str, null_column: Option<&str>) -> Result<u64, DbError> {
        let mut sql = format!("SELECT COUNT(*) FROM {}", quote(table));
        if let Some(c) = null_column {
            write!(sql, " WHERE {} IS NULL", quote(c)).unwrap();
        }
        let rows = self.fetch(&sql, &[ScalarType::BigInt]).await?;
        Ok(rows.first().and_then(|r| r[0].as_u64()).unwrap_or_default())
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct LiveColumn {
    name: String,
    /// In the catalog's spelling ([`ddl::catalog_type`]).
    ty: String,
    nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct LiveIndex {
    name: String,
    columns: Vec<String>,
    unique: bool,
    partial: bool,
}

impl LiveIndex {
    fn of(spec: &IndexSpec) -> LiveIndex {
        LiveIndex {
            name: spec.name.clone(),
            columns: spec.columns.clone(),
            unique: spec.unique,
            partial: spec.partial,
        }
    }

    fn describe(&self) -> String {
        format!(
            "{}({}){}",
            if self.unique { "unique " } else { "" },
            self.columns.join(", "),
            if self.partial { " on live rows" } else { "" }
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct LiveTable {
    name: String,
    columns: Vec<LiveColumn>,
    primary_key: Vec<String>,
    /// Every index but the primary key's.
    indexes: Vec<LiveIndex>,
}

impl LiveTable {
    fn column(&self, name: &str) -> Option<&LiveColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, Default)]
struct Snapshot {
    tables: BTreeMap<String, LiveTable>,
    /// `link_module_migrations`: table name -> descriptor JSON, when it exists.
    medusa: Option<BTreeMap<String, String>>,
}

async fn snapshot(c: &mut Conn<'_>) -> Result<Snapshot, DbError> {
    use ScalarType as T;
    let d = c.dialect();
    let mut tables: BTreeMap<String, LiveTable> = BTreeMap::new();
    let mut pk_pos: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    match d {
        Dialect::Sqlite => {
            let cols = c
                .fetch(
                    "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk \
                     FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND substr(m.name, 1, 7) <> 'sqlite_' \
                     ORDER BY m.name, p.cid",
                    &[T::Text, T::Text, T::Text, T::Integer, T::Integer],
                )
                .await?;
            for r in cols {
                let table = text(&r[0]);
                let name = text(&r[1]);
                let t = tables.entry(table.clone()).or_insert_with(|| LiveTable {
                    name: table.clone(),
                    ..LiveTable::default()
                });
                t.columns.push(LiveColumn {
                    name: name.clone(),
                    ty: ddl::catalog_type(&text(&r[2]), d),
                    nullable: !truthy(&r[3]),
                });
                let pos = r[4].as_i64().unwrap_or(0);
                if pos > 0 {
                    pk_pos.entry(table).or_default().push((pos, name));
                }
            }
            let idx = c
                .fetch(
                    "SELECT m.name, il.name, il.\"unique\", il.origin, il.partial, ii.name \
                     FROM sqlite_master m JOIN pragma_index_list(m.name) il \
                     JOIN pragma_index_info(il.name) ii \
                     WHERE m.type = 'table' AND substr(m.name, 1, 7) <> 'sqlite_' \
                     ORDER BY m.name, il.name, ii.seqno",
                    &[T::Text, T::Text, T::Integer, T::Text, T::Integer, T::Text],
                )
                .await?;
            for r in idx {
                if text(&r[3]) == "pk" {
                    continue;
                }
                let Some(t) = tables.get_mut(&text(&r[0])) else {
                    continue;
                };
                let name = text(&r[1]);
                if t.indexes.last().is_none_or(|i| i.name != name) {
                    t.indexes.push(LiveIndex {
                        name,
                        columns: Vec::new(),
                        unique: truthy(&r[2]),
                        partial: truthy(&r[4]),
                    });
                }
                if !r[5].is_null() {
                    t.indexes.last_mut().unwrap().columns.push(text(&r[5]));
                }
            }
        }
        Dialect::Postgres => {
            let cols = c
                .fetch(
                    "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull \
                     FROM pg_catalog.pg_class c \
                     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                     JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
                     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
                     ORDER BY 1, a.attnum",
                    &[T::Text, T::Text, T::Text, T::Boolean],
                )
                .await?;
            for r in cols {
                let table = text(&r[0]);
                let t = tables.entry(table.clone()).or_insert_with(|| LiveTable {
                    name: table,
                    ..LiveTable::default()
                });
                t.columns.push(LiveColumn {
                    name: text(&r[1]),
                    ty: ddl::catalog_type(&text(&r[2]), d),
                    nullable: !truthy(&r[3]),
                });
            }
            let idx = c
                .fetch(
                    "SELECT t.relname::text, i.relname::text, ix.indisunique, ix.indisprimary, \
                       ix.indpred IS NOT NULL, \
                       COALESCE((SELECT string_agg(a.attname::text, chr(31) ORDER BY k.ord) \
                         FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                         JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum), '') \
                     FROM pg_catalog.pg_index ix \
                     JOIN pg_catalog.pg_class t ON t.oid = ix.indrelid \
                     JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid \
                     JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace \
                     WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p') \
                     ORDER BY 1, 2",
                    &[T::Text, T::Text, T::Boolean, T::Boolean, T::Boolean, T::Text],
                )
                .await?;
            for r in idx {
                let Some(t) = tables.get_mut(&text(&r[0])) else {
                    continue;
                };
                let columns: Vec<String> = text(&r[5])
                    .split('\u{1f}')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                if truthy(&r[3]) {
                    t.primary_key = columns;
                    continue;
                }
                t.indexes.push(LiveIndex {
                    name: text(&r[1]),
                    columns,
                    unique: truthy(&r[2]),
                    partial: truthy(&r[4]),
                });
            }
        }
    }
    for (table, mut pk) in pk_pos {
        pk.sort();
        if let Some(t) = tables.get_mut(&table) {
            t.primary_key = pk.into_iter().map(|(_, n)| n).collect();
        }
    }
    let medusa = if tables.contains_key(MEDUSA_TRACKING_TABLE) {
        let rows = c
            .fetch(
                &format!(
                    "SELECT CAST(table_name AS TEXT), CAST(link_descriptor AS TEXT) FROM {}",
                    quote(MEDUSA_TRACKING_TABLE)
                ),
                &[T::Text, T::Text],
            )
            .await?;
        Some(rows.iter().map(|r| (text(&r[0]), text(&r[1]))).collect())
    } else {
        None
    };
    Ok(Snapshot { tables, medusa })
}

/// Base columns of every link table (besides extra columns).
fn base_columns(t: &TableState) -> [&str; 6] {
    [
        &t.left_key,
        &t.right_key,
        "id",
        "created_at",
        "updated_at",
        "deleted_at",
    ]
}

/// A table shaped like a link table: a primary key of two text keys, `id`
/// and the three timestamps.
fn looks_like_link_table(t: &LiveTable, d: Dialect) -> bool {
    let text_key = |name: &str| {
        t.column(name).is_some_and(|c| match d {
            Dialect::Sqlite => c.ty == "TEXT" || c.ty.starts_with("VARCHAR"),
            Dialect::Postgres => c.ty == "text" || c.ty.starts_with("character varying"),
        })
    };
    t.primary_key.len() == 2
        && t.primary_key.iter().all(|k| text_key(k))
        && text_key("id")
        && ["created_at", "updated_at", "deleted_at"]
            .iter()
            .all(|c| t.column(c).is_some())
}

/// The index hash of a live link table, from its `IDX_id_<hash>` index.
fn live_index_hash(t: &LiveTable) -> Option<String> {
    t.indexes
        .iter()
        .find(|i| i.columns == ["id"])
        .and_then(|i| i.name.strip_prefix("IDX_id_"))
        .map(str::to_string)
}

// ------------------------------------------------------------------ status

/// Migrations of the database's dialect and what `_link_migrations` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Migrations were given (a definition without versioned migrations
    /// manages its link tables with sync-links only).
    pub configured: bool,
    /// `_link_migrations` exists.
    pub tracked: bool,
    /// `(version, description)`, applied successfully and known.
    pub applied: Vec<(i64, String)>,
    /// `(version, description)` known and not applied yet.
    pub pending: Vec<(i64, String)>,
    /// Applied, but the file's checksum differs from the recorded one.
    pub changed: Vec<ChangedMigration>,
    /// Recorded as failed.
    pub failed: Vec<(i64, String)>,
    /// Recorded as applied but not among the migrations.
    pub unknown: Vec<(i64, String)>,
}

/// An applied migration whose file changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedMigration {
    /// Its version.
    pub version: i64,
    /// Its description.
    pub description: String,
    /// Hex SHA-384 recorded when it was applied.
    pub recorded: String,
    /// Hex SHA-384 of the file now.
    pub file: String,
}

fn stem(version: i64, description: &str) -> String {
    format!("{version:04}_{description}")
}

impl MigrationStatus {
    /// Nothing blocks `migrate` and nothing is left to apply (pending
    /// migrations count only when the database is managed by `migrate`).
    pub fn is_ok(&self) -> bool {
        !self.configured
            || self.changed.is_empty()
                && self.failed.is_empty()
                && self.unknown.is_empty()
                && (self.pending.is_empty() || !self.tracked)
    }

    /// The refusal of `migrate`, if any.
    pub fn refusal(&self) -> Option<String> {
        let mut out = Vec::new();
        for c in &self.changed {
            out.push(format!(
                "migration {} was changed after it was applied (checksum recorded in {TRACKING_TABLE}: {}…, file now: {}…); \
                 applied migrations must not change: restore the file from version control and put the change in a new migration (`cargo links codegen`)",
                stem(c.version, &c.description),
                &c.recorded[..c.recorded.len().min(16)],
                &c.file[..c.file.len().min(16)],
            ));
        }
        for (v, desc) in &self.failed {
            out.push(format!(
                "migration {} is recorded as failed in {TRACKING_TABLE}; repair the database by hand and delete that row",
                stem(*v, desc)
            ));
        }
        for (v, desc) in &self.unknown {
            out.push(format!(
                "migration {} is recorded as applied in {TRACKING_TABLE} but is not among the migrations; restore its file",
                stem(*v, desc)
            ));
        }
        (!out.is_empty()).then(|| out.join("\n"))
    }

    /// Appends the status's lines to `out`.
    pub fn render(&self, out: &mut String) {
        if !self.configured {
            let recorded = self.unknown.len() + self.failed.len();
            writeln!(
                out,
                "migrations: none configured{}",
                if self.tracked {
                    format!(
                        " ({TRACKING_TABLE} records {})",
                        plural(recorded as u64, "migration")
                    )
                } else {
                    String::new()
                }
            )
            .unwrap();
            return;
        }
        if self.tracked {
            writeln!(
                out,
                "migrations: {} applied, {} pending ({TRACKING_TABLE})",
                self.applied.len() + self.changed.len(),
                self.pending.len()
            )
            .unwrap();
        } else {
            writeln!(
                out,
                "migrations: {TRACKING_TABLE} absent (none applied by migrate); {} available",
                self.pending.len()
            )
            .unwrap();
        }
        for (v, d) in &self.applied {
            writeln!(out, "  applied  {}", stem(*v, d)).unwrap();
        }
        for c in &self.changed {
            writeln!(
                out,
                "  CHANGED  {}: recorded checksum {}…, file {}…",
                stem(c.version, &c.description),
                &c.recorded[..c.recorded.len().min(16)],
                &c.file[..c.file.len().min(16)]
            )
            .unwrap();
        }
        for (v, d) in &self.failed {
            writeln!(out, "  FAILED   {}", stem(*v, d)).unwrap();
        }
        for (v, d) in &self.unknown {
            writeln!(
                out,
                "  unknown  {}: applied, not among the migrations",
                stem(*v, d)
            )
            .unwrap();
        }
        for (v, d) in &self.pending {
            let word = if self.tracked {
                "pending "
            } else {
                "available"
            };
            writeln!(out, "  {word} {}", stem(*v, d)).unwrap();
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn migration_status(
    c: &mut Conn<'_>,
    sources: &[MigrationSource],
    tracked: bool,
) -> Result<MigrationStatus, DbError> {
    use ScalarType as T;
    let mut recorded: BTreeMap<i64, (String, bool, String)> = BTreeMap::new();
    if tracked {
        let checksum = match c.dialect() {
            Dialect::Sqlite => "lower(hex(checksum))",
            Dialect::Postgres => "encode(checksum, 'hex')",
        };
        let rows = c
            .fetch(
                &format!(
                    "SELECT version, description, success, {checksum} FROM {} ORDER BY version",
                    quote(TRACKING_TABLE)
                ),
                &[T::BigInt, T::Text, T::Boolean, T::Text],
            )
            .await?;
        for r in rows {
            recorded.insert(
                r[0].as_i64().unwrap_or_default(),
                (text(&r[1]), truthy(&r[2]), text(&r[3])),
            );
        }
    }
    let migrator = migrate::migrator(sources, TRACKING_TABLE);
    let mut st = MigrationStatus {
        configured: !sources.is_empty(),
        tracked,
        applied: Vec::new(),
        pending: Vec::new(),
        changed: Vec::new(),
        failed: Vec::new(),
        unknown: Vec::new(),
    };
    for m in migrator.iter() {
        let desc = m.description.to_string();
        match recorded.remove(&m.version) {
            None => st.pending.push((m.version, desc)),
            Some((_, false, _)) => st.failed.push((m.version, desc)),
            Some((_, true, sum)) if sum != hex(&m.checksum) => st.changed.push(ChangedMigration {
                version: m.version,
                description: desc,
                recorded: sum,
                file: hex(&m.checksum),
            }),
            Some(_) => st.applied.push((m.version, desc)),
        }
    }
    for (v, (desc, success, _)) in recorded {
        if success {
            st.unknown.push((v, desc));
        } else {
            st.failed.push((v, desc));
        }
    }
    Ok(st)
}

/// How a link table differs from the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// The graph's table does not exist (sync-links renames `renamed_from` to it, if set).
    Missing {
        /// An extra table holding this link's rows under an older name.
        renamed_from: Option<String>,
    },
    /// The table exists but differs; one line per difference.
    Differs {
        /// What differs, one line each.
        problems: Vec<String>,
    },
    /// A link table no link of the graph wants (sync-links renames it to
    /// `renamed_to`, if set).
    Extra {
        /// Rows the table holds.
        rows: u64,
        /// The graph's table it holds the rows of, under an older name.
        renamed_to: Option<String>,
    },
    /// A `link_module_migrations` row of a table that does not exist.
    StaleTracking,
}

/// One link table of the graph or of the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableStatus {
    /// The table's name.
    pub table: String,
    /// `module.alias <> module.alias`, or the key columns of an untracked extra table.
    pub link: String,
    /// `None`: in sync.
    pub drift: Option<Drift>,
}

/// What [`status`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The dialect of the database.
    pub dialect: Dialect,
    /// The state of the migrations.
    pub migrations: MigrationStatus,
    /// The graph's tables in declaration order, then extra tables and stale
    /// tracking rows by name.
    pub tables: Vec<TableStatus>,
    /// Every declared model's table (read-only checks, see [`modules`]).
    pub models: Vec<ModelTable>,
}

impl Status {
    /// The link tables that differ from the graph.
    pub fn drift(&self) -> impl Iterator<Item = &TableStatus> {
        self.tables.iter().filter(|t| t.drift.is_some())
    }

    /// Module tables with problems (absent ones are not problems).
    pub fn model_problems(&self) -> impl Iterator<Item = &ModelTable> {
        self.models.iter().filter(|m| !m.problems.is_empty())
    }

    /// Whether the database is what the graph wants (migrations, link and module tables).
    pub fn in_sync(&self) -> bool {
        self.drift().next().is_none()
            && self.migrations.is_ok()
            && self.model_problems().next().is_none()
    }

    /// `db status`'s exit code: 0 in sync, 1 not.
    pub fn exit_code(&self) -> u8 {
        if self.in_sync() { 0 } else { 1 }
    }

    /// The status as `cargo links db status` prints it.
    pub fn render(&self) -> String {
        let mut out = format!("status ({})\n", self.dialect.name());
        self.migrations.render(&mut out);
        let wanted = self
            .tables
            .iter()
            .filter(|t| !matches!(t.drift, Some(Drift::Extra { .. } | Drift::StaleTracking)))
            .count();
        let drifted = self.drift().count();
        writeln!(
            out,
            "link tables: {wanted} in the graph, {drifted} difference{}",
            if drifted == 1 { "" } else { "s" }
        )
        .unwrap();
        for t in &self.tables {
            let head = |word: &str| format!("  {word:<8} {} ({})", t.table, t.link);
            match &t.drift {
                None => writeln!(out, "{}", head("ok")).unwrap(),
                Some(Drift::Missing { renamed_from }) => {
                    write!(out, "{}", head("missing")).unwrap();
                    if let Some(from) = renamed_from {
                        write!(out, ": sync-links renames {from} to it").unwrap();
                    }
                    out.push('\n');
                }
                Some(Drift::Differs { problems }) => {
                    writeln!(out, "{}", head("differs")).unwrap();
                    for p in problems {
                        writeln!(out, "             {p}").unwrap();
                    }
                }
                Some(Drift::Extra { rows, renamed_to }) => {
                    write!(out, "{}: {}", head("extra"), plural(*rows, "row")).unwrap();
                    match renamed_to {
                        Some(to) => write!(out, ", sync-links renames it to {to}").unwrap(),
                        None => write!(out, ", no link of the graph").unwrap(),
                    }
                    out.push('\n');
                }
                Some(Drift::StaleTracking) => writeln!(
                    out,
                    "{}: {MEDUSA_TRACKING_TABLE} row of a table that does not exist",
                    head("stale")
                )
                .unwrap(),
            }
        }
        let present = self.models.iter().filter(|m| m.present).count();
        let bad = self.model_problems().count();
        write!(
            out,
            "module tables: {} declared, {present} present, {bad} with problems",
            self.models.len()
        )
        .unwrap();
        let absent: Vec<&str> = self
            .models
            .iter()
            .filter(|m| !m.present)
            .map(|m| m.table.as_str())
            .collect();
        if !absent.is_empty() {
            write!(out, " (absent: {})", absent.join(", ")).unwrap();
        }
        out.push('\n');
        for m in self.model_problems() {
            writeln!(out, "  {:<8} {} ({})", "differs", m.table, m.model).unwrap();
            for p in &m.problems {
                writeln!(out, "             {p}").unwrap();
            }
        }
        if self.in_sync() {
            out.push_str("in sync\n");
        } else {
            let mut why = Vec::new();
            if bad > 0 {
                why.push(format!(
                    "{} with problems (module tables are the modules' own: fix their \
                     migrations or links.toml)",
                    plural(bad as u64, "module table")
                ));
            }
            if drifted > 0 {
                let fix = if !self.migrations.tracked && !self.migrations.pending.is_empty() {
                    "db migrate, or db sync-links"
                } else {
                    "db sync-links"
                };
                why.push(format!(
                    "{} ({fix})",
                    plural(drifted as u64, "link table difference")
                ));
            }
            let m = &self.migrations;
            if !m.is_ok() {
                if !m.changed.is_empty() {
                    why.push(format!(
                        "{} changed after being applied",
                        plural(m.changed.len() as u64, "migration")
                    ));
                }
                if !m.failed.is_empty() {
                    why.push(format!(
                        "{} failed",
                        plural(m.failed.len() as u64, "migration")
                    ));
                }
                if !m.unknown.is_empty() {
                    why.push(format!(
                        "{} applied but unknown",
                        plural(m.unknown.len() as u64, "migration")
                    ));
                }
                if m.tracked && !m.pending.is_empty() {
                    why.push(format!(
                        "{} pending (db migrate)",
                        plural(m.pending.len() as u64, "migration")
                    ));
                }
            }
            writeln!(out, "not in sync: {}", why.join("; ")).unwrap();
        }
        out
    }
}

fn plural(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Applied and pending migrations, the drift of link tables from `graph`,
/// and the declared models' fields against their live tables.
pub async fn status(db: &Db, graph: &LinkGraph, migrations: &Migrations) -> Result<Status, Error> {
    let mut c = Conn::Db(db);
    let analysis = analyze(&mut c, &Target::of(graph)).await?;
    let tracked = analysis.tracked_migrations;
    let migrations =
        migration_status(&mut c, migrations.for_dialect(db.dialect()), tracked).await?;
    let snap = snapshot(&mut c).await?;
    Ok(Status {
        dialect: db.dialect(),
        migrations,
        tables: analysis.tables,
        models: modules::check(graph, &snap, db.dialect()),
    })
}

// -------------------------------------------------------------------- plan

/// Kinds of sync actions, in the order they are shown and run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActionKind {
    /// Creates a missing table.
    Create,
    /// Alters a table that differs.
    Update,
    /// Renames a table to the graph's name.
    Rename,
    /// Leaves a table as it is.
    Noop,
    /// Drops a table no link wants (destructive).
    Delete,
}

impl ActionKind {
    /// Every kind, in order.
    pub const ALL: [ActionKind; 5] = [
        ActionKind::Create,
        ActionKind::Update,
        ActionKind::Rename,
        ActionKind::Noop,
        ActionKind::Delete,
    ];

    /// The kind as shown, e.g. `create`.
    pub const fn name(self) -> &'static str {
        match self {
            ActionKind::Create => "create",
            ActionKind::Update => "update",
            ActionKind::Rename => "rename",
            ActionKind::Noop => "noop",
            ActionKind::Delete => "delete",
        }
    }
}

/// One statement group of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// One line; destructive steps start with `DESTRUCTIVE:` and say how many
    /// rows they touch.
    pub summary: String,
    /// The statement.
    pub sql: String,
    /// Drops a table or column, narrows a type or sets NOT NULL on a column
    /// holding NULLs: runs only with `allow_destructive`.
    pub destructive: bool,
}

/// What sync-links does to one link table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// What is done.
    pub kind: ActionKind,
    /// The table (its name after the action).
    pub table: String,
    /// `module.alias <> module.alias` (or the keys of an untracked table).
    pub link: String,
    /// For a rename: the table's current name.
    pub from: Option<String>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Action {
    fn head(&self) -> String {
        let mut s = format!("{:<7} {} ({})", self.kind.name(), self.table, self.link);
        if let Some(from) = &self.from {
            write!(s, ", from {from}").unwrap();
        }
        s
    }
}

/// The actions that bring the link tables in line with a graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPlan {
    /// The dialect planned for.
    pub dialect: Dialect,
    /// The tables the graph wants.
    pub target: Target,
    /// Grouped by kind ([`ActionKind::ALL`] order), graph order within a kind.
    pub actions: Vec<Action>,
}

impl SyncPlan {
    /// Nothing to run.
    pub fn is_noop(&self) -> bool {
        self.actions.iter().all(|a| a.steps.is_empty())
    }

    /// Destructive steps with their action.
    pub fn destructive(&self) -> impl Iterator<Item = (&Action, &Step)> {
        self.actions
            .iter()
            .flat_map(|a| a.steps.iter().map(move |s| (a, s)))
            .filter(|(_, s)| s.destructive)
    }

    /// The plan, grouped by action.
    pub fn render(&self) -> String {
        let counts: Vec<String> = ActionKind::ALL
            .iter()
            .map(|k| {
                let n = self.actions.iter().filter(|a| a.kind == *k).count();
                format!("{n} {}", k.name())
            })
            .collect();
        let mut out = format!(
            "links sync plan ({}): {}\n",
            self.dialect.name(),
            counts.join(", ")
        );
        for a in &self.actions {
            writeln!(out, "{}", a.head()).unwrap();
            for s in &a.steps {
                writeln!(out, "          {}", s.summary).unwrap();
            }
        }
        out
    }

    /// The SQL that [`execute`] runs, in order (`--dry-run`); destructive
    /// steps appear as comments unless allowed.
    pub fn sql(&self, allow_destructive: bool) -> String {
        let mut out = format!("-- links sync ({}): one transaction\n", self.dialect.name());
        match self.dialect {
            Dialect::Sqlite => out.push_str("BEGIN IMMEDIATE;\n"),
            Dialect::Postgres => {
                out.push_str("BEGIN;\n");
                writeln!(out, "{};", lock_sql(false)).unwrap();
            }
        }
        for a in &self.actions {
            for s in &a.steps {
                if s.destructive && !allow_destructive {
                    writeln!(
                        out,
                        "-- skipped without --allow-destructive: {} {}: {}",
                        a.kind.name(),
                        a.table,
                        s.summary
                    )
                    .unwrap();
                } else {
                    writeln!(out, "-- {} {}: {}", a.kind.name(), a.table, s.summary).unwrap();
                    out.push_str(&s.sql);
                }
            }
        }
        out.push_str("COMMIT;\n");
        out
    }
}

fn lock_sql(session: bool) -> String {
    format!(
        "SELECT pg_advisory{}_lock({LOCK_CLASS}, hashtext(current_schema()))",
        if session { "" } else { "_xact" }
    )
}

/// Plans sync-links for `graph` on the database as it is now.
pub async fn plan_sync(db: &Db, graph: &LinkGraph) -> Result<SyncPlan, Error> {
    let target = Target::of(graph);
    let analysis = analyze(&mut Conn::Db(db), &target).await?;
    Ok(SyncPlan {
        dialect: db.dialect(),
        target,
        actions: analysis.actions,
    })
}

struct Analysis {
    tables: Vec<TableStatus>,
    actions: Vec<Action>,
    tracked_migrations: bool,
}

fn track_json(desc: &Descriptor, d: Dialect) -> String {
    match d {
        Dialect::Postgres => format!("{}::jsonb", literal(&desc.json())),
        Dialect::Sqlite => literal(&desc.json()),
    }
}

fn track_upsert(table: &str, desc: &Descriptor, d: Dialect) -> String {
    format!(
        "INSERT INTO {} (\"table_name\", \"link_descriptor\") VALUES ({}, {}) \
         ON CONFLICT (\"table_name\") DO UPDATE SET \"link_descriptor\" = excluded.\"link_descriptor\";\n",
        quote(MEDUSA_TRACKING_TABLE),
        literal(table),
        track_json(desc, d)
    )
}

fn track_delete(table: &str) -> String {
    format!(
        "DELETE FROM {} WHERE \"table_name\" = {};\n",
        quote(MEDUSA_TRACKING_TABLE),
        literal(table)
    )
}

/// Reads the database and compares it with the target: the status of every
/// table and the sync actions.
async fn analyze(c: &mut Conn<'_>, target: &Target) -> Result<Analysis, DbError> {
    let d = c.dialect();
    let snap = snapshot(c).await?;
    let medusa = snap.medusa.as_ref();
    let tracked_desc = |table: &str| -> Option<Descriptor> {
        medusa
            .and_then(|m| m.get(table))
            .and_then(|j| Descriptor::parse(j))
    };
    let wanted_names: BTreeSet<&str> = target
        .tables
        .iter()
        .map(|w| w.state.table.as_str())
        .collect();
    let extras: Vec<&LiveTable> = snap
        .tables
        .values()
        .filter(|t| {
            !wanted_names.contains(t.name.as_str())
                && !target.module_tables.contains(&t.name)
                && !INTERNAL_TABLES.contains(&t.name.as_str())
                && (medusa.is_some_and(|m| m.contains_key(&t.name)) || looks_like_link_table(t, d))
        })
        .collect();

    // Renames: a missing table continues an extra one, first by Medusa's
    // tracked descriptor, then (untracked tables) by the key columns when
    // the pairing is unambiguous.
    let missing: Vec<&WantedTable> = target
        .tables
        .iter()
        .filter(|w| !snap.tables.contains_key(&w.state.table))
        .collect();
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    let mut used: BTreeSet<String> = BTreeSet::new();
    for w in &missing {
        if let Some(e) = extras.iter().find(|e| {
            !used.contains(&e.name)
                && tracked_desc(&e.name).is_some_and(|desc| desc.same_link(&w.descriptor))
                && looks_like_link_table(e, d)
        }) {
            used.insert(e.name.clone());
            renamed.insert(w.state.table.clone(), e.name.clone());
        }
    }
    let keys_match = |w: &WantedTable, e: &LiveTable| {
        e.primary_key == [w.state.left_key.clone(), w.state.right_key.clone()]
            && looks_like_link_table(e, d)
            && !medusa.is_some_and(|m| m.contains_key(&e.name))
    };
    for w in &missing {
        if renamed.contains_key(&w.state.table) {
            continue;
        }
        let cands: Vec<&&LiveTable> = extras
            .iter()
            .filter(|e| !used.contains(&e.name) && keys_match(w, e))
            .collect();
        if let [e] = cands[..] {
            let rivals = missing
                .iter()
                .filter(|w2| !renamed.contains_key(&w2.state.table) && keys_match(w2, e))
                .count();
            if rivals == 1 {
                used.insert(e.name.clone());
                renamed.insert(w.state.table.clone(), e.name.clone());
            }
        }
    }

    let mut tables = Vec::new();
    let mut actions = Vec::new();
    for w in &target.tables {
        let link = w.descriptor.to_string();
        let table = w.state.table.clone();
        if let Some(live) = snap.tables.get(&table) {
            let mut problems = table_problems(live, &w.state, d);
            match tracked_desc(&table) {
                _ if medusa.is_none() => {}
                None => problems.push(format!("{MEDUSA_TRACKING_TABLE}: no row")),
                Some(desc) if desc != w.descriptor => problems.push(format!(
                    "{MEDUSA_TRACKING_TABLE}: {}, expected {}",
                    desc.json(),
                    w.descriptor.json()
                )),
                Some(_) => {}
            }
            let steps = table_steps(c, live, w, None, medusa).await?;
            tables.push(TableStatus {
                table: table.clone(),
                link: link.clone(),
                drift: (!problems.is_empty()).then_some(Drift::Differs { problems }),
            });
            actions.push(Action {
                kind: if steps.is_empty() {
                    ActionKind::Noop
                } else {
                    ActionKind::Update
                },
                table,
                link,
                from: None,
                steps,
            });
        } else if let Some(old) = renamed.get(&table) {
            let live = &snap.tables[old];
            let steps = table_steps(c, live, w, Some(old), medusa).await?;
            tables.push(TableStatus {
                table: table.clone(),
                link: link.clone(),
                drift: Some(Drift::Missing {
                    renamed_from: Some(old.clone()),
                }),
            });
            actions.push(Action {
                kind: ActionKind::Rename,
                table,
                link,
                from: Some(old.clone()),
                steps,
            });
        } else {
            let mut steps = vec![Step {
                summary: format!(
                    "create table {table} and its {} indexes",
                    w.state.indexes().len()
                ),
                sql: ddl::create_table(&w.state, d),
                destructive: false,
            }];
            if medusa.is_some() {
                steps.push(Step {
                    summary: format!("record {table} in {MEDUSA_TRACKING_TABLE}"),
                    sql: track_upsert(&table, &w.descriptor, d),
                    destructive: false,
                });
            }
            tables.push(TableStatus {
                table: table.clone(),
                link: link.clone(),
                drift: Some(Drift::Missing { renamed_from: None }),
            });
            actions.push(Action {
                kind: ActionKind::Create,
                table,
                link,
                from: None,
                steps,
            });
        }
    }
    // Extra link tables: renamed above, or dropped.
    for e in &extras {
        let link = match tracked_desc(&e.name) {
            Some(desc) => desc.to_string(),
            None => format!("untracked: {}", e.primary_key.join(" <> ")),
        };
        let rows = c.count(&e.name, None).await?;
        let renamed_to = renamed
            .iter()
            .find(|(_, old)| **old == e.name)
            .map(|(new, _)| new.clone());
        tables.push(TableStatus {
            table: e.name.clone(),
            link: link.clone(),
            drift: Some(Drift::Extra {
                rows,
                renamed_to: renamed_to.clone(),
            }),
        });
        if renamed_to.is_some() {
            continue;
        }
        let mut sql = ddl::drop_table(&e.name);
        if medusa.is_some_and(|m| m.contains_key(&e.name)) {
            sql.push_str(&track_delete(&e.name));
        }
        actions.push(Action {
            kind: ActionKind::Delete,
            table: e.name.clone(),
            link,
            from: None,
            steps: vec![Step {
                summary: format!(
                    "DESTRUCTIVE: drop table {} and its {}",
                    e.name,
                    plural(rows, "row")
                ),
                sql,
                destructive: true,
            }],
        });
    }
    // Tracking rows of tables that exist nowhere.
    if let Some(m) = medusa {
        for (table, json) in m {
            if snap.tables.contains_key(table) || wanted_names.contains(table.as_str()) {
                continue;
            }
            let link = Descriptor::parse(json)
                .map(|d| d.to_string())
                .unwrap_or_else(|| json.clone());
            tables.push(TableStatus {
                table: table.clone(),
                link: link.clone(),
                drift: Some(Drift::StaleTracking),
            });
            actions.push(Action {
                kind: ActionKind::Delete,
                table: table.clone(),
                link,
                from: None,
                steps: vec![Step {
                    summary: format!(
                        "remove the {MEDUSA_TRACKING_TABLE} row of {table} (the table does not exist)"
                    ),
                    sql: track_delete(table),
                    destructive: false,
                }],
            });
        }
    }
    actions.sort_by_key(|a| a.kind);
    Ok(Analysis {
        tables,
        actions,
        tracked_migrations: snap.tables.contains_key(TRACKING_TABLE),
    })
}

fn col_desc(ty: &str, nullable: bool) -> String {
    format!("{ty} {}", if nullable { "NULL" } else { "NOT NULL" })
}

/// Every difference between a live table and the graph's table.
fn table_problems(live: &LiveTable, want: &TableState, d: Dialect) -> Vec<String> {
    let mut out = Vec::new();
    let expected = ddl::columns(want, d);
    for e in &expected {
        match live.column(&e.name) {
            None => out.push(format!(
                "column {}: missing ({})",
                e.name,
                col_desc(&e.ty, e.nullable)
            )),
            Some(l) if l.ty != e.ty || l.nullable != e.nullable => out.push(format!(
                "column {}: {}, expected {}",
                e.name,
                col_desc(&l.ty, l.nullable),
                col_desc(&e.ty, e.nullable)
            )),
            Some(_) => {}
        }
    }
    for l in &live.columns {
        if !expected.iter().any(|e| e.name == l.name) {
            out.push(format!(
                "column {}: not in the graph ({})",
                l.name,
                col_desc(&l.ty, l.nullable)
            ));
        }
    }
    let pk = [want.left_key.clone(), want.right_key.clone()];
    if live.primary_key != pk {
        out.push(format!(
            "primary key ({}), expected ({})",
            live.primary_key.join(", "),
            pk.join(", ")
        ));
    }
    let want_ix: Vec<LiveIndex> = want.indexes().iter().map(LiveIndex::of).collect();
    for w in &want_ix {
        match live.indexes.iter().find(|i| i.name == w.name) {
            None => out.push(format!("index {}: missing", w.name)),
            Some(l) if l != w => out.push(format!(
                "index {}: {}, expected {}",
                w.name,
                l.describe(),
                w.describe()
            )),
            Some(_) => {}
        }
    }
    for l in &live.indexes {
        if !want_ix.iter().any(|w| w.name == l.name) {
            out.push(format!(
                "index {}: not in the graph, {}",
                l.name,
                l.describe()
            ));
        }
    }
    out
}

/// The key, id and timestamp columns and the primary key are as created.
fn base_ok(live: &LiveTable, want: &TableState, d: Dialect) -> bool {
    let base = base_columns(want);
    live.primary_key == [want.left_key.clone(), want.right_key.clone()]
        && ddl::columns(want, d)
            .iter()
            .filter(|e| base.contains(&e.name.as_str()))
            .all(|e| {
                live.column(&e.name)
                    .is_some_and(|l| l.ty == e.ty && l.nullable == e.nullable)
            })
}

/// The steps bringing `live` (renamed from `rename_from` when set) to `w`.
async fn table_steps(
    c: &mut Conn<'_>,
    live: &LiveTable,
    w: &WantedTable,
    rename_from: Option<&str>,
    medusa: Option<&BTreeMap<String, String>>,
) -> Result<Vec<Step>, DbError> {
    let d = c.dialect();
    let want = &w.state;
    let mut steps = Vec::new();
    let tracking_step = |steps: &mut Vec<Step>| {
        let Some(m) = medusa else { return };
        let ok = m
            .get(&want.table)
            .and_then(|j| Descriptor::parse(j))
            .is_some_and(|desc| desc == w.descriptor);
        match rename_from.filter(|old| m.contains_key(*old)) {
            Some(old) => {
                let mut sql = String::new();
                if m.contains_key(&want.table) {
                    sql.push_str(&track_delete(&want.table));
                }
                writeln!(
                    sql,
                    "UPDATE {} SET \"table_name\" = {}, \"link_descriptor\" = {} WHERE \"table_name\" = {};",
                    quote(MEDUSA_TRACKING_TABLE),
                    literal(&want.table),
                    track_json(&w.descriptor, d),
                    literal(old)
                )
                .unwrap();
                steps.push(Step {
                    summary: format!("rename {old} to {} in {MEDUSA_TRACKING_TABLE}", want.table),
                    sql,
                    destructive: false,
                });
            }
            None if !ok => steps.push(Step {
                summary: format!("record {} in {MEDUSA_TRACKING_TABLE}", want.table),
                sql: track_upsert(&want.table, &w.descriptor, d),
                destructive: false,
            }),
            None => {}
        }
    };

    if !base_ok(live, want, d) {
        // Keys, id or timestamps differ: only recreating the table helps.
        let rows = c.count(&live.name, None).await?;
        let problems = table_problems(live, want, d)
            .into_iter()
            .filter(|p| !p.starts_with("index "))
            .collect::<Vec<_>>()
            .join("; ");
        let mut sql = ddl::drop_table(&live.name);
        sql.push_str(&ddl::create_table(want, d));
        steps.push(Step {
            summary: format!(
                "DESTRUCTIVE: recreate table {} and drop its {} ({problems})",
                want.table,
                plural(rows, "row")
            ),
            sql,
            destructive: true,
        });
        tracking_step(&mut steps);
        return Ok(steps);
    }

    // The live table as a schema state: the graph's keys and cardinality
    // (indexes are compared on their own), the live extra columns.
    let base = base_columns(want);
    let mut unknown: BTreeMap<String, String> = BTreeMap::new();
    let extra: Vec<ColumnState> = live
        .columns
        .iter()
        .filter(|l| !base.contains(&l.name.as_str()))
        .map(|l| {
            let wanted = want.extra_columns.iter().find(|c| c.name == l.name);
            let same = |t: ScalarType| ddl::catalog_type(ddl::scalar_type(t, d), d) == l.ty;
            let ty = match wanted {
                Some(wc) if same(wc.ty) => wc.ty,
                _ => match ddl::scalar_of_catalog_type(&l.ty, d) {
                    Some(t) => t,
                    None => {
                        unknown.insert(l.name.clone(), l.ty.clone());
                        // Any type whose column differs from the wanted one,
                        // so the change converts it.
                        ScalarType::ALL
                            .into_iter()
                            .find(|t| wanted.is_none_or(|wc| !same_sql(*t, wc.ty, d)))
                            .unwrap_or(ScalarType::Text)
                    }
                },
            };
            ColumnState {
                name: l.name.clone(),
                ty,
                nullable: l.nullable,
                default: wanted.and_then(|wc| wc.default.clone()),
            }
        })
        .collect();
    let current = TableState {
        extra_columns: extra,
        ..want.clone()
    };

    let mut live_indexes = live.indexes.clone();
    if let Some(old) = rename_from {
        let from = TableState {
            table: old.to_string(),
            index_hash: live_index_hash(live)
                .unwrap_or_else(|| link_model::naming::simple_hash(old)),
            ..current.clone()
        };
        if from.index_hash != current.index_hash {
            let gone = from.index_names();
            live_indexes.retain(|i| !gone.contains(&i.name));
            live_indexes.extend(current.indexes().iter().map(LiveIndex::of));
        }
        let change = Change::RenameTable {
            from,
            to: current.clone(),
        };
        steps.push(Step {
            summary: change.summary(),
            sql: ddl::change_sql(&change, d),
            destructive: false,
        });
    }

    // Indexes not in the graph (or different) go first: a rebuild below
    // would drop them anyway, and their names are free again.
    let want_ix: Vec<IndexSpec> = want.indexes();
    let mut create_ix = Vec::new();
    for l in &live_indexes {
        match want_ix.iter().find(|w| w.name == l.name) {
            None => steps.push(Step {
                summary: format!("drop index {} (not in the graph)", l.name),
                sql: ddl::drop_index(&l.name),
                destructive: false,
            }),
            Some(w) if LiveIndex::of(w) != *l => steps.push(Step {
                summary: format!("drop index {} ({}, to be recreated)", l.name, l.describe()),
                sql: ddl::drop_index(&l.name),
                destructive: false,
            }),
            Some(_) => {}
        }
    }
    for w in &want_ix {
        if live_indexes
            .iter()
            .find(|l| l.name == w.name)
            .is_none_or(|l| *l != LiveIndex::of(w))
        {
            create_ix.push(w.clone());
        }
    }

    // Column changes: the safe ones first, computed without the
    // destructive ones so that skipping those never half-applies them.
    let all = schema::diff(
        std::slice::from_ref(&current),
        std::slice::from_ref(want),
        true,
    );
    let mut reasons: BTreeMap<String, String> = BTreeMap::new();
    let mut safe_state = current.clone();
    for ch in &all.changes {
        match ch {
            Change::AddColumn { column, .. } => safe_state.extra_columns.push(column.clone()),
            Change::AlterColumn { before, column, .. } => {
                let old = before
                    .extra_columns
                    .iter()
                    .find(|c| c.name == column.name)
                    .expect("altered column exists");
                let old_ty = unknown
                    .get(&column.name)
                    .cloned()
                    .unwrap_or_else(|| ddl::catalog_type(ddl::scalar_type(old.ty, d), d));
                let new_ty = ddl::catalog_type(ddl::scalar_type(column.ty, d), d);
                let narrowing = unknown.contains_key(&column.name)
                    || (old_ty != new_ty && schema::is_narrowing(old.ty, column.ty));
                let nulls = if old.nullable && !column.nullable {
                    c.count(&live.name, Some(&column.name)).await?
                } else {
                    0
                };
                let what = format!(
                    "alter column {}.{} ({} -> {})",
                    want.table,
                    column.name,
                    col_desc(&old_ty, old.nullable),
                    col_desc(&new_ty, column.nullable)
                );
                if narrowing || nulls > 0 {
                    let mut why = Vec::new();
                    if narrowing {
                        let rows = c.count(&live.name, None).await?;
                        why.push(format!(
                            "narrows the type of a table with {}",
                            plural(rows, "row")
                        ));
                    }
                    if nulls > 0 {
                        let fill = column
                            .default
                            .clone()
                            .unwrap_or_else(|| ddl::zero_default(column.ty));
                        why.push(format!(
                            "NOT NULL on {} holding NULL (set to {})",
                            plural(nulls, "row"),
                            ddl::default_sql(&fill, column.ty, d)
                        ));
                    }
                    reasons.insert(
                        column.name.clone(),
                        format!("DESTRUCTIVE: {what}: {}", why.join(", ")),
                    );
                } else {
                    reasons.insert(column.name.clone(), what);
                    if let Some(c) = safe_state
                        .extra_columns
                        .iter_mut()
                        .find(|c| c.name == column.name)
                    {
                        *c = column.clone();
                    }
                }
            }
            Change::DropColumn { column, .. } => {
                let rows = c.count(&live.name, None).await?;
                reasons.insert(
                    column.clone(),
                    format!(
                        "DESTRUCTIVE: drop column {}.{column} and its values ({})",
                        want.table,
                        plural(rows, "row")
                    ),
                );
            }
            _ => {}
        }
    }
    // Declared order first, then the columns left to drop.
    let mut ordered: Vec<ColumnState> = want
        .extra_columns
        .iter()
        .filter_map(|w| {
            safe_state
                .extra_columns
                .iter()
                .find(|c| c.name == w.name)
                .cloned()
        })
        .collect();
    ordered.extend(
        safe_state
            .extra_columns
            .iter()
            .filter(|c| !want.extra_columns.iter().any(|w| w.name == c.name))
            .cloned(),
    );
    safe_state.extra_columns = ordered;
    let safe = schema::diff(
        std::slice::from_ref(&current),
        std::slice::from_ref(&safe_state),
        true,
    );
    let unsafe_ = schema::diff(
        std::slice::from_ref(&safe_state),
        std::slice::from_ref(want),
        true,
    );
    for (ch, destructive) in safe
        .changes
        .iter()
        .map(|c| (c, false))
        .chain(unsafe_.changes.iter().map(|c| (c, true)))
    {
        let summary = match ch {
            Change::AddColumn { table, column } => {
                let mut s = format!(
                    "add column {}.{} ({}",
                    table.table,
                    column.name,
                    col_desc(
                        &ddl::catalog_type(ddl::scalar_type(column.ty, d), d),
                        column.nullable
                    )
                );
                if let Some(def) = &column.default {
                    write!(s, " DEFAULT {}", ddl::default_sql(def, column.ty, d)).unwrap();
                } else if !column.nullable {
                    write!(
                        s,
                        "; existing rows get {}",
                        ddl::default_sql(&ddl::zero_default(column.ty), column.ty, d)
                    )
                    .unwrap();
                }
                s.push(')');
                s
            }
            Change::AlterColumn { column, .. } => reasons
                .get(&column.name)
                .cloned()
                .unwrap_or_else(|| ch.summary()),
            Change::DropColumn { column, .. } => {
                reasons.get(column).cloned().unwrap_or_else(|| ch.summary())
            }
            other => other.summary(),
        };
        steps.push(Step {
            destructive: destructive || summary.starts_with("DESTRUCTIVE"),
            summary,
            sql: ddl::change_sql(ch, d),
        });
    }
    for ix in &create_ix {
        steps.push(Step {
            summary: format!(
                "create {}index {}",
                if ix.unique { "unique " } else { "" },
                ix.name
            ),
            sql: ddl::create_index(&want.table, ix),
            destructive: false,
        });
    }
    tracking_step(&mut steps);
    Ok(steps)
}

/// Two scalar types share their column type in `d`.
fn same_sql(a: ScalarType, b: ScalarType, d: Dialect) -> bool {
    ddl::catalog_type(ddl::scalar_type(a, d), d) == ddl::catalog_type(ddl::scalar_type(b, d), d)
}

// ----------------------------------------------------------------- execute

/// How a sync ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to do.
    UpToDate,
    /// Every step ran.
    Applied,
    /// Some destructive steps were skipped (the others ran).
    SkippedDestructive,
}

impl Outcome {
    /// Exit code of the runtime's own callers: 0 done, 2 destructive steps
    /// skipped (`cargo links` and `cargo xtask` exit 3 then, see `link_cli::exit`).
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::UpToDate | Outcome::Applied => 0,
            Outcome::SkippedDestructive => 2,
        }
    }
}

/// What [`execute`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// The plan executed: the given one, or a new one when the database had
    /// changed by the time the lock was taken.
    pub plan: SyncPlan,
    /// Whether the plan was made again under the lock.
    pub replanned: bool,
    /// `(action kind, table, step summary)` of every step that ran.
    pub applied: Vec<(ActionKind, String, String)>,
    /// The destructive steps left out.
    pub skipped: Vec<(ActionKind, String, String)>,
}

impl SyncReport {
    /// What the run did, in short.
    pub fn outcome(&self) -> Outcome {
        if !self.skipped.is_empty() {
            Outcome::SkippedDestructive
        } else if self.applied.is_empty() {
            Outcome::UpToDate
        } else {
            Outcome::Applied
        }
    }

    /// The report as `cargo links db sync-links` prints it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.replanned {
            out.push_str(
                "note: the database changed after planning; planned again under the lock:\n",
            );
            out.push_str(&self.plan.render());
        }
        for (kind, table, summary) in &self.applied {
            writeln!(out, "done     {} {table}: {summary}", kind.name()).unwrap();
        }
        if !self.skipped.is_empty() {
            writeln!(
                out,
                "skipped {} (run again with --allow-destructive to apply):",
                plural(self.skipped.len() as u64, "destructive step")
            )
            .unwrap();
            for (kind, table, summary) in &self.skipped {
                writeln!(out, "  {} {table}: {summary}", kind.name()).unwrap();
            }
        }
        out.push_str(match self.outcome() {
            Outcome::UpToDate => "links sync: database already up to date\n",
            Outcome::Applied => "links sync: completed\n",
            Outcome::SkippedDestructive => "links sync: completed except destructive steps\n",
        });
        out
    }
}

/// Runs a plan in one transaction. On Postgres the transaction first takes
/// `pg_advisory_xact_lock`, so concurrent syncs (and [`migrate()`]) run one
/// after the other. The database is planned again under the lock; when it
/// changed since `plan` was made, the new plan runs instead (reported).
/// Destructive steps run only with `allow_destructive`. When a statement
/// fails, the transaction is rolled back: the database is as before.
pub async fn execute(
    db: &Db,
    plan: &SyncPlan,
    allow_destructive: bool,
) -> Result<SyncReport, Error> {
    let mut tx = db.begin().await?;
    if db.dialect() == Dialect::Postgres {
        tx.execute(&Sql::raw(Dialect::Postgres, lock_sql(false)))
            .await?;
    }
    let fresh = analyze(&mut Conn::Tx(&mut tx), &plan.target).await?.actions;
    let replanned = fresh != plan.actions;
    let plan = SyncPlan {
        dialect: plan.dialect,
        target: plan.target.clone(),
        actions: fresh,
    };
    let mut applied = Vec::new();
    let mut skipped = Vec::new();
    for a in &plan.actions {
        for s in &a.steps {
            if s.destructive && !allow_destructive {
                skipped.push((a.kind, a.table.clone(), s.summary.clone()));
                continue;
            }
            if let Err(e) = tx.execute_script(&s.sql).await {
                let _ = tx.rollback().await;
                return Err(Error::Migrate(format!(
                    "links sync: step `{} {}: {}` failed: {}; rolled back, the database is unchanged",
                    a.kind.name(),
                    a.table,
                    s.summary,
                    db_message(&e)
                )));
            }
            applied.push((a.kind, a.table.clone(), s.summary.clone()));
        }
    }
    tx.commit().await?;
    Ok(SyncReport {
        plan,
        replanned,
        applied,
        skipped,
    })
}

/// The database's message (and Postgres' detail), without driver noise
/// such as the server's source line.
fn db_message(e: &DbError) -> String {
    match e {
        DbError::Sqlx(sqlx::Error::Database(d)) => {
            #[cfg(feature = "postgres")]
            if let Some(pg) = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                && let Some(detail) = pg.detail()
            {
                return format!("{} ({detail})", pg.message());
            }
            d.message().to_string()
        }
        other => other.to_string(),
    }
}

/// [`plan_sync`] then [`execute`].
pub async fn sync_links(
    db: &Db,
    graph: &LinkGraph,
    allow_destructive: bool,
) -> Result<(SyncPlan, SyncReport), Error> {
    let plan = plan_sync(db, graph).await?;
    let report = execute(db, &plan, allow_destructive).await?;
    Ok((plan, report))
}

// ----------------------------------------------------------------- migrate

/// What [`migrate()`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateReport {
    /// The dialect of the database.
    pub dialect: Dialect,
    /// `(version, description)` applied by this run.
    pub applied_now: Vec<(i64, String)>,
    /// The state of the migrations after the run.
    pub status: MigrationStatus,
}

impl MigrateReport {
    /// The report as `cargo links db migrate` prints it.
    pub fn render(&self) -> String {
        let mut out = format!("migrate ({})\n", self.dialect.name());
        for (v, d) in &self.applied_now {
            writeln!(out, "applied  {}", stem(*v, d)).unwrap();
        }
        writeln!(
            out,
            "migrate: {}; {} applied in total, {} pending",
            if self.applied_now.is_empty() {
                "nothing to apply".to_string()
            } else {
                format!(
                    "{} applied",
                    plural(self.applied_now.len() as u64, "migration")
                )
            },
            self.status.applied.len(),
            self.status.pending.len()
        )
        .unwrap();
        out
    }
}

/// Applies the pending link migrations of the database's dialect, each in
/// a transaction (sqlx's `Migrator`, tracked in `_link_migrations`).
/// Refuses, changing nothing, when an applied migration's file changed (or
/// one is recorded as failed or missing). On Postgres the run holds the
/// advisory lock of [`execute`], so concurrent runs serialise.
pub async fn migrate(db: &Db, migrations: &Migrations) -> Result<MigrateReport, Error> {
    #[cfg(feature = "postgres")]
    if let Some(pool) = db.pg_pool() {
        use sqlx::Connection;
        let mut lock = pool.acquire().await.map_err(DbError::from)?;
        sqlx::query(sqlx::AssertSqlSafe(lock_sql(true)))
            .execute(&mut *lock)
            .await
            .map_err(DbError::from)?;
        let result = migrate_locked(db, migrations).await;
        let unlock = format!("SELECT pg_advisory_unlock({LOCK_CLASS}, hashtext(current_schema()))");
        if sqlx::query(sqlx::AssertSqlSafe(unlock))
            .execute(&mut *lock)
            .await
            .is_err()
        {
            // The session lock must not outlive the run: close the connection.
            let _ = lock.detach().close().await;
        }
        return result;
    }
    migrate_locked(db, migrations).await
}

async fn migrate_locked(db: &Db, migrations: &Migrations) -> Result<MigrateReport, Error> {
    let sources = migrations.for_dialect(db.dialect());
    let before = migrations_now(db, sources).await?;
    if let Some(refusal) = before.refusal() {
        return Err(Error::Migrate(format!("refused: {refusal}")));
    }
    migrate::run(db, migrations).await?;
    let after = migrations_now(db, sources).await?;
    let applied_now = after
        .applied
        .iter()
        .filter(|m| !before.applied.contains(m))
        .cloned()
        .collect();
    Ok(MigrateReport {
        dialect: db.dialect(),
        applied_now,
        status: after,
    })
}

async fn migrations_now(db: &Db, sources: &[MigrationSource]) -> Result<MigrationStatus, Error> {
    let mut c = Conn::Db(db);
    let tracked = table_exists(&mut c, TRACKING_TABLE).await?;
    Ok(migration_status(&mut c, sources, tracked).await?)
}

async fn table_exists(c: &mut Conn<'_>, table: &str) -> Result<bool, DbError> {
    let sql = match c.dialect() {
        Dialect::Sqlite => format!(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = {}",
            literal(table)
        ),
        Dialect::Postgres => format!(
            "SELECT COUNT(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname = {}",
            literal(table)
        ),
    };
    let rows = c.fetch(&sql, &[ScalarType::BigInt]).await?;
    Ok(rows.first().and_then(|r| r[0].as_i64()).unwrap_or(0) > 0)
}
