//! Derived selections (`#[derive(Select)]`): structs whose fields are the
//! request, and whose values are decoded from each level's rows directly.
//!
//! A level's rows come out of stitching as [`Raw`] (the row's column
//! [`Cell`]s and its relations, no JSON value is built), and [`Selectable::decode`]
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
use crate::typed::{Field, Filter, Many, One, QueryRoot, RelationPath};
use crate::{Date, DateTime};

use super::plan::Level;
use crate::db::{Cell, CellRow};

/// A struct whose fields select a request's fields and receive its rows:
/// implemented by `#[derive(Select)]`.
pub trait Selectable: Sized {
    /// The root entity (a generated entity struct).
    type Root: QueryRoot;
    /// Adds the field paths of the selection under `prefix`.
    fn request(prefix: &PathPrefix, out: &mut Vec<String>);
    /// Adds the arguments of the nested lists of the selection under
    /// `prefix` (`#[select(take = .., order(..), filter = ..)]` on list
    /// members).
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
    Row(CellRow, Vec<Raw>),
    /// A list relation.
    List(Vec<Raw>),
    /// An absent to-one relation.
    None,
}

impl Sink for Raw {
    fn object(_: &Level, vals: CellRow, rels: Vec<Raw>) -> Raw {
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
    vals: smallvec::IntoIter<[Cell; 2]>,
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
        let v = cells.vals.next().unwrap_or(Cell::Null);
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

/// The JSON form of `filter`, a filter of the entity that the list
/// relation `path` (the generated path method naming it) lists: the
/// derive's expansion of `#[select(filter = ..)]`, so a filter of another
/// entity is a type error at the filter's expression.
pub fn list_filter<P, Q>(_path: impl FnOnce(&P) -> Q, filter: Filter<Q::Target>) -> Value
where
    Q: RelationPath<Card = Many>,
{
    filter.into_json()
}

/// Arguments of a nested list at `prefix.name` (`filters` in the JSON
/// form, `None` for every record), unless the request already has some
/// there (arguments given to `Select::nested` win).
pub fn add_nested(
    prefix: &PathPrefix,
    name: &str,
    take: Option<u64>,
    order: &[(&str, Dir)],
    filters: Option<Value>,
    out: &mut BTreeMap<String, Nested>,
) {
    out.entry(prefix.relation(name).as_str().to_string())
        .or_insert_with(|| Nested {
            filters: filters.unwrap_or(Value::Null),
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
    fn from_column(c: Cell) -> Result<Self, String>;
}

/// Whether a cell is NULL (a JSON column's `null` included, as a JSON
/// value of it would be).
fn null(c: &Cell) -> bool {
    matches!(c, Cell::Null | Cell::Json(Value::Null))
}

/// Decoding a non-null cell.
trait FromCell: Sized {
    const KIND: &'static str;
    /// The value, or the cell back when it holds none of this type.
    fn from_cell(c: Cell) -> Result<Self, Cell>;
}

fn cell<T: FromCell>(c: Cell) -> Result<T, String> {
    if null(&c) {
        return Err(format!("expected {}, found null", T::KIND));
    }
    T::from_cell(c).map_err(|c| format!("expected {}, found {}", T::KIND, c.into_value()))
}

impl FromCell for String {
    const KIND: &'static str = "text";
    fn from_cell(c: Cell) -> Result<Self, Cell> {
        match c {
            Cell::Text(s) => Ok(s),
            c => Err(c),
        }
    }
}

impl FromCell for i32 {
    const KIND: &'static str = "a 32-bit integer";
    fn from_cell(c: Cell) -> Result<Self, Cell> {
        match c {
            Cell::Int(n) => i32::try_from(n).map_err(|_| c),
            c => Err(c),
        }
    }
}

impl FromCell for i64 {
    const KIND: &'static str = "a 64-bit integer";
    fn from_cell(c: Cell) -> Result<Self, Cell> {
        match c {
            Cell::Int(n) => Ok(n),
            c => Err(c),
        }
    }
}

impl FromCell for f64 {
    const KIND: &'static str = "a number";
    fn from_cell(c: Cell) -> Result<Self, Cell> {
        match c {
            Cell::Float(f) if f.is_finite() => Ok(f),
            Cell::Int(n) => Ok(n as f64),
            c => Err(c),
        }
    }
}

impl FromCell for f32 {
    const KIND: &'static str = "a number";
    fn from_cell(c: Cell) -> Result<Self, Cell> {
        f64::from_cell(c).map(|f| f as f32)
    }
}

impl FromCell for bool {
    const KIND: &'static str = "a boolean";
    fn from_cell(c: Cell) -> Result<Self, Cell> {
        match c {
            Cell::Bool(b) => Ok(b),
            c => Err(c),
        }
    }
}

impl FromCell for DateTime {
    const KIND: &'static str = "a timestamp";
    fn from_cell(c: Cell) -> Result<Self, Cell> {
        match c {
            Cell::Time(t) => Ok(t),
            // What serde's `Deserialize` for `DateTime<Utc>` accepts.
            Cell::Text(s) => match s.parse::<chrono::DateTime<FixedOffset>>() {
                Ok(t) => Ok(t.with_timezone(&Utc)),
                Err(_) => Err(Cell::Text(s)),
            },
            c => Err(c),
        }
    }
}

impl FromCell for Date {
    const KIND: &'static str = "a date";
    fn from_cell(c: Cell) -> Result<Self, Cell> {
        match c {
            Cell::Text(s) => s.parse().map_err(|_| Cell::Text(s)),
            c => Err(c),
        }
    }
}

impl FromCell for Value {
    const KIND: &'static str = "JSON";
    fn from_cell(c: Cell) -> Result<Self, Cell> {
        Ok(c.into_value())
    }
}

impl<M> FromCell for Id<M> {
    const KIND: &'static str = "an id";
    fn from_cell(c: Cell) -> Result<Self, Cell> {
        String::from_cell(c).map(Id::new)
    }
}

macro_rules! from_column {
    ($($t:ty),*) => {$(
        impl FromColumn<$t> for $t {
            fn from_column(c: Cell) -> Result<Self, String> {
                cell(c)
            }
        }
        impl FromColumn<$t> for Option<$t> {
            fn from_column(c: Cell) -> Result<Self, String> {
                cell(c).map(Some)
            }
        }
        impl FromColumn<Option<$t>> for Option<$t> {
            fn from_column(c: Cell) -> Result<Self, String> {
                if null(&c) { Ok(None) } else { cell(c).map(Some) }
            }
        }
    )*};
}

from_column!(String, i32, i64, f32, f64, bool, DateTime, Date, Value);

impl<M> FromColumn<Id<M>> for Id<M> {
    fn from_column(c: Cell) -> Result<Self, String> {
        cell(c)
    }
}

impl<M> FromColumn<Id<M>> for Option<Id<M>> {
    fn from_column(c: Cell) -> Result<Self, String> {
        cell(c).map(Some)
    }
}

impl<M> FromColumn<Option<Id<M>>> for Option<Id<M>> {
    fn from_column(c: Cell) -> Result<Self, String> {
        if null(&c) {
            Ok(None)
        } else {
            cell(c).map(Some)
        }
    }
}
