//! `#[derive(Select)]`: the proc macro's whole logic.
//!
//! The expansion implements `Selectable` by naming, for every struct
//! member, the generated path method of its field or relation
//! (`<links::paths::SalesChannel>::name`) and the member's type, so rustc
//! checks the selection against the generated items: an unknown field or
//! relation is an unknown method (with rustc's did-you-mean), a wrong
//! cardinality, nullability or scalar type an unsatisfied `Member` bound.
//! Each check carries the member's span, so errors point at the member, and
//! all of them are reported at once. The macro itself reports only what it
//! can see in the tokens (a missing `entity`, duplicate members, tuple
//! structs, generics).

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

/// The `_inner` of `#[derive(Select)]`: the struct's tokens in, the
/// `Selectable` impl out (or the errors, all of them).
pub fn derive_select(input: TokenStream) -> TokenStream {
    let item: syn::ItemStruct = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => {
            let mut e = e;
            e.combine(syn::Error::new(
                Span::call_site(),
                "`#[derive(Select)]` goes on a struct with named fields",
            ));
            return e.to_compile_error();
        }
    };
    match expand(&item) {
        Ok(t) => t,
        Err(errors) => errors.into_iter().map(|e| e.to_compile_error()).collect(),
    }
}

/// One member of the struct: its identifier, type and the column or
/// relation name it selects.
struct Member<'a> {
    ident: &'a syn::Ident,
    ty: &'a syn::Type,
    name: String,
    /// Span of the name (the identifier, or the `field = "..."` literal).
    span: Span,
    /// `take = N` of a list relation.
    take: Option<u64>,
    /// `order(field = "asc" | "desc", ..)` of a list relation.
    order: Vec<(syn::Ident, bool)>,
    /// `filter = <expression>` of a list relation: a `Filter` of the
    /// listed entity, type-checked where it is written.
    filter: Option<syn::Expr>,
    /// Span of the first list argument.
    args_span: Option<Span>,
}

fn expand(item: &syn::ItemStruct) -> Result<TokenStream, Vec<syn::Error>> {
    let mut errors = Vec::new();
    let mut entity: Option<syn::Path> = None;
    for attr in item.attrs.iter().filter(|a| a.path().is_ident("select")) {
        let r = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("entity") {
                entity = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown `select` argument; expected `entity = <generated path type>`, e.g. `entity = links::paths::Product`",
                ))
            }
        });
        if let Err(e) = r {
            errors.push(e);
        }
    }
    if entity.is_none() && errors.is_empty() {
        errors.push(syn::Error::new(
            item.ident.span(),
            "a selection names its entity: `#[select(entity = links::paths::Product)]` (the generated path type)",
        ));
    }
    if !item.generics.params.is_empty() {
        errors.push(syn::Error::new(
            item.generics.span(),
            "a selection cannot be generic",
        ));
    }
    let fields = match &item.fields {
        syn::Fields::Named(n) => n.named.iter().collect::<Vec<_>>(),
        other => {
            errors.push(syn::Error::new(
                if matches!(other, syn::Fields::Unit) {
                    item.ident.span()
                } else {
                    other.span()
                },
                "a selection has named fields, one per selected field or relation",
            ));
            Vec::new()
        }
    };
    if fields.is_empty() && matches!(item.fields, syn::Fields::Named(_)) {
        errors.push(syn::Error::new(
            item.ident.span(),
            "a selection selects at least one field or relation",
        ));
    }
    let mut members: Vec<Member<'_>> = Vec::with_capacity(fields.len());
    let mut seen: HashMap<String, Span> = HashMap::new();
    for f in &fields {
        let Some(ident) = &f.ident else { continue };
        let mut name = ident.unraw().to_string();
        let mut span = ident.span();
        let mut take = None;
        let mut order = Vec::new();
        let mut filter = None;
        let mut args_span = None;
        for attr in f.attrs.iter().filter(|a| a.path().is_ident("select")) {
            let r = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("field") {
                    let lit: syn::LitStr = meta.value()?.parse()?;
                    name = lit.value();
                    span = lit.span();
                    Ok(())
                } else if meta.path.is_ident("take") {
                    args_span.get_or_insert(meta.path.span());
                    let lit: syn::LitInt = meta.value()?.parse()?;
                    take = Some(lit.base10_parse::<u64>()?);
                    Ok(())
                } else if meta.path.is_ident("filter") {
                    args_span.get_or_insert(meta.path.span());
                    filter = Some(meta.value()?.parse::<syn::Expr>()?);
                    Ok(())
                } else if meta.path.is_ident("order") {
                    args_span.get_or_insert(meta.path.span());
                    meta.parse_nested_meta(|o| {
                        let Some(field) = o.path.get_ident().cloned() else {
                            return Err(o.error("expected a field of the listed entity"));
                        };
                        let dir: syn::LitStr = o.value()?.parse()?;
                        let desc = match dir.value().to_ascii_lowercase().as_str() {
                            "asc" => false,
                            "desc" => true,
                            _ => {
                                return Err(syn::Error::new(
                                    dir.span(),
                                    "expected \"asc\" or \"desc\"",
                                ));
                            }
                        };
                        order.push((field, desc));
                        Ok(())
                    })
                } else {
                    Err(meta.error(
                        "unknown `select` argument of a member; expected `field = \"<field or relation name>\"`, `take = <n>`, `order(<field> = \"asc\" | \"desc\", ..)` or `filter = <Filter of the listed entity>` (list relations)",
                    ))
                }
            });
            if let Err(e) = r {
                errors.push(e);
            }
        }
        if matches!(name.as_str(), "all" | "root" | "path") {
            errors.push(syn::Error::new(
                span,
                format!(
                    "`{name}` is not selectable by a derived selection (its generated path method is renamed); use a dynamic request"
                ),
            ));
            continue;
        }
        if syn::parse_str::<syn::Ident>(&crate::emit::rust::path_method(&name)).is_err() {
            errors.push(syn::Error::new(
                span,
                format!("`{name}` is not a field or relation name"),
            ));
            continue;
        }
        if let Some(first) = seen.get(&name) {
            let mut e = syn::Error::new(span, format!("`{name}` is selected twice"));
            e.combine(syn::Error::new(*first, "first selected here"));
            errors.push(e);
            continue;
        }
        seen.insert(name.clone(), span);
        members.push(Member {
            ident,
            ty: &f.ty,
            name,
            span,
            take,
            order,
            filter,
            args_span,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let entity = entity.expect("checked above");
    let ident = &item.ident;
    let types = members.iter().map(|m| {
        let ty = m.ty;
        quote_spanned! {m.span=> __rt::select::MemberFns<#ty>, }
    });
    let checks = members.iter().map(|m| {
        let method = syn::Ident::new_raw_or_plain(&m.name, m.span);
        let ty = m.ty;
        quote_spanned! {m.span=>
            __rt::select::member::<_, _, #ty>(<#entity>::#method),
        }
    });
    let requests = members.iter().enumerate().map(|(i, m)| {
        let i = syn::Index::from(i);
        let name = &m.name;
        quote! { (m.#i.request)(prefix, #name, out); }
    });
    let nested = members.iter().enumerate().map(|(i, m)| {
        let i = syn::Index::from(i);
        let name = &m.name;
        let own = m.args_span.map(|_| {
            let take = match m.take {
                Some(n) => quote! { ::std::option::Option::Some(#n) },
                None => quote! { ::std::option::Option::None },
            };
            let order = m.order.iter().map(|(f, desc)| {
                let f = f.unraw().to_string();
                let dir = if *desc {
                    quote! { __rt::Dir::Desc }
                } else {
                    quote! { __rt::Dir::Asc }
                };
                quote! { (#f, #dir), }
            });
            // The filter expression keeps its own spans: a filter of
            // another entity is a type error at the expression.
            let filter = match &m.filter {
                Some(f) => {
                    let method = syn::Ident::new_raw_or_plain(&m.name, m.span);
                    quote! {
                        ::std::option::Option::Some(__rt::select::list_filter(<#entity>::#method, #f))
                    }
                }
                None => quote! { ::std::option::Option::None },
            };
            quote! { __rt::select::add_nested(prefix, #name, #take, &[#(#order)*], #filter, out); }
        });
        quote! {
            #own
            (m.#i.nested)(prefix, #name, out);
        }
    });
    let arg_checks = members.iter().filter_map(|m| {
        let span = m.args_span?;
        let method = syn::Ident::new_raw_or_plain(&m.name, m.span);
        let order = m.order.iter().map(|(f, _)| {
            quote_spanned! {f.span()=> |q| { let _ = q.#f(); }, }
        });
        Some(quote_spanned! {span=>
            __rt::select::list_args(<#entity>::#method, &[#(#order)*]);
        })
    });
    let takes = members.iter().enumerate().map(|(i, m)| {
        let i = syn::Index::from(i);
        let name = &m.name;
        let field = m.ident;
        quote! { #field: (m.#i.take)(cells, #name)?, }
    });
    Ok(quote! {
        const _: () = {
            use ::link_runtime::__private as __rt;

            /// Each member's path method and type, checked here once.
            #[allow(clippy::type_complexity)]
            fn members() -> (#(#types)*) {
                (#(#checks)*)
            }

            /// The list arguments' checks: list relations, fields of the
            /// listed entity.
            #[allow(dead_code)]
            fn list_args() {
                #(#arg_checks)*
            }

            impl __rt::Selectable for #ident {
                type Root = <#entity as __rt::EntityPath>::Output;

                fn request(prefix: &__rt::PathPrefix, out: &mut ::std::vec::Vec<::std::string::String>) {
                    let m = members();
                    #(#requests)*
                }

                fn nested(
                    prefix: &__rt::PathPrefix,
                    out: &mut ::std::collections::BTreeMap<::std::string::String, __rt::Nested>,
                ) {
                    let m = members();
                    #(#nested)*
                }

                fn decode(cells: &mut __rt::select::Cells) -> ::std::result::Result<Self, __rt::Error> {
                    let m = members();
                    ::std::result::Result::Ok(Self {
                        #(#takes)*
                    })
                }
            }
        };
    })
}

/// An identifier for a name: raw (`r#type`) for keywords that allow it.
trait NewIdent {
    fn new_raw_or_plain(name: &str, span: Span) -> syn::Ident;
}

impl NewIdent for syn::Ident {
    fn new_raw_or_plain(name: &str, span: Span) -> syn::Ident {
        let method = crate::emit::rust::path_method(name);
        match method.strip_prefix("r#") {
            Some(raw) => syn::Ident::new_raw(raw, span),
            None => syn::Ident::new(&method, span),
        }
    }
}
