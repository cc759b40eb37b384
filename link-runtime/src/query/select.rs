//! Derived selections (`#[derive(Select)]`): structs whose fields are the
//! request, and whose values are decoded from each level's rows directly.
//!
//! A level's rows come out of stitching as [`Raw`] (the row's column values
//! and its relations, no JSON object is built), and [`Selectable::decode`]
//! moves each value into its struct field in one pass per level. The
//! derive's expansion checks every member against the generated paths:
//! [`Member`] is implemented for a column's [`Field`] with any
//! [`FromColumn`] type, for a list relation with `Vec<S>` and for a to-one
//! relation with `Option<S>`, `S` a selection of the relation's entity.

use std::collections::BTreeMap;

use chrono::{FixedOffset, Utc};
use serde_json::Value;

use super::request::{Dir, Nested};
use super::stitch::Sink;
use crate::error::Error;
use crate::id::Id;
use crate::path::PathPrefix;
use crate::typed::{Field, Many, One, QueryRoot, RelationPath};
use crate::{Date, DateTime};

use super::plan::Level;

/// A struct whose fields select a request's fields and receive its rows:
/// implemented by `#[derive(Select)]`.
pub trait Selectable: Sized {
    /// The root entity (a generated entity struct).
    type Root: QueryRoot;
    /// Adds the field paths of the selection under `prefix`.
    fn request(prefix: &PathPrefix, out: &mut Vec<String>);
    /// Adds the arguments of the nested lists of the selection under
    /// `prefix` (`#[select(take = .., order(..))]` on list members).
    fn nested(prefix: &PathPrefix, out: &mut BTreeMap<String, Nested>);
    /// The struct of one row, its members taken from `cells` in order.
    fn decode(cells: &mut Cells) -> Result<Self, Error>;
}

/// A fetched row before it becomes a struct: column values (requested
/// columns first, in request order) and relations (in request order).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub enum Raw {
    /// A row.
    Row(Vec<Value>, Vec<Raw>),
    /// A list relation.
    List(Vec<Raw>),
    /// An absent to-one relation.
    None,
}

impl Sink for Raw {
    fn object(_: &Level, vals: Vec<Value>, rels: Vec<Raw>) -> Raw {
        Raw::Row(vals, rels)
    }

    fn list(items: Vec<Raw>) -> Raw {
        Raw::List(items)
    }

    fn none() -> Raw {
        Raw::None
    }
}

/// The values of one row, taken by the selection's members in order.
pub struct Cells {
    vals: std::vec::IntoIter<Value>,
    rels: std::vec::IntoIter<Raw>,
    entity: &'static str,
}

impl Cells {
    fn error(&self, member: &str, message: impl std::fmt::Display) -> Error {
        Error::InvalidValue {
            message: format!("cannot decode `{member}` of `{}`: {message}", self.entity),
        }
    }
}

/// A selection `T` from a fetched row.
pub(super) fn decode<T: Selectable>(raw: Raw) -> Result<T, Error> {
    match raw {
        Raw::Row(vals, rels) => T::decode(&mut Cells {
            vals: vals.into_iter(),
            rels: rels.into_iter(),
            entity: T::Root::ENTITY,
        }),
        Raw::List(_) | Raw::None => Err(Error::InvalidValue {
            message: format!("expected a row of `{}`", T::Root::ENTITY),
        }),
    }
}

/// A struct member type that can hold the path member `Self` (a column's
/// field or a relation) of a selection.
#[diagnostic::on_unimplemented(
    message = "`{F}` cannot hold `{Self}` in a selection",
    label = "this member does not fit the path it selects",
    note = "a column takes its Rust type (`Option<_>` when nullable), a list relation (`Many`) `Vec<S>`, a to-one relation (`One`) `Option<S>`, with `S` a `#[derive(Select)]` of the relation's entity"
)]
pub trait Member<F> {
    /// Adds the field paths of member `name` under `prefix`.
    fn request(prefix: &PathPrefix, name: &str, out: &mut Vec<String>);
    /// Adds the nested-list arguments of the selection behind member `name`.
    fn nested(prefix: &PathPrefix, name: &str, out: &mut BTreeMap<String, Nested>);
    /// The value of member `name` of the row in `cells`.
    fn take(cells: &mut Cells, name: &str) -> Result<F, Error>;
}

impl<R, T, F: FromColumn<T>> Member<F> for Field<R, T> {
    fn request(prefix: &PathPrefix, name: &str, out: &mut Vec<String>) {
        out.push(prefix.field(name).into());
    }

    fn nested(_: &PathPrefix, _: &str, _: &mut BTreeMap<String, Nested>) {}

    fn take(cells: &mut Cells, name: &str) -> Result<F, Error> {
        let v = cells.vals.next().unwrap_or(Value::Null);
        F::from_column(v).map_err(|m| cells.error(name, m))
    }
}

impl<P, S> Member<Vec<S>> for P
where
    P: RelationPath<Card = Many>,
    S: Selectable<Root = P::Target>,
{
    fn request(prefix: &PathPrefix, name: &str, out: &mut Vec<String>) {
        S::request(&prefix.relation(name), out);
    }

    fn nested(prefix: &PathPrefix, name: &str, out: &mut BTreeMap<String, Nested>) {
        S::nested(&prefix.relation(name), out);
    }

    fn take(cells: &mut Cells, name: &str) -> Result<Vec<S>, Error> {
        match cells.rels.next() {
            Some(Raw::List(items)) => items.into_iter().map(decode::<S>).collect(),
            _ => Err(cells.error(name, "expected a list")),
        }
    }
}

impl<P, S> Member<Option<S>> for P
where
    P: RelationPath<Card = One>,
    S: Selectable<Root = P::Target>,
{
    fn request(prefix: &PathPrefix, name: &str, out: &mut Vec<String>) {
        S::request(&prefix.relation(name), out);
    }

    fn nested(prefix: &PathPrefix, name: &str, out: &mut BTreeMap<String, Nested>) {
        S::nested(&prefix.relation(name), out);
    }

    fn take(cells: &mut Cells, name: &str) -> Result<Option<S>, Error> {
        match cells.rels.next() {
            Some(Raw::None) => Ok(None),
            Some(row @ Raw::Row(..)) => decode::<S>(row).map(Some),
            _ => Err(cells.error(name, "expected a record or none")),
        }
    }
}

/// What a selection does with one member of type `F`: add its fields to the
/// request and take its value from a row.
pub struct MemberFns<F> {
    /// Adds the field paths of member `name` under `prefix`.
    pub request: fn(&PathPrefix, &str, &mut Vec<String>),
    /// Adds the nested-list arguments of the selection behind member `name`.
    pub nested: fn(&PathPrefix, &str, &mut BTreeMap<String, Nested>),
    /// The value of member `name` of the row in `cells`.
    pub take: fn(&mut Cells, &str) -> Result<F, Error>,
}

/// The [`MemberFns`] of a member of type `F` that `path` (the generated
/// path method naming it) selects: the one place the derive's expansion
/// checks a member, so each mistake is reported once, at the member.
pub fn member<P, M: Member<F>, F>(_path: impl FnOnce(&P) -> M) -> MemberFns<F> {
    MemberFns {
        request: M::request,
        nested: M::nested,
        take: M::take,
    }
}

/// Checks that `path` names a list relation (the derive's expansion, for
/// `#[select(take = .., order(..))]`); `order` names fields of the listed
/// entity, each checked by calling its path method on the relation's path.
pub fn list_args<P, Q>(_path: impl FnOnce(&P) -> Q, order: &[fn(&Q)])
where
    Q: RelationPath<Card = Many>,
{
    let _ = order;
}

/// Arguments of a nested list at `prefix.name`, unless the request already
/// has some there (arguments given to `Select::nested` win).
pub fn add_nested(
    prefix: &PathPrefix,
    name: &str,
    take: Option<u64>,
    order: &[(&str, Dir)],
    out: &mut BTreeMap<String, Nested>,
) {
    out.entry(prefix.relation(name).as_str().to_string())
        .or_insert_with(|| Nested {
            filters: Value::Null,
            take,
            order: order.iter().map(|(f, d)| (f.to_string(), *d)).collect(),
        });
}

/// A Rust type that holds the values of a column of Rust type `T`.
#[diagnostic::on_unimplemented(
    message = "a column of type `{T}` cannot be read into `{Self}`",
    label = "the column's type is `{T}`",
    note = "a nullable column needs `Option<_>`; ids are typed (`ProductId`)"
)]
pub trait FromColumn<T>: Sized {
    /// The value of a cell, or what is wrong with it.
    fn from_column(v: Value) -> Result<Self, String>;
}

/// Decoding a non-null cell.
trait Cell: Sized {
    const KIND: &'static str;
    fn cell(v: Value) -> Option<Self>;
}

fn cell<T: Cell>(v: Value) -> Result<T, String> {
    if v.is_null() {
        return Err(format!("expected {}, found null", T::KIND));
    }
    let shown = v.to_string();
    T::cell(v).ok_or_else(|| format!("expected {}, found {shown}", T::KIND))
}

impl Cell for String {
    const KIND: &'static str = "text";
    fn cell(v: Value) -> Option<Self> {
        match v {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

impl Cell for i32 {
    const KIND: &'static str = "a 32-bit integer";
    fn cell(v: Value) -> Option<Self> {
        v.as_i64().and_then(|n| i32::try_from(n).ok())
    }
}

impl Cell for i64 {
    const KIND: &'static str = "a 64-bit integer";
    fn cell(v: Value) -> Option<Self> {
        v.as_i64()
    }
}

impl Cell for f32 {
    const KIND: &'static str = "a number";
    fn cell(v: Value) -> Option<Self> {
        v.as_f64().map(|f| f as f32)
    }
}

impl Cell for f64 {
    const KIND: &'static str = "a number";
    fn cell(v: Value) -> Option<Self> {
        v.as_f64()
    }
}

impl Cell for bool {
    const KIND: &'static str = "a boolean";
    fn cell(v: Value) -> Option<Self> {
        v.as_bool()
    }
}

impl Cell for DateTime {
    const KIND: &'static str = "a timestamp";
    fn cell(v: Value) -> Option<Self> {
        // What serde's `Deserialize` for `DateTime<Utc>` accepts.
        v.as_str()?
            .parse::<chrono::DateTime<FixedOffset>>()
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

impl Cell for Date {
    const KIND: &'static str = "a date";
    fn cell(v: Value) -> Option<Self> {
        v.as_str()?.parse().ok()
    }
}

impl Cell for Value {
    const KIND: &'static str = "JSON";
    fn cell(v: Value) -> Option<Self> {
        Some(v)
    }
}

impl<M> Cell for Id<M> {
    const KIND: &'static str = "an id";
    fn cell(v: Value) -> Option<Self> {
        String::cell(v).map(Id::new)
    }
}

macro_rules! from_column {
    ($($t:ty),*) => {$(
        impl FromColumn<$t> for $t {
            fn from_column(v: Value) -> Result<Self, String> {
                cell(v)
            }
        }
        impl FromColumn<$t> for Option<$t> {
            fn from_column(v: Value) -> Result<Self, String> {
                cell(v).map(Some)
            }
        }
        impl FromColumn<Option<$t>> for Option<$t> {
            fn from_column(v: Value) -> Result<Self, String> {
                if v.is_null() { Ok(None) } else { cell(v).map(Some) }
            }
        }
    )*};
}

from_column!(String, i32, i64, f32, f64, bool, DateTime, Date, Value);

impl<M> FromColumn<Id<M>> for Id<M> {
    fn from_column(v: Value) -> Result<Self, String> {
        cell(v)
    }
}

impl<M> FromColumn<Id<M>> for Option<Id<M>> {
    fn from_column(v: Value) -> Result<Self, String> {
        cell(v).map(Some)
    }
}

impl<M> FromColumn<Option<Id<M>>> for Option<Id<M>> {
    fn from_column(v: Value) -> Result<Self, String> {
        if v.is_null() {
            Ok(None)
        } else {
            cell(v).map(Some)
        }
    }
}
