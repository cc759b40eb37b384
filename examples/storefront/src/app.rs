//! What `cargo run -p storefront` does, as a library call so tests can run it.

use std::fmt::Write;
use std::sync::Arc;

use link_runtime::{Databases, Db, Dir, Error, Graph, Link, NestedList, Query, Select};
use serde_json::json;

use crate::links::{self, ApiKeyId, OrderId, ProductId, SalesChannelId, StockLocationId};
use crate::modules;
use crate::order_fulfillment_location::OrderFulfillmentLocation;
use crate::selections::{ChannelCard, OrderFulfillment};

/// The seed document's queries: entity and fields.
pub const QUERIES: [(&str, &[&str]); 5] = [
    ("sales_channel", &["id", "publishable_api_keys.*"]),
    ("cart", &["id", "sales_channel.*"]),
    ("order", &["id", "sales_channel.*"]),
    ("sales_channel", &["id", "products.*"]),
    ("sales_channel", &["id", "stock_locations.*"]),
];

/// Runs the storefront against `database_url`; returns what it prints.
pub async fn run(database_url: &str) -> Result<String, Error> {
    let db = Db::connect(database_url).await?;
    let out = run_on(db.clone()).await;
    db.close().await;
    out
}

/// [`run`] on an open database.
pub async fn run_on(db: Db) -> Result<String, Error> {
    let mut out = String::new();
    // 1. Each module's own migrations, then the generated link migrations.
    for m in modules::MODULES {
        modules::migrate(&db, m).await?;
    }
    link_runtime::migrate::run(&db, &links::MIGRATIONS).await?;
    writeln!(
        out,
        "# migrations: {} modules and the link tables are up to date ({})",
        modules::MODULES.len(),
        db.dialect().name()
    )
    .unwrap();

    // 2. Seed records (idempotent).
    for m in modules::MODULES {
        db.execute_script(modules::seed_sql(m.module)).await?;
    }

    // 3. The seed's three stored links, through the typed API.
    let graph = Arc::new(links::GRAPH.clone());
    let dbs = Databases::single(db.clone());
    let link = Link::new(graph.clone(), dbs.clone());
    link.create(vec![
        links::values::ProductSalesChannel::new(
            ProductId::from("prod_123"),
            SalesChannelId::from("sc_123"),
        ),
        links::values::ProductSalesChannel::new(
            ProductId::from("prod_456"),
            SalesChannelId::from("sc_123"),
        ),
        links::values::ProductSalesChannel::new(
            ProductId::from("prod_123"),
            SalesChannelId::from("sc_456"),
        ),
    ])
    .await?;
    link.create(links::values::PublishableApiKeySalesChannel::new(
        ApiKeyId::from("apk_123"),
        SalesChannelId::from("sc_123"),
    ))
    .await?;
    link.create(vec![
        links::values::SalesChannelStockLocation::new(
            SalesChannelId::from("sc_123"),
            StockLocationId::from("sloc_123"),
        ),
        links::values::SalesChannelStockLocation::new(
            SalesChannelId::from("sc_456"),
            StockLocationId::from("sloc_456"),
        ),
    ])
    .await?;
    writeln!(out, "# links: product_sales_channel, publishable_api_key_sales_channel, sales_channel_stock_location created").unwrap();

    // A link declared in Rust with `#[define_link]` (see `lib.rs`).
    link.create(
        OrderFulfillmentLocation::new(OrderId::from("order_1"), StockLocationId::from("sloc_123"))
            .with_priority(1),
    )
    .await?;
    writeln!(
        out,
        "# links: order_fulfillment_location (declared with #[define_link]) created"
    )
    .unwrap();

    // 4. The seed document's stock-location example as written (with
    //    `sales_channel_id` under stock_location) is a typed error here.
    let wrong = json!({
        "sales_channel": { "sales_channel_id": "sc_123" },
        "stock_location": { "sales_channel_id": "sloc_123" }
    });
    match link.create(wrong).await {
        Err(e) => writeln!(
            out,
            "# the seed's stock-location example as written: error: {e}"
        )
        .unwrap(),
        Ok(_) => writeln!(
            out,
            "# the seed's stock-location example as written: accepted"
        )
        .unwrap(),
    }

    // 5. Each query the seed document shows.
    let query = Query::new(graph, dbs);
    for (entity, fields) in QUERIES {
        let result = query
            .graph(Graph::new(entity).fields(fields.iter().copied()))
            .await?;
        writeln!(
            out,
            "\n## query.graph({{ entity: \"{entity}\", fields: {fields:?} }})"
        )
        .unwrap();
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&result.data).expect("JSON values serialise")
        )
        .unwrap();
    }
    // 6. The link declared in Rust, queried like any other.
    let fields = [
        "id",
        "fulfillment_location.name",
        "fulfillment_location_link.priority",
    ];
    let result = query.graph(Graph::new("order").fields(fields)).await?;
    writeln!(
        out,
        "\n## query.graph({{ entity: \"order\", fields: {fields:?} }})"
    )
    .unwrap();
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&result.data).expect("JSON values serialise")
    )
    .unwrap();

    // 7. Typed reads: derived selections, decoded straight into structs.
    let p = links::paths::SalesChannel::root();
    let cards = query
        .fetch::<ChannelCard>(
            Select::new()
                .filter(p.is_disabled().eq(false))
                .order_by(p.name(), Dir::Asc)
                .nested(
                    p.products(),
                    NestedList::new().order_by(links::paths::Product::root().title(), Dir::Asc),
                ),
        )
        .await?;
    writeln!(
        out,
        "\n## query.fetch::<ChannelCard>(enabled channels by name)"
    )
    .unwrap();
    for c in &cards.data {
        let products: Vec<&str> = c.products.iter().map(|p| p.title.as_str()).collect();
        let locations: Vec<&str> = c.stock_locations.iter().map(|l| l.name.as_str()).collect();
        writeln!(
            out,
            "{} {:?} ({}): products {products:?}, ships from {locations:?}",
            c.id,
            c.name,
            c.description.as_deref().unwrap_or("no description"),
        )
        .unwrap();
    }
    let o = links::paths::Order::root();
    let orders = query
        .fetch::<OrderFulfillment>(Select::new().order_by(o.id(), Dir::Asc))
        .await?;
    writeln!(out, "\n## query.fetch::<OrderFulfillment>()").unwrap();
    for order in &orders.data {
        match &order.fulfillment_location_link {
            Some(f) => writeln!(
                out,
                "{}: fulfilled from {} (priority {})",
                order.id,
                f.fulfillment_location
                    .as_ref()
                    .map_or("an unknown location", |l| l.name.as_str()),
                f.priority
            ),
            None => writeln!(out, "{}: no fulfillment location", order.id),
        }
        .unwrap();
    }
    Ok(out)
}
