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

mod derived {
    use link_runtime::{DateTime, Selectable};
    use serde::Deserialize;
    use storefront::links::{OrderId, ProductId, StockLocationId};

    use super::*;

    #[derive(link_runtime::Select, Deserialize, Debug, PartialEq)]
    #[select(entity = paths::SalesChannel)]
    pub struct ChannelCard {
        pub id: SalesChannelId,
        pub name: String,
        pub description: Option<String>,
        pub is_disabled: bool,
        pub products: Vec<ProductTitle>,
    }

    #[derive(link_runtime::Select, Deserialize, Debug, PartialEq)]
    #[select(entity = paths::Product)]
    pub struct ProductTitle {
        pub id: ProductId,
        #[select(field = "title")]
        #[serde(rename = "title")]
        pub name: String,
        pub weight: Option<f32>,
    }

    #[derive(link_runtime::Select, Deserialize, Debug, PartialEq)]
    #[select(entity = paths::Order)]
    pub struct OrderCard {
        pub id: OrderId,
        pub display_id: Option<i32>,
        pub created_at: DateTime,
        pub metadata: Option<serde_json::Value>,
        pub sales_channel: Option<ChannelName>,
        pub fulfillment_location_link: Option<Fulfillment>,
    }

    #[derive(link_runtime::Select, Deserialize, Debug, PartialEq)]
    #[select(entity = paths::SalesChannel)]
    pub struct ChannelName {
        pub name: String,
    }

    /// A `_link` row with its extra column and the record on its far side.
    #[derive(link_runtime::Select, Deserialize, Debug, PartialEq)]
    #[select(entity = paths::OrderFulfillmentLocation)]
    pub struct Fulfillment {
        pub stock_location_id: StockLocationId,
        pub priority: i32,
        pub fulfillment_location: Option<LocationName>,
    }

    #[derive(link_runtime::Select, Deserialize, Debug, PartialEq)]
    #[select(entity = paths::StockLocation)]
    pub struct LocationName {
        pub name: String,
    }

    /// `fetch::<T>` returns exactly what the equivalent JSON request,
    /// deserialised into the same structs, returns.
    #[tokio::test]
    async fn derived_selections_return_what_the_json_request_returns() {
        for db in link_tests::databases().await {
            let d = db.dialect().name();
            let q = seeded(&db).await;
            let p = paths::SalesChannel::root();
            let typed = Select::new()
                .filter(p.is_disabled().eq(false))
                .order_by(p.name(), Dir::Asc)
                .take(2)
                .nested(
                    p.products(),
                    NestedList::new().order_by(paths::Product::root().title(), Dir::Asc),
                );
            let a = q.fetch::<ChannelCard>(typed).await.unwrap();
            let json = Graph::from_json(&json!({
                "entity": "sales_channel",
                "fields": ["id", "name", "description", "is_disabled", "products.id", "products.title", "products.weight"],
                "filters": {"is_disabled": {"$eq": false}},
                "pagination": {"take": 2, "order": {"name": "ASC"}},
                "nested": {"products": {"order": {"title": "ASC"}}},
            }))
            .unwrap();
            let b = q.graph_as::<ChannelCard>(json).await.unwrap();
            assert_eq!(a, b, "{d}");
            assert_eq!(
                a.data,
                [
                    ChannelCard {
                        id: "sc_123".into(),
                        name: "Default Sales Channel".into(),
                        description: Some("Created by default".into()),
                        is_disabled: false,
                        products: vec![
                            ProductTitle {
                                id: "prod_456".into(),
                                name: "Medusa Sweatpants".into(),
                                weight: Some(600.0),
                            },
                            ProductTitle {
                                id: "prod_123".into(),
                                name: "Medusa T-Shirt".into(),
                                weight: Some(400.0),
                            },
                        ],
                    },
                    ChannelCard {
                        id: "sc_456".into(),
                        name: "Webshop".into(),
                        description: None,
                        is_disabled: false,
                        products: vec![ProductTitle {
                            id: "prod_123".into(),
                            name: "Medusa T-Shirt".into(),
                            weight: Some(400.0),
                        }],
                    },
                ],
                "{d}"
            );
            let m = a.metadata.unwrap();
            assert_eq!((m.count, m.skip, m.take), (Some(2), 0, Some(2)), "{d}");

            // To-one relations, a `_link` row with its extra column, and
            // the record behind it; absent ones are `None`.
            let o = paths::Order::root();
            let a = q
                .fetch::<OrderCard>(Select::new().order_by(o.id(), Dir::Asc))
                .await
                .unwrap();
            let json = Graph::from_json(&json!({
                "entity": "order",
                "fields": ["id", "display_id", "created_at", "metadata", "sales_channel.name",
                    "fulfillment_location_link.stock_location_id", "fulfillment_location_link.priority",
                    "fulfillment_location_link.fulfillment_location.name"],
                "pagination": {"order": {"id": "ASC"}},
            }))
            .unwrap();
            let b = q.graph_as::<OrderCard>(json).await.unwrap();
            assert_eq!(a, b, "{d}");
            let rows: Vec<_> = a
                .data
                .iter()
                .map(|r| {
                    (
                        r.id.as_str(),
                        r.display_id,
                        r.sales_channel.as_ref().map(|s| s.name.as_str()),
                        r.fulfillment_location_link.as_ref().map(|f| {
                            (
                                f.stock_location_id.as_str(),
                                f.priority,
                                f.fulfillment_location.as_ref().map(|l| l.name.as_str()),
                            )
                        }),
                    )
                })
                .collect();
            assert_eq!(
                rows,
                [
                    (
                        "order_1",
                        Some(1),
                        Some("Default Sales Channel"),
                        Some(("sloc_123", 1, Some("European Warehouse")))
                    ),
                    ("order_2", Some(2), Some("Webshop"), None),
                ],
                "{d}"
            );
            assert!(a.metadata.is_none());
            db.close().await;
        }
    }

    /// The request a selection makes.
    #[test]
    fn a_selection_requests_its_members() {
        let mut fields = Vec::new();
        OrderCard::request(&link_runtime::PathPrefix::root(), &mut fields);
        assert_eq!(
            fields,
            [
                "id",
                "display_id",
                "created_at",
                "metadata",
                "sales_channel.name",
                "fulfillment_location_link.stock_location_id",
                "fulfillment_location_link.priority",
                "fulfillment_location_link.fulfillment_location.name",
            ]
        );
    }
}

mod list_args {
    use link_runtime::Selectable;
    use serde::Deserialize;
    use storefront::links::ProductId;

    use super::*;

    /// Each channel's first product by title, descending.
    #[derive(link_runtime::Select, Deserialize, Debug, PartialEq)]
    #[select(entity = paths::SalesChannel)]
    pub struct ChannelTop {
        pub id: SalesChannelId,
        #[select(take = 1, order(title = "desc"))]
        pub products: Vec<Titled>,
    }

    #[derive(link_runtime::Select, Deserialize, Debug, PartialEq)]
    #[select(entity = paths::Product)]
    pub struct Titled {
        pub id: ProductId,
        pub title: String,
    }

    /// Each channel's products whose title matches, by title, at most 5.
    #[derive(link_runtime::Select, Deserialize, Debug, PartialEq)]
    #[select(entity = paths::SalesChannel)]
    pub struct ChannelShirts {
        pub id: SalesChannelId,
        #[select(
            filter = paths::Product::root().title().like("%Shirt%").or(paths::Product::root().handle().eq("sweatpants")),
            take = 5,
            order(title = "asc")
        )]
        pub products: Vec<Titled>,
    }

    /// `#[select(filter = ..)]` on a list member is the nested list's
    /// `filters`: the same rows as the JSON request with them.
    #[tokio::test]
    async fn list_filter_of_a_selection() {
        for db in link_tests::databases().await {
            let d = db.dialect().name();
            let q = seeded(&db).await;
            let c = paths::SalesChannel::root();
            let a = q
                .fetch::<ChannelShirts>(Select::new().order_by(c.id(), Dir::Asc))
                .await
                .unwrap();
            let json = Graph::from_json(&json!({
                "entity": "sales_channel",
                "fields": ["id", "products.id", "products.title"],
                "pagination": {"order": {"id": "ASC"}},
                "nested": {"products": {
                    "filters": {"$or": [{"title": {"$like": "%Shirt%"}}, {"handle": {"$eq": "sweatpants"}}]},
                    "take": 5,
                    "order": {"title": "ASC"},
                }},
            }))
            .unwrap();
            let b = q.graph_as::<ChannelShirts>(json).await.unwrap();
            assert_eq!(a, b, "{d}");
            let rows: Vec<(&str, Vec<&str>)> = a
                .data
                .iter()
                .map(|c| {
                    (
                        c.id.as_str(),
                        c.products.iter().map(|p| p.title.as_str()).collect(),
                    )
                })
                .collect();
            assert_eq!(
                rows,
                [
                    ("sc_123", vec!["Medusa Sweatpants", "Medusa T-Shirt"]),
                    ("sc_456", vec!["Medusa T-Shirt"]),
                    ("sc_789", vec![]),
                ],
                "{d}"
            );
            // Only the filter: the T-shirt.
            let mut nested = std::collections::BTreeMap::new();
            ChannelShirts::nested(&link_runtime::PathPrefix::root(), &mut nested);
            assert_eq!(
                nested["products"].filters,
                json!({"$or": [{"title": {"$like": "%Shirt%"}}, {"handle": {"$eq": "sweatpants"}}]})
            );
            db.close().await;
        }
    }

    /// `#[select(take, order)]` on a list member is the nested list's
    /// arguments; `Select::nested` for the same list wins.
    #[tokio::test]
    async fn list_arguments_of_a_selection() {
        for db in link_tests::databases().await {
            let d = db.dialect().name();
            let q = seeded(&db).await;
            let a = q
                .fetch::<ChannelTop>(
                    Select::new().order_by(paths::SalesChannel::root().id(), Dir::Asc),
                )
                .await
                .unwrap();
            let json = Graph::from_json(&json!({
                "entity": "sales_channel",
                "fields": ["id", "products.id", "products.title"],
                "pagination": {"order": {"id": "ASC"}},
                "nested": {"products": {"take": 1, "order": {"title": "DESC"}}},
            }))
            .unwrap();
            let b = q.graph_as::<ChannelTop>(json).await.unwrap();
            assert_eq!(a, b, "{d}");
            let rows: Vec<(&str, Vec<&str>)> = a
                .data
                .iter()
                .map(|c| {
                    (
                        c.id.as_str(),
                        c.products.iter().map(|p| p.title.as_str()).collect(),
                    )
                })
                .collect();
            assert_eq!(
                rows,
                [
                    ("sc_123", vec!["Medusa T-Shirt"]),
                    ("sc_456", vec!["Medusa T-Shirt"]),
                    ("sc_789", vec![]),
                ],
                "{d}"
            );
            // The request's own arguments for the list win.
            let p = paths::SalesChannel::root();
            let a = q
                .fetch::<ChannelTop>(
                    Select::new()
                        .filter(p.id().eq(SalesChannelId::from("sc_123")))
                        .nested(
                            p.products(),
                            NestedList::new().order_by(paths::Product::root().title(), Dir::Asc),
                        ),
                )
                .await
                .unwrap();
            let titles: Vec<&str> = a.data[0]
                .products
                .iter()
                .map(|p| p.title.as_str())
                .collect();
            assert_eq!(titles, ["Medusa Sweatpants", "Medusa T-Shirt"], "{d}");
            db.close().await;
        }
    }
}

mod streams {
    use storefront::links::{ProductId, values};

    use super::derived::{ChannelCard, ProductTitle};
    use super::*;

    /// A product with its channels (a list across the link table).
    #[derive(link_runtime::Select, Debug, PartialEq)]
    #[select(entity = paths::Product)]
    pub struct ProductChannels {
        pub id: ProductId,
        pub title: String,
        #[select(order(name = "asc"))]
        pub sales_channels: Vec<ChannelNameId>,
    }

    #[derive(link_runtime::Select, Debug, PartialEq)]
    #[select(entity = paths::SalesChannel)]
    pub struct ChannelNameId {
        pub id: SalesChannelId,
        pub name: String,
    }

    /// The storefront's graph with the sales channel module in database
    /// `channels`, seeded like the storefront: module records, the three
    /// product–channel links.
    async fn split(main: Db, channels: Db) -> Query {
        let mut g = storefront::links::GRAPH.clone();
        for m in g.modules.to_mut() {
            if m.name == "sales_channel" {
                m.data_source = "channels".into();
            }
        }
        let dbs = Databases::single(main.clone()).with("channels", channels);
        main.execute_script(&link_tests::link_migration(&g, main.dialect()))
            .await
            .unwrap();
        link_tests::seed_modules(&g, &dbs).await;
        let g = Arc::new(g);
        link_runtime::Link::new(g.clone(), dbs.clone())
            .create(vec![
                values::ProductSalesChannel::new(
                    ProductId::from("prod_123"),
                    SalesChannelId::from("sc_123"),
                ),
                values::ProductSalesChannel::new(
                    ProductId::from("prod_456"),
                    SalesChannelId::from("sc_123"),
                ),
                values::ProductSalesChannel::new(
                    ProductId::from("prod_123"),
                    SalesChannelId::from("sc_456"),
                ),
            ])
            .await
            .unwrap();
        Query::new(g, dbs)
    }

    /// Every setup: each database alone (storefront seed), and the sales
    /// channels apart (two SQLite files; SQLite and Postgres).
    async fn setups() -> (Vec<(String, Query)>, [std::path::PathBuf; 2]) {
        let mut out = Vec::new();
        for db in link_tests::databases().await {
            out.push((db.dialect().name().to_string(), seeded(&db).await));
        }
        let (a, pa) = link_tests::sqlite_file().await;
        let (b, pb) = link_tests::sqlite_file().await;
        out.push(("sqlite + sqlite".into(), split(a, b).await));
        if let Some(pg) = link_tests::postgres().await {
            out.push((
                "sqlite + postgres".into(),
                split(link_tests::sqlite().await, pg).await,
            ));
        }
        (out, [pa, pb])
    }

    async fn collect<T: Send + 'static>(mut s: link_runtime::FetchStream<T>) -> Vec<Vec<T>> {
        let mut chunks = Vec::new();
        while let Some(c) = s.next().await {
            chunks.push(c.unwrap());
        }
        chunks
    }

    /// `fetch_stream::<T>` returns, chunk after chunk, exactly the rows
    /// `fetch::<T>` returns for the same request: chunks smaller than the
    /// data, nested lists, orders by key and by another field, and the
    /// related records in another database.
    #[tokio::test]
    async fn typed_streams_return_what_fetch_returns() {
        let (setups, files) = setups().await;
        for (setup, q) in setups {
            let c = paths::SalesChannel::root();
            for chunk in [1, 2, 5] {
                let all = q
                    .fetch::<ChannelCard>(Select::new().order_by(c.id(), Dir::Asc))
                    .await
                    .unwrap()
                    .data;
                let chunks = collect(q.fetch_stream::<ChannelCard>(Select::new(), chunk)).await;
                let sizes: Vec<usize> = chunks.iter().map(Vec::len).collect();
                let expected_sizes: &[usize] = match chunk {
                    1 => &[1, 1, 1],
                    2 => &[2, 1],
                    _ => &[3],
                };
                assert_eq!(sizes, expected_sizes, "{setup} chunk {chunk}");
                let streamed: Vec<ChannelCard> = chunks.into_iter().flatten().collect();
                assert_eq!(streamed, all, "{setup} chunk {chunk}");
                let rows: Vec<(&str, Vec<&str>)> = streamed
                    .iter()
                    .map(|c| {
                        (
                            c.id.as_str(),
                            c.products.iter().map(|p| p.name.as_str()).collect(),
                        )
                    })
                    .collect();
                assert_eq!(
                    rows,
                    [
                        ("sc_123", vec!["Medusa T-Shirt", "Medusa Sweatpants"]),
                        ("sc_456", vec!["Medusa T-Shirt"]),
                        ("sc_789", vec![]),
                    ],
                    "{setup} chunk {chunk}"
                );
                assert_eq!(
                    streamed[1].products,
                    [ProductTitle {
                        id: "prod_123".into(),
                        name: "Medusa T-Shirt".into(),
                        weight: Some(400.0),
                    }],
                    "{setup}"
                );

                // Products by title, descending, with their channels.
                let p = paths::Product::root();
                let req = || Select::new().order_by(p.title(), Dir::Desc);
                let all = q.fetch::<ProductChannels>(req()).await.unwrap().data;
                let streamed: Vec<ProductChannels> =
                    collect(q.fetch_stream::<ProductChannels>(req(), chunk))
                        .await
                        .into_iter()
                        .flatten()
                        .collect();
                assert_eq!(streamed, all, "{setup} chunk {chunk}");
                let rows: Vec<(&str, Vec<&str>)> = streamed
                    .iter()
                    .map(|p| {
                        (
                            p.title.as_str(),
                            p.sales_channels.iter().map(|s| s.name.as_str()).collect(),
                        )
                    })
                    .collect();
                assert_eq!(
                    rows[..2],
                    [
                        ("Medusa T-Shirt", vec!["Default Sales Channel", "Webshop"]),
                        ("Medusa Sweatpants", vec!["Default Sales Channel"]),
                    ],
                    "{setup} chunk {chunk}"
                );
            }
        }
        for f in files {
            let _ = std::fs::remove_file(f);
        }
    }

    /// A typed stream pages itself, as the JSON stream does.
    #[tokio::test]
    async fn typed_streams_take_no_pagination() {
        let db = link_tests::sqlite().await;
        let q = seeded(&db).await;
        let mut s = q.fetch_stream::<ChannelCard>(Select::new().take(1), 2);
        let e = s.next().await.unwrap().unwrap_err();
        assert_eq!(
            e.to_string(),
            link_runtime::Error::InvalidPagination {
                message: "a stream pages itself: give no `skip`, `take` or `after`".into()
            }
            .to_string()
        );
        assert!(s.next().await.is_none());
    }
}
