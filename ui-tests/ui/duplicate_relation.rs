#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;

// product already has `sales_channels` from links.toml.
#[link_macros::define_link(
    left(model = "product.product", is_list),
    right(model = "sales_channel.sales_channel", is_list),
    table = "product_featured_channel",
)]
pub mod featured {}

fn main() {}
