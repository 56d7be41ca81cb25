//! A strategy made from the empty template and filled element by element, in the
//! browser and through the API: roles, refusals that name the field, the history of
//! each link, revert, and the dashboard showing the new strategy.

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::json;
use territoria_model::EntityKind;
use territoria_server::router;
use territoria_store::{AccountStore, NewUser, Role, SqliteStore, Store};

mod common;
use common::Answer;

const PASSWORD: &str = "un mot de passe assez long";

struct World {
    demo: common::Demo,
    store: SqliteStore,
}

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let demo = common::demo(12, 60);
    let store = SqliteStore::open(&demo.path).unwrap();
    let mut org = None;
    store
        .export_entities(EntityKind::Organisation, &mut |e, _| {
            org.get_or_insert(e.key);
            Ok(())
        })
        .unwrap();
    for (login, role, strategy) in [
        ("editor", Role::Editor, None),
        ("scoped", Role::Editor, Some("digital-wallonia")),
        ("partner", Role::Partner, None),
        ("admin", Role::Admin, None),
    ] {
        store
            .create_user(
                "test",
                &NewUser {
                    login: login.into(),
                    display_name: format!("{login} (test)"),
                    email: None,
                    password_hash: Some(territoria_auth::hash_password(PASSWORD).unwrap()),
                    role,
                    organisation: (role == Role::Partner).then(|| org.clone().unwrap()),
                    strategy: strategy.map(Into::into),
                    oidc_subject: None,
                },
            )
            .unwrap();
    }
    World { demo, store }
});

fn app() -> Router {
    router(WORLD.demo.state.clone())
}

async fn send(method: Method, uri: &str, headers: &[(&str, &str)], body: Body) -> Answer {
    common::send(app(), method, uri, headers, body).await
}

fn token(login: &str) -> String {
    let w = &*WORLD;
    let user = w.store.credentials(login).unwrap().unwrap().user;
    let secret = format!("terr_structure-{login}");
    w.store
        .create_token(
            "test",
            user.id,
            "test",
            &territoria_auth::digest(&secret),
            "write",
            None,
        )
        .unwrap();
    format!("Bearer {secret}")
}

fn field(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no field {name}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

async fn post_form(cookie: &str, url: &str, body: &str) -> Answer {
    send(
        Method::POST,
        url,
        &[
            ("cookie", cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        Body::from(body.to_owned()),
    )
    .await
}

fn top_level(store: &dyn Store, strategy: &str) -> Vec<String> {
    store
        .strategy(strategy, None)
        .unwrap()
        .unwrap()
        .children
        .iter()
        .map(|n| format!("{}/{}", n.kind.as_str(), n.id))
        .collect()
}

#[tokio::test]
async fn an_editor_creates_a_strategy_from_the_empty_template_and_fills_it_in_the_browser() {
    let w = &*WORLD;
    let cookie = common::sign_in(app, "editor", PASSWORD)
        .await
        .map_err(|a| a.text())
        .unwrap();
    // Circular Wallonia is named by the memorandum without a structure: its page links
    // to the template, filled in with what is known of it.
    let home = send(
        Method::GET,
        "/fr/?strategy=circular-wallonia",
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.text()
            .contains("href=\"/fr/strategies/nouvelle?key=circular-wallonia\""),
        "{}",
        home.text()
    );
    let form = send(
        Method::GET,
        "/fr/strategies/nouvelle?key=circular-wallonia",
        &[("cookie", &cookie)],
        Body::empty(),
    )
    .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let html = form.text();
    let csrf = field(&html, "csrf");
    assert_eq!(field(&html, "name_fr"), "Circular Wallonia");
    assert!(field(&html, "source").contains("Mémorandum"));

    // A bad key is refused, naming the field, and the values are kept.
    let bad = post_form(
        &cookie,
        "/fr/strategies/nouvelle",
        &format!("csrf={csrf}&key=Circular+Wallonia&name_fr=Circular+Wallonia&version=2025-2030&source=https%3A%2F%2Feconomiecirculaire.wallonie.be"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text());
    assert!(bad.text().contains("Refusé : key"), "{}", bad.text());
    assert!(bad.text().contains("value=\"Circular Wallonia\""));
    assert!(
        w.store
            .strategy("circular-wallonia", None)
            .unwrap()
            .is_none()
    );

    let ok = post_form(
        &cookie,
        "/fr/strategies/nouvelle",
        &format!("csrf={csrf}&key=circular-wallonia&name_fr=Circular+Wallonia&name_en=Circular+Wallonia&version=2025-2030&version_label=Strat%C3%A9gie+2025-2030&year=2021&source=https%3A%2F%2Feconomiecirculaire.wallonie.be"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let location = ok.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        "/fr/strategies/circular-wallonia/structure?version=2025-2030"
    );
    // The same key again is refused.
    let again = post_form(
        &cookie,
        "/fr/strategies/nouvelle",
        &format!("csrf={csrf}&key=circular-wallonia&name_fr=X&version=v1&source=x"),
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(
        again.text().contains("with its versions"),
        "{}",
        again.text()
    );

    // The empty strategy opens on the dashboard, in the selector, without an error page.
    let home = send(
        Method::GET,
        "/fr/?strategy=circular-wallonia",
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.text());
    assert!(home.text().contains("Circular Wallonia"));

    // Its structure page is empty and offers to add an ambition.
    let page = send(
        Method::GET,
        &location,
        &[("cookie", &cookie)],
        Body::empty(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("id=\"struct-empty\""));
    let add = "/fr/strategies/circular-wallonia/structure/ajouter";
    let a = post_form(
        &cookie,
        add,
        &format!("csrf={csrf}&version=2025-2030&parent=strategy%2Fcircular-wallonia&kind=ambition&name_fr=R%C3%A9duire+les+d%C3%A9chets&name_en=Reduce+waste"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    assert_eq!(
        top_level(&w.store, "circular-wallonia"),
        ["ambition/reduire-les-dechets"]
    );
    let page = send(
        Method::GET,
        a.headers["location"].to_str().unwrap(),
        &[("cookie", &cookie)],
        Body::empty(),
    )
    .await;
    assert!(
        page.text().contains("Enregistré : Réduire les déchets"),
        "the confirmation names the element: {}",
        page.text()
    );
    // A programme cannot sit directly under the strategy: refused, naming the kind.
    let wrong = post_form(
        &cookie,
        add,
        &format!("csrf={csrf}&version=2025-2030&parent=strategy%2Fcircular-wallonia&kind=programme&name_fr=P"),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.text().contains("use ambition"), "{}", wrong.text());
    // A programme under the ambition; the ambition then cannot be detached.
    let p = post_form(
        &cookie,
        add,
        &format!("csrf={csrf}&version=2025-2030&parent=ambition%2Freduire-les-dechets&kind=programme&name_fr=Z%C3%A9ro+d%C3%A9chet"),
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text());
    let remove = "/fr/strategies/circular-wallonia/structure/retirer";
    let refused = post_form(
        &cookie,
        remove,
        &format!("csrf={csrf}&version=2025-2030&parent=strategy%2Fcircular-wallonia&child=ambition%2Freduire-les-dechets"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("remove them first"),
        "{}",
        refused.text()
    );
    // Without its CSRF token the form is refused.
    let forged = post_form(
        &cookie,
        remove,
        "csrf=forged&version=2025-2030&parent=ambition%2Freduire-les-dechets&child=programme%2Fzero-dechet",
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let removed = post_form(
        &cookie,
        remove,
        &format!("csrf={csrf}&version=2025-2030&parent=ambition%2Freduire-les-dechets&child=programme%2Fzero-dechet"),
    )
    .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.text());
    // The link's addition and removal are in the programme's history, by the editor.
    let h = w
        .store
        .history(EntityKind::Programme, "zero-dechet", 10)
        .unwrap();
    let edges: Vec<_> = h.iter().filter(|e| e.change.item == "edge").collect();
    assert_eq!(edges.len(), 2, "{h:?}");
    assert!(edges[0].change.after.is_none() && edges[1].change.before.is_none());
    assert!(edges[0].actor.contains("editor (test)"));
    // The programme page still exists (the entity stays).
    assert!(
        w.store
            .entity(EntityKind::Programme, "zero-dechet")
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn the_api_builds_a_tree_refuses_other_roles_and_a_link_can_be_reverted() {
    let w = &*WORLD;
    let editor = token("editor");
    let post = |auth: String, uri: &'static str, body: serde_json::Value| async move {
        send(
            Method::POST,
            uri,
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            Body::from(body.to_string()),
        )
        .await
    };
    let new = json!({"key": "s3-wallonie", "name_fr": "Stratégie de spécialisation intelligente", "version": "2021-2027", "source": "https://www.s3wallonia.be"});
    // Anonymous: 401; a partner and an editor of another strategy: 403.
    let anon = send(
        Method::POST,
        "/api/strategies",
        &[("content-type", "application/json")],
        Body::from(new.to_string()),
    )
    .await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    for login in ["partner", "scoped"] {
        let a = post(token(login), "/api/strategies", new.clone()).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{login}: {}", a.text());
    }
    let a = post(editor.clone(), "/api/strategies", new.clone()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert_eq!(a.json()["element"], "strategy/s3-wallonie");
    // Listed by the open API at once.
    let list = send(Method::GET, "/api/strategies", &[], Body::empty()).await;
    assert!(list.text().contains("s3-wallonie"), "{}", list.text());

    let elements = "/api/strategies/s3-wallonie/elements";
    let a = post(
        editor.clone(),
        elements,
        json!({"version": "2021-2027", "parent": "strategy/s3-wallonie", "kind": "ambition", "key": "s3-dis", "name_fr": "Domaines d'innovation stratégiques"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    // An unknown version is a 404, a missing parent a 400 naming `parent`.
    let a = post(
        editor.clone(),
        elements,
        json!({"version": "2099", "parent": "strategy/s3-wallonie", "kind": "ambition", "name_fr": "x"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text());
    let a = post(
        editor.clone(),
        elements,
        json!({"version": "2021-2027", "parent": "ambition/nowhere", "kind": "programme", "name_fr": "x"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text().contains("parent"), "{}", a.text());
    // An existing programme of Digital Wallonia serves this strategy too.
    let existing = w.store.strategy("digital-wallonia", None).unwrap().unwrap();
    fn first_programme(nodes: &[territoria_store::Node]) -> Option<String> {
        nodes.iter().find_map(|n| {
            if n.kind == EntityKind::Programme {
                Some(n.id.clone())
            } else {
                first_programme(&n.children)
            }
        })
    }
    let programme = first_programme(&existing.children).unwrap();
    let placed = post(
        editor.clone(),
        elements,
        json!({"version": "2021-2027", "parent": "ambition/s3-dis", "existing": format!("programme/{programme}")}),
    )
    .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text());
    let d = w
        .store
        .entity(EntityKind::Programme, &programme)
        .unwrap()
        .unwrap();
    let strategies: Vec<&str> = d.placements.iter().map(|p| p.strategy.as_str()).collect();
    assert!(
        strategies.contains(&"s3-wallonie") && strategies.contains(&"digital-wallonia"),
        "{strategies:?}"
    );
    // An admin reverts the placement: the programme leaves S3 only.
    let audit_id = placed.json()["audit_id"].as_i64().unwrap();
    let r = send(
        Method::POST,
        &format!("/api/changes/{audit_id}/revert"),
        &[("authorization", &token("admin"))],
        Body::empty(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = w
        .store
        .entity(EntityKind::Programme, &programme)
        .unwrap()
        .unwrap();
    assert!(d.placements.iter().all(|p| p.strategy != "s3-wallonie"));
    assert!(
        d.placements
            .iter()
            .any(|p| p.strategy == "digital-wallonia")
    );

    // DELETE detaches a leaf; its parameters are required.
    let del = |q: &'static str| {
        let auth = editor.clone();
        async move {
            send(
                Method::DELETE,
                &format!("{elements}?{q}"),
                &[("authorization", &auth)],
                Body::empty(),
            )
            .await
        }
    };
    assert_eq!(
        del("version=2021-2027&parent=strategy/s3-wallonie")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let gone = del("version=2021-2027&parent=strategy/s3-wallonie&child=ambition/s3-dis").await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.text());
    assert!(top_level(&w.store, "s3-wallonie").is_empty());
}
