//! Peak resident memory of one big call, each in its own process: the parent
//! prepares the database (a SQLite file, a Postgres schema), then runs this
//! binary again per case; the child connects, builds its input, runs the
//! call once and reports `VmHWM` (peak RSS) from /proc/self/status.
//!
//! Cases: `create_values` / `create_json` (30,000 links in one
//! `Link::create`), `hand_insert` (the hand-written INSERTs of the same
//! rows), `query_a_graph` (every product with its channels through
//! `Query::graph`), `query_a_hand` (the hand-written join of the same).
//!
//! ```text
//! LINK_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench -p link-tests --bench peak_rss
//! ```

mod common;

use std::process::Command;

use link_runtime::{Databases, Link, LinkValue};
use serde_json::{Map, Value, json};

use common::{Fresh, RT};

const CASES: &[&str] = &[
    "create_values",
    "create_json",
    "hand_insert",
    "query_a_graph",
    "query_a_hand",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        // Profiling: `--repeat N` runs the call N times.
        let repeat = args
            .iter()
            .position(|a| a == "--repeat")
            .and_then(|r| args.get(r + 1)?.parse().ok())
            .unwrap_or(1);
        child(&args[i + 1], &args[i + 2], &args[i + 3], repeat);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--prepare") {
        // Profiling: prepare the databases in a directory and print them.
        let dir = std::path::PathBuf::from(&args[i + 1]);
        std::fs::create_dir_all(&dir).expect("dir");
        for dialect in common::dialects() {
            let w = prepare_write(dialect, &dir);
            let r = prepare_read(dialect, &dir);
            println!("{dialect} write={w} read={r}");
        }
        return;
    }
    // `cargo bench` passes `--bench`; a filter selects cases by substring.
    let filter: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with("--")).collect();
    let dir = std::env::temp_dir().join(format!("link_peak_rss_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!(
        "{:<14} {:<9} {:>12} {:>12} {:>12}",
        "case", "database", "peak RSS", "before call", "call adds"
    );
    for dialect in common::dialects() {
        // Databases: one for writes (emptied per case), one seeded for reads.
        let write_loc = prepare_write(dialect, &dir);
        let read_loc = prepare_read(dialect, &dir);
        for case in CASES {
            let name = format!("{case}/{dialect}");
            if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
                continue;
            }
            let loc = if case.starts_with("query") {
                &read_loc
            } else {
                RT.block_on(async {
                    let f = connect(dialect, &write_loc).await;
                    common::raw_execute(&f.raw, "DELETE FROM \"product_sales_channel\"").await;
                    f.db.close().await;
                });
                &write_loc
            };
            let out = Command::new(std::env::current_exe().expect("exe"))
                .args(["--child", case, dialect, loc])
                .output()
                .expect("run child");
            let stdout = String::from_utf8_lossy(&out.stdout);
            if !out.status.success() {
                panic!(
                    "{name} failed: {stdout}{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            let kib: Vec<u64> = stdout
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            let (peak, before) = (kib[0], kib[1]);
            println!(
                "{case:<14} {dialect:<9} {:>8.1} MiB {:>8.1} MiB {:>8.1} MiB",
                peak as f64 / 1024.0,
                before as f64 / 1024.0,
                peak.saturating_sub(before) as f64 / 1024.0
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A database location: a SQLite file path or a Postgres schema name.
async fn connect(dialect: &str, loc: &str) -> Fresh {
    match dialect {
        "sqlite" => common::sqlite_file(std::path::Path::new(loc)).await,
        _ => common::postgres_schema(loc, false)
            .await
            .expect("postgres configured"),
    }
}

fn prepare_write(dialect: &str, dir: &std::path::Path) -> String {
    RT.block_on(async {
        let (f, loc) = match dialect {
            "sqlite" => {
                let p = dir.join("write.db");
                (common::sqlite_file(&p).await, p.display().to_string())
            }
            _ => {
                let s = "bench_rss_write";
                (common::postgres_schema(s, true).await.unwrap(), s.into())
            }
        };
        common::create_link_tables(&f.db, &common::seed_graph()).await;
        f.db.close().await;
        loc
    })
}

fn prepare_read(dialect: &str, dir: &std::path::Path) -> String {
    RT.block_on(async {
        let (f, loc) = match dialect {
            "sqlite" => {
                let p = dir.join("read.db");
                (common::sqlite_file(&p).await, p.display().to_string())
            }
            _ => {
                let s = "bench_rss_read";
                (common::postgres_schema(s, true).await.unwrap(), s.into())
            }
        };
        common::query_cases::seed(&f).await;
        f.db.close().await;
        loc
    })
}

/// Runs one case once and prints `<peak KiB> <RSS before the call KiB>`.
fn child(case: &str, dialect: &str, loc: &str, repeat: usize) {
    RT.block_on(async {
        let f = connect(dialect, loc).await;
        // Warm the pool so connection set-up is not counted as the call.
        common::raw_execute(&f.raw, "SELECT 1").await;
        let mut before = 0;
        for _ in 0..repeat {
            before = run_case(case, &f).await;
        }
        let (peak, _) = common::rss_kib();
        println!("{peak} {before}");
    });
}

/// Runs one case; returns the RSS before the call (KiB).
async fn run_case(case: &str, f: &Fresh) -> u64 {
    use common::query_cases as q;
    let graph = common::seed_graph();
    let pairs = common::create_cases::pairs();
    let link = || Link::new(graph.clone(), Databases::single(f.db.clone()));
    let query = || link_runtime::Query::new(graph.clone(), Databases::single(f.db.clone()));
    match case {
        "create_values" => {
            let link = link();
            let values: Vec<LinkValue> = pairs
                .into_iter()
                .map(|(p, s)| LinkValue::new("product_sales_channel", p, s, Map::new()))
                .collect();
            let before = start();
            let rows = link.create(values).await.expect("create");
            assert_eq!(rows.len(), common::create_cases::N);
            before
        }
        "create_json" => {
            let link = link();
            let value = Value::Array(
                pairs
                    .iter()
                    .map(|(p, s)| {
                        json!({"product": {"product_id": p}, "sales_channel": {"sales_channel_id": s}})
                    })
                    .collect(),
            );
            drop(pairs);
            let before = start();
            let rows = link.create(value).await.expect("create");
            assert_eq!(rows.len(), common::create_cases::N);
            before
        }
        "hand_insert" => {
            let before = start();
            common::create_cases::hand_insert(&f.raw, &pairs).await;
            before
        }
        "query_a_graph" => {
            let query = query();
            let before = start();
            let r = query.graph(q::req_a()).await.expect("graph");
            assert_eq!(r.data.len(), q::PRODUCTS);
            before
        }
        "query_a_hand" => {
            let before = start();
            let data = q::a_hand_join(&f.raw).await;
            assert_eq!(data.len(), q::PRODUCTS);
            before
        }
        // Profiling only (`--child <case> … --repeat N`): the other cases.
        "query_b_graph" | "query_c_graph" | "query_d_graph" => {
            let query = query();
            let req = match case {
                "query_b_graph" => q::req_b(),
                "query_c_graph" => q::req_c(),
                _ => q::req_d(),
            };
            let before = start();
            query.graph(req).await.expect("graph");
            before
        }
        "query_b_hand" => {
            let before = start();
            q::b_hand_join(&f.raw, &q::b_join_sql()).await;
            before
        }
        "query_c_hand" => {
            let before = start();
            q::c_hand_join(&f.raw).await;
            before
        }
        "query_d_hand" => {
            let before = start();
            q::d_hand(&f.raw).await;
            before
        }
        other => panic!("unknown case {other}"),
    }
}

/// Resets the peak to the current RSS (when the kernel allows) and returns
/// the current RSS: what the process holds before the call.
fn start() -> u64 {
    common::reset_peak_rss();
    common::rss_kib().1
}
