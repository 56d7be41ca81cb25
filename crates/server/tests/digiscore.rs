//! Digiscore over HTTP: start (with a KBO/BCE number), save, resume, finish, result,
//! and the private link's secrecy (an altered link is a 404; the store keeps a digest).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use territoria_digiscore::questionnaire::{builtin, latest};
use territoria_server::{AppState, router};
use territoria_store::{SqliteStore, Store};
use tower::ServiceExt;

mod common;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
    app: Router,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("t.sqlite")).unwrap());
    let accounts: Arc<dyn territoria_store::AccountStore> = store.clone();
    let app = router(
        AppState::new(store.clone())
            .unwrap()
            .with_accounts(accounts),
    );
    Fixture {
        _dir: dir,
        store,
        app,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn send(app: &Router, method: Method, uri: &str, form: &[(&str, &str)]) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    let body = if form.is_empty() {
        Body::empty()
    } else {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        Body::from(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish(),
        )
    };
    let res = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

fn location(a: &Answer) -> String {
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    a.headers[header::LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_assessment_is_started_saved_resumed_and_finished_at_its_private_link() {
    let f = fixture();
    let start = send(&f.app, Method::GET, "/fr/digiscore", &[]).await;
    assert_eq!(start.status, StatusCode::OK);
    assert!(start.body.contains("name=\"kbo\"") && start.body.contains("<html lang=\"fr\""));
    let en = send(&f.app, Method::GET, "/en/digiscore", &[]).await;
    assert!(en.body.contains("Start the assessment"), "{}", en.body);

    // A wrong check digit is refused by name, nothing written.
    let bad = send(
        &f.app,
        Method::POST,
        "/fr/digiscore",
        &[
            ("questionnaire", "digiscore"),
            ("kbo", "0123.456.748"),
            ("nace", "G"),
            ("size", "micro"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("href=\"#ds-kbo\"") && bad.body.contains("contrôle"),
        "{}",
        bad.body
    );
    assert!(f.store.digiscore_completed("digiscore").unwrap().is_empty());

    let to = location(
        &send(
            &f.app,
            Method::POST,
            "/fr/digiscore",
            &[
                ("questionnaire", "digiscore"),
                ("kbo", "BE 0123 456 749"),
                ("nace", "G"),
                ("size", "micro"),
                ("municipality", "92094"),
            ],
        )
        .await,
    );
    let secret = to
        .strip_prefix("/fr/digiscore/a/")
        .expect("private link")
        .to_owned();
    assert!(secret.len() >= 32, "{secret}");
    // The store keeps the digest of the secret, never the secret.
    let stored = f
        .store
        .digiscore_assessment(&territoria_auth::digest(&secret))
        .unwrap()
        .expect("created");
    assert_eq!(stored.kbo.as_deref(), Some("0123456749"));
    assert_eq!(
        (stored.nace_section.as_str(), stored.size_class.as_str()),
        ("G", "micro")
    );
    assert_eq!(stored.municipality.as_deref(), Some("92094"));
    assert!(f.store.digiscore_assessment(&secret).unwrap().is_none());

    let all = builtin();
    let q = latest(&all, "digiscore").unwrap();
    let questions: Vec<_> = q.axes.iter().flat_map(|a| &a.questions).collect();
    let page = send(&f.app, Method::GET, &to, &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(
        page.body.matches("<fieldset class=\"panel\"").count(),
        q.axes.len()
    );
    assert!(
        page.body
            .contains(&format!("0 questions répondues sur {}", questions.len()))
    );

    // Save two answers, continue later: the link resumes with them checked.
    let (q1, q2) = (questions[0], questions[1]);
    let k1 = format!("q:{}", q1.id);
    let k2 = format!("q:{}", q2.id);
    let saved = send(
        &f.app,
        Method::POST,
        &to,
        &[
            (&k1, &q1.options[2].id),
            (&k2, &q2.options[0].id),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(location(&saved), format!("{to}?saved=1"));
    let resumed = send(&f.app, Method::GET, &format!("{to}?saved=1"), &[]).await;
    assert!(resumed.body.contains("Vos réponses sont enregistrées."));
    assert!(resumed.body.contains(&format!(
        "id=\"o-{}-{}\" value=\"{}\" checked",
        q1.id, q1.options[2].id, q1.options[2].id
    )));
    assert!(
        resumed
            .body
            .contains(&format!("2 questions répondues sur {}", questions.len()))
    );

    // An option of another question is refused, naming it; the saved answers stay.
    let wrong = send(
        &f.app,
        Method::POST,
        &to,
        &[(&k1, "no-such-option"), ("action", "save")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(
        wrong.body.contains("no-such-option") && wrong.body.contains(&q1.id),
        "{}",
        wrong.body
    );

    // Finishing with questions left is refused (the answers are kept), then finished.
    let early = send(&f.app, Method::POST, &to, &[("action", "finish")]).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        early
            .body
            .contains(&format!("il reste {} question(s)", questions.len() - 2))
    );
    let keys: Vec<String> = questions.iter().map(|qu| format!("q:{}", qu.id)).collect();
    let mut all_answers: Vec<(&str, &str)> = keys
        .iter()
        .zip(&questions)
        .map(|(k, qu)| (k.as_str(), qu.options[1].id.as_str()))
        .collect();
    all_answers.push(("action", "finish"));
    assert_eq!(
        location(&send(&f.app, Method::POST, &to, &all_answers).await),
        to
    );
    let done = f
        .store
        .digiscore_assessment(&territoria_auth::digest(&secret))
        .unwrap()
        .unwrap();
    let overall = done.overall.expect("scored");
    assert!(done.completed_at.is_some());
    let result = send(&f.app, Method::GET, &to, &[]).await;
    assert!(result.body.contains("Votre résultat"), "{}", result.body);
    assert!(result.body.contains(&q.band(overall).label.fr));
    assert!(
        !result.body.contains("name=\"action\""),
        "a finished assessment has no form"
    );

    // An altered or unknown link is a 404 that says so in French.
    let mut tampered = secret.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for link in [
        format!("/fr/digiscore/a/{tampered}"),
        "/fr/digiscore/a/x".to_owned(),
    ] {
        let gone = send(&f.app, Method::GET, &link, &[]).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert!(
            gone.body
                .contains("Ce lien d’évaluation n’existe pas ou plus"),
            "{}",
            gone.body
        );
        let post = send(&f.app, Method::POST, &link, &[("action", "save")]).await;
        assert_eq!(post.status, StatusCode::NOT_FOUND);
    }
}

/// A finished real assessment of section `nace`, size micro, with overall `overall`.
fn peer(store: &SqliteStore, n: usize, nace: &str, overall: f64, demo: bool) {
    let hash = territoria_auth::digest(&format!("peer-{nace}-{n}-{demo}"));
    let record = territoria_store::DigiscoreRecord {
        link_hash: hash.clone(),
        series: hash,
        questionnaire: "digiscore".into(),
        questionnaire_version: 1,
        kbo: None,
        nace_section: nace.into(),
        size_class: "micro".into(),
        municipality: None,
        answers: "{}".into(),
        overall: Some(overall),
        axes: Some("[]".into()),
        completed_at: Some("2026-01-01T00:00:00Z".into()),
        demo,
    };
    let mut records = std::iter::once(Ok(territoria_store::Op::DigiscoreAssessment(Box::new(
        record,
    ))
    .into()));
    store
        .apply(
            "test",
            "peer",
            &mut records,
            &Default::default(),
            &mut |_| {},
        )
        .unwrap();
}

async fn finished(f: &Fixture, nace: &str) -> String {
    let to = location(
        &send(
            &f.app,
            Method::POST,
            "/en/digiscore",
            &[
                ("questionnaire", "digiscore"),
                ("nace", nace),
                ("size", "micro"),
            ],
        )
        .await,
    );
    let all = builtin();
    let q = latest(&all, "digiscore").unwrap();
    let keys: Vec<(String, String)> = q
        .axes
        .iter()
        .flat_map(|a| &a.questions)
        .map(|qu| (format!("q:{}", qu.id), qu.options[1].id.clone()))
        .collect();
    let mut form: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    form.push(("action", "finish"));
    assert_eq!(location(&send(&f.app, Method::POST, &to, &form).await), to);
    send(&f.app, Method::GET, &to, &[]).await.body
}

#[tokio::test]
async fn no_comparison_below_ten_peers_leaves_the_server() {
    let f = fixture();
    // Nine real peers in section F, plus others that are no peers: another section,
    // and synthetic ones (a real assessment is never compared with demo rows).
    for i in 0..9 {
        peer(&f.store, i, "F", 10.0 + i as f64, false);
    }
    for i in 0..20 {
        peer(&f.store, i, "C", 50.0, false);
        peer(&f.store, i, "F", 50.0, true);
    }
    let page = finished(&f, "F").await;
    assert!(page.contains("Fewer than 10 organisations"), "{page}");
    assert!(
        !page.contains("% of the"),
        "neither the percentile nor the count"
    );
    assert!(!page.contains(">9<") && !page.contains(" 9 organisations"));

    // The first one, finished, is the tenth real peer of the next: shown, with the count.
    let page = finished(&f, "F").await;
    assert!(
        page.contains("% of the 10 organisations of the same sector and size"),
        "{page}"
    );
}

async fn json(
    app: &Router,
    method: Method,
    uri: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, HeaderMap, serde_json::Value) {
    let mut req = Request::builder().method(method).uri(uri);
    let b = match body {
        Some(v) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let res = app.clone().oneshot(req.body(b).unwrap()).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let v = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, headers, v)
}

#[tokio::test]
async fn the_json_api_starts_answers_finishes_reassesses_and_deletes_an_assessment() {
    use serde_json::json;
    let f = fixture();
    let (s, _, qs) = json(&f.app, Method::GET, "/api/digiscore/questionnaires", None).await;
    assert_eq!(s, StatusCode::OK);
    let q = qs["questionnaires"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "digiscore")
        .unwrap()
        .clone();

    // A KBO number with a wrong check digit, and an unknown size: both named, nothing written.
    let (s, _, e) = json(
        &f.app,
        Method::POST,
        "/api/digiscore/assessments",
        Some(
            json!({"questionnaire": "digiscore", "kbo": "0123456788", "nace": "C", "size": "huge"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let fields: Vec<&str> = e["error"]["records"][0]["errors"]
        .as_array()
        .map(|a| a.iter().map(|x| x["field"].as_str().unwrap()).collect())
        .unwrap_or_default();
    assert!(
        e.to_string().contains("kbo") && e.to_string().contains("size"),
        "{e} {fields:?}"
    );
    assert!(f.store.digiscore_completed("digiscore").unwrap().is_empty());

    let (s, h, a) = json(
        &f.app,
        Method::POST,
        "/api/digiscore/assessments",
        Some(json!({"questionnaire": "digiscore", "nace": "C", "size": "small", "municipality": "92094"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    let secret = a["secret"].as_str().unwrap().to_owned();
    let uri = format!("/api/digiscore/assessments/{secret}");
    assert_eq!(a["links"]["api"], uri.as_str());
    assert!(a["result"].is_null());
    let questions: Vec<(String, String)> = q["axes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|x| x["questions"].as_array().unwrap().clone())
        .map(|qu| {
            (
                qu["id"].as_str().unwrap().to_owned(),
                qu["options"][2]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(a["missing"].as_array().unwrap().len(), questions.len());

    // An unknown option is refused by name; an altered link is a 404.
    let (s, _, e) = json(
        &f.app,
        Method::PATCH,
        &uri,
        Some(json!({"answers": {questions[0].0.clone(): "nope"}})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        e.to_string()
            .contains(&format!("answers.{}", questions[0].0)),
        "{e}"
    );
    let (s, _, _) = json(&f.app, Method::GET, &format!("{uri}x"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Half the answers, saved; finishing with questions left is refused, nothing saved.
    let half = questions.len() / 2;
    let first: serde_json::Map<String, serde_json::Value> = questions[..half]
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let (s, _, a) = json(&f.app, Method::PATCH, &uri, Some(json!({"answers": first}))).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(
        a["missing"].as_array().unwrap().len(),
        questions.len() - half
    );
    let one_more =
        json!({"answers": {questions[half].0.clone(): questions[half].1.clone()}, "finish": true});
    let (s, _, _) = json(&f.app, Method::PATCH, &uri, Some(one_more)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, _, a) = json(&f.app, Method::GET, &uri, None).await;
    assert_eq!(
        a["missing"].as_array().unwrap().len(),
        questions.len() - half
    );

    // The rest, and finish: scored, with band, peers (too few) and next steps.
    let rest: serde_json::Map<String, serde_json::Value> = questions[half..]
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let (s, _, a) = json(
        &f.app,
        Method::PATCH,
        &uri,
        Some(json!({"answers": rest, "finish": true})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let r = &a["result"];
    assert!(r["overall"].as_f64().unwrap() > 0.0);
    assert_eq!(r["peers"]["shown"], false);
    assert!(r["peers"].get("peers").is_none());
    assert!(!r["next_steps"].as_array().unwrap().is_empty());
    assert!(a["completed_at"].is_string());
    let (s, _, _) = json(&f.app, Method::PATCH, &uri, Some(json!({"answers": {}}))).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Reassess: a new link in the same series; deleting the first leaves the second.
    let (s, _, b) = json(&f.app, Method::POST, &format!("{uri}/reassess"), None).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let second = format!(
        "/api/digiscore/assessments/{}",
        b["secret"].as_str().unwrap()
    );
    assert_ne!(second, uri);
    let (s, _, _) = json(&f.app, Method::DELETE, &uri, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = json(&f.app, Method::GET, &uri, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = json(&f.app, Method::GET, &second, None).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn retention_deletes_real_assessments_past_their_time_and_keeps_demo_ones() {
    let f = fixture();
    peer(&f.store, 0, "C", 40.0, false);
    peer(&f.store, 1, "C", 40.0, false);
    peer(&f.store, 0, "C", 40.0, true);
    let count = || f.store.digiscore_completed("digiscore").unwrap();
    // Just written: within any retention period.
    let now = chrono::Utc::now();
    assert_eq!(
        territoria_server::digiscore::purge(f.store.as_ref(), 30, now).unwrap(),
        0
    );
    assert_eq!(count().len(), 3);
    // Thirty-one days later, the two real ones are past 30 days; the demo one stays.
    let later = now + chrono::Duration::days(31);
    assert_eq!(
        territoria_server::digiscore::purge(f.store.as_ref(), 30, later).unwrap(),
        2
    );
    let left = count();
    assert_eq!(left.len(), 1);
    assert!(left[0].demo);
}

/// A write token of a new account with `role`.
fn account_token(
    store: &SqliteStore,
    login: &str,
    role: territoria_store::Role,
    strategy: Option<&str>,
) -> String {
    use territoria_store::{AccountStore, NewUser};
    let user = store
        .create_user(
            "test",
            &NewUser {
                login: login.into(),
                display_name: login.into(),
                email: None,
                password_hash: None,
                organisation: None,
                role,
                strategy: strategy.map(Into::into),
                oidc_subject: None,
            },
        )
        .unwrap();
    let secret = format!("terr_test-{login}-0123456789");
    store
        .create_token(
            "test",
            user.id,
            login,
            &territoria_auth::digest(&secret),
            "write",
            None,
        )
        .unwrap();
    secret
}

async fn authed(
    app: &Router,
    method: Method,
    uri: &str,
    token: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn editors_keep_the_support_catalogue_and_next_steps_follow_it() {
    use serde_json::json;
    use territoria_store::Role;
    let f = fixture();
    let (s, _, c) = json(&f.app, Method::GET, "/api/digiscore/support", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (c["source"].as_str(), c["version"].as_i64()),
        (Some("built-in"), None)
    );
    assert!(!c["aids"].as_array().unwrap().is_empty());
    let builtin = c["toml"].as_str().unwrap().to_owned();
    let edited = builtin.replace("name = { fr = \"", "name = { fr = \"[v2] ");
    assert_ne!(edited, builtin);
    let put = |base: serde_json::Value, toml: &str| json!({"base_version": base, "toml": toml});

    // Anonymous: 401; an editor of one strategy only: 403; nothing saved.
    let (s, _, _) = json(
        &f.app,
        Method::PUT,
        "/api/digiscore/support",
        Some(put(json!(null), &edited)),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let partner = account_token(&f.store, "pia", Role::Editor, Some("s3"));
    let (s, _) = authed(
        &f.app,
        Method::PUT,
        "/api/digiscore/support",
        &partner,
        put(json!(null), &edited),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(f.store.digiscore_support().unwrap().is_empty());

    // An editor's mistakes are located; a good catalogue is saved as version 1.
    let editor = account_token(&f.store, "eddy", Role::Editor, None);
    let (s, e) = authed(
        &f.app,
        Method::PUT,
        "/api/digiscore/support",
        &editor,
        put(json!(null), "[[aids]\nid = 1\n"),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert!(e.to_string().contains("line 1"), "{e}");
    let wrong_url = builtin.replacen("url = \"https://", "url = \"http://", 1);
    let (s, e) = authed(
        &f.app,
        Method::PUT,
        "/api/digiscore/support",
        &editor,
        put(json!(null), &wrong_url),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert!(
        e.to_string().contains("url must start with https://"),
        "{e}"
    );
    let (s, c) = authed(
        &f.app,
        Method::PUT,
        "/api/digiscore/support",
        &editor,
        put(json!(null), &edited),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(
        (c["source"].as_str(), c["version"].as_i64()),
        (Some("store"), Some(1))
    );
    assert!(
        c["versions"][0]["saved_by"]
            .as_str()
            .unwrap()
            .contains("eddy")
    );
    // A save that started from the built-in file, after version 1: 409 with the version now.
    let (s, e) = authed(
        &f.app,
        Method::PUT,
        "/api/digiscore/support",
        &editor,
        put(json!(null), &builtin),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(f.store.digiscore_support().unwrap().len(), 1);

    // A finished assessment's next steps come from version 1.
    let (s, _, qs) = json(&f.app, Method::GET, "/api/digiscore/questionnaires", None).await;
    assert_eq!(s, StatusCode::OK);
    let q = qs["questionnaires"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "digiscore")
        .unwrap()
        .clone();
    let answers: serde_json::Map<String, serde_json::Value> = q["axes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|x| x["questions"].as_array().unwrap().clone())
        .map(|qu| {
            (
                qu["id"].as_str().unwrap().to_owned(),
                qu["options"][0]["id"].clone(),
            )
        })
        .collect();
    let (s, _, a) = json(
        &f.app,
        Method::POST,
        "/api/digiscore/assessments",
        Some(json!({"questionnaire": "digiscore", "nace": "C", "size": "small", "municipality": "92094"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let uri = format!(
        "/api/digiscore/assessments/{}",
        a["secret"].as_str().unwrap()
    );
    let (s, _, done) = json(
        &f.app,
        Method::PATCH,
        &uri,
        Some(json!({"answers": answers, "finish": true})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    let steps = done["result"]["next_steps"].as_array().unwrap();
    assert!(!steps.is_empty(), "{done}");
    let names: Vec<&str> = steps
        .iter()
        .flat_map(|st| ["programme", "aid", "operator"].map(|k| &st[k]))
        .filter(|o| !o.is_null())
        .map(|o| o["name"]["fr"].as_str().unwrap())
        .collect();
    assert!(
        !names.is_empty() && names.iter().all(|n| n.starts_with("[v2] ")),
        "{names:?}"
    );
}

/// A user with a password, to sign in through the form.
fn account_with_password(
    store: &SqliteStore,
    login: &str,
    role: territoria_store::Role,
    strategy: Option<&str>,
) {
    use territoria_store::{AccountStore, NewUser};
    store
        .create_user(
            "test",
            &NewUser {
                login: login.into(),
                display_name: login.into(),
                email: None,
                password_hash: Some(territoria_auth::hash_password(PASSWORD).unwrap()),
                organisation: None,
                role,
                strategy: strategy.map(Into::into),
                oidc_subject: None,
            },
        )
        .unwrap();
}

const PASSWORD: &str = "un mot de passe assez long";

/// A form post with the session cookie.
async fn post_signed_in(app: &Router, cookie: &str, uri: &str, form: &[(&str, &str)]) -> Answer {
    let a = common::send(
        app.clone(),
        Method::POST,
        uri,
        &[
            ("cookie", cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        Body::from(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish(),
        ),
    )
    .await;
    Answer {
        status: a.status,
        body: a.text(),
        headers: a.headers,
    }
}

async fn get_signed_in(app: &Router, cookie: &str, uri: &str) -> Answer {
    let a = common::send(
        app.clone(),
        Method::GET,
        uri,
        &[("cookie", cookie)],
        Body::empty(),
    )
    .await;
    Answer {
        status: a.status,
        body: a.text(),
        headers: a.headers,
    }
}

fn hidden(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no field {name}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_support_catalogue_is_read_by_all_and_edited_in_the_browser_by_those_who_keep_it() {
    use territoria_store::Role;
    let f = fixture();
    let page = "/fr/digiscore/accompagnement";

    // Anyone reads the catalogue with its conditions in words; the start page links it.
    let start = send(&f.app, Method::GET, "/fr/digiscore", &[]).await;
    assert!(
        start.body.contains(&format!("href=\"{page}\"")),
        "{}",
        start.body
    );
    let anon = send(&f.app, Method::GET, page, &[]).await;
    assert_eq!(anon.status, StatusCode::OK);
    assert!(anon.body.contains("Chèque cybersécurité"), "{}", anon.body);
    assert!(
        anon.body.contains("provinces : Brabant wallon"),
        "{}",
        anon.body
    );
    assert!(anon.body.contains("id=\"support-builtin\""));
    assert!(anon.body.contains("id=\"support-sign-in\""));
    assert!(!anon.body.contains("id=\"support-form\""));
    let en = send(&f.app, Method::GET, "/en/digiscore/support", &[]).await;
    assert!(en.body.contains("Cybersecurity cheque") && en.body.contains("Support offers"));

    // An editor of one strategy reads it without the form, and may not save.
    account_with_password(&f.store, "scoped", Role::Editor, Some("s3"));
    let app = || f.app.clone();
    let scoped = common_sign_in(app, "scoped").await;
    let seen = get_signed_in(&f.app, &scoped, page).await;
    let account = get_signed_in(&f.app, &scoped, "/fr/compte").await;
    assert!(!account.body.contains("id=\"account-support\""));
    assert!(
        seen.body.contains("id=\"support-no-right\""),
        "{}",
        seen.body
    );
    let csrf_scoped = hidden(
        &get_signed_in(&f.app, &scoped, "/fr/compte").await.body,
        "csrf",
    );
    let refused = post_signed_in(
        &f.app,
        &scoped,
        page,
        &[("csrf", &csrf_scoped), ("base", ""), ("toml", "")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    // An editor of every strategy gets the TOML in a form.
    account_with_password(&f.store, "eddy", Role::Editor, None);
    let cookie = common_sign_in(app, "eddy").await;
    let account = get_signed_in(&f.app, &cookie, "/fr/compte").await;
    assert!(
        account.body.contains("id=\"account-support\""),
        "{}",
        account.body
    );
    let form = get_signed_in(&f.app, &cookie, page).await;
    assert!(form.body.contains("id=\"support-form\""), "{}", form.body);
    let csrf = hidden(&form.body, "csrf");
    assert_eq!(hidden(&form.body, "base"), "");
    let builtin = territoria_digiscore::support::BUILTIN_FILE.1;
    let edited = builtin.replace("Chèque cybersécurité", "Chèque cybersécurité (v2)");

    // Without the CSRF field nothing is saved.
    let forged = post_signed_in(&f.app, &cookie, page, &[("base", ""), ("toml", &edited)]).await;
    assert_ne!(forged.status, StatusCode::SEE_OTHER);
    assert!(f.store.digiscore_support().unwrap().is_empty());

    // A mistake is located, the text kept, nothing saved.
    let broken = post_signed_in(
        &f.app,
        &cookie,
        page,
        &[("csrf", &csrf), ("base", ""), ("toml", "[[aids]\nid = 1\n")],
    )
    .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST, "{}", broken.body);
    assert!(broken.body.contains("id=\"support-error\""));
    assert!(broken.body.contains("line 1"), "{}", broken.body);
    assert!(
        broken.body.contains("[[aids]\nid = 1\n</textarea>"),
        "{}",
        broken.body
    );
    assert!(f.store.digiscore_support().unwrap().is_empty());

    // A good save is version 1, shown with who saved it; next steps follow it.
    let ok = post_signed_in(
        &f.app,
        &cookie,
        page,
        &[("csrf", &csrf), ("base", ""), ("toml", &edited)],
    )
    .await;
    assert_eq!(location(&ok), format!("{page}?saved=1"));
    let after = get_signed_in(&f.app, &cookie, &format!("{page}?saved=1")).await;
    assert!(after.body.contains("id=\"support-saved\""));
    assert!(after.body.contains("Chèque cybersécurité (v2)"));
    assert!(
        after.body.contains("<td>eddy (eddy)</td>"),
        "{}",
        after.body
    );
    assert_eq!(hidden(&after.body, "base"), "1");
    assert!(!after.body.contains("id=\"support-builtin\""));

    // A save started from the built-in file after version 1 is a conflict: both texts
    // shown, the base moved on, nothing overwritten.
    let mine = builtin.replace("Chèque cybersécurité", "Chèque cyber (mine)");
    let stale = post_signed_in(
        &f.app,
        &cookie,
        page,
        &[("csrf", &csrf), ("base", ""), ("toml", &mine)],
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(stale.body.contains("id=\"support-theirs\""));
    assert!(stale.body.contains("Chèque cyber (mine)"));
    assert_eq!(hidden(&stale.body, "base"), "1");
    assert_eq!(f.store.digiscore_support().unwrap().len(), 1);
}

async fn common_sign_in(app: impl Fn() -> Router, login: &str) -> String {
    common::sign_in(app, login, PASSWORD)
        .await
        .map_err(|a| a.text())
        .unwrap()
}
