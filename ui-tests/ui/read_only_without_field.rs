#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;

#[link_macros::define_link(left = "cart.cart", right = "stock_location.stock_location", read_only)]
pub mod cart_location {}

fn main() {}
