//! Typed requests: rooted paths, typed filters and orders (`Select`), on
//! the storefront's generated links, against the equivalent JSON request on
//! SQLite and Postgres.

use std::sync::Arc;

use link_runtime::typed::Filter;
use link_runtime::{Databases, Db, Dir, Graph, NestedList, Query, Select};
use serde_json::json;
use storefront::links::{SalesChannelId, entities, paths};

async fn seeded(db: &Db) -> Query {
    storefront::app::run_on(db.clone()).await.unwrap();
    Query::new(
        Arc::new(storefront::links::GRAPH.clone()),
        Databases::single(db.clone()),
    )
}

#[test]
fn typed_filters_are_the_json_filters() {
    let p = paths::Product::root();
    let f: Filter<entities::Product> = p
        .sales_channels()
        .id()
        .eq(SalesChannelId::from("sc_456"))
        .or(p.title().like("%Sweat%"))
        .and(p.weight().is_null().not())
        .and(p.status().is_in(["published", "draft"]));
    assert_eq!(
        f.into_json(),
        json!({"$and": [
            {"$or": [
                {"sales_channels": {"id": {"$eq": "sc_456"}}},
                {"title": {"$like": "%Sweat%"}},
            ]},
            {"$not": {"weight": null}},
            {"status": {"$in": ["published", "draft"]}},
        ]})
    );
    assert_eq!(
        p.weight().gt(1.5).into_json(),
        json!({"weight": {"$gt": 1.5}})
    );
    assert_eq!(
        p.description().is_not_null().into_json(),
        json!({"description": {"$ne": null}})
    );
    assert_eq!(
        p.sales_channels_link()
            .sales_channel()
            .name()
            .ilike("web%")
            .into_json(),
        json!({"sales_channels_link": {"sales_channel": {"name": {"$ilike": "web%"}}}})
    );
    assert_eq!(
        p.is_giftcard().ne(true).into_json(),
        json!({"is_giftcard": {"$ne": true}})
    );
    assert_eq!(
        p.title().not_in(Vec::<String>::new()).into_json(),
        json!({"title": {"$nin": []}})
    );
    let s = Select::<entities::Product>::new()
        .field(p.id())
        .field(p.sales_channels().name())
        .filter(p.title().eq("Medusa T-Shirt"))
        .filter(p.handle().ne("x"))
        .order_by(p.title(), Dir::Desc)
        .take(2)
        .nested(
            p.sales_channels(),
            NestedList::new()
                .filter(paths::SalesChannel::root().name().like("W%"))
                .order_by(paths::SalesChannel::root().name(), Dir::Asc)
                .take(1),
        );
    let g = Graph::from_json(&json!({
        "entity": "product",
        "fields": ["id", "sales_channels.name"],
        "filters": {"$and": [{"title": {"$eq": "Medusa T-Shirt"}}, {"handle": {"$ne": "x"}}]},
        "pagination": {"take": 2, "order": {"title": "DESC"}},
        "nested": {"sales_channels": {"filters": {"name": {"$like": "W%"}}, "take": 1, "order": {"name": "ASC"}}},
    }))
    .unwrap();
    assert_eq!(s.into_graph(), g);
}

/// A typed request returns the root's entity with exactly the rows and
/// fields of the same request written in JSON.
#[tokio::test]
async fn select_returns_what_the_json_request_returns() {
    for db in link_tests::databases().await {
        let q = seeded(&db).await;
        let p = paths::Product::root();
        let typed = Select::<entities::Product>::new()
            .field(p.id())
            .field(p.title())
            .field(p.weight())
            .field(p.sales_channels().name())
            .filter(
                p.sales_channels()
                    .id()
                    .eq(SalesChannelId::from("sc_456"))
                    .or(p.title().like("%Sweat%"))
                    .and(p.weight().is_null().not()),
            )
            .order_by(p.title(), Dir::Desc)
            .nested(
                p.sales_channels(),
                NestedList::new().order_by(paths::SalesChannel::root().name(), Dir::Desc),
            );
        let json = Graph::from_json(&json!({
            "entity": "product",
            "fields": ["id", "title", "weight", "sales_channels.name"],
            "filters": {"$and": [
                {"$or": [{"sales_channels": {"id": {"$eq": "sc_456"}}}, {"title": {"$like": "%Sweat%"}}]},
                {"$not": {"weight": null}},
            ]},
            "pagination": {"order": {"title": "DESC"}},
            "nested": {"sales_channels": {"order": {"name": "DESC"}}},
        }))
        .unwrap();
        let a = q.select(typed).await.unwrap();
        let b = q.graph_as::<entities::Product>(json).await.unwrap();
        assert_eq!(a, b, "{}", db.dialect().name());
        let rows: Vec<(String, Option<f32>, Vec<String>)> = a
            .data
            .iter()
            .map(|r| {
                (
                    r.title.clone().unwrap(),
                    r.weight,
                    r.sales_channels
                        .as_ref()
                        .unwrap()
                        .iter()
                        .map(|s| s.name.clone().unwrap())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "Medusa T-Shirt".to_string(),
                    Some(400.0),
                    vec!["Webshop".to_string(), "Default Sales Channel".to_string()]
                ),
                (
                    "Medusa Sweatpants".to_string(),
                    Some(600.0),
                    vec!["Default Sales Channel".to_string()]
                ),
            ],
            "{}",
            db.dialect().name()
        );
        // Ids are typed in the generated entities.
        let first: Option<&storefront::links::ProductId> = a.data[0].id.as_ref();
        assert_eq!(first.map(|i| i.as_str()), Some("prod_123"));
        db.close().await;
    }
}
