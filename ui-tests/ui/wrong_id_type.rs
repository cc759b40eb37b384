#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;

use links::{SalesChannelId, StockLocationId};

fn main() {
    // A stock-location id where a sales-channel id belongs.
    let _ = links::values::SalesChannelStockLocation::new(
        StockLocationId::from("sloc_123"),
        SalesChannelId::from("sc_123"),
    );
}
