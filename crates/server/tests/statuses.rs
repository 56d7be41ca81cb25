//! Statuses on the dashboard (territoria-prescribe): the home, ambition and programme
//! pages, the « à surveiller » view in both languages with its exports, the EU Digital
//! Decade strategy, and strategy entities without a tree.

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use territoria_server::router;
use tower::ServiceExt;

mod common;

static FIXTURE: LazyLock<common::Demo> = LazyLock::new(|| common::demo(42, 1500));

fn app() -> Router {
    router(FIXTURE.state.clone())
}

async fn get(uri: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let res = app().oneshot(req).await.expect("infallible");
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, String::from_utf8(body).unwrap())
}

async fn ok(uri: &str) -> String {
    let (s, body) = get(uri).await;
    assert_eq!(s, StatusCode::OK, "{uri}: {body}");
    body
}

const LABELS_FR: [&str; 5] = [
    "En bonne voie",
    "À risque",
    "Hors trajectoire",
    "Données insuffisantes",
    "Sans cible",
];

#[tokio::test]
async fn home_shows_the_strategy_status_the_rule_and_the_watch_link() {
    let html = ok("/fr/").await;
    assert!(html.contains("Où en est la stratégie"), "{html}");
    assert!(html.contains("/fr/strategies/digital-wallonia/a-surveiller?"));
    assert!(html.contains("prescribe-1"), "the rule's version is shown");
    assert!(html.contains("pente de Theil–Sen"));
    assert!(
        LABELS_FR
            .iter()
            .any(|l| html.contains(&format!("\">{l}</span>")))
    );
    let en = ok("/en/").await;
    assert!(en.contains("Where the strategy stands") && en.contains("Theil–Sen slope"));
    // The ambitions' CSV carries each status with the rule's version.
    let csv = ok("/fr/?format=csv").await;
    let head = csv.lines().next().unwrap();
    assert!(
        head.contains("status") && head.contains("rule_version"),
        "{head}"
    );
    assert!(
        csv.lines().skip(1).all(|l| l.contains("prescribe-1")),
        "{csv}"
    );
}

#[tokio::test]
async fn the_watch_view_lists_worst_first_with_reasons_in_both_languages() {
    let html = ok("/fr/strategies/digital-wallonia/a-surveiller").await;
    assert!(html.contains("<h1>À surveiller — "), "{html}");
    assert!(html.contains("Indicateurs réels : "));
    let en = ok("/en/strategies/digital-wallonia/a-surveiller").await;
    assert!(en.contains("<h1>To watch — "), "{en}");
    // French exports separate with `;` (the decimal comma).
    let csv = ok("/fr/strategies/digital-wallonia/a-surveiller?format=csv").await;
    println!("{csv}");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap().trim_start_matches('\u{feff}'),
        "kind;id;name;status;reason;synthetic;rule_version"
    );
    // Off track first, then at risk; every row has its reason; nothing synthetic.
    let statuses: Vec<&str> = lines
        .clone()
        .map(|l| {
            if l.contains(";off_track;") {
                "off_track"
            } else if l.contains(";at_risk;") {
                "at_risk"
            } else {
                panic!("{l}")
            }
        })
        .collect();
    // Real items first, each part worst first; synthetic ones marked.
    let synthetic: Vec<bool> = lines
        .clone()
        .map(|l| l.contains(";true;prescribe-1"))
        .collect();
    let first_synthetic = synthetic.iter().position(|s| *s).unwrap_or(synthetic.len());
    assert!(synthetic[first_synthetic..].iter().all(|s| *s), "{csv}");
    for part in [&statuses[..first_synthetic], &statuses[first_synthetic..]] {
        let mut sorted = part.to_vec();
        sorted.sort_by_key(|s| *s != "off_track");
        assert_eq!(part, &sorted[..]);
    }
    // The demo's actions have synthetic targets: some are listed, marked synthetic.
    assert!(first_synthetic < statuses.len(), "{csv}");
    for l in lines {
        if l.contains("demo-") {
            assert!(
                l.contains(";true;"),
                "a synthetic item counted as real: {l}"
            );
        }
    }
    assert!(html.contains("Éléments synthétiques (démonstration)"));
    let json = ok("/fr/strategies/digital-wallonia/a-surveiller?format=json").await;
    assert!(json.starts_with('{') || json.starts_with('['), "{json}");
    let (s, body) = get("/fr/strategies/nope/a-surveiller").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let (s, body) = get("/fr/strategies/digital-wallonia/a-surveiller?strategy=x").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn eu_digital_decade_pages_show_axes_targets_and_no_status_without_data() {
    let html = ok("/fr/?strategy=eu-digital-decade").await;
    for axis in [
        "eu-dd-skills",
        "eu-dd-infrastructure",
        "eu-dd-business",
        "eu-dd-public-services",
    ] {
        assert!(html.contains(&format!("/fr/ambitions/{axis}?")), "{axis}");
    }
    let axis = ok("/fr/ambitions/eu-dd-skills?strategy=eu-digital-decade").await;
    assert!(axis.contains("80"), "{axis}");
    assert!(axis.contains("Ambitions alignées"));
    assert!(axis.contains("usages-numeriques") && axis.contains("badge inferred"));
    // Targets without any observation: not enough data, never a guess.
    assert!(axis.contains("Données insuffisantes"), "{axis}");
    assert!(!axis.contains("En bonne voie") && !axis.contains("Hors trajectoire"));
    ok("/en/strategies/eu-digital-decade/a-surveiller").await;
    // The other way: a Digital Wallonia ambition names the axis it is aligned with.
    let dw = ok("/fr/ambitions/usages-numeriques?version=2024-2029").await;
    assert!(dw.contains("En phase avec"), "{dw}");
    assert!(dw.contains("/fr/ambitions/eu-dd-skills?strategy=eu-digital-decade"));
    let other = ok("/fr/ambitions/innovation-numerique?version=2024-2029").await;
    assert!(
        !other.contains("En phase avec"),
        "innovation numérique is the fifth ambition"
    );
}

#[tokio::test]
async fn a_strategy_entity_without_a_tree_has_a_page() {
    let list = ok("/api/strategies").await;
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    let empty: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["versions"].as_array().is_some_and(|x| x.is_empty()))
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        !empty.is_empty(),
        "the strategy file names related strategies"
    );
    for id in &empty {
        let html = ok(&format!("/fr/?strategy={id}")).await;
        assert!(html.contains("notice-plain"), "{id}");
        ok(&format!("/en/strategies/{id}/a-surveiller")).await;
    }
}

#[tokio::test]
async fn programme_pages_show_indicator_statuses_and_trend_charts() {
    let home = ok("/fr/?version=2024-2029").await;
    // Every programme of every ambition answers with a status for each indicator.
    let mut seen = 0;
    let mut charts = 0;
    for amb in home.split("/fr/ambitions/").skip(1) {
        let id = amb.split('?').next().unwrap();
        let page = ok(&format!("/fr/ambitions/{id}?version=2024-2029")).await;
        for p in page.split("/fr/programmes/").skip(1) {
            let pid = p.split('?').next().unwrap();
            let html = ok(&format!("/fr/programmes/{pid}?version=2024-2029")).await;
            seen += 1;
            charts += html.matches("class=\"chart trend\"").count();
            // A chart is only drawn with the figures it comes from beside it.
            if html.contains("class=\"chart trend\"") {
                assert!(html.contains("Valeurs suivies"), "{pid}");
            }
        }
    }
    assert!(seen >= 5, "{seen}");
    assert!(charts > 0, "no indicator with a real figure has a chart");
}

#[tokio::test]
async fn the_report_lists_every_ambition_with_its_status_and_sources() {
    let html = ok("/fr/strategies/digital-wallonia/rapport?version=2024-2029").await;
    assert!(html.contains("<h1>Rapport au Gouvernement — "), "{html}");
    let tree: serde_json::Value =
        serde_json::from_str(&ok("/api/strategies/digital-wallonia?version=2024-2029").await)
            .unwrap();
    for a in tree["children"].as_array().unwrap() {
        let id = a["id"].as_str().unwrap();
        let at = html
            .find(&format!("<h2 id=\"amb-{id}-h\">"))
            .unwrap_or_else(|| panic!("ambition {id} missing"));
        let section = &html[at..at + html[at..].find("</h2>").unwrap()];
        assert!(
            section.contains("class=\"st st-"),
            "{id} without a status: {section}"
        );
    }
    assert!(html.contains("Recommandations") && html.contains("prescribe-1"));
    // Targets the memorandum sets without any dated value: a rule-based
    // recommendation to publish the values, with the figure and its source.
    assert!(html.contains("58\u{202f}414 foyers"), "{html}");
    assert!(html.contains("publier les valeurs atteintes"));
    assert!(html.contains("Mémorandum « Digital Wallonia 2024-2029 »"));
    // Nothing synthetic in it.
    assert!(
        !html.contains("demo-action-"),
        "a synthetic action in the report"
    );
    assert!(!html.contains("badge demo"));
    let en = ok("/en/strategies/digital-wallonia/rapport").await;
    assert!(en.contains("Report to the Government") && en.contains("Recommendations"));
    let csv = ok("/fr/strategies/digital-wallonia/rapport?format=csv").await;
    assert!(
        csv.lines().next().unwrap().contains("rule_version"),
        "{csv}"
    );
    ok("/fr/strategies/eu-digital-decade/rapport").await;
    ok("/fr/strategies/s3/rapport").await;
}

#[tokio::test]
async fn changes_since_a_date_list_figures_statuses_and_edits_for_a_node_or_the_whole() {
    // The fixture's figures were all recorded when it was built: since any past date,
    // they are new, and statuses judged on nothing then moved.
    let html = ok("/fr/strategies/digital-wallonia/changements?since=2020-01-01").await;
    assert!(
        html.contains("<h1>Ce qui a changé depuis le 01/01/2020</h1>"),
        "{html}"
    );
    assert!(html.contains("Chiffres enregistrés"), "{html}");
    assert!(
        html.contains("Statuts qui ont changé")
            || html.contains("Statuts synthétiques qui ont changé")
    );
    assert!(html.contains("→"));
    let en = ok("/en/strategies/digital-wallonia/changements?since=2020-01-01").await;
    assert!(en.contains("What changed since 01/01/2020") && en.contains("Figures recorded"));
    // The default is three months back; the form keeps the date.
    let html = ok("/fr/strategies/digital-wallonia/changements").await;
    assert!(html.contains("name=\"since\" value=\"20"), "{html}");
    // One node: its subtree only, named in the page.
    let all = ok("/fr/strategies/digital-wallonia/changements?since=2020-01-01&format=csv").await;
    assert!(all.lines().next().unwrap().contains("change"), "{all}");
    let one = ok("/fr/strategies/digital-wallonia/changements?since=2020-01-01&format=csv&node=programme/dw4ai").await;
    assert!(
        one.lines().count() < all.lines().count(),
        "a node sees less than the whole"
    );
    // Bad parameters are named; an unknown node is a French 404.
    let (s, body) = get("/fr/strategies/digital-wallonia/changements?since=2026-13-01").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("since") && body.contains("AAAA-MM-JJ"),
        "{body}"
    );
    let (s, _) = get("/fr/strategies/digital-wallonia/changements?since=2999-01-01").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, body) = get("/fr/strategies/digital-wallonia/changements?node=programme/nowhere").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(body.contains("est pas dans cette version"), "{body}");
    let (s, _) = get("/fr/strategies/digital-wallonia/changements?node=nothing").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The report says what changed over its period, real figures only, with the link.
    let report = ok("/fr/strategies/digital-wallonia/rapport?since=2020-01-01").await;
    assert!(
        report.contains("Ce qui a changé depuis le 01/01/2020"),
        "{report}"
    );
    assert!(report.contains("Chiffres réels enregistrés : "));
    assert!(report.contains("/fr/strategies/digital-wallonia/changements?since=2020-01-01&amp;"));
    let (s, _) = get("/fr/strategies/digital-wallonia/rapport?since=hier").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn each_lever_has_a_page_with_its_programmes_and_status() {
    let q = "version=2024-2029";
    // The ambition lists its levers, each linked to its own page with a status.
    let amb = ok(&format!("/fr/ambitions/territoire-intelligent?{q}")).await;
    for lever in [
        "infrastructures-numeriques",
        "intelligence-artificielle",
        "cybersecurite",
    ] {
        assert!(amb.contains(&format!("/fr/leviers/{lever}?")), "{lever}");
    }
    // Programmes are reached through the levers, with the lever named.
    assert!(amb.contains("/fr/programmes/dw4ai?") && amb.contains("/fr/programmes/cyberwal?"));
    let ia = ok(&format!("/fr/leviers/intelligence-artificielle?{q}")).await;
    assert!(ia.contains("<h1>Intelligence artificielle</h1>"), "{ia}");
    assert!(ia.contains("/fr/programmes/dw4ai?"));
    assert!(ia.contains("badge inferred"), "the placement is inferred");
    assert!(
        ia.contains("puissance de calcul pour le secteur public"),
        "the memorandum's words"
    );
    assert!(
        ia.contains("/fr/ambitions/territoire-intelligent?"),
        "crumb to its ambition"
    );
    assert!(ia.contains("class=\"st st-"), "a status: {ia}");
    assert!(ia.contains("node=lever/intelligence-artificielle"));
    // A lever no programme serves says so, without an error and without a guess.
    let cit = ok(&format!("/fr/leviers/citoyennete-numerique?{q}")).await;
    assert!(cit.contains("Aucun programme n'est rattaché à ce levier"));
    assert!(!cit.contains("/fr/programmes/"), "{cit}");
    ok(&format!("/en/leviers/intelligence-artificielle?{q}")).await;
    // Its indicators as CSV; the programme names its lever; actions filter by lever.
    let (s, csv) = get(&format!(
        "/fr/leviers/intelligence-artificielle?{q}&format=csv"
    ))
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.contains("dw4ai"), "{csv}");
    let prog = ok(&format!("/fr/programmes/dw4ai?{q}")).await;
    assert!(prog.contains("<dt>Levier politique</dt>"));
    assert!(prog.contains("/fr/leviers/intelligence-artificielle?"));
    let all = ok(&format!("/fr/actions?{q}")).await;
    let some = ok(&format!("/fr/actions?{q}&lever=intelligence-artificielle")).await;
    let by_programme = ok(&format!("/fr/actions?{q}&programme=dw4ai")).await;
    let count = |h: &str| -> usize {
        let at = h.find("data-count=\"").expect("a result count") + 12;
        h[at..at + h[at..].find('"').unwrap()].parse().unwrap()
    };
    assert!(
        count(&some) > 0 && count(&some) < count(&all),
        "{}",
        count(&some)
    );
    assert_eq!(
        count(&some),
        count(&by_programme),
        "DW4AI is the lever's only programme"
    );
    // Before 2024 there are no levers: a French 404 that says where they are.
    let (s, body) = get("/fr/leviers/intelligence-artificielle?version=v3").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(body.contains("version 2024-2029"), "{body}");
    // The lever is rolled up like any node: its row is in the statuses dataset.
    let (s, records) = get(
        "/api/explore/v2.1/catalog/datasets/indicator-statuses/records?where=kind%3D%27lever%27&limit=100",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{records}");
    assert!(records.contains("intelligence-artificielle"), "{records}");
}

#[tokio::test]
async fn one_page_lists_every_strategy_with_its_status_and_the_way_to_give_one_a_structure() {
    let html = ok("/fr/strategies").await;
    // Digital Wallonia with its tree and a status; the EU Digital Decade with its axes.
    assert!(html.contains("id=\"s-digital-wallonia\""), "{html}");
    assert!(html.contains("id=\"s-eu-digital-decade\""));
    let dw = html
        .split("id=\"s-digital-wallonia\"")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(dw.contains("class=\"st st-"), "a status: {dw}");
    assert!(dw.contains("/fr/strategies/digital-wallonia/rapport?"));
    // A strategy the memorandum only names says so and links to the empty template.
    let cw = html
        .split("id=\"s-circular-wallonia\"")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(cw.contains("sans structure enregistrée"), "{cw}");
    assert!(cw.contains("/fr/strategies/nouvelle?key=circular-wallonia"));
    assert!(
        !cw.contains("class=\"st st-"),
        "no status without data: {cw}"
    );
    ok("/en/strategies").await;
    // As JSON, with the counts as numbers.
    let (s, body) = get("/fr/strategies?format=json").await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let rows = v["records"]
        .as_array()
        .or(v["rows"].as_array())
        .expect("rows");
    let dw = rows
        .iter()
        .find(|r| r["id"] == "digital-wallonia")
        .expect("digital-wallonia");
    assert_eq!(dw["ambitions"], 5, "{dw}");
}
