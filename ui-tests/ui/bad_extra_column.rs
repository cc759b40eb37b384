#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;

#[link_macros::define_link(
    left = "order.order",
    right = "stock_location.stock_location",
    table = "order_location_note",
    extra_columns(note(type = "string"), rank(type = "integer", default = "high")),
)]
pub mod order_location_note {}

fn main() {}
