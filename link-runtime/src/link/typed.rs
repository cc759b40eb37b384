//! Typed rows: the generated `…Record` of a link instead of [`LinkRow`]'s
//! strings and JSON, for typed values.

use serde_json::{Map, Value};

use super::{Link, LinkRow, ListFilter};
use crate::error::Error;
use crate::value::TypedLink;

impl Link {
    /// [`Link::create`] for typed values of one link, returning its
    /// generated rows (`…Record`: typed ids, typed extra columns).
    pub async fn create_records<T: TypedLink>(
        &self,
        values: Vec<T>,
    ) -> Result<Vec<T::Record>, Error> {
        let rows = self.create(values).await?;
        let keys = self.key_columns(T::LINK)?;
        rows.iter().map(|r| record::<T>(keys, r)).collect()
    }

    /// [`Link::list`] of link `T`'s rows as its generated records (rows of
    /// other links the filter matches are left out).
    pub async fn list_records<T: TypedLink>(
        &self,
        filter: &ListFilter,
        with_deleted: bool,
    ) -> Result<Vec<T::Record>, Error> {
        let rows = self.list(filter, with_deleted).await?;
        let keys = self.key_columns(T::LINK)?;
        rows.iter()
            .filter(|r| r.link == T::LINK)
            .map(|r| record::<T>(keys, r))
            .collect()
    }

    /// The key columns (left, right) of stored link `name`.
    fn key_columns(&self, name: &str) -> Result<(&str, &str), Error> {
        let (def, _) = self.stored(name)?;
        Ok((&def.left.key, &def.right.key))
    }
}

/// One row as link `T`'s record: its columns by name, then typed.
fn record<T: TypedLink>((left, right): (&str, &str), row: &LinkRow) -> Result<T::Record, Error> {
    let mut cols = Map::with_capacity(6 + row.data.len());
    cols.insert(left.to_string(), Value::from(row.left.as_str()));
    cols.insert(right.to_string(), Value::from(row.right.as_str()));
    cols.insert("id".to_string(), Value::from(row.id.as_str()));
    for (k, v) in &row.data {
        cols.insert(k.clone(), v.clone());
    }
    cols.insert("created_at".to_string(), row.created_at.clone());
    cols.insert("updated_at".to_string(), row.updated_at.clone());
    cols.insert("deleted_at".to_string(), row.deleted_at.clone());
    serde_json::from_value(Value::Object(cols)).map_err(|e| Error::InvalidValue {
        message: format!("a `{}` row does not read as its record: {e}", row.link),
    })
}
