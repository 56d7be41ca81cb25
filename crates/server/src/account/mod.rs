//! The governing face: accounts, sign-in, personal API tokens, editing, history,
//! revert and bulk updates — in the browser and through the JSON API.
//!
//! * **Who is asking** ([`principal`]): a personal API token (`Authorization: Bearer
//!   terr_…`) or a session cookie (`territoria_session`, HttpOnly, SameSite=Lax, Secure
//!   behind TLS). Both are looked up by their SHA-256; the store never holds a secret.
//! * **CSRF**: every unsafe request made with the session cookie carries the session's
//!   token — the `csrf` field of a form or the `X-CSRF-Token` header — and, when the
//!   browser sends one, an `Origin` of this very host. Token requests carry no ambient
//!   credential and need none. The sign-in form (before any session) uses a
//!   double-submit cookie.
//! * **Who may do what** is `territoria-auth`'s rule ([`territoria_auth::may_edit`]) on
//!   facts looked up here ([`service::ownership`]); a refusal never says whether the
//!   object exists (403 for both).
//! * Every write goes through `Store::apply`, with the version the edit started from
//!   (a stale one is a 409) and its before/after recorded for the history.

pub mod api;
pub mod oidc;
pub(crate) mod openapi;
pub(crate) mod pages;
pub(crate) mod service;
pub(crate) mod structure;
mod structure_pages;
pub(crate) mod terms;
mod terms_pages;

pub use structure_pages::{new_path as structure_new_path, structure_path};
pub(crate) mod words;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::routing::{get, post};
use territoria_store::{AccountStore, User};

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "territoria_session";
pub const LOGIN_CSRF_COOKIE: &str = "territoria_login_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How a request proved who it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Via {
    /// A browser session: its anti-CSRF token and the digest of its id.
    Session { csrf: String, id_hash: String },
    /// A personal API token of this scope (`read` or `write`).
    Token { scope: String },
}

/// The account behind a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub user: User,
    pub via: Via,
}

impl Principal {
    /// What the audit trail records as the author of a change.
    pub fn actor(&self) -> String {
        format!("{} ({})", self.user.display_name, self.user.login)
    }
}

/// An upload waiting for its owner to apply it after the preview.
pub(crate) struct Staged {
    pub user_id: i64,
    pub collection: territoria_exchange::Collection,
    pub format: territoria_exchange::Format,
    pub file: String,
    pub bytes: Vec<u8>,
    pub created: std::time::Instant,
}

/// Uploads between preview and apply, by random id (in memory; an upload not applied
/// within an hour is forgotten).
#[derive(Clone, Default)]
pub struct StagedUploads(pub(crate) Arc<Mutex<HashMap<String, Staged>>>);

impl StagedUploads {
    const TTL: std::time::Duration = std::time::Duration::from_secs(3600);
    const PER_USER: usize = 5;

    pub(crate) fn put(&self, staged: Staged) -> Result<String, ApiError> {
        let id = territoria_auth::secret().map_err(ApiError::internal)?;
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|_, s| s.created.elapsed() < Self::TTL);
        let mine: Vec<String> = m
            .iter()
            .filter(|(_, s)| s.user_id == staged.user_id)
            .map(|(k, _)| k.clone())
            .collect();
        if mine.len() >= Self::PER_USER {
            if let Some(oldest) = mine
                .iter()
                .min_by_key(|k| m.get(*k).map(|s| s.created))
                .cloned()
            {
                m.remove(&oldest);
            }
        }
        m.insert(id.clone(), staged);
        Ok(id)
    }

    /// The upload `id` of `user_id` (someone else's is as good as absent).
    pub(crate) fn take(&self, id: &str, user_id: i64) -> Option<Staged> {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match m.get(id) {
            Some(s) if s.user_id == user_id && s.created.elapsed() < Self::TTL => m.remove(id),
            _ => None,
        }
    }

    pub(crate) fn put_back(&self, id: String, staged: Staged) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, staged);
    }
}

/// Failed sign-ins by client address: past [`LoginThrottle::LIMIT`] failures within
/// [`LoginThrottle::WINDOW`], an address is refused until its oldest failure leaves the
/// window — so that nobody tries passwords against many logins (each account also locks
/// itself after 5 failures). In memory: a restart forgets it.
#[derive(Clone, Default)]
pub struct LoginThrottle(Arc<Mutex<HashMap<std::net::IpAddr, Vec<std::time::Instant>>>>);

impl LoginThrottle {
    pub const LIMIT: usize = 20;
    pub const WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

    /// Whether `ip` may try now.
    pub fn allows(&self, ip: Option<std::net::IpAddr>) -> bool {
        let Some(ip) = ip else { return true };
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let failures = m.entry(ip).or_default();
        failures.retain(|t| t.elapsed() < Self::WINDOW);
        failures.len() < Self::LIMIT
    }

    pub fn failed(&self, ip: Option<std::net::IpAddr>) {
        let Some(ip) = ip else { return };
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 100_000 {
            m.retain(|_, f| f.iter().any(|t| t.elapsed() < Self::WINDOW));
        }
        m.entry(ip).or_default().push(std::time::Instant::now());
    }
}

/// The client's address, when the server was started with it (`ConnectInfo`).
pub(crate) fn client_ip(parts: &axum::http::Extensions) -> Option<std::net::IpAddr> {
    parts
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The value of cookie `name`.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for a secret cookie: HttpOnly, SameSite=Lax, Secure behind TLS.
pub(crate) fn secret_cookie(name: &str, value: &str, max_age: std::time::Duration) -> String {
    let secure = if crate::security::behind_tls() {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{name}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        max_age.as_secs()
    )
}

pub(crate) fn accounts(state: &AppState) -> Result<Arc<dyn AccountStore>, ApiError> {
    state.accounts.clone().ok_or_else(|| {
        ApiError::Forbidden("this instance has no accounts: writes are disabled".into())
    })
}

/// Runs `f` on the accounts, on the blocking pool (account calls are synchronous, like
/// the store's): the accounts' [`crate::api::with_store`].
pub(crate) async fn with_accounts<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&dyn AccountStore) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let accounts = accounts(state)?;
    tokio::task::spawn_blocking(move || f(accounts.as_ref()))
        .await
        .map_err(|e| ApiError::internal(format!("accounts task failed: {e}")))?
}

/// Who is asking: a valid API token or session, or nobody. A token that is not valid
/// (revoked, expired, tampered) is an error rather than "nobody", so that a script
/// learns its token is wrong.
pub async fn principal(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    let Some(accounts) = state.accounts.clone() else {
        return Ok(None);
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(territoria_auth::TOKEN_PREFIX))
        .map(str::to_owned);
    let session = cookie(headers, SESSION_COOKIE).map(str::to_owned);
    tokio::task::spawn_blocking(move || -> Result<Option<Principal>, ApiError> {
        let now = territoria_auth::now_text();
        if let Some(token) = bearer {
            return match accounts.token(&territoria_auth::digest(&token), &now)? {
                Some((user, t)) => Ok(Some(Principal {
                    user,
                    via: Via::Token { scope: t.scope },
                })),
                None => Err(ApiError::Unauthorized(
                    "this API token is not valid (revoked, expired or mistyped): create a new one on your account page".into(),
                )),
            };
        }
        if let Some(id) = session {
            let id_hash = territoria_auth::digest(&id);
            if let Some(s) = accounts.session(&id_hash, &now)? {
                return Ok(Some(Principal {
                    user: s.user,
                    via: Via::Session {
                        csrf: s.csrf,
                        id_hash,
                    },
                }));
            }
        }
        Ok(None)
    })
    .await
    .map_err(|e| ApiError::internal(format!("session look-up failed: {e}")))?
}

/// Refuses an unsafe request made with the session cookie that does not carry the
/// session's CSRF token (`given`: the form field or header), or whose `Origin` is
/// another site.
pub fn check_csrf(
    p: &Principal,
    method: &Method,
    headers: &HeaderMap,
    given: Option<&str>,
) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let Via::Session { csrf, .. } = &p.via else {
        return Ok(());
    };
    same_origin(headers)?;
    let given = given.or_else(|| headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()));
    match given {
        Some(g) if territoria_auth::same_secret(g, csrf) => Ok(()),
        _ => Err(ApiError::Forbidden(
            "missing or wrong CSRF token: reload the page and submit the form again".into(),
        )),
    }
}

/// When the browser says where a request comes from, it must be this host.
pub fn same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
    if origin != "null" && origin_host == host {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "a request from {origin} may not change data here"
        )))
    }
}

/// The signed-in account, if any (a page renders for everyone).
pub struct MaybeSignedIn(pub Option<Principal>);

impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(MaybeSignedIn(principal(state, &parts.headers).await?))
    }
}

/// A signed-in account, or 401.
pub struct SignedIn(pub Principal);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match principal(state, &parts.headers).await? {
            Some(p) => Ok(SignedIn(p)),
            None => Err(ApiError::Unauthorized(
                "sign in (/fr/connexion) or send a personal API token (Authorization: Bearer terr_…)"
                    .into(),
            )),
        }
    }
}

/// A signed-in account allowed to write through the API: a session (with its CSRF
/// token, checked here from the header) or a token of scope `write`.
pub struct Writer(pub Principal);

impl FromRequestParts<AppState> for Writer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let SignedIn(p) = SignedIn::from_request_parts(parts, state).await?;
        if let Via::Token { scope } = &p.via {
            if scope != "write" {
                return Err(ApiError::Forbidden(
                    "this API token is read-only: create one with scope write".into(),
                ));
            }
        }
        check_csrf(&p, &parts.method, &parts.headers, None)?;
        Ok(Writer(p))
    }
}

/// The routes of this face (JSON under `/api/`, pages under `/fr/` and `/en/`).
pub fn router() -> Router<AppState> {
    let mut r = Router::new()
        .route(api::ME, get(api::me))
        .route(api::TOKENS, get(api::tokens).post(api::create_token))
        .route(api::TOKEN, axum::routing::delete(api::revoke_token))
        .route(api::HISTORY, get(api::history))
        .route(api::REVERT, post(api::revert))
        .route(api::BULK, post(api::bulk))
        .route(api::USERS, get(api::users).post(api::create_user))
        .route(api::BACKUPS, get(api::backups).post(api::create_backup))
        .route(api::RESTORE, post(api::restore))
        .route(api::STRATEGIES, post(api::create_strategy))
        .route(
            api::STRATEGY_ELEMENTS,
            post(api::add_element).delete(api::remove_element),
        )
        .route(terms::HISTORY, get(terms::history))
        .route(oidc::CALLBACK, get(oidc::callback));
    for lang in crate::pages::Lang::ALL {
        let w = |key: &str| words::path(lang, key);
        r = r
            .route(&w("login"), get(pages::login_form).post(pages::login))
            .route(&format!("{}/oidc", w("login")), get(oidc::start))
            .route(&w("logout"), post(pages::logout))
            .route(&w("account"), get(pages::account))
            .route(&w("tokens"), post(pages::create_token))
            .route(&w("revoke"), post(pages::revoke_token))
            .route(&w("users"), post(pages::create_user))
            .route(&w("bulk"), get(pages::bulk_form).post(pages::bulk_preview))
            .route(&w("bulk_apply"), post(pages::bulk_apply))
            .route(&w("revert"), post(pages::revert))
            .route(
                &format!("{}/{{kind}}/{{id}}", w("history")),
                get(pages::history),
            )
            .route(
                &format!("{}/{{kind}}/{{id}}", w("edit")),
                get(pages::edit_form).post(pages::edit),
            )
            .route(&w("terms"), get(terms_pages::find))
            .route(
                &format!("{}/{{scheme}}/{{notation}}", w("terms")),
                get(terms_pages::show).post(terms_pages::save),
            )
            .route(
                structure_pages::new_path(lang),
                get(structure_pages::new_strategy_form).post(structure_pages::create_strategy),
            )
            .route(
                &structure_pages::structure_path(lang, "{key}", ""),
                get(structure_pages::structure),
            )
            .route(
                &structure_pages::structure_path(lang, "{key}", "/ajouter"),
                post(structure_pages::add),
            )
            .route(
                &structure_pages::structure_path(lang, "{key}", "/retirer"),
                post(structure_pages::remove),
            );
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_refused_after_its_limit_of_failures_others_are_not() {
        let t = LoginThrottle::default();
        let (a, b): (std::net::IpAddr, std::net::IpAddr) =
            ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..LoginThrottle::LIMIT {
            assert!(t.allows(Some(a)));
            t.failed(Some(a));
        }
        assert!(!t.allows(Some(a)));
        assert!(t.allows(Some(b)));
        assert!(
            t.allows(None),
            "no address known: the account lock-out still applies"
        );
    }

    #[test]
    fn a_cross_site_origin_is_refused() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "territoria.example".parse().unwrap());
        assert!(same_origin(&h).is_ok());
        h.insert(
            header::ORIGIN,
            "https://territoria.example".parse().unwrap(),
        );
        assert!(same_origin(&h).is_ok());
        h.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(same_origin(&h).is_err());
        h.insert(header::ORIGIN, "null".parse().unwrap());
        assert!(same_origin(&h).is_err());
    }
}
