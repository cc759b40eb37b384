use link_runtime::Select;
#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;
use links::paths;

#[derive(Select)]
#[select(entity = paths::SalesChannel)]
struct ChannelName {
    name: String,
}

#[derive(Select)]
#[select(entity = paths::Product)]
struct ProductTitle {
    title: String,
}

#[derive(Select)]
#[select(entity = paths::Order)]
struct OrderCard {
    // `order.sales_channel` is a to-one relation: `Option<_>`, not `Vec<_>`.
    sales_channel: Vec<ChannelName>,
}

#[derive(Select)]
#[select(entity = paths::SalesChannel)]
struct ChannelCard {
    // `sales_channel.products` is a list: `Vec<_>`, not `Option<_>`.
    products: Option<ProductTitle>,
}

fn main() {}
