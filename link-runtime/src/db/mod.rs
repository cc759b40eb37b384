//! The database layer: one enum over the sqlx drivers ([`Db`], [`Tx`]), the
//! statement builder ([`Sql`]), bound values and their one conversion from
//! JSON ([`Arg`]), and decoding of typed columns into [`Cell`]s (one
//! decoder for both drivers), made JSON values only by callers that want
//! them.
//!
//! Identifiers in SQL come only from the link graph and are always quoted;
//! values are always bound, with the dialect's placeholders.

mod arg;
mod cell;
mod order;
mod sql;

pub use arg::{Arg, ArgError};
pub use cell::Cell;
pub(crate) use cell::{CellRow, json_exact, unpack_rows};
pub(crate) use order::{Parented, share_parents};
pub use sql::{Sql, quote, select_expr};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Connection, SqlitePool};

use link_model::ScalarType;

use crate::DateTime;

pub use link_model::sql::Dialect;

/// A database error.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A driver error.
    #[error("{0}")]
    Sqlx(#[from] sqlx::Error),
    /// A database URL of no supported driver (the URL, and a hint).
    #[error("unsupported database URL `{0}`: expected `sqlite:…` or `postgres://…`{1}")]
    Url(String, &'static str),
    /// A value the column's declared type cannot decode.
    #[error("cannot decode column {column}: {message}")]
    Decode {
        /// The column's position in the statement.
        column: usize,
        /// The driver's reason.
        message: String,
    },
}

impl DbError {
    /// A unique or primary-key constraint was violated.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }

    /// The connection broke (I/O error, closed pool, or Postgres terminating
    /// the backend: SQLSTATE class 08 or 57P01–57P03).
    pub fn is_connection_lost(&self) -> bool {
        match self {
            DbError::Sqlx(
                sqlx::Error::Io(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed,
            ) => true,
            DbError::Sqlx(sqlx::Error::Database(e)) => e
                .code()
                .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
            _ => false,
        }
    }

    /// SQLite gave up waiting for a lock (SQLITE_BUSY, SQLITE_LOCKED and
    /// their extended codes).
    pub fn is_busy(&self) -> bool {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => {
                e.as_error()
                    .downcast_ref::<sqlx::sqlite::SqliteError>()
                    .is_some()
                    && e.code()
                        .is_some_and(|c| c.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6)))
            }
            _ => false,
        }
    }
}

/// Formats a timestamp the way the runtime stores them in SQLite (RFC 3339,
/// UTC, microseconds).
pub fn sqlite_time(t: &DateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// How a stored timestamp reads back as a JSON value (what `fetch` decodes
/// a timestamp column into): the text SQLite keeps, RFC 3339 from Postgres.
pub fn time_value(d: Dialect, t: &DateTime) -> Value {
    match d {
        Dialect::Sqlite => Value::String(sqlite_time(t)),
        Dialect::Postgres => Value::String(pg_time_text(t)),
    }
}

/// A Postgres timestamp as `fetch` returns it.
pub(crate) fn pg_time_text(t: &DateTime) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// The current time at the precision both databases keep (microseconds),
/// strictly increasing within the process, so a value written and read back
/// compares equal and two writes never share a timestamp (exact restore
/// relies on it).
pub fn now() -> DateTime {
    use chrono::SubsecRound;
    static LAST: AtomicU64 = AtomicU64::new(0);
    let t = chrono::Utc::now().trunc_subsecs(6);
    let micros = u64::try_from(t.timestamp_micros()).unwrap_or(0);
    let mut prev = LAST.load(Ordering::Relaxed);
    loop {
        let next = micros.max(prev + 1);
        match LAST.compare_exchange_weak(prev, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return chrono::DateTime::from_timestamp_micros(next as i64).unwrap_or(t),
            Err(p) => prev = p,
        }
    }
}

/// A connection pool to one database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    statements: Arc<AtomicU64>,
    id: DbId,
    /// Texts of the reads run through this handle, while recording.
    recorded: Arc<std::sync::Mutex<Option<Vec<String>>>>,
    busy_timeout: Option<std::time::Duration>,
}

/// SQLite's busy timeout when none is given ([`Db::connect_with`]).
pub const DEFAULT_BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The identity of a connection pool: clones of a [`Db`] share it, two
/// pools never do (even to the same database). Query and Link compare
/// databases by it, never by address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DbId(u64);

impl DbId {
    fn next() -> DbId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        DbId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// An open transaction.
pub enum Tx {
    /// A SQLite transaction, with the statement counter of its `Db`.
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>, Arc<AtomicU64>),
    /// A Postgres transaction, with the statement counter of its `Db`.
    #[cfg(feature = "postgres")]
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>, Arc<AtomicU64>),
}

impl Db {
    /// Connects to `sqlite:<file>` (created if missing), `sqlite::memory:` or
    /// `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        Db::connect_with(url, DEFAULT_BUSY_TIMEOUT).await
    }

    /// [`Db::connect`] with SQLite's busy timeout: how long a write waits for
    /// a lock another connection holds before failing (ignored for
    /// Postgres, where writers wait on row locks).
    pub async fn connect_with(url: &str, busy_timeout: std::time::Duration) -> Result<Db, DbError> {
        if url.starts_with("sqlite:") {
            let opts: SqliteConnectOptions = url.parse()?;
            let opts = opts
                .create_if_missing(true)
                .foreign_keys(true)
                .busy_timeout(busy_timeout);
            let memory = url.contains(":memory:") || url.contains("mode=memory");
            let pool = SqlitePoolOptions::new()
                // An in-memory database lives in one connection.
                .max_connections(if memory { 1 } else { 4 })
                .connect_with(opts)
                .await?;
            if !memory {
                // SQLite's advice for long-lived connections: statistics for
                // tables that never had them (or changed a lot), within a
                // time limit SQLite sets. Without them the planner takes
                // `deleted_at IS NULL` for a selective test and walks the
                // `deleted_at` index (at 1,000,000 products a page by id took
                // 500 ms instead of 1 ms). A file we cannot write (read-only,
                // locked past the busy timeout) keeps working without them.
                let _ = sqlx::query("PRAGMA optimize=0x10002").execute(&pool).await;
            }
            let mut db = Db::from_sqlite(pool);
            db.busy_timeout = Some(busy_timeout);
            return Ok(db);
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(10)
                    .connect(url)
                    .await?;
                return Ok(Db::from_postgres(pool));
            }
            #[cfg(not(feature = "postgres"))]
            return Err(DbError::Url(
                url.to_string(),
                " (enable link-runtime's `postgres` feature)",
            ));
        }
        Err(DbError::Url(url.to_string(), ""))
    }

    /// A `Db` over an open SQLite pool.
    pub fn from_sqlite(pool: SqlitePool) -> Db {
        Db {
            pool: Pool::Sqlite(pool),
            statements: Arc::default(),
            id: DbId::next(),
            recorded: Arc::default(),
            busy_timeout: None,
        }
    }

    /// A `Db` over an open Postgres pool.
    #[cfg(feature = "postgres")]
    pub fn from_postgres(pool: sqlx::PgPool) -> Db {
        Db {
            pool: Pool::Postgres(pool),
            statements: Arc::default(),
            id: DbId::next(),
            recorded: Arc::default(),
            busy_timeout: None,
        }
    }

    /// SQLite's busy timeout, when this handle opened the pool
    /// ([`Db::connect_with`]); `None` for pools made elsewhere and Postgres.
    pub fn busy_timeout(&self) -> Option<std::time::Duration> {
        self.busy_timeout
    }

    /// This pool's identity.
    pub fn id(&self) -> DbId {
        self.id
    }

    /// A new statement builder for this database's dialect.
    pub fn sql(&self) -> Sql {
        Sql::new(self.dialect())
    }

    /// The SQL dialect of the database.
    pub fn dialect(&self) -> Dialect {
        match &self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Statements executed through this handle so far (for tests and
    /// benchmarks that prove batching).
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Starts (or stops) recording the text of every read run through this
    /// handle and its clones (for tests that pin the SQL a request writes).
    pub fn record_statements(&self, on: bool) {
        if let Ok(mut r) = self.recorded.lock() {
            *r = on.then(Vec::new);
        }
    }

    /// The reads recorded since the last call (recording goes on).
    pub fn recorded_statements(&self) -> Vec<String> {
        self.recorded
            .lock()
            .ok()
            .and_then(|mut r| r.as_mut().map(std::mem::take))
            .unwrap_or_default()
    }

    fn record(&self, sql: &Sql) {
        if let Ok(mut r) = self.recorded.lock()
            && let Some(log) = r.as_mut()
        {
            log.push(sql.text.clone());
        }
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                // BEGIN IMMEDIATE: take the write lock up front so concurrent
                // writers queue instead of failing on lock upgrade.
                let tx = p.begin_with("BEGIN IMMEDIATE").await?;
                Tx::Sqlite(tx, self.statements.clone())
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?, self.statements.clone()),
        })
    }

    /// Runs a read in its own implicit transaction; returns its rows
    /// decoded as `cols` say, one cell per column.
    pub async fn fetch_cells(
        &self,
        sql: &Sql,
        cols: &[ScalarType],
    ) -> Result<Vec<Vec<Cell>>, DbError> {
        let rows = self.fetch_rows(sql, cols).await?;
        Ok(rows.into_iter().map(CellRow::into_vec).collect())
    }

    /// [`Db::fetch_cells`] as Query keeps rows ([`CellRow`]: a row's first
    /// cells inline).
    pub(crate) async fn fetch_rows(
        &self,
        sql: &Sql,
        cols: &[ScalarType],
    ) -> Result<Vec<CellRow>, DbError> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        self.record(sql);
        match &self.pool {
            Pool::Sqlite(p) => {
                let mut c = p.acquire().await?;
                sqlite::fetch(&mut c, sql, cols).await
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => {
                let mut c = p.acquire().await?;
                postgres::fetch(&mut c, sql, cols).await
            }
        }
    }

    /// [`Db::fetch_cells`] of a statement without `ORDER BY` that selects,
    /// after `cols` (the last of which is a parent key), a link's
    /// `created_at` and `id`: the rows in link order (parent key, then
    /// `created_at`, then `id` by bytes, NULL last), decoded as `cols` say,
    /// without the two link columns and with the parent key taken off
    /// ([`Parented`]). On Postgres the rows are sorted by their raw values,
    /// the link's columns are never decoded and a parent's key is decoded
    /// once for its run of rows.
    pub(crate) async fn fetch_link_ordered(
        &self,
        sql: &Sql,
        cols: &[ScalarType],
    ) -> Result<Vec<Parented>, DbError> {
        match &self.pool {
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => {
                self.statements.fetch_add(1, Ordering::Relaxed);
                self.record(sql);
                let mut c = p.acquire().await?;
                postgres::fetch_link_ordered(&mut c, sql, cols).await
            }
            Pool::Sqlite(_) => {
                let mut all = cols.to_vec();
                all.extend([ScalarType::Timestamp, ScalarType::Text]);
                Ok(order::link_ordered(self.fetch_rows(sql, &all).await?))
            }
        }
    }

    /// [`Db::fetch_cells`] with each cell as a JSON value
    /// ([`Cell::into_value`]).
    pub async fn fetch(&self, sql: &Sql, cols: &[ScalarType]) -> Result<Vec<Vec<Value>>, DbError> {
        Ok(json_rows(self.fetch_rows(sql, cols).await?))
    }

    /// Runs one statement outside a transaction.
    pub async fn execute(&self, sql: &Sql) -> Result<u64, DbError> {
        let mut tx = self.begin().await?;
        let n = tx.execute(sql).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Runs a script of several statements without arguments (migrations).
    pub async fn execute_script(&self, script: &str) -> Result<(), DbError> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(script.to_string()))
                    .execute(p)
                    .await?;
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(script.to_string()))
                    .execute(p)
                    .await?;
            }
        }
        Ok(())
    }

    pub(crate) fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.pool {
            Pool::Sqlite(p) => Some(p),
            #[cfg(feature = "postgres")]
            Pool::Postgres(_) => None,
        }
    }

    #[cfg(feature = "postgres")]
    pub(crate) fn pg_pool(&self) -> Option<&sqlx::PgPool> {
        match &self.pool {
            Pool::Postgres(p) => Some(p),
            Pool::Sqlite(_) => None,
        }
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    /// The SQL dialect of the transaction's database.
    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(..) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Tx::Postgres(..) => Dialect::Postgres,
        }
    }

    /// Runs a statement; returns the rows it affected.
    pub async fn execute(&mut self, sql: &Sql) -> Result<u64, DbError> {
        match self {
            Tx::Sqlite(tx, n) => {
                n.fetch_add(1, Ordering::Relaxed);
                sqlite::execute(&mut *tx, sql).await
            }
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx, n) => {
                n.fetch_add(1, Ordering::Relaxed);
                postgres::execute(&mut *tx, sql).await
            }
        }
    }

    /// Runs a query; returns its rows decoded as `cols` say, one JSON value
    /// per column ([`Cell::into_value`]).
    pub async fn fetch(
        &mut self,
        sql: &Sql,
        cols: &[ScalarType],
    ) -> Result<Vec<Vec<Value>>, DbError> {
        let rows = match self {
            Tx::Sqlite(tx, n) => {
                n.fetch_add(1, Ordering::Relaxed);
                sqlite::fetch(&mut *tx, sql, cols).await
            }
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx, n) => {
                n.fetch_add(1, Ordering::Relaxed);
                postgres::fetch(&mut *tx, sql, cols).await
            }
        };
        Ok(json_rows(rows?))
    }

    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(tx, _) => tx.commit().await?,
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx, _) => tx.commit().await?,
        }
        Ok(())
    }

    /// Rolls the transaction back.
    pub async fn rollback(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(tx, _) => tx.rollback().await?,
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx, _) => tx.rollback().await?,
        }
        Ok(())
    }
}

mod sqlite {
    use super::*;
    use sqlx::SqliteConnection;
    use sqlx::sqlite::SqliteArguments;

    fn prepare(sql: &Sql) -> Result<(String, SqliteArguments), DbError> {
        debug_assert_eq!(sql.dialect(), Dialect::Sqlite, "{}", sql.text);
        Ok((sql.text.clone(), args(sql.args.iter())?))
    }

    fn args<'a>(list: impl IntoIterator<Item = &'a Arg>) -> Result<SqliteArguments, DbError> {
        use sqlx::Arguments;
        let mut a = SqliteArguments::default();
        // A batch binds the same timestamp on every row: format it once.
        let mut last_time: Option<(DateTime, Arc<str>)> = None;
        for arg in list {
            let r = match arg {
                Arg::Null(_) => a.add(Option::<String>::None),
                Arg::Text(s) => a.add(s.clone()),
                Arg::Int(i) => a.add(*i),
                Arg::Float(f) => a.add(*f),
                Arg::Bool(b) => a.add(*b),
                Arg::Json(v) => a.add(v.to_string()),
                Arg::Time(t) => {
                    let text = match &last_time {
                        Some((prev, text)) if prev == t => text.clone(),
                        _ => {
                            let text: Arc<str> = sqlite_time(t).into();
                            last_time = Some((*t, text.clone()));
                            text
                        }
                    };
                    a.add(text)
                }
                Arg::Date(d) => a.add(d.to_string()),
                Arg::Decimal(s) => a.add(s.clone()),
                Arg::TextArray(keys) => a.add(Value::from(keys.clone()).to_string()),
            };
            r.map_err(|e| DbError::Decode {
                column: 0,
                message: e.to_string(),
            })?;
        }
        Ok(a)
    }

    pub async fn execute(c: &mut SqliteConnection, sql: &Sql) -> Result<u64, DbError> {
        let (text, args) = prepare(sql)?;
        let q = sqlx::query_with(sqlx::AssertSqlSafe(text), args);
        Ok(q.execute(c).await?.rows_affected())
    }

    pub async fn fetch(
        c: &mut SqliteConnection,
        sql: &Sql,
        cols: &[ScalarType],
    ) -> Result<Vec<CellRow>, DbError> {
        let (text, args) = prepare(sql)?;
        let q = sqlx::query_with(sqlx::AssertSqlSafe(text), args);
        let rows = q.fetch_all(c).await?;
        let mut verified = vec![false; cols.len()];
        rows.iter()
            .map(|r| cell::decode_row(r, cols, &mut verified))
            .collect()
    }

    /// SQLite keeps integers as 64-bit, timestamps, dates and JSON as text.
    impl cell::DriverRow for sqlx::sqlite::SqliteRow {
        const TYPED_COLUMNS: bool = false;
        fn integer(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error> {
            cell::get(self, i, checked, Cell::Int)
        }
        fn float(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error> {
            cell::get(self, i, checked, Cell::Float)
        }
        fn decimal(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error> {
            // A REAL as Rust prints it, or the text kept.
            match cell::get(self, i, checked, |f: f64| Cell::Text(f.to_string())) {
                Ok(c) => Ok(c),
                Err(_) => cell::get(self, i, checked, Cell::Text),
            }
        }
        fn json(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error> {
            cell::get(self, i, checked, cell::sqlite_json)
        }
        fn timestamp(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error> {
            cell::get(self, i, checked, Cell::Text)
        }
        fn date(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error> {
            cell::get(self, i, checked, Cell::Text)
        }
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use sqlx::PgConnection;
    use sqlx::postgres::PgArguments;

    fn args(sql: &Sql) -> Result<PgArguments, DbError> {
        use sqlx::Arguments;
        debug_assert_eq!(sql.dialect(), Dialect::Postgres, "{}", sql.text);
        let mut a = PgArguments::default();
        for arg in &sql.args {
            let r = match arg {
                Arg::Null(t) => match t {
                    ScalarType::Integer => a.add(Option::<i32>::None),
                    ScalarType::BigInt => a.add(Option::<i64>::None),
                    ScalarType::Float => a.add(Option::<f32>::None),
                    ScalarType::Double => a.add(Option::<f64>::None),
                    ScalarType::Boolean => a.add(Option::<bool>::None),
                    ScalarType::Json => a.add(Option::<sqlx::types::Json<Value>>::None),
                    ScalarType::Timestamp => a.add(Option::<DateTime>::None),
                    ScalarType::Date => a.add(Option::<chrono::NaiveDate>::None),
                    ScalarType::Text
                    | ScalarType::Uuid
                    | ScalarType::Decimal
                    | ScalarType::Enum => a.add(Option::<String>::None),
                },
                Arg::Text(s) => a.add(s.as_str()),
                Arg::Int(i) => a.add(*i),
                Arg::Float(f) => a.add(*f),
                Arg::Bool(b) => a.add(*b),
                Arg::Json(v) => a.add(sqlx::types::Json(v)),
                Arg::Time(t) => a.add(*t),
                Arg::Date(d) => a.add(*d),
                Arg::Decimal(s) => a.add(s.as_str()),
                Arg::TextArray(keys) => a.add(keys.as_slice()),
            };
            r.map_err(|e| DbError::Decode {
                column: 0,
                message: e.to_string(),
            })?;
        }
        Ok(a)
    }

    pub async fn execute(c: &mut PgConnection, sql: &Sql) -> Result<u64, DbError> {
        let q = sqlx::query_with(sqlx::AssertSqlSafe(sql.text.clone()), args(sql)?);
        Ok(q.execute(c).await?.rows_affected())
    }

    pub async fn fetch(
        c: &mut PgConnection,
        sql: &Sql,
        cols: &[ScalarType],
    ) -> Result<Vec<CellRow>, DbError> {
        let q = sqlx::query_with(sqlx::AssertSqlSafe(sql.text.clone()), args(sql)?);
        let rows = q.fetch_all(c).await?;
        let mut verified = vec![false; cols.len()];
        rows.iter()
            .map(|r| cell::decode_row(r, cols, &mut verified))
            .collect()
    }

    pub async fn fetch_link_ordered(
        c: &mut PgConnection,
        sql: &Sql,
        cols: &[ScalarType],
    ) -> Result<Vec<Parented>, DbError> {
        use sqlx::{Row, ValueRef};
        let q = sqlx::query_with(sqlx::AssertSqlSafe(sql.text.clone()), args(sql)?);
        let rows = q.fetch_all(c).await?;
        let Some(p) = cols.len().checked_sub(1) else {
            return Ok(Vec::new());
        };
        let Some(at) = order::raw_order(&rows, p) else {
            // Values the raw order does not read: decoded, then sorted.
            let mut all = cols.to_vec();
            all.extend([ScalarType::Timestamp, ScalarType::Text]);
            let mut verified = vec![false; all.len()];
            let decoded = rows
                .iter()
                .map(|r| cell::decode_row(r, &all, &mut verified))
                .collect::<Result<_, _>>()?;
            return Ok(order::link_ordered(decoded));
        };
        // The parent column holds text (`raw_order` checked it): a run's
        // key is decoded from its first row, later rows of the run share
        // it (equal bytes, equal text).
        let mut verified = vec![false; p];
        let mut out = Vec::with_capacity(at.len());
        let mut prev: Option<(&[u8], std::sync::Arc<str>)> = None;
        for i in at {
            let r = &rows[i];
            let raw = r.try_get_raw(p).ok().filter(|v| !v.is_null());
            let parent = match raw.and_then(|v| v.as_bytes().ok()) {
                None => None,
                Some(b) => match &prev {
                    Some((pb, k)) if *pb == b => Some(k.clone()),
                    _ => {
                        let k: std::sync::Arc<str> = r
                            .try_get_unchecked::<&str, _>(p)
                            .map_err(|e| DbError::Decode {
                                column: p,
                                message: e.to_string(),
                            })?
                            .into();
                        prev = Some((b, k.clone()));
                        Some(k)
                    }
                },
            };
            out.push((cell::decode_row(r, &cols[..p], &mut verified)?, parent));
        }
        Ok(out)
    }

    /// Postgres has 32-bit integers and single-precision floats, and
    /// decodes timestamps, dates and JSON itself (numeric is selected as
    /// text, see `select_expr`).
    impl cell::DriverRow for sqlx::postgres::PgRow {
        const TYPED_COLUMNS: bool = true;
        fn integer(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error> {
            cell::get(self, i, checked, |v: i32| Cell::Int(v.into()))
        }
        fn float(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error> {
            cell::get(self, i, checked, |v: f32| Cell::Float(v.into()))
        }
        fn decimal(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error> {
            cell::get(self, i, checked, Cell::Text)
        }
        fn json(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error> {
            cell::get(self, i, checked, |j: sqlx::types::Json<Value>| {
                Cell::Json(j.0)
            })
        }
        fn timestamp(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error> {
            cell::get(self, i, checked, Cell::Time)
        }
        fn date(&self, i: usize, checked: bool) -> Result<Cell, sqlx::Error> {
            cell::get(self, i, checked, |d: chrono::NaiveDate| {
                Cell::Text(d.to_string())
            })
        }
    }
}

/// Rows of cells as rows of JSON values.
fn json_rows(rows: Vec<CellRow>) -> Vec<Vec<Value>> {
    rows.into_iter()
        .map(|r| r.into_iter().map(Cell::into_value).collect())
        .collect()
}

/// Whether the connection answers (used by tests and the CLI).
pub async fn ping(db: &Db) -> Result<(), DbError> {
    match &db.pool {
        Pool::Sqlite(p) => p.acquire().await?.ping().await?,
        #[cfg(feature = "postgres")]
        Pool::Postgres(p) => p.acquire().await?.ping().await?,
    }
    Ok(())
}

impl Tx {
    /// Runs a script of several statements without arguments inside the
    /// transaction (DDL of a links sync).
    pub async fn execute_script(&mut self, script: &str) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(tx, n) => {
                n.fetch_add(1, Ordering::Relaxed);
                sqlx::raw_sql(sqlx::AssertSqlSafe(script.to_string()))
                    .execute(&mut **tx)
                    .await?;
            }
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx, n) => {
                n.fetch_add(1, Ordering::Relaxed);
                sqlx::raw_sql(sqlx::AssertSqlSafe(script.to_string()))
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }
}
