//! Reading the live database: tables, columns, indexes (`sqlite_master` / `pragma_*` on SQLite, `pg_catalog` on Postgres).

use super::*;

/// A connection to read from: the pool or an open transaction.
pub(super) enum Conn<'a> {
    Db(&'a Db),
    Tx(&'a mut Tx),
}

impl Conn<'_> {
    pub(super) fn dialect(&self) -> Dialect {
        match self {
            Conn::Db(db) => db.dialect(),
            Conn::Tx(tx) => tx.dialect(),
        }
    }

    pub(super) async fn fetch(
        &mut self,
        sql: &str,
        cols: &[ScalarType],
    ) -> Result<Vec<Vec<Value>>, DbError> {
        let sql = Sql::raw(self.dialect(), sql);
        match self {
            Conn::Db(db) => db.fetch(&sql, cols).await,
            Conn::Tx(tx) => tx.fetch(&sql, cols).await,
        }
    }

    pub(super) async fn count(
        &mut self,
        table: &str,
        null_column: Option<&str>,
    ) -> Result<u64, DbError> {
        let mut sql = format!("SELECT COUNT(*) FROM {}", quote(table));
        if let Some(c) = null_column {
            write!(sql, " WHERE {} IS NULL", quote(c)).unwrap();
        }
        let rows = self.fetch(&sql, &[ScalarType::BigInt]).await?;
        Ok(rows.first().and_then(|r| r[0].as_u64()).unwrap_or_default())
    }
}

pub(super) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub(super) fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LiveColumn {
    pub(super) name: String,
    /// In the catalog's spelling ([`ddl::catalog_type`]).
    pub(super) ty: String,
    pub(super) nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LiveIndex {
    pub(super) name: String,
    pub(super) columns: Vec<String>,
    pub(super) unique: bool,
    pub(super) partial: bool,
}

impl LiveIndex {
    pub(super) fn of(spec: &IndexSpec) -> LiveIndex {
        LiveIndex {
            name: spec.name.clone(),
            columns: spec.columns.clone(),
            unique: spec.unique,
            partial: spec.partial,
        }
    }

    pub(super) fn describe(&self) -> String {
        format!(
            "{}({}){}",
            if self.unique { "unique " } else { "" },
            self.columns.join(", "),
            if self.partial { " on live rows" } else { "" }
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct LiveTable {
    pub(super) name: String,
    pub(super) columns: Vec<LiveColumn>,
    pub(super) primary_key: Vec<String>,
    /// Every index but the primary key's.
    pub(super) indexes: Vec<LiveIndex>,
}

impl LiveTable {
    pub(super) fn column(&self, name: &str) -> Option<&LiveColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Snapshot {
    pub(super) tables: BTreeMap<String, LiveTable>,
    /// `link_module_migrations`: table name -> descriptor JSON, when it exists.
    pub(super) medusa: Option<BTreeMap<String, String>>,
}

pub(super) async fn snapshot(c: &mut Conn<'_>) -> Result<Snapshot, DbError> {
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
pub(super) fn base_columns(t: &TableState) -> [&str; 6] {
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
pub(super) fn looks_like_link_table(t: &LiveTable, d: Dialect) -> bool {
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
pub(super) fn live_index_hash(t: &LiveTable) -> Option<String> {
    t.indexes
        .iter()
        .find(|i| i.columns == ["id"])
        .and_then(|i| i.name.strip_prefix("IDX_id_"))
        .map(str::to_string)
}
