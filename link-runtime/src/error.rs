//! Typed errors: each says what is wrong and what would be right.

use crate::db::DbError;

/// Every error of the Link and Query services.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A module name the graph does not have.
    #[error("unknown module `{module}`; expected one of {expected}")]
    UnknownModule {
        /// The name given.
        module: String,
        /// The modules of the graph.
        expected: String,
    },

    /// A link name the graph does not have.
    #[error("unknown link `{link}`; expected one of {expected}")]
    UnknownLink {
        /// The name given.
        link: String,
        /// The links of the graph.
        expected: String,
    },

    /// Two sides that no stored link joins.
    #[error("no stored link between `{left}` and `{right}`{hint}")]
    NoLinkBetween {
        /// The first side as given.
        left: String,
        /// The second side as given.
        right: String,
        /// What would be right (a close link, the sides of read-only links).
        hint: String,
    },

    /// A key that is not one of the model's linkable keys.
    #[error("{model} has no linkable key `{key}`; expected {expected}")]
    UnknownKey {
        /// The model.
        model: String,
        /// The key given.
        key: String,
        /// The model's linkable keys.
        expected: String,
    },

    /// A side of a link value without its key.
    #[error("missing key for `{module}`: expected `{expected}`")]
    MissingKey {
        /// The side's module.
        module: String,
        /// The key it needs.
        expected: String,
    },

    /// A value of the wrong shape (a link value, or a row that does not
    /// decode into the requested type).
    #[error("invalid link value: {message}")]
    InvalidValue {
        /// What is wrong.
        message: String,
    },

    /// An extra-column value the column does not take.
    #[error("extra column `{column}` of link `{link}` {problem}")]
    InvalidColumn {
        /// The link.
        link: String,
        /// The column.
        column: String,
        /// What is wrong with the value.
        problem: String,
    },

    /// A create that would break the link's cardinality.
    #[error("{0}")]
    Cardinality(Box<CardinalityViolation>),

    /// A query entity the graph does not have.
    #[error("unknown entity `{entity}`; expected one of {expected}")]
    UnknownEntity {
        /// The name given.
        entity: String,
        /// The models and stored links of the graph.
        expected: String,
    },

    /// A field path with a name its entity does not have.
    #[error(
        "`{entity}` has no field or relation `{name}` (in `{path}`); expected one of {expected}"
    )]
    UnknownField {
        /// The entity at that level of the path.
        entity: String,
        /// The unknown name.
        name: String,
        /// The whole path given.
        path: String,
        /// The entity's fields and relations.
        expected: String,
    },

    /// A filter with a wrong operator, value or shape.
    #[error("invalid filter at `{path}`: {message}")]
    InvalidFilter {
        /// Where in the filter.
        path: String,
        /// What is wrong.
        message: String,
    },

    /// A graph request of the wrong shape.
    #[error("invalid graph request: {message}")]
    InvalidRequest {
        /// What is wrong.
        message: String,
    },

    /// Pagination or order arguments that cannot be used.
    #[error("invalid pagination: {message}")]
    InvalidPagination {
        /// What is wrong.
        message: String,
    },

    /// A data source of the graph without a database.
    #[error("the {dialect} database `{data_source}` is not configured; configured: {configured}")]
    UnknownDataSource {
        /// The data source the graph names.
        data_source: String,
        /// The dialect of the databases given.
        dialect: String,
        /// The data sources that have a database.
        configured: String,
    },

    /// A migration that failed (the driver's message).
    #[error("migration failed: {0}")]
    Migrate(String),

    /// A database error.
    #[error("database error: {0}")]
    Database(#[from] DbError),

    /// A column whose values do not decode as its field's declared type
    /// (links.toml and the table disagree; `cargo links db status` reports
    /// it too).
    #[error("field `{entity}.{field}` is declared `{declared}`, but {problem}{hint}")]
    FieldType {
        /// The entity read.
        entity: String,
        /// The field.
        field: String,
        /// The declared type's name.
        declared: String,
        /// What is wrong: the column's type when the driver names it,
        /// else the driver's reason.
        problem: String,
        /// What to declare instead, when known.
        hint: String,
    },

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
    /// The link.
    pub link: String,
    /// The pair that was refused, e.g. `brand b2 to product p1`.
    pub this: String,
    /// The model of which one record is allowed.
    pub side_model: String,
    /// The model each of whose records takes at most one partner.
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
