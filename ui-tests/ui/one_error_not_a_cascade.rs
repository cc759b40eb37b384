#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;

// One mistake in the attribute gives one error, not a cascade at every use.
#[link_macros::define_link(left = "order.order", right = "stock_location.stock_location", is_lsit)]
pub mod order_location {}

fn main() {
    let value = order_location::OrderLocation::new("order_1", "sloc_1");
    let _ = value;
}
