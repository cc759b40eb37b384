//! `#[define_link]`: links declared in Rust, with the same output as
//! `links.toml`. All logic lives in `link_codegen::expand`; this crate only
//! hands it the tokens.
//!
//! ```ignore
//! #[link_macros::define_link(
//!     left(model = "order.order"),
//!     right(model = "stock_location.stock_location", is_list),
//!     table = "order_fulfillment_location",
//!     id_prefix = "ordloc",
//! )]
//! pub mod order_fulfillment_location {}
//! ```

use proc_macro::TokenStream;

/// Declares a link between two models of `links.toml` and expands to its
/// typed link value and row record (the module is filled with them).
#[proc_macro_attribute]
pub fn define_link(args: TokenStream, item: TokenStream) -> TokenStream {
    link_codegen::expand::define_link(args.into(), item.into()).into()
}
