//! Workflow steps: a later failure rolls every step back exactly.

use link_runtime::workflow::{
    CreateRemoteLink, DismissRemoteLink, RemoveRemoteLink, Runner, Step, UseQueryGraph,
};
use link_runtime::{Error, Graph, LinkRow, LinkValue, ListFilter, Query, Selection};
use link_tests::databases;
use link_tests::service::setup;
use serde_json::{Map, Value, json};

fn v(p: &str, s: &str, data: Value) -> LinkValue {
    let data: Map<String, Value> = data.as_object().cloned().unwrap_or_default();
    LinkValue::new("product_sales_channel", p, s, data)
}

/// (left, right, extra_field, another_field, deleted?) of every row.
async fn state(link: &link_runtime::Link) -> Vec<(String, String, Value, Value, bool)> {
    let rows: Vec<LinkRow> = link
        .list(
            &ListFilter::Of(vec![Selection::new(
                "product",
                "product_id",
                ["p1", "p2", "p3"],
            )]),
            true,
        )
        .await
        .unwrap();
    let mut v: Vec<_> = rows
        .into_iter()
        .map(|r| {
            (
                r.left,
                r.right,
                r.data["extra_field"].clone(),
                r.data["another_field"].clone(),
                !r.deleted_at.is_null(),
            )
        })
        .collect();
    v.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    v
}

#[tokio::test]
async fn a_later_failure_rolls_back_every_step_exactly() {
    for db in databases().await {
        let link = setup(&db).await;
        // Before: a live link with extra values, an older dismissal, a link to remove.
        link.create(vec![v(
            "p1",
            "sc1",
            json!({"extra_field": 7, "another_field": "keep"}),
        )])
        .await
        .unwrap();
        link.create(vec![v("p2", "sc9", json!({}))]).await.unwrap();
        link.dismiss(vec![v("p2", "sc9", json!({}))]).await.unwrap();
        link.create(vec![
            v("p2", "sc1", json!({"extra_field": 1})),
            v("p3", "sc3", json!({})),
        ])
        .await
        .unwrap();
        let before = state(&link).await;

        let mut run = Runner::new();
        // Re-creates p1-sc1 with other values (pre-existing) and creates p1-sc2 (new).
        run.step(
            &CreateRemoteLink::new(link.clone()),
            vec![
                v("p1", "sc1", json!({"extra_field": 99})),
                v("p1", "sc2", json!({})),
            ],
        )
        .await
        .unwrap();
        run.step(
            &DismissRemoteLink::new(link.clone()),
            vec![v("p3", "sc3", json!({}))],
        )
        .await
        .unwrap();
        let report = run
            .step(
                &RemoveRemoteLink::new(link.clone()),
                vec![Selection::new("product", "product_id", ["p2"])],
            )
            .await
            .unwrap();
        assert_eq!(
            report.links["product_sales_channel"].len(),
            1,
            "only the live p2 link is removed"
        );
        let q = Query::new(link.graph().clone(), link.databases().clone());
        let rows = run
            .step(
                &UseQueryGraph::new(q),
                Graph::new("product_sales_channel").fields(["product_id"]),
            )
            .await
            .unwrap();
        assert_eq!(rows.data.len(), 2);
        assert_eq!(run.completed(), 4);
        // A later step fails: everything is undone.
        let err = run.abort("payment provider unavailable").await;
        assert_eq!(
            err.to_string(),
            "step `caller` failed: payment provider unavailable"
        );
        assert_eq!(state(&link).await, before);
    }
}

#[tokio::test]
async fn a_failing_step_compensates_the_earlier_ones() {
    for db in databases().await {
        let link = setup(&db).await;
        let mut run = Runner::new();
        run.step(
            &CreateRemoteLink::new(link.clone()),
            vec![v("p1", "sc1", json!({}))],
        )
        .await
        .unwrap();
        // An invalid value makes the second step fail.
        let err = run
            .step(
                &CreateRemoteLink::new(link.clone()),
                vec![v("p2", "sc2", json!({"nope": 1}))],
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "step `create_remote_link` failed: extra column `nope` of link `product_sales_channel` does not exist; expected `extra_field` or `another_field`"
        );
        let live = link
            .list(
                &ListFilter::Of(vec![Selection::new("product", "product_id", ["p1", "p2"])]),
                false,
            )
            .await
            .unwrap();
        assert!(live.is_empty(), "the first step's link is gone");
    }
}

/// A step whose compensation fails, to see both errors reported.
#[derive(Clone)]
struct Fragile;

impl Step for Fragile {
    type Input = ();
    type Output = ();
    type Undo = ();

    fn name(&self) -> &'static str {
        "fragile"
    }

    async fn invoke(&self, _: ()) -> Result<((), ()), Error> {
        Ok(((), ()))
    }

    async fn compensate(&self, _: ()) -> Result<(), Error> {
        Err(Error::InvalidValue {
            message: "the undo log is gone".into(),
        })
    }
}

#[tokio::test]
async fn compensation_failures_are_reported_with_the_original_error() {
    let mut run = Runner::new();
    run.step(&Fragile, ()).await.unwrap();
    let err = run.abort("boom").await;
    assert_eq!(err.compensation.len(), 1);
    assert_eq!(
        err.to_string(),
        "step `caller` failed: boom; compensating `fragile` also failed: invalid link value: the undo log is gone"
    );
}

/// Every column of every product_sales_channel row, ordered by id.
async fn rows_exact(link: &link_runtime::Link) -> Vec<LinkRow> {
    let mut rows = link
        .list(
            &ListFilter::Of(vec![Selection::new(
                "product",
                "product_id",
                ["p1", "p2", "p3"],
            )]),
            true,
        )
        .await
        .unwrap();
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    rows
}

#[tokio::test]
async fn compensation_puts_every_column_back_so_restore_exact_still_works() {
    for db in databases().await {
        let link = setup(&db).await;
        link.create(vec![
            v(
                "p1",
                "sc1",
                json!({"extra_field": 7, "another_field": "keep"}),
            ),
            v("p2", "sc2", json!({})),
        ])
        .await
        .unwrap();
        // A delete removes p1's link; its report is what restore_exact needs.
        let report = link
            .delete(&[Selection::new("product", "product_id", ["p1"])])
            .await
            .unwrap();
        let before = rows_exact(&link).await;
        // A workflow re-creates p1-sc1 (reviving it, new values) and
        // dismisses p2-sc2, then fails.
        let mut run = Runner::new();
        let created = run
            .step(
                &CreateRemoteLink::new(link.clone()),
                vec![v("p1", "sc1", json!({"extra_field": 99}))],
            )
            .await
            .unwrap();
        assert_eq!(created[0].deleted_at, Value::Null);
        assert_eq!(created[0].data["extra_field"], json!(99));
        run.step(
            &DismissRemoteLink::new(link.clone()),
            vec![v("p2", "sc2", json!({}))],
        )
        .await
        .unwrap();
        assert_ne!(rows_exact(&link).await, before);
        let err = run.abort("card declined").await;
        assert!(err.compensation.is_empty(), "{err}");
        // Every column as before: id, extra values, created_at, updated_at, deleted_at.
        assert_eq!(rows_exact(&link).await, before);
        // So the delete can still be undone exactly.
        let restored = link
            .restore_exact(&[Selection::new("product", "product_id", ["p1"])], &report)
            .await
            .unwrap();
        assert_eq!(restored.links["product_sales_channel"].len(), 1);
        let live = rows_exact(&link).await;
        assert_eq!(
            live.iter()
                .map(|r| (
                    r.left.as_str(),
                    r.data["extra_field"].clone(),
                    r.deleted_at.is_null()
                ))
                .collect::<Vec<_>>(),
            vec![("p1", json!(7), true), ("p2", json!(-1), true)]
        );
    }
}
