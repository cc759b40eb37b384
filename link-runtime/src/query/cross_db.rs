//! Work across databases: relation filters that cannot be joined in SQL are
//! resolved to key sets before any statement of the request runs (deepest
//! first, each in the database of the records it reads), and nested lists
//! whose link table and target live apart are read as link rows, then
//! targets, and merged in the list's order.
//!
//! The result of a relation filter is the same set of rows wherever the
//! data lives: a key set is a bound array (no `IN (NULL)` for an empty one),
//! and its negation keeps rows whose key is NULL (see `filter`).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use link_model::ScalarType;

use super::Query;
use super::filter::Filter;
use super::plan::{Hop, LevelId, Plan};
use super::sql::{Resolved, Writer};
use super::stitch::{Row, Sink};
use crate::db::{Cell, CellRow, Db, Dialect, Sql};
use crate::error::Error;

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Data source of link tables.
const LINKS: &str = "default";

/// Keys in the first column of `rows`.
fn first_keys(rows: Vec<Vec<Cell>>) -> Vec<String> {
    rows.into_iter()
        .filter_map(|r| r.into_iter().next())
        .filter_map(Cell::into_key)
        .collect()
}

impl Query {
    /// Resolves every relation filter of the plan that crosses databases.
    pub(super) async fn resolve(&self, plan: &Plan) -> Result<Resolved, Error> {
        let root = plan.root();
        let mut res = Resolved {
            root_semi_join: self.dbs.get(&root.info.data_source).dialect() == Dialect::Sqlite
                && !root.filter.narrows_by_field(),
            ..Resolved::default()
        };
        for level in &plan.levels {
            self.resolve_filter(plan, &level.filter, &level.info.data_source, &mut res)
                .await?;
        }
        Ok(res)
    }

    /// Resolves the relation filters of `f`, a filter on records of data
    /// source `here`.
    fn resolve_filter<'a>(
        &'a self,
        plan: &'a Plan,
        f: &'a Filter,
        here: &'a str,
        res: &'a mut Resolved,
    ) -> BoxFut<'a, Result<(), Error>> {
        Box::pin(async move {
            for r in f.relations() {
                let there = r.target.data_source.as_str();
                // Deeper relation filters first, on the target's records.
                self.resolve_filter(plan, &r.inner, there, res).await?;
                let target_db = self.dbs.get(there);
                let td = target_db.dialect();
                match &r.hop {
                    Hop::Direct { child_col, .. } => {
                        if self.dbs.same(here, there) {
                            continue;
                        }
                        let mut sql = Sql::new(td);
                        Writer::new(plan, res, td)
                            .matching(&mut sql, &r.target, child_col, &r.inner);
                        let keys =
                            first_keys(target_db.fetch_cells(&sql, &[ScalarType::Text]).await?);
                        res.parent_keys.insert(r.id, keys);
                    }
                    Hop::Pivot { child_col, .. } => {
                        let here_links = self.dbs.same(here, LINKS);
                        let links_there = self.dbs.same(LINKS, there);
                        if here_links && links_there {
                            continue;
                        }
                        if links_there {
                            // Link table with the target: parent keys there.
                            let mut sql = Sql::new(td);
                            Writer::new(plan, res, td)
                                .matching_through(&mut sql, &r.target, &r.hop, &r.inner);
                            let keys =
                                first_keys(target_db.fetch_cells(&sql, &[ScalarType::Text]).await?);
                            res.parent_keys.insert(r.id, keys);
                            continue;
                        }
                        let mut sql = Sql::new(td);
                        Writer::new(plan, res, td)
                            .matching(&mut sql, &r.target, child_col, &r.inner);
                        let targets =
                            first_keys(target_db.fetch_cells(&sql, &[ScalarType::Text]).await?);
                        if here_links {
                            // Link table here: an EXISTS over it and the target keys.
                            res.target_keys.insert(r.id, targets);
                            continue;
                        }
                        // All apart: parent keys from the link table's database.
                        let links = self.dbs.get(LINKS);
                        let ld = links.dialect();
                        let mut sql = Sql::new(ld);
                        Writer::new(plan, res, ld).pivot_parents(&mut sql, &r.hop, &targets);
                        let keys = first_keys(links.fetch_cells(&sql, &[ScalarType::Text]).await?);
                        res.parent_keys.insert(r.id, keys);
                    }
                }
            }
            Ok(())
        })
    }

    /// The rows of nested list `id` for `parents` when its link table lives
    /// in another database than its target: link rows in link order, then
    /// the targets with their rank in the list's order; each parent's list
    /// is ordered by rank, then link order, and cut at the list's `take`,
    /// as one statement joining both would.
    pub(super) async fn fetch_apart<S: Sink>(
        &self,
        plan: &Plan,
        resolved: &Resolved,
        id: LevelId,
        parents: &[String],
    ) -> Result<Vec<Row<S>>, Error> {
        let level = &plan.levels[id];
        let hop = &plan.edge(id).hop;
        let links = self.dbs.get(LINKS);
        let mut sql = Sql::new(links.dialect());
        Writer::new(plan, resolved, links.dialect()).link_pairs(&mut sql, hop, parents);
        let pairs = links
            .fetch_cells(&sql, &[ScalarType::Text, ScalarType::Text])
            .await?;
        let pairs: Vec<(String, String)> = pairs
            .into_iter()
            .filter_map(|r| {
                let mut it = r.into_iter();
                let p = it.next()?.into_key()?;
                let t = it.next()?.into_key()?;
                Some((p, t))
            })
            .collect();
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let mut targets: Vec<String> = pairs.iter().map(|(_, t)| t.clone()).collect();
        targets.sort_unstable();
        targets.dedup();
        let db: &Db = self.dbs.get(&level.info.data_source);
        let d = db.dialect();
        let cols = level.columns(plan);
        let mut sql = Sql::new(d);
        Writer::new(plan, resolved, d).targets(&mut sql, id, &cols, &targets);
        let mut types: Vec<ScalarType> = cols.iter().map(|(_, t)| *t).collect();
        types.extend([ScalarType::Text, ScalarType::BigInt]);
        let mut by_key: HashMap<String, (i64, CellRow)> = HashMap::new();
        for mut r in db.fetch_rows(&sql, &types).await? {
            let rank = r.pop().and_then(|v| v.as_i64()).unwrap_or(0);
            let Some(t) = r.pop().and_then(Cell::into_key) else {
                continue;
            };
            by_key.insert(t, (rank, r));
        }
        let mut found: Vec<(&str, i64, usize, &CellRow)> = pairs
            .iter()
            .enumerate()
            .filter_map(|(pos, (p, t))| {
                by_key
                    .get(t)
                    .map(|(rank, vals)| (p.as_str(), *rank, pos, vals))
            })
            .collect();
        found.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        let mut out = Vec::with_capacity(found.len());
        // Each parent's run of rows shares its key.
        let mut run: Option<(&str, std::sync::Arc<str>, u64)> = None;
        for (p, _, _, vals) in found {
            let (key, n) = match &mut run {
                Some((q, key, n)) if *q == p => {
                    *n += 1;
                    (key.clone(), *n)
                }
                _ => {
                    let key: std::sync::Arc<str> = p.into();
                    run = Some((p, key.clone(), 1));
                    (key, 1)
                }
            };
            if level.take.is_some_and(|t| n > t) {
                continue;
            }
            out.push(Row::new(level, vals.clone(), Some(key)));
        }
        Ok(out)
    }
}
