//! Typed, rooted paths and filters: the generated `paths` types carry the
//! root entity `R` of the request they belong to, and their fields carry
//! the column's Rust type `T`, so a path of another root, a filter value of
//! the wrong type or a `like` on a number does not compile.
//!
//! ```ignore
//! let p = paths::Product::root();
//! let f = p.sales_channels().id().eq(SalesChannelId::from("sc_1"))
//!     .and(p.title().like("%shirt%"))
//!     .and(p.weight().is_null().not());
//! let req = Select::<entities::Product>::new().field(p.title()).filter(f);
//! ```
//!
//! Every typed filter is a JSON filter underneath ([`Filter::json`]): the
//! same value [`crate::Graph::filters`] takes, planned and checked the same
//! way.

use std::fmt;
use std::marker::PhantomData;

use serde_json::{Map, Value};

use crate::id::Id;
use crate::path::{FieldPath, PathPrefix};
use crate::{Date, DateTime};

/// Cardinality marker of a list relation (`Vec<_>` in a selection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Many;

/// Cardinality marker of a to-one relation (`Option<_>` in a selection), and
/// of a root path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct One;

/// A relation's cardinality marker: [`Many`] or [`One`].
pub trait Cardinality {
    /// Whether the relation is a list.
    const IS_LIST: bool;
}

impl Cardinality for Many {
    const IS_LIST: bool = true;
}

impl Cardinality for One {
    const IS_LIST: bool = false;
}

/// An entity a typed request can start from (implemented by the generated
/// entity structs, which are the root markers of rooted paths).
pub trait QueryRoot {
    /// The entity name Query takes (`product`, `product_sales_channel`).
    const ENTITY: &'static str;
}

/// A generated path type at some level of a request: its root, the entity
/// it reaches and the cardinality of the relation that reached it.
pub trait RelationPath {
    /// The root entity of the request the path belongs to.
    type Root;
    /// The entity this level reads.
    type Target;
    /// [`Many`] or [`One`].
    type Card: Cardinality;
    /// The relation path from the root (empty at the root).
    fn prefix(&self) -> &PathPrefix;
}

/// The Rust type of a column, as a generated field path names it: the value
/// type filters on it take (`Value`) and whether it is nullable.
pub trait Column {
    /// Type of filter values (the column's type without `Option`).
    type Value;
}

/// A value a filter can compare a column with.
pub trait FilterValue {
    /// The value as the JSON filter form writes it.
    fn to_json(self) -> Value;
}

macro_rules! column {
    ($($t:ty => |$v:ident| $json:expr),* $(,)?) => {$(
        impl Column for $t {
            type Value = $t;
        }
        impl FilterValue for $t {
            fn to_json(self) -> Value {
                let $v = self;
                $json
            }
        }
    )*};
}

column! {
    String => |v| Value::String(v),
    i32 => |v| Value::from(v),
    i64 => |v| Value::from(v),
    f32 => |v| Value::from(f64::from(v)),
    f64 => |v| Value::from(v),
    bool => |v| Value::Bool(v),
    DateTime => |v| Value::String(v.to_rfc3339()),
    Date => |v| Value::String(v.to_string()),
}

impl<M> Column for Id<M> {
    type Value = Id<M>;
}

impl<M> FilterValue for Id<M> {
    fn to_json(self) -> Value {
        Value::String(self.into_string())
    }
}

/// JSON columns cannot be filtered: their `Value` is not a [`FilterValue`].
impl Column for Value {
    type Value = Value;
}

impl<T: Column> Column for Option<T> {
    type Value = T::Value;
}

/// A field path rooted at `R` to a column of Rust type `T` (`Option<_>` when
/// nullable), made by the generated `paths` types.
pub struct Field<R, T> {
    path: FieldPath,
    _types: PhantomData<fn() -> (R, T)>,
}

impl<R, T> Field<R, T> {
    /// The field at `path` (generated code makes these).
    pub fn new(path: FieldPath) -> Self {
        Field {
            path,
            _types: PhantomData,
        }
    }

    /// The untyped path.
    pub fn path(&self) -> &FieldPath {
        &self.path
    }

    /// The dotted path, e.g. `sales_channels.name`.
    pub fn as_str(&self) -> &str {
        self.path.as_str()
    }

    fn cond(&self, cond: Value) -> Filter<R> {
        Filter::at(self.path.as_str(), cond)
    }

    fn op(&self, op: &str, v: Value) -> Filter<R> {
        let mut m = Map::new();
        m.insert(op.to_string(), v);
        self.cond(Value::Object(m))
    }
}

impl<R, T> Clone for Field<R, T> {
    fn clone(&self) -> Self {
        Field::new(self.path.clone())
    }
}

impl<R, T> fmt::Debug for Field<R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Field({:?})", self.path.as_str())
    }
}

impl<R, T: Column> Field<R, T>
where
    T::Value: FilterValue,
{
    /// `{"<path>": {"$eq": v}}`.
    pub fn eq(&self, v: impl Into<T::Value>) -> Filter<R> {
        self.op("$eq", v.into().to_json())
    }

    /// `{"<path>": {"$ne": v}}` (rows whose field is NULL are kept).
    pub fn ne(&self, v: impl Into<T::Value>) -> Filter<R> {
        self.op("$ne", v.into().to_json())
    }

    /// `{"<path>": {"$gt": v}}`.
    pub fn gt(&self, v: impl Into<T::Value>) -> Filter<R> {
        self.op("$gt", v.into().to_json())
    }

    /// `{"<path>": {"$gte": v}}`.
    pub fn gte(&self, v: impl Into<T::Value>) -> Filter<R> {
        self.op("$gte", v.into().to_json())
    }

    /// `{"<path>": {"$lt": v}}`.
    pub fn lt(&self, v: impl Into<T::Value>) -> Filter<R> {
        self.op("$lt", v.into().to_json())
    }

    /// `{"<path>": {"$lte": v}}`.
    pub fn lte(&self, v: impl Into<T::Value>) -> Filter<R> {
        self.op("$lte", v.into().to_json())
    }

    /// `{"<path>": {"$in": [..]}}` (an empty list matches nothing).
    pub fn is_in<I>(&self, values: I) -> Filter<R>
    where
        I: IntoIterator,
        I::Item: Into<T::Value>,
    {
        let list = values.into_iter().map(|v| v.into().to_json()).collect();
        self.op("$in", Value::Array(list))
    }

    /// `{"<path>": {"$nin": [..]}}` (NULL kept; an empty list matches everything).
    pub fn not_in<I>(&self, values: I) -> Filter<R>
    where
        I: IntoIterator,
        I::Item: Into<T::Value>,
    {
        let list = values.into_iter().map(|v| v.into().to_json()).collect();
        self.op("$nin", Value::Array(list))
    }
}

impl<R, T: Column<Value = String>> Field<R, T> {
    /// `{"<path>": {"$like": pattern}}`: SQL LIKE, case-sensitive.
    pub fn like(&self, pattern: impl Into<String>) -> Filter<R> {
        self.op("$like", Value::String(pattern.into()))
    }

    /// `{"<path>": {"$ilike": pattern}}`: case-insensitive LIKE.
    pub fn ilike(&self, pattern: impl Into<String>) -> Filter<R> {
        self.op("$ilike", Value::String(pattern.into()))
    }
}

impl<R, T> Field<R, Option<T>> {
    /// `{"<path>": null}`: the nullable field is NULL.
    pub fn is_null(&self) -> Filter<R> {
        self.cond(Value::Null)
    }

    /// `{"<path>": {"$ne": null}}`: the nullable field is not NULL.
    pub fn is_not_null(&self) -> Filter<R> {
        self.op("$ne", Value::Null)
    }
}

/// A rooted path of any field, `*` included (`paths::Product::root().all()`).
pub struct AnyField<R> {
    path: FieldPath,
    _root: PhantomData<fn() -> R>,
}

impl<R> AnyField<R> {
    /// The field at `path` (generated code makes these).
    pub fn new(path: FieldPath) -> Self {
        AnyField {
            path,
            _root: PhantomData,
        }
    }

    /// The dotted path, e.g. `products.*`.
    pub fn as_str(&self) -> &str {
        self.path.as_str()
    }
}

impl<R> Clone for AnyField<R> {
    fn clone(&self) -> Self {
        AnyField::new(self.path.clone())
    }
}

impl<R> fmt::Debug for AnyField<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnyField({:?})", self.path.as_str())
    }
}

impl<R, T> From<Field<R, T>> for AnyField<R> {
    fn from(f: Field<R, T>) -> Self {
        AnyField::new(f.path)
    }
}

impl<R> From<AnyField<R>> for FieldPath {
    fn from(f: AnyField<R>) -> Self {
        f.path
    }
}

impl<R, T> From<Field<R, T>> for FieldPath {
    fn from(f: Field<R, T>) -> Self {
        f.path
    }
}

/// A filter on requests rooted at `R`, in the JSON filter form.
pub struct Filter<R> {
    json: Value,
    _root: PhantomData<fn() -> R>,
}

impl<R> Filter<R> {
    fn new(json: Value) -> Self {
        Filter {
            json,
            _root: PhantomData,
        }
    }

    /// `cond` on the field at dotted `path`: relations become nested
    /// objects (`{"sales_channels": {"id": cond}}`).
    fn at(path: &str, cond: Value) -> Self {
        let mut json = cond;
        for segment in path.rsplit('.') {
            let mut m = Map::new();
            m.insert(segment.to_string(), json);
            json = Value::Object(m);
        }
        Filter::new(json)
    }

    /// Every record: `{}`.
    pub fn all() -> Self {
        Filter::new(Value::Object(Map::new()))
    }

    /// Both hold: `{"$and": [self, other]}` (a chain of `and`s is one list).
    pub fn and(self, other: Filter<R>) -> Self {
        self.join("$and", other)
    }

    /// Either holds: `{"$or": [self, other]}` (a chain of `or`s is one list).
    pub fn or(self, other: Filter<R>) -> Self {
        self.join("$or", other)
    }

    /// The complement: `{"$not": self}`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Self {
        let mut m = Map::new();
        m.insert("$not".to_string(), self.json);
        Filter::new(Value::Object(m))
    }

    fn join(self, op: &str, other: Filter<R>) -> Self {
        let mut json = self.json;
        if let Value::Object(m) = &mut json
            && m.len() == 1
            && let Some(Value::Array(list)) = m.get_mut(op)
        {
            list.push(other.json);
            return Filter::new(json);
        }
        let mut m = Map::new();
        m.insert(op.to_string(), Value::Array(vec![json, other.json]));
        Filter::new(Value::Object(m))
    }

    /// The JSON filter form.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// The JSON filter form, owned.
    pub fn into_json(self) -> Value {
        self.json
    }
}

impl<R> Clone for Filter<R> {
    fn clone(&self) -> Self {
        Filter::new(self.json.clone())
    }
}

impl<R> fmt::Debug for Filter<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Filter({})", self.json)
    }
}

impl<R> PartialEq for Filter<R> {
    fn eq(&self, other: &Self) -> bool {
        self.json == other.json
    }
}
