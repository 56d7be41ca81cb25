//! The Digiscore barometer: the page, the lever's block, the JSON API and the open
//! dataset publish aggregates only — never a group below the anonymity threshold — and
//! follow the assessments: real ones replace the demo ones once they have a total.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::Value;
use territoria_server::digiscore::barometer;
use territoria_server::router;
use territoria_store::{DigiscoreRecord, Op, Store};

const LEVER_PAGE: &str = "/fr/leviers/maturite-numerique-des-entreprises";

async fn get(app: &axum::Router, uri: &str) -> common::Answer {
    let a = common::send(app.clone(), Method::GET, uri, &[], Body::empty()).await;
    assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.text());
    a
}

/// A finished real assessment of the Digiscore questionnaire in section F, micro, in
/// Namur, with every axis at `score`.
fn real(store: &dyn Store, n: usize, score: f64) {
    let hash = territoria_auth::digest(&format!("real-{n}"));
    let axes = serde_json::json!([
        {"axis": "infrastructure", "score": score},
        {"axis": "organisation", "score": score},
        {"axis": "processus", "score": score},
        {"axis": "strategie", "score": score},
    ]);
    let record = DigiscoreRecord {
        link_hash: hash.clone(),
        series: hash,
        questionnaire: "digiscore".into(),
        questionnaire_version: 1,
        kbo: None,
        nace_section: "F".into(),
        size_class: "micro".into(),
        municipality: Some("92094".into()),
        answers: "{}".into(),
        overall: Some(score),
        axes: Some(axes.to_string()),
        completed_at: Some("2026-11-01T10:00:00Z".into()),
        demo: false,
    };
    let mut ops = std::iter::once(Ok(Op::DigiscoreAssessment(Box::new(record)).into()));
    store
        .apply("test", "real", &mut ops, &Default::default(), &mut |_| {})
        .unwrap();
}

fn rows(api: &Value) -> Vec<(bool, usize)> {
    api["barometers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| {
            let synthetic = b["synthetic"].as_bool().unwrap();
            b["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |r| (synthetic, r["cell"]["n"].as_u64().unwrap() as usize))
        })
        .collect()
}

#[tokio::test]
async fn the_barometer_publishes_aggregates_only_and_follows_the_assessments() {
    let demo = common::demo(7, 50);
    let store = demo.state.store.clone();
    let app = router(demo.state.clone());

    // The demo alone: a synthetic barometer, flagged everywhere, nothing below 10.
    let api = get(&app, "/api/digiscore/barometer").await.json();
    let all = rows(&api);
    assert!(!all.is_empty());
    assert!(
        all.iter().all(|(synthetic, n)| *synthetic && *n >= 10),
        "{all:?}"
    );
    let lever = get(&app, LEVER_PAGE).await.text();
    assert!(lever.contains("id=\"lever-barometer\""), "{lever}");
    assert!(lever.contains("évaluations synthétiques de démonstration"));
    let page = get(&app, "/fr/digiscore/barometre").await.text();
    assert!(
        page.contains("Par secteur (section NACE)") && page.contains("évaluations synthétiques")
    );
    get(&app, "/en/digiscore/barometer").await;

    // The open dataset: aggregates of at least 10, also when filters are combined to
    // narrow down on one group, and no field that could name an organisation.
    let ds = get(
        &app,
        &format!("/api/explore/v2.1/catalog/datasets/{}", barometer::DATASET),
    )
    .await
    .json();
    let fields: Vec<&str> = ds["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for private in ["kbo", "answers", "link_hash", "series", "municipality"] {
        assert!(!fields.contains(&private), "{fields:?}");
    }
    let small = get(
        &app,
        &format!(
            "/api/explore/v2.1/catalog/datasets/{}/records?where=assessments%3C10&limit=0",
            barometer::DATASET
        ),
    )
    .await
    .json();
    assert_eq!(small["total_count"], 0);
    let narrowed = get(
        &app,
        &format!(
            "/api/explore/v2.1/catalog/datasets/{}/records?refine=dimension:section&refine=group:F&refine=demo:true&limit=100",
            barometer::DATASET
        ),
    )
    .await
    .json();
    for r in narrowed["results"].as_array().unwrap() {
        assert!(r["assessments"].as_i64().unwrap() >= 10, "{r}");
    }

    // Nine real assessments: still no real figure anywhere (nine is below the threshold).
    for i in 0..9 {
        real(store.as_ref(), i, 80.0);
    }
    let api = get(&app, "/api/digiscore/barometer").await.json();
    assert!(rows(&api).iter().all(|(synthetic, _)| *synthetic), "{api}");
    let lever = get(&app, LEVER_PAGE).await.text();
    assert!(lever.contains("évaluations synthétiques de démonstration"));
    let ds = barometer::dataset(store.as_ref(), None).unwrap();
    assert!(ds.meta.demo_records > 0);

    // The tenth: the real barometer has its total, and the lever shows it, not the demo.
    real(store.as_ref(), 9, 80.0);
    let api = get(&app, "/api/digiscore/barometer").await.json();
    let real_rows: Vec<usize> = rows(&api)
        .into_iter()
        .filter(|(synthetic, _)| !synthetic)
        .map(|(_, n)| n)
        .collect();
    assert!(
        !real_rows.is_empty() && real_rows.iter().all(|n| *n == 10),
        "{real_rows:?}"
    );
    let lever = get(&app, LEVER_PAGE).await.text();
    let block = lever.split("id=\"lever-barometer\"").nth(1).unwrap();
    assert!(!block.contains("synthétiques"), "{block}");
    assert!(
        block.contains("<strong>10</strong>") && block.contains("<strong>80,0</strong>"),
        "{block}"
    );
    let page = get(&app, "/fr/digiscore/barometre").await.text();
    assert!(page.contains("Calculé sur les évaluations réelles uniquement."));
}
