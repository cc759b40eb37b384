#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;

#[link_macros::define_link(left = "prodcut.product", right = "sales_channel.sales_channel")]
pub mod product_channel {}

fn main() {}
