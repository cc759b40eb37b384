//! Peak memory and one-shot time of codegen on the benchmark's synthetic
//! definition (500 models in 100 modules, 1,000 links).
//!
//! ```text
//! cargo build --release -p link-codegen --example codegen_peak
//! /usr/bin/time -v target/release/examples/codegen_peak
//! ```
//!
//! Prints the time of each step and, on Linux, the peak resident set size
//! (`VmHWM` of `/proc/self/status`). Exits non-zero if the synthetic file is
//! invalid or the plan lacks a file.

use std::time::Instant;

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

fn status_field(name: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .map(|v| v.trim().to_string())
}

fn main() {
    let (source, counts) = synthetic::links_toml(synthetic::Size::ISSUE);
    let root = std::env::temp_dir().join(format!("link-codegen-peak-{}", std::process::id()));
    std::fs::create_dir_all(&root).expect("create a temporary folder");

    let start = Instant::now();
    let validated = match link_codegen::check_toml("links.toml", &source) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("the synthetic links.toml is invalid:\n{e}");
            std::process::exit(1);
        }
    };
    let checked = start.elapsed();
    let plan = link_codegen::generate::plan_for(&validated, &root, false).expect("plan");
    let total = start.elapsed();
    let _ = std::fs::remove_dir_all(&root);

    assert_eq!(validated.graph.models().count(), counts.models);
    assert_eq!(
        validated.graph.links.len(),
        counts.stored_links + counts.read_only_links
    );
    assert_eq!(plan.files.len(), counts.files, "files in the plan");
    // For inspecting the outputs: `CODEGEN_PEAK_WRITE=DIR` writes them under DIR.
    if let Some(out) = std::env::var_os("CODEGEN_PEAK_WRITE") {
        let out = std::path::PathBuf::from(out);
        for f in &plan.files {
            let path = out.join(f.path.strip_prefix(&root).unwrap_or(&f.path));
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("create output folder");
            }
            std::fs::write(&path, &f.contents).expect("write output");
        }
    }
    let bytes: usize = plan.files.iter().map(|f| f.contents.len()).sum();

    println!(
        "input: {} bytes, {} modules, {} models, {} stored + {} read-only links",
        source.len(),
        counts.modules,
        counts.models,
        counts.stored_links,
        counts.read_only_links
    );
    println!("output: {} files, {bytes} bytes", plan.files.len());
    let mut largest: Vec<_> = plan.files.iter().collect();
    largest.sort_by_key(|f| std::cmp::Reverse(f.contents.len()));
    for f in largest.iter().take(5) {
        let name = f.path.strip_prefix(&root).unwrap_or(&f.path);
        println!("  {:>10} bytes  {}", f.contents.len(), name.display());
    }
    println!("check_toml: {:.1} ms", checked.as_secs_f64() * 1e3);
    println!("plan_for: {:.1} ms", (total - checked).as_secs_f64() * 1e3);
    println!("total: {:.1} ms", total.as_secs_f64() * 1e3);
    match status_field("VmHWM:") {
        Some(hwm) => println!("peak RSS (VmHWM): {hwm}"),
        None => println!("peak RSS: unknown (no /proc/self/status)"),
    }
}
