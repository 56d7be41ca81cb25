//! The HTTP API against a real store: reference data, the Digital Wallonia strategy and
//! a seeded demo ecosystem (1,500 organisations), loaded once for the whole binary.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use territoria_server::{ROUTES, router};
use tower::ServiceExt;

mod common;

static FIXTURE: LazyLock<common::Demo> = LazyLock::new(|| common::demo(42, 1500));

fn app() -> Router {
    router(FIXTURE.state.clone())
}

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
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

async fn request(method: Method, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app()
        .oneshot(req.body(Body::empty()).unwrap())
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
    request(Method::GET, uri, &[]).await
}

/// GET, expecting `status` and a JSON body.
async fn get_json(uri: &str, status: StatusCode) -> Value {
    let a = get(uri).await;
    assert_eq!(a.status, status, "{uri}: {}", a.text());
    a.json()
}

/// The `error` object of a 400, checking that it names `parameter`.
async fn bad_parameter(uri: &str, parameter: &str) -> Value {
    let body = get_json(uri, StatusCode::BAD_REQUEST).await;
    let error = &body["error"];
    assert_eq!(error["code"], "bad_parameter", "{uri}: {body}");
    assert_eq!(error["parameter"], parameter, "{uri}: {body}");
    error.clone()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

fn walk<'a>(nodes: &'a [Value], out: &mut Vec<&'a Value>) {
    for n in nodes {
        out.push(n);
        if let Some(children) = n["children"].as_array() {
            walk(children, out);
        }
    }
}

fn all_nodes(tree: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    walk(tree["children"].as_array().unwrap(), &mut out);
    out
}

// ---------------------------------------------------------------------------------
// Service

#[tokio::test]
async fn health_reports_version_and_counts() {
    let a = get("/api/health").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body = a.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let counts = &body["counts"];
    assert!(counts["entities"]["organisation"].as_u64().unwrap() >= 1500);
    assert!(counts["demo_entities"].as_u64().unwrap() >= 1500);
    assert!(counts["concepts"].as_u64().unwrap() > 1000);
    assert!(counts["schemes"].as_u64().unwrap() >= 5);
}

#[tokio::test]
async fn every_answer_has_the_security_and_cache_headers() {
    for uri in ["/api/health", "/", "/fr/", "/api/entities/nope", "/nowhere"] {
        let a = get(uri).await;
        assert_eq!(a.headers["x-content-type-options"], "nosniff", "{uri}");
        assert_eq!(a.headers[header::CACHE_CONTROL], "no-cache", "{uri}");
        let csp = a.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("script-src 'self';"), "{uri}: {csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(
            a.headers[header::REFERRER_POLICY],
            "strict-origin-when-cross-origin"
        );
        assert!(
            a.headers["permissions-policy"]
                .to_str()
                .unwrap()
                .contains("camera=()")
        );
        // Plain HTTP (not declared behind TLS): no HSTS.
        assert!(a.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none());
    }
}

#[tokio::test]
async fn large_answers_are_gzipped_when_accepted() {
    let a = request(
        Method::GET,
        "/api/strategies/digital-wallonia",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(&a.body[..2], &[0x1f, 0x8b], "gzip magic number");
    let plain = get("/api/strategies/digital-wallonia").await;
    assert!(!plain.headers.contains_key(header::CONTENT_ENCODING));
    assert!(plain.body.len() > a.body.len());
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json_errors() {
    let body = get_json("/api/nothing-here", StatusCode::NOT_FOUND).await;
    assert_eq!(body["error"]["code"], "not_found");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/api/openapi.json")
    );
    let a = request(Method::POST, "/api/health", &[]).await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(a.json()["error"]["code"], "method_not_allowed");
    let allow = a.headers[header::ALLOW].to_str().unwrap();
    assert!(allow.contains("GET"), "{allow}");
}

#[tokio::test]
async fn unknown_query_parameters_are_refused_with_a_suggestion() {
    let e = bad_parameter("/api/entities/organisations?limt=5", "limt").await;
    assert_eq!(strings(&e["suggestions"]), ["limit"]);
    bad_parameter("/api/health?verbose=1", "verbose").await;
    let e = bad_parameter("/api/entities/organisations?limit=1&limit=2", "limit").await;
    assert!(e["message"].as_str().unwrap().contains("more than once"));
}

// ---------------------------------------------------------------------------------
// Strategies

#[tokio::test]
async fn strategies_list_digital_wallonia_with_its_versions() {
    let list = get_json("/api/strategies", StatusCode::OK).await;
    let dw = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "digital-wallonia")
        .expect("digital-wallonia listed");
    let versions: Vec<&str> = dw["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert!(
        versions.contains(&"v3") && versions.contains(&"2024-2029"),
        "{versions:?}"
    );
}

#[tokio::test]
async fn strategy_2024_has_five_ambitions_fifteen_levers_and_sourced_figures() {
    let tree = get_json(
        "/api/strategies/digital-wallonia?version=2024-2029",
        StatusCode::OK,
    )
    .await;
    assert_eq!(tree["version"]["id"], "2024-2029");
    let children = tree["children"].as_array().unwrap();
    let ambitions: Vec<&Value> = children
        .iter()
        .filter(|n| n["kind"] == "ambition")
        .collect();
    assert_eq!(ambitions.len(), 5);
    let nodes = all_nodes(&tree);
    assert_eq!(nodes.iter().filter(|n| n["kind"] == "lever").count(), 15);
    assert_eq!(tree["node_counts"]["lever"], 15);

    let names: Vec<&str> = ambitions
        .iter()
        .map(|a| a["name"]["fr"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Territoire numérique"), "{names:?}");
    assert!(!names.contains(&"Territoire intelligent"), "{names:?}");

    let indicators: Vec<&Value> = nodes
        .iter()
        .flat_map(|n| n["indicators"].as_array().into_iter().flatten())
        .collect();
    // "58.414 foyers auront bénéficié" is a projection: a target with its sentence,
    // never an observation.
    let projection = indicators
        .iter()
        .flat_map(|i| i["targets"].as_array().into_iter().flatten())
        .find(|t| t["value"].as_f64() == Some(58414.0))
        .expect("the Last Mile projection (58 414 households)");
    assert_eq!(projection["due"], "2025-12-31");
    assert!(
        projection["quote"]
            .as_str()
            .unwrap()
            .contains("auront bénéficié")
    );
    let source = projection["provenance"]["source"].as_str().unwrap();
    assert!(source.contains("Mémorandum"), "{source}");
    let observations: Vec<&Value> = indicators
        .iter()
        .flat_map(|i| i["observations"].as_array().unwrap())
        .collect();
    assert!(
        !observations
            .iter()
            .any(|o| o["value"].as_f64() == Some(58414.0))
    );
    // A figure whose period the memorandum does not give has none, and says so.
    let coding = observations
        .iter()
        .find(|o| o["value"].as_f64() == Some(140000.0))
        .expect("the coding participants");
    assert!(coding["period"].is_null(), "{coding}");
    assert!(coding["quote"].as_str().unwrap().contains("140.000"));
    // Every observation of a real indicator carries its sentence.
    assert!(
        observations
            .iter()
            .filter(|o| o["provenance"]["demo"] == false)
            .all(|o| o["quote"].is_string())
    );

    // The tree holds demo actions, so the answer says so.
    assert!(nodes.iter().any(|n| n["provenance"]["demo"] == true));
    assert!(tree["notice"].as_str().unwrap().contains("synthetic"));
}

#[tokio::test]
async fn eu_digital_decade_lists_its_four_axes_with_sourced_2030_targets() {
    let tree = get_json("/api/strategies/eu-digital-decade", StatusCode::OK).await;
    // Real figures only: no synthetic-data notice.
    assert!(tree.get("notice").is_none(), "{}", tree["notice"]);
    let data = &tree;
    let axes: Vec<&str> = data["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["attributes"]["axis"].as_str().unwrap())
        .collect();
    assert_eq!(
        axes,
        ["skills", "infrastructure", "business", "public-services"]
    );
    let target = |axis: usize, key: &str| {
        let i = data["children"][axis]["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == key)
            .unwrap_or_else(|| panic!("{key}"))
            .clone();
        (i["unit"].clone(), i["targets"][0].clone())
    };
    let (unit, t) = target(0, "eu-dd-basic-digital-skills");
    assert_eq!(
        (unit.as_str(), t["value"].as_f64()),
        (Some("%"), Some(80.0))
    );
    assert_eq!(t["due"], "2030-12-31");
    assert_eq!(t["qualifier"], "at least");
    assert!(
        t["provenance"]["source"]
            .as_str()
            .unwrap()
            .starts_with("Decision (EU) 2022/2481"),
        "{t}"
    );
    assert_eq!(t["provenance"]["demo"], false);
    let (unit, t) = target(0, "eu-dd-ict-specialists");
    assert_eq!(
        (unit.as_str(), t["value"].as_f64()),
        (Some("persons"), Some(20_000_000.0))
    );
    // Every axis has targets, each with its source.
    for a in data["children"].as_array().unwrap() {
        let inds = a["indicators"].as_array().unwrap();
        assert!(!inds.is_empty(), "{}", a["id"]);
        for i in inds {
            assert!(
                i["targets"][0]["provenance"]["source"].is_string(),
                "{}",
                i["id"]
            );
        }
    }
    // Digital Wallonia's ambitions aligned with the axes: four, each marked inferred.
    let aligned: usize = data["children"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["attributes"]["aligned_with"].as_array())
        .map(Vec::len)
        .sum();
    assert_eq!(aligned, 4);
    for a in data["children"].as_array().unwrap() {
        for al in a["attributes"]["aligned_with"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert_eq!(al["inferred"], true, "{al}");
            assert_eq!(al["strategy"], "digital-wallonia");
        }
    }
}

#[tokio::test]
async fn strategy_v3_keeps_the_2022_names() {
    let tree = get_json(
        "/api/strategies/digital-wallonia?version=v3",
        StatusCode::OK,
    )
    .await;
    assert_eq!(tree["version"]["id"], "v3");
    let names: Vec<&str> = tree["children"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "ambition")
        .map(|a| a["name"]["fr"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Territoire intelligent"), "{names:?}");
    assert!(!names.contains(&"Territoire numérique"), "{names:?}");
}

#[tokio::test]
async fn unknown_strategy_or_version_is_404_listing_what_exists() {
    let body = get_json(
        "/api/strategies/digital-wallonia?version=2030",
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(body["error"]["code"], "not_found");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("v3") && message.contains("2024-2029"),
        "{message}"
    );

    let body = get_json("/api/strategies/digital-walonia", StatusCode::NOT_FOUND).await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("did you mean digital-wallonia"),
        "{message}"
    );
}

// ---------------------------------------------------------------------------------
// Concept schemes

#[tokio::test]
async fn schemes_are_listed_with_their_sizes() {
    let list = get_json("/api/schemes", StatusCode::OK).await;
    let ids: BTreeSet<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    for id in [
        "nace-bel-2008",
        "nace-bel-2025",
        "territory",
        "judicial-territory",
        "legal-form",
        "organisation-kind",
    ] {
        assert!(ids.contains(id), "{id} missing from {ids:?}");
    }
}

#[tokio::test]
async fn a_dotted_nace_code_resolves_with_its_broader_chain() {
    let c = get_json("/api/schemes/nace-bel-2008/concepts/62.010", StatusCode::OK).await;
    assert_eq!(c["notation"], "62.010");
    for lang in ["fr", "nl", "de", "en"] {
        assert!(
            c["labels"][lang].as_str().is_some_and(|l| !l.is_empty()),
            "no {lang} label: {}",
            c["labels"]
        );
    }
    let broader: Vec<&str> = c["broader"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["notation"].as_str().unwrap())
        .collect();
    assert_eq!(broader, ["62.01", "62.0", "62", "J"]);
}

#[tokio::test]
async fn wallonia_has_five_provinces_and_261_municipalities() {
    let wallonia = get_json("/api/schemes/territory/concepts/03000", StatusCode::OK).await;
    let provinces = wallonia["narrower"].as_array().unwrap();
    assert_eq!(provinces.len(), 5);
    let mut municipalities = 0;
    for p in provinces {
        let uri = format!(
            "/api/schemes/territory/concepts/{}",
            p["notation"].as_str().unwrap()
        );
        let province = get_json(&uri, StatusCode::OK).await;
        assert_eq!(province["broader"][0]["notation"], "03000");
        municipalities += province["narrower"].as_array().unwrap().len();
    }
    assert_eq!(municipalities, 261);

    let liege = get_json("/api/schemes/territory/concepts/62063", StatusCode::OK).await;
    assert_eq!(liege["labels"]["fr"], "Liège");
    assert!(strings(&liege["postal_codes"]).contains(&"4000".to_owned()));
}

#[tokio::test]
async fn unknown_concepts_are_404_with_suggestions() {
    let body = get_json(
        "/api/schemes/nace-bel-2008/concepts/62.01O",
        StatusCode::NOT_FOUND,
    )
    .await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("nace-bel-2008:62.010"), "{message}");
    let body = get_json(
        "/api/schemes/nace-bel-2009/concepts/62",
        StatusCode::NOT_FOUND,
    )
    .await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("unknown concept scheme"), "{message}");
    assert!(message.contains("nace-bel-2008:62"), "{message}");
}

// ---------------------------------------------------------------------------------
// Entities

#[tokio::test]
async fn organisations_filtered_by_territory() {
    let page = get_json(
        "/api/entities/organisations?concept=territory:03000&limit=5",
        StatusCode::OK,
    )
    .await;
    assert!(page["total"].as_u64().unwrap() > 5);
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert_eq!(page["limit"], 5);
    assert_eq!(page["offset"], 0);
    assert!(
        page["notice"]
            .as_str()
            .unwrap()
            .contains("provenance.demo = true")
    );
    // The singular works too, and pages follow each other.
    let next = get_json(
        "/api/entities/organisation?concept=territory%3A03000&limit=5&offset=5",
        StatusCode::OK,
    )
    .await;
    assert_eq!(next["total"], page["total"]);
    assert_ne!(next["items"][0]["id"], page["items"][0]["id"]);
}

#[tokio::test]
async fn a_concept_filter_matches_narrower_concepts() {
    let leaf = get_json(
        "/api/entities/organisations?concept=nace-bel-2008:62.010&limit=1",
        StatusCode::OK,
    )
    .await;
    let leaf_total = leaf["total"].as_u64().unwrap();
    assert!(leaf_total > 0, "no organisation in 62.010");
    let id = leaf["items"][0]["id"].as_str().unwrap();

    let division = get_json(
        "/api/entities/organisations?concept=nace-bel-2008:62&limit=500",
        StatusCode::OK,
    )
    .await;
    assert!(division["total"].as_u64().unwrap() >= leaf_total);
    let ids: Vec<&str> = division["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&id), "{id} (62.010) not found under 62");

    // The organisation is tagged with the leaf, not with 62 itself.
    let detail = get_json(&format!("/api/entities/organisations/{id}"), StatusCode::OK).await;
    let tags = strings(&detail["tags"]);
    assert!(
        tags.contains(&"nace-bel-2008:62.010".to_owned()),
        "{tags:?}"
    );
    assert!(!tags.contains(&"nace-bel-2008:62".to_owned()), "{tags:?}");

    // Filters are ANDed: 62 in Wallonia is a subset of 62.
    let both = get_json(
        "/api/entities/organisations?concept=nace-bel-2008:62&concept=territory:03000&limit=0",
        StatusCode::OK,
    )
    .await;
    assert!(both["total"].as_u64().unwrap() <= division["total"].as_u64().unwrap());
    assert_eq!(both["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn demo_and_text_filters() {
    let real = get_json(
        "/api/entities/organisations?demo=false&limit=500",
        StatusCode::OK,
    )
    .await;
    let items = real["items"].as_array().unwrap();
    assert!(
        !items.is_empty(),
        "the shipped strategy names real organisations"
    );
    assert!(items.iter().all(|i| i["demo"] == false));
    assert!(
        real.get("notice").is_none(),
        "no demo record, no notice: {real}"
    );

    let poles = get_json(
        "/api/entities/organisations?q=P%C3%B4le&demo=false",
        StatusCode::OK,
    )
    .await;
    assert!(poles["total"].as_u64().unwrap() > 0, "{poles}");
    for item in poles["items"].as_array().unwrap() {
        assert!(
            item["name"]["fr"].as_str().unwrap().contains("Pôle"),
            "{item}"
        );
    }
    let nothing = get_json(
        "/api/entities/organisations?q=zzzz-no-such-name",
        StatusCode::OK,
    )
    .await;
    assert_eq!(nothing["total"], 0);
}

#[tokio::test]
async fn an_organisation_in_detail() {
    let page = get_json(
        "/api/entities/organisations?demo=true&limit=1",
        StatusCode::OK,
    )
    .await;
    let id = page["items"][0]["id"].as_str().unwrap();
    let detail = get_json(&format!("/api/entities/organisations/{id}"), StatusCode::OK).await;
    assert_eq!(detail["key"], id);
    assert_eq!(detail["kind"], "organisation");
    assert_eq!(detail["provenance"]["demo"], true);
    let kbo = detail["details"]["organisation"]["kbo"]
        .as_str()
        .expect("a KBO number");
    assert_eq!(kbo.len(), 12, "{kbo}");
    assert!(detail["notice"].as_str().unwrap().contains("synthetic"));
    assert!(!detail["concepts"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn unknown_entity_is_404() {
    let body = get_json(
        "/api/entities/organisations/no-such-organisation",
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(body["error"]["code"], "not_found");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no-such-organisation")
    );
}

#[tokio::test]
async fn bad_entity_parameters_are_400_naming_the_parameter() {
    let e = bad_parameter("/api/entities/organisations?limit=abc", "limit").await;
    assert!(e["message"].as_str().unwrap().contains("0 to 500"), "{e}");
    bad_parameter("/api/entities/organisations?limit=501", "limit").await;
    bad_parameter("/api/entities/organisations?limit=-1", "limit").await;
    bad_parameter("/api/entities/organisations?offset=10000001", "offset").await;
    bad_parameter("/api/entities/organisations?demo=yes", "demo").await;
    let e = bad_parameter("/api/entities/organisations?concept=62.010", "concept").await;
    assert!(
        e["message"].as_str().unwrap().contains("scheme:notation"),
        "{e}"
    );

    let e = bad_parameter(
        "/api/entities/organisations?concept=nace-bel-2008:99.999",
        "concept",
    )
    .await;
    let suggestions = strings(&e["suggestions"]);
    assert!(!suggestions.is_empty(), "{e}");
    assert!(
        suggestions
            .iter()
            .all(|s| s.starts_with("nace-bel-2008:99")),
        "{suggestions:?}"
    );
    // A typo in a code suggests the code.
    let e = bad_parameter(
        "/api/entities/organisations?concept=territory:62O63",
        "concept",
    )
    .await;
    assert!(
        strings(&e["suggestions"]).contains(&"territory:62063".to_owned()),
        "{e}"
    );
    let e = bad_parameter(
        "/api/entities/organisations?concept=nace-bel-2008:62.01O",
        "concept",
    )
    .await;
    assert_eq!(strings(&e["suggestions"]), ["nace-bel-2008:62.010"]);
    let e = bad_parameter(
        "/api/entities/organisations?concept=teritory:62063",
        "concept",
    )
    .await;
    assert_eq!(strings(&e["suggestions"]), ["territory:62063"]);
    // A valid but unused concept is not an error: it just matches nothing.
    let page = get_json(
        "/api/entities/places?concept=nace-bel-2008:01.110",
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["total"], 0);
}

#[tokio::test]
async fn unknown_kind_suggests_the_closest() {
    let e = bad_parameter("/api/entities/organisatons", "kind").await;
    assert_eq!(strings(&e["suggestions"])[0], "organisations");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("did you mean organisations")
    );
    let e = bad_parameter("/api/entities/persons/x", "kind").await;
    assert!(
        strings(&e["suggestions"]).contains(&"person".to_owned()),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------
// OpenAPI

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.strip_prefix('#').expect("local $ref");
            let target = doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {r}"));
            resolve(doc, target)
        }
        None => schema,
    }
}

/// A small JSON Schema check, enough to keep the document honest: `$ref`, `type` (a
/// name or a list),
/// `enum`, `const`, `required`, `properties` (treated as closed), `additionalProperties`,
/// `propertyNames`, `items`.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(c) = schema.get("const") {
        if c != value {
            errors.push(format!("{at}: {value} is not {c}"));
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(value) {
            errors.push(format!("{at}: {value} not in enum"));
        }
    }
    let is = |ty: &str| match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_u64() || value.is_i64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("{at}: unexpected type {other}"),
    };
    // OpenAPI 3.1: `type` is one name or a list of them (`["string", "null"]`).
    let type_ok = match schema.get("type") {
        None => true,
        Some(Value::String(ty)) => is(ty),
        Some(Value::Array(tys)) => tys.iter().filter_map(Value::as_str).any(is),
        Some(other) => panic!("{at}: unexpected type {other}"),
    };
    if !type_ok {
        errors.push(format!("{at}: {value} is not a {}", schema["type"]));
        return;
    }
    if let Some(object) = value.as_object() {
        for req in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !object.contains_key(req.as_str().unwrap()) {
                errors.push(format!("{at}: missing required {req}"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        for (key, v) in object {
            let here = format!("{at}.{key}");
            if let Some(names) = schema
                .pointer("/propertyNames/enum")
                .and_then(Value::as_array)
            {
                if !names.contains(&Value::String(key.clone())) {
                    errors.push(format!("{here}: key not allowed"));
                }
            }
            match (properties.and_then(|p| p.get(key)), additional) {
                (Some(s), _) => check(doc, s, v, &here, errors),
                (None, Some(Value::Bool(true))) => {}
                (None, Some(s)) if s.is_object() => check(doc, s, v, &here, errors),
                (None, _) if properties.is_some() => {
                    errors.push(format!("{here}: not described by the schema"))
                }
                (None, _) => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            check(doc, items, v, &format!("{at}[{i}]"), errors);
        }
    }
}

#[test]
fn the_schema_check_catches_drift() {
    let doc = serde_json::json!({"components": {"schemas": {
        "Thing": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string"},
            "n": {"type": "integer"},
            "labels": {"type": "object", "propertyNames": {"enum": ["fr"]}, "additionalProperties": {"type": "string"}},
        }},
    }}});
    let schema =
        serde_json::json!({"type": "array", "items": {"$ref": "#/components/schemas/Thing"}});
    let run = |value: Value| {
        let mut errors = Vec::new();
        check(&doc, &schema, &value, "$", &mut errors);
        errors
    };
    assert!(run(serde_json::json!([{"id": "a", "n": 1, "labels": {"fr": "x"}}])).is_empty());
    assert_eq!(run(serde_json::json!([{"id": "a", "extra": 1}])).len(), 1);
    assert_eq!(run(serde_json::json!([{"n": 1.5}])).len(), 2);
    assert_eq!(
        run(serde_json::json!([{"id": "a", "labels": {"xx": "y", "fr": 3}}])).len(),
        2
    );
}

async fn assert_conforms(doc: &Value, route: &str, uri: &str, status: StatusCode) {
    let a = get(uri).await;
    assert_eq!(a.status, status, "{uri}: {}", a.text());
    let body = a.json();
    let schema = &doc["paths"][route]["get"]["responses"][status.as_str()];
    let schema = &resolve(doc, schema)["content"]["application/json"]["schema"];
    assert!(
        !schema.is_null(),
        "{route} documents no {status} JSON answer"
    );
    let mut errors = Vec::new();
    check(doc, schema, &body, uri, &mut errors);
    assert!(errors.is_empty(), "{uri}:\n{}", errors.join("\n"));
}

#[tokio::test]
async fn openapi_document_describes_exactly_the_routes() {
    let doc = get_json("/api/openapi.json", StatusCode::OK).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(doc["info"]["title"], "Territoria API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["info"]["license"]["identifier"], "EUPL-1.2");
    assert!(
        doc["info"]["description"]
            .as_str()
            .unwrap()
            .contains("synthetic")
    );
    let documented: BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let ckan = territoria_server::ckan::routes_documented();
    let served: BTreeSet<&str> = ROUTES
        .into_iter()
        .chain(territoria_server::explore::ROUTES)
        .chain(territoria_server::account::api::ROUTES)
        .chain(territoria_server::digiscore::api::ROUTES)
        .chain(ckan.iter().map(String::as_str))
        .collect();
    assert_eq!(documented, served);

    // Each documented path, filled with its examples, reaches a handler (the fallback
    // would answer "no route").
    for path in &documented {
        // Writes are exercised in tests/govern.rs.
        if doc["paths"][*path]["get"].is_null() {
            continue;
        }
        let item = &doc["paths"][*path]["get"];
        let mut uri = (*path).to_owned();
        for p in item["parameters"].as_array().into_iter().flatten() {
            let p = resolve(&doc, p);
            if p["in"] == "path" {
                let example = p["example"]
                    .as_str()
                    .expect("path parameters have examples");
                uri = uri.replace(&format!("{{{}}}", p["name"].as_str().unwrap()), example);
            }
        }
        let a = get(&uri).await;
        assert!(
            !a.text().contains("no route"),
            "{path} → {uri}: {}",
            a.text()
        );
        assert!(
            item["responses"][a.status.as_str()].is_object(),
            "{uri} answered {}, which {path} does not document",
            a.status
        );
    }

    // Every $ref points somewhere.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        assert!(
            doc.pointer(r.trim_start_matches('#')).is_some(),
            "dangling {r}"
        );
    }
}

#[tokio::test]
async fn answers_match_the_documented_schemas() {
    use territoria_server::routes::*;
    let doc = get_json("/api/openapi.json", StatusCode::OK).await;
    let ok = StatusCode::OK;
    assert_conforms(&doc, HEALTH, "/api/health", ok).await;
    assert_conforms(&doc, STRATEGIES, "/api/strategies", ok).await;
    assert_conforms(
        &doc,
        STRATEGY,
        "/api/strategies/digital-wallonia?version=2024-2029",
        ok,
    )
    .await;
    assert_conforms(
        &doc,
        STRATEGY,
        "/api/strategies/digital-wallonia?version=v3",
        ok,
    )
    .await;
    assert_conforms(&doc, SCHEMES, "/api/schemes", ok).await;
    for (scheme, notation) in [
        ("nace-bel-2008", "62.010"),
        ("nace-bel-2025", "62.10"),
        ("territory", "03000"),
        ("territory", "62063"),
        ("territory", "41002"),
        ("judicial-territory", "brabant-wallon"),
        ("judicial-territory", "wavre-1"),
    ] {
        let uri = format!("/api/schemes/{scheme}/concepts/{notation}");
        assert_conforms(&doc, CONCEPT, &uri, ok).await;
    }
    for kind in [
        "organisations",
        "actions",
        "places",
        "programmes",
        "indicators",
        "ambitions",
    ] {
        let uri = format!("/api/entities/{kind}?limit=3");
        assert_conforms(&doc, ENTITIES, &uri, ok).await;
        let page = get_json(&uri, ok).await;
        for item in page["items"].as_array().unwrap() {
            let uri = format!("/api/entities/{kind}/{}", item["id"].as_str().unwrap());
            assert_conforms(&doc, ENTITY, &uri, ok).await;
        }
    }
    // Errors too.
    assert_conforms(
        &doc,
        ENTITIES,
        "/api/entities/organisations?limit=x",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_conforms(
        &doc,
        ENTITY,
        "/api/entities/organisations/none",
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_conforms(
        &doc,
        STRATEGY,
        "/api/strategies/none",
        StatusCode::NOT_FOUND,
    )
    .await;
}

// ---------------------------------------------------------------------------------
// Landing page

#[tokio::test]
async fn landing_page_is_french_first_and_flags_demo_data() {
    let a = get("/").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = a.text();
    assert!(html.contains(r#"<html lang="fr">"#));
    assert!(html.contains(r#"<section lang="en""#));
    assert!(html.contains("synthétiques"));
    assert!(html.contains("<main"));
    assert_eq!(html.matches("<h1").count(), 1);
    // Only the site's own small script (the strategy selector applies on change), no
    // inline one.
    assert_eq!(
        html.matches("<script").count(),
        html.matches(r#"<script src="/assets/site.js" defer></script>"#)
            .count()
    );
    assert!(!html.contains("{{"));
    for link in [
        "/api/strategies/digital-wallonia",
        "/api/schemes",
        "/api/entities/organisations",
        "/api/openapi.json",
    ] {
        assert!(html.contains(&format!(r#"href="{link}""#)), "{link}");
    }
    // Counts in fr-BE style: the organisation count has a narrow no-break space.
    let health = get_json("/api/health", StatusCode::OK).await;
    let orgs = health["counts"]["entities"]["organisation"]
        .as_u64()
        .unwrap();
    let formatted = format!("{}\u{202F}{:03}", orgs / 1000, orgs % 1000);
    assert!(html.contains(&formatted), "{formatted} not in the page");
}

#[tokio::test]
async fn judicial_cantons_link_municipalities_and_carry_a_geometry() {
    let canton = get_json(
        "/api/schemes/judicial-territory/concepts/wavre-1",
        StatusCode::OK,
    )
    .await;
    assert_eq!(canton["broader"][0]["notation"], "brabant-wallon");
    let links = canton["links"].as_array().unwrap();
    assert!(!links.is_empty());
    assert!(
        links
            .iter()
            .all(|l| l["direction"] == "out" && l["concept"]["scheme"] == "territory")
    );
    assert!(
        canton["geometry"]["type"].is_string(),
        "{}",
        canton["geometry"]
    );
    // and the reverse: a municipality partly covered by a canton
    let aalst = get_json("/api/schemes/territory/concepts/41002", StatusCode::OK).await;
    assert!(
        aalst["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["direction"] == "in" && l["partial"] == true),
        "{}",
        aalst["links"]
    );
}

#[tokio::test]
async fn the_manufacturing_magnet_answers_with_members_and_facets() {
    let q = "nace-bel-2008:C AND (rel:labelled=label/factory-of-the-future OR rel:labelled=label/made-different) AND rel:member_of=organisation-kind:pole-de-competitivite";
    let url = format!(
        "/api/magnets/search?q={}&facets=organisation-kind,nace-bel-2008&limit=5",
        form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
    );
    let a = get(&url).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let v = a.json();
    assert!(v["total"].as_u64().unwrap() > 0, "{v}");
    assert!(v["members"].as_array().unwrap().len() <= 5);
    assert_eq!(v["facets"][1]["scheme"], "nace-bel-2008");
    assert_eq!(
        v["facets"][1]["parent"], "C",
        "one level below the selected section"
    );
    assert!(v["notice"].is_string());
    let bad = get("/api/magnets/search?q=nace-bel-2008:C%20AND%20(").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["error"]["parameter"], "q");
    let facet = get("/api/magnets/search?facets=nace-bel-2009").await;
    assert_eq!(facet.status, StatusCode::BAD_REQUEST);
    assert_eq!(facet.json()["error"]["parameter"], "facets");
    assert!(facet.text().contains("nace-bel-2008"), "{}", facet.text());
    let unknown = get("/api/magnets/search?q=nace-bel-2008:62.011").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.text().contains("62.010"), "{}", unknown.text());
}

#[tokio::test]
async fn magnet_members_sort_by_date_or_relevance() {
    let newest = get("/api/magnets/search?q=territory:03000&sort=-date&limit=20&facets=").await;
    assert_eq!(newest.status, StatusCode::OK, "{}", newest.text());
    let dates: Vec<String> = newest.json()["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m["date"]
                .as_str()
                .expect("organisations here are dated")
                .to_owned()
        })
        .collect();
    assert_eq!(dates.len(), 20);
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    let relevant =
        get("/api/magnets/search?q=nace-bel-2008:J%20OR%20organisation-kind:startup&sort=relevance&limit=1&facets=")
            .await;
    assert_eq!(relevant.status, StatusCode::OK);
    let top = relevant.json()["members"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The first ranked matches both terms.
    let both = get(
        "/api/magnets/search?q=nace-bel-2008:J%20AND%20organisation-kind:startup&limit=100&facets=",
    )
    .await
    .json();
    assert!(
        both["total"].as_u64().unwrap() <= 100,
        "the whole list fits"
    );
    let ids: Vec<&str> = both["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&top.as_str()), "{top} not in {ids:?}");
    let bad = get("/api/magnets/search?sort=newest").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["error"]["parameter"], "sort");
    assert!(bad.text().contains("-date"), "{}", bad.text());
}

#[tokio::test]
async fn a_saved_magnet_is_versioned_and_lists_its_members_as_json_and_csv() {
    let save = |q: &str| {
        let body = serde_json::json!({"id": "labelled-manufacturers", "name": {"fr": "Manufacturiers labellisés"}, "q": q}).to_string();
        let req = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/api/magnets")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body))
            .unwrap();
        async move {
            let resp = app().oneshot(req).await.unwrap();
            let status = resp.status();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Value>(&bytes).unwrap())
        }
    };
    let (status, v) = save("nace-bel-2008:C AND rel:labelled").await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["versions"].as_array().unwrap().len(), 1);
    let first_total = v["total"].as_u64().unwrap();
    assert!(first_total > 0);
    // Same query: no new version. A changed query: version 2.
    let (_, v) = save("nace-bel-2008:C rel:labelled").await;
    assert_eq!(
        v["versions"].as_array().unwrap().len(),
        1,
        "canonical form is the same"
    );
    let (_, v) = save("nace-bel-2008:C AND rel:labelled=label/made-different").await;
    assert_eq!(v["versions"][1]["version"], 2);
    assert_eq!(v["versions"][1]["actor"], "api");
    assert!(v["total"].as_u64().unwrap() <= first_total);
    let (status, v) = save("nace-bel-2008:ZZ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");

    let shown = get_json("/api/magnets/labelled-manufacturers", StatusCode::OK).await;
    // How the cluster grew: counts at past dates never exceed later ones.
    let mut previous = 0;
    for date in ["2010-01-01", "2018-06-30", "2021-12-31", "2099-01-01"] {
        let v = get_json(
            &format!("/api/magnets/labelled-manufacturers?at={date}"),
            StatusCode::OK,
        )
        .await;
        let n = v["total_at"]["total"].as_u64().unwrap();
        assert!(n >= previous, "{date}: {n} < {previous}");
        previous = n;
    }
    assert_eq!(
        previous,
        shown["total"].as_u64().unwrap(),
        "far future = now"
    );
    let early = get_json(
        "/api/magnets/labelled-manufacturers?at=2018-06-30",
        StatusCode::OK,
    )
    .await;
    assert!(
        early["total_at"]["total"].as_u64().unwrap() < shown["total"].as_u64().unwrap(),
        "labels were given from 2017 to 2024"
    );
    assert_eq!(
        get("/api/magnets/labelled-manufacturers?at=2023-02-30")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(shown["name"]["fr"], "Manufacturiers labellisés");
    let members = get_json(
        "/api/magnets/labelled-manufacturers/members?limit=1000",
        StatusCode::OK,
    )
    .await;
    assert_eq!(members["total"], shown["total"]);
    let csv = get("/api/magnets/labelled-manufacturers/members?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.text();
    assert!(text.starts_with("\u{feff}id;name;demo"), "{text}");
    assert_eq!(
        text.lines().count() as u64,
        1 + shown["total"].as_u64().unwrap()
    );
    let list = get_json("/api/magnets", StatusCode::OK).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "labelled-manufacturers")
    );
    assert_eq!(get("/api/magnets/nope").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn with_a_write_token_saving_takes_it_and_the_dashboard_does_not_offer_to_save() {
    let state = FIXTURE
        .state
        .clone()
        .with_write_token(Some("s3cret-token".into()));
    let save = |auth: Option<&str>| {
        let body =
            serde_json::json!({"id": "guarded", "name": {"fr": "Gardé"}, "q": "nace-bel-2008:C"})
                .to_string();
        let mut req = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/api/magnets")
            .header("content-type", "application/json");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let req = req.body(axum::body::Body::from(body)).unwrap();
        let app = router(state.clone());
        async move {
            let resp = app.oneshot(req).await.unwrap();
            let status = resp.status();
            let challenge = resp
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_owned());
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                challenge,
                serde_json::from_slice::<Value>(&bytes).unwrap(),
            )
        }
    };
    for auth in [None, Some("Bearer wrong"), Some("Basic s3cret-token")] {
        let (status, challenge, v) = save(auth).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}: {v}");
        assert_eq!(v["error"]["code"], "unauthorized");
        assert!(challenge.unwrap().starts_with("Bearer"));
    }
    // Nothing was saved by the refused attempts.
    assert_eq!(
        get("/api/magnets/guarded").await.status,
        StatusCode::NOT_FOUND
    );
    let (status, _, v) = save(Some("Bearer s3cret-token")).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");

    // The dashboard keeps sharing by link but neither shows nor accepts "save".
    let page = router(state.clone())
        .oneshot(
            axum::http::Request::get("/fr/explorer")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let html = String::from_utf8(
        page.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    assert!(html.contains("share-url") && !html.contains("/fr/explorer/save"));
    let posted = router(state)
        .oneshot(
            axum::http::Request::post("/fr/explorer/save")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from("name=x&q=*&kind=organisation"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::FORBIDDEN);
}
