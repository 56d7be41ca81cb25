//! The service opens on a store the store crate migrated, and keeps its entities
//! across a reopening.

use serde_json::json;
use territoria_sta::Sta;

#[test]
fn entities_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let store = territoria_store::SqliteStore::open(&path).unwrap();
    // SensorThings needs its migration; later migrations keep it.
    assert!(store.schema_version().unwrap() >= territoria_sta::SCHEMA_VERSION);
    let sta = Sta::open(&path).unwrap();
    let base = "http://x/api/sta/v1.1";
    let c = sta
        .post(base, "Things", &json!({"name": "a", "description": "b"}))
        .unwrap();
    assert_eq!(c.location, format!("{base}/Things(1)"));
    drop(sta);
    let sta = Sta::open(&path).unwrap();
    let v = sta.get(base, "Things(1)", "$select=name").unwrap();
    assert_eq!(v, json!({"name": "a"}));
}
