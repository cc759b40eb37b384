//! The schema of stored link tables as a value: built from the graph, kept
//! per migration in the committed lock file, and diffed to produce the next
//! migration.

use crate::{DefaultValue, LinkGraph, ScalarType};

/// One link table as migrations leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TableState {
    /// Identity of the link across renames: `module.model.key <> module.model.key`.
    pub link: String,
    pub table: String,
    pub index_hash: String,
    pub left_module: String,
    pub left_model: String,
    pub left_key: String,
    pub right_module: String,
    pub right_model: String,
    pub right_key: String,
    /// Key columns unique among live rows (cardinality).
    #[cfg_attr(feature = "serde", serde(default))]
    pub unique: Vec<String>,
    #[cfg_attr(feature = "serde", serde(default))]
    pub extra_columns: Vec<ColumnState>,
}

/// An extra column.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ColumnState {
    pub name: String,
    #[cfg_attr(feature = "serde", serde(with = "scalar_serde"))]
    pub ty: ScalarType,
    pub nullable: bool,
    #[cfg_attr(
        feature = "serde",
        serde(
            default,
            with = "default_serde",
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub default: Option<DefaultValue>,
}

impl TableState {
    /// Key columns that get a partial unique index.
    pub fn unique_keys(&self) -> impl Iterator<Item = &String> {
        self.unique.iter()
    }

    /// Names of every index of the table.
    pub fn index_names(&self) -> Vec<String> {
        let mut v: Vec<String> = ["id", &self.left_key, &self.right_key, "deleted_at"]
            .iter()
            .map(|c| format!("IDX_{c}_{}", self.index_hash))
            .collect();
        v.extend(self.unique.iter().map(|k| self.unique_index_name(k)));
        v
    }

    /// Every index of the table as it is created, in creation order:
    /// Medusa's four (`id`, both keys partial on live rows, `deleted_at`),
    /// then the cardinality indexes (partial unique). Names as in
    /// [`TableState::index_names`].
    pub fn indexes(&self) -> Vec<IndexSpec> {
        let plain = |col: &str, partial: bool| IndexSpec {
            name: format!("IDX_{col}_{}", self.index_hash),
            columns: vec![col.to_string()],
            unique: false,
            partial,
        };
        let mut v = vec![
            plain("id", false),
            plain(&self.left_key, true),
            plain(&self.right_key, true),
            plain("deleted_at", false),
        ];
        v.extend(self.unique.iter().map(|k| IndexSpec {
            name: self.unique_index_name(k),
            columns: vec![k.clone()],
            unique: true,
            partial: true,
        }));
        v
    }

    /// Name of the cardinality (partial unique) index on `key`:
    /// `IDX_<key>_<hash>_unique`, with the key cut so the name fits
    /// PostgreSQL's 63-byte identifiers. Uncut, a long name would be truncated
    /// by PostgreSQL to the same 63 bytes as the plain `IDX_<key>_<hash>`
    /// index, and `CREATE UNIQUE INDEX IF NOT EXISTS` would then silently
    /// create nothing.
    pub fn unique_index_name(&self, key: &str) -> String {
        const MAX: usize = 63;
        let suffix = format!("_{}_unique", self.index_hash);
        let room = MAX.saturating_sub("IDX_".len() + suffix.len());
        let mut cut = key.len().min(room);
        while !key.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("IDX_{}{suffix}", &key[..cut])
    }
}

/// An index of a link table. Partial indexes cover live rows only
/// (`WHERE "deleted_at" IS NULL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
    pub partial: bool,
}

/// Whether changing a column from `from` to `to` may lose or refuse data
/// (a text that is not a number, a double that does not fit a real, …).
/// Widening (integer to bigint, float to double, numbers to decimal, date to
/// timestamp, anything to text) keeps every value.
pub fn is_narrowing(from: ScalarType, to: ScalarType) -> bool {
    use ScalarType as T;
    let widening = from == to
        || to == T::Text
        || matches!(
            (from, to),
            (T::Integer, T::BigInt | T::Double | T::Decimal)
                | (T::BigInt | T::Float | T::Double, T::Decimal)
                | (T::Float, T::Double)
                | (T::Date, T::Timestamp)
        );
    !widening
}

/// The link tables the graph wants, in declaration order.
pub fn tables_of(graph: &LinkGraph) -> Vec<TableState> {
    graph
        .stored_links()
        .map(|(l, st)| {
            let mut unique = Vec::new();
            // `is_list` on a side means the other side sees many of it; when a
            // side is not a list, each record of the other side has at most
            // one partner, so the other side's key is unique among live rows.
            if !l.left.is_list {
                unique.push(l.right.key.to_string());
            }
            if !l.right.is_list {
                unique.push(l.left.key.to_string());
            }
            TableState {
                link: format!(
                    "{}.{}.{} <> {}.{}.{}",
                    l.left.module,
                    l.left.model,
                    l.left.key,
                    l.right.module,
                    l.right.model,
                    l.right.key
                ),
                table: st.table.to_string(),
                index_hash: st.index_hash.to_string(),
                left_module: l.left.module.to_string(),
                left_model: l.left.model.to_string(),
                left_key: l.left.key.to_string(),
                right_module: l.right.module.to_string(),
                right_model: l.right.model.to_string(),
                right_key: l.right.key.to_string(),
                unique,
                extra_columns: st
                    .extra_columns
                    .iter()
                    .map(|c| ColumnState {
                        name: c.name.to_string(),
                        ty: c.ty,
                        nullable: c.nullable,
                        default: c.default.clone(),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// One step of a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    CreateTable(TableState),
    DropTable(TableState),
    RenameTable {
        from: TableState,
        to: TableState,
    },
    AddColumn {
        table: TableState,
        column: ColumnState,
    },
    DropColumn {
        table: TableState,
        column: String,
    },
    AlterColumn {
        before: TableState,
        after: TableState,
        column: ColumnState,
    },
    SetUnique {
        before: TableState,
        after: TableState,
    },
}

impl Change {
    /// Drops data: generated only with the explicit flag.
    pub fn is_destructive(&self) -> bool {
        matches!(self, Change::DropTable(_) | Change::DropColumn { .. })
    }

    /// Short snake_case description for the migration's file name.
    pub fn description(&self) -> String {
        match self {
            Change::CreateTable(t) => format!("create_{}", t.table),
            Change::DropTable(t) => format!("drop_{}", t.table),
            Change::RenameTable { to, .. } => format!("rename_{}", to.table),
            Change::AddColumn { table, column } => format!("add_{}_{}", table.table, column.name),
            Change::DropColumn { table, column } => format!("drop_{}_{}", table.table, column),
            Change::AlterColumn { after, column, .. } => {
                format!("alter_{}_{}", after.table, column.name)
            }
            Change::SetUnique { after, .. } => format!("cardinality_{}", after.table),
        }
    }

    /// One line for summaries and migration headers.
    pub fn summary(&self) -> String {
        match self {
            Change::CreateTable(t) => format!("create table {} ({})", t.table, t.link),
            Change::DropTable(t) => format!("DESTRUCTIVE: drop table {} and all its rows", t.table),
            Change::RenameTable { from, to } => {
                format!("rename table {} to {}", from.table, to.table)
            }
            Change::AddColumn { table, column } => {
                format!("add column {}.{}", table.table, column.name)
            }
            Change::DropColumn { table, column } => {
                format!(
                    "DESTRUCTIVE: drop column {}.{} and its values",
                    table.table, column
                )
            }
            Change::AlterColumn { after, column, .. } => {
                format!("alter column {}.{}", after.table, column.name)
            }
            Change::SetUnique { after, .. } => {
                format!("change cardinality indexes of {}", after.table)
            }
        }
    }
}

/// The outcome of [`diff`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// Changes the next migration makes, in order.
    pub changes: Vec<Change>,
    /// Destructive changes left out for want of `allow_destructive`.
    pub skipped: Vec<Change>,
    /// The schema after the migration (skipped drops keep their tables/columns).
    pub result: Vec<TableState>,
}

/// Pairs each wanted table with the recorded table it continues, if any:
/// first a table of the same link identity under the same name, then one of
/// the same identity under another name (a rename). Two links between the
/// same keys of the same models share an identity, so the name decides first.
fn match_tables(before: &[TableState], after: &[TableState]) -> Vec<Option<usize>> {
    let mut used = vec![false; before.len()];
    let mut matched = vec![None; after.len()];
    for (i, new) in after.iter().enumerate() {
        if let Some(j) = (0..before.len())
            .find(|&j| !used[j] && before[j].link == new.link && before[j].table == new.table)
        {
            used[j] = true;
            matched[i] = Some(j);
        }
    }
    for (i, new) in after.iter().enumerate() {
        if matched[i].is_some() {
            continue;
        }
        if let Some(j) = (0..before.len()).find(|&j| !used[j] && before[j].link == new.link) {
            used[j] = true;
            matched[i] = Some(j);
        }
    }
    matched
}

/// Differences between two schemas. Without `allow_destructive`, destructive
/// changes are left out and the dropped tables/columns stay in the result.
///
/// Tables are dropped first, so a link whose keys change under the same table
/// name is dropped and created again (not created, as a no-op, and then
/// dropped). When such a drop is not allowed, the creation that needs it is
/// skipped too.
pub fn diff(before: &[TableState], after: &[TableState], allow_destructive: bool) -> Diff {
    let mut changes = Vec::new();
    let mut skipped = Vec::new();
    let mut result = Vec::new();
    let matched = match_tables(before, after);
    // Recorded tables no wanted table continues.
    let mut kept_names: Vec<&str> = Vec::new();
    let mut kept = Vec::new();
    for (j, old) in before.iter().enumerate() {
        if matched.contains(&Some(j)) {
            continue;
        }
        let change = Change::DropTable(old.clone());
        if allow_destructive {
            changes.push(change);
        } else {
            skipped.push(change);
            kept_names.push(&old.table);
            kept.push(old.clone());
        }
    }
    for (new, m) in after.iter().zip(&matched) {
        match m.map(|j| &before[j]) {
            None => {
                if kept_names.contains(&new.table.as_str()) {
                    // The table name is still taken by a table whose drop was skipped.
                    skipped.push(Change::CreateTable(new.clone()));
                } else {
                    changes.push(Change::CreateTable(new.clone()));
                    result.push(new.clone());
                }
            }
            Some(old) => {
                let mut cur = old.clone();
                if old.table != new.table {
                    let to = TableState {
                        table: new.table.clone(),
                        index_hash: new.index_hash.clone(),
                        ..old.clone()
                    };
                    changes.push(Change::RenameTable {
                        from: old.clone(),
                        to: to.clone(),
                    });
                    cur = to;
                }
                for col in &new.extra_columns {
                    match cur.extra_columns.iter().position(|c| c.name == col.name) {
                        None => {
                            let before_add = cur.clone();
                            cur.extra_columns.push(col.clone());
                            changes.push(Change::AddColumn {
                                table: before_add,
                                column: col.clone(),
                            });
                        }
                        Some(i) if cur.extra_columns[i] != *col => {
                            let b = cur.clone();
                            cur.extra_columns[i] = col.clone();
                            changes.push(Change::AlterColumn {
                                before: b,
                                after: cur.clone(),
                                column: col.clone(),
                            });
                        }
                        Some(_) => {}
                    }
                }
                let gone: Vec<String> = cur
                    .extra_columns
                    .iter()
                    .filter(|c| !new.extra_columns.iter().any(|n| n.name == c.name))
                    .map(|c| c.name.clone())
                    .collect();
                for column in gone {
                    let change = Change::DropColumn {
                        table: cur.clone(),
                        column: column.clone(),
                    };
                    if allow_destructive {
                        cur.extra_columns.retain(|c| c.name != column);
                        changes.push(change);
                    } else {
                        skipped.push(change);
                    }
                }
                // Keep the declared column order of the new state where possible.
                let mut ordered: Vec<ColumnState> = new
                    .extra_columns
                    .iter()
                    .filter_map(|n| cur.extra_columns.iter().find(|c| c.name == n.name).cloned())
                    .collect();
                ordered.extend(
                    cur.extra_columns
                        .iter()
                        .filter(|c| !new.extra_columns.iter().any(|n| n.name == c.name))
                        .cloned(),
                );
                cur.extra_columns = ordered;
                if cur.unique != new.unique {
                    let b = cur.clone();
                    cur.unique = new.unique.clone();
                    changes.push(Change::SetUnique {
                        before: b,
                        after: cur.clone(),
                    });
                }
                result.push(cur);
            }
        }
    }
    result.extend(kept);
    Diff {
        changes,
        skipped,
        result,
    }
}

#[cfg(feature = "serde")]
mod scalar_serde {
    use crate::ScalarType;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &ScalarType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ScalarType, D::Error> {
        let name = String::deserialize(d)?;
        ScalarType::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown type `{name}`")))
    }
}

#[cfg(feature = "serde")]
mod default_serde {
    use crate::{DefaultValue, s};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
    enum Repr {
        Bool(bool),
        Int(i64),
        Float(String),
        Text(String),
        Json(String),
        Now(bool),
    }

    pub fn serialize<S: Serializer>(v: &Option<DefaultValue>, s: S) -> Result<S::Ok, S::Error> {
        let repr = v.as_ref().map(|v| match v {
            DefaultValue::Bool(b) => Repr::Bool(*b),
            DefaultValue::Int(i) => Repr::Int(*i),
            DefaultValue::Float(f) => Repr::Float(f.to_string()),
            DefaultValue::Text(t) => Repr::Text(t.to_string()),
            DefaultValue::Json(j) => Repr::Json(j.to_string()),
            DefaultValue::Now => Repr::Now(true),
        });
        repr.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DefaultValue>, D::Error> {
        let repr = Option::<Repr>::deserialize(d)?;
        Ok(repr.map(|r| match r {
            Repr::Bool(b) => DefaultValue::Bool(b),
            Repr::Int(i) => DefaultValue::Int(i),
            Repr::Float(f) => DefaultValue::Float(s(f)),
            Repr::Text(t) => DefaultValue::Text(s(t)),
            Repr::Json(j) => DefaultValue::Json(s(j)),
            Repr::Now(_) => DefaultValue::Now,
        }))
    }
}
