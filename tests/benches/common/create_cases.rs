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

/// The one-statement baseline on Postgres: `INSERT … SELECT … FROM
/// unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT (pair) DO
/// NOTHING` of the same pairs with ids generated here, in one transaction.
/// `None` on SQLite (no arrays).
pub async fn hand_unnest(raw: &Raw, pairs: &[(String, String)]) -> Option<u64> {
    use chrono::SubsecRound;
    let Raw::Postgres(pool) = raw else {
        return None;
    };
    let ts = chrono::Utc::now().trunc_subsecs(6);
    let (products, channels): (Vec<&str>, Vec<&str>) =
        pairs.iter().map(|(p, s)| (p.as_str(), s.as_str())).unzip();
    let ids: Vec<String> = (0..pairs.len())
        .map(|i| format!("prodsc_{i:026}"))
        .collect();
    let mut tx = pool.begin().await.unwrap();
    let n = sqlx::query(
        "INSERT INTO \"product_sales_channel\" (\"product_id\", \"sales_channel_id\", \"id\", \"created_at\", \"updated_at\") \
         SELECT u.p, u.s, u.i, $4, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS u(p, s, i) \
         ON CONFLICT (\"product_id\", \"sales_channel_id\") DO NOTHING",
    )
    .bind(&products)
    .bind(&channels)
    .bind(&ids)
    .bind(ts)
    .execute(&mut *tx)
    .await
    .unwrap()
    .rows_affected();
    tx.commit().await.unwrap();
    Some(n)
}
