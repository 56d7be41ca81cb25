//! The open-data endpoints the way public client code calls odwb.be (Opendatasoft Explore
//! API v2.1), CKAN harvesters and DCAT-AP harvesters do, against a demo store
//! (1,500 synthetic organisations) loaded once for the whole binary.

use std::sync::LazyLock;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use territoria_server::router;
use tower::ServiceExt;

mod common;

static FIXTURE: LazyLock<common::Demo> = LazyLock::new(|| common::demo(42, 1500));

struct Answer {
    status: StatusCode,
    content_type: String,
    body: Vec<u8>,
    frames: usize,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(500)])
            )
        })
    }
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8")
    }
}

async fn call(method: Method, uri: &str, body: Option<Value>) -> Answer {
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
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let mut body = res.into_body();
    let mut bytes = Vec::new();
    let mut frames = 0;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.expect("body frame").into_data() {
            frames += 1;
            bytes.extend_from_slice(&data);
        }
    }
    Answer {
        status,
        content_type,
        body: bytes,
        frames,
    }
}

async fn get(uri: &str) -> Answer {
    call(Method::GET, uri, None).await
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

const ODS: &str = "/api/explore/v2.1/catalog/datasets";

#[tokio::test]
async fn catalogue_lists_every_public_collection_with_metadata() {
    let a = get(&format!("{ODS}?limit=20")).await;
    assert_eq!(a.status, StatusCode::OK);
    let j = a.json();
    let ids: Vec<&str> = j["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dataset_id"].as_str().unwrap())
        .collect();
    for id in [
        "organisations",
        "actions",
        "indicators",
        "indicator-observations",
        "programmes",
        "taxonomies",
        "places",
        "magnets",
        "indicator-statuses",
        "digiscore-barometer",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert_eq!(j["total_count"], 10);
    let orgs = get(&format!("{ODS}/organisations")).await.json();
    let m = &orgs["metas"]["default"];
    assert!(m["title"].as_str().unwrap().contains("Organisations"));
    assert!(m["description"].as_str().unwrap().contains("synthétiques"));
    assert_eq!(orgs["metas"]["territoria"]["demo"], true);
    assert!(m["records_count"].as_u64().unwrap() >= 1500);
    let en = get(&format!("{ODS}/organisations?lang=en")).await.json();
    assert!(
        en["metas"]["default"]["description"]
            .as_str()
            .unwrap()
            .contains("synthetic")
    );
    let fields = orgs["fields"].as_array().unwrap();
    let province = fields.iter().find(|f| f["name"] == "province").unwrap();
    assert_eq!(province["type"], "text");
    assert_eq!(province["label"], "Province");
    assert!(
        fields
            .iter()
            .any(|f| f["name"] == "demo" && f["type"] == "boolean")
    );
    assert!(
        fields
            .iter()
            .any(|f| f["name"] == "founded" && f["type"] == "date")
    );
    // Catalogue queries are ODSQL too.
    let j = get(&format!(
        "{ODS}?where={}",
        enc("records_count > 1000 AND demo = true")
    ))
    .await
    .json();
    let hits = j["results"].as_array().unwrap();
    assert_eq!(j["total_count"].as_u64().unwrap() as usize, hits.len());
    assert!(hits.iter().any(|d| d["dataset_id"] == "organisations"));
    assert!(
        hits.iter()
            .all(|d| d["metas"]["default"]["records_count"].as_u64().unwrap() > 1000)
    );
    assert!(hits.len() < 8);
    let f = get("/api/explore/v2.1/catalog/facets").await.json();
    assert!(
        f["facets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "theme")
    );
    let missing = get(&format!("{ODS}/nope")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error_code"], "NoSuchDataset");
}

#[tokio::test]
async fn records_with_where_select_group_by_order_by_refine() {
    // Plain records: default limit 10, total_count of the whole match.
    let j = get(&format!("{ODS}/organisations/records")).await.json();
    assert_eq!(j["results"].as_array().unwrap().len(), 10);
    let total = j["total_count"].as_u64().unwrap();
    assert!(total >= 1500);
    assert!(j.get("_links").is_none(), "links only when asked");
    // include_links: self, first, last and next pages, the query kept.
    let j = get(&format!(
        "{ODS}/organisations/records?limit=20&offset=40&include_links=true&where={}",
        enc("employees >= 0")
    ))
    .await
    .json();
    let links: Vec<(String, String)> = j["_links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["rel"].as_str().unwrap().into(),
                l["href"].as_str().unwrap().into(),
            )
        })
        .collect();
    let rels: Vec<&str> = links.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(rels, ["self", "first", "last", "next"]);
    assert!(
        links[0].1.starts_with("http://") && links[0].1.ends_with("offset=40"),
        "{links:?}"
    );
    assert!(
        links[3].1.ends_with("offset=60") && links[3].1.contains("where=employees"),
        "{links:?}"
    );
    let n = j["total_count"].as_u64().unwrap();
    assert!(
        links[2]
            .1
            .ends_with(&format!("offset={}", (n - 1) / 20 * 20)),
        "{links:?}"
    );
    assert_eq!(
        get(&format!("{ODS}/organisations/records?include_links=maybe"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let r = &j["results"][0];
    for k in [
        "id",
        "name",
        "municipality",
        "province",
        "region",
        "demo",
        "founded",
    ] {
        assert!(r.get(k).is_some(), "{k} missing from {r}");
    }
    // where + select + order_by + limit.
    let uri = format!(
        "{ODS}/organisations/records?select={}&where={}&order_by={}&limit=5",
        enc("name, employees, province"),
        enc("employees >= 50 AND region = \"Région wallonne\""),
        enc("employees DESC"),
    );
    let j = get(&uri).await.json();
    let rows = j["results"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.len() <= 5, "{j}");
    assert_eq!(rows[0].as_object().unwrap().len(), 3);
    let emp: Vec<i64> = rows
        .iter()
        .map(|r| r["employees"].as_i64().unwrap())
        .collect();
    assert!(
        emp.windows(2).all(|w| w[0] >= w[1]) && emp[0] >= 50,
        "{emp:?}"
    );
    // group_by: count by province.
    let uri = format!(
        "{ODS}/organisations/records?select={}&group_by=province&order_by={}&limit=20",
        enc("count(*) AS n"),
        enc("n DESC"),
    );
    let j = get(&uri).await.json();
    let groups = j["results"].as_array().unwrap();
    assert!(groups.len() >= 5, "{j}");
    assert!(groups[0].get("province").is_some() && groups[0]["n"].as_u64().unwrap() > 0);
    let sum: u64 = groups.iter().map(|g| g["n"].as_u64().unwrap()).sum();
    assert_eq!(sum, total);
    // refine (a facet value) and exclude.
    let province = groups
        .iter()
        .find_map(|g| g["province"].as_str().map(str::to_owned))
        .unwrap();
    let j = get(&format!(
        "{ODS}/organisations/records?refine={}&limit=100",
        enc(&format!("province:{province}"))
    ))
    .await
    .json();
    assert!(
        j["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["province"] == province.as_str())
    );
    let refined = j["total_count"].as_u64().unwrap();
    let j = get(&format!(
        "{ODS}/organisations/records?exclude={}",
        enc(&format!("province:{province}"))
    ))
    .await
    .json();
    assert_eq!(j["total_count"].as_u64().unwrap() + refined, total);
    // Full-text search and a record by id.
    let j = get(&format!(
        "{ODS}/places/records?where={}&limit=3",
        enc("search(\"EPN\")")
    ))
    .await
    .json();
    assert!(j["total_count"].as_u64().unwrap() > 0);
    let geo = &j["results"][0]["geo"];
    assert!(geo["lon"].is_number() && geo["lat"].is_number(), "{geo}");
    let id = j["results"][0]["id"].as_str().unwrap().to_owned();
    let one = get(&format!("{ODS}/places/records/{id}")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["id"], id.as_str());
    let none = get(&format!("{ODS}/places/records/nope")).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    // Observations: year() grouping over values.
    let j = get(&format!(
        "{ODS}/indicator-observations/records?select={}&group_by=year&order_by=year",
        enc("sum(value) AS total")
    ))
    .await
    .json();
    assert!(j["total_count"].as_u64().unwrap() > 0, "{j}");
    // A breakdown by municipality sits beside the whole (refnis is null for the whole),
    // and adds up to it; grouped by province it is a regional table.
    let last_mile = "cyberwal-entreprises-beneficiaires-des-cheques-cy";
    let sum = |w: String| {
        format!(
            "{ODS}/indicator-observations/records?select={}&where={}",
            enc("sum(value) AS total"),
            enc(&w)
        )
    };
    let whole = get(&sum(format!(
        "indicator = '{last_mile}' AND refnis IS NULL"
    )))
    .await
    .json();
    let parts = get(&sum(format!(
        "indicator = '{last_mile}' AND refnis IS NOT NULL"
    )))
    .await
    .json();
    assert_eq!(
        whole["results"][0]["total"].as_f64(),
        Some(225.0),
        "{whole}"
    );
    assert_eq!(
        parts["results"][0]["total"].as_f64(),
        Some(225.0),
        "{parts}"
    );
    let j = get(&format!(
        "{ODS}/indicator-observations/records?select={}&where={}&group_by=province",
        enc("sum(value) AS total"),
        enc(&format!("indicator = '{last_mile}' AND refnis IS NOT NULL"))
    ))
    .await
    .json();
    assert_eq!(
        j["results"].as_array().unwrap().len(),
        5,
        "five Walloon provinces: {j}"
    );
}

#[tokio::test]
async fn facets_count_and_mark_refinements() {
    let j = get(&format!(
        "{ODS}/organisations/facets?facet=province&facet=demo"
    ))
    .await
    .json();
    let f = j["facets"].as_array().unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["name"], "province");
    let first = &f[0]["facets"][0];
    for k in ["name", "count", "state", "value"] {
        assert!(first.get(k).is_some(), "{first}");
    }
    let name = first["name"].as_str().unwrap().to_owned();
    let j = get(&format!(
        "{ODS}/organisations/facets?facet=province&refine={}",
        enc(&format!("province:{name}"))
    ))
    .await
    .json();
    let values = j["facets"][0]["facets"].as_array().unwrap();
    assert_eq!(values.len(), 1);
    assert_eq!(values[0]["state"], "refined");
    // Default: every facet field.
    let j = get(&format!("{ODS}/organisations/facets")).await.json();
    assert!(j["facets"].as_array().unwrap().len() >= 5);
}

#[tokio::test]
async fn errors_keep_opendatasoft_shapes() {
    let a = get(&format!(
        "{ODS}/organisations/records?where={}",
        enc("popultion > 3")
    ))
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let j = a.json();
    assert_eq!(j["error_code"], "ODSQLError");
    assert!(
        j["message"]
            .as_str()
            .unwrap()
            .contains("Unknown field: popultion"),
        "{j}"
    );
    let a = get(&format!(
        "{ODS}/organisations/records?where={}",
        enc("employees > > 3")
    ))
    .await;
    let j = a.json();
    assert_eq!(j["error_code"], "ODSQLError");
    assert!(
        j["message"].as_str().unwrap().contains("at position 12"),
        "{j}"
    );
    // Opendatasoft's limits.
    let j = get(&format!("{ODS}/organisations/records?limit=101")).await;
    assert_eq!(j.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        j.json(),
        json!({
            "message": "Invalid value for limit API parameter: 101 was found but -1 <= limit <= 100 is expected.",
            "error_code": "InvalidRESTParameterError"
        })
    );
    let j = get(&format!(
        "{ODS}/organisations/records?limit=100&offset=9950"
    ))
    .await;
    assert_eq!(j.status, StatusCode::BAD_REQUEST);
    assert!(
        j.json()["message"]
            .as_str()
            .unwrap()
            .contains("offset + limit")
    );
    let j = get(&format!(
        "{ODS}/organisations/records?group_by=province&limit=20000"
    ))
    .await;
    assert_eq!(j.status, StatusCode::OK);
    let j = get(&format!("{ODS}/organisations/records?refine=nope:x")).await;
    assert_eq!(j.json()["error_code"], "InvalidRESTParameterError");
    let j = get(&format!("{ODS}/organisations/exports/shp")).await;
    assert_eq!(j.status, StatusCode::BAD_REQUEST);
    let j = get(&format!(
        "{ODS}/organisations/exports/csv?list_separator=%23"
    ))
    .await;
    assert_eq!(j.status, StatusCode::BAD_REQUEST);
    assert!(j.text().contains("list_separator"), "{}", j.text());
}

#[tokio::test]
async fn exports_csv_with_delimiter_labels_and_bom_json_jsonl_geojson() {
    let a = get(&format!("{ODS}/organisations/exports/csv")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.content_type.starts_with("text/csv"));
    assert!(a.body.starts_with("\u{feff}".as_bytes()), "BOM by default");
    let text = a.text();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("id;name;kbo;"), "{header}");
    let n = lines.count();
    assert!(n >= 1500, "every record, no paging cap: {n}");
    // Streamed: many chunks, not one buffer.
    assert!(a.frames > 3, "{} frames", a.frames);

    let a = get(&format!(
        "{ODS}/organisations/exports/csv?delimiter=,&use_labels=true&with_bom=false&select={}&where={}&order_by=name",
        enc("name, province, employees"),
        enc("employees > 10")
    ))
    .await;
    let text = a.text();
    assert!(!text.starts_with('\u{feff}'));
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), "Nom,Province,Emploi (ETP)");
    let names: Vec<String> = lines
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    assert!(!names.is_empty());

    let j = get(&format!("{ODS}/organisations/exports/json?limit=3")).await;
    assert!(j.content_type.starts_with("application/json"));
    let arr = j.json();
    assert_eq!(arr.as_array().unwrap().len(), 3);
    assert!(arr[0]["demo"].is_boolean());

    let l = get(&format!("{ODS}/actions/exports/jsonl")).await.text();
    for line in l.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert!(v["id"].is_string());
    }

    let g = get(&format!("{ODS}/places/exports/geojson")).await.json();
    assert_eq!(g["type"], "FeatureCollection");
    let f = &g["features"][0];
    assert_eq!(f["geometry"]["type"], "Point");
    assert!(f["properties"]["name"].is_string());
    assert!(f["properties"].get("geo").is_none());

    // A group_by export.
    let t = get(&format!(
        "{ODS}/organisations/exports/csv?select={}&group_by=province",
        enc("count(*) as n")
    ))
    .await
    .text();
    assert!(
        t.trim_start_matches('\u{feff}').starts_with("province;n"),
        "{t}"
    );
}

#[tokio::test]
async fn dcat_catalogue_in_three_serialisations() {
    let t = get("/api/explore/v2.1/catalog/exports/dcat?format=turtle").await;
    assert!(t.content_type.starts_with("text/turtle"));
    let t = t.text();
    assert!(t.contains("a dcat:Catalog"));
    assert!(t.contains("<http://publications.europa.eu/resource/authority/data-theme/ECON>"));
    assert!(t.contains("<http://publications.europa.eu/resource/authority/file-type/CSV>"));
    assert!(
        t.contains("<http://data.example.org/api/explore/v2.1/catalog/datasets/organisations>")
    );
    assert_eq!(get("/catalog.ttl").await.text(), t);
    let x = get("/api/explore/v2.1/catalog/exports/dcat").await;
    assert!(x.content_type.starts_with("application/rdf+xml"));
    assert!(x.text().contains("<rdf:RDF"));
    let j = get("/catalog.jsonld").await.json();
    assert!(
        j.as_array()
            .unwrap()
            .iter()
            .any(|n| n["@type"][0] == "http://www.w3.org/ns/dcat#Catalog")
    );
}

fn ckan_ok(a: &Answer) -> Value {
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let j = a.json();
    assert_eq!(j["success"], true);
    assert!(j["help"].is_string());
    j["result"].clone()
}

#[tokio::test]
async fn ckan_action_api() {
    let list = ckan_ok(&get("/api/3/action/package_list").await);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|v| v == "organisations")
    );
    let p = ckan_ok(&get("/api/3/action/package_show?id=organisations").await);
    assert_eq!(p["name"], "organisations");
    assert!(
        p["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["format"] == "CSV")
    );
    assert!(p["tags"][0]["name"].is_string());
    assert_eq!(p["organization"]["name"], "territoria");
    let s = ckan_ok(
        &get(&format!(
            "/api/3/action/package_search?q=organisations&rows=5&facet.field={}&facet.limit=10",
            enc("[\"tags\",\"organization\",\"res_format\"]")
        ))
        .await,
    );
    assert!(s["count"].as_u64().unwrap() >= 1);
    assert!(
        s["search_facets"]["tags"]["items"][0]["count"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert!(s["facets"]["organization"]["territoria"].as_u64().unwrap() >= 1);
    let s = ckan_ok(
        &get(&format!(
            "/api/3/action/package_search?fq={}",
            enc("res_format:GEOJSON")
        ))
        .await,
    );
    // Places and organisations (their municipality's centre) have a point field.
    assert_eq!(s["count"], 2);
    let names: Vec<&str> = s["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"places") && names.contains(&"organisations"),
        "{names:?}"
    );
    // POST with a JSON body, as ckanapi sends it, on the unversioned path.
    let s = ckan_ok(
        &call(
            Method::POST,
            "/api/action/package_search",
            Some(json!({"q": "", "rows": 2, "start": 1, "sort": "name asc", "facet.field": ["groups"]})),
        )
        .await,
    );
    assert_eq!(s["results"].as_array().unwrap().len(), 2);
    assert!(s["count"].as_u64().unwrap() >= 8);
    let orgs = ckan_ok(&get("/api/3/action/organization_list").await);
    assert_eq!(orgs, json!(["territoria"]));
    // Errors.
    let a = get("/api/3/action/package_show?id=nope").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let j = a.json();
    assert_eq!(j["success"], false);
    assert_eq!(j["error"]["__type"], "Not Found Error");
    let a = get("/api/3/action/package_search?rows=abc").await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(a.json()["error"]["__type"], "Validation Error");
    let a = get("/api/3/action/package_search?sort=nope%20asc").await;
    assert_eq!(a.json()["error"]["__type"], "Search Query Error");
    let a = get("/api/3/action/nope").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

/// parquet and xlsx exports carry their media types and magic numbers, a parquet file holds
/// every matching record, `compressed=true` gzips the same bytes.
#[tokio::test]
async fn parquet_xlsx_and_compressed_exports() {
    let total = get(&format!("{ODS}/organisations/records?limit=0"))
        .await
        .json()["total_count"]
        .as_u64()
        .unwrap();
    let p = get(&format!("{ODS}/organisations/exports/parquet")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(p.content_type, "application/vnd.apache.parquet");
    assert_eq!(&p.body[..4], b"PAR1");
    assert_eq!(&p.body[p.body.len() - 4..], b"PAR1");
    // The footer records the row count (FileMetaData field 3, an i64 after the schema):
    // read by the client tests (pyarrow, DuckDB); here, the file is at least one byte per
    // record and id.
    assert!(p.body.len() as u64 > total * 8, "{} bytes", p.body.len());
    let x = get(&format!("{ODS}/organisations/exports/xlsx?lang=en")).await;
    assert_eq!(x.status, StatusCode::OK);
    assert_eq!(
        x.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(&x.body[..4], b"PK\x03\x04");
    let csv = get(&format!("{ODS}/organisations/exports/csv")).await;
    let gz = get(&format!("{ODS}/organisations/exports/csv?compressed=true")).await;
    assert_eq!(gz.content_type, "application/gzip");
    assert_eq!(&gz.body[..2], b"\x1f\x8b");
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz.body[..]), &mut plain)
        .unwrap();
    assert_eq!(plain, csv.body);
}

#[tokio::test]
async fn statuses_are_a_dataset_with_the_rule_version_and_demo_flags() {
    let meta = get(&format!("{ODS}/indicator-statuses")).await.json();
    let m = &meta["metas"]["default"];
    assert!(
        m["description"].as_str().unwrap().contains("prescribe-1"),
        "{m}"
    );
    // Every record carries the rule's version; strategy and node records are there.
    let q = format!(
        "{ODS}/indicator-statuses/records?limit=100&where={}",
        enc("kind = \"strategy\"")
    );
    let strategies = get(&q).await.json();
    assert!(
        strategies["total_count"].as_u64().unwrap() >= 1,
        "{strategies}"
    );
    let r = &strategies["results"][0];
    assert!(
        r["rule_version"]
            .as_str()
            .unwrap()
            .starts_with("prescribe-1")
    );
    assert!(r["reason_fr"].as_str().is_some() && r["reason_en"].as_str().is_some());
    // Indicators: statuses among the five codes, each with a reason.
    let q = format!(
        "{ODS}/indicator-statuses/records?limit=100&select=status,reason_fr,demo&where={}",
        enc("kind = \"indicator\"")
    );
    let inds = get(&q).await.json();
    let rows = inds["results"].as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        assert!(
            [
                "on_track",
                "at_risk",
                "off_track",
                "not_enough_data",
                "no_target"
            ]
            .contains(&r["status"].as_str().unwrap()),
            "{r}"
        );
        assert!(!r["reason_fr"].as_str().unwrap().is_empty());
    }
    // Faceting by status works like on any dataset, and the CSV export has the columns.
    let f = get(&format!("{ODS}/indicator-statuses/facets?facet=status")).await;
    assert_eq!(f.status, StatusCode::OK);
    let csv = get(&format!("{ODS}/indicator-statuses/exports/csv")).await;
    let text = String::from_utf8(csv.body).unwrap();
    let head = text.lines().next().unwrap();
    assert!(
        head.contains("status") && head.contains("rule_version") && head.contains("demo"),
        "{head}"
    );
    // Record ids are unique, as every dataset's.
    let ids: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(';').next().unwrap())
        .collect();
    let unique: std::collections::HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "ids unique");
}
