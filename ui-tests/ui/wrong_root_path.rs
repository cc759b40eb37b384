#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;

use links::{entities, paths};

fn main() {
    // A sales-channel path in a product request.
    let _ = link_runtime::Select::<entities::Product>::new()
        .field(paths::Product::root().title())
        .field(paths::SalesChannel::root().name());
    // A sales-channel filter on products.
    let _ = link_runtime::Select::<entities::Product>::new()
        .filter(paths::SalesChannel::root().name().eq("Webshop"));
    // A filter value of the wrong type, and `like` on a number.
    let _ = paths::Product::root().weight().eq("heavy");
    let _ = paths::Product::root().weight().like("4%");
}
