//! Typed requests: [`Select`], a [`Graph`] rooted at entity `R` that takes
//! only paths, filters and orders of that root, and [`NestedList`], the
//! typed arguments of a nested list.

use std::marker::PhantomData;

use serde_json::Value;

use super::request::{Count, Dir, Graph, Nested};
use crate::typed::{AnyField, Field, Filter, QueryRoot, RelationPath};

/// A typed graph request rooted at entity `R` (a generated entity struct):
/// fields, filters and orders must be paths from `R`'s root, and
/// `Query::select` returns `R`s.
pub struct Select<R> {
    graph: Graph,
    _root: PhantomData<fn() -> R>,
}

impl<R: QueryRoot> Select<R> {
    /// A request for `R` with no fields yet.
    pub fn new() -> Self {
        Select {
            graph: Graph::new(R::ENTITY),
            _root: PhantomData,
        }
    }
}

impl<R: QueryRoot> Default for Select<R> {
    fn default() -> Self {
        Select::new()
    }
}

impl<R> Clone for Select<R> {
    fn clone(&self) -> Self {
        Select {
            graph: self.graph.clone(),
            _root: PhantomData,
        }
    }
}

impl<R> std::fmt::Debug for Select<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Select").field(&self.graph).finish()
    }
}

impl<R> Select<R> {
    /// Adds a field path (any of `R`'s paths, `all()` included).
    pub fn field(mut self, field: impl Into<AnyField<R>>) -> Self {
        self.graph.fields.push(field.into().as_str().to_string());
        self
    }

    /// Adds field paths.
    pub fn fields<I>(mut self, fields: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<AnyField<R>>,
    {
        for f in fields {
            self = self.field(f);
        }
        self
    }

    /// Narrows the roots: a second call must hold as well (`$and`).
    pub fn filter(mut self, filter: Filter<R>) -> Self {
        self.graph.filters = and_json(std::mem::take(&mut self.graph.filters), filter);
        self
    }

    /// Adds a root order term (a root field or a field of a to-one relation).
    pub fn order_by<T>(mut self, field: Field<R, T>, dir: Dir) -> Self {
        self.graph.order.push((field.as_str().to_string(), dir));
        self
    }

    /// Skips `n` roots.
    pub fn skip(mut self, n: u64) -> Self {
        self.graph.skip = Some(n);
        self
    }

    /// Returns at most `n` roots.
    pub fn take(mut self, n: u64) -> Self {
        self.graph.take = Some(n);
        self
    }

    /// Starts the page after `cursor` (a previous page's `Metadata::next`).
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.graph.after = Some(cursor.into());
        self
    }

    /// Sets how a paginated request counts its roots.
    pub fn count(mut self, count: Count) -> Self {
        self.graph.count = count;
        self
    }

    /// Includes soft-deleted records and links.
    pub fn with_deleted(mut self, yes: bool) -> Self {
        self.graph.with_deleted = yes;
        self
    }

    /// Sets the arguments of the nested list `relation` (a relation path
    /// from `R`, e.g. `paths::SalesChannel::root().products()`); its
    /// filters and order are paths of the listed entity.
    pub fn nested<P>(mut self, relation: P, list: NestedList<P::Target>) -> Self
    where
        P: RelationPath<Root = R>,
    {
        self.graph
            .nested
            .insert(relation.prefix().as_str().to_string(), list.nested);
        self
    }

    /// The untyped request.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The untyped request, owned.
    pub fn into_graph(self) -> Graph {
        self.graph
    }
}

/// `filters` and `filter` both holding.
fn and_json<R>(filters: Value, filter: Filter<R>) -> Value {
    match filters {
        Value::Null => filter.into_json(),
        f => serde_json::json!({"$and": [f, filter.into_json()]}),
    }
}

/// Typed arguments of a nested list of `T` records: filters narrowing only
/// that list, a per-parent limit and an order, by `T`'s own paths (from
/// `paths::T::root()`).
pub struct NestedList<T> {
    nested: Nested,
    _target: PhantomData<fn() -> T>,
}

impl<T> NestedList<T> {
    /// No filter, limit or order.
    pub fn new() -> Self {
        NestedList {
            nested: Nested::default(),
            _target: PhantomData,
        }
    }

    /// Narrows the list: a second call must hold as well (`$and`).
    pub fn filter(mut self, filter: Filter<T>) -> Self {
        self.nested.filters = and_json(std::mem::take(&mut self.nested.filters), filter);
        self
    }

    /// At most `n` records per parent.
    pub fn take(mut self, n: u64) -> Self {
        self.nested.take = Some(n);
        self
    }

    /// Adds an order term by a field of the listed records.
    pub fn order_by<V>(mut self, field: Field<T, V>, dir: Dir) -> Self {
        self.nested.order.push((field.as_str().to_string(), dir));
        self
    }
}

impl<T> Default for NestedList<T> {
    fn default() -> Self {
        NestedList::new()
    }
}

impl<T> Clone for NestedList<T> {
    fn clone(&self) -> Self {
        NestedList {
            nested: self.nested.clone(),
            _target: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for NestedList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("NestedList").field(&self.nested).finish()
    }
}
