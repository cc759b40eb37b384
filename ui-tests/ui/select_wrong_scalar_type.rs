use link_runtime::Select;
#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;
use links::{StockLocationId, paths};

#[derive(Select)]
#[select(entity = paths::Product)]
struct ProductCard {
    // `title` is text.
    title: i64,
    // `weight` is a nullable float.
    weight: Option<bool>,
    // `id` is a product id, not a stock-location id.
    id: StockLocationId,
}

fn main() {}
