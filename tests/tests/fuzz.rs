//! Property test: `check_toml` never panics, whatever it is given, and always
//! explains a rejection.
//!
//! Three input families, together well over 10,000 cases per run:
//! (a) random strings, (b) random mutations of `links.toml` and the invalid
//! fixtures, (c) `links.toml` documents built from a small grammar with random
//! names, keys, flags, types and defaults.

use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::sample::{Index, select};

const FILE_NAME: &str = "fuzz-links.toml";

/// Cases per family; (a) + (b) + (c) = 12,000.
const RANDOM_CASES: u32 = 3_000;
const MUTATION_CASES: u32 = 5_000;
const GRAMMAR_CASES: u32 = 4_000;

/// XorShift rather than the default ChaCha: the cases need variety, not a
/// cryptographic generator, and ChaCha's SIMD rounds, not inlined in a debug
/// build, took a third of the run.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_algorithm: proptest::test_runner::RngAlgorithm::XorShift,
        ..ProptestConfig::default()
    }
}

/// A string strategy from a regex parsed once: a `&str` strategy parses its
/// pattern again for every case.
fn re(pattern: &str) -> proptest::string::RegexGeneratorStrategy<String> {
    proptest::string::string_regex(pattern).expect("valid pattern")
}

/// Runs the front end and validator; panics (failing the property) when a
/// rejection is not explained.
fn check(source: &str) {
    if let Err(e) = link_codegen::check_toml(FILE_NAME, source) {
        assert!(!e.rendered.is_empty(), "empty rendering for {source:?}");
        assert!(
            e.rendered.contains(FILE_NAME),
            "rendering does not name the file: {}",
            e.rendered
        );
        assert!(!e.diagnostics.is_empty(), "Err without diagnostics");
    }
}

// ------------------------------------------------------------ (a) random text

fn random_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        re("\\PC{0,200}"),
        re("[ -~\n\t]{0,300}"),
        re("[\\[\\]{}=\"'.,a-z_ \n#?0-9]{0,400}"),
        // Lines that look like links.toml.
        prop::collection::vec(
            prop_oneof![
                Just("[[links]]".to_string()),
                re("\\[modules(\\.[a-z_]{1,8}){0,4}\\]"),
                re("[a-z_]{1,10} = \"[a-z_.?]{0,20}\""),
                re("[a-z_]{1,10} = \\{ [a-z_]{1,8} = \"[a-z_.]{0,12}\" \\}"),
                re("[a-z_]{1,10} = (true|false|[0-9]{1,12}|\\[\\])"),
            ],
            0..30
        )
        .prop_map(|lines| lines.join("\n")),
    ]
}

proptest! {
    #![proptest_config(config(RANDOM_CASES))]
    #[test]
    fn random_text_never_panics(source in random_text()) {
        check(&source);
    }
}

// ------------------------------------------------------------ (b) mutations

/// The seed fixture and every invalid fixture.
static BASES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut bases =
        vec![std::fs::read_to_string(format!("{root}/fixtures/seed/links.toml")).expect("seed")];
    let mut fixtures: Vec<_> = std::fs::read_dir(format!("{root}/fixtures/invalid"))
        .expect("fixtures/invalid")
        .map(|e| e.expect("fixture entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    fixtures.sort();
    for p in fixtures {
        bases.push(std::fs::read_to_string(p).expect("fixture"));
    }
    bases
});

#[derive(Debug, Clone)]
enum Mutation {
    Delete(Index, usize),
    Insert(Index, String),
    Replace(Index, u8),
    SwapLines(Index, Index),
    DuplicateLine(Index, Index),
    DeleteLine(Index),
    Truncate(Index),
}

fn insertion() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(vec![
            "\"", "'", "[", "]", "[[", "]]", "=", ".", "{", "}", ",", "\n", "#", "?", "\\",
            "\"\"\"", "'''", " = ", "\r\n", "\t", "\u{0}", "\u{feff}", "é", "🦀", "\u{202e}",
            "[[links]]\n", "[modules.x.models.y]\n", "is_list = ", "true", "1e999",
            "model = \"a.b.c\"", "read_only = true\n", "..", "_id", "-",
        ])
        .prop_map(String::from),
        2 => re("\\PC{1,4}"),
        1 => re("[a-z_]{64,2000}"),
        1 => re("[A-Za-z_][A-Za-z0-9_-]{0,20}"),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 1..8usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        3 => (any::<Index>(), insertion()).prop_map(|(i, s)| Mutation::Insert(i, s)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Replace(i, b)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::DuplicateLine(a, b)),
        1 => any::<Index>().prop_map(Mutation::DeleteLine),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn apply(base: &str, mutations: &[Mutation]) -> String {
    let mut bytes = base.as_bytes().to_vec();
    for m in mutations {
        let len = bytes.len();
        match m {
            Mutation::Delete(i, n) if len > 0 => {
                let at = i.index(len);
                bytes.drain(at..(at + n).min(len));
            }
            Mutation::Insert(i, s) => {
                let at = i.index(len + 1);
                bytes.splice(at..at, s.bytes());
            }
            Mutation::Replace(i, b) if len > 0 => bytes[i.index(len)] = *b,
            Mutation::Truncate(i) => bytes.truncate(i.index(len + 1)),
            Mutation::SwapLines(..) | Mutation::DuplicateLine(..) | Mutation::DeleteLine(_) => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let n = lines.len();
                match m {
                    Mutation::SwapLines(a, b) => lines.swap(a.index(n), b.index(n)),
                    Mutation::DuplicateLine(a, b) => {
                        let line = lines[a.index(n)].clone();
                        lines.insert(b.index(n + 1), line);
                    }
                    Mutation::DeleteLine(a) => {
                        lines.remove(a.index(n));
                    }
                    _ => unreachable!(),
                }
                bytes = lines.join(&b'\n');
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(config(MUTATION_CASES))]
    #[test]
    fn mutated_files_never_panic(
        base in any::<Index>(),
        mutations in prop::collection::vec(mutation(), 1..10),
    ) {
        let base = &BASES[base.index(BASES.len())];
        check(&apply(base, &mutations));
    }
}

// ------------------------------------------------------------ (c) grammar

const NAMES: [&str; 14] = [
    "product",
    "sales_channel",
    "stock_location",
    "cart",
    "order",
    "api_key",
    "id",
    "deleted_at",
    "sales_channel_id",
    "product_id",
    "location",
    "variant",
    "sales_channels",
    "products_link",
];

fn name() -> BoxedStrategy<String> {
    prop_oneof![
        30 => select(NAMES.to_vec()).prop_map(String::from),
        4 => re("[a-z_][a-z0-9_]{0,12}"),
        1 => re("[A-Za-z0-9 _.\\-é\"\\\\?]{0,10}"),
        1 => re("[a-z]{60,70}"),
    ]
    .boxed()
}

fn type_name() -> BoxedStrategy<String> {
    prop_oneof![
        20 => select(vec![
            "text", "text?", "integer", "integer?", "bigint", "float", "double", "decimal",
            "boolean", "boolean?", "json", "json?", "timestamp", "timestamp?", "date", "uuid?",
        ])
        .prop_map(String::from),
        1 => select(vec!["string", "int", "", "?", "text??", "Text", "varchar"])
            .prop_map(String::from),
    ]
    .boxed()
}

/// A TOML value written as text, for defaults and wrongly typed options.
fn literal() -> BoxedStrategy<String> {
    select(vec![
        "0",
        "-1",
        "2147483648",
        "3000000000",
        "99999999999999999999",
        "0x1F",
        "1_000",
        "1.5",
        "inf",
        "nan",
        "-0.0",
        "1e400",
        "true",
        "false",
        "\"abc\"",
        "\"now\"",
        "\"\"",
        "\"2024-01-31\"",
        "\"2024-13-40\"",
        "\"00000000-0000-0000-0000-000000000000\"",
        "\"not-a-uuid\"",
        "[1, \"a\", { b = 2 }]",
        "{ a = 1, b = [true] }",
        "1979-05-27T07:32:00Z",
        "07:32:00",
        "[]",
        "{}",
    ])
    .prop_map(String::from)
    .boxed()
}

/// A name that is mostly one the document declares (a model, a linkable key,
/// a field), picked when rendering, and sometimes any name.
#[derive(Debug, Clone)]
enum Pick {
    Declared(Index),
    Raw(String),
}

fn pick() -> BoxedStrategy<Pick> {
    prop_oneof![
        10 => any::<Index>().prop_map(Pick::Declared),
        1 => name().prop_map(Pick::Raw),
    ]
    .boxed()
}

impl Pick {
    fn resolve(&self, declared: &[String]) -> String {
        match self {
            Pick::Declared(i) if !declared.is_empty() => declared[i.index(declared.len())].clone(),
            Pick::Declared(_) => "product.product".to_string(),
            Pick::Raw(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone)]
struct Model {
    name: String,
    table: Option<String>,
    primary_key: Option<String>,
    linkable_keys: Option<Vec<(String, Option<String>)>>,
    fields: Vec<(String, String)>,
    soft_delete: Option<String>,
    fields_as_subtable: bool,
}

#[derive(Debug, Clone)]
struct Module {
    name: String,
    data_source: Option<String>,
    models: Vec<Model>,
}

#[derive(Debug, Clone)]
struct Side {
    model: Option<Pick>,
    key: Option<Pick>,
    alias: Option<String>,
    relation: Option<String>,
    is_list: Option<String>,
    delete_cascade: Option<bool>,
    unknown: Option<String>,
}

#[derive(Debug, Clone)]
struct Link {
    left: Option<Side>,
    right: Option<Side>,
    read_only: Option<bool>,
    field: Option<Pick>,
    table: Option<String>,
    id_prefix: Option<String>,
    extra_columns: Vec<(String, String, Option<bool>, Option<String>)>,
    dotted: bool,
}

fn model() -> impl Strategy<Value = Model> {
    (
        name(),
        prop::option::weighted(0.3, name()),
        prop::option::weighted(0.1, prop_oneof![Just("id".to_string()), name()]),
        prop::option::weighted(
            0.3,
            prop::collection::vec((name(), prop::option::weighted(0.1, name())), 1..4),
        ),
        prop::collection::vec((name(), type_name()), 0..6),
        prop::option::weighted(0.3, name()),
        any::<bool>(),
        prop::bool::weighted(0.95),
    )
        .prop_map(
            |(name, table, primary_key, linkable_keys, mut fields, soft_delete, sub, usual)| {
                // Mostly give the model the columns the options refer to.
                if usual {
                    fields.retain(|(f, _)| f != "id" && Some(f) != soft_delete.as_ref());
                    fields.insert(0, ("id".into(), "text".into()));
                    if let Some(sd) = &soft_delete {
                        fields.push((sd.clone(), "timestamp?".into()));
                    }
                }
                Model {
                    name,
                    table,
                    primary_key,
                    linkable_keys,
                    fields,
                    soft_delete,
                    fields_as_subtable: sub,
                }
            },
        )
}

fn module() -> impl Strategy<Value = Module> {
    (
        name(),
        prop::option::weighted(0.1, name()),
        prop::collection::vec(model(), 0..3),
        prop::bool::weighted(0.95),
    )
        .prop_map(|(name, data_source, mut models, usual)| {
            // The usual shape: a module with a model of the same name.
            if usual {
                match models.first_mut() {
                    Some(first) => first.name = name.clone(),
                    None => models.push(Model {
                        name: name.clone(),
                        table: None,
                        primary_key: None,
                        linkable_keys: None,
                        fields: vec![("id".into(), "text".into())],
                        soft_delete: None,
                        fields_as_subtable: false,
                    }),
                }
            }
            Module {
                name,
                data_source,
                models,
            }
        })
}

fn side() -> impl Strategy<Value = Side> {
    (
        prop::option::weighted(0.95, pick()),
        prop::option::weighted(0.4, pick()),
        prop::option::weighted(0.3, name()),
        prop::option::weighted(0.2, name()),
        prop::option::weighted(
            0.5,
            prop_oneof![
                4 => Just("true".to_string()),
                2 => Just("false".to_string()),
                1 => literal(),
            ],
        ),
        prop::option::weighted(0.1, any::<bool>()),
        prop::option::weighted(0.05, select(vec!["is_lsit", "modle", "aliass", "Key"])),
    )
        .prop_map(
            |(model, key, alias, relation, is_list, delete_cascade, unknown)| Side {
                model,
                key,
                alias,
                relation,
                is_list,
                delete_cascade,
                unknown: unknown.map(String::from),
            },
        )
}

fn link() -> impl Strategy<Value = Link> {
    (
        prop::option::weighted(0.97, side()),
        prop::option::weighted(0.97, side()),
        prop::option::weighted(0.4, any::<bool>()),
        prop::option::weighted(0.8, pick()),
        prop::option::weighted(0.4, name()),
        prop::option::weighted(0.4, re("[a-z0-9]{1,8}|[A-Za-z0-9_]{0,8}")),
        prop::collection::vec(
            (
                name(),
                type_name(),
                prop::option::weighted(0.2, any::<bool>()),
                prop::option::weighted(0.5, literal()),
            ),
            0..3,
        ),
        any::<bool>(),
        prop::bool::weighted(0.8),
    )
        .prop_map(
            |(
                left,
                right,
                read_only,
                field,
                table,
                id_prefix,
                extra_columns,
                dotted,
                consistent,
            )| {
                let mut link = Link {
                    left,
                    right,
                    read_only,
                    field,
                    table,
                    id_prefix,
                    extra_columns,
                    dotted,
                };
                // Most links take only the options of their kind.
                if consistent {
                    if link.read_only == Some(true) {
                        link.table = None;
                        link.id_prefix = None;
                        link.extra_columns.clear();
                        if let Some(left) = &mut link.left {
                            left.key = None;
                        }
                        for side in [&mut link.left, &mut link.right].into_iter().flatten() {
                            side.delete_cascade = None;
                        }
                    } else {
                        link.field = None;
                    }
                }
                link
            },
        )
}

/// Quotes `s` as a TOML basic string.
fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A key, bare when TOML allows it.
fn k(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_string()
    } else {
        q(s)
    }
}

/// What a side may refer to: `module.model`, its linkable keys, its fields.
struct Declared {
    model: String,
    keys: Vec<String>,
    fields: Vec<String>,
}

fn render_side(which: &str, s: &Side, dotted: bool, declared: &[Declared]) -> String {
    let refs: Vec<String> = declared.iter().map(|d| d.model.clone()).collect();
    let mut parts = Vec::new();
    let mut target = None;
    if let Some(m) = &s.model {
        let m = m.resolve(&refs);
        target = declared.iter().find(|d| d.model == m);
        parts.push(format!("model = {}", q(&m)));
    }
    if let Some(v) = &s.key {
        let keys = target.map_or(&[][..], |t| &t.keys[..]);
        parts.push(format!("key = {}", q(&v.resolve(keys))));
    }
    if let Some(v) = &s.alias {
        parts.push(format!("alias = {}", q(v)));
    }
    if let Some(v) = &s.relation {
        parts.push(format!("relation = {}", q(v)));
    }
    if let Some(v) = &s.is_list {
        parts.push(format!("is_list = {v}"));
    }
    if let Some(v) = s.delete_cascade {
        parts.push(format!("delete_cascade = {v}"));
    }
    if let Some(v) = &s.unknown {
        parts.push(format!("{v} = true"));
    }
    if dotted {
        parts
            .iter()
            .map(|p| format!("{which}.{p}\n"))
            .collect::<String>()
    } else {
        format!("{which} = {{ {} }}\n", parts.join(", "))
    }
}

/// Keeps the first of each name: repeated keys are TOML errors, which the
/// other families cover.
fn dedup_names<T>(items: &mut Vec<T>, name: impl Fn(&T) -> &String) {
    let mut seen = Vec::new();
    items.retain(|item| {
        let n = name(item).clone();
        let new = !seen.contains(&n);
        seen.push(n);
        new
    });
}

fn render(codegen: bool, modules: &[Module], links: &[Link]) -> String {
    let mut out = String::new();
    if codegen {
        out.push_str("[codegen]\nrust = \"src/links.rs\"\nmigrations = \"migrations\"\n\n");
    }
    let mut declared: Vec<Declared> = Vec::new();
    let mut module_names = Vec::new();
    for m in modules {
        // Repeated tables are TOML errors, which the other families cover.
        if module_names.contains(&m.name) {
            continue;
        }
        module_names.push(m.name.clone());
        if m.models.is_empty() || m.data_source.is_some() {
            out.push_str(&format!("[modules.{}]\n", k(&m.name)));
            if let Some(ds) = &m.data_source {
                out.push_str(&format!("data_source = {}\n", q(ds)));
            }
            out.push('\n');
        }
        let mut model_names = Vec::new();
        for model in &m.models {
            if model_names.contains(&model.name) {
                continue;
            }
            model_names.push(model.name.clone());
            let mut fields = model.fields.clone();
            dedup_names(&mut fields, |f| &f.0);
            declared.push(Declared {
                model: format!("{}.{}", m.name, model.name),
                keys: match &model.linkable_keys {
                    None => vec![format!("{}_id", model.name)],
                    Some(keys) => keys.iter().map(|(n, _)| n.clone()).collect(),
                },
                fields: fields.iter().map(|(f, _)| f.clone()).collect(),
            });
            let header = format!("modules.{}.models.{}", k(&m.name), k(&model.name));
            out.push_str(&format!("[{header}]\n"));
            if let Some(t) = &model.table {
                out.push_str(&format!("table = {}\n", q(t)));
            }
            if let Some(p) = &model.primary_key {
                out.push_str(&format!("primary_key = {}\n", q(p)));
            }
            if let Some(keys) = &model.linkable_keys {
                let keys: Vec<String> = keys
                    .iter()
                    .map(|(n, c)| match c {
                        None => q(n),
                        Some(c) => format!("{{ name = {}, column = {} }}", q(n), q(c)),
                    })
                    .collect();
                out.push_str(&format!("linkable_keys = [{}]\n", keys.join(", ")));
            }
            if let Some(sd) = &model.soft_delete {
                out.push_str(&format!("soft_delete = {}\n", q(sd)));
            }
            if model.fields_as_subtable {
                out.push_str(&format!("\n[{header}.fields]\n"));
                for (f, t) in &fields {
                    out.push_str(&format!("{} = {}\n", k(f), q(t)));
                }
            } else {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(f, t)| format!("{} = {}", k(f), q(t)))
                    .collect();
                out.push_str(&format!("fields = {{ {} }}\n", fields.join(", ")));
            }
            out.push('\n');
        }
    }
    for l in links {
        out.push_str("[[links]]\n");
        if let Some(s) = &l.left {
            out.push_str(&render_side("left", s, l.dotted, &declared));
        }
        if let Some(s) = &l.right {
            out.push_str(&render_side("right", s, l.dotted, &declared));
        }
        if let Some(v) = l.read_only {
            out.push_str(&format!("read_only = {v}\n"));
        }
        if let Some(v) = &l.field {
            // Mostly a field of the left model.
            let left =
                l.left.as_ref().and_then(|s| s.model.as_ref()).map(|m| {
                    m.resolve(&declared.iter().map(|d| d.model.clone()).collect::<Vec<_>>())
                });
            let fields = declared
                .iter()
                .find(|d| Some(&d.model) == left.as_ref())
                .map_or(&[][..], |d| &d.fields[..]);
            out.push_str(&format!("field = {}\n", q(&v.resolve(fields))));
        }
        if let Some(v) = &l.table {
            out.push_str(&format!("table = {}\n", q(v)));
        }
        if let Some(v) = &l.id_prefix {
            out.push_str(&format!("id_prefix = {}\n", q(v)));
        }
        let mut extra_columns = l.extra_columns.clone();
        dedup_names(&mut extra_columns, |c| &c.0);
        for (name, ty, nullable, default) in &extra_columns {
            let mut parts = vec![format!("type = {}", q(ty))];
            if let Some(n) = nullable {
                parts.push(format!("nullable = {n}"));
            }
            if let Some(d) = default {
                parts.push(format!("default = {d}"));
            }
            out.push_str(&format!(
                "extra_columns.{} = {{ {} }}\n",
                k(name),
                parts.join(", ")
            ));
        }
        out.push('\n');
    }
    out
}

proptest! {
    #![proptest_config(config(GRAMMAR_CASES))]
    #[test]
    fn generated_documents_never_panic(
        codegen in any::<bool>(),
        modules in prop::collection::vec(module(), 1..5),
        links in prop::collection::vec(link(), 0..5),
    ) {
        check(&render(codegen, &modules, &links));
    }
}

/// The generator is not so wild that nothing it writes is valid: a document
/// it renders from well-formed parts passes.
#[test]
fn grammar_renders_valid_documents() {
    let model = |name: &str| Model {
        name: name.into(),
        table: None,
        primary_key: None,
        linkable_keys: None,
        fields: vec![
            ("id".into(), "text".into()),
            ("deleted_at".into(), "timestamp?".into()),
        ],
        soft_delete: Some("deleted_at".into()),
        fields_as_subtable: name == "product",
    };
    let modules = ["product", "sales_channel"].map(|n| Module {
        name: n.into(),
        data_source: None,
        models: vec![model(n)],
    });
    let side = |m: &str| Side {
        model: Some(Pick::Raw(format!("{m}.{m}"))),
        key: Some(Pick::Raw(format!("{m}_id"))),
        alias: None,
        relation: None,
        is_list: Some("true".into()),
        delete_cascade: None,
        unknown: None,
    };
    let links = [true, false].map(|dotted| Link {
        left: Some(Side {
            alias: (!dotted).then(|| "item".to_string()),
            ..side("product")
        }),
        right: Some(Side {
            alias: (!dotted).then(|| "channel".to_string()),
            ..side("sales_channel")
        }),
        read_only: None,
        field: None,
        table: Some(format!("product_sales_channel_{dotted}")),
        id_prefix: Some("prodsc".into()),
        extra_columns: vec![("rank".into(), "integer".into(), None, Some("0".into()))],
        dotted,
    });
    let source = render(true, &modules, &links);
    if let Err(e) = link_codegen::check_toml(FILE_NAME, &source) {
        panic!("{source}\n{e}");
    }
}
