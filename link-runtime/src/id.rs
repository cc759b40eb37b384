//! Typed ids: one type per linkable model, so a stock-location id cannot be
//! passed where a sales-channel id belongs.

use std::fmt;
use std::marker::PhantomData;

/// A linkable model as the generated code declares it (a marker type).
pub trait Entity: 'static {
    /// Module the model belongs to, e.g. `stock_location`.
    const MODULE: &'static str;
    /// Model name, e.g. `stock_location`.
    const NAME: &'static str;
}

/// The id of a record of model `M`.
///
/// Generated code names it per model (`pub type ProductId = Id<Product>;`).
/// It converts from and to `String`, displays as the bare id, serialises as
/// a string and encodes/decodes in sqlx as text.
pub struct Id<M> {
    value: String,
    _model: PhantomData<fn() -> M>,
}

impl<M> Id<M> {
    /// The id `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Id {
            value: value.into(),
            _model: PhantomData,
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The id as an owned `String`.
    pub fn into_string(self) -> String {
        self.value
    }
}

impl<M> Clone for Id<M> {
    fn clone(&self) -> Self {
        Id::new(self.value.clone())
    }
}

impl<M> PartialEq for Id<M> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<M> Eq for Id<M> {}

impl<M> PartialOrd for Id<M> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<M> Ord for Id<M> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl<M> std::hash::Hash for Id<M> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state)
    }
}

impl<M: Entity> fmt::Debug for Id<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Id({:?})", M::NAME, self.value)
    }
}

impl<M> fmt::Display for Id<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl<M> AsRef<str> for Id<M> {
    fn as_ref(&self) -> &str {
        &self.value
    }
}

impl<M> From<String> for Id<M> {
    fn from(value: String) -> Self {
        Id::new(value)
    }
}

impl<M> From<&str> for Id<M> {
    fn from(value: &str) -> Self {
        Id::new(value)
    }
}

impl<M> From<Id<M>> for String {
    fn from(id: Id<M>) -> String {
        id.value
    }
}

impl<M> serde::Serialize for Id<M> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.value)
    }
}

impl<'de, M> serde::Deserialize<'de> for Id<M> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Id::new)
    }
}

impl<M, DB: sqlx::Database> sqlx::Type<DB> for Id<M>
where
    String: sqlx::Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as sqlx::Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <String as sqlx::Type<DB>>::compatible(ty)
    }
}

impl<'q, M, DB: sqlx::Database> sqlx::Encode<'q, DB> for Id<M>
where
    String: sqlx::Encode<'q, DB>,
{
    fn encode_by_ref(
        &self,
        buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <String as sqlx::Encode<'q, DB>>::encode_by_ref(&self.value, buf)
    }
}

impl<'r, M, DB: sqlx::Database> sqlx::Decode<'r, DB> for Id<M>
where
    String: sqlx::Decode<'r, DB>,
{
    fn decode(
        value: <DB as sqlx::Database>::ValueRef<'r>,
    ) -> Result<Self, sqlx::error::BoxDynError> {
        <String as sqlx::Decode<'r, DB>>::decode(value).map(Id::new)
    }
}
