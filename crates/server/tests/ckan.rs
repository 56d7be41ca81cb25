//! The CKAN action API as harvesters and clients call it (ckanext-harvest's gather
//! requests, `ckanapi dump`, DataStore readers), in-process against a demo store.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use territoria_server::router;
use tower::ServiceExt;

mod common;

static FIXTURE: LazyLock<common::Demo> = LazyLock::new(|| common::demo(7, 400));

async fn call(method: Method, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "data.example.org");
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let res = router(FIXTURE.state.clone())
        .oneshot(req.body(body).unwrap())
        .await
        .expect("infallible");
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let j = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{uri}: not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    (status, j)
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn ok(action: &str, query: &str) -> Value {
    let uri = format!("/api/3/action/{action}?{query}");
    let (status, j) = call(Method::GET, &uri, None).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {j}");
    assert_eq!(j["success"], true);
    assert!(j["help"].as_str().unwrap().contains(action));
    j["result"].clone()
}

async fn refused(action: &str, query: &str) -> (StatusCode, Value) {
    let uri = format!("/api/3/action/{action}?{query}");
    let (status, j) = call(Method::GET, &uri, None).await;
    assert_eq!(j["success"], false, "{uri}: {j}");
    (status, j["error"].clone())
}

async fn names(fq: &str) -> BTreeSet<String> {
    let r = ok("package_search", &format!("rows=1000&fq={}", enc(fq))).await;
    let names: BTreeSet<String> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(r["count"].as_u64().unwrap() as usize, names.len(), "{fq}");
    names
}

#[tokio::test]
async fn fq_unions_intersections_and_negations_count_right() {
    let all = names("").await;
    assert_eq!(all.len(), 10);
    let econ = names("groups:econ").await;
    let regi = names("groups:regi").await;
    assert!(!econ.is_empty() && !regi.is_empty());
    let union: BTreeSet<String> = econ.union(&regi).cloned().collect();
    let inter: BTreeSet<String> = econ.intersection(&regi).cloned().collect();
    assert_eq!(names("groups:econ OR groups:regi").await, union);
    assert_eq!(names("groups:(econ OR regi)").await, union);
    assert_eq!(names("groups:econ || groups:regi").await, union);
    assert_eq!(names("groups:econ AND groups:regi").await, inter);
    assert_eq!(names("groups:econ groups:regi").await, inter);
    assert_eq!(names("+groups:econ +groups:regi").await, inter);
    let not_econ: BTreeSet<String> = all.difference(&econ).cloned().collect();
    assert_eq!(names("-groups:econ").await, not_econ);
    assert_eq!(names("*:* -groups:econ").await, not_econ);
    assert_eq!(names("NOT groups:econ").await, not_econ);
    assert_eq!(
        names("organization:territoria OR organization:someone-else").await,
        all
    );
    assert!(names("organization:someone-else").await.is_empty());
    // GeoJSON where there is a point field: places, and organisations (their
    // municipality's centre).
    let geo = BTreeSet::from(["organisations".to_owned(), "places".to_owned()]);
    assert_eq!(names("res_format:GEOJSON").await, geo);
    assert_eq!(names("res_format:PARQUET").await.len(), 10);
    assert_eq!(
        names("name:org*").await,
        BTreeSet::from(["organisations".to_owned()])
    );
    // csv, json, jsonl, parquet, xlsx, and geojson for the geographic ones.
    assert_eq!(names("num_resources:[6 TO *]").await, geo);
    assert_eq!(names("num_resources:[5 TO 5]").await.len(), 8);
    // q with a field is a lucene query too, ANDed with fq.
    let r = ok(
        "package_search",
        &format!(
            "q={}&fq={}&rows=100",
            enc("groups:econ OR groups:regi"),
            enc("-name:places")
        ),
    )
    .await;
    let want: BTreeSet<String> = union.iter().filter(|n| *n != "places").cloned().collect();
    assert_eq!(r["count"].as_u64().unwrap() as usize, want.len());
}

#[tokio::test]
async fn harvester_gather_pages_by_id_and_filters_by_date() {
    // ckanext-harvest's CKAN harvester: package_search?rows=100&start=0&sort=id asc&fq=…,
    // then start += rows until an empty page. Here with small pages too.
    for (fq, rows) in [
        ("", 100),
        ("+dataset_type:dataset", 100),
        ("+dataset_type:dataset", 3),
        ("metadata_modified:[2024-01-01T00:00:00Z TO *]", 2),
        (
            "+dataset_type:dataset metadata_modified:[2000-01-01T00:00:00Z TO *]",
            5,
        ),
    ] {
        let mut seen = Vec::new();
        let mut start = 0;
        loop {
            let mut q = format!("rows={rows}&start={start}&sort={}", enc("id asc"));
            if !fq.is_empty() {
                q.push_str(&format!("&fq={}", enc(fq)));
            }
            let r = ok("package_search", &q).await;
            let page = r["results"].as_array().unwrap();
            if page.is_empty() {
                break;
            }
            seen.extend(page.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
            start += rows;
        }
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "{fq}: sorted by id");
        sorted.dedup();
        assert_eq!(sorted.len(), seen.len(), "{fq}: each once");
        assert_eq!(seen.len(), 10, "{fq}: every dataset");
    }
    // Nothing changed after tomorrow.
    assert!(names("metadata_modified:[NOW+1DAY TO *]").await.is_empty());
    assert!(
        names("metadata_modified:{* TO 2000-01-01T00:00:00Z}")
            .await
            .is_empty()
    );
    // Several keys, both directions.
    let r = ok(
        "package_search",
        &format!("rows=100&sort={}", enc("metadata_modified desc, name desc")),
    )
    .await;
    let got: Vec<&str> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let mut want = got.clone();
    want.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(got, want);
    for sort in [
        "metadata_created asc",
        "title asc",
        "title_string desc",
        "num_resources desc, id asc",
    ] {
        ok("package_search", &format!("sort={}", enc(sort))).await;
    }
}

#[tokio::test]
async fn malformed_queries_are_refused_with_a_position() {
    for (param, q, pos) in [
        ("fq", "groups:(econ OR regi", 20),
        ("fq", "groups:econ OR", 14),
        ("fq", "metadata_modified:[2024-01-01 TO", 32),
        ("fq", "metadata_modified:[yesterday TO *]", 18),
        ("fq", "nope:x", 0),
        ("q", "title:\"abc", 6),
        ("sort", "id asc, nope desc", 8),
    ] {
        let (status, e) = refused("package_search", &format!("{param}={}", enc(q))).await;
        assert_eq!(status, StatusCode::CONFLICT, "{q}");
        assert_eq!(e["__type"], "Search Query Error", "{q}");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .starts_with("Search Query is invalid"),
            "{e}"
        );
        assert_eq!(e["parameter"], param, "{q}");
        assert_eq!(e["position"], pos, "{q}: {e}");
    }
    let (_, e) = refused("package_search", &format!("fq={}", enc("organisation:x"))).await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("did you mean organization"),
        "{e}"
    );
    let (_, e) = refused("package_search", "sort=id").await;
    assert!(e["message"].as_str().unwrap().contains("Sort Order"), "{e}");
}

#[tokio::test]
async fn resources_groups_and_lists() {
    let p = ok("package_show", "id=organisations").await;
    let csv = p["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["format"] == "CSV")
        .unwrap()
        .clone();
    assert_eq!(csv["datastore_active"], true);
    assert!(
        p["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["datastore_active"] == false)
    );
    let r = ok(
        "resource_show",
        &format!("id={}", csv["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(r, csv);
    let (status, e) = refused("resource_show", "id=nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(e["__type"], "Not Found Error");

    let groups = ok("group_list", "").await;
    for g in groups.as_array().unwrap() {
        let g = g.as_str().unwrap();
        let shown = ok("group_show", &format!("id={g}&include_datasets=false")).await;
        assert_eq!(shown["name"], g);
        assert!(shown.get("packages").is_none());
        assert_eq!(
            shown["package_count"].as_u64().unwrap() as usize,
            names(&format!("groups:{g}")).await.len()
        );
        let with = ok("group_show", &format!("id={g}&include_datasets=true")).await;
        assert_eq!(
            with["packages"].as_array().unwrap().len() as u64,
            with["package_count"].as_u64().unwrap()
        );
    }
    let (status, _) = refused("group_show", "id=nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let all = ok("current_package_list_with_resources", "").await;
    assert_eq!(all.as_array().unwrap().len(), 10);
    assert!(all[0]["resources"].as_array().unwrap().len() >= 3);
    let page = ok("current_package_list_with_resources", "limit=3&offset=6").await;
    assert_eq!(page.as_array().unwrap().len(), 3);
    let page2 = ok("current_package_list_with_resources", "limit=3&page=3").await;
    assert_eq!(page, page2);

    assert_eq!(ok("site_read", "").await, json!(true));
    let ac = ok("package_autocomplete", "q=orga").await;
    assert_eq!(ac[0]["name"], "organisations");
    assert_eq!(ac[0]["match_field"], "name");
    assert!(
        ok("package_autocomplete", "q=zzzz")
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn datastore_search_reads_tables() {
    let r = ok("datastore_search", "resource_id=organisations-csv&limit=5").await;
    let fields = r["fields"].as_array().unwrap();
    assert_eq!(fields[0], json!({"id": "_id", "type": "int"}));
    assert!(
        fields
            .iter()
            .any(|f| f["id"] == "employees" && f["type"] == "int")
    );
    assert!(
        fields
            .iter()
            .any(|f| f["id"] == "name" && f["type"] == "text")
    );
    let records = r["records"].as_array().unwrap();
    assert_eq!(records.len(), 5);
    assert_eq!(records[0]["_id"], 1);
    assert_eq!(records[4]["_id"], 5);
    let p = ok("package_show", "id=organisations").await;
    let count = p["extras"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "records_count")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .unwrap();
    assert_eq!(r["total"], count);
    assert_eq!(r["total_was_estimated"], false);
    assert_eq!(r["limit"], 5);
    assert_eq!(r["records_format"], "objects");
    assert_eq!(
        r["_links"]["next"],
        "/api/3/action/datastore_search?resource_id=organisations-csv&limit=5&offset=5"
    );
    assert_eq!(
        r["_links"]["start"],
        "/api/3/action/datastore_search?resource_id=organisations-csv&limit=5"
    );
    // The dataset id works as an alias; offset; fields; sort.
    let r2 = ok(
        "datastore_search",
        "resource_id=organisations&limit=5&offset=3&fields=_id,name",
    )
    .await;
    assert_eq!(
        r2["records"][0],
        json!({"_id": 4, "name": records[3]["name"]})
    );
    let r3 = ok(
        "datastore_search",
        &format!(
            "resource_id=organisations&limit=3&sort={}",
            enc("employees desc, _id asc")
        ),
    )
    .await;
    let e: Vec<i64> = r3["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["employees"].as_i64().unwrap_or(-1))
        .collect();
    assert!(e.windows(2).all(|w| w[0] >= w[1]), "{e:?}");
    // Filters (a value or a list), q.
    let many = ok("datastore_search", "resource_id=organisations&limit=100").await;
    let province = many["records"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|x| x["province"].as_str())
        .expect("a province")
        .to_owned();
    let f = ok(
        "datastore_search",
        &format!(
            "resource_id=organisations&limit=1000&filters={}",
            enc(&json!({"province": province}).to_string())
        ),
    )
    .await;
    let n = f["total"].as_u64().unwrap();
    assert!(n >= 1 && n < count);
    assert!(
        f["records"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["province"] == province.as_str())
    );
    let name = records[0]["name"].as_str().unwrap().to_owned();
    let q = ok(
        "datastore_search",
        &format!("resource_id=organisations&q={}", enc(&name)),
    )
    .await;
    assert!(
        q["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"] == name.as_str())
    );
    // POST with a JSON body (ckanapi), no total.
    let (status, j) = call(
        Method::POST,
        "/api/action/datastore_search",
        Some(json!({"resource_id": "places-csv", "limit": 0, "include_total": false})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{j}");
    assert!(j["result"]["records"].as_array().unwrap().is_empty());
    assert!(j["result"].get("total").is_none());
    assert!(!j["result"]["fields"].as_array().unwrap().is_empty());
    // Errors.
    let (status, e) = refused("datastore_search", "resource_id=nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(e["__type"], "Not Found Error");
    let (status, e) = refused(
        "datastore_search",
        &format!("resource_id=organisations&filters={}", enc("{\"nope\": 1}")),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(e["__type"], "Validation Error");
    assert_eq!(e["filters"][0], "field \"nope\" not in resource");
    let (_, e) = refused("datastore_search", "resource_id=organisations&sort=nope").await;
    assert_eq!(e["sort"][0], "field \"nope\" not in resource");
}
