//! `plan_sync`: the create / update / rename / noop / delete actions that bring the live link tables to the graph, destructive steps flagged.

use super::*;

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
    /// One line; destructive steps say how many rows they touch (shown
    /// after `DESTRUCTIVE: `, see the `Display` impl).
    pub summary: String,
    /// The statement.
    pub sql: String,
    /// Drops a table or column, narrows a type or sets NOT NULL on a column
    /// holding NULLs: runs only with `allow_destructive`.
    pub destructive: bool,
}

impl fmt::Display for Step {
    /// The summary, after `DESTRUCTIVE: ` for a destructive step.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.destructive {
            f.write_str("DESTRUCTIVE: ")?;
        }
        f.write_str(&self.summary)
    }
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
    pub(super) fn head(&self) -> String {
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
                writeln!(out, "          {s}").unwrap();
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
                        s
                    )
                    .unwrap();
                } else {
                    writeln!(out, "-- {} {}: {}", a.kind.name(), a.table, s).unwrap();
                    out.push_str(&s.sql);
                }
            }
        }
        out.push_str("COMMIT;\n");
        out
    }
}

pub(super) fn lock_sql(session: bool) -> String {
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

pub(super) struct Analysis {
    pub(super) tables: Vec<TableStatus>,
    pub(super) actions: Vec<Action>,
    pub(super) tracked_migrations: bool,
}

pub(super) fn track_json(desc: &Descriptor, d: Dialect) -> String {
    match d {
        Dialect::Postgres => format!("{}::jsonb", literal(&desc.json())),
        Dialect::Sqlite => literal(&desc.json()),
    }
}

pub(super) fn track_upsert(table: &str, desc: &Descriptor, d: Dialect) -> String {
    format!(
        "INSERT INTO {} (\"table_name\", \"link_descriptor\") VALUES ({}, {}) \
         ON CONFLICT (\"table_name\") DO UPDATE SET \"link_descriptor\" = excluded.\"link_descriptor\";\n",
        quote(MEDUSA_TRACKING_TABLE),
        literal(table),
        track_json(desc, d)
    )
}

pub(super) fn track_delete(table: &str) -> String {
    format!(
        "DELETE FROM {} WHERE \"table_name\" = {};\n",
        quote(MEDUSA_TRACKING_TABLE),
        literal(table)
    )
}

/// Reads the database and compares it with the target: the status of every
/// table and the sync actions.
pub(super) async fn analyze(c: &mut Conn<'_>, target: &Target) -> Result<Analysis, DbError> {
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
                None => problems.push(TableProblem::NoTrackingRow),
                Some(desc) if desc != w.descriptor => {
                    problems.push(TableProblem::TrackingDiffers {
                        found: desc.json(),
                        expected: w.descriptor.json(),
                    })
                }
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
                summary: format!("drop table {} and its {}", e.name, plural(rows, "row")),
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

pub(super) fn col_desc(ty: &str, nullable: bool) -> String {
    format!("{ty} {}", if nullable { "NULL" } else { "NOT NULL" })
}

/// Every difference between a live table and the graph's table.
pub(super) fn table_problems(live: &LiveTable, want: &TableState, d: Dialect) -> Vec<TableProblem> {
    use TableProblem as P;
    let mut out = Vec::new();
    let expected = ddl::columns(want, d);
    for e in &expected {
        match live.column(&e.name) {
            None => out.push(P::MissingColumn {
                column: e.name.clone(),
                expected: col_desc(&e.ty, e.nullable),
            }),
            Some(l) if l.ty != e.ty || l.nullable != e.nullable => out.push(P::ColumnDiffers {
                column: e.name.clone(),
                found: col_desc(&l.ty, l.nullable),
                expected: col_desc(&e.ty, e.nullable),
            }),
            Some(_) => {}
        }
    }
    for l in &live.columns {
        if !expected.iter().any(|e| e.name == l.name) {
            out.push(P::ExtraColumn {
                column: l.name.clone(),
                found: col_desc(&l.ty, l.nullable),
            });
        }
    }
    let pk = [want.left_key.clone(), want.right_key.clone()];
    if live.primary_key != pk {
        out.push(P::PrimaryKey {
            found: live.primary_key.clone(),
            expected: pk.to_vec(),
        });
    }
    let want_ix: Vec<LiveIndex> = want.indexes().iter().map(LiveIndex::of).collect();
    for w in &want_ix {
        match live.indexes.iter().find(|i| i.name == w.name) {
            None => out.push(P::MissingIndex {
                index: w.name.clone(),
            }),
            Some(l) if l != w => out.push(P::IndexDiffers {
                index: w.name.clone(),
                found: l.describe(),
                expected: w.describe(),
            }),
            Some(_) => {}
        }
    }
    for l in &live.indexes {
        if !want_ix.iter().any(|w| w.name == l.name) {
            out.push(P::ExtraIndex {
                index: l.name.clone(),
                found: l.describe(),
            });
        }
    }
    out
}

/// The key, id and timestamp columns and the primary key are as created.
pub(super) fn base_ok(live: &LiveTable, want: &TableState, d: Dialect) -> bool {
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
pub(super) async fn table_steps(
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
            .filter(|p| !p.is_index())
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("; ");
        let mut sql = ddl::drop_table(&live.name);
        sql.push_str(&ddl::create_table(want, d));
        steps.push(Step {
            summary: format!(
                "recreate table {} and drop its {} ({problems})",
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
                    reasons.insert(column.name.clone(), format!("{what}: {}", why.join(", ")));
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
                        "drop column {}.{column} and its values ({})",
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
            // The unsafe diff holds exactly the changes the safe state
            // leaves out: the destructive ones.
            destructive,
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
pub(super) fn same_sql(a: ScalarType, b: ScalarType, d: Dialect) -> bool {
    ddl::catalog_type(ddl::scalar_type(a, d), d) == ddl::catalog_type(ddl::scalar_type(b, d), d)
}
