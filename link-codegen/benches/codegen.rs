//! Codegen speed on a large synthetic definition: 500 models in 100 modules
//! and 1,000 links (see `support/synthetic.rs`).
//!
//! ```text
//! cargo bench -p link-codegen --bench codegen
//! ```
//!
//! - `check_toml`: parse + validate;
//! - `check_and_plan`: parse + validate + emit every output (`plan_for` into
//!   a fresh, empty temporary folder, so nothing is read back or written);
//! - `plan_only`: the emit part alone, to tell the two apart;
//! - `emit_rust`: the Rust module alone (`emit::rust::emit`), the largest
//!   output.
//!
//! Target: under 0.5 s for `check_and_plan`. Peak memory is measured by
//! `examples/codegen_peak.rs`.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use divan::{AllocProfiler, Bencher};

#[path = "support/synthetic.rs"]
mod synthetic;

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

const FILE_NAME: &str = "links.toml";

static INPUT: LazyLock<(String, synthetic::Counts)> =
    LazyLock::new(|| synthetic::links_toml(synthetic::Size::ISSUE));

static VALIDATED: LazyLock<link_codegen::Validated> = LazyLock::new(|| check(&INPUT.0));

fn check(source: &str) -> link_codegen::Validated {
    match link_codegen::check_toml(FILE_NAME, source) {
        Ok(v) => v,
        Err(e) => panic!("the synthetic links.toml is invalid:\n{e}"),
    }
}

/// An empty folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "link-codegen-bench-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create a temporary folder");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn plan(v: &link_codegen::Validated, root: &Path) -> link_codegen::Plan {
    let plan = link_codegen::generate::plan_for(v, root, false).expect("plan");
    assert_eq!(plan.files.len(), INPUT.1.files);
    plan
}

fn main() {
    let (source, counts) = &*INPUT;
    let v = &*VALIDATED;
    assert_eq!(v.graph.modules.len(), counts.modules);
    assert_eq!(v.graph.models().count(), counts.models);
    assert_eq!(v.graph.stored_links().count(), counts.stored_links);
    assert_eq!(
        v.graph.links.len(),
        counts.stored_links + counts.read_only_links
    );
    let dir = TempDir::new();
    let files = plan(v, dir.path()).files;
    let bytes: usize = files.iter().map(|f| f.contents.len()).sum();
    eprintln!(
        "synthetic links.toml: {} bytes, {} modules, {} models, {} stored + {} read-only links; \
         plan: {} files, {} bytes",
        source.len(),
        counts.modules,
        counts.models,
        counts.stored_links,
        counts.read_only_links,
        files.len(),
        bytes
    );
    divan::main();
}

/// (a) parse + validate.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn check_toml(bencher: Bencher) {
    let source = INPUT.0.as_str();
    bencher
        .counter(divan::counter::BytesCount::of_str(source))
        .bench(|| check(divan::black_box(source)));
}

/// (b) parse + validate + emit all outputs into a fresh temporary folder.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn check_and_plan(bencher: Bencher) {
    let source = INPUT.0.as_str();
    bencher
        .with_inputs(TempDir::new)
        .bench_local_refs(|dir| plan(&check(divan::black_box(source)), dir.path()));
}

/// Emit only (Rust module, migrations, lock, docs) from a validated graph.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn plan_only(bencher: Bencher) {
    let v = &*VALIDATED;
    bencher
        .with_inputs(TempDir::new)
        .bench_local_refs(|dir| plan(divan::black_box(v), dir.path()));
}

/// The Rust module alone from a validated graph.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn emit_rust(bencher: Bencher) {
    let v = &*VALIDATED;
    bencher.bench(|| link_codegen::emit::rust::emit(divan::black_box(&v.graph)));
}
