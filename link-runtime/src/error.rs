//! Typed errors: each says what is wrong and what would be right.

use crate::db::DbError;

/// Every error of the Link and Query services.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unknown module `{module}`; expected one of {expected}")]
    UnknownModule { module: String, expected: String },

    #[error("unknown link `{link}`; expected one of {expected}")]
    UnknownLink { link: String, expected: String },

    #[error("no stored link between `{left}` and `{right}`{hint}")]
    NoLinkBetween {
        left: String,
        right: String,
        hint: String,
    },

    #[error("{model} has no linkable key `{key}`; expected {expected}")]
    UnknownKey {
        model: String,
        key: String,
        expected: String,
    },

    #[error("missing key for `{module}`: expected `{expected}`")]
    MissingKey { module: String, expected: String },

    #[error("invalid link value: {message}")]
    InvalidValue { message: String },

    #[error("extra column `{column}` of link `{link}` {problem}")]
    InvalidColumn {
        link: String,
        column: String,
        problem: String,
    },

    #[error("{0}")]
    Cardinality(Box<CardinalityViolation>),

    #[error("unknown entity `{entity}`; expected one of {expected}")]
    UnknownEntity { entity: String, expected: String },

    #[error(
        "`{entity}` has no field or relation `{name}` (in `{path}`); expected one of {expected}"
    )]
    UnknownField {
        entity: String,
        name: String,
        path: String,
        expected: String,
    },

    #[error("invalid filter at `{path}`: {message}")]
    InvalidFilter { path: String, message: String },

    #[error("invalid graph request: {message}")]
    InvalidRequest { message: String },

    #[error("invalid pagination: {message}")]
    InvalidPagination { message: String },

    #[error("the {dialect} database `{data_source}` is not configured; configured: {configured}")]
    UnknownDataSource {
        data_source: String,
        dialect: String,
        configured: String,
    },

    #[error("migration failed: {0}")]
    Migrate(String),

    #[error("database error: {0}")]
    Database(#[from] DbError),

    /// An id the key column cannot hold (empty, with NUL, or longer than
    /// the column), refused before the first statement.
    #[error(
        "invalid id for `{side}.{key}`: {problem}; an id is 1 to {limit} characters without NUL (the key column's limit)"
    )]
    InvalidId {
        /// The side as written: module name (or alias for a link between two
        /// models of one module).
        side: String,
        /// The linkable key.
        key: String,
        /// What is wrong, e.g. `it is 256 characters long`.
        problem: String,
        /// The most characters the key column holds.
        limit: usize,
    },

    /// A new pair omits an extra column that is NOT NULL without a default;
    /// refused before any write.
    #[error(
        "extra column `{column}` of link `{link}` is required for the new pair {pair}: it is NOT NULL and has no default"
    )]
    MissingColumn {
        /// The link.
        link: String,
        /// The required column.
        column: String,
        /// The pair, as `left - right`.
        pair: String,
    },

    /// The database connection broke during the call (terminated backend,
    /// server restart) before its transaction committed: nothing of the call
    /// was written. The pool opens a fresh connection for the next call.
    #[error(
        "the database connection was lost before the call committed (nothing was written): {message}"
    )]
    ConnectionLost {
        /// The driver's description.
        message: String,
    },

    /// A write across databases failed at one database's commit after
    /// others had committed; says whether their writes were put back.
    #[error("commit of the `{data_source}` database failed: {message}; {compensated}")]
    CommitFailed {
        /// The data source whose commit failed.
        data_source: String,
        /// The database's reason.
        message: String,
        /// What became of the databases committed before it.
        compensated: String,
    },

    /// SQLite stayed locked by another connection for the whole busy timeout.
    #[error(
        "the database stayed locked by another connection for the busy timeout ({timeout_ms} ms); nothing was written"
    )]
    Busy {
        /// The busy timeout that elapsed, in milliseconds.
        timeout_ms: u64,
    },
}

/// A create that would give a record more partners than the link allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot link {this}: `{link}` allows one {side_model} per {other_model}, and {existing} is already linked (link {existing_id})"
)]
pub struct CardinalityViolation {
    pub link: String,
    /// The pair that was refused, e.g. `brand b2 to product p1`.
    pub this: String,
    pub side_model: String,
    pub other_model: String,
    /// The partner already linked.
    pub existing: String,
    /// Id of the existing link row.
    pub existing_id: String,
}

/// "`a`, `b` or `c`".
pub(crate) fn one_of<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let quoted: Vec<String> = items
        .into_iter()
        .map(|c| format!("`{}`", c.as_ref()))
        .collect();
    match quoted.len() {
        0 => "nothing".to_string(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}
