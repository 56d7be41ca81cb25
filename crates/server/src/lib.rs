//! Territoria's HTTP read API.
//!
//! This is the only crate that speaks HTTP. It is deliberately thin: each handler
//! parses the request (path, query string), calls the [`Store`] — on the blocking
//! thread pool, since store calls are synchronous SQLite — and renders the store's
//! read models as JSON (or, for `/`, a small server-rendered HTML page). No domain
//! rule lives here; validation of data belongs to the model and the store.
//!
//! * Routes: [`ROUTES`], all `GET`; the same list is described by the hand-written
//!   OpenAPI 3.1 document served at `/api/openapi.json` ([`openapi::document`]).
//! * Errors: one type, [`ApiError`], rendered as
//!   `{"error": {"code": "bad_parameter" | "not_found" | "method_not_allowed" | "internal", …}}`.
//!   A bad parameter names the parameter, says what is expected and suggests the
//!   closest valid values; internal causes are logged, never shown.
//! * Synthetic data: answers that contain demo records (`provenance.demo = true`)
//!   carry a top-level `notice` ([`api::DEMO_NOTICE`]).
//! * Every response carries `X-Content-Type-Options: nosniff` and
//!   `Cache-Control: no-cache` (the data changes with each import; a page at a private
//!   link says `no-store`); responses are
//!   gzip-compressed when the client accepts it, and requests are traced.

pub mod account;
pub mod api;
pub mod ckan;
pub mod digiscore;
mod error;
pub mod explore;
mod landing;
mod magnets;
pub mod openapi;
mod pages;
mod params;
pub mod security;
pub mod sta;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use territoria_store::Store;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

pub use error::ApiError;

/// What every handler shares: the store and the smart-magnet index built from it.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Kept current with the store by [`AppState::refresh`].
    pub magnets: Arc<territoria_magnet::Live>,
    /// When set, saving a magnet takes this token (`Authorization: Bearer …` on the
    /// API) and the dashboard does not offer to save; when not, anyone who reaches the
    /// server may save (a local or demo instance).
    pub write_token: Option<Arc<str>>,
    /// Accounts, sessions and tokens; without them every edit is refused (403).
    pub accounts: Option<Arc<dyn territoria_store::AccountStore>>,
    /// Bulk uploads between their preview and their application.
    pub staged: account::StagedUploads,
    /// Failed sign-ins by client address.
    pub login_throttle: account::LoginThrottle,
    /// Sign-in through an OpenID Connect provider, when configured.
    pub oidc: Option<Arc<account::oidc::Provider>>,
    /// Where administrators' backups are written and restored from (the API's
    /// `/api/admin/backups`); none: those endpoints are refused.
    pub backup_dir: Option<std::path::PathBuf>,
    /// The SensorThings API (`/api/sta/v1.1`), on the embedded store only.
    pub sta: Option<Arc<territoria_sta::Sta>>,
}

impl AppState {
    /// Builds the magnet index from the store.
    pub fn new(store: Arc<dyn Store>) -> Result<Self, territoria_store::StoreError> {
        let magnets = Arc::new(territoria_magnet::Live::build(store.as_ref())?);
        Ok(Self {
            store,
            magnets,
            write_token: None,
            accounts: None,
            staged: Default::default(),
            login_throttle: Default::default(),
            oidc: None,
            backup_dir: None,
            sta: None,
        })
    }

    /// Enables the administrators' backup and restore endpoints on this directory.
    pub fn with_backup_dir(mut self, dir: Option<std::path::PathBuf>) -> Self {
        self.backup_dir = dir;
        self
    }

    /// Serves the SensorThings API over this service.
    pub fn with_sta(mut self, sta: Option<Arc<territoria_sta::Sta>>) -> Self {
        self.sta = sta;
        self
    }

    /// Enables sign-in through an OpenID Connect provider.
    pub fn with_oidc(mut self, provider: Option<Arc<account::oidc::Provider>>) -> Self {
        self.oidc = provider;
        self
    }

    /// Enables accounts, sign-in and editing.
    pub fn with_accounts(mut self, accounts: Arc<dyn territoria_store::AccountStore>) -> Self {
        self.accounts = Some(accounts);
        self
    }

    /// Brings the magnet index up to date now, in the background (after an edit, so
    /// that the next page already shows it).
    pub fn refresh_soon(&self) {
        let s = self.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = s.refresh() {
                tracing::warn!(error = %e, "magnet index refresh after an edit failed");
            }
        });
    }

    /// Requires `token` for writes (see [`AppState::write_token`]).
    pub fn with_write_token(mut self, token: Option<String>) -> Self {
        self.write_token = token.filter(|t| !t.is_empty()).map(Arc::from);
        self
    }

    /// Whether a request with these headers may write: always without a write token;
    /// with one, when it carries `Authorization: Bearer <token>`.
    pub fn may_write(&self, headers: &axum::http::HeaderMap) -> bool {
        let Some(token) = &self.write_token else {
            return true;
        };
        headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| constant_time_eq(given.trim().as_bytes(), token.as_bytes()))
    }

    /// Brings the magnet index up to date with every write committed so far, by this
    /// process or another (a `territoria import` next to the server).
    pub fn refresh(&self) -> Result<territoria_magnet::Refreshed, territoria_store::StoreError> {
        self.magnets.refresh(self.store.as_ref())
    }

    /// Refreshes the magnet index every `period`, on the blocking pool, for as long as
    /// the runtime lives. A failed refresh is logged and tried again at the next tick.
    pub fn spawn_refresh(&self, period: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let s = state.clone();
                match tokio::task::spawn_blocking(move || s.refresh()).await {
                    Ok(Ok(territoria_magnet::Refreshed::Unchanged)) => {}
                    Ok(Ok(done)) => tracing::info!(?done, "magnet index caught up with the store"),
                    Ok(Err(e)) => tracing::warn!(error = %e, "magnet index refresh failed"),
                    Err(e) => tracing::warn!(error = %e, "magnet index refresh panicked"),
                }
            }
        })
    }
}

/// The route templates, as axum writes them (`{param}`) — which is also how OpenAPI
/// writes path templates.
pub mod routes {
    pub const LANDING: &str = "/";
    pub const HEALTH: &str = "/api/health";
    pub const STRATEGIES: &str = "/api/strategies";
    pub const STRATEGY: &str = "/api/strategies/{id}";
    pub const SCHEMES: &str = "/api/schemes";
    pub const CONCEPT: &str = "/api/schemes/{scheme}/concepts/{notation}";
    pub const ENTITIES: &str = "/api/entities/{kind}";
    pub const ENTITY: &str = "/api/entities/{kind}/{id}";
    pub const OPENAPI: &str = "/api/openapi.json";
    pub const MAGNET_SEARCH: &str = "/api/magnets/search";
    pub const MAGNETS: &str = "/api/magnets";
    pub const MAGNET: &str = "/api/magnets/{id}";
    pub const MAGNET_MEMBERS: &str = "/api/magnets/{id}/members";
}

/// Every route the router serves (all `GET`; `/api/magnets` also takes `POST`). The router is built from this list and
/// the OpenAPI document must describe exactly these paths (tested).
pub const ROUTES: [&str; 13] = [
    routes::LANDING,
    routes::HEALTH,
    routes::STRATEGIES,
    routes::STRATEGY,
    routes::SCHEMES,
    routes::CONCEPT,
    routes::ENTITIES,
    routes::ENTITY,
    routes::OPENAPI,
    routes::MAGNET_SEARCH,
    routes::MAGNETS,
    routes::MAGNET,
    routes::MAGNET_MEMBERS,
];

fn endpoint(route: &str) -> MethodRouter<AppState> {
    match route {
        routes::LANDING => get(landing::page),
        routes::HEALTH => get(api::health),
        routes::STRATEGIES => get(api::strategies),
        routes::STRATEGY => get(api::strategy),
        routes::SCHEMES => get(api::schemes),
        routes::CONCEPT => get(api::concept).put(account::terms::edit),
        routes::ENTITIES => get(api::entities),
        routes::ENTITY => get(api::entity).put(account::api::edit_entity),
        routes::OPENAPI => get(api::openapi),
        routes::MAGNET_SEARCH => get(api::magnet_search),
        routes::MAGNETS => get(magnets::list).post(magnets::save),
        routes::MAGNET => get(magnets::show),
        routes::MAGNET_MEMBERS => get(magnets::members),
        other => unreachable!("route {other} is in ROUTES but has no handler"),
    }
}

/// The whole application: routes, fallbacks and layers.
///
/// A trailing slash never changes an answer: a request whose path ends with `/` and matches
/// no route (`/api/explore/v2.1/catalog/datasets/`, as Opendatasoft's JavaScript client
/// writes it) is routed again without it ([`TrailingSlash`]). Paths that are routes with
/// their slash (`/fr/`) keep it. The open, read-only data answer cross-origin reads
/// ([`cors`]).
pub fn router(state: AppState) -> Router {
    let routes = ROUTES
        .into_iter()
        .fold(Router::new(), |r, route| r.route(route, endpoint(route)))
        .merge(pages::router())
        .merge(account::router())
        .merge(digiscore::router())
        .merge(sta::router())
        .merge(explore::router(&state))
        .fallback(unrouted)
        .method_not_allowed_fallback(api::method_not_allowed)
        .with_state(state);
    Router::new()
        .fallback_service(TrailingSlash(routes))
        .layer(axum::middleware::map_response(common_headers))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(axum::extract::DefaultBodyLimit::max(
            security::MAX_BODY_BYTES,
        ))
        .layer(cors())
        .layer(axum::middleware::from_fn(cors_scope))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

/// A request that matched no route, handed back to [`TrailingSlash`] to try again without
/// its trailing slash.
#[derive(Clone)]
struct Unrouted(Arc<std::sync::Mutex<Option<Request>>>);

/// The fallback: a path ending with `/` goes back to [`TrailingSlash`] (in the response's
/// extensions); any other is a 404 — Opendatasoft's shape under the Explore API, the
/// Territoria API's elsewhere.
async fn unrouted(request: Request) -> Response {
    let path = request.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let mut res = Response::new(axum::body::Body::empty());
        *res.status_mut() = StatusCode::NOT_FOUND;
        res.extensions_mut()
            .insert(Unrouted(Arc::new(std::sync::Mutex::new(Some(request)))));
        return res;
    }
    not_found(request.method().clone(), request.uri().clone()).await
}

async fn not_found(method: Method, uri: Uri) -> Response {
    if explore::is_explore_path(uri.path()) {
        explore::no_route(&method, uri.path()).into_response()
    } else {
        api::no_route(method, uri).await.into_response()
    }
}

/// Routes a request; when it matched no route only because of its trailing slash, routes
/// it again without the slash.
#[derive(Clone)]
struct TrailingSlash(Router);

impl tower::Service<Request> for TrailingSlash {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Response, Self::Error>> + Send + 'static>,
    >;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let router = self.0.clone();
        Box::pin(async move {
            use tower::ServiceExt;
            let res = router.clone().oneshot(request).await?;
            let Some(back) = res.extensions().get::<Unrouted>() else {
                return Ok(res);
            };
            let Some(mut request) = back.0.lock().ok().and_then(|mut r| r.take()) else {
                return Ok(res);
            };
            let trimmed = without_trailing_slash(request.uri());
            let Some(uri) = trimmed else {
                return Ok(not_found(request.method().clone(), request.uri().clone()).await);
            };
            *request.uri_mut() = uri;
            let res = router.oneshot(request).await?;
            if let Some(back) = res.extensions().get::<Unrouted>() {
                if let Some(r) = back.0.lock().ok().and_then(|mut r| r.take()) {
                    return Ok(not_found(r.method().clone(), r.uri().clone()).await);
                }
            }
            Ok(res)
        })
    }
}

/// The URI without the trailing slashes of its path (`None` when nothing would be left
/// but `/`).
fn without_trailing_slash(uri: &Uri) -> Option<Uri> {
    let path = uri.path().trim_end_matches('/');
    if path.is_empty() {
        return None;
    }
    let pq = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = pq.parse().ok();
    Uri::from_parts(parts).ok()
}

/// Cross-origin reads of the open data: `Access-Control-Allow-Origin: *` on GET and HEAD
/// answers, preflights (`OPTIONS`) answered 204 with the methods and headers allowed. No
/// credentials (cookies) are ever allowed, and only GET and HEAD: a write stays same-origin.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::HEAD])
        .allow_headers([
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::RANGE,
        ])
        .expose_headers([header::CONTENT_DISPOSITION, header::CONTENT_LENGTH])
        .max_age(std::time::Duration::from_secs(86_400))
}

/// Whether `path` serves open, read-only data that other origins may read: the JSON API,
/// the Explore API, CKAN, the DCAT files and the Opendatasoft download path.
fn open_data_path(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/catalog.")
        || path.starts_with("/explore/dataset/")
}

/// Keeps the CORS headers to GET, HEAD and preflight answers of the open data: anything
/// else (a POST, a dashboard page) loses them, so browsers refuse it cross-origin.
async fn cors_scope(request: Request, next: axum::middleware::Next) -> Response {
    let allowed = open_data_path(request.uri().path())
        && matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        );
    let preflight = request.method() == Method::OPTIONS;
    let mut res = next.run(request).await;
    if allowed && preflight && res.status() == StatusCode::OK {
        *res.status_mut() = StatusCode::NO_CONTENT;
    }
    if !allowed {
        let h = res.headers_mut();
        for name in [
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            header::ACCESS_CONTROL_ALLOW_METHODS,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            header::ACCESS_CONTROL_MAX_AGE,
        ] {
            h.remove(name);
        }
    }
    res
}

async fn common_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A handler's own stricter rule (`no-store` on a private link) stays.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-cache"));
    if response.status() == axum::http::StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .entry(header::ALLOW)
            .or_insert(HeaderValue::from_static("GET,HEAD"));
    }
    response
}

/// Compares secrets in a time that does not depend on where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
