#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;

// The seed document's stock-location example: the wrong key on stock_location.
#[link_macros::define_link(
    left(model = "sales_channel.sales_channel"),
    right(model = "stock_location.stock_location", key = "sales_channel_id"),
    table = "sales_channel_location_again",
)]
pub mod channel_location {}

fn main() {}
