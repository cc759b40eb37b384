//! SQL for stored link tables, per dialect.
//!
//! The Postgres DDL of a link table is Medusa 2.21's exactly (columns, types,
//! primary key on the key pair, `IDX_<column>_<hash>` indexes, partial key
//! indexes), so tables created by either side are interchangeable. On top of
//! it, cardinality declared with `is_list` gets partial unique indexes so the
//! database enforces it race-free.

use std::fmt::Write;

use crate::{DefaultValue, ScalarType};

use crate::schema::{Change, ColumnState, IndexSpec, TableState};

/// SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub const ALL: [Dialect; 2] = [Dialect::Sqlite, Dialect::Postgres];

    pub const fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }
}

/// Quotes an identifier (always: `order` is a keyword).
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Quotes a string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The most characters a link key column holds: Medusa's `character
/// varying(255)` on Postgres (see [`key_type`]). SQLite's `TEXT` would take
/// more; ids are held to the same limit there, so both databases accept the
/// same ids.
pub const KEY_MAX_CHARS: usize = 255;

/// Column type of a link key (`character varying(255)` as in Medusa; its
/// length is [`KEY_MAX_CHARS`]).
pub fn key_type(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "TEXT",
        Dialect::Postgres => "character varying(255)",
    }
}

/// The most characters an id may have in a link key column of dialect `d`
/// ([`KEY_MAX_CHARS`] on both: the column's own limit on Postgres, the same
/// limit kept on SQLite).
pub fn key_max_chars(d: Dialect) -> usize {
    match d {
        Dialect::Sqlite | Dialect::Postgres => KEY_MAX_CHARS,
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;

    /// The limit is the Postgres column's declared length.
    #[test]
    fn key_limit_is_the_column_length() {
        assert_eq!(
            key_type(Dialect::Postgres),
            format!("character varying({})", key_max_chars(Dialect::Postgres))
        );
        assert_eq!(key_max_chars(Dialect::Sqlite), 255);
    }
}

fn timestamp_type(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "TEXT",
        Dialect::Postgres => "timestamptz",
    }
}

/// Default expression for created_at / updated_at.
fn now(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        Dialect::Postgres => "CURRENT_TIMESTAMP",
    }
}

/// Column type of a scalar per dialect.
pub fn scalar_type(t: ScalarType, d: Dialect) -> &'static str {
    use ScalarType as T;
    match d {
        Dialect::Postgres => match t {
            T::Text => "text",
            T::Integer => "integer",
            T::BigInt => "bigint",
            T::Float => "real",
            T::Double => "double precision",
            T::Decimal => "numeric",
            T::Boolean => "boolean",
            T::Json => "jsonb",
            T::Timestamp => "timestamptz",
            T::Date => "date",
            T::Uuid => "uuid",
            // The enum's own type is the module's business; as a link-table
            // column (refused by the validator) it would be text.
            T::Enum => "text",
        },
        Dialect::Sqlite => match t {
            T::Text | T::Json | T::Timestamp | T::Date | T::Uuid | T::Enum => "TEXT",
            T::Integer | T::BigInt => "INTEGER",
            T::Float | T::Double => "REAL",
            T::Decimal => "NUMERIC",
            T::Boolean => "BOOLEAN",
        },
    }
}

/// SQL of a default value.
pub fn default_sql(v: &DefaultValue, t: ScalarType, d: Dialect) -> String {
    match v {
        DefaultValue::Bool(b) => match d {
            Dialect::Postgres => b.to_string(),
            Dialect::Sqlite => (*b as i32).to_string(),
        },
        DefaultValue::Int(i) => i.to_string(),
        DefaultValue::Float(f) => f.to_string(),
        DefaultValue::Text(s) => match (d, t) {
            (Dialect::Postgres, ScalarType::Uuid) => format!("{}::uuid", literal(s)),
            (Dialect::Postgres, ScalarType::Date) => format!("{}::date", literal(s)),
            _ => literal(s),
        },
        DefaultValue::Json(j) => match d {
            Dialect::Postgres => format!("{}::jsonb", literal(j)),
            Dialect::Sqlite => literal(j),
        },
        DefaultValue::Now => now(d).to_string(),
    }
}

fn column_def(c: &ColumnState, d: Dialect) -> String {
    let mut out = format!("{} {}", quote(&c.name), scalar_type(c.ty, d));
    out.push_str(if c.nullable { " NULL" } else { " NOT NULL" });
    if let Some(def) = &c.default {
        write!(out, " DEFAULT {}", default_sql(def, c.ty, d)).unwrap();
    }
    out
}

/// `CREATE TABLE` plus indexes of a link table.
pub fn create_table(t: &TableState, d: Dialect) -> String {
    let mut out = table_definition(t, &t.table, d);
    out.push_str(&create_indexes(t, d));
    out
}

/// `CREATE TABLE` of a link table under the name `table` (the primary key
/// constraint keeps the name of `t`'s table), without its indexes.
fn table_definition(t: &TableState, table: &str, d: Dialect) -> String {
    let mut out = String::new();
    let q = quote(table);
    writeln!(out, "CREATE TABLE IF NOT EXISTS {q} (").unwrap();
    let kt = key_type(d);
    writeln!(out, "    {} {kt} NOT NULL,", quote(&t.left_key)).unwrap();
    writeln!(out, "    {} {kt} NOT NULL,", quote(&t.right_key)).unwrap();
    writeln!(out, "    \"id\" {kt} NOT NULL,").unwrap();
    for c in &t.extra_columns {
        writeln!(out, "    {},", column_def(c, d)).unwrap();
    }
    let ts = timestamp_type(d);
    writeln!(out, "    \"created_at\" {ts} NOT NULL DEFAULT {},", now(d)).unwrap();
    writeln!(out, "    \"updated_at\" {ts} NOT NULL DEFAULT {},", now(d)).unwrap();
    writeln!(out, "    \"deleted_at\" {ts} NULL,").unwrap();
    writeln!(
        out,
        "    CONSTRAINT {} PRIMARY KEY ({}, {})",
        quote(&format!("{}_pkey", t.table)),
        quote(&t.left_key),
        quote(&t.right_key)
    )
    .unwrap();
    writeln!(out, ");").unwrap();
    out
}

/// The indexes of a link table (Medusa's four, plus cardinality).
pub fn create_indexes(t: &TableState, _d: Dialect) -> String {
    t.indexes()
        .iter()
        .map(|ix| create_index(&t.table, ix))
        .collect()
}

/// Partial unique indexes enforcing one-to-one / one-to-many on live rows.
pub fn cardinality_indexes(t: &TableState, _d: Dialect) -> String {
    t.indexes()
        .iter()
        .filter(|ix| ix.unique)
        .map(|ix| create_index(&t.table, ix))
        .collect()
}

/// `CREATE [UNIQUE] INDEX IF NOT EXISTS` of one index of `table`.
pub fn create_index(table: &str, ix: &IndexSpec) -> String {
    let columns = ix
        .columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "CREATE {}INDEX IF NOT EXISTS {} ON {} ({columns}){};\n",
        if ix.unique { "UNIQUE " } else { "" },
        quote(&ix.name),
        quote(table),
        if ix.partial {
            " WHERE \"deleted_at\" IS NULL"
        } else {
            ""
        }
    )
}

/// `DROP INDEX`.
pub fn drop_index(name: &str) -> String {
    format!("DROP INDEX IF EXISTS {};\n", quote(name))
}

/// Name of the cardinality index on `key` (see [`TableState::unique_index_name`]).
pub fn unique_index_name(t: &TableState, key: &str) -> String {
    t.unique_index_name(key)
}

/// `DROP TABLE`.
pub fn drop_table(table: &str) -> String {
    format!("DROP TABLE IF EXISTS {};\n", quote(table))
}

/// Renames a table and its indexes (index names carry the table's hash).
pub fn rename_table(from: &TableState, to: &TableState, d: Dialect) -> String {
    let mut out = format!(
        "ALTER TABLE {} RENAME TO {};\n",
        quote(&from.table),
        quote(&to.table)
    );
    if from.index_hash != to.index_hash {
        // Recreate the indexes under their new names.
        for name in from.index_names() {
            writeln!(out, "DROP INDEX IF EXISTS {};", quote(&name)).unwrap();
        }
        if d == Dialect::Postgres {
            writeln!(
                out,
                "ALTER TABLE {} RENAME CONSTRAINT {} TO {};",
                quote(&to.table),
                quote(&format!("{}_pkey", from.table)),
                quote(&format!("{}_pkey", to.table))
            )
            .unwrap();
        }
        out.push_str(&create_indexes(to, d));
    } else if d == Dialect::Postgres {
        writeln!(
            out,
            "ALTER TABLE {} RENAME CONSTRAINT {} TO {};",
            quote(&to.table),
            quote(&format!("{}_pkey", from.table)),
            quote(&format!("{}_pkey", to.table))
        )
        .unwrap();
    }
    out
}

/// `ADD COLUMN` to table `before`. A NOT NULL column without default needs
/// a value for the rows already there: on Postgres it is added with the
/// type's zero as default, which is dropped again right away; SQLite cannot
/// drop a default, so there the table is rebuilt with the new column filled
/// with the zero. Either way the result equals a freshly created table.
pub fn add_column(before: &TableState, c: &ColumnState, d: Dialect) -> String {
    let table = quote(&before.table);
    if c.nullable || c.default.is_some() {
        return format!("ALTER TABLE {table} ADD COLUMN {};\n", column_def(c, d));
    }
    match d {
        Dialect::Postgres => {
            let mut filled = c.clone();
            filled.default = Some(zero_default(c.ty));
            format!(
                "ALTER TABLE {table} ADD COLUMN {};\nALTER TABLE {table} ALTER COLUMN {} DROP DEFAULT;\n",
                column_def(&filled, d),
                quote(&c.name)
            )
        }
        Dialect::Sqlite => {
            let mut after = before.clone();
            after.extra_columns.push(c.clone());
            rebuild_table(before, &after)
        }
    }
}

/// The value existing rows get for a new NOT NULL column without default.
pub fn zero_default(t: ScalarType) -> DefaultValue {
    use ScalarType as T;
    match t {
        T::Text | T::Enum => DefaultValue::Text("".into()),
        T::Integer | T::BigInt => DefaultValue::Int(0),
        T::Float | T::Double | T::Decimal => DefaultValue::Float("0".into()),
        T::Boolean => DefaultValue::Bool(false),
        T::Json => DefaultValue::Json("{}".into()),
        T::Timestamp => DefaultValue::Now,
        T::Date => DefaultValue::Text("1970-01-01".into()),
        T::Uuid => DefaultValue::Text("00000000-0000-0000-0000-000000000000".into()),
    }
}

/// `DROP COLUMN`.
pub fn drop_column(table: &str, column: &str) -> String {
    format!(
        "ALTER TABLE {} DROP COLUMN {};\n",
        quote(table),
        quote(column)
    )
}

/// Changes a column's type, nullability or default. Postgres alters in place;
/// SQLite cannot, so the table is rebuilt (new table, copy, swap).
pub fn alter_column(
    before: &TableState,
    after: &TableState,
    column: &ColumnState,
    d: Dialect,
) -> String {
    match d {
        Dialect::Postgres => {
            let t = quote(&after.table);
            let c = quote(&column.name);
            let ty = scalar_type(column.ty, d);
            let old = before.extra_columns.iter().find(|x| x.name == column.name);
            let mut out = String::new();
            let retype = old.is_none_or(|o| o.ty != column.ty);
            if retype {
                // The old default may not cast to the new type: drop it first.
                writeln!(out, "ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT;").unwrap();
                writeln!(
                    out,
                    "ALTER TABLE {t} ALTER COLUMN {c} TYPE {ty} USING {c}::{ty};"
                )
                .unwrap();
            }
            match &column.default {
                Some(def) => writeln!(
                    out,
                    "ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {};",
                    default_sql(def, column.ty, d)
                )
                .unwrap(),
                // Already dropped before the type change.
                None if retype => {}
                None => writeln!(out, "ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT;").unwrap(),
            }
            if column.nullable {
                writeln!(out, "ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL;").unwrap();
            } else {
                if old.is_none_or(|o| o.nullable) {
                    // Existing NULLs get the default (or the type's zero),
                    // as the SQLite rebuild does.
                    let fallback = column
                        .default
                        .clone()
                        .unwrap_or_else(|| zero_default(column.ty));
                    writeln!(
                        out,
                        "UPDATE {t} SET {c} = {} WHERE {c} IS NULL;",
                        default_sql(&fallback, column.ty, d)
                    )
                    .unwrap();
                }
                writeln!(out, "ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL;").unwrap();
            }
            out
        }
        Dialect::Sqlite => {
            let old = before.extra_columns.iter().find(|x| x.name == column.name);
            let same_on_sqlite = old.is_some_and(|o| {
                scalar_type(o.ty, d) == scalar_type(column.ty, d)
                    && o.nullable == column.nullable
                    && o.default.as_ref().map(|v| default_sql(v, o.ty, d))
                        == column
                            .default
                            .as_ref()
                            .map(|v| default_sql(v, column.ty, d))
            });
            if same_on_sqlite {
                // E.g. integer -> bigint: both are INTEGER on SQLite.
                format!(
                    "-- (column {} of {} is unchanged on SQLite)\n",
                    quote(&column.name),
                    quote(&after.table)
                )
            } else {
                rebuild_table(before, after)
            }
        }
    }
}

/// SQLite table rebuild keeping every row (columns present in both states).
pub fn rebuild_table(before: &TableState, after: &TableState) -> String {
    let d = Dialect::Sqlite;
    let tmp = TableState {
        table: format!("{}__rebuild", after.table),
        ..after.clone()
    };
    // The temporary table gets its indexes after the swap, and the primary
    // key constraint its final name (SQLite keeps constraint names in the
    // table's SQL only), so the result equals a freshly created table.
    let mut out = table_definition(after, &tmp.table, d);
    let mut cols = vec![
        after.left_key.clone(),
        after.right_key.clone(),
        "id".to_string(),
    ];
    // Extra columns new in `after` are copied only when NOT NULL (from
    // their fallback value below); nullable ones start NULL or default.
    cols.extend(
        after
            .extra_columns
            .iter()
            .filter(|c| !c.nullable || before.extra_columns.iter().any(|b| b.name == c.name))
            .map(|c| c.name.clone()),
    );
    cols.extend(["created_at", "updated_at", "deleted_at"].map(String::from));
    let list = cols.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", ");
    let select = cols
        .iter()
        .map(
            |c| match after.extra_columns.iter().find(|x| &x.name == c) {
                Some(x) if !before.extra_columns.iter().any(|b| b.name == x.name) => {
                    let fallback = x.default.clone().unwrap_or_else(|| zero_default(x.ty));
                    default_sql(&fallback, x.ty, d)
                }
                Some(x) if !x.nullable => {
                    let fallback = x.default.clone().unwrap_or_else(|| zero_default(x.ty));
                    format!(
                        "COALESCE(CAST({} AS {}), {})",
                        quote(c),
                        scalar_type(x.ty, d),
                        default_sql(&fallback, x.ty, d)
                    )
                }
                Some(x) => format!("CAST({} AS {})", quote(c), scalar_type(x.ty, d)),
                None => quote(c),
            },
        )
        .collect::<Vec<_>>()
        .join(", ");
    writeln!(
        out,
        "INSERT INTO {} ({list}) SELECT {select} FROM {};",
        quote(&tmp.table),
        quote(&before.table)
    )
    .unwrap();
    out.push_str(&drop_table(&before.table));
    writeln!(
        out,
        "ALTER TABLE {} RENAME TO {};",
        quote(&tmp.table),
        quote(&after.table)
    )
    .unwrap();
    out.push_str(&create_indexes(after, d));
    out
}

/// The SQL of one [`Change`] (what a versioned migration or a links sync
/// runs for it).
pub fn change_sql(c: &Change, d: Dialect) -> String {
    match c {
        Change::CreateTable(t) => create_table(t, d),
        Change::DropTable(t) => drop_table(&t.table),
        Change::RenameTable { from, to } => rename_table(from, to, d),
        Change::AddColumn { table, column } => add_column(table, column, d),
        Change::DropColumn { table, column } => drop_column(&table.table, column),
        Change::AlterColumn {
            before,
            after,
            column,
        } => alter_column(before, after, column, d),
        Change::SetUnique { before, after } => {
            let mut out = String::new();
            for k in before.unique.iter().filter(|k| !after.unique.contains(k)) {
                out.push_str(&drop_index(&unique_index_name(before, k)));
            }
            let added = TableState {
                unique: after
                    .unique
                    .iter()
                    .filter(|k| !before.unique.contains(k))
                    .cloned()
                    .collect(),
                ..after.clone()
            };
            out.push_str(&cardinality_indexes(&added, d));
            out
        }
    }
}

/// A column of a link table as the database catalog reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    pub name: String,
    /// The type in the catalog's spelling (see [`catalog_type`]).
    pub ty: String,
    pub nullable: bool,
}

/// The columns of a link table in `CREATE TABLE` order, with their types as
/// the catalog reports them (`format_type` on Postgres, the declared type on
/// SQLite).
pub fn columns(t: &TableState, d: Dialect) -> Vec<ColumnSpec> {
    let col = |name: &str, ty: &str, nullable: bool| ColumnSpec {
        name: name.to_string(),
        ty: catalog_type(ty, d),
        nullable,
    };
    let mut v = vec![
        col(&t.left_key, key_type(d), false),
        col(&t.right_key, key_type(d), false),
        col("id", key_type(d), false),
    ];
    v.extend(
        t.extra_columns
            .iter()
            .map(|c| col(&c.name, scalar_type(c.ty, d), c.nullable)),
    );
    let ts = timestamp_type(d);
    v.push(col("created_at", ts, false));
    v.push(col("updated_at", ts, false));
    v.push(col("deleted_at", ts, true));
    v
}

/// A column type in the catalog's spelling, so that declared and
/// introspected types compare equal: on Postgres `format_type`'s names
/// (`timestamptz` is `timestamp with time zone`; a timestamp's precision is
/// ignored, as Medusa 2.0 declared `timestamptz(0)`), on SQLite the declared
/// type in upper case.
pub fn catalog_type(ty: &str, d: Dialect) -> String {
    match d {
        Dialect::Sqlite => ty.trim().to_ascii_uppercase(),
        Dialect::Postgres => {
            let t = ty.trim().to_ascii_lowercase();
            let t = match t.as_str() {
                "timestamptz" => "timestamp with time zone".to_string(),
                "timestamp" => "timestamp without time zone".to_string(),
                "varchar" => "character varying".to_string(),
                "int" | "int4" => "integer".to_string(),
                "int8" => "bigint".to_string(),
                "float4" => "real".to_string(),
                "float8" => "double precision".to_string(),
                "bool" => "boolean".to_string(),
                "decimal" => "numeric".to_string(),
                _ => t,
            };
            match t.strip_prefix("timestamp(") {
                Some(rest) => match rest.split_once(')') {
                    Some((_, tail)) => format!("timestamp{tail}"),
                    None => t,
                },
                None => t,
            }
        }
    }
}

/// The scalar type an extra column of catalog type `ty` was declared with,
/// if any (the first in [`ScalarType::ALL`] when several share a catalog type,
/// as on SQLite).
pub fn scalar_of_catalog_type(ty: &str, d: Dialect) -> Option<ScalarType> {
    let ty = catalog_type(ty, d);
    ScalarType::ALL
        .into_iter()
        .find(|t| catalog_type(scalar_type(*t, d), d) == ty)
}
