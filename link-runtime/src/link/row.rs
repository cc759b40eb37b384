//! Rows of link tables: what they read back as, and the SQL that reads them.

use serde_json::{Map, Value};

use link_model::{Link as LinkDef, LinkGraph, ScalarType, StoredLink};

use crate::db::{Arg, Dialect, Sql, select_expr};
use crate::error::Error;
use crate::value::LinkValue;

use super::*;

/// A row of a link table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkRow {
    /// The link (table) name.
    pub link: String,
    /// The row's id (`<prefix>_<ULID>`).
    pub id: String,
    /// The left side's key.
    pub left: String,
    /// The right side's key.
    pub right: String,
    /// Extra-column values.
    pub data: Map<String, Value>,
    /// When the row was inserted (as the database returns it).
    pub created_at: Value,
    /// When the row last changed.
    pub updated_at: Value,
    /// When the row was soft-deleted; null when live.
    pub deleted_at: Value,
}

impl LinkRow {
    /// The link value that re-creates this row (with its extra columns).
    pub fn to_value(&self) -> LinkValue {
        LinkValue::new(
            self.link.clone(),
            self.left.clone(),
            self.right.clone(),
            self.data.clone(),
        )
    }

    /// The row as the generated record struct (or any serde type whose
    /// fields are the table's columns).
    pub fn to_record<T: serde::de::DeserializeOwned>(&self, graph: &LinkGraph) -> Result<T, Error> {
        let Some(link) = graph.link(&self.link) else {
            return Err(unknown_link(graph, &self.link));
        };
        let mut obj = self.data.clone();
        obj.insert(link.left.key.to_string(), Value::String(self.left.clone()));
        obj.insert(
            link.right.key.to_string(),
            Value::String(self.right.clone()),
        );
        obj.insert("id".into(), Value::String(self.id.clone()));
        obj.insert("created_at".into(), self.created_at.clone());
        obj.insert("updated_at".into(), self.updated_at.clone());
        obj.insert("deleted_at".into(), self.deleted_at.clone());
        serde_json::from_value(Value::Object(obj)).map_err(|e| Error::InvalidValue {
            message: e.to_string(),
        })
    }

    /// Medusa's JSON shape: `{"<module>": {"<key>": id}, …, "data": {…}}`.
    pub fn to_json(&self, graph: &LinkGraph) -> Value {
        let mut obj = Map::new();
        if let Some(l) = graph.link(&self.link) {
            let mut side = |s: &link_model::LinkSide, v: &str| {
                let name = if l.left.module == l.right.module {
                    s.alias.to_string()
                } else {
                    s.module.to_string()
                };
                obj.insert(name, serde_json::json!({ s.key.as_ref(): v }));
            };
            side(&l.left, &self.left);
            side(&l.right, &self.right);
        }
        if !self.data.is_empty() {
            obj.insert("data".into(), Value::Object(self.data.clone()));
        }
        Value::Object(obj)
    }
}

/// Column types of a link row as selected by [`select_rows`].
pub(crate) fn row_types(st: &StoredLink) -> Vec<ScalarType> {
    let mut v = vec![ScalarType::Text, ScalarType::Text, ScalarType::Text];
    v.extend(st.extra_columns.iter().map(|c| c.ty));
    v.extend([ScalarType::Timestamp; 3]);
    v
}

pub(crate) fn row_columns(d: Dialect, def: &LinkDef, st: &StoredLink, alias: &str) -> String {
    let mut cols = vec![
        select_expr(d, alias, &def.left.key, ScalarType::Text),
        select_expr(d, alias, &def.right.key, ScalarType::Text),
        select_expr(d, alias, "id", ScalarType::Text),
    ];
    cols.extend(
        st.extra_columns
            .iter()
            .map(|c| select_expr(d, alias, &c.name, c.ty)),
    );
    for c in ["created_at", "updated_at", "deleted_at"] {
        cols.push(select_expr(d, alias, c, ScalarType::Timestamp));
    }
    cols.join(", ")
}

pub(crate) fn select_rows(sql: &mut Sql, d: Dialect, def: &LinkDef, st: &StoredLink) {
    sql.push("SELECT ")
        .push(&row_columns(d, def, st, &st.table))
        .push(" FROM ")
        .ident(&st.table);
}

pub(crate) fn returning(sql: &mut Sql, d: Dialect, def: &LinkDef, st: &StoredLink) {
    sql.push(" RETURNING ")
        .push(&row_columns(d, def, st, &st.table));
}

pub(crate) fn decode_row(def: &LinkDef, st: &StoredLink, row: Vec<Value>) -> LinkRow {
    let mut it = row.into_iter();
    let mut text = || match it.next() {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    let (left, right, id) = (text(), text(), text());
    let mut data = Map::new();
    for c in st.extra_columns.iter() {
        data.insert(c.name.to_string(), it.next().unwrap_or(Value::Null));
    }
    LinkRow {
        link: def.name.to_string(),
        id,
        left,
        right,
        data,
        created_at: it.next().unwrap_or(Value::Null),
        updated_at: it.next().unwrap_or(Value::Null),
        deleted_at: it.next().unwrap_or(Value::Null),
    }
}

pub(crate) fn push_list(sql: &mut Sql, ids: &[String]) {
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.arg(Arg::Text(id.clone()));
    }
}

/// `(lk, rk) ∈ pairs` with the pairs as two bound arrays, one statement
/// shape whatever their number: `IN (SELECT * FROM unnest($1, $2))` on
/// Postgres, two `json_each` joined by position on SQLite.
pub(crate) fn pair_condition(sql: &mut Sql, def: &LinkDef, pairs: &[(String, String)]) {
    let (lefts, rights): (Vec<String>, Vec<String>) = pairs.iter().cloned().unzip();
    sql.push("(")
        .ident(&def.left.key)
        .push(", ")
        .ident(&def.right.key)
        .push(") IN (");
    match sql.dialect() {
        Dialect::Postgres => {
            sql.push("SELECT * FROM unnest(CAST(")
                .arg(Arg::TextArray(lefts))
                .push(" AS text[]), CAST(")
                .arg(Arg::TextArray(rights))
                .push(" AS text[]))");
        }
        Dialect::Sqlite => {
            sql.push("SELECT \"a\".\"value\", \"b\".\"value\" FROM json_each(")
                .arg(Arg::TextArray(lefts))
                .push(") AS \"a\" JOIN json_each(")
                .arg(Arg::TextArray(rights))
                .push(") AS \"b\" ON \"a\".\"key\" = \"b\".\"key\"");
        }
    }
    sql.push(")");
}
