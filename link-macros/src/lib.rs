//! `#[define_link]`: links declared in Rust, with the same output as
//! `links.toml`; `#[derive(Select)]`: typed selections checked against the
//! generated paths. All logic lives in `link_codegen::expand` and
//! `link_codegen::select`; this crate only hands them the tokens.
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

/// Derives `link_runtime::Selectable` for a struct whose fields select the
/// fields and relations of an entity: `#[select(entity = links::paths::X)]`
/// on the struct, `#[select(field = "name")]` on a member to rename it, and
/// on a list member its list's arguments: `take = N`, `order(field =
/// "asc" | "desc", ..)` and `filter = <expression>`, any Rust expression of
/// type `Filter<E>` with `E` the listed entity (built from the generated
/// paths, as for `Select::filter`).
///
/// ```ignore
/// #[derive(link_runtime::Select)]
/// #[select(entity = links::paths::SalesChannel)]
/// struct ChannelCard {
///     id: SalesChannelId,
///     name: String,
///     description: Option<String>, // a nullable column
///     // A list relation: the channel's first five shirts by title.
///     #[select(
///         filter = links::paths::Product::root().title().like("%shirt%"),
///         take = 5,
///         order(title = "asc"),
///     )]
///     products: Vec<ProductTitle>,
/// }
///
/// #[derive(link_runtime::Select)]
/// #[select(entity = links::paths::Product)]
/// struct ProductTitle {
///     id: ProductId,
///     #[select(field = "title")]
///     name: String,
/// }
///
/// let page = query.fetch::<ChannelCard>(Select::new().take(20)).await?;
/// ```
///
/// Members are checked against the generated paths at compile time (name,
/// cardinality, nullability, scalar and id types), each error at its
/// member; a list filter is type-checked where it is written (a filter of
/// another entity is a mismatched `Filter<_>` at the expression). The storefront's `selections` module has compiled examples.
#[proc_macro_derive(Select, attributes(select))]
pub fn derive_select(item: TokenStream) -> TokenStream {
    link_codegen::select::derive_select(item.into()).into()
}
