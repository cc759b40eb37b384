//! `#[define_link]`: the proc macro's whole logic, and the source scan that
//! lets `cargo xtask codegen` merge macro-declared links with `links.toml`.
//!
//! The macro validates its link together with the models and links of the
//! crate's `links.toml` (found by walking up from `CARGO_MANIFEST_DIR`, or
//! given as `links = "…"`; the file is tracked with `include_bytes!` so an
//! edit rebuilds), through the same validator and the same emitter as
//! `links.toml` links: its expansion is exactly the per-link items codegen
//! writes for that link.

use std::ops::Range;
use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

use crate::ast::{Document, LinkAst};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::parse::attr;
use crate::validate::{self, Validated};

/// Where a diagnostic of a macro invocation points.
#[derive(Debug, Clone)]
pub enum MacroSpan {
    /// A token of the attribute.
    Token(Span),
    /// A byte range of `links.toml`.
    File(Range<usize>),
}

/// The `_inner` of `#[define_link]`: attribute and item tokens in, items out.
pub fn define_link(args: TokenStream, item: TokenStream) -> TokenStream {
    let module: syn::ItemMod = match syn::parse2::<syn::ItemMod>(item) {
        Ok(m) if m.content.as_ref().is_none_or(|(_, items)| items.is_empty()) => m,
        Ok(m) => {
            return syn::Error::new_spanned(
                &m.ident,
                "`#[define_link]` goes on an empty module, e.g. `pub mod product_brand {}`: the macro fills it with the link's items",
            )
            .to_compile_error();
        }
        Err(e) => {
            let mut e = e;
            e.combine(syn::Error::new(
                Span::call_site(),
                "`#[define_link]` goes on an empty module, e.g. `pub mod product_brand {}`",
            ));
            return e.to_compile_error();
        }
    };
    let nodes = match attr::parse_args(args) {
        Ok(n) => n,
        Err(e) => return with_stub(&module, None, e.to_compile_error()),
    };
    let mut diags: Diagnostics<MacroSpan> = Diagnostics::default();
    let whole = MacroSpan::Token(module.ident.span());
    let parsed = attr::to_link(&nodes, whole, &MacroSpan::Token, &mut diags);
    let ty_hint = parsed.link.table.as_ref().map(|t| t.value.clone());
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let path = match &parsed.links_path {
        Some(p) => manifest_dir.join(&p.value),
        None => match find_links_toml(&manifest_dir) {
            Some(p) => p,
            None => {
                let e = syn::Error::new(
                    module.ident.span(),
                    format!(
                        "no links.toml found in {} or its parents\n  = help: declare the linked models in links.toml, or point at it with `links = \"path/to/links.toml\"`",
                        manifest_dir.display()
                    ),
                );
                return with_stub(&module, ty_hint.as_deref(), e.to_compile_error());
            }
        },
    };
    let source = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            let e = syn::Error::new(
                module.ident.span(),
                format!("cannot read {}: {e}", path.display()),
            );
            return with_stub(&module, ty_hint.as_deref(), e.to_compile_error());
        }
    };
    match expand_with(&source, &path, parsed.link, diags) {
        Ok((v, index)) => {
            let link = &v.graph.links[index];
            let items_text = crate::emit::rust::link_items(&v.graph, link);
            let items: TokenStream = match items_text.parse() {
                Ok(t) => t,
                Err(e) => {
                    return syn::Error::new(
                        Span::call_site(),
                        format!("internal error: generated items do not parse: {e}"),
                    )
                    .to_compile_error();
                }
            };
            let ids_path = ids_path(&v);
            let attrs = &module.attrs;
            let vis = &module.vis;
            let ident = &module.ident;
            let track = path.display().to_string();
            quote! {
                #(#attrs)*
                #vis mod #ident {
                    use ::link_runtime::__private as __rt;
                    use #ids_path::*;
                    #items
                }
                const _: &[u8] = include_bytes!(#track);
            }
        }
        Err(errors) => {
            // Relative to the crate when inside it, so messages do not
            // depend on where the crate is built.
            let file_name = path
                .strip_prefix(&manifest_dir)
                .unwrap_or(&path)
                .display()
                .to_string();
            let mut combined: Option<syn::Error> = None;
            for d in errors {
                let e = to_syn_error(&d, &file_name, &source);
                match &mut combined {
                    Some(c) => c.combine(e),
                    None => combined = Some(e),
                }
            }
            let errs = combined.map(|e| e.to_compile_error()).unwrap_or_default();
            with_stub(&module, ty_hint.as_deref(), errs)
        }
    }
}

/// Validates the macro's link with the document of `links.toml`. Returns the
/// graph and the index of the macro's link in it.
fn expand_with(
    source: &str,
    path: &Path,
    link: LinkAst<MacroSpan>,
    mut diags: Diagnostics<MacroSpan>,
) -> Result<(Validated, usize), Vec<Diagnostic<MacroSpan>>> {
    let mut toml_diags = Diagnostics::default();
    let doc = crate::parse::toml::parse(source, &mut toml_diags);
    if !toml_diags.is_empty() {
        let n = toml_diags.list.len();
        diags.push(
            Diagnostic::new(
                MacroSpan::Token(Span::call_site()),
                format!(
                    "{} has {n} problem{}",
                    path.display(),
                    if n == 1 { "" } else { "s" }
                ),
                "",
            )
            .help("run `cargo xtask check` to see them"),
        );
        return Err(diags.list);
    }
    let mut doc: Document<MacroSpan> = doc.map_span(&MacroSpan::File);
    doc.links.push(link);
    let index = doc.links.len() - 1;
    let validated = validate::validate(&doc, &mut diags);
    match validated {
        Some(v) if diags.is_empty() => {
            // Every link validated, so indexes line up.
            Ok((v, index))
        }
        _ => Err(diags.list),
    }
}

/// `crate::links::ids` from `[codegen] module = "storefront::links"`.
fn ids_path(v: &Validated) -> TokenStream {
    let module = v.codegen.module.as_deref().unwrap_or("crate::links");
    let mut segs: Vec<&str> = module.split("::").collect();
    if let Some(first) = segs.first_mut() {
        *first = "crate";
    }
    let idents = segs.iter().map(|s| format_ident!("{}", s));
    quote!(#(#idents)::*::ids)
}

/// Walks up from `dir` to the first `links.toml`.
pub fn find_links_toml(dir: &Path) -> Option<PathBuf> {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        let p = d.join("links.toml");
        if p.is_file() {
            return Some(p);
        }
        cur = d.parent();
    }
    None
}

fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..(0..=offset)
        .rev()
        .find(|&i| source.is_char_boundary(i))
        .unwrap_or(0)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn location(file: &str, source: &str, range: &Range<usize>) -> String {
    let (l, c) = line_col(source, range.start);
    format!("{file}:{l}:{c}")
}

fn to_syn_error(d: &Diagnostic<MacroSpan>, file: &str, source: &str) -> syn::Error {
    let mut msg = d.message.clone();
    let span = match &d.span {
        Some(MacroSpan::Token(s)) => *s,
        Some(MacroSpan::File(r)) => {
            msg = format!("{} (at {})", msg, location(file, source, r));
            Span::call_site()
        }
        None => Span::call_site(),
    };
    for (s, label) in &d.secondary {
        match s {
            MacroSpan::File(r) => msg.push_str(&format!(
                "\n  = note: {label}: {}",
                location(file, source, r)
            )),
            MacroSpan::Token(_) => msg.push_str(&format!("\n  = note: {label} in this attribute")),
        }
    }
    if let Some(h) = &d.help {
        msg.push_str(&format!("\n  = help: {h}"));
    }
    syn::Error::new(span, msg)
}

/// The module with compile errors and stand-in items, so a mistake in the
/// attribute gives one error rather than a cascade at every use.
fn with_stub(module: &syn::ItemMod, table: Option<&str>, errors: TokenStream) -> TokenStream {
    let name = table
        .map(str::to_string)
        .unwrap_or_else(|| module.ident.to_string());
    let ty = format_ident!("{}", crate::emit::rust::type_name(&name));
    let record = format_ident!("{}Record", crate::emit::rust::type_name(&name));
    let attrs = &module.attrs;
    let vis = &module.vis;
    let ident = &module.ident;
    quote! {
        #errors
        #(#attrs)*
        #vis mod #ident {
            /// Stand-in while the attribute has errors.
            pub struct #ty;
            /// Stand-in while the attribute has errors.
            pub struct #record;
            impl #ty {
                /// Stand-in while the attribute has errors.
                pub fn new<A, B>(_: A, _: B) -> Self {
                    #ty
                }
            }
            impl ::link_runtime::__private::TypedLink for #ty {
                const LINK: &'static str = "";
                type Record = ::link_runtime::__private::serde_json::Value;
                fn into_value(self) -> ::link_runtime::__private::LinkValue {
                    ::core::unreachable!("`#[define_link]` has errors")
                }
            }
        }
    }
}

// ---------------------------------------------------------------- source scan

/// A file position: index into the scanned files and a byte range.
pub type Loc = (usize, Range<usize>);

/// Every `#[define_link(...)]` of the given Rust sources, as links with file
/// locations; syntax errors of an attribute become diagnostics.
pub fn scan(
    files: &[(String, String)],
    first_file: usize,
    diags: &mut Diagnostics<Loc>,
) -> Vec<(LinkAst<Loc>, String)> {
    let mut out = Vec::new();
    for (i, (_, source)) in files.iter().enumerate() {
        let file_id = first_file + i;
        let Ok(parsed) = syn::parse_file(source) else {
            // Not our business: rustc reports it.
            continue;
        };
        let file_module = module_of_file(&files[i].0);
        let mut stack: Vec<(&syn::Item, String)> = parsed
            .items
            .iter()
            .map(|it| (it, file_module.clone()))
            .collect();
        while let Some((item, prefix)) = stack.pop() {
            if let syn::Item::Mod(m) = item {
                let path = if prefix.is_empty() {
                    m.ident.to_string()
                } else {
                    format!("{prefix}::{}", m.ident)
                };
                if let Some((_, items)) = &m.content {
                    stack.extend(items.iter().map(|it| (it, path.clone())));
                }
                for a in &m.attrs {
                    let is_define_link = a
                        .path()
                        .segments
                        .last()
                        .is_some_and(|s| s.ident == "define_link");
                    if !is_define_link {
                        continue;
                    }
                    let to_loc = |s: Span| (file_id, byte_range(source, s));
                    let tokens = match &a.meta {
                        syn::Meta::List(l) => l.tokens.clone(),
                        _ => TokenStream::new(),
                    };
                    match attr::parse_args(tokens) {
                        Ok(nodes) => {
                            let parsed =
                                attr::to_link(&nodes, to_loc(m.ident.span()), &to_loc, diags);
                            out.push((parsed.link, m.ident.to_string()));
                        }
                        Err(e) => {
                            for e in e {
                                diags.push(
                                    Diagnostic::new(to_loc(e.span()), e.to_string(), "here")
                                        .help("see `#[define_link]`'s syntax in ARCHITECTURE.md"),
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// Module path of a source file inside its crate: `src/lib.rs` -> ``,
/// `src/a/b.rs` or `src/a/b/mod.rs` -> `a::b`.
fn module_of_file(path: &str) -> String {
    let after = path.rsplit_once("src/").map_or(path, |(_, a)| a);
    let trimmed = after.strip_suffix(".rs").unwrap_or(after);
    let mut parts: Vec<&str> = trimmed.split('/').collect();
    if matches!(parts.last(), Some(&"mod") | Some(&"lib") | Some(&"main")) {
        parts.pop();
    }
    parts.join("::")
}

/// Byte range of a span in `source` (spans of `syn::parse_file` carry line
/// and column with proc-macro2's `span-locations`).
fn byte_range(source: &str, span: Span) -> Range<usize> {
    let offset = |lc: proc_macro2::LineColumn| -> usize {
        let mut line_start = 0;
        for (i, l) in source.split_inclusive('\n').enumerate() {
            if i + 1 == lc.line {
                let col: usize = l.chars().take(lc.column).map(char::len_utf8).sum();
                return line_start + col;
            }
            line_start += l.len();
        }
        source.len()
    };
    let (a, b) = (offset(span.start()), offset(span.end()));
    a..b.max(a)
}

/// `links.toml` validated together with every `#[define_link]` of `sources`
/// (`(display name, text)`). On success returns the graph and the names of
/// the macro-declared links (whose items the macro, not the generated file,
/// provides).
pub fn check_sources(
    links_name: &str,
    links_source: &str,
    sources: &[(String, String)],
) -> Result<(Validated, Vec<String>), crate::CheckError> {
    let mut toml_diags = Diagnostics::default();
    let doc = crate::parse::toml::parse(links_source, &mut toml_diags);
    let mut diags: Diagnostics<Loc> = Diagnostics::default();
    diags
        .list
        .extend(toml_diags.list.into_iter().map(|d| Diagnostic {
            message: d.message,
            span: d.span.map(|r| (0, r)),
            label: d.label,
            help: d.help,
            secondary: d.secondary.into_iter().map(|(r, l)| ((0, r), l)).collect(),
        }));
    let mut doc: Document<Loc> = doc.map_span(&|r| (0, r));
    let first_macro = doc.links.len();
    let found = scan(sources, 1, &mut diags);
    let paths: Vec<String> = found.iter().map(|(_, p)| p.clone()).collect();
    doc.links.extend(found.into_iter().map(|(l, _)| l));
    let validated = validate::validate(&doc, &mut diags);
    match validated {
        Some(mut v) if diags.is_empty() => {
            let names: Vec<String> = v.graph.links[first_macro..]
                .iter()
                .map(|l| l.name.to_string())
                .collect();
            // The items live in the crate that holds the generated module.
            let krate = v
                .codegen
                .module
                .as_deref()
                .and_then(|m| m.split("::").next())
                .unwrap_or("crate")
                .to_string();
            v.macro_links = names.clone();
            v.macro_items = names
                .iter()
                .zip(&paths)
                .map(|(n, p)| (n.clone(), format!("{krate}::{p}")))
                .collect();
            Ok((v, names))
        }
        _ => {
            let mut files = vec![(links_name.to_string(), links_source.to_string())];
            files.extend(sources.iter().cloned());
            let rendered = crate::diagnostic::render_files(&files, &diags.list);
            let diagnostics = diags
                .list
                .into_iter()
                .filter(|d| d.span.as_ref().is_some_and(|(f, _)| *f == 0))
                .map(|d| Diagnostic {
                    message: d.message,
                    span: d.span.map(|(_, r)| r),
                    label: d.label,
                    help: d.help,
                    secondary: d
                        .secondary
                        .into_iter()
                        .filter(|((f, _), _)| *f == 0)
                        .map(|((_, r), l)| (r, l))
                        .collect(),
                })
                .collect();
            Err(crate::CheckError {
                diagnostics,
                rendered,
            })
        }
    }
}

/// Every `.rs` file holding `define_link` under the `src/` folder of the
/// package at `root` and of each workspace member listed in
/// `root/Cargo.toml`, as `(path relative to root, text)`, sorted.
pub fn workspace_sources(root: &Path) -> std::io::Result<Vec<(String, String)>> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let manifest = toml::from_str::<toml::Table>(&manifest).ok();
    let mut members: Vec<String> = manifest
        .as_ref()
        .and_then(|t| t.get("workspace")?.get("members")?.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m.as_str().map(str::to_string))
        .collect();
    // A crate's own sources (a single crate, or a workspace root package).
    if manifest.is_some_and(|t| t.contains_key("package")) && !members.iter().any(|m| m == ".") {
        members.insert(0, ".".to_string());
    }
    let mut out = Vec::new();
    for m in members {
        let src = root.join(&m).join("src");
        let mut stack = vec![src];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&p)?;
                    // Only files that mention the attribute need parsing.
                    if text.contains("define_link") {
                        let rel = p.strip_prefix(root).unwrap_or(&p).display().to_string();
                        out.push((rel, text));
                    }
                }
            }
        }
    }
    out.sort();
    Ok(out)
}
