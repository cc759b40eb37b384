//! Data and the hand-written baseline of the link-create benchmarks.

use super::Raw;

/// Links per call.
pub const N: usize = 30_000;
/// Rows per statement of the hand-written baseline.
pub const HAND_CHUNK: usize = 1000;

/// `N` distinct (product, sales channel) pairs: 10,000 products, each in 3
/// of 10 channels.
pub fn pairs() -> Vec<(String, String)> {
    (0..N / 3)
        .flat_map(|i| {
            [0, 3, 7].map(|o| (format!("prod_{i:05}"), format!("sc_{:02}", (i + o) % 10)))
        })
        .collect()
}

/// The hand-written baseline: the same rows (keys, a generated id, both
/// timestamps) as multi-row INSERTs in one transaction.
pub async fn hand_insert(raw: &Raw, pairs: &[(String, String)]) {
    use chrono::SubsecRound;
    let ts = chrono::Utc::now().trunc_subsecs(6);
    let head = "INSERT INTO \"product_sales_channel\" (\"product_id\", \"sales_channel_id\", \"id\", \"created_at\", \"updated_at\") ";
    match raw {
        Raw::Sqlite(pool) => {
            let ts = ts.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
            let mut tx = pool.begin().await.unwrap();
            for (c, chunk) in pairs.chunks(HAND_CHUNK).enumerate() {
                let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(head);
                qb.push_values(chunk.iter().enumerate(), |mut b, (i, (p, s))| {
                    b.push_bind(p.as_str())
                        .push_bind(s.as_str())
                        .push_bind(format!("prodsc_{:026}", c * HAND_CHUNK + i))
                        .push_bind(ts.as_str())
                        .push_bind(ts.as_str());
                });
                qb.build().execute(&mut *tx).await.unwrap();
            }
            tx.commit().await.unwrap();
        }
        Raw::Postgres(pool) => {
            let mut tx = pool.begin().await.unwrap();
            for (c, chunk) in pairs.chunks(HAND_CHUNK).enumerate() {
                let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(head);
                qb.push_values(chunk.iter().enumerate(), |mut b, (i, (p, s))| {
                    b.push_bind(p.as_str())
                        .push_bind(s.as_str())
                        .push_bind(format!("prodsc_{:026}", c * HAND_CHUNK + i))
                        .push_bind(ts)
                        .push_bind(ts);
                });
                qb.build().execute(&mut *tx).await.unwrap();
            }
            tx.commit().await.unwrap();
        }
    }
}
