//! The public dashboard's pages against a real store (reference data, the strategy
//! and a seeded demo of 1,500 organisations): status codes, content in both
//! languages, fr-BE formatting, CSV/JSON/GeoJSON exports and 4xx on bad parameters.
//! The same pages are driven in a real browser by `tests/browser/`.

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use territoria_server::router;
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
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
    fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn send(req: Request<Body>) -> Answer {
    let res = app().oneshot(req).await.expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

async fn get_with(uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = Request::builder().method(Method::GET).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(req.body(Body::empty()).unwrap()).await
}

async fn get(uri: &str) -> Answer {
    get_with(uri, &[]).await
}

/// A page that must answer 200 with HTML.
async fn page(uri: &str) -> String {
    let a = get(uri).await;
    assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.text());
    assert!(a.content_type().starts_with("text/html"), "{uri}");
    a.text()
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The `<tbody>` rows of the table with this id.
fn rows(html: &str, table_id: &str) -> Vec<String> {
    let start = html
        .find(&format!("id=\"{table_id}\""))
        .unwrap_or_else(|| panic!("no table {table_id}"));
    let body = &html[start..];
    let body = &body[body.find("<tbody>").unwrap()..body.find("</tbody>").unwrap()];
    body.split("<tr").skip(1).map(str::to_owned).collect()
}

fn csv_lines(a: &Answer) -> Vec<String> {
    let text = a.text();
    assert!(text.starts_with('\u{feff}'), "CSV starts with a BOM");
    text.trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn home_is_french_with_ambitions_figures_and_sources() {
    let html = page("/fr/").await;
    assert!(html.contains(r#"<html lang="fr">"#));
    assert!(html.contains(r##"<a class="skip" href="#main">"##));
    assert!(html.contains("<main id=\"main\""));
    assert!(html.contains("synthétique"), "demo notice");
    assert_eq!(html.matches("<h1").count(), 1);
    for ambition in [
        "territoire-intelligent",
        "innovation-numerique",
        "economie-numerique",
        "usages-numeriques",
        "administration-numerique",
    ] {
        assert!(
            html.contains(&format!("/fr/ambitions/{ambition}?")),
            "{ambition}"
        );
    }
    // The 2024-2029 names, and values and levers.
    assert!(html.contains("Territoire numérique"));
    assert!(html.contains("Résilience"));
    assert!(html.contains("Cybersécurité"));
    // Stated figures in fr-BE style, with their source; the Last Mile figure is the
    // memorandum's projection, shown as one.
    assert!(
        html.contains("58\u{202F}414"),
        "thousands with a narrow no-break space"
    );
    assert!(html.contains("Projection"));
    assert!(html.contains("Mémorandum"));
    assert!(html.contains("période non précisée"), "no guessed period");
    assert!(!html.contains("2016–2024"), "the guessed period is gone");
    // No progress of a real ambition is computed from the demo actions' targets.
    assert!(!html.contains("class=\"progress\""));
    assert_eq!(html.matches("aucune cible publiée").count(), 5);
    // The memorandum's statements, cited; conflicting ones flagged.
    assert!(html.contains("Ce que dit le mémorandum"));
    assert!(html.contains("portée par 3 gouvernements successifs"));
    assert!(html.contains("15 septembre 2021"));
    assert!(html.contains("depuis février 2024"));
    assert!(html.contains("À confronter avec"));
    assert!(html.contains("href=\"/en/\""), "language switch");
    let cookie = get("/fr/").await.headers[header::SET_COOKIE].clone();
    assert!(cookie.to_str().unwrap().starts_with("territoria_lang=fr"));
}

#[tokio::test]
async fn english_persists_through_the_cookie_and_urls() {
    let html = page("/en/").await;
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains("Ambitions") && html.contains("Key indicators"));
    assert!(html.contains("synthetic"));
    // French labels shown in English pages say they are French.
    assert!(html.contains(r#"<span lang="fr">"#));
    let a = get("/en/").await;
    assert!(
        a.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("territoria_lang=en")
    );
    let root = get_with("/", &[("cookie", "territoria_lang=en")]).await;
    assert_eq!(root.status, StatusCode::OK);
    assert!(root.text().contains(r#"<html lang="en">"#));
    let root = get("/").await;
    assert!(root.text().contains(r#"<html lang="fr">"#));
    // The switch keeps the view: same path and query in the other language.
    let html = page("/fr/actions?relance=yes").await;
    assert!(html.contains(r#"href="/en/actions?relance=yes""#));
    let redirect = get("/en").await;
    assert!(redirect.status.is_redirection());
}

#[tokio::test]
async fn versions_switch_and_unknown_ones_are_404() {
    let v3 = page("/fr/?strategy=digital-wallonia&version=v3").await;
    assert!(v3.contains("Digital Wallonia V3"));
    assert!(
        v3.contains("Territoire intelligent"),
        "V3 name of the ambition"
    );
    assert!(!v3.contains("Résilience"), "no values in V3");
    // A version the strategy lacks (the selector sends the previous strategy's):
    // its latest version, and a sentence that says so.
    let a = get("/fr/?strategy=digital-wallonia&version=v9").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.content_type().starts_with("text/html"));
    assert!(
        a.text()
            .contains("La version « v9 » n&#39;existe pas pour cette stratégie : voici sa version la plus récente.")
    );
    assert!(a.text().contains("Digital Wallonia 2024-2029"));
    assert_eq!(
        get("/fr/?strategy=nope").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(get("/fr/?colour=red").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn ambition_programme_action_navigation() {
    let q = "strategy=digital-wallonia&version=2024-2029";
    // In 2024-2029 the AI lever sits under "Territoire numérique": so does DW4AI
    // (inferred); V3 keeps it under "Innovation numérique".
    let amb = page(&format!("/fr/ambitions/territoire-intelligent?{q}")).await;
    assert!(amb.contains("Leviers politiques") && amb.contains("Valeurs"));
    assert!(amb.contains(&format!("/fr/programmes/dw4ai?{}", q.replace('&', "&amp;"))));
    assert!(amb.contains("déduit"), "inferred links are marked");
    // The 2024-2029 view shows the memorandum's 2024-2029 texts, cited.
    assert!(amb.contains("Vision 2024-2029") && amb.contains("Défis majeurs"));
    assert!(amb.contains("La Wallonie numérique assure la résilience du territoire"));
    assert!(amb.contains("§ Ambition Territoire Numérique"));
    assert!(
        amb.contains("puissance de calcul pour le secteur public"),
        "lever text"
    );
    let v3 = page("/fr/ambitions/innovation-numerique?strategy=digital-wallonia&version=v3").await;
    assert!(v3.contains("/fr/programmes/dw4ai?"));
    assert!(!v3.contains("Vision 2024-2029"));
    let prog = page(&format!("/fr/programmes/dw4ai?{q}")).await;
    assert!(prog.contains("<svg class=\"chart\""), "time-series chart");
    assert!(prog.contains("Données du graphique"), "chart data table");
    assert!(prog.contains("Cumul des actions"));
    // Stated figures: qualifier, "période non précisée", the sentence they come from;
    // the roll-up of demo actions is marked synthetic next to its value.
    assert!(prog.contains("plus de 300"), "qualifier kept");
    assert!(prog.contains("période non précisée"));
    assert!(prog.contains("« Plus de 600 chercheurs en IA financés. »"));
    assert!(prog.contains("<blockquote class=\"quote\">"));
    assert!(prog.contains("répartition synthétique (démo)"));
    assert!(
        prog.contains("<dt>Avancement</dt><dd><span class=\"muted\">aucune cible publiée</span>"),
        "no real target, no progress of the programme"
    );
    // A progress bar only ever stands beside a demo action's synthetic target.
    let pieces: Vec<&str> = prog.split("<dt>Cible</dt>").skip(1).collect();
    for piece in pieces {
        let dd = piece.split("</dd>").next().unwrap();
        if dd.contains("class=\"progress\"") {
            assert!(
                dd.contains("badge demo"),
                "progress from a real target: {dd}"
            );
        }
    }
    let action = prog
        .split("href=\"/fr/actions/")
        .nth(1)
        .and_then(|s| s.split('?').next())
        .expect("an action link")
        .to_owned();
    let act = page(&format!("/fr/actions/{action}?{q}")).await;
    for needle in [
        "Statut",
        "Budget",
        "Publics cibles",
        "Opérateur",
        "Source",
        "synthétique",
    ] {
        assert!(act.contains(needle), "{needle}");
    }
    assert!(act.contains("\u{202F}€"), "amount in fr-BE");
    assert!(act.contains("<time datetime=\""), "dates");
    assert!(regex_like_date(&act), "dd/mm/yyyy");
    // Its indicators as CSV.
    let csv = get(&format!("/fr/actions/{action}?{q}&format=csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    assert!(csv_lines(&csv)[0].starts_with("indicator;name;unit;rule"));
    assert_eq!(
        get(&format!("/fr/ambitions/nope?{q}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(get("/fr/actions/nope").await.status, StatusCode::NOT_FOUND);
}

fn regex_like_date(html: &str) -> bool {
    html.as_bytes().windows(10).any(|w| {
        w[2] == b'/'
            && w[5] == b'/'
            && w.iter()
                .enumerate()
                .all(|(i, b)| i == 2 || i == 5 || b.is_ascii_digit())
    })
}

#[tokio::test]
async fn actions_filter_by_audience_and_plan_de_relance() {
    let all = page("/fr/actions").await;
    let n_all = count_of(&all);
    let html = page("/fr/actions?audience=pme&relance=yes").await;
    let n = count_of(&html);
    assert!(n > 0 && n < n_all, "{n} of {n_all}");
    assert!(html.contains("target-audience:pme AND funding-source:plan-de-relance"));
    for row in rows(&html, "actions-table") {
        assert!(row.contains("data-relance=\"yes\""), "{row}");
        assert!(row.contains("pme"), "{row}");
    }
    // The CSV has every matching action, with `;` and a BOM.
    let csv = get("/fr/actions?audience=pme&relance=yes&format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    let lines = csv_lines(&csv);
    assert_eq!(lines.len() - 1, n as usize);
    assert!(lines[0].starts_with("id;name;status;start;end;budget_eur"));
    assert!(lines[1..].iter().all(|l| l.contains("plan-de-relance")));
    let json = get("/fr/actions?audience=pme&relance=yes&format=json")
        .await
        .json();
    assert_eq!(json["rows"].as_array().unwrap().len(), n as usize);
    assert!(json["notice"].is_string(), "synthetic data flagged");
    let geo = get("/fr/actions?format=geojson").await;
    assert_eq!(geo.content_type(), "application/geo+json");
    assert_eq!(geo.json()["type"], "FeatureCollection");
    // The other filters.
    let not = count_of(&page("/fr/actions?relance=no").await);
    assert_eq!(
        not + count_of(&page("/fr/actions?relance=yes").await),
        n_all
    );
    let dated = count_of(&page("/fr/actions?from=2023-01-01&to=2023-12-31").await);
    assert!(dated > 0 && dated < n_all);
    assert!(count_of(&page("/fr/actions?status=ongoing").await) > 0);
    assert!(count_of(&page("/fr/actions?territory=60000").await) > 0);
    assert!(count_of(&page("/fr/actions?q=IA").await) > 0);
    assert!(count_of(&page("/fr/actions?programme=dw4ai").await) > 0);
    for bad in [
        "status=done",
        "relance=maybe",
        "from=2023-13-01",
        "from=2024-01-01&to=2023-01-01",
        "page=0",
        "page=999",
        "format=xml",
        "type=a%20b",
        "colour=red",
    ] {
        let a = get(&format!("/fr/actions?{bad}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(a.content_type().starts_with("text/html"), "{bad}");
    }
    assert_eq!(
        get("/fr/actions?programme=nope").await.status,
        StatusCode::NOT_FOUND
    );
}

fn count_of(html: &str) -> u64 {
    let i = html.find("data-count=\"").expect("a result count") + 12;
    html[i..].split('"').next().unwrap().parse().unwrap()
}

const MEMORANDUM: &str = "nace-bel-2008:C AND (rel:labelled=label/factory-of-the-future OR rel:labelled=label/made-different) AND rel:member_of=organisation-kind:pole-de-competitivite";

#[tokio::test]
async fn explorer_builds_the_memorandum_magnet_from_facets() {
    let facets = [
        "nace-bel-2008:C",
        "rel:labelled=label/factory-of-the-future",
        "rel:labelled=label/made-different",
        "rel:member_of=organisation-kind:pole-de-competitivite",
    ];
    let uri = format!(
        "/fr/explorer?{}",
        facets
            .iter()
            .map(|f| format!("f={}", enc(f)))
            .collect::<Vec<_>>()
            .join("&")
    );
    let html = page(&uri).await;
    let api = get(&format!("/api/magnets/search?q={}", enc(MEMORANDUM)))
        .await
        .json();
    let total = api["total"].as_u64().unwrap();
    assert!(total > 0);
    assert_eq!(count_of(&html), total);
    assert!(html.contains(MEMORANDUM), "canonical query shown");
    assert!(html.contains("<svg class=\"map\""), "map of results");
    assert!(html.contains("synthétique"));
    // Export what is on screen: all members.
    let csv = get(&format!("{uri}&format=csv")).await;
    assert_eq!(csv_lines(&csv).len() as u64 - 1, total);
    let facets_csv = get(&format!("{uri}&format=csv&data=facets")).await;
    assert!(csv_lines(&facets_csv)[0].starts_with("facet;value;label;count"));
    let geo = get(&format!("{uri}&format=geojson")).await.json();
    let sum: u64 = geo["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["count"].as_u64().unwrap())
        .sum();
    assert!(sum <= total && sum > 0);
    // Search inside a facet.
    let html = page("/fr/explorer?fs=nace-bel-2008&fq=logiciel").await;
    assert!(html.contains("class=\"hits\""));
    // Bad parameters.
    for bad in [
        "f=nace-bel-2008:ZZZ",
        "f=a%20AND%20b",
        "kind=person",
        "fs=nope&fq=x",
        "q=%28",
        "data=x&format=csv",
    ] {
        assert_eq!(
            get(&format!("/fr/explorer?{bad}")).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_magnet_is_saved_from_the_explorer() {
    let body = format!(
        "name=Industrie+4.0+labellis%C3%A9e&kind=organisation&q={}",
        enc(MEMORANDUM)
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri("/fr/explorer/save")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let a = send(req).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let to = a.headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(to.contains("magnet=industrie-4-0-labellisee"), "{to}");
    let html = page(&to).await;
    assert!(html.contains("Aimant enregistré"));
    let saved = get("/api/magnets/industrie-4-0-labellisee").await.json();
    assert_eq!(saved["versions"][0]["query"], MEMORANDUM);
    // Reopened by its link, the magnet shows as ticks and chips (four facet values),
    // not as a hand-written query, and finds the same members.
    let reopened = page("/fr/explorer?magnet=industrie-4-0-labellisee").await;
    assert_eq!(
        reopened.matches("class=\"facet-value selected\"").count(),
        4,
        "{reopened}"
    );
    assert!(reopened.contains("class=\"chips\""));
    assert!(reopened.contains("name=\"f\" value=\"rel:labelled=label/made-different\""));
    let direct = page(&format!(
        "/fr/explorer?kind=organisation&q={}",
        enc(MEMORANDUM)
    ))
    .await;
    assert_eq!(count_of(&reopened), count_of(&direct));
    let bad = Request::builder()
        .method(Method::POST)
        .uri("/fr/explorer/save")
        .body(Body::from("name=&q=*"))
        .unwrap();
    assert_eq!(send(bad).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn maps_by_canton_and_arrondissement_with_exports() {
    let html = page("/fr/map?kind=place&q=organisation-kind:epn&by=canton").await;
    assert!(html.contains("<svg class=\"map\""));
    assert!(html.contains("class=\"pt\""), "places as points");
    let cantons = rows(&html, "map-table");
    assert!(cantons.len() > 40, "{} Walloon cantons", cantons.len());
    let geo = get("/fr/map?kind=place&q=organisation-kind:epn&by=canton&format=geojson")
        .await
        .json();
    let features = geo["features"].as_array().unwrap();
    assert_eq!(features.len(), cantons.len());
    assert!(features.iter().all(|f| {
        f["geometry"]["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("Polygon"))
    }));
    let epn: u64 = features
        .iter()
        .map(|f| f["properties"]["count"].as_u64().unwrap())
        .sum();
    assert!(epn >= 226, "every EPN is in a canton ({epn})");
    let csv = get("/fr/map?by=arrondissement&measure=rate&format=csv").await;
    let lines = csv_lines(&csv);
    assert!(lines[0].starts_with("id;name;level;count;population;per_10000"));
    assert!(lines.len() > 5);
    for bad in [
        "by=province",
        "measure=mean",
        "kind=person",
        "q=nace-bel-2008:ZZZ",
    ] {
        assert_eq!(
            get(&format!("/fr/map?{bad}")).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
}

const EPN: &str = "dw4citizens-espaces-publics-numeriques-epn-du-reseau";
/// Cybersecurity cheques, 2017-2023: a regional figure the demo breaks down by municipality.
const CHEQUES: &str = "cyberwal-entreprises-beneficiaires-des-cheques-cy";

/// `(area id, value)` of a map's GeoJSON export.
async fn area_values(uri: &str, field: &str) -> Vec<(String, f64)> {
    let a = get(uri).await;
    assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.text());
    a.json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_owned(),
                f["properties"][field].as_f64().unwrap_or(0.0),
            )
        })
        .collect()
}

#[tokio::test]
async fn indicator_maps_break_regional_figures_down_by_territory() {
    // The EPN indicator of 2024, by canton, is the demo EPN counted by canton.
    let by_indicator = area_values(
        &format!("/fr/map?indicator={EPN}&period=2024&by=canton&format=geojson"),
        "value",
    )
    .await;
    let by_places = area_values(
        "/fr/map?kind=place&q=organisation-kind:epn&by=canton&format=geojson",
        "count",
    )
    .await;
    assert_eq!(by_indicator, by_places);
    assert!(by_indicator.iter().any(|(_, v)| *v > 0.0));
    // At the end of 2023 there were fewer (166 against 226).
    let earlier: f64 = area_values(
        &format!("/fr/map?indicator={EPN}&period=2023-12-31&by=arrondissement&format=geojson"),
        "value",
    )
    .await
    .iter()
    .map(|(_, v)| v)
    .sum();
    let later: f64 = area_values(
        &format!("/fr/map?indicator={EPN}&by=arrondissement&format=geojson"),
        "value",
    )
    .await
    .iter()
    .map(|(_, v)| v)
    .sum();
    assert!(
        earlier >= 166.0 && later >= 226.0 && earlier < later,
        "{earlier} {later}"
    );

    // The page: the breakdown's total equals the memorandum's figure, both shown with
    // fr-BE digit grouping, with its source; the demo breakdown is flagged.
    let html = page(&format!("/fr/map?indicator={CHEQUES}")).await;
    assert_eq!(
        html.matches("<strong>225 entreprises</strong>").count(),
        2,
        "the breakdown's total and the stated figure"
    );
    assert!(html.contains("Mémorandum"), "the stated figure's source");
    assert!(
        html.contains("Données de démonstration."),
        "the breakdown is demo data"
    );
    assert!(
        html.contains("aria-current=\"page\""),
        "the layer is marked current"
    );
    let rows = rows(&html, "map-table");
    assert_eq!(
        rows.len(),
        6,
        "the six judicial arrondissements of Wallonia"
    );
    // CSV with the indicator, period and unit on each area, rate per inhabitant.
    let csv = get(&format!(
        "/en/map?indicator={CHEQUES}&measure=rate&format=csv"
    ))
    .await;
    let lines = csv_lines(&csv);
    assert!(
        lines[0].starts_with("id;name;level;value;population;per_10000;indicator;period;unit"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(CHEQUES) && lines[1].contains("2017-2023"),
        "{}",
        lines[1]
    );

    // The programme page links its broken-down indicator to the map.
    let programme = page("/fr/programmes/dw4citizens").await;
    assert!(programme.contains(&format!("/fr/map?indicator={EPN}")));

    for bad in [
        "indicator=no-such-indicator",
        &format!("indicator={EPN}&period=1999"),
    ] {
        let a = get(&format!("/fr/map?{bad}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn near_me_by_postal_code() {
    let html = page("/fr/near?postcode=5000").await;
    assert!(html.contains("Namur"));
    let results = html.matches("<li data-id=\"").count();
    assert_eq!(results, 10);
    assert!(html.contains(" km"));
    let json = get("/fr/near?postcode=5000&format=json").await.json();
    let rows = json["rows"].as_array().unwrap();
    let d: Vec<f64> = rows
        .iter()
        .map(|r| r["distance_km"].as_f64().unwrap())
        .collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "sorted by distance");
    let epn = get("/fr/near?postcode=4000&kind=epn&service=initiation&format=geojson")
        .await
        .json();
    assert!(!epn["features"].as_array().unwrap().is_empty());
    assert_eq!(
        get("/fr/near?postcode=50").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get("/fr/near?postcode=1000").await.status,
        StatusCode::NOT_FOUND,
        "Brussels"
    );
    assert_eq!(
        get("/fr/near?postcode=5000&service=x").await.status,
        StatusCode::BAD_REQUEST
    );
    // The empty form.
    assert!(page("/en/near").await.contains("Postal code"));
}

#[tokio::test]
async fn entity_pages_show_relations_with_provenance() {
    let html = page("/fr/entities/organisation/mecatech").await;
    assert!(html.contains("MecaTech"));
    assert!(html.contains("membre de"), "relations in words");
    assert!(!html.contains("member_of"));
    let csv = get("/fr/entities/organisation/mecatech?format=csv").await;
    assert!(csv_lines(&csv)[0].starts_with("direction;relation"));
    assert_eq!(
        get("/fr/entities/organisation/nope").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get("/fr/entities/unicorn/x").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn assets_are_embedded_with_an_etag() {
    let css = get("/assets/site.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.content_type(), "text/css; charset=utf-8");
    let etag = css.headers[header::ETAG].to_str().unwrap().to_owned();
    let again = get_with("/assets/site.css", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(
        get("/assets/site.js")
            .await
            .content_type()
            .starts_with("text/javascript")
    );
    assert_eq!(get("/assets/nope.js").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_are_not_in_the_api_routes() {
    for r in territoria_server::ROUTES {
        assert!(!r.starts_with("/fr") && !r.starts_with("/en"), "{r}");
    }
}

#[tokio::test]
async fn pages_speak_the_readers_language_in_qualifiers_audiences_credits_and_counts() {
    // A source's "plus de" reads "more than" on an English page, "at least" reads
    // "au moins" on a French one.
    let en = page("/en/").await;
    assert!(
        !en.contains("plus de €"),
        "French qualifier on an English page"
    );
    assert!(en.contains("more than €"), "{en}");
    let fr = page("/fr/").await;
    let eu = page("/fr/?strategy=eu-digital-decade").await;
    assert!(eu.contains("au moins 2 × 2022 level"), "{eu}");
    // Audiences by name in the actions table, not by key.
    let actions = page("/fr/actions").await;
    assert!(
        !actions.contains("<td class=\"small\">publics-fragilises</td>")
            && !actions.contains(", publics-fragilises"),
        "raw audience key in the actions table"
    );
    // The map's boundary credit in French on a French page.
    let map = page("/fr/map").await;
    assert!(map.contains("limites : annexe du Code judiciaire"), "{map}");
    assert!(!map.contains("boundaries: Judicial Code"));
    // Counts agree with their noun: no "1 données insuffisantes" in a roll-up reason.
    assert!(!fr.contains(">1 données insuffisantes"));
}
