//! A batch of 10,000 keys on Postgres, as the query engine sent it before
//! (`"id" IN ($1, …, $10000)`) and as it sends it now (`"id" = ANY($1)`, one
//! bound `text[]`): planning and execution time of each statement from
//! `EXPLAIN (ANALYZE, SUMMARY)`, medians of 15 runs, on a table of 30,000
//! rows keyed by text. Needs `LINK_TEST_PG_URL`.
//!
//! ```text
//! LINK_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench -p link-tests --bench key_batch
//! ```

use sqlx::postgres::PgPoolOptions;
use sqlx::{Arguments, Row};

const ROWS: usize = 30_000;
const KEYS: usize = 10_000;
const RUNS: usize = 15;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (planning ms, execution ms) from the text of EXPLAIN ANALYZE.
fn times(lines: &[String]) -> (f64, f64) {
    let find = |prefix: &str| {
        lines
            .iter()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|r| r.trim().trim_end_matches(" ms").parse::<f64>().ok())
            .expect("EXPLAIN summary line")
    };
    (find("Planning Time:"), find("Execution Time:"))
}

fn main() {
    let Some(url) = std::env::var("LINK_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("LINK_TEST_PG_URL is not set: nothing to measure");
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let schema = format!("bench_key_batch_{}", std::process::id());
        let admin = sqlx::PgPool::connect(&url).await.expect("postgres");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
            .execute(&admin)
            .await
            .unwrap();
        let opts: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(opts.options([("search_path", schema.as_str())]))
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            r#"CREATE TABLE "t" ("id" text PRIMARY KEY, "v" integer NOT NULL);
               INSERT INTO "t" SELECT 'key_' || lpad(g::text, 6, '0'), g FROM generate_series(1, {ROWS}) g;
               ANALYZE "t";"#
        )))
        .execute(&pool)
        .await
        .unwrap();
        let keys: Vec<String> = (0..KEYS).map(|i| format!("key_{:06}", 1 + i * 3)).collect();
        let list = (1..=KEYS).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let in_sql = format!(r#"EXPLAIN (ANALYZE, SUMMARY) SELECT "id", "v" FROM "t" WHERE "id" IN ({list})"#);
        let any_sql = r#"EXPLAIN (ANALYZE, SUMMARY) SELECT "id", "v" FROM "t" WHERE "id" = ANY($1)"#;
        let mut results = Vec::new();
        for (name, array) in [("IN ($1 … $10000)", false), ("= ANY($1)", true)] {
            let (mut plan, mut exec) = (Vec::new(), Vec::new());
            for _ in 0..RUNS {
                let mut args = sqlx::postgres::PgArguments::default();
                let sql = if array {
                    args.add(keys.as_slice()).unwrap();
                    any_sql.to_string()
                } else {
                    for k in &keys {
                        args.add(k.as_str()).unwrap();
                    }
                    in_sql.clone()
                };
                let rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
                    .fetch_all(&pool)
                    .await
                    .unwrap();
                let lines: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
                let (p, e) = times(&lines);
                plan.push(p);
                exec.push(e);
            }
            results.push((name, median(plan), median(exec)));
        }
        println!("batch of {KEYS} keys over {ROWS} rows, medians of {RUNS} (EXPLAIN ANALYZE, ms):");
        println!("{:<20} {:>10} {:>10}", "statement", "planning", "execution");
        for (name, p, e) in &results {
            println!("{name:<20} {p:>10.2} {e:>10.2}");
        }
        let (before, after) = (&results[0], &results[1]);
        println!(
            "planning: {:.1}x faster with one bound array; planning + execution {:.2} -> {:.2} ms",
            before.1 / after.1,
            before.1 + before.2,
            after.1 + after.2
        );
        pool.close().await;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA \"{schema}\" CASCADE")))
            .execute(&admin)
            .await
            .unwrap();
    });
}
