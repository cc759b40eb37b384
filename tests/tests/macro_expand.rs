//! `#[define_link]` through its `_inner` function: expansions snapshotted
//! (pretty-printed), and the same link written in links.toml and with the
//! macro gives byte-identical items after formatting.

use std::path::Path;

use proc_macro2::TokenStream;
use quote::quote;

fn pretty(tokens: TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(f) => prettyplease::unparse(&f),
        Err(e) => panic!("expansion does not parse: {e}\n{tokens}"),
    }
}

/// Expands with `CARGO_MANIFEST_DIR` = `tests/`; the cases name the seed
/// fixture with `links = "…"` so the workspace's links.toml can change.
fn expand(args: TokenStream, item: TokenStream) -> String {
    pretty(link_codegen::expand::define_link(args, item))
}

#[test]
fn expansion_of_a_stored_link_with_extra_columns() {
    let out = expand(
        quote!(
            links = "fixtures/seed/links.toml",
            left(model = "order.order", is_list),
            right(model = "stock_location.stock_location", alias = "fulfillment_location"),
            table = "order_fulfillment_location",
            id_prefix = "ordloc",
            extra_columns(priority(type = "integer", default = 0), note = "text?"),
        ),
        quote!(
            pub mod order_fulfillment_location {}
        ),
    );
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .display()
        .to_string();
    insta::assert_snapshot!(out.replace(&workspace, "<workspace>"));
}

#[test]
fn expansion_with_errors_is_compile_errors_plus_stubs() {
    let out = expand(
        quote!(
            links = "fixtures/seed/links.toml",
            left = "prodcut.product",
            right(model = "sales_channel.sales_channel", key = "sc_id"),
            is_lsit
        ),
        quote!(
            pub mod product_channel {}
        ),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn expansion_on_something_else_than_an_empty_module() {
    let out = link_codegen::expand::define_link(
        quote!(left = "a.b", right = "c.d"),
        quote!(
            struct X;
        ),
    );
    assert!(out.to_string().contains("goes on an empty module"), "{out}");
}

/// The `[[links]]` blocks of a links.toml text and the text before them.
fn split_links(text: &str) -> (String, Vec<String>) {
    let mut parts = text.split("\n[[links]]");
    let head = parts.next().unwrap_or_default().to_string();
    (head, parts.map(|p| format!("\n[[links]]{p}")).collect())
}

/// `#[define_link]` arguments equivalent to a `[[links]]` entry (from the IR).
fn args_of(link: &link_model::Link, table: Option<&str>) -> TokenStream {
    let side = |s: &link_model::LinkSide| {
        let model = format!("{}.{}", s.module, s.model);
        let (key, alias, relation) = (s.key.as_ref(), s.alias.as_ref(), s.relation.as_ref());
        let mut t = quote!(model = #model, key = #key, alias = #alias, relation = #relation);
        if s.is_list {
            t.extend(quote!(, is_list));
        }
        if s.delete_cascade {
            t.extend(quote!(, delete_cascade));
        }
        t
    };
    let (l, r) = (side(&link.left), side(&link.right));
    let link_model::LinkKind::Stored(st) = &link.kind else {
        unreachable!()
    };
    let prefix = st.id_prefix.as_ref();
    let cols = st.extra_columns.iter().map(|c| {
        let name = syn::Ident::new_raw(&c.name, proc_macro2::Span::call_site());
        let ty = c.ty.name();
        let mut t = quote!(type = #ty);
        if c.nullable {
            t.extend(quote!(, nullable));
        }
        if let Some(d) = &c.default {
            let lit: TokenStream = match d {
                link_model::DefaultValue::Bool(b) => quote!(#b),
                link_model::DefaultValue::Int(i) => {
                    proc_macro2::Literal::i64_unsuffixed(*i).into_token_stream()
                }
                link_model::DefaultValue::Float(f) => f.parse().unwrap(),
                link_model::DefaultValue::Text(s) => quote!(#s),
                link_model::DefaultValue::Json(j) => quote!(#j),
                link_model::DefaultValue::Now => quote!("now"),
            };
            t.extend(quote!(, default = #lit));
        }
        quote!(#name(#t))
    });
    let table = table.map(|t| quote!(table = #t,));
    quote!(left(#l), right(#r), #table id_prefix = #prefix, extra_columns(#(#cols),*))
}

use quote::ToTokens;

/// Every stored link of every fixture, written with the macro against the
/// fixture's links.toml minus that link, expands to the items codegen
/// writes for it: byte-identical after formatting.
#[test]
fn macro_and_links_toml_give_identical_items() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut checked = 0;
    let mut names: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for dir in names {
        let toml_path = dir.join("links.toml");
        let Ok(text) = std::fs::read_to_string(&toml_path) else {
            continue;
        };
        let Ok(v) = link_codegen::check_toml("links.toml", &text) else {
            continue;
        };
        let (head, blocks) = split_links(&text);
        let links: Vec<&link_model::Link> = v.graph.links.iter().collect();
        if blocks.len() != links.len() {
            continue;
        }
        for (i, link) in links.iter().enumerate() {
            if link.is_read_only() || link.json_default_needs_toml() {
                continue;
            }
            // The other links stay, so relation names and conflicts are as in the fixture.
            let mut without = head.clone();
            for (j, b) in blocks.iter().enumerate() {
                if j != i {
                    without.push_str(b);
                }
            }
            let tmp = std::env::temp_dir().join(format!(
                "macro_eq_{}_{}_{i}.toml",
                std::process::id(),
                checked
            ));
            std::fs::write(&tmp, &without).unwrap();
            let path = tmp.display().to_string();
            // The table as written (a defaulted one is derived the same way).
            let table = blocks[i]
                .lines()
                .find_map(|l| l.trim().strip_prefix("table = "))
                .map(|v| v.trim().trim_matches('"').to_string());
            let mut args = args_of(link, table.as_deref());
            args.extend(quote!(, links = #path));
            let module = syn::Ident::new("the_link", proc_macro2::Span::call_site());
            let expanded = link_codegen::expand::define_link(args, quote!(pub mod #module {}));
            let file: syn::File = syn::parse2(expanded.clone())
                .unwrap_or_else(|e| panic!("{}: {e}\n{expanded}", dir.display()));
            // The module's items after its two `use` lines.
            let syn::Item::Mod(m) = &file.items[0] else {
                panic!("{}: expected a module\n{expanded}", dir.display())
            };
            let items: Vec<syn::Item> = m
                .content
                .as_ref()
                .unwrap()
                .1
                .iter()
                .skip(2)
                .cloned()
                .collect();
            assert!(
                !items.is_empty(),
                "{}: macro gave no items\n{}",
                dir.display(),
                pretty(expanded)
            );
            let from_macro = prettyplease::unparse(&syn::File {
                shebang: None,
                frontmatter: None,
                attrs: vec![],
                items,
            });
            let codegen_text = link_codegen::emit::rust::link_items(&v.graph, link);
            let from_toml = prettyplease::unparse(&syn::parse_file(&codegen_text).unwrap());
            assert_eq!(
                from_macro,
                from_toml,
                "{} link {}",
                dir.display(),
                link.name
            );
            let _ = std::fs::remove_file(tmp);
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} links compared");
}

trait JsonDefault {
    fn json_default_needs_toml(&self) -> bool;
}

impl JsonDefault for link_model::Link {
    /// JSON defaults written as TOML arrays/tables have no attribute form.
    fn json_default_needs_toml(&self) -> bool {
        matches!(&self.kind, link_model::LinkKind::Stored(st) if st.extra_columns.iter().any(|c| matches!(c.default, Some(link_model::DefaultValue::Json(_)))))
    }
}

/// `cargo xtask codegen` merges macro-declared links with links.toml; a
/// conflict is reported with both locations, every problem at once.
#[test]
fn codegen_reports_conflicts_between_macros_and_links_toml_with_both_locations() {
    let toml = link_tests::seed_links_toml();
    let source = r#"
#[link_runtime::define_link(
    left(model = "product.product", is_list, alias = "item"),
    right(model = "sales_channel.sales_channel", is_list, alias = "channel"),
    table = "product_sales_channel",
)]
pub mod again {}

#[link_runtime::define_link(left = "order.order", right(model = "stock_location.stock_location", key = "sales_channel_id"))]
pub mod wrong_key {}
"#;
    let err = link_codegen::expand::check_sources(
        "links.toml",
        &toml,
        &[("src/lib.rs".to_string(), source.to_string())],
    )
    .unwrap_err();
    insta::assert_snapshot!(err.rendered);
    // And a valid pair merges into one graph.
    let ok = "#[link_runtime::define_link(left = \"cart.cart\", right = \"stock_location.stock_location\", table = \"cart_pickup_location\")]\npub mod pickup {}\n";
    let (v, names) = link_codegen::expand::check_sources(
        "links.toml",
        &toml,
        &[("src/lib.rs".to_string(), ok.to_string())],
    )
    .unwrap();
    assert_eq!(names, ["cart_pickup_location"]);
    assert!(v.graph.link("cart_pickup_location").is_some());
    assert!(v.graph.link("product_sales_channel").is_some());
}
