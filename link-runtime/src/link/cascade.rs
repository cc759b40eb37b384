//! Delete with cascade, restore, purge.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use link_model::{Link as LinkDef, ScalarType, Side, StoredLink};

use crate::DateTime;
use crate::db::{Arg, Sql, Tx, now};
use crate::error::Error;

use super::*;

impl Link {
    /// Soft-deletes every link of the selected records and cascades to the
    /// records of sides marked `delete_cascade` (soft-deleting module rows
    /// whose model has a soft-delete column), recursively, never visiting a
    /// record twice. Reports what it touched; `restore_exact` undoes it.
    pub async fn delete(&self, selections: &[Selection]) -> Result<CascadeReport, Error> {
        self.cascade(selections, Mode::Delete(now())).await
    }

    /// Restores every soft-deleted link of the selected records (and cascades
    /// like `delete`), including older dismissals, as Medusa does.
    pub async fn restore(&self, selections: &[Selection]) -> Result<CascadeReport, Error> {
        self.cascade(selections, Mode::Restore(None)).await
    }

    /// Restores exactly what one `delete` removed: rows whose deletion time
    /// is the report's; older dismissals stay dismissed.
    pub async fn restore_exact(
        &self,
        selections: &[Selection],
        report: &CascadeReport,
    ) -> Result<CascadeReport, Error> {
        let Some(at) = report.at else {
            return Ok(CascadeReport::default());
        };
        self.cascade(selections, Mode::Restore(Some(at))).await
    }

    pub(crate) async fn cascade(
        &self,
        selections: &[Selection],
        mode: Mode,
    ) -> Result<CascadeReport, Error> {
        // Validate everything first.
        for sel in selections {
            self.links_of(sel)?;
        }
        let mut report = CascadeReport {
            at: match mode {
                Mode::Delete(t) | Mode::Restore(Some(t)) => Some(t),
                Mode::Restore(None) => None,
            },
            ..Default::default()
        };
        let mut txs: Vec<(String, Tx)> = vec![("default".to_string(), self.db().begin().await?)];
        let result = self
            .cascade_in(selections, mode, &mut txs, &mut report)
            .await;
        match result {
            Ok(()) => {
                for (_, tx) in txs {
                    tx.commit().await?;
                }
                let rows: Vec<LinkRow> = report.links.values().flatten().cloned().collect();
                let (action, change) = match mode {
                    Mode::Delete(_) => (Action::Detached, Change::Dismissed),
                    Mode::Restore(_) => (Action::Attached, Change::Restored),
                };
                self.emit(action, change, &rows);
                Ok(report)
            }
            Err(e) => {
                for (_, tx) in txs {
                    let _ = tx.rollback().await;
                }
                Err(e)
            }
        }
    }

    pub(crate) async fn cascade_in(
        &self,
        selections: &[Selection],
        mode: Mode,
        txs: &mut Vec<(String, Tx)>,
        report: &mut CascadeReport,
    ) -> Result<(), Error> {
        // Work list of (module, key, ids); visited (module, key, id).
        let mut queue: Vec<Selection> = selections.to_vec();
        let mut visited: HashSet<(String, String, String)> = HashSet::new();
        while let Some(sel) = queue.pop() {
            let ids: Vec<String> = sel
                .ids
                .iter()
                .filter(|id| visited.insert((sel.module.clone(), sel.key.clone(), (*id).clone())))
                .cloned()
                .collect();
            if ids.is_empty() {
                continue;
            }
            let links: Vec<(LinkDef, StoredLink, Side)> = self
                .links_of(&sel)?
                .into_iter()
                .map(|(d, s, side)| (d.clone(), s.clone(), side))
                .collect();
            for (def, st, side) in &links {
                let tx = &mut txs[0].1;
                let d = tx.dialect();
                let mut touched = Vec::new();
                for chunk in ids.chunks(CHUNK) {
                    let mut sql = Sql::new(d);
                    sql.push("UPDATE ")
                        .ident(&st.table)
                        .push(" SET \"deleted_at\" = ");
                    match mode {
                        Mode::Delete(t) => {
                            sql.arg(Arg::Time(t))
                                .push(", \"updated_at\" = ")
                                .arg(Arg::Time(t));
                            sql.push(" WHERE \"deleted_at\" IS NULL AND ");
                        }
                        Mode::Restore(at) => {
                            sql.push("NULL, \"updated_at\" = ").arg(Arg::Time(now()));
                            sql.push(" WHERE ");
                            match at {
                                Some(t) => sql
                                    .push("\"deleted_at\" = ")
                                    .arg(Arg::Time(t))
                                    .push(" AND "),
                                None => sql.push("\"deleted_at\" IS NOT NULL AND "),
                            };
                        }
                    }
                    sql.ident(&def.side(*side).key).push(" IN (");
                    push_list(&mut sql, chunk);
                    sql.push(")");
                    returning(&mut sql, d, def, st);
                    let rows = tx.fetch(&sql, &row_types(st)).await?;
                    touched.extend(rows.into_iter().map(|r| decode_row(def, st, r)));
                }
                let other = def.side(side.other());
                if other.delete_cascade && !touched.is_empty() {
                    let other_ids: Vec<String> = touched
                        .iter()
                        .map(|r| {
                            if *side == Side::Left {
                                r.right.clone()
                            } else {
                                r.left.clone()
                            }
                        })
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    if let Some(done) = self.cascade_records(other, &other_ids, mode, txs).await? {
                        report
                            .records
                            .entry(format!("{}.{}", other.module, other.model))
                            .or_default()
                            .extend(done.iter().cloned());
                        // Their links go too (or come back).
                        for key in self.keys_of(other) {
                            queue.push(Selection::new(other.module.to_string(), key, done.clone()));
                        }
                    }
                }
                report
                    .links
                    .entry(def.name.to_string())
                    .or_default()
                    .extend(touched);
            }
        }
        Ok(())
    }

    /// Linkable keys of a side's model that stand for the same column as the
    /// side's key.
    pub(crate) fn keys_of(&self, side: &link_model::LinkSide) -> Vec<String> {
        let Some(model) = self.graph.model(&side.module, &side.model) else {
            return vec![side.key.to_string()];
        };
        let column = model
            .linkable_keys
            .iter()
            .find(|k| k.name == side.key)
            .map(|k| k.column.clone());
        model
            .linkable_keys
            .iter()
            .filter(|k| Some(&k.column) == column.as_ref())
            .map(|k| k.name.to_string())
            .collect()
    }

    /// Soft-deletes (or restores) module records; `None` when the model has
    /// no soft-delete column.
    pub(crate) async fn cascade_records(
        &self,
        side: &link_model::LinkSide,
        ids: &[String],
        mode: Mode,
        txs: &mut Vec<(String, Tx)>,
    ) -> Result<Option<Vec<String>>, Error> {
        let Some(module) = self.graph.module(&side.module) else {
            return Ok(None);
        };
        let Some(model) = module.models.iter().find(|m| m.name == side.model) else {
            return Ok(None);
        };
        let Some(sd) = &model.soft_delete else {
            return Ok(None);
        };
        let column = model
            .linkable_keys
            .iter()
            .find(|k| k.name == side.key)
            .map_or(model.primary_key.as_ref(), |k| k.column.as_ref())
            .to_string();
        let ds = module.data_source.to_string();
        let db = self.dbs.get(&ds);
        let idx = match txs
            .iter()
            .position(|(name, _)| *name == ds || self.dbs.get(name).id() == db.id())
        {
            Some(i) => i,
            None => {
                txs.push((ds.clone(), db.begin().await?));
                txs.len() - 1
            }
        };
        let tx = &mut txs[idx].1;
        let mut done = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let mut sql = Sql::new(tx.dialect());
            sql.push("UPDATE ")
                .ident(&model.table)
                .push(" SET ")
                .ident(sd)
                .push(" = ");
            match mode {
                Mode::Delete(t) => {
                    sql.arg(Arg::Time(t))
                        .push(" WHERE ")
                        .ident(sd)
                        .push(" IS NULL AND ");
                }
                Mode::Restore(at) => {
                    sql.push("NULL WHERE ");
                    match at {
                        Some(t) => sql.ident(sd).push(" = ").arg(Arg::Time(t)).push(" AND "),
                        None => sql.ident(sd).push(" IS NOT NULL AND "),
                    };
                }
            }
            sql.ident(&column).push(" IN (");
            push_list(&mut sql, chunk);
            sql.push(") RETURNING ").ident(&column);
            let rows = tx.fetch(&sql, &[ScalarType::Text]).await?;
            done.extend(
                rows.into_iter()
                    .filter_map(|r| r.into_iter().next())
                    .filter_map(|v| match v {
                        Value::String(s) => Some(s),
                        _ => None,
                    }),
            );
        }
        Ok(Some(done))
    }

    /// Hard-deletes soft-deleted link rows: all of them, or those deleted
    /// before `older_than`. Returns the count per link.
    pub async fn purge(
        &self,
        older_than: Option<DateTime>,
    ) -> Result<BTreeMap<String, u64>, Error> {
        let mut out = BTreeMap::new();
        let mut tx = self.db().begin().await?;
        for (def, st) in self.graph.stored_links() {
            let mut sql = Sql::new(tx.dialect());
            sql.push("DELETE FROM ")
                .ident(&st.table)
                .push(" WHERE \"deleted_at\" IS NOT NULL");
            if let Some(t) = older_than {
                sql.push(" AND \"deleted_at\" < ").arg(Arg::Time(t));
            }
            match tx.execute(&sql).await {
                Ok(n) => {
                    out.insert(def.name.to_string(), n);
                }
                Err(e) => {
                    let _ = tx.rollback().await;
                    return Err(e.into());
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    Delete(DateTime),
    Restore(Option<DateTime>),
}
