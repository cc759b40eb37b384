//! Query plans and timings of SQL statements on a SQLite file, with the
//! SQLite the runtime bundles (a tool for tuning the statements `Query`
//! writes).
//!
//! ```text
//! cargo run --release -p link-runtime --example sqlite_plan -- <db file> < statements.sql
//! ```
//!
//! Statements on standard input are separated by lines holding only `---`;
//! each is planned (`EXPLAIN QUERY PLAN`) and run 15 times (min and median).

use std::io::Read;
use std::time::Instant;

use sqlx::{Connection, Row};

const RUNS: usize = 15;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: sqlite_plan <db file> < statements")?;
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{path}")).await?;
    let version: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(&mut c)
        .await?;
    println!("SQLite {version}");
    for stmt in input
        .split("\n---\n")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        println!("\n{stmt}");
        let plan = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {stmt}")))
            .fetch_all(&mut c)
            .await?;
        for r in plan {
            println!("  {}", r.get::<String, _>(3));
        }
        let mut rows = 0;
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            rows = sqlx::query(sqlx::AssertSqlSafe(stmt))
                .fetch_all(&mut c)
                .await?
                .len();
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "  => {rows} rows, min {:.2} ms, median {:.2} ms",
            times[0],
            times[RUNS / 2]
        );
    }
    Ok(())
}
