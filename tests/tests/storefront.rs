//! The storefront end to end, on SQLite and (with LINK_TEST_PG_URL) Postgres:
//! its printed output is snapshotted with timestamps redacted, and running it
//! twice prints the same.

fn redact(out: &str) -> String {
    out.lines()
        .map(|l| {
            let t = l.trim_start();
            let is_time = ["\"created_at\": \"", "\"updated_at\": \""]
                .iter()
                .any(|p| t.starts_with(p));
            if is_time {
                let indent = &l[..l.len() - t.len()];
                let key = &t[..t.find(':').unwrap_or(0)];
                let comma = if t.ends_with(',') { "," } else { "" };
                format!("{indent}{key}: \"[timestamp]\"{comma}")
            } else {
                l.replace("(postgres)", "(sqlite)")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn storefront_runs_twice_on_sqlite_and_prints_the_seed_queries() {
    let (db, path) = link_tests::sqlite_file().await;
    let first = storefront::app::run_on(db.clone()).await.unwrap();
    let second = storefront::app::run_on(db.clone()).await.unwrap();
    assert_eq!(redact(&first), redact(&second), "idempotent");
    insta::assert_snapshot!("storefront_output", redact(&first));
    db.close().await;
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn storefront_runs_on_postgres_with_the_same_output() {
    let Some(pg) = link_tests::postgres().await else {
        eprintln!("LINK_TEST_PG_URL is not set: Postgres run skipped");
        return;
    };
    let (db, path) = link_tests::sqlite_file().await;
    let sqlite = storefront::app::run_on(db.clone()).await.unwrap();
    let first = storefront::app::run_on(pg.clone()).await.unwrap();
    let second = storefront::app::run_on(pg).await.unwrap();
    assert_eq!(redact(&first), redact(&second));
    assert_eq!(redact(&first), redact(&sqlite));
    db.close().await;
    let _ = std::fs::remove_file(path);
}
