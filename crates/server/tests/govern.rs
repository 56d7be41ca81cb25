//! The governing face against a real store: roles, tokens, sessions and CSRF,
//! optimistic concurrency, history and revert, bulk updates (preview, apply,
//! idempotence), and every write refusing an anonymous request.

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use territoria_model::{Details, EntityKind};
use territoria_server::router;
use territoria_store::{AccountStore, NewUser, Role, SqliteStore, Store};
use tower::ServiceExt;

mod common;

struct World {
    demo: common::Demo,
    /// A second handle on the store file, for set-up and checks.
    store: SqliteStore,
    /// An organisation, an action it leads and an indicator measuring that action.
    org: String,
    action: String,
    indicator: String,
    /// An action led by another organisation.
    other_action: String,
}

const PASSWORD: &str = "un mot de passe assez long";

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let demo = common::demo(11, 400);
    let store = SqliteStore::open(&demo.path).unwrap();
    let mut indicators = Vec::new();
    store
        .export_observations(&mut |o| {
            if o.territory.is_none() && o.provenance.demo {
                indicators.push(o.indicator);
            }
            Ok(())
        })
        .unwrap();
    indicators.dedup();
    let lead_of = |action: &str| -> Option<String> {
        store
            .entity(EntityKind::Action, action)
            .unwrap()?
            .inverse_relations
            .into_iter()
            .find(|r| r.kind == "operates")
            .map(|r| r.entity.id)
    };
    let mut found = None;
    for ind in &indicators {
        let d = store.entity(EntityKind::Indicator, ind).unwrap().unwrap();
        if let Details::Indicator(i) = d.entity.details {
            if i.measures.kind == EntityKind::Action {
                if let Some(org) = lead_of(&i.measures.key) {
                    found = Some((org, i.measures.key.clone(), ind.clone()));
                    break;
                }
            }
        }
    }
    let (org, action, indicator) = found.expect("a demo indicator of a led action");
    let mut other_action = None;
    store
        .export_entities(EntityKind::Action, &mut |e, _| {
            if other_action.is_none() && e.key != action {
                if let Some(o) = lead_of(&e.key) {
                    if o != org {
                        other_action = Some(e.key);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    let user = |login: &str, role, organisation: Option<&str>| NewUser {
        login: login.into(),
        display_name: format!("{login} (test)"),
        email: None,
        password_hash: Some(territoria_auth_hash(PASSWORD)),
        role,
        organisation: organisation.map(Into::into),
        strategy: None,
        oidc_subject: None,
    };
    store
        .create_user("test", &user("partner", Role::Partner, Some(&org)))
        .unwrap();
    store
        .create_user("test", &user("admin", Role::Admin, None))
        .unwrap();
    store
        .create_user("test", &user("locked", Role::Editor, None))
        .unwrap();
    World {
        demo,
        store,
        org,
        action,
        indicator,
        other_action: other_action.expect("an action led by another organisation"),
    }
});

fn territoria_auth_hash(p: &str) -> String {
    // The same hashing the product uses (argon2id).
    territoria_auth::hash_password(p).unwrap()
}

fn app() -> Router {
    router(WORLD.demo.state.clone())
}

use common::Answer;

async fn send(method: Method, uri: &str, headers: &[(&str, &str)], body: Body) -> Answer {
    common::send(app(), method, uri, headers, body).await
}

/// A personal token of `login`, created in the store directly.
fn token(login: &str, scope: &str) -> String {
    let w = &*WORLD;
    let user = w.store.credentials(login).unwrap().unwrap().user;
    let secret = format!("terr_test-{login}-{scope}-{}", rand_suffix());
    w.store
        .create_token(
            "test",
            user.id,
            "test",
            &territoria_auth::digest(&secret),
            scope,
            None,
        )
        .unwrap();
    secret
}

fn rand_suffix() -> String {
    territoria_auth::secret().unwrap()[..8].to_owned()
}

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

async fn get_entity(kind: &str, key: &str) -> (i64, Value) {
    let h = send(
        Method::GET,
        &format!("/api/entities/{kind}/{key}/history"),
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.text());
    let version = h.json()["version"].as_i64().unwrap();
    let e = send(
        Method::GET,
        &format!("/api/entities/{kind}/{key}"),
        &[],
        Body::empty(),
    )
    .await;
    // The entity's own fields (not the read-only views), as a client sends them back.
    let v = e.json();
    let mut entity = serde_json::Map::new();
    for k in [
        "kind",
        "key",
        "name",
        "description",
        "tags",
        "attributes",
        "details",
        "provenance",
    ] {
        if !v[k].is_null() {
            entity.insert(k.into(), v[k].clone());
        }
    }
    (version, Value::Object(entity))
}

async fn put_entity(
    auth: &str,
    kind: &str,
    key: &str,
    version: Option<i64>,
    entity: &Value,
) -> Answer {
    send(
        Method::PUT,
        &format!("/api/entities/{kind}/{key}"),
        &[
            ("authorization", auth),
            ("content-type", "application/json"),
        ],
        Body::from(json!({"version": version, "entity": entity}).to_string()),
    )
    .await
}

#[tokio::test]
async fn every_write_refuses_an_anonymous_request() {
    let w = &*WORLD;
    let entity = json!({"kind": "action", "key": w.action, "name": {"fr": "x"}, "provenance": {"source": "x"}});
    for (method, uri, body) in [
        (
            Method::PUT,
            format!("/api/entities/action/{}", w.action),
            json!({"version": 1, "entity": entity}).to_string(),
        ),
        (
            Method::POST,
            "/api/bulk/actions?mode=apply".to_owned(),
            "id;name_fr\n".to_owned(),
        ),
        (
            Method::POST,
            "/api/tokens".to_owned(),
            json!({"name": "x"}).to_string(),
        ),
        (Method::DELETE, "/api/tokens/1".to_owned(), String::new()),
        (
            Method::POST,
            "/api/changes/1/revert".to_owned(),
            String::new(),
        ),
        (
            Method::POST,
            "/api/users".to_owned(),
            json!({"login": "x", "password": "y", "role": "admin"}).to_string(),
        ),
        (
            Method::PUT,
            "/api/schemes/target-audience/concepts/jeunes".to_owned(),
            json!({"base_version": 0, "labels": {"fr": "x"}}).to_string(),
        ),
    ] {
        let a = send(
            method.clone(),
            &uri,
            &[("content-type", "application/json")],
            Body::from(body),
        )
        .await;
        assert_eq!(
            a.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri}: {}",
            a.text()
        );
        assert!(a.headers.contains_key(header::WWW_AUTHENTICATE));
    }
    // A tampered token is refused, not taken for "nobody".
    let a = send(
        Method::GET,
        "/api/me",
        &[("authorization", "Bearer terr_forged")],
        Body::empty(),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    // A read-only token cannot write.
    let ro = token("admin", "read");
    let a = send(
        Method::POST,
        "/api/tokens",
        &[
            ("authorization", &bearer(&ro)),
            ("content-type", "application/json"),
        ],
        Body::from(r#"{"name":"n"}"#),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
}

#[tokio::test]
async fn a_partner_edits_its_own_action_only_and_a_stale_edit_is_a_conflict() {
    let w = &*WORLD;
    let t = bearer(&token("partner", "write"));
    let (v, mut e) = get_entity("action", &w.action).await;
    e["name"]["en"] = json!("Edited by its partner");
    let a = put_entity(&t, "action", &w.action, Some(v), &e).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let v2 = a.json()["version"].as_i64().unwrap();
    assert!(v2 > v);
    // Someone who started from v gets 409 with the version now.
    e["name"]["en"] = json!("A stale edit");
    let a = put_entity(&t, "action", &w.action, Some(v), &e).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text());
    assert_eq!(a.json()["error"]["current_version"], v2);
    // Another organisation's action, and one that does not exist: the same 403.
    let (ov, oe) = get_entity("action", &w.other_action).await;
    let a = put_entity(&t, "action", &w.other_action, Some(ov), &oe).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    let mut ghost = oe.clone();
    ghost["key"] = json!("no-such-action");
    let b = put_entity(&t, "action", "no-such-action", Some(ov), &ghost).await;
    assert_eq!(b.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .replace(&w.other_action, "X"),
        b.json()["error"]["message"]
            .as_str()
            .unwrap()
            .replace("no-such-action", "X"),
        "a refusal does not reveal whether the object exists"
    );
    // The history shows who changed what, before and after.
    let h = send(
        Method::GET,
        &format!("/api/entities/action/{}/history", w.action),
        &[],
        Body::empty(),
    )
    .await
    .json();
    let last = &h["history"][0];
    assert_eq!(last["actor"], "partner (test) (partner)");
    assert_eq!(last["after"]["name"]["en"], "Edited by its partner");
    assert_ne!(last["before"]["name"]["en"], "Edited by its partner");
    // A partner may not revert; an admin may, and the revert is in the history.
    let audit = last["audit_id"].as_i64().unwrap();
    let a = send(
        Method::POST,
        &format!("/api/changes/{audit}/revert"),
        &[("authorization", &t)],
        Body::empty(),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let admin = bearer(&token("admin", "write"));
    let a = send(
        Method::POST,
        &format!("/api/changes/{audit}/revert"),
        &[("authorization", &admin)],
        Body::empty(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let (_, back) = get_entity("action", &w.action).await;
    assert_eq!(back["name"], last["before"]["name"]);
    let h = send(
        Method::GET,
        &format!("/api/entities/action/{}/history", w.action),
        &[],
        Body::empty(),
    )
    .await
    .json();
    assert_eq!(h["history"][0]["operation"], format!("revert {audit}"));
    assert_eq!(h["history"][0]["actor"], "admin (test) (admin)");
    // The action's page says who last changed it, and when, beside the link to its history.
    let page = send(
        Method::GET,
        &format!("/fr/actions/{}", w.action),
        &[],
        Body::empty(),
    )
    .await
    .text();
    let line = page
        .split("id=\"action-last-change\">")
        .nth(1)
        .and_then(|x| x.split("</p>").next())
        .unwrap_or_default();
    assert!(
        line.starts_with("Dernière modification le ")
            && line.contains(" par ")
            && line.contains("(test)"),
        "{line}"
    );
    assert!(line.contains(&format!("/fr/historique/action/{}", w.action)));
}

fn observation_csv(indicator: &str, value: &str) -> String {
    format!(
        "indicator;period;territory;value;qualifier;period_label;note;quote;source;source_date;inferred;demo\n{indicator};2031;;{value};;;;;rapport du partenaire;;false;true\n"
    )
}

#[tokio::test]
async fn a_bulk_update_previews_applies_once_and_refuses_what_is_not_yours() {
    let w = &*WORLD;
    let t = bearer(&token("partner", "write"));
    let csv = observation_csv(&w.indicator, "42");
    let post = |mode: &'static str, body: String| {
        let t = t.clone();
        async move {
            send(
                Method::POST,
                &format!("/api/bulk/observations?mode={mode}"),
                &[("authorization", &t), ("content-type", "text/csv")],
                Body::from(body),
            )
            .await
        }
    };
    let p = post("preview", csv.clone()).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text());
    let p = p.json();
    assert_eq!(
        (p["added"].as_u64(), p["applied"].as_bool()),
        (Some(1), Some(false))
    );
    assert_eq!(p["rows"][0]["line"], 2);
    let before = w.store.audit(1).unwrap()[0].id;
    assert_eq!(
        w.store.audit(1).unwrap()[0].id,
        before,
        "a preview writes nothing"
    );
    let a = post("apply", csv.clone()).await.json();
    assert_eq!(a["applied"], true, "{a}");
    assert!(a["audit_id"].as_i64().unwrap() > before);
    // The strategy's "changes since" names who changed the figure, linked to its history.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let page = send(
        Method::GET,
        &format!("/fr/strategies/digital-wallonia/changements?since={today}"),
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Modifications enregistrées"), "{html}");
    assert!(
        html.contains(&format!("/fr/historique/indicator/{}", w.indicator))
            && html.contains("partner"),
        "{html}"
    );
    // The same file again changes nothing.
    let again = post("apply", csv.clone()).await.json();
    assert_eq!(
        (
            again["added"].as_u64(),
            again["changed"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(1))
    );
    assert_eq!(again["applied"], false);
    // A changed value is one changed field.
    let changed = post("preview", observation_csv(&w.indicator, "43"))
        .await
        .json();
    assert_eq!(changed["changed"], 1);
    assert_eq!(changed["rows"][0]["fields"][0]["field"], "value");
    // Another organisation's indicator is rejected with its line; nothing is applied.
    let other_ind = w
        .store
        .entity(EntityKind::Action, &w.other_action)
        .unwrap()
        .unwrap()
        .indicators
        .first()
        .map(|i| i.id.clone());
    if let Some(other) = other_ind {
        let mixed = format!(
            "{}{}",
            observation_csv(&w.indicator, "44"),
            observation_csv(&other, "1").lines().nth(1).unwrap()
        );
        let r = post("apply", mixed).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert!(r.text().contains("may not change"), "{}", r.text());
        let p = post("preview", observation_csv(&w.indicator, "44"))
            .await
            .json();
        assert_eq!(p["changed"], 1, "nothing of the mixed file was applied");
    }
    // A row the store refuses (unknown indicator) is reported with its line.
    let bad = post("preview", observation_csv("no-such-indicator", "1"))
        .await
        .json();
    assert_eq!(bad["rejected"][0]["line"], 2, "{bad}");
    // The indicator's history shows the partner's figure.
    let h = send(
        Method::GET,
        &format!("/api/entities/indicator/{}/history", w.indicator),
        &[],
        Body::empty(),
    )
    .await
    .json();
    assert_eq!(h["history"][0]["item"], "observation");
    assert_eq!(h["history"][0]["after"]["value"], 42.0);
}

/// Signs in through the pages; returns the session cookie.
async fn sign_in(login: &str, password: &str) -> Result<String, Answer> {
    common::sign_in(app, login, password).await
}

#[tokio::test]
async fn sessions_need_their_csrf_token_and_failures_lock_the_account() {
    let cookie = sign_in("admin", PASSWORD)
        .await
        .map_err(|a| a.text())
        .unwrap();
    let me = send(
        Method::GET,
        "/api/me",
        &[("cookie", &cookie)],
        Body::empty(),
    )
    .await
    .json();
    assert_eq!(me["user"]["login"], "admin");
    let csrf = me["via"]["csrf_token"].as_str().unwrap().to_owned();
    let create = |headers: Vec<(&'static str, String)>| async move {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        send(
            Method::POST,
            "/api/tokens",
            &h,
            Body::from(r#"{"name":"script"}"#),
        )
        .await
    };
    let no_csrf = create(vec![
        ("cookie", cookie.clone()),
        ("content-type", "application/json".into()),
    ])
    .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN, "{}", no_csrf.text());
    let cross = create(vec![
        ("cookie", cookie.clone()),
        ("content-type", "application/json".into()),
        ("x-csrf-token", csrf.clone()),
        ("origin", "https://evil.example".into()),
    ])
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let ok = create(vec![
        ("cookie", cookie.clone()),
        ("content-type", "application/json".into()),
        ("x-csrf-token", csrf.clone()),
    ])
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
    // The new token works on its own, and its secret is never listed.
    let secret = ok.json()["secret"].as_str().unwrap().to_owned();
    let list = send(
        Method::GET,
        "/api/tokens",
        &[("authorization", &bearer(&secret))],
        Body::empty(),
    )
    .await;
    assert!(!list.text().contains(&secret));
    // A tampered session is nobody.
    let forged = format!("{}x", cookie);
    let a = send(
        Method::GET,
        "/api/me",
        &[("cookie", &forged)],
        Body::empty(),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);

    // Wrong password and unknown login fail the same way; 5 failures lock the account.
    let wrong = sign_in("locked", "not the password at all")
        .await
        .unwrap_err();
    let unknown = sign_in("nobody-here", "not the password at all")
        .await
        .unwrap_err();
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let msg = |a: &Answer| {
        a.text()
            .split("role=\"alert\"")
            .nth(1)
            .unwrap()
            .split("</p>")
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(msg(&wrong), msg(&unknown));
    for _ in 0..4 {
        assert!(sign_in("locked", "not the password at all").await.is_err());
    }
    assert!(
        sign_in("locked", PASSWORD).await.is_err(),
        "locked after 5 failures"
    );
    // A form without its double-submit cookie is refused.
    let a = send(
        Method::POST,
        "/fr/connexion",
        &[("content-type", "application/x-www-form-urlencoded")],
        Body::from(format!("login=admin&password={PASSWORD}&csrf=abc")),
    )
    .await;
    assert_ne!(a.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_account_pages_need_a_session() {
    let a = send(Method::GET, "/fr/compte", &[], Body::empty()).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(
        a.headers[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/fr/connexion")
    );
    let cookie = sign_in("partner", PASSWORD)
        .await
        .map_err(|a| a.text())
        .unwrap();
    let page = send(
        Method::GET,
        "/fr/compte",
        &[("cookie", &cookie)],
        Body::empty(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("partenaire"), "the role, in French");
    assert!(
        html.contains(&format!("/fr/actions/{}", WORLD.action)),
        "its actions"
    );
    // A form posted without its token is refused.
    let a = send(
        Method::POST,
        "/fr/compte/jetons",
        &[
            ("cookie", &cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        Body::from("csrf=wrong&name=x&scope=read"),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let _ = &WORLD.org;
}

#[tokio::test]
async fn the_edit_form_writes_with_its_version_and_shows_a_conflict() {
    let w = &*WORLD;
    let cookie = sign_in("partner", PASSWORD)
        .await
        .map_err(|a| a.text())
        .unwrap();
    let other = send(
        Method::GET,
        &format!("/fr/compte/modifier/action/{}", w.other_action),
        &[("cookie", &cookie)],
        Body::empty(),
    )
    .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let url = format!("/fr/compte/modifier/action/{}", w.action);
    let form = send(Method::GET, &url, &[("cookie", &cookie)], Body::empty()).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let html = form.text();
    let field = |name: &str| {
        html.split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    let (csrf, version) = (field("csrf"), field("version"));
    let post = |body: String| {
        let (cookie, url) = (cookie.clone(), url.clone());
        async move {
            send(
                Method::POST,
                &url,
                &[
                    ("cookie", &cookie),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                Body::from(body),
            )
            .await
        }
    };
    let a = post(format!("csrf={csrf}&version={version}&name_en=Set+in+the+form&status=completed&budget_eur=1%C2%A0234%2C5")).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let d = w
        .store
        .entity(EntityKind::Action, &w.action)
        .unwrap()
        .unwrap();
    assert_eq!(
        d.entity.name.exact(territoria_model::Lang::En),
        Some("Set in the form")
    );
    let Details::Action(act) = &d.entity.details else {
        panic!()
    };
    assert_eq!(act.status.as_str(), "completed");
    assert_eq!(act.budget_eur, Some(1234.5), "a Belgian amount is read");
    // The same form again: its version is stale now.
    let stale = post(format!("csrf={csrf}&version={version}&name_en=Stale")).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale.text().contains("Quelqu&#39;un a modifié")
            || stale.text().contains("Quelqu'un a modifié"),
        "{}",
        stale.text()
    );
    assert!(stale.text().contains("Stale"), "the user's values are kept");
    // A bad date names its field and writes nothing.
    let bad = post(format!(
        "csrf={csrf}&version={}&start=31-12-2026",
        w.store
            .entity_version(EntityKind::Action, &w.action)
            .unwrap()
            .unwrap()
    ))
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("start"));
}

#[tokio::test]
async fn an_admin_backs_up_and_restores_through_the_api_and_others_may_not() {
    // Its own store: a restore replaces the content under every reader.
    let demo = common::demo(5, 60);
    let backups = demo._dir.path().join("backups");
    let state = demo.state.clone().with_backup_dir(Some(backups.clone()));
    let store = SqliteStore::open(&demo.path).unwrap();
    let user = |login: &str, role, organisation: Option<String>| NewUser {
        login: login.into(),
        display_name: login.into(),
        email: None,
        password_hash: None,
        role,
        organisation,
        strategy: None,
        oidc_subject: None,
    };
    let org = {
        let mut first = None;
        store
            .export_entities(EntityKind::Organisation, &mut |e, _| {
                first.get_or_insert(e.key);
                Ok(())
            })
            .unwrap();
        first.unwrap()
    };
    let admin = store
        .create_user("test", &user("root", Role::Admin, None))
        .unwrap();
    let editor = store
        .create_user("test", &user("ed", Role::Editor, None))
        .unwrap();
    let _ = org;
    let token_of = |id: i64| {
        let secret = format!("terr_test-{id}-{}", rand_suffix());
        store
            .create_token(
                "test",
                id,
                "t",
                &territoria_auth::digest(&secret),
                "write",
                None,
            )
            .unwrap();
        format!("Bearer {secret}")
    };
    let (root, ed) = (token_of(admin.id), token_of(editor.id));
    let call = |method: Method, uri: &str, auth: Option<&str>, body: Option<Value>| {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        }
        .unwrap();
        let app = router(state.clone());
        async move {
            let res = app.oneshot(req).await.unwrap();
            let status = res.status();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
            )
        }
    };
    // Nobody, and a non-admin, may not.
    assert_eq!(
        call(Method::POST, "/api/admin/backups", None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(Method::POST, "/api/admin/backups", Some(&ed), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(
            Method::POST,
            "/api/admin/restore",
            Some(&ed),
            Some(json!({"backup": "x.sqlite"}))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    // The admin backs up, then the data changes, then the admin restores: the change is gone.
    let (s, made) = call(Method::POST, "/api/admin/backups", Some(&root), None).await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let name = made["name"].as_str().unwrap().to_owned();
    let (_, list) = call(Method::GET, "/api/admin/backups", Some(&root), None).await;
    assert_eq!(list["backups"][0]["name"], name.as_str());
    let before = store.counts().unwrap().entities;
    let e = territoria_model::Entity::new(
        EntityKind::Organisation,
        "after-the-backup",
        territoria_model::Labels::fr("Après la sauvegarde"),
        territoria_model::Provenance::stated("test"),
    );
    store
        .apply(
            "test",
            "test",
            &mut std::iter::once(Ok(territoria_store::Located {
                op: territoria_store::Op::Entity(Box::new(e)),
                location: None,
                column_of: None,
            })),
            &Default::default(),
            &mut |_| {},
        )
        .unwrap();
    assert_ne!(store.counts().unwrap().entities, before);
    let (s, r) = call(
        Method::POST,
        "/api/admin/restore",
        Some(&root),
        Some(json!({"backup": name})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["check"], "ok");
    assert_eq!(
        store.counts().unwrap().entities,
        before,
        "the restore undid the later write"
    );
    assert!(
        store
            .entity(EntityKind::Organisation, "after-the-backup")
            .unwrap()
            .is_none()
    );
    assert!(store.audit(1).unwrap()[0].operation.contains("restore"));
    // Bad names and missing backups are refused, naming the parameter.
    let (s, r) = call(
        Method::POST,
        "/api/admin/restore",
        Some(&root),
        Some(json!({"backup": "../territoria.sqlite"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    let (s, _) = call(
        Method::POST,
        "/api/admin/restore",
        Some(&root),
        Some(json!({"backup": "none.sqlite"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A file that is not a store is refused and the store is unchanged.
    std::fs::write(backups.join("junk.sqlite"), b"not a database").unwrap();
    let (s, r) = call(
        Method::POST,
        "/api/admin/restore",
        Some(&root),
        Some(json!({"backup": "junk.sqlite"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(store.counts().unwrap().entities, before);
}

async fn put_term(token: &str, body: Value) -> Answer {
    send(
        Method::PUT,
        "/api/schemes/target-audience/concepts/jeunes",
        &[
            ("authorization", &bearer(token)),
            ("content-type", "application/json"),
        ],
        Body::from(body.to_string()),
    )
    .await
}

async fn term_history() -> Value {
    let a = send(
        Method::GET,
        "/api/schemes/target-audience/concepts/jeunes/history",
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    a.json()
}

#[tokio::test]
async fn an_admin_edits_a_taxonomy_term_with_its_version_and_reverts_it() {
    let w = &*WORLD;
    let before = w
        .store
        .concept_record("target-audience", "jeunes")
        .unwrap()
        .expect("the audience `jeunes`");
    let version = term_history().await["version"].as_i64().unwrap();
    let edit = |base: i64, fr: &str| {
        json!({"base_version": base, "labels": {"fr": fr, "nl": "Jongeren", "de": "Jugendliche"},
               "source": "Agence du Numérique, glossaire des publics (test)"})
    };
    // Only administrators keep taxonomies; mistakes are located; nothing written.
    let partner = token("partner", "write");
    let a = put_term(&partner, edit(version, "Jeunes (15-25 ans)")).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    let admin = token("admin", "write");
    let a = put_term(
        &admin,
        json!({"base_version": version, "labels": {"xx": "?"}}),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text().contains("labels.xx"), "{}", a.text());
    let a = put_term(
        &admin,
        json!({"base_version": version, "labels": {"fr": "Jeunes"}, "broader": "entreprises"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text().contains("broader"), "{}", a.text());
    assert_eq!(
        w.store
            .concept_record("target-audience", "jeunes")
            .unwrap()
            .unwrap(),
        before
    );

    // A good edit from the version read; the history has who, before and after.
    let a = put_term(&admin, edit(version, "Jeunes (15-25 ans)")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let new_version = a.json()["version"].as_i64().unwrap();
    assert!(new_version > version);
    let after = w
        .store
        .concept_record("target-audience", "jeunes")
        .unwrap()
        .unwrap();
    assert_eq!(after.labels.0["fr"], "Jeunes (15-25 ans)");
    assert_eq!(after.labels.0["nl"], "Jongeren");
    assert_eq!(after.broader, before.broader);
    let h = term_history().await;
    assert_eq!(h["version"], new_version);
    assert_eq!(h["history"][0]["actor"], "admin (test) (admin)");
    assert_eq!(
        h["history"][0]["before"]["labels"]["fr"],
        before.labels.0["fr"]
    );
    assert_eq!(
        h["history"][0]["after"]["labels"]["fr"],
        "Jeunes (15-25 ans)"
    );
    // The public API shows the new label.
    let c = send(
        Method::GET,
        "/api/schemes/target-audience/concepts/jeunes",
        &[],
        Body::empty(),
    )
    .await
    .json();
    assert_eq!(c["labels"]["fr"], "Jeunes (15-25 ans)");

    // A stale edit (from the old version) is a conflict with the version now.
    let a = put_term(&admin, edit(version, "Jeunes, encore")).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text());
    assert_eq!(a.json()["error"]["current_version"], new_version);

    // The term's page shows the form to an administrator, with the change; the revert
    // button takes the term back, itself a recorded change.
    let cookie = sign_in("admin", PASSWORD)
        .await
        .map_err(|a| a.text())
        .unwrap();
    let page = send(
        Method::GET,
        "/fr/compte/taxonomies/target-audience/jeunes",
        &[("cookie", &cookie)],
        Body::empty(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(
        html.contains("id=\"term-form\"") && html.contains("Jongeren"),
        "{html}"
    );
    assert!(html.contains("<code>labels.fr</code>"), "{html}");
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let found = send(
        Method::GET,
        "/fr/compte/taxonomies?scheme=target-audience&q=jeunes",
        &[("cookie", &cookie)],
        Body::empty(),
    )
    .await;
    assert!(
        found
            .text()
            .contains("href=\"/fr/compte/taxonomies/target-audience/jeunes\""),
        "{}",
        found.text()
    );
    let revert = send(
        Method::POST,
        "/fr/compte/annuler",
        &[
            ("cookie", &cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        Body::from(format!(
            "csrf={csrf}&audit_id={new_version}&back=%2Ffr%2Fcompte%2Ftaxonomies%2Ftarget-audience%2Fjeunes"
        )),
    )
    .await;
    assert_eq!(revert.status, StatusCode::SEE_OTHER, "{}", revert.text());
    let back = w
        .store
        .concept_record("target-audience", "jeunes")
        .unwrap()
        .unwrap();
    assert_eq!(back, before);
    let h = term_history().await;
    assert_eq!(
        h["history"][0]["operation"],
        format!("revert {new_version}")
    );

    // The form edits too; a stale form keeps the reader's text with a 409.
    let v = h["version"].as_i64().unwrap();
    let form = |base: i64, fr: &str| {
        format!(
            "csrf={csrf}&base={base}&label_fr={fr}&label_en=Young+people&label_nl=&label_de=&source=test"
        )
    };
    let post = |body: String| {
        let cookie = cookie.clone();
        async move {
            send(
                Method::POST,
                "/fr/compte/taxonomies/target-audience/jeunes",
                &[
                    ("cookie", &cookie),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                Body::from(body),
            )
            .await
        }
    };
    let ok = post(form(v, "Jeunes+adultes")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let stale = post(form(v, "Ados")).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text());
    assert!(stale.text().contains("value=\"Ados\""), "{}", stale.text());
    assert_eq!(
        w.store
            .concept_record("target-audience", "jeunes")
            .unwrap()
            .unwrap()
            .labels
            .0["fr"],
        "Jeunes adultes"
    );
    // A partner reads the term without the form.
    let pc = sign_in("partner", PASSWORD)
        .await
        .map_err(|a| a.text())
        .unwrap();
    let ro = send(
        Method::GET,
        "/fr/compte/taxonomies/target-audience/jeunes",
        &[("cookie", &pc)],
        Body::empty(),
    )
    .await;
    assert!(ro.text().contains("id=\"term-readonly\""));
    assert!(!ro.text().contains("id=\"term-form\""));
}
