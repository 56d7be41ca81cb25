//! What the in-process HTTP test binaries share: a real store on disk, filled with the
//! reference data, the strategy and a seeded synthetic demo, behind an [`AppState`].

use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

use tempfile::TempDir;
use territoria_refdata::demo::DemoOptions;
use territoria_server::AppState;
use territoria_store::SqliteStore;

#[allow(dead_code)]
pub struct Demo {
    /// Removed with the fixture.
    pub _dir: TempDir,
    /// The store file, for a second handle (another process's view).
    #[allow(dead_code)]
    pub path: PathBuf,
    pub state: AppState,
}

/// A fresh store with `organisations` demo organisations from `seed`, every record valid.
#[allow(dead_code)]
pub fn demo(seed: u64, organisations: usize) -> Demo {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("territoria.sqlite");
    let store = SqliteStore::open(&path).expect("open store");
    let ops = territoria_refdata::bootstrap_ops(Some(&DemoOptions {
        seed,
        organisations,
    }));
    let report = territoria_refdata::load(&store, "test", ops, &mut |_| {}).expect("bootstrap");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let store = Arc::new(store);
    let accounts: Arc<dyn territoria_store::AccountStore> = store.clone();
    Demo {
        _dir: dir,
        path,
        state: AppState::new(store)
            .expect("magnet index")
            .with_accounts(accounts),
    }
}

#[allow(dead_code)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

#[allow(dead_code)]
impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request to `app`, as from `localhost`.
#[allow(dead_code)]
pub async fn send(
    app: Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Body,
) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "localhost");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app.oneshot(req.body(body).unwrap()).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// Signs in through the form (its CSRF cookie and field) and returns the session cookie.
#[allow(dead_code)]
pub async fn sign_in(
    app: impl Fn() -> Router,
    login: &str,
    password: &str,
) -> Result<String, Answer> {
    let form = send(app(), Method::GET, "/fr/connexion", &[], Body::empty()).await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let cookie = form
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("territoria_login_csrf="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body = format!(
        "login={login}&password={}&csrf={csrf}&next=/fr/compte",
        form_urlencoded::byte_serialize(password.as_bytes()).collect::<String>()
    );
    let a = send(
        app(),
        Method::POST,
        "/fr/connexion",
        &[
            ("cookie", &cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        Body::from(body),
    )
    .await;
    if a.status != StatusCode::SEE_OTHER {
        return Err(a);
    }
    let session = a
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("territoria_session="))
        .unwrap()
        .to_owned();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    Ok(session.split(';').next().unwrap().to_owned())
}
