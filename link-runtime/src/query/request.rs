//! The request: [`Graph`] (built in Rust or read from JSON with
//! [`Graph::from_json`]), its nested-list arguments and its result types.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
use crate::path::{EntityPath, FieldPath};

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Dir {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// How a paginated request counts its roots (`Metadata::count`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    /// The exact number of matching roots (one `COUNT(*)`).
    #[default]
    Exact,
    /// The planner's row estimate on Postgres (no scan); exact on SQLite,
    /// which keeps no estimate.
    Estimate,
    /// No count: `Metadata::count` is `None`.
    None,
}

/// What a result row holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Exactly the requested fields and relations; `*` is every field that
    /// is not hidden; timestamps at the database's precision; `metadata`
    /// whenever `skip` or `take` is given.
    #[default]
    Exact,
    /// What Medusa's `query.graph` answers: every record carries its
    /// primary key and the join keys of its requested relations (a cart its
    /// `sales_channel_id`, a link row both keys), unless hidden; `*` adds
    /// the model's to-one relations inside its module (read-only links
    /// between two models of one module, e.g. `product.collection`) with
    /// their own `*`; timestamps with milliseconds
    /// (`2026-12-01T19:00:02.619Z`); `metadata` (and its count) only when
    /// `skip` is given (or a cursor or a count mode other than exact, which
    /// Medusa lacks). Roots come by primary key, nested lists in link
    /// order, as in either shape.
    Medusa,
}

/// Arguments of a nested list: filters narrowing only that list, a
/// per-parent limit and an order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Nested {
    /// Filters on the listed records only (they do not narrow the parent).
    pub filters: Value,
    /// At most this many records per parent.
    pub take: Option<u64>,
    /// Order of each parent's list, by the listed records' own fields.
    pub order: Vec<(String, Dir)>,
}

/// A graph request.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// The root entity: a model (`product`) or a stored link (`product_sales_channel`).
    pub entity: String,
    /// Field paths: `id`, `*`, `sales_channels.name`, `products_link.*`, ….
    pub fields: Vec<String>,
    /// Root filters; keys may be fields, relations (narrowing the root to
    /// records with a matching linked record), `$and`, `$or`, `$not`.
    pub filters: Value,
    /// Roots to skip.
    pub skip: Option<u64>,
    /// Most roots returned.
    pub take: Option<u64>,
    /// Root order: root fields or fields of to-one relations (`sales_channel.name`).
    pub order: Vec<(String, Dir)>,
    /// Nested list arguments by relation path (`products`, `sales_channels.stock_locations`).
    pub nested: BTreeMap<String, Nested>,
    /// Include soft-deleted records and links.
    pub with_deleted: bool,
    /// How a paginated request counts its roots.
    pub count: Count,
    /// Start after this cursor (a previous page's `Metadata::next`);
    /// excludes `skip`.
    pub after: Option<String>,
    /// What each row holds.
    pub shape: Shape,
}

impl Graph {
    /// A request for `entity` with no fields yet.
    pub fn new(entity: impl Into<String>) -> Graph {
        Graph {
            entity: entity.into(),
            fields: Vec::new(),
            filters: Value::Null,
            skip: None,
            take: None,
            order: Vec::new(),
            nested: BTreeMap::new(),
            with_deleted: false,
            count: Count::Exact,
            after: None,
            shape: Shape::Exact,
        }
    }

    /// A request for the entity of generated path type `P`.
    pub fn of<P: EntityPath>() -> Graph {
        Graph::new(P::ENTITY)
    }

    /// Adds field paths.
    pub fn fields<I, S>(mut self, fields: I) -> Graph
    where
        I: IntoIterator<Item = S>,
        S: Into<FieldOrPath>,
    {
        self.fields.extend(fields.into_iter().map(|f| f.into().0));
        self
    }

    /// Sets the root filters.
    pub fn filters(mut self, filters: Value) -> Graph {
        self.filters = filters;
        self
    }

    /// Skips `n` roots.
    pub fn skip(mut self, n: u64) -> Graph {
        self.skip = Some(n);
        self
    }

    /// Returns at most `n` roots.
    pub fn take(mut self, n: u64) -> Graph {
        self.take = Some(n);
        self
    }

    /// Adds a root order term.
    pub fn order(mut self, path: impl Into<FieldOrPath>, dir: Dir) -> Graph {
        self.order.push((path.into().0, dir));
        self
    }

    /// Sets the arguments of a nested list.
    pub fn nested(mut self, relation_path: impl Into<String>, nested: Nested) -> Graph {
        self.nested.insert(relation_path.into(), nested);
        self
    }

    /// Starts the page after `cursor` (a previous page's `Metadata::next`).
    pub fn after(mut self, cursor: impl Into<String>) -> Graph {
        self.after = Some(cursor.into());
        self
    }

    /// Sets how a paginated request counts its roots.
    pub fn count(mut self, count: Count) -> Graph {
        self.count = count;
        self
    }

    /// Includes soft-deleted records and links.
    pub fn with_deleted(mut self, yes: bool) -> Graph {
        self.with_deleted = yes;
        self
    }

    /// Shapes rows as `shape` says ([`Shape::Medusa`]: as Medusa answers).
    pub fn shape(mut self, shape: Shape) -> Graph {
        self.shape = shape;
        self
    }

    /// The dynamic form: `{"entity", "fields", "filters", "pagination":
    /// {"skip", "take", "order": {"<path>": "ASC"|"DESC"}}, "nested":
    /// {"<relation path>": {"filters", "take", "order"}}, "with_deleted",
    /// "shape": "exact"|"medusa"}`.
    pub fn from_json(v: &Value) -> Result<Graph, Error> {
        let bad = |m: String| Error::InvalidRequest { message: m };
        let obj = v
            .as_object()
            .ok_or_else(|| bad(format!("a graph request is an object, found {v}")))?;
        for k in obj.keys() {
            if ![
                "entity",
                "fields",
                "filters",
                "pagination",
                "nested",
                "with_deleted",
                "shape",
            ]
            .contains(&k.as_str())
            {
                return Err(bad(format!(
                    "unknown key `{k}` in a graph request; expected one of `entity`, `fields`, `filters`, `pagination`, `nested`, `with_deleted` or `shape`"
                )));
            }
        }
        let entity = obj
            .get("entity")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("`entity` must be a string".to_string()))?;
        let mut g = Graph::new(entity);
        match obj.get("fields") {
            None => {}
            Some(Value::Array(a)) => {
                for f in a {
                    g.fields.push(
                        f.as_str()
                            .ok_or_else(|| bad(format!("`fields` holds strings, found {f}")))?
                            .to_string(),
                    );
                }
            }
            Some(other) => {
                return Err(bad(format!(
                    "`fields` must be an array of strings, found {other}"
                )));
            }
        }
        g.filters = obj.get("filters").cloned().unwrap_or(Value::Null);
        if let Some(p) = obj.get("pagination") {
            let p = p
                .as_object()
                .ok_or_else(|| bad("`pagination` must be an object".to_string()))?;
            only_keys(
                p,
                "pagination",
                &["skip", "take", "order", "count", "after"],
            )?;
            g.skip = opt_u64(p.get("skip"), "skip")?;
            g.take = opt_u64(p.get("take"), "take")?;
            g.order = parse_order(p.get("order"))?;
            g.after = match p.get("after") {
                None | Some(Value::Null) => None,
                Some(Value::String(c)) => Some(c.clone()),
                Some(other) => {
                    return Err(Error::InvalidPagination {
                        message: format!("`after` must be a cursor string, found {other}"),
                    });
                }
            };
            g.count = match p.get("count") {
                None | Some(Value::Null) => Count::Exact,
                Some(v) => match v.as_str() {
                    Some("exact") => Count::Exact,
                    Some("estimate") => Count::Estimate,
                    Some("none") => Count::None,
                    _ => {
                        return Err(Error::InvalidPagination {
                            message: format!(
                                "`count` must be \"exact\", \"estimate\" or \"none\", found {v}"
                            ),
                        });
                    }
                },
            };
        }
        if let Some(n) = obj.get("nested") {
            let n = n
                .as_object()
                .ok_or_else(|| bad("`nested` must be an object".to_string()))?;
            for (path, args) in n {
                let a = args
                    .as_object()
                    .ok_or_else(|| bad(format!("`nested.{path}` must be an object")))?;
                only_keys(a, &format!("nested.{path}"), &["filters", "take", "order"])?;
                g.nested.insert(
                    path.clone(),
                    Nested {
                        filters: a.get("filters").cloned().unwrap_or(Value::Null),
                        take: opt_u64(a.get("take"), "take")?,
                        order: parse_order(a.get("order"))?,
                    },
                );
            }
        }
        g.with_deleted = match obj.get("with_deleted") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(bad(format!(
                    "`with_deleted` must be a boolean, found {other}"
                )));
            }
        };
        g.shape = match obj.get("shape") {
            None | Some(Value::Null) => Shape::Exact,
            Some(v) => match v.as_str() {
                Some("exact") => Shape::Exact,
                Some("medusa") => Shape::Medusa,
                _ => {
                    return Err(bad(format!(
                        "`shape` must be \"exact\" or \"medusa\", found {v}"
                    )));
                }
            },
        };
        Ok(g)
    }
}

/// Refuses keys of `obj` (at `at`) other than `allowed`.
fn only_keys(
    obj: &serde_json::Map<String, Value>,
    at: &str,
    allowed: &[&str],
) -> Result<(), Error> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(Error::InvalidRequest {
            message: format!(
                "unknown key `{k}` in `{at}`; expected one of {}",
                crate::error::one_of(allowed.iter().copied())
            ),
        }),
    }
}

fn opt_u64(v: Option<&Value>, name: &str) -> Result<Option<u64>, Error> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| Error::InvalidPagination {
                message: format!("`{name}` must be a non-negative integer, found {v}"),
            }),
    }
}

fn parse_order(v: Option<&Value>) -> Result<Vec<(String, Dir)>, Error> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let obj = v.as_object().ok_or_else(|| Error::InvalidPagination {
        message: format!("`order` must be an object like {{\"title\": \"ASC\"}}, found {v}"),
    })?;
    obj.iter()
        .map(|(k, d)| {
            let dir = match d.as_str().map(str::to_ascii_uppercase).as_deref() {
                Some("ASC") => Dir::Asc,
                Some("DESC") => Dir::Desc,
                _ => {
                    return Err(Error::InvalidPagination {
                        message: format!("order of `{k}` must be \"ASC\" or \"DESC\", found {d}"),
                    });
                }
            };
            Ok((k.clone(), dir))
        })
        .collect()
}

/// A field given as text or as a generated typed path.
pub struct FieldOrPath(pub(crate) String);

impl From<&str> for FieldOrPath {
    fn from(s: &str) -> Self {
        FieldOrPath(s.to_string())
    }
}

impl From<String> for FieldOrPath {
    fn from(s: String) -> Self {
        FieldOrPath(s)
    }
}

impl From<FieldPath> for FieldOrPath {
    fn from(p: FieldPath) -> Self {
        FieldOrPath(p.into())
    }
}

impl<R, T> From<crate::typed::Field<R, T>> for FieldOrPath {
    fn from(p: crate::typed::Field<R, T>) -> Self {
        FieldOrPath(p.as_str().to_string())
    }
}

impl<R> From<crate::typed::AnyField<R>> for FieldOrPath {
    fn from(p: crate::typed::AnyField<R>) -> Self {
        FieldOrPath(p.as_str().to_string())
    }
}

/// Pagination metadata of a root query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// Roots matching the filters, without the page (`None` with
    /// [`Count::None`]; the planner's estimate with [`Count::Estimate`] on
    /// Postgres).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The request's skip (0 when not given).
    pub skip: u64,
    /// The request's take.
    pub take: Option<u64>,
    /// The cursor of the page's last root, for `pagination.after`: present
    /// when the page is full and its order allows cursors (fields that are
    /// never NULL, of text, number, boolean, date or timestamp type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Rows plus metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphResult<T = Value> {
    /// The roots, in order.
    pub data: Vec<T>,
    /// Present when the request is paginated (`skip` or `take`).
    pub metadata: Option<Metadata>,
}
