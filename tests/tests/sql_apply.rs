//! The workspace's committed link migrations
//! (`examples/storefront/migrations/links/{sqlite,postgres}`) apply to a
//! fresh database, twice (they are idempotent), and leave Medusa 2.21's link
//! tables: on Postgres the columns, types, nullability, defaults, primary
//! keys and index names and definitions of `product_sales_channel`,
//! `publishable_api_key_sales_channel` and `sales_channel_stock_location` are
//! those of `tests/fixtures/medusa/link-tables.txt`, a `psql \d` dump of a
//! fresh Medusa 2.21.2 database (its `\d` output is rebuilt from the catalog
//! and compared line by line; the same facts are also asserted from the
//! values below).
//!
//! Postgres runs when `LINK_TEST_PG_URL` is set (and fails if the server is
//! unreachable); without it those tests return early saying so.

use crate::support;

use std::path::{Path, PathBuf};

use support::{Column, Db, Dialect, Index, Table};

/// `(table, left key, right key, index hash)` of the seed's stored links.
const SEED_TABLES: [(&str, &str, &str, &str); 3] = [
    (
        "product_sales_channel",
        "product_id",
        "sales_channel_id",
        "20b454295",
    ),
    (
        "publishable_api_key_sales_channel",
        "publishable_key_id",
        "sales_channel_id",
        "-1d67bae40",
    ),
    (
        "sales_channel_stock_location",
        "sales_channel_id",
        "stock_location_id",
        "26d06f470",
    ),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The committed migrations of one dialect, in version order.
fn migrations(dialect: Dialect) -> Vec<(String, String)> {
    let dir = workspace()
        .join("examples/storefront/migrations/links")
        .join(dialect.name());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no migrations in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Applies every migration, then all of them again (idempotent).
async fn apply_all(db: &mut Db) {
    let files = migrations(db.dialect());
    for (_, sql) in &files {
        db.exec(sql).await;
    }
    let once = db.schema().await;
    for (_, sql) in &files {
        db.exec(sql).await;
    }
    support::assert_same_schema("applying the migrations twice", &db.schema().await, &once);
}

/// The Postgres table Medusa 2.21 creates (see medusa-link-tables.txt).
fn medusa_pg_table(table: &str, left: &str, right: &str, hash: &str) -> Table {
    let col = |ty: &str, not_null: bool, default: Option<&str>| Column {
        ty: ty.to_string(),
        not_null,
        default: default.map(str::to_string),
    };
    let key = "character varying(255)";
    let ts = "timestamp with time zone";
    let mut t = Table::default();
    for (name, c) in [
        (left, col(key, true, None)),
        (right, col(key, true, None)),
        ("id", col(key, true, None)),
        ("created_at", col(ts, true, Some("CURRENT_TIMESTAMP"))),
        ("updated_at", col(ts, true, Some("CURRENT_TIMESTAMP"))),
        ("deleted_at", col(ts, false, None)),
    ] {
        t.columns.insert(name.to_string(), c);
    }
    t.primary_key = vec![left.to_string(), right.to_string()];
    let index = |unique: bool, def: String| Index {
        unique,
        definition: def,
    };
    t.indexes.insert(
        format!("{table}_pkey"),
        index(
            true,
            format!("CREATE UNIQUE INDEX {table}_pkey ON {table} USING btree ({left}, {right})"),
        ),
    );
    for (col, partial) in [
        ("id", false),
        (left, true),
        (right, true),
        ("deleted_at", false),
    ] {
        let name = format!("IDX_{col}_{hash}");
        let mut def = format!("CREATE INDEX \"{name}\" ON {table} USING btree ({col})");
        if partial {
            def.push_str(" WHERE (deleted_at IS NULL)");
        }
        t.indexes.insert(name, index(false, def));
    }
    t
}

/// The SQLite equivalent: TEXT keys and timestamps, the same names.
fn sqlite_table(table: &str, left: &str, right: &str, hash: &str) -> Table {
    let now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
    let col = |not_null: bool, default: Option<&str>| Column {
        ty: "TEXT".to_string(),
        not_null,
        default: default.map(str::to_string),
    };
    let mut t = Table::default();
    for (name, c) in [
        (left, col(true, None)),
        (right, col(true, None)),
        ("id", col(true, None)),
        ("created_at", col(true, Some(now))),
        ("updated_at", col(true, Some(now))),
        ("deleted_at", col(false, None)),
    ] {
        t.columns.insert(name.to_string(), c);
    }
    t.primary_key = vec![left.to_string(), right.to_string()];
    t.indexes.insert(
        format!("sqlite_autoindex_{table}_1"),
        Index {
            unique: true,
            definition: format!("origin=pk partial=0 columns=({left}, {right}) sql="),
        },
    );
    for (col, partial) in [
        ("id", false),
        (left, true),
        (right, true),
        ("deleted_at", false),
    ] {
        let name = format!("IDX_{col}_{hash}");
        let mut sql = format!("CREATE INDEX \"{name}\" ON \"{table}\" (\"{col}\")");
        if partial {
            sql.push_str(" WHERE \"deleted_at\" IS NULL");
        }
        t.indexes.insert(
            name,
            Index {
                unique: false,
                definition: format!(
                    "origin=c partial={} columns=({col}) sql={sql}",
                    u8::from(partial)
                ),
            },
        );
    }
    t
}

#[tokio::test]
async fn sqlite_migrations_create_the_seed_link_tables() {
    let mut db = Db::sqlite().await;
    apply_all(&mut db).await;
    let schema = seed_only(db.schema().await);
    let want: support::Schema = SEED_TABLES
        .iter()
        .map(|(t, l, r, h)| (t.to_string(), sqlite_table(t, l, r, h)))
        .collect();
    support::assert_same_schema("seed link tables on SQLite", &schema, &want);
}

/// The three seed tables of the schema (later migrations add links declared
/// with `#[define_link]`, checked by their own tests).
fn seed_only(schema: support::Schema) -> support::Schema {
    schema
        .into_iter()
        .filter(|(t, _)| SEED_TABLES.iter().any(|(s, ..)| s == t))
        .collect()
}

#[tokio::test]
async fn postgres_migrations_create_medusas_link_tables() {
    let Some(url) = support::pg_url() else {
        eprintln!("LINK_TEST_PG_URL is not set: Postgres check of the seed migrations skipped");
        return;
    };
    let mut db = Db::postgres(&url, "seed_sql").await;
    apply_all(&mut db).await;
    let schema = seed_only(db.schema().await);
    let want: support::Schema = SEED_TABLES
        .iter()
        .map(|(t, l, r, h)| (t.to_string(), medusa_pg_table(t, l, r, h)))
        .collect();
    support::assert_same_schema("seed link tables on Postgres", &schema, &want);

    // Column order is Medusa's too.
    for (table, left, right, _) in SEED_TABLES {
        let order = db
            .texts(&format!(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = '{table}' \
                 ORDER BY ordinal_position"
            ))
            .await;
        let want = [left, right, "id", "created_at", "updated_at", "deleted_at"]
            .map(|c| Some(c.to_string()));
        assert_eq!(order, want, "{table}");
    }

    // `\d <table>` as psql prints it, against the reference dump.
    let reference = workspace().join("tests/fixtures/medusa/link-tables.txt");
    let text = std::fs::read_to_string(&reference).expect("the Medusa reference dump");
    for (table, ..) in SEED_TABLES {
        let want = reference_describe(&text, table);
        let got = describe(&mut db, table).await;
        assert_eq!(
            got,
            want,
            "\\d {table} differs from {}",
            reference.display()
        );
    }
    db.close().await;
}

/// `(columns as "name|type|nullable|default", index lines)` of a `\d`.
type Describe = (Vec<String>, Vec<String>);

/// The `\d table` section of the reference dump, whitespace-normalised.
fn reference_describe(text: &str, table: &str) -> Describe {
    let header = format!("## \\d {table}");
    let start = text
        .find(&header)
        .unwrap_or_else(|| panic!("no `{header}` in the reference"));
    let section = &text[start + header.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut columns = Vec::new();
    let mut indexes = Vec::new();
    let mut in_indexes = false;
    for line in section.lines() {
        let trimmed = line.trim();
        if trimmed == "Indexes:" {
            in_indexes = true;
        } else if in_indexes {
            if !trimmed.is_empty() {
                indexes.push(trimmed.to_string());
            }
        } else if line.contains('|') && !trimmed.starts_with("Column") {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if cells.len() == 5 {
                // name, type, (collation), nullable, default
                columns.push(format!(
                    "{}|{}|{}|{}",
                    cells[0], cells[1], cells[3], cells[4]
                ));
            }
        }
    }
    assert!(!columns.is_empty() && !indexes.is_empty(), "{table}");
    (columns, indexes)
}

/// The same facts from the catalog, formatted as psql's `\d` does.
async fn describe(db: &mut Db, table: &str) -> Describe {
    let columns = db
        .rows(&format!(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), \
               CASE WHEN a.attnotnull THEN 'not null' ELSE '' END, \
               COALESCE(pg_get_expr(d.adbin, d.adrelid), '') \
             FROM pg_attribute a \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attrelid = '{table}'::regclass AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum"
        ))
        .await
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(Option::unwrap_or_default)
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    // psql (15) lists the primary key first, then the other indexes by name.
    let indexes = db
        .rows(&format!(
            "SELECT '\"' || c.relname::text || '\" ' || \
               CASE WHEN i.indisprimary THEN 'PRIMARY KEY, ' \
                    WHEN i.indisunique THEN 'UNIQUE, ' ELSE '' END || \
               substring(pg_get_indexdef(i.indexrelid, 0, true) from ' USING (.*)$') \
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE i.indrelid = '{table}'::regclass \
             ORDER BY i.indisprimary DESC, c.relname::text COLLATE \"C\""
        ))
        .await
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect();
    (columns, indexes)
}

/// The committed migrations are exactly what codegen produces for the
/// workspace's links.toml and lock (so the SQL tested here is the SQL the
/// generator writes).
#[test]
fn committed_migrations_are_generated() {
    let plan = link_codegen::Codegen::new(workspace().join("links.toml"))
        .plan()
        .unwrap();
    assert_eq!(
        plan.new_migration, None,
        "links.toml has ungenerated changes"
    );
    let lock = std::fs::read_to_string(workspace().join("links.lock")).unwrap();
    let lock = link_codegen::migrations::Lock::parse(&lock).unwrap();
    for (i, m) in lock.migrations.iter().enumerate() {
        for (dialect, d) in [
            (Dialect::Sqlite, link_codegen::emit::sql::Dialect::Sqlite),
            (
                Dialect::Postgres,
                link_codegen::emit::sql::Dialect::Postgres,
            ),
        ] {
            let committed = migrations(dialect);
            let name = format!("{}.sql", m.file_stem());
            let (_, sql) = committed
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("{name} is not committed"));
            assert_eq!(
                *sql,
                link_codegen::migrations::render(&lock, i, d),
                "{name}"
            );
        }
    }
}
