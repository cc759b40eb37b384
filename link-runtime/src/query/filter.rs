//! The typed filter tree. A JSON filter is parsed and checked once, at
//! planning, into negation normal form: `$not` is pushed down to the atoms
//! (De Morgan), and each atom knows whether it is negated. Every atom and
//! its negation are written as two-valued SQL (a NULL column is never
//! "unknown": `$ne`, `$nin` and a negated comparison keep rows whose column
//! is NULL, a relation filter is true or false), so `$not` means the
//! complement in every placement of the data, joined in SQL or resolved to
//! keys in another database.
//!
//! Relation filters get ids ([`FilterId`]) when parsed; keys resolved for
//! them in other databases are stored by id.

use serde_json::Value;

use link_model::ScalarType;

use super::plan::{EntityInfo, Hop, Schema};
use crate::db::Arg;
use crate::error::{Error, one_of};

/// Id of a relation filter within its plan.
pub(super) type FilterId = usize;

/// Numbers relation filters as they are parsed.
#[derive(Debug, Default)]
pub(super) struct Ids(FilterId);

impl Ids {
    fn next(&mut self) -> FilterId {
        self.0 += 1;
        self.0 - 1
    }
}

#[derive(Debug, Clone)]
pub(super) enum Filter {
    Const(bool),
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Atom(Atom),
    Rel(Box<RelFilter>),
}

/// A condition on one column; `neg` is its complement.
#[derive(Debug, Clone)]
pub(super) struct Atom {
    pub col: String,
    pub ty: ScalarType,
    pub test: Test,
    pub neg: bool,
}

#[derive(Debug, Clone)]
pub(super) enum Test {
    IsNull,
    /// `=`, `>`, `>=`, `<`, `<=`.
    Cmp(&'static str, Arg),
    /// Never empty (an empty `$in` is [`Filter::Const`]).
    In(Vec<Arg>),
    Like {
        pattern: String,
        case_insensitive: bool,
    },
}

/// "Has a linked record matching `inner`" (or, negated, "has none").
#[derive(Debug, Clone)]
pub(super) struct RelFilter {
    pub id: FilterId,
    pub target: EntityInfo,
    pub hop: Hop,
    pub inner: Box<Filter>,
    pub neg: bool,
}

impl Filter {
    pub fn is_true(&self) -> bool {
        matches!(self, Filter::Const(true))
    }

    /// Every relation filter, outermost first.
    pub fn relations(&self) -> Vec<&RelFilter> {
        let mut out = Vec::new();
        self.walk(&mut out);
        out
    }

    fn walk<'a>(&'a self, out: &mut Vec<&'a RelFilter>) {
        match self {
            Filter::And(v) | Filter::Or(v) => v.iter().for_each(|f| f.walk(out)),
            Filter::Rel(r) => out.push(r),
            Filter::Const(_) | Filter::Atom(_) => {}
        }
    }

    /// Whether the filter holds a condition on a column of its own entity
    /// (not only relation filters).
    pub fn narrows_by_field(&self) -> bool {
        match self {
            Filter::And(v) | Filter::Or(v) => v.iter().any(Filter::narrows_by_field),
            Filter::Atom(_) => true,
            Filter::Const(_) | Filter::Rel(_) => false,
        }
    }
}

/// `a AND b` (negated: `a OR b` of the negations).
fn all(parts: Vec<Filter>, neg: bool) -> Filter {
    match parts.len() {
        1 => parts.into_iter().next().unwrap_or(Filter::Const(!neg)),
        _ if neg => Filter::Or(parts),
        _ => Filter::And(parts),
    }
}

/// Longest `$like`/`$ilike` pattern (SQLite's own limit is 50,000 bytes).
const MAX_PATTERN: usize = 10_000;

/// Most values in one `$in`/`$nin` of a non-text column (text lists of any
/// length are one bound array).
pub(super) const MAX_IN_VALUES: usize = 30_000;

/// Parses a filter object on `info`; `path` is the location for messages
/// ("" at the root).
pub(super) fn parse(
    s: &Schema<'_>,
    ids: &mut Ids,
    info: &EntityInfo,
    v: &Value,
    path: &str,
) -> Result<Filter, Error> {
    if v.is_null() {
        return Ok(Filter::Const(true));
    }
    Parser { s, ids }.object(info, v, path, false)
}

struct Parser<'a, 'g> {
    s: &'a Schema<'g>,
    ids: &'a mut Ids,
}

fn join(path: &str, k: &str) -> String {
    if path.is_empty() {
        k.to_string()
    } else {
        format!("{path}.{k}")
    }
}

impl Parser<'_, '_> {
    fn object(
        &mut self,
        info: &EntityInfo,
        v: &Value,
        path: &str,
        neg: bool,
    ) -> Result<Filter, Error> {
        let Value::Object(obj) = v else {
            return Err(Error::InvalidFilter {
                path: if path.is_empty() {
                    "filters".to_string()
                } else {
                    path.to_string()
                },
                message: format!(
                    "expected an object of fields, relations and `$and`/`$or`/`$not`, found {v}"
                ),
            });
        };
        if obj.is_empty() {
            return Ok(Filter::Const(!neg));
        }
        let mut parts = Vec::with_capacity(obj.len());
        for (k, v) in obj {
            let here = join(path, k);
            let part = match k.as_str() {
                "$and" | "$or" => {
                    let items = v.as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
                        Error::InvalidFilter {
                            path: here.clone(),
                            message: format!(
                                "`{k}` takes a non-empty array of filter objects, found {v}"
                            ),
                        }
                    })?;
                    let items = items
                        .iter()
                        .map(|i| self.object(info, i, &here, neg))
                        .collect::<Result<Vec<_>, _>>()?;
                    // NOT (a AND b) = NOT a OR NOT b; NOT (a OR b) = NOT a AND NOT b.
                    match (k == "$and") != neg {
                        true => Filter::And(items),
                        false => Filter::Or(items),
                    }
                }
                "$not" => self.object(info, v, &here, !neg)?,
                _ if k.starts_with('$') => {
                    return Err(Error::InvalidFilter {
                        path: here,
                        message: format!(
                            "unknown operator `{k}` here; expected `$and`, `$or`, `$not`, a field or a relation"
                        ),
                    });
                }
                _ => {
                    if let Some(f) = info.field(k) {
                        self.condition(&f.name, f.ty, v, &here, neg)?
                    } else if let Some((_, target, hop)) = self.s.relation(info, k) {
                        let inner = self.object(&target, v, &here, false)?;
                        Filter::Rel(Box::new(RelFilter {
                            id: self.ids.next(),
                            target,
                            hop,
                            inner: Box::new(inner),
                            neg,
                        }))
                    } else {
                        let mut choices: Vec<String> =
                            info.fields.iter().map(|f| f.name.to_string()).collect();
                        choices.extend(
                            self.s
                                .relations_of(&info.entity)
                                .iter()
                                .map(|r| r.name.to_string()),
                        );
                        choices.extend(["$and", "$or", "$not"].map(String::from));
                        return Err(Error::InvalidFilter {
                            path: here,
                            message: format!(
                                "`{}` has no field or relation `{k}`; expected one of {}",
                                info.name,
                                one_of(choices)
                            ),
                        });
                    }
                }
            };
            parts.push(part);
        }
        Ok(all(parts, neg))
    }

    /// A field's condition: a value (equality), `null`, an array (`$in`) or
    /// an object of operators (all must hold).
    fn condition(
        &mut self,
        col: &str,
        ty: ScalarType,
        v: &Value,
        path: &str,
        neg: bool,
    ) -> Result<Filter, Error> {
        let atom = |test, neg| {
            Filter::Atom(Atom {
                col: col.to_string(),
                ty,
                test,
                neg,
            })
        };
        match v {
            Value::Null => Ok(atom(Test::IsNull, neg)),
            Value::Array(items) => in_list(col, ty, items, path, neg),
            Value::Object(ops) => {
                if ops.is_empty() {
                    return Err(Error::InvalidFilter {
                        path: path.to_string(),
                        message: "empty operator object".to_string(),
                    });
                }
                let mut parts = Vec::with_capacity(ops.len());
                for (op, x) in ops {
                    let p = format!("{path}.{op}");
                    let part = match op.as_str() {
                        "$eq" if x.is_null() => atom(Test::IsNull, neg),
                        "$ne" if x.is_null() => atom(Test::IsNull, !neg),
                        "$eq" => atom(Test::Cmp("=", value(ty, x, &p)?), neg),
                        // `$ne` keeps rows whose column is NULL: NOT `$eq`.
                        "$ne" => atom(Test::Cmp("=", value(ty, x, &p)?), !neg),
                        "$gt" | "$gte" | "$lt" | "$lte" => {
                            let sym = match op.as_str() {
                                "$gt" => ">",
                                "$gte" => ">=",
                                "$lt" => "<",
                                _ => "<=",
                            };
                            atom(Test::Cmp(sym, value(ty, x, &p)?), neg)
                        }
                        "$in" | "$nin" => {
                            let items = x.as_array().ok_or_else(|| Error::InvalidFilter {
                                path: p.clone(),
                                message: format!("`{op}` takes an array, found {x}"),
                            })?;
                            in_list(col, ty, items, &p, neg != (op == "$nin"))?
                        }
                        "$like" | "$ilike" => {
                            if !matches!(ty, ScalarType::Text | ScalarType::Uuid | ScalarType::Enum)
                            {
                                return Err(Error::InvalidFilter {
                                    path: p,
                                    message: format!(
                                        "`{op}` applies to text fields, not {}",
                                        ty.name()
                                    ),
                                });
                            }
                            let pat = x.as_str().ok_or_else(|| Error::InvalidFilter {
                                path: p.clone(),
                                message: format!("`{op}` takes a string pattern, found {x}"),
                            })?;
                            if pat.contains('\0') {
                                return Err(Error::InvalidFilter {
                                    path: p,
                                    message: "patterns cannot contain NUL characters".to_string(),
                                });
                            }
                            if pat.len() > MAX_PATTERN {
                                return Err(Error::InvalidFilter {
                                    path: p,
                                    message: format!(
                                        "`{op}` patterns are limited to {MAX_PATTERN} bytes, found {}",
                                        pat.len()
                                    ),
                                });
                            }
                            atom(
                                Test::Like {
                                    pattern: pat.to_string(),
                                    case_insensitive: op == "$ilike",
                                },
                                neg,
                            )
                        }
                        other => {
                            return Err(Error::InvalidFilter {
                                path: p,
                                message: format!(
                                    "unknown operator `{other}`; expected one of `$eq`, `$ne`, `$in`, `$nin`, `$gt`, `$gte`, `$lt`, `$lte`, `$like` or `$ilike`"
                                ),
                            });
                        }
                    };
                    parts.push(part);
                }
                Ok(all(parts, neg))
            }
            scalar => Ok(atom(Test::Cmp("=", value(ty, scalar, path)?), neg)),
        }
    }
}

fn in_list(
    col: &str,
    ty: ScalarType,
    items: &[Value],
    path: &str,
    neg: bool,
) -> Result<Filter, Error> {
    if items.is_empty() {
        return Ok(Filter::Const(neg));
    }
    if !matches!(ty, ScalarType::Text | ScalarType::Enum) && items.len() > MAX_IN_VALUES {
        return Err(Error::InvalidFilter {
            path: path.to_string(),
            message: format!(
                "at most {MAX_IN_VALUES} values for a {} field, found {}",
                ty.name(),
                items.len()
            ),
        });
    }
    let args = items
        .iter()
        .map(|x| {
            if x.is_null() {
                return Err(Error::InvalidFilter {
                    path: path.to_string(),
                    message:
                        "lists hold values, not null (use `null` or `$ne: null` to test for NULL)"
                            .to_string(),
                });
            }
            value(ty, x, path)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Filter::Atom(Atom {
        col: col.to_string(),
        ty,
        test: Test::In(args),
        neg,
    }))
}

/// A filter value for a column type (the conversion Link uses too).
fn value(ty: ScalarType, v: &Value, path: &str) -> Result<Arg, Error> {
    if ty == ScalarType::Json {
        return Err(Error::InvalidFilter {
            path: path.to_string(),
            message: format!("expected no filter: json fields cannot be filtered, found {v}"),
        });
    }
    match Arg::from_json(ty, v) {
        Ok(Arg::Null(_)) => Err(Error::InvalidFilter {
            path: path.to_string(),
            message: "expected a value, found null".to_string(),
        }),
        Ok(a) => Ok(a),
        Err(e) => Err(Error::InvalidFilter {
            path: path.to_string(),
            message: format!("expected {}, found {v}", e.expected),
        }),
    }
}
