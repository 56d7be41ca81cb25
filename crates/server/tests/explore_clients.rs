//! Opendatasoft's own clients, unchanged (issue #11): the paths `@opendatasoft/api-client`
//! builds (a trailing slash on every path), cross-origin reads from a browser (CORS),
//! `odsclient`'s download path, catalogue facets on multi-valued fields, the ODSQL forms
//! those clients send, and the Explore API's error shapes — in-process, against a demo store.

use std::sync::LazyLock;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use territoria_server::router;
use tower::ServiceExt;

mod common;

static FIXTURE: LazyLock<common::Demo> = LazyLock::new(|| common::demo(7, 600));

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
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
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

async fn send(method: Method, uri: &str, headers: &[(&str, &str)], body: Option<&str>) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "data.example.org");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = router(FIXTURE.state.clone())
        .oneshot(
            req.body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
                .unwrap(),
        )
        .await
        .expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(uri: &str) -> Answer {
    send(Method::GET, uri, &[], None).await
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

const API: &str = "/api/explore/v2.1";

/// Every path the npm client builds ends with `/`; each gives the same answer as without.
#[tokio::test]
async fn a_trailing_slash_never_changes_an_answer() {
    for (slashed, plain) in [
        (
            format!("{API}/catalog/datasets/?limit=100"),
            format!("{API}/catalog/datasets?limit=100"),
        ),
        (format!("{API}/catalog/"), format!("{API}/catalog")),
        (format!("{API}/"), API.to_owned()),
        (
            format!("{API}/catalog/facets/"),
            format!("{API}/catalog/facets"),
        ),
        (
            format!("{API}/catalog/datasets/organisations/"),
            format!("{API}/catalog/datasets/organisations"),
        ),
        (
            format!("{API}/catalog/datasets/organisations/records/?limit=3&order_by=id"),
            format!("{API}/catalog/datasets/organisations/records?limit=3&order_by=id"),
        ),
        (
            format!("{API}/catalog/datasets/organisations/facets/"),
            format!("{API}/catalog/datasets/organisations/facets"),
        ),
        (
            format!("{API}/catalog/datasets/places/exports/csv/?limit=5"),
            format!("{API}/catalog/datasets/places/exports/csv?limit=5"),
        ),
        (
            format!("{API}/catalog/datasets/nope/records/"),
            format!("{API}/catalog/datasets/nope/records"),
        ),
        ("/api/health/".to_owned(), "/api/health".to_owned()),
        (
            "/api/3/action/package_list/".to_owned(),
            "/api/3/action/package_list".to_owned(),
        ),
    ] {
        let (a, b) = (get(&slashed).await, get(&plain).await);
        assert_eq!(a.status, b.status, "{slashed}");
        assert_eq!(a.body, b.body, "{slashed}");
        assert_eq!(
            a.header("content-type"),
            b.header("content-type"),
            "{slashed}"
        );
    }
    // A record id through the client's `record(id)` path.
    let first = get(&format!(
        "{API}/catalog/datasets/places/records?limit=1&order_by=id"
    ))
    .await;
    let id = first.json()["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = get(&format!(
        "{API}/catalog/datasets/places/records/{}/",
        enc(&id)
    ))
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["id"], id);
    // Routes that are routes with their slash keep it: the dashboard's home, and /fr
    // still redirects there.
    assert_eq!(get("/fr/").await.status, StatusCode::OK);
    assert!(get("/fr").await.status.is_redirection());
    // Writes too: POST /api/magnets/ is POST /api/magnets (here: refused, invalid body).
    let (a, b) = (
        send(
            Method::POST,
            "/api/magnets/",
            &[("content-type", "application/json")],
            Some("{}"),
        )
        .await,
        send(
            Method::POST,
            "/api/magnets",
            &[("content-type", "application/json")],
            Some("{}"),
        )
        .await,
    );
    assert_eq!((a.status, a.body), (b.status, b.body));
    // An unknown path with a slash is still a 404 in the API's own shape.
    let a = get("/api/nothing/").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.json()["error"]["code"], "not_found");
}

#[tokio::test]
async fn unknown_explore_paths_answer_in_opendatasoft_shape() {
    for path in [
        format!("{API}/nothing"),
        format!("{API}/catalog/datasets/organisations/nothing/"),
        format!("{API}/catalog/datasets/organisations/records/x/y"),
    ] {
        let a = get(&path).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        let j = a.json();
        assert_eq!(j["error_code"], "NotFound", "{path}");
        assert!(
            j["message"].as_str().unwrap().contains("catalog/datasets"),
            "{j}"
        );
    }
    let d = get(&format!("{API}/catalog/datasets/places")).await.json();
    assert_eq!(d["alternative_exports"], serde_json::json!([]));
    let list = get(&format!("{API}/catalog/datasets?limit=1")).await.json();
    assert_eq!(
        list["results"][0]["alternative_exports"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn open_data_is_readable_from_other_origins_writes_are_not() {
    let origin = [("origin", "http://elsewhere.example")];
    for path in [
        format!("{API}/catalog/datasets/places/records?limit=1"),
        format!("{API}/catalog/datasets/places/exports/geojson"),
        "/api/3/action/package_list".to_owned(),
        "/catalog.ttl".to_owned(),
        "/api/strategies".to_owned(),
        "/explore/dataset/places/download/?format=csv".to_owned(),
    ] {
        let a = send(Method::GET, &path, &origin, None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(a.header("access-control-allow-origin"), Some("*"), "{path}");
        assert_eq!(a.header("access-control-allow-credentials"), None, "{path}");
        let h = send(Method::HEAD, &path, &origin, None).await;
        assert_eq!(
            h.header("access-control-allow-origin"),
            Some("*"),
            "HEAD {path}"
        );
    }
    // A preflight (the npm client sends Authorization with an API key).
    let pre = send(
        Method::OPTIONS,
        &format!("{API}/catalog/datasets/places/records/"),
        &[
            origin[0],
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "authorization"),
        ],
        None,
    )
    .await;
    assert_eq!(pre.status, StatusCode::NO_CONTENT);
    assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
    let methods = pre.header("access-control-allow-methods").unwrap();
    assert!(
        methods.contains("GET") && !methods.contains("POST"),
        "{methods}"
    );
    assert!(
        pre.header("access-control-allow-headers")
            .unwrap()
            .contains("authorization")
    );
    // Writes stay same-origin: the preflight for a POST allows no method, the POST's
    // answer carries no CORS header, so a browser hides it from the other origin.
    let pre = send(
        Method::OPTIONS,
        "/api/magnets",
        &[origin[0], ("access-control-request-method", "POST")],
        None,
    )
    .await;
    assert!(
        pre.header("access-control-allow-methods")
            .is_none_or(|m| !m.contains("POST"))
    );
    let post = send(
        Method::POST,
        "/api/magnets",
        &[origin[0], ("content-type", "application/json")],
        Some("{}"),
    )
    .await;
    assert_eq!(post.header("access-control-allow-origin"), None);
    // The dashboard's pages are not open data.
    let page = send(Method::GET, "/fr/", &origin, None).await;
    assert_eq!(page.header("access-control-allow-origin"), None);
}

/// `odsclient`'s `/explore/dataset/{id}/download/`: the same writers as `/exports/{format}`.
#[tokio::test]
async fn odsclient_download_path() {
    let total = get(&format!(
        "{API}/catalog/datasets/organisations/records?limit=0"
    ))
    .await
    .json()["total_count"]
        .as_u64()
        .unwrap();
    let a = get(
        "/explore/dataset/organisations/download/?format=csv&timezone=Europe%2FBrussels\
         &use_labels_for_header=true&csv_separator=%3B&apikey=any-key",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert!(a.header("content-type").unwrap().starts_with("text/csv"));
    let text = a.text();
    assert!(
        !text.starts_with('\u{feff}'),
        "no byte-order mark by default"
    );
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("Identifiant;Nom;"), "{header}");
    assert_eq!(lines.count() as u64, total);
    // The same bytes as the Explore v2.1 export with the same options.
    let v2 = get(&format!(
        "{API}/catalog/datasets/organisations/exports/csv?use_labels=true&with_bom=false&timezone=Europe%2FBrussels"
    ))
    .await;
    assert_eq!(v2.text(), text);
    // Names as the header, another separator, other formats, and v1's filters.
    let a = get(
        "/explore/dataset/places/download?format=csv&use_labels_for_header=false&csv_separator=,",
    )
    .await;
    assert!(a.text().starts_with("id,name,"), "{}", a.text());
    let j = get("/explore/dataset/places/download/?format=json")
        .await
        .json();
    let places = j.as_array().unwrap().len();
    assert!(places > 0);
    let g = get("/explore/dataset/places/download/?format=geojson")
        .await
        .json();
    assert_eq!(g["type"], "FeatureCollection");
    assert_eq!(g["features"].as_array().unwrap().len(), places);
    let kind = j[0]["kind"].as_str().unwrap().to_owned();
    let refined = get(&format!(
        "/explore/dataset/places/download/?format=json&refine.kind={}",
        enc(&kind)
    ))
    .await
    .json();
    let n = refined.as_array().unwrap().len();
    assert!(
        n > 0
            && refined
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["kind"] == kind)
    );
    let excluded = get(&format!(
        "/explore/dataset/places/download/?format=json&exclude.kind={}",
        enc(&kind)
    ))
    .await
    .json();
    assert_eq!(excluded.as_array().unwrap().len() + n, places);
    let bad = get("/explore/dataset/places/download/?format=shp").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["error_code"], "InvalidRESTParameterError");
    let missing = get("/explore/dataset/nope/download/").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error_code"], "NoSuchDataset");
}

/// `theme`, `keyword` and `features` of the catalogue hold several values each: each value
/// counts and refines on its own.
#[tokio::test]
async fn catalogue_facets_count_and_refine_each_value() {
    let all = get(&format!("{API}/catalog/datasets?limit=100"))
        .await
        .json();
    let datasets = all["results"].as_array().unwrap();
    let with = |feature: &str| {
        datasets
            .iter()
            .filter(|d| {
                d["features"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f == feature)
            })
            .count() as u64
    };
    let f = get(&format!(
        "{API}/catalog/facets?facet=features&facet=theme&facet=keyword"
    ))
    .await
    .json();
    let facet = |name: &str| -> Vec<(String, u64)> {
        f["facets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name)
            .unwrap()["facets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["name"].as_str().unwrap().to_owned(),
                    v["count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let features = facet("features");
    for (value, count) in &features {
        assert!(!value.contains(", "), "{value} is one value");
        assert_eq!(*count, with(value), "{value}");
    }
    assert!(features.iter().any(|(v, _)| v == "geo"));
    assert_eq!(features[0], ("analyze".to_owned(), datasets.len() as u64));
    // Themes one by one ("Éducation, culture et sport" holds a comma and stays one value).
    let themes = facet("theme");
    let theme_total: u64 = themes.iter().map(|t| t.1).sum();
    let theme_count: u64 = datasets
        .iter()
        .map(|d| d["metas"]["default"]["theme"].as_array().unwrap().len() as u64)
        .sum();
    assert_eq!(theme_total, theme_count);
    assert!(!facet("keyword").is_empty());
    // refine=features:geo finds the geographic datasets, and marks the value refined.
    let geo = get(&format!("{API}/catalog/datasets?refine=features:geo"))
        .await
        .json();
    assert_eq!(geo["total_count"].as_u64().unwrap(), with("geo"));
    assert!(
        geo["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["dataset_id"] == "places")
    );
    let refined = get(&format!(
        "{API}/catalog/facets?refine=features:geo&facet=features"
    ))
    .await
    .json();
    let values = refined["facets"][0]["facets"].as_array().unwrap();
    let geo_value = values.iter().find(|v| v["name"] == "geo").unwrap();
    assert_eq!(geo_value["state"], "refined");
    let excluded = get(&format!(
        "{API}/catalog/datasets?exclude=features:geo&limit=100"
    ))
    .await
    .json();
    assert_eq!(
        excluded["total_count"].as_u64().unwrap() + with("geo"),
        datasets.len() as u64
    );
    // The theme that holds a comma refines as itself; backquoted names refine too.
    let (theme, count) = themes[0].clone();
    let t = get(&format!(
        "{API}/catalog/datasets?refine={}",
        enc(&format!("`theme`:\"{theme}\""))
    ))
    .await
    .json();
    assert_eq!(t["total_count"].as_u64().unwrap(), count);
}

/// The ODSQL forms the clients send, through the API.
#[tokio::test]
async fn odsql_forms_clients_send() {
    async fn records(q: &str) -> Value {
        let a = get(&format!("{API}/catalog/datasets/places/records?{q}")).await;
        assert_eq!(a.status, StatusCode::OK, "{q}: {}", a.text());
        a.json()
    }
    let all = records("limit=100&order_by=id").await;
    let total = all["total_count"].as_u64().unwrap();
    let first = &all["results"][0];
    let name = first["name"].as_str().unwrap();
    let word: String = name
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| w.chars().count() >= 4)
        .unwrap()
        .to_owned();
    let prefix: String = word.chars().take(3).collect();
    // textSuggest / textSearch / textStartWith of the npm client.
    for w in [
        format!("suggest({:?})", prefix),
        format!("suggest(`name`, {:?})", prefix),
        format!("search(*, {:?})", word),
        format!("search(`name`, {:?})", word),
        format!(
            "startswith(`name`, {:?})",
            &name[..name.char_indices().nth(2).unwrap().0]
        ),
    ] {
        let r = records(&format!("where={}&limit=100", enc(&w))).await;
        let ids: Vec<&Value> = r["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| &x["id"])
            .collect();
        assert!(ids.contains(&&first["id"]), "{w}");
    }
    // Geography: a box and a polygon around the first place.
    let (lat, lon) = (
        first["geo"]["lat"].as_f64().unwrap(),
        first["geo"]["lon"].as_f64().unwrap(),
    );
    let bbox = format!(
        "in_bbox(geo, {}, {}, {}, {})",
        lat - 0.01,
        lon - 0.01,
        lat + 0.01,
        lon + 0.01
    );
    let polygon = format!(
        "intersects(geo, geom'POLYGON(({a} {b}, {c} {b}, {c} {d}, {a} {d}, {a} {b}))')",
        a = lon - 0.01,
        b = lat - 0.01,
        c = lon + 0.01,
        d = lat + 0.01
    );
    let near = format!("distance(geo, geom'POINT({lon} {lat})', 2km)");
    for w in [bbox, polygon, near] {
        let r = records(&format!("where={}&limit=100", enc(&w))).await;
        let found = r["results"].as_array().unwrap();
        assert!(found.iter().any(|x| x["id"] == first["id"]), "{w}");
        assert!((found.len() as u64) < total, "{w}");
    }
    // include()/exclude() in select, lower(), is not null, a date range.
    let r = records(&format!(
        "select={}&limit=1",
        enc("include(na*), exclude(id)")
    ))
    .await;
    let keys: Vec<&String> = r["results"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["name"]);
    let r = records(&format!(
        "select={}&where={}&limit=1",
        enc("lower(name) AS n"),
        enc("geo IS NOT NULL")
    ))
    .await;
    assert_eq!(
        r["results"][0]["n"].as_str().unwrap(),
        r["results"][0]["n"].as_str().unwrap().to_lowercase()
    );
    let orgs = get(&format!(
        "{API}/catalog/datasets/organisations/records?select={}&group_by={}&limit=100",
        enc("count(*) AS n"),
        enc("range(founded, 10 years) AS decade")
    ))
    .await;
    assert_eq!(orgs.status, StatusCode::OK, "{}", orgs.text());
    let groups = orgs.json();
    assert!(
        groups["results"][0]["decade"]
            .as_str()
            .unwrap()
            .ends_with("0-01-01")
    );
    let bounded = get(&format!(
        "{API}/catalog/datasets/organisations/records?where={}&limit=0",
        enc("founded:[2000-01-01 TO 2009-12-31] AND founded IS NOT NULL")
    ))
    .await;
    assert_eq!(bounded.status, StatusCode::OK, "{}", bounded.text());
}
