#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;

// links.toml already stores this pair in product_sales_channel.
#[link_macros::define_link(
    left(model = "product.product", is_list, alias = "item"),
    right(model = "sales_channel.sales_channel", is_list, alias = "channel"),
    table = "product_sales_channel",
)]
pub mod product_sales_channel_again {}

fn main() {}
