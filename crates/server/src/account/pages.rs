//! The governing face's pages: sign-in and sign-out, the account page (tokens,
//! accounts), bulk update (upload → preview → apply), revert, and an entity's history.
//! Every form carries its CSRF token; handlers parse, call [`service`], render.

use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use territoria_exchange::{Collection, Format};
use territoria_model::EntityKind;
use territoria_store::{ApiToken, Role, User};

use super::{
    LOGIN_CSRF_COOKIE, MaybeSignedIn, Principal, SESSION_COOKIE, Staged, Via, check_csrf, cookie,
    same_origin, secret_cookie, service, with_accounts, words,
};
use crate::AppState;
use crate::api::with_store;
use crate::error::ApiError;
use crate::pages::{Frame, InLang, Lang, PageError, render};

fn frame(lang: Lang, title_key: &str, path_key: &str) -> Frame {
    let title = crate::pages::i18n_word(lang, title_key);
    let path = words::path(lang, path_key);
    let here = path
        .trim_start_matches(&format!("/{}/", lang.code()))
        .to_owned();
    Frame::new(lang, title, &here, None)
}

/// The bulk pages' frame: their upload form shows its progress (`site.js`).
fn bulk_frame(lang: Lang, title_key: &str) -> Frame {
    let mut f = frame(lang, title_key, "bulk");
    f.script = true;
    f
}

/// A path on this site to go back to after signing in (never another site).
pub(super) fn local_next(next: Option<&str>, lang: Lang) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => words::path(lang, "account"),
    }
}

/// To the sign-in form, coming back to `next` (a path on this site) afterwards.
pub(super) fn to_login(lang: Lang, next: &str) -> Response {
    Redirect::to(&format!("{}?next={next}", words::path(lang, "login"))).into_response()
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

#[derive(Serialize)]
struct LoginPage {
    paths: std::collections::BTreeMap<&'static str, String>,
    /// The identity provider's button label, when one is configured.
    oidc: Option<String>,
    csrf: String,
    next: String,
    login: String,
    error: Option<&'static str>,
}

fn login_page(
    state: &AppState,
    lang: Lang,
    next: String,
    login: String,
    error: Option<&'static str>,
) -> Response {
    let Ok(csrf) = territoria_auth::secret() else {
        return PageError::new(lang, ApiError::internal("no randomness")).into_response();
    };
    let status = if error.is_some() {
        axum::http::StatusCode::UNAUTHORIZED
    } else {
        axum::http::StatusCode::OK
    };
    let page = LoginPage {
        paths: words::paths(lang),
        oidc: state.oidc.as_ref().map(|p| p.config.label.clone()),
        csrf: csrf.clone(),
        next,
        login,
        error,
    };
    let mut res = render(
        lang,
        "account/login.html",
        frame(lang, "acc_login_title", "login"),
        page,
    );
    *res.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(&secret_cookie(
        LOGIN_CSRF_COOKIE,
        &csrf,
        std::time::Duration::from_secs(3600),
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn login_form(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<NextQuery>,
) -> Response {
    login_page(
        &state,
        lang,
        local_next(q.next.as_deref(), lang),
        String::new(),
        None,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let next = local_next(f.next.as_deref(), lang);
    let ip = super::client_ip(&extensions);
    if !state.login_throttle.allows(ip) {
        let mut res = login_page(&state, lang, next, f.login, Some("acc_too_many"));
        *res.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
        res.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(super::LoginThrottle::WINDOW.as_secs()),
        );
        return Ok(res);
    }
    let double_submit = cookie(&headers, LOGIN_CSRF_COOKIE)
        .is_some_and(|c| territoria_auth::same_secret(c, &f.csrf));
    if !double_submit || same_origin(&headers).is_err() {
        return Ok(login_page(
            &state,
            lang,
            next,
            f.login,
            Some("acc_form_expired"),
        ));
    }
    let login = f.login.clone();
    let session = with_accounts(
        &state,
        move |accounts| -> Result<Option<(String, String)>, ApiError> {
            let now = territoria_auth::now_text();
            let Some(c) = accounts.credentials(&f.login)? else {
                territoria_auth::verify_nothing(&f.password);
                return Ok(None);
            };
            let locked = territoria_auth::is_locked(c.locked_until.as_deref(), &now);
            let good = c
                .password_hash
                .as_deref()
                .is_some_and(|h| territoria_auth::verify_password(&f.password, h));
            if locked || c.user.disabled || !good {
                if !locked {
                    let until =
                        territoria_auth::at_offset(chrono::Utc::now(), territoria_auth::LOCK_FOR);
                    accounts.login_failed(c.user.id, territoria_auth::LOCK_AFTER, &until)?;
                }
                tracing::info!(user = c.user.id, locked, "sign-in refused");
                return Ok(None);
            }
            accounts.login_succeeded(c.user.id)?;
            let id = territoria_auth::secret().map_err(ApiError::internal)?;
            let csrf = territoria_auth::secret().map_err(ApiError::internal)?;
            let expires =
                territoria_auth::at_offset(chrono::Utc::now(), territoria_auth::SESSION_TTL);
            accounts.create_session(&territoria_auth::digest(&id), c.user.id, &csrf, &expires)?;
            tracing::info!(user = c.user.id, "signed in");
            Ok(Some((id, csrf)))
        },
    )
    .await
    .lang(lang)?;
    let Some((id, _)) = session else {
        state.login_throttle.failed(ip);
        return Ok(login_page(
            &state,
            lang,
            next,
            login,
            Some("acc_login_failed"),
        ));
    };
    let mut res = Redirect::to(&next).into_response();
    let h = res.headers_mut();
    for c in [
        secret_cookie(SESSION_COOKIE, &id, territoria_auth::SESSION_TTL),
        secret_cookie(LOGIN_CSRF_COOKIE, "", std::time::Duration::ZERO),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Requires a signed-in browser session and its CSRF token on this form.
pub(crate) fn require(
    lang: Lang,
    who: Option<Principal>,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<Principal, PageError> {
    let p = who.ok_or_else(|| {
        PageError::new(
            lang,
            ApiError::Unauthorized("sign in first (/fr/connexion)".into()),
        )
    })?;
    check_csrf(&p, &axum::http::Method::POST, headers, Some(csrf)).lang(lang)?;
    Ok(p)
}

pub async fn logout(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let p = require(lang, who, &headers, &f.csrf)?;
    if let Via::Session { id_hash, .. } = p.via {
        with_accounts(&state, move |a| Ok(a.delete_session(&id_hash)?))
            .await
            .lang(lang)?;
    }
    let mut res = Redirect::to(&format!("/{}/", lang.code())).into_response();
    if let Ok(v) = HeaderValue::from_str(&secret_cookie(
        SESSION_COOKIE,
        "",
        std::time::Duration::ZERO,
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Serialize)]
struct AccountPage {
    paths: std::collections::BTreeMap<&'static str, String>,
    csrf: String,
    user: User,
    role: &'static str,
    tokens: Vec<ApiToken>,
    new_token: Option<String>,
    users: Vec<User>,
    admin: bool,
    my_actions: Vec<(String, String)>,
    message: Option<String>,
    support: Option<&'static str>,
}

fn role_word(r: Role) -> &'static str {
    match r {
        Role::Partner => "acc_role_partner",
        Role::Editor => "acc_role_editor",
        Role::Admin => "acc_role_admin",
    }
}

/// The version a form's edit started from (its hidden `base` field; empty: none yet).
pub(crate) fn base_version(lang: Lang, base: &str) -> Result<Option<i64>, PageError> {
    match base.trim() {
        "" => Ok(None),
        b => b.parse::<i64>().map(Some).map_err(|_| {
            PageError::new(
                lang,
                ApiError::bad_parameter("base", format!("`{b}` is not a version number")),
            )
        }),
    }
}

pub(crate) fn csrf_of(p: &Principal) -> String {
    match &p.via {
        Via::Session { csrf, .. } => csrf.clone(),
        Via::Token { .. } => String::new(),
    }
}

async fn account_page(
    state: &AppState,
    lang: Lang,
    p: Principal,
    new_token: Option<String>,
    message: Option<String>,
) -> Result<Response, PageError> {
    let admin = territoria_auth::is_admin(&p.user);
    let uid = p.user.id;
    // Editors of every strategy and administrators keep Digiscore's support catalogue.
    let support =
        crate::digiscore::offers::may_edit(&p).then(|| crate::digiscore::offers_page::path(lang));
    let (tokens, users) = with_accounts(state, move |accounts| {
        let users = if admin { accounts.users()? } else { Vec::new() };
        Ok((accounts.tokens_of(uid)?, users))
    })
    .await
    .lang(lang)?;
    let org = p.user.organisation.clone();
    let my_actions = match org {
        Some(org) => with_store(state, move |s| {
            Ok(s.entity(EntityKind::Organisation, &org)?
                .map(|d| {
                    d.relations
                        .into_iter()
                        .filter(|r| r.kind == "operates" && r.entity.kind == EntityKind::Action)
                        .map(|r| {
                            (
                                crate::pages::text(&r.entity.name, lang).text,
                                format!("/{}/actions/{}", lang.code(), r.entity.id),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default())
        })
        .await
        .lang(lang)?,
        None => Vec::new(),
    };
    let page = AccountPage {
        paths: words::paths(lang),
        csrf: csrf_of(&p),
        role: role_word(p.user.role),
        user: p.user,
        tokens,
        new_token,
        users,
        admin,
        my_actions,
        message,
        support,
    };
    Ok(render(
        lang,
        "account/account.html",
        frame(lang, "acc_title", "account"),
        page,
    ))
}

/// The account page, or the sign-in form for a visitor.
pub async fn account(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
) -> Result<Response, PageError> {
    match who {
        Some(p) => account_page(&state, lang, p, None, None).await,
        None => Ok(to_login(lang, &words::path(lang, "account"))),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    csrf: String,
    name: String,
    scope: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Result<Response, PageError> {
    let p = require(lang, who, &headers, &f.csrf)?;
    let pp = p.clone();
    let (_, secret) = with_accounts(&state, move |a| {
        service::create_token(a, &pp, "name", &f.name, &f.scope, None)
    })
    .await
    .lang(lang)?;
    account_page(&state, lang, p, Some(secret), None).await
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: String,
    id: i64,
}

pub async fn revoke_token(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    headers: HeaderMap,
    Form(f): Form<RevokeForm>,
) -> Result<Response, PageError> {
    let p = require(lang, who, &headers, &f.csrf)?;
    let (actor, uid) = (p.actor(), p.user.id);
    with_accounts(&state, move |a| Ok(a.revoke_token(&actor, uid, f.id)?))
        .await
        .lang(lang)?;
    Ok(Redirect::to(&words::path(lang, "account")).into_response())
}

#[derive(Deserialize)]
pub struct UserPageForm {
    csrf: String,
    #[serde(flatten)]
    user: super::api::UserForm,
}

pub async fn create_user(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    headers: HeaderMap,
    Form(f): Form<UserPageForm>,
) -> Result<Response, PageError> {
    let p = require(lang, who, &headers, &f.csrf)?;
    let created = super::api::create_account(&state, &p, f.user)
        .await
        .lang(lang)?;
    account_page(&state, lang, p, None, Some(created.login)).await
}

#[derive(Serialize)]
struct BulkPage {
    paths: std::collections::BTreeMap<&'static str, String>,
    csrf: String,
    report: Option<service::BulkReport>,
    staged: Option<String>,
    message: Option<&'static str>,
}

pub async fn bulk_form(
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
) -> Result<Response, PageError> {
    let Some(p) = who else {
        return Ok(to_login(lang, &words::path(lang, "bulk")));
    };
    let page = BulkPage {
        paths: words::paths(lang),
        csrf: csrf_of(&p),
        report: None,
        staged: None,
        message: None,
    };
    Ok(render(
        lang,
        "account/bulk.html",
        bulk_frame(lang, "acc_bulk_title"),
        page,
    ))
}

/// Upload → preview: the file is kept (in memory, for its owner, an hour) until applied.
pub async fn bulk_preview(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    headers: HeaderMap,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let (mut csrf, mut collection, mut file, mut bytes) =
        (String::new(), None, String::new(), None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::bad_parameter("file", e.body_text()))
        .lang(lang)?
    {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "collection" => collection = Collection::parse(&field.text().await.unwrap_or_default()),
            "file" => {
                file = field.file_name().unwrap_or("upload").to_owned();
                bytes = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|e| ApiError::bad_parameter("file", e.body_text()))
                        .lang(lang)?,
                );
            }
            _ => {}
        }
    }
    let p = require(lang, who, &headers, &csrf)?;
    let collection = collection.ok_or_else(|| {
        PageError::bad(
            lang,
            "collection",
            "choose organisations, actions or observations",
        )
    })?;
    let bytes = bytes
        .filter(|b| !b.is_empty())
        .ok_or_else(|| PageError::bad(lang, "file", "choose a CSV or JSON file"))?
        .to_vec();
    let format = if file.to_lowercase().ends_with(".json") {
        Format::Json
    } else {
        Format::Csv
    };
    let (pp, f2, b2) = (p.clone(), file.clone(), bytes.clone());
    let report = with_store(&state, move |s| {
        service::bulk(s, &pp, collection, format, &f2, &b2, false, false)
    })
    .await
    .lang(lang)?;
    let staged = (report.added + report.changed > 0)
        .then(|| {
            state.staged.put(Staged {
                user_id: p.user.id,
                collection,
                format,
                file,
                bytes,
                created: std::time::Instant::now(),
            })
        })
        .transpose()
        .lang(lang)?;
    let page = BulkPage {
        paths: words::paths(lang),
        csrf: csrf_of(&p),
        report: Some(report),
        staged,
        message: None,
    };
    Ok(render(
        lang,
        "account/bulk.html",
        bulk_frame(lang, "acc_preview_title"),
        page,
    ))
}

#[derive(Deserialize)]
pub struct ApplyForm {
    csrf: String,
    id: String,
    #[serde(default)]
    skip_invalid: Option<String>,
}

pub async fn bulk_apply(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    headers: HeaderMap,
    Form(f): Form<ApplyForm>,
) -> Result<Response, PageError> {
    let p = require(lang, who, &headers, &f.csrf)?;
    let Some(staged) = state.staged.take(&f.id, p.user.id) else {
        let page = BulkPage {
            paths: words::paths(lang),
            csrf: csrf_of(&p),
            report: None,
            staged: None,
            message: Some("acc_upload_expired"),
        };
        return Ok(render(
            lang,
            "account/bulk.html",
            bulk_frame(lang, "acc_bulk_title"),
            page,
        ));
    };
    let skip = f.skip_invalid.is_some();
    let (pp, c, fm, file) = (
        p.clone(),
        staged.collection,
        staged.format,
        staged.file.clone(),
    );
    let bytes = staged.bytes.clone();
    let result = with_store(&state, move |s| {
        service::bulk(s, &pp, c, fm, &file, &bytes, true, skip)
    })
    .await;
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            // Keep the upload: the user may choose to apply the valid rows only.
            state.staged.put_back(f.id, staged);
            return Err(PageError::new(lang, e));
        }
    };
    state.refresh_soon();
    let page = BulkPage {
        paths: words::paths(lang),
        csrf: csrf_of(&p),
        report: Some(report),
        staged: None,
        message: None,
    };
    Ok(render(
        lang,
        "account/bulk.html",
        frame(lang, "acc_applied", "bulk"),
        page,
    ))
}

#[derive(Deserialize)]
pub struct RevertForm {
    csrf: String,
    audit_id: i64,
    #[serde(default)]
    back: Option<String>,
}

pub async fn revert(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    headers: HeaderMap,
    Form(f): Form<RevertForm>,
) -> Result<Response, PageError> {
    let p = require(lang, who, &headers, &f.csrf)?;
    let id = f.audit_id;
    with_store(&state, move |s| service::revert(s, &p, id))
        .await
        .lang(lang)?;
    state.refresh_soon();
    Ok(Redirect::to(&local_next(f.back.as_deref(), lang)).into_response())
}

/// `/fr/historique/{kind}/{id}`: the history of an entity (public).
#[derive(Serialize)]
struct HistoryPage {
    paths: std::collections::BTreeMap<&'static str, String>,
    csrf: String,
    admin: bool,
    name: String,
    back: String,
    here: String,
    entries: Vec<HistoryRow>,
}

#[derive(Serialize)]
struct HistoryRow {
    audit_id: i64,
    at: String,
    actor: String,
    operation: String,
    item: String,
    detail: String,
    created: bool,
    fields: Vec<(String, String, String)>,
    revertible: bool,
}

/// A recorded value as the page shows it: numbers in Belgian format.
fn shown(v: Option<&serde_json::Value>, lang: Lang) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "—".to_owned(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n
            .as_f64()
            .map_or_else(|| n.to_string(), |x| crate::pages::fmt::number(x, lang)),
        Some(other) => other.to_string(),
    }
}

pub async fn history(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let kind = EntityKind::parse(&kind)
        .ok_or_else(|| PageError::not_found(lang, format!("unknown entity kind `{kind}`")))?;
    let key = id.clone();
    let (detail, entries) = with_store(&state, move |s| {
        Ok((s.entity(kind, &key)?, s.history(kind, &key, 200)?))
    })
    .await
    .lang(lang)?;
    let detail = detail.ok_or_else(|| PageError::not_found(lang, format!("no {kind} `{id}`")))?;
    let admin = who
        .as_ref()
        .is_some_and(|p| territoria_auth::is_admin(&p.user));
    let back = match kind {
        EntityKind::Action => format!("/{}/actions/{id}", lang.code()),
        EntityKind::Programme => format!("/{}/programmes/{id}", lang.code()),
        EntityKind::Ambition => format!("/{}/ambitions/{id}", lang.code()),
        EntityKind::Lever => format!("/{}/leviers/{id}", lang.code()),
        EntityKind::Strategy => format!("/{}/?strategy={id}", lang.code()),
        k => format!("/{}/entities/{}/{id}", lang.code(), k.as_str()),
    };
    let rows = entries
        .into_iter()
        .map(|h| {
            let c = &h.change;
            // A creation shows what was created (every field, nothing before).
            let fields = match &c.after {
                Some(a) => territoria_exchange::diff::changes(c.before.as_ref(), a)
                    .into_iter()
                    .map(|f| {
                        (
                            f.field,
                            shown(f.before.as_ref(), lang),
                            shown(f.after.as_ref(), lang),
                        )
                    })
                    .collect(),
                None => Vec::new(),
            };
            HistoryRow {
                audit_id: c.audit_id,
                at: crate::pages::fmt::datetime(&h.at),
                actor: h.actor,
                operation: h.operation,
                item: c.item.clone(),
                detail: c.detail.clone(),
                created: c.before.is_none(),
                fields,
                revertible: c.before.is_some(),
            }
        })
        .collect();
    let here = format!("{}/{}/{id}", words::path(lang, "history"), kind.as_str());
    let page = HistoryPage {
        paths: words::paths(lang),
        csrf: who.as_ref().map(csrf_of).unwrap_or_default(),
        admin,
        name: crate::pages::text(&detail.entity.name, lang).text,
        back,
        here,
        entries: rows,
    };
    let mut f = Frame::new(
        lang,
        crate::pages::i18n_word(lang, "acc_history"),
        &format!(
            "{}/{}/{}",
            words::path(lang, "history").trim_start_matches(&format!("/{}/", lang.code())),
            kind.as_str(),
            id
        ),
        None,
    );
    f.demo = detail.entity.provenance.demo;
    Ok(render(lang, "account/history.html", f, page))
}

/// The edit form of an entity: its names and descriptions in four languages and the
/// typed facts people keep current (an action's status, dates and budget; an
/// organisation's website and head count).
#[derive(Serialize)]
struct EditPage {
    paths: std::collections::BTreeMap<&'static str, String>,
    csrf: String,
    action: String,
    back: String,
    version: i64,
    kind: &'static str,
    fields: Vec<EditField>,
    error: Option<String>,
    conflict: bool,
}

#[derive(Serialize)]
struct EditField {
    name: &'static str,
    label: String,
    value: String,
    /// `text`, `textarea`, `date`, `number`, `url` or `select`.
    input: &'static str,
    options: Vec<(&'static str, String)>,
}

const LANG_CODES: [&str; 4] = ["fr", "en", "nl", "de"];

pub(super) fn back_url(lang: Lang, kind: EntityKind, id: &str) -> String {
    match kind {
        EntityKind::Action => format!("/{}/actions/{id}", lang.code()),
        EntityKind::Programme => format!("/{}/programmes/{id}", lang.code()),
        EntityKind::Ambition => format!("/{}/ambitions/{id}", lang.code()),
        EntityKind::Lever => format!("/{}/leviers/{id}", lang.code()),
        EntityKind::Strategy => format!("/{}/?strategy={id}", lang.code()),
        k => format!("/{}/entities/{}/{id}", lang.code(), k.as_str()),
    }
}

fn edit_fields(
    lang: Lang,
    e: &territoria_model::Entity,
    form: Option<&EditForm>,
) -> Vec<EditField> {
    use territoria_model::Details;
    let w = |k: &str| crate::pages::i18n_word(lang, k).to_owned();
    let given = |name: &str| form.and_then(|f| f.values.get(name).cloned());
    let mut out = Vec::new();
    for code in LANG_CODES {
        let name: &'static str = match code {
            "fr" => "name_fr",
            "en" => "name_en",
            "nl" => "name_nl",
            _ => "name_de",
        };
        out.push(EditField {
            name,
            label: format!("{} ({code})", w("acc_edit_name")),
            value: given(name).unwrap_or_else(|| e.name.0.get(code).cloned().unwrap_or_default()),
            input: "text",
            options: Vec::new(),
        });
    }
    for code in LANG_CODES {
        let name: &'static str = match code {
            "fr" => "description_fr",
            "en" => "description_en",
            "nl" => "description_nl",
            _ => "description_de",
        };
        out.push(EditField {
            name,
            label: format!("{} ({code})", w("acc_edit_description")),
            value: given(name)
                .unwrap_or_else(|| e.description.0.get(code).cloned().unwrap_or_default()),
            input: "textarea",
            options: Vec::new(),
        });
    }
    let opt = |v: Option<String>| v.unwrap_or_default();
    match &e.details {
        Details::Action(a) => {
            out.push(EditField {
                name: "status",
                label: w("acc_edit_status"),
                value: given("status").unwrap_or_else(|| a.status.as_str().to_owned()),
                input: "select",
                options: territoria_model::ActionStatus::ALL
                    .into_iter()
                    .map(|s| (s.as_str(), w(&format!("acc_action_{}", s.as_str()))))
                    .collect(),
            });
            for (name, key, value) in [
                ("start", "acc_edit_start", a.start.map(|d| d.to_string())),
                ("end", "acc_edit_end", a.end.map(|d| d.to_string())),
            ] {
                out.push(EditField {
                    name,
                    label: w(key),
                    value: given(name).unwrap_or_else(|| opt(value)),
                    input: "date",
                    options: Vec::new(),
                });
            }
            out.push(EditField {
                name: "budget_eur",
                label: w("acc_edit_budget"),
                value: given("budget_eur")
                    .unwrap_or_else(|| opt(a.budget_eur.map(|b| b.to_string()))),
                input: "number",
                options: Vec::new(),
            });
        }
        Details::Organisation(o) => {
            out.push(EditField {
                name: "website",
                label: w("acc_edit_website"),
                value: given("website").unwrap_or_else(|| opt(o.website.clone())),
                input: "url",
                options: Vec::new(),
            });
            out.push(EditField {
                name: "employees",
                label: w("acc_edit_employees"),
                value: given("employees")
                    .unwrap_or_else(|| opt(o.employees.map(|n| n.to_string()))),
                input: "number",
                options: Vec::new(),
            });
        }
        _ => {}
    }
    out
}

#[derive(Deserialize)]
pub struct EditForm {
    csrf: String,
    version: i64,
    #[serde(flatten)]
    values: std::collections::HashMap<String, String>,
}

/// The entity as the form changes it; an unreadable value names its field.
fn edited(
    mut e: territoria_model::Entity,
    f: &EditForm,
) -> Result<territoria_model::Entity, (String, String)> {
    use territoria_model::Details;
    let get = |k: &str| f.values.get(k).map(|v| v.trim().to_owned());
    let date = |k: &str| -> Result<Option<chrono::NaiveDate>, (String, String)> {
        match get(k).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| (k.to_owned(), format!("`{v}`: write a date as 2026-12-31"))),
        }
    };
    for (prefix, labels) in [("name", &mut e.name), ("description", &mut e.description)] {
        for code in LANG_CODES {
            if let Some(v) = get(&format!("{prefix}_{code}")) {
                if v.is_empty() {
                    labels.0.remove(code);
                } else {
                    labels.0.insert(code.to_owned(), v);
                }
            }
        }
    }
    match &mut e.details {
        Details::Action(a) => {
            if let Some(s) = get("status") {
                a.status = territoria_model::ActionStatus::parse(&s)
                    .ok_or_else(|| ("status".to_owned(), format!("`{s}` is not a status")))?;
            }
            a.start = date("start")?;
            a.end = date("end")?;
            a.budget_eur = match get("budget_eur").filter(|v| !v.is_empty()) {
                None => None,
                Some(v) => Some(
                    v.replace([' ', '\u{a0}', '\u{202f}'], "")
                        .replace(',', ".")
                        .parse::<f64>()
                        .map_err(|_| {
                            ("budget_eur".to_owned(), format!("`{v}` is not an amount"))
                        })?,
                ),
            };
        }
        Details::Organisation(o) => {
            o.website = get("website").filter(|v| !v.is_empty());
            o.employees =
                match get("employees").filter(|v| !v.is_empty()) {
                    None => None,
                    Some(v) => Some(v.parse().map_err(|_| {
                        ("employees".to_owned(), format!("`{v}` is not a head count"))
                    })?),
                };
        }
        _ => {}
    }
    Ok(e)
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    kind: EntityKind,
    id: &str,
    form: Option<&EditForm>,
    error: Option<String>,
    conflict: bool,
) -> Result<Response, PageError> {
    let (pp, key) = (p.clone(), id.to_owned());
    let found = with_store(state, move |s| {
        if !service::may(s, &pp, kind, &key)? {
            return Err(service::forbidden(kind, &key));
        }
        let version = s.entity_version(kind, &key)?;
        let e = s.entity(kind, &key)?.map(|d| d.entity);
        Ok(version.zip(e))
    })
    .await
    .lang(lang)?;
    let (version, e) = found.ok_or_else(|| PageError::new(lang, service::forbidden(kind, id)))?;
    let page = EditPage {
        paths: words::paths(lang),
        csrf: csrf_of(p),
        action: format!("{}/{}/{id}", words::path(lang, "edit"), kind.as_str()),
        back: back_url(lang, kind, id),
        // After a conflict the form shows the current version, with the user's values.
        version,
        kind: kind.as_str(),
        fields: edit_fields(lang, &e, form),
        error,
        conflict,
    };
    let mut f = Frame::new(
        lang,
        format!(
            "{} — {}",
            crate::pages::i18n_word(lang, "acc_edit"),
            crate::pages::text(&e.name, lang).text
        ),
        "",
        None,
    );
    f.demo = e.provenance.demo;
    let mut res = render(lang, "account/edit.html", f, page);
    if conflict {
        *res.status_mut() = axum::http::StatusCode::CONFLICT;
    }
    Ok(res)
}

pub async fn edit_form(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let kind = EntityKind::parse(&kind)
        .ok_or_else(|| PageError::not_found(lang, format!("unknown entity kind `{kind}`")))?;
    let Some(p) = who else {
        return Ok(to_login(
            lang,
            &format!("{}/{}/{id}", words::path(lang, "edit"), kind.as_str()),
        ));
    };
    edit_page(&state, lang, &p, kind, &id, None, None, false).await
}

pub async fn edit(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    headers: HeaderMap,
    Path((kind, id)): Path<(String, String)>,
    Form(f): Form<EditForm>,
) -> Result<Response, PageError> {
    let kind = EntityKind::parse(&kind)
        .ok_or_else(|| PageError::not_found(lang, format!("unknown entity kind `{kind}`")))?;
    let p = require(lang, who, &headers, &f.csrf)?;
    let key = id.clone();
    let current = with_store(&state, move |s| Ok(s.entity(kind, &key)?.map(|d| d.entity)))
        .await
        .lang(lang)?
        .ok_or_else(|| PageError::new(lang, service::forbidden(kind, &id)))?;
    let entity = match edited(current, &f) {
        Ok(e) => e,
        Err((field, message)) => {
            let mut res = edit_page(
                &state,
                lang,
                &p,
                kind,
                &id,
                Some(&f),
                Some(format!("{field}: {message}")),
                false,
            )
            .await?;
            *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            return Ok(res);
        }
    };
    let (pp, key, version) = (p.clone(), id.clone(), f.version);
    match with_store(&state, move |s| {
        service::edit_entity(s, &pp, kind, &key, Some(version), entity)
    })
    .await
    {
        Ok(_) => {
            state.refresh_soon();
            Ok(Redirect::to(&back_url(lang, kind, &id)).into_response())
        }
        Err(ApiError::Conflict { .. }) => {
            let msg = crate::pages::i18n_word(lang, "acc_edit_conflict").to_owned();
            edit_page(&state, lang, &p, kind, &id, Some(&f), Some(msg), true).await
        }
        Err(ApiError::Invalid(records)) => {
            let msg = records
                .first()
                .and_then(|r| r["message"].as_str())
                .unwrap_or("invalid")
                .to_owned();
            let mut res =
                edit_page(&state, lang, &p, kind, &id, Some(&f), Some(msg), false).await?;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(PageError::new(lang, e)),
    }
}
