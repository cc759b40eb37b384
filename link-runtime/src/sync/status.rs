//! `status`: applied and pending migrations, and the drift between the live link tables and the graph.

use super::*;

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

pub(super) fn stem(version: i64, description: &str) -> String {
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

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) async fn migration_status(
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

/// One difference between a live link table and the graph's table (column
/// types as the catalog spells them, with `NULL` / `NOT NULL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableProblem {
    /// A column the graph wants is missing.
    MissingColumn {
        /// The column.
        column: String,
        /// Its type as the graph wants it.
        expected: String,
    },
    /// A column has another type or nullability.
    ColumnDiffers {
        /// The column.
        column: String,
        /// Its live type.
        found: String,
        /// Its type as the graph wants it.
        expected: String,
    },
    /// A column the graph does not declare.
    ExtraColumn {
        /// The column.
        column: String,
        /// Its live type.
        found: String,
    },
    /// The primary key is on other columns.
    PrimaryKey {
        /// The live key's columns.
        found: Vec<String>,
        /// The graph's key columns.
        expected: Vec<String>,
    },
    /// An index the graph wants is missing.
    MissingIndex {
        /// The index.
        index: String,
    },
    /// An index has other columns, uniqueness or predicate.
    IndexDiffers {
        /// The index.
        index: String,
        /// The live index, described.
        found: String,
        /// The graph's index, described.
        expected: String,
    },
    /// An index the graph does not want.
    ExtraIndex {
        /// The index.
        index: String,
        /// The live index, described.
        found: String,
    },
    /// Medusa's `link_module_migrations` has no row for the table.
    NoTrackingRow,
    /// Medusa's `link_module_migrations` row describes another link.
    TrackingDiffers {
        /// The recorded descriptor.
        found: String,
        /// The link's descriptor.
        expected: String,
    },
}

impl TableProblem {
    /// Whether the problem is an index's (fixed without touching rows).
    pub fn is_index(&self) -> bool {
        matches!(
            self,
            TableProblem::MissingIndex { .. }
                | TableProblem::IndexDiffers { .. }
                | TableProblem::ExtraIndex { .. }
        )
    }
}

impl fmt::Display for TableProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TableProblem as P;
        match self {
            P::MissingColumn { column, expected } => {
                write!(f, "column {column}: missing ({expected})")
            }
            P::ColumnDiffers {
                column,
                found,
                expected,
            } => write!(f, "column {column}: {found}, expected {expected}"),
            P::ExtraColumn { column, found } => {
                write!(f, "column {column}: not in the graph ({found})")
            }
            P::PrimaryKey { found, expected } => write!(
                f,
                "primary key ({}), expected ({})",
                found.join(", "),
                expected.join(", ")
            ),
            P::MissingIndex { index } => write!(f, "index {index}: missing"),
            P::IndexDiffers {
                index,
                found,
                expected,
            } => write!(f, "index {index}: {found}, expected {expected}"),
            P::ExtraIndex { index, found } => {
                write!(f, "index {index}: not in the graph, {found}")
            }
            P::NoTrackingRow => write!(f, "{MEDUSA_TRACKING_TABLE}: no row"),
            P::TrackingDiffers { found, expected } => {
                write!(f, "{MEDUSA_TRACKING_TABLE}: {found}, expected {expected}")
            }
        }
    }
}

/// How a link table differs from the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// The graph's table does not exist (sync-links renames `renamed_from` to it, if set).
    Missing {
        /// An extra table holding this link's rows under an older name.
        renamed_from: Option<String>,
    },
    /// The table exists but differs; one entry per difference.
    Differs {
        /// What differs.
        problems: Vec<TableProblem>,
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

pub(super) fn plural(n: u64, word: &str) -> String {
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
