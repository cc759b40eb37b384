//! The seed's storefront: six modules (api_key, sales_channel, cart, order,
//! product, stock_location), each owning its tables, linked through the link
//! API generated from the workspace's `links.toml`.
//!
//! `cargo run -p storefront` applies the module and link migrations to an
//! embedded SQLite file (or `--database-url postgres://…`), seeds the seed
//! document's records, creates its three stored links through the typed API
//! and runs each query the seed document shows, then reads channels and
//! orders through derived selections ([`selections`]).

#![deny(missing_docs)]

pub mod app;
#[rustfmt::skip]
pub mod links;
pub mod modules;
pub mod selections;

/// The generated per-module link docs; their examples compile as doctests.
pub mod docs {
    #[doc = include_str!("../../../docs/links/api_key.md")]
    pub mod api_key {}
    #[doc = include_str!("../../../docs/links/cart.md")]
    pub mod cart {}
    #[doc = include_str!("../../../docs/links/order.md")]
    pub mod order {}
    #[doc = include_str!("../../../docs/links/product.md")]
    pub mod product {}
    #[doc = include_str!("../../../docs/links/sales_channel.md")]
    pub mod sales_channel {}
    #[doc = include_str!("../../../docs/links/stock_location.md")]
    pub mod stock_location {}
}

/// Orders are fulfilled from one stock location: a link declared in Rust
/// rather than in `links.toml`. The macro fills the module with the typed
/// link value and row record; `cargo xtask codegen` adds its table to the
/// migrations and its relations to the graph (`order.fulfillment_location`,
/// `stock_location.orders`).
#[link_runtime::define_link(
    left(model = "order.order", is_list),
    right(
        model = "stock_location.stock_location",
        alias = "fulfillment_location"
    ),
    table = "order_fulfillment_location",
    id_prefix = "ordloc",
    extra_columns(priority(type = "integer", default = 0))
)]
pub mod order_fulfillment_location {}
