//! Selections of records and pairs: `list`, and the links a selection reaches.

use serde_json::Value;

use link_model::{Link as LinkDef, ScalarType, Side, StoredLink};

use crate::db::Sql;
use crate::error::{Error, one_of};
use crate::value::LinkValue;

use super::*;

/// Rows one side's ids select: `module`'s records with `key` in `ids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The module of the records.
    pub module: String,
    /// The linkable key the ids are values of.
    pub key: String,
    /// The records' keys.
    pub ids: Vec<String>,
}

impl Selection {
    /// `module`'s records whose `key` is one of `ids`.
    pub fn new(
        module: impl Into<String>,
        key: impl Into<String>,
        ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> Selection {
        Selection {
            module: module.into(),
            key: key.into(),
            ids: ids.into_iter().map(Into::into).collect(),
        }
    }

    /// Typed: records of model `M` by their ids, through linkable key `key`
    /// (e.g. `Selection::of::<entities::SalesChannel>("sales_channel_id", [id])`).
    pub fn of<M: crate::id::Entity>(
        key: impl Into<String>,
        ids: impl IntoIterator<Item = crate::id::Id<M>>,
    ) -> Selection {
        Selection::new(
            M::MODULE,
            key,
            ids.into_iter().map(crate::id::Id::into_string),
        )
    }

    /// Medusa's shape: `{"sales_channel": {"sales_channel_id": ["sc_1"]}}`
    /// (one or many modules and keys; a single id or an array).
    pub fn from_json(v: &Value) -> Result<Vec<Selection>, Error> {
        let Value::Object(obj) = v else {
            return Err(Error::InvalidValue {
                message: format!("expected {{\"<module>\": {{\"<key>\": [ids]}}}}, found {v}"),
            });
        };
        let mut out = Vec::new();
        for (module, keys) in obj {
            let Value::Object(keys) = keys else {
                return Err(Error::InvalidValue {
                    message: format!("`{module}` must be an object of linkable keys to ids"),
                });
            };
            for (key, ids) in keys {
                let ids = match ids {
                    Value::String(s) => vec![s.clone()],
                    Value::Array(a) => a
                        .iter()
                        .map(|x| match x {
                            Value::String(s) => Ok(s.clone()),
                            other => Err(Error::InvalidValue {
                                message: format!(
                                    "`{module}.{key}` ids must be strings, found {other}"
                                ),
                            }),
                        })
                        .collect::<Result<_, _>>()?,
                    other => {
                        return Err(Error::InvalidValue {
                            message: format!(
                                "`{module}.{key}` must be an id or an array of ids, found {other}"
                            ),
                        });
                    }
                };
                out.push(Selection::new(module.clone(), key.clone(), ids));
            }
        }
        Ok(out)
    }
}

/// Which rows `list` returns.
#[derive(Debug, Clone, PartialEq)]
pub enum ListFilter {
    /// Exactly these pairs.
    Pairs(Vec<LinkValue>),
    /// Every link of these records.
    Of(Vec<Selection>),
}

impl Link {
    pub(crate) fn pairs_by_link(
        &self,
        values: Vec<LinkValue>,
    ) -> Result<Vec<(String, Vec<Pair>)>, Error> {
        let mut by_link: Vec<(String, Vec<(String, String)>)> = Vec::new();
        for v in values {
            let (def, _) = self.stored(&v.link)?;
            check_pair(def, &v.left, &v.right)?;
            match by_link.iter_mut().find(|(l, _)| *l == v.link) {
                Some((_, p)) => p.push((v.left, v.right)),
                None => by_link.push((v.link, vec![(v.left, v.right)])),
            }
        }
        Ok(by_link)
    }

    /// Live (or, with `with_deleted`, all) rows for the given pairs or records.
    pub async fn list(
        &self,
        filter: &ListFilter,
        with_deleted: bool,
    ) -> Result<Vec<LinkRow>, Error> {
        let de = |e| db_error(self.db(), e);
        let mut out = Vec::new();
        match filter {
            ListFilter::Pairs(values) => {
                for (name, pairs) in self.pairs_by_link(values.clone())? {
                    let (def, st) = self.stored(&name)?;
                    let mut sql = Sql::new(self.db().dialect());
                    select_rows(&mut sql, self.db().dialect(), def, st);
                    sql.push(" WHERE ");
                    if !with_deleted {
                        sql.live(None, "deleted_at").push(" AND ");
                    }
                    pair_condition(&mut sql, def, &pairs);
                    sql.push(" ORDER BY \"created_at\", \"id\"");
                    let rows = self.db().fetch(&sql, &row_types(st)).await.map_err(de)?;
                    out.extend(rows.into_iter().map(|r| decode_row(def, st, r)));
                }
            }
            ListFilter::Of(selections) => {
                let mut all = Vec::new();
                for sel in selections {
                    all.push((sel, self.links_of(sel)?));
                }
                for (sel, links) in all {
                    for (def, st, side) in links {
                        let mut sql = Sql::new(self.db().dialect());
                        select_rows(&mut sql, self.db().dialect(), def, st);
                        sql.push(" WHERE ");
                        if !with_deleted {
                            sql.live(None, "deleted_at").push(" AND ");
                        }
                        sql.push_in_keys(ScalarType::Text, &sel.ids, |s| {
                            s.ident(&def.side(side).key);
                        });
                        sql.push(" ORDER BY \"created_at\", \"id\"");
                        let rows = self.db().fetch(&sql, &row_types(st)).await.map_err(de)?;
                        out.extend(rows.into_iter().map(|r| decode_row(def, st, r)));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Stored links with a side of `sel.module` keyed by `sel.key`.
    pub(crate) fn links_of(
        &self,
        sel: &Selection,
    ) -> Result<Vec<(&LinkDef, &StoredLink, Side)>, Error> {
        let Some(module) = self.graph.module(&sel.module) else {
            return Err(Error::UnknownModule {
                module: sel.module.clone(),
                expected: one_of(self.graph.modules.iter().map(|m| m.name.as_ref())),
            });
        };
        let keys: Vec<&str> = module
            .models
            .iter()
            .flat_map(|m| m.linkable_keys.iter().map(|k| k.name.as_ref()))
            .collect();
        if !keys.contains(&sel.key.as_str()) {
            let model = module
                .models
                .first()
                .map_or(sel.module.as_str(), |m| m.name.as_ref());
            return Err(Error::UnknownKey {
                model: model.to_string(),
                key: sel.key.clone(),
                expected: one_of(keys),
            });
        }
        for id in &sel.ids {
            check_id(&sel.module, &sel.key, id)?;
        }
        let mut out = Vec::new();
        for (def, st) in self.graph.stored_links() {
            for side in [Side::Left, Side::Right] {
                let s = def.side(side);
                if s.module == sel.module && s.key == sel.key {
                    out.push((def, st, side));
                }
            }
        }
        Ok(out)
    }
}
