//! The smart-magnet index follows writes made after the server started, including
//! writes by another process (here: a second store handle on the same file, as a
//! `territoria import` next to a running server would be).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use territoria_magnet::Refreshed;
use territoria_model::{ConceptRef, Details, Entity, EntityKind, Labels, Organisation, Provenance};
use territoria_server::{AppState, router};
use territoria_store::{Op, SqliteStore, Store, WriteOptions};
use tower::ServiceExt;

mod common;

async fn total(state: &AppState, q: &str) -> u64 {
    let uri = format!("/api/magnets/search?q={q}&limit=0");
    let res = router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&body).unwrap();
    v["total"].as_u64().unwrap()
}

#[tokio::test]
async fn writes_by_another_process_reach_the_magnet_index() {
    let demo = common::demo(5, 200);
    let (path, state) = (&demo.path, &demo.state);
    let q = "organisation-kind:startup%20AND%20territory:62063%20AND%20%22Zorglub%22";
    assert_eq!(total(state, q).await, 0);

    let other = SqliteStore::open(path).unwrap();
    let mut org = Entity::new(
        EntityKind::Organisation,
        "zorglub",
        Labels::fr("Zorglub Robotique"),
        Provenance::stated("live-update test"),
    );
    org.tags = vec![
        ConceptRef::new("organisation-kind", "startup"),
        ConceptRef::new("territory", "62063"),
    ];
    org.details = Details::Organisation(Organisation::default());
    let mut records = std::iter::once(Ok(Op::Entity(Box::new(org)).into()));
    other
        .apply(
            "test",
            "import",
            &mut records,
            &WriteOptions::default(),
            &mut |_| {},
        )
        .unwrap();

    // Not yet seen: the index changes only when it catches up.
    assert_eq!(total(state, q).await, 0);
    assert_eq!(state.refresh().unwrap(), Refreshed::Updated { entities: 1 });
    assert_eq!(total(state, q).await, 1);
    // Liège (62063) is in Wallonia (03000): the hierarchy holds for the new member.
    assert_eq!(
        total(state, "territory:03000%20AND%20%22Zorglub%22").await,
        1
    );
    assert_eq!(state.refresh().unwrap(), Refreshed::Unchanged);
}
