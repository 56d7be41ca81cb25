//! The governing face's JSON API: who am I, personal tokens, editing, history, revert,
//! bulk updates, accounts. Every write refuses an anonymous request (401) and a
//! request its account may not make (403).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use territoria_exchange::{Collection, Format};
use territoria_model::{Entity, EntityKind};
use territoria_store::{NewUser, Role};

use super::{SignedIn, Writer, service, with_accounts};
use crate::AppState;
use crate::api::with_store;
use crate::error::ApiError;
use crate::params::Params;

pub const ME: &str = "/api/me";
pub const TOKENS: &str = "/api/tokens";
pub const TOKEN: &str = "/api/tokens/{id}";
pub const HISTORY: &str = "/api/entities/{kind}/{id}/history";
pub const REVERT: &str = "/api/changes/{audit_id}/revert";
pub const BULK: &str = "/api/bulk/{collection}";
pub const USERS: &str = "/api/users";
pub const BACKUPS: &str = "/api/admin/backups";
pub const RESTORE: &str = "/api/admin/restore";
/// `POST`: a strategy from the empty template (`GET` is the open API's list).
pub const STRATEGIES: &str = "/api/strategies";
/// `POST` adds an element, `DELETE ?version=…&parent=kind/key&child=kind/key` detaches one.
pub const STRATEGY_ELEMENTS: &str = "/api/strategies/{id}/elements";

/// The routes of this face that the OpenAPI document describes.
pub const ROUTES: [&str; 12] = [
    ME,
    TOKENS,
    TOKEN,
    HISTORY,
    REVERT,
    BULK,
    USERS,
    BACKUPS,
    RESTORE,
    STRATEGIES,
    STRATEGY_ELEMENTS,
    super::terms::HISTORY,
];

type ApiResult<T> = Result<T, ApiError>;

fn kind_of(s: &str) -> ApiResult<EntityKind> {
    EntityKind::parse(s)
        .ok_or_else(|| ApiError::bad_parameter("kind", format!("`{s}` is not an entity kind")))
}

pub async fn me(SignedIn(p): SignedIn) -> Json<Value> {
    let via = match &p.via {
        super::Via::Session { csrf, .. } => json!({"session": true, "csrf_token": csrf}),
        super::Via::Token { scope } => json!({"token": true, "scope": scope}),
    };
    Json(json!({"user": p.user, "via": via}))
}

pub async fn tokens(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
) -> ApiResult<Json<Value>> {
    let list = with_accounts(&state, move |a| Ok(a.tokens_of(p.user.id)?)).await?;
    Ok(Json(json!({ "tokens": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    /// `read` or `write` (default `write`).
    #[serde(default)]
    pub scope: Option<String>,
    /// Days until it expires (default: never).
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// Creates a personal token; its secret is in this answer only.
pub async fn create_token(
    State(state): State<AppState>,
    Writer(p): Writer,
    body: Result<Json<NewToken>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(t) = body.map_err(|e| ApiError::bad_parameter("body", e.body_text()))?;
    let (token, secret) = with_accounts(&state, move |a| {
        let scope = t.scope.as_deref().unwrap_or("write");
        service::create_token(a, &p, "body", &t.name, scope, t.expires_in_days)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"token": token, "secret": secret, "note": "the secret is shown once: keep it"}),
        ),
    ))
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Writer(p): Writer,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_parameter("id", "a token id is a number"))?;
    let done = with_accounts(&state, move |a| {
        Ok(a.revoke_token(&p.actor(), p.user.id, id)?)
    })
    .await?;
    if done {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("you have no live token {id}")))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityEdit {
    /// The version the edit started from (`null`: the entity is new).
    pub version: Option<i64>,
    pub entity: Entity,
}

/// Writes an entity, if it is still at the version the edit started from.
pub async fn edit_entity(
    State(state): State<AppState>,
    Writer(p): Writer,
    Path((kind, id)): Path<(String, String)>,
    body: Result<Json<EntityEdit>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    let kind = kind_of(&kind)?;
    let Json(edit) = body.map_err(|e| ApiError::bad_parameter("body", e.body_text()))?;
    let edited = with_store(&state, move |s| {
        service::edit_entity(s, &p, kind, &id, edit.version, edit.entity)
    })
    .await?;
    state.refresh_soon();
    Ok(Json(json!(edited)))
}

/// The recorded changes of an entity (public: transparency), newest first.
pub async fn history(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let kind = kind_of(&kind)?;
    let params = Params::parse(raw.as_deref(), &["limit"])?;
    let limit: u32 = params.integer("limit", 100, 1, 1000)?;
    let (version, entries) = with_store(&state, move |s| {
        let version = s
            .entity_version(kind, &id)?
            .ok_or_else(|| ApiError::not_found(format!("no {kind} with id `{id}`")))?;
        Ok((version, s.history(kind, &id, limit)?))
    })
    .await?;
    Ok(Json(json!({"version": version, "history": entries})))
}

pub async fn revert(
    State(state): State<AppState>,
    Writer(p): Writer,
    Path(audit_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let audit_id: i64 = audit_id
        .parse()
        .map_err(|_| ApiError::bad_parameter("audit_id", "an audit entry id is a number"))?;
    let version = with_store(&state, move |s| service::revert(s, &p, audit_id)).await?;
    state.refresh_soon();
    Ok(Json(json!({"reverted": audit_id, "version": version})))
}

/// `POST /api/bulk/{collection}?mode=preview|apply[&skip_invalid=true]` with a CSV or
/// JSON body (by `Content-Type`).
pub async fn bulk(
    State(state): State<AppState>,
    Writer(p): Writer,
    Path(collection): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let collection = Collection::parse(&collection).ok_or_else(|| {
        ApiError::bad_parameter_suggesting(
            "collection",
            format!("`{collection}` cannot be updated in bulk"),
            vec![
                "organisations".into(),
                "actions".into(),
                "observations".into(),
            ],
        )
    })?;
    let params = Params::parse(raw.as_deref(), &["mode", "skip_invalid"])?;
    let apply = match params.one("mode")?.unwrap_or("preview") {
        "preview" => false,
        "apply" => true,
        other => {
            return Err(ApiError::bad_parameter(
                "mode",
                format!("`{other}`: use preview or apply"),
            ));
        }
    };
    let skip_invalid = params.boolean("skip_invalid")?.unwrap_or(false);
    let format = match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/csv")
    {
        t if t.starts_with("application/json") => Format::Json,
        t if t.starts_with("text/csv") || t.starts_with("text/plain") => Format::Csv,
        other => {
            return Err(ApiError::bad_parameter(
                "Content-Type",
                format!("`{other}`: send text/csv or application/json"),
            ));
        }
    };
    let report = with_store(&state, move |s| {
        service::bulk(
            s,
            &p,
            collection,
            format,
            "upload",
            &body,
            apply,
            skip_invalid,
        )
    })
    .await?;
    if report.applied {
        state.refresh_soon();
    }
    Ok(Json(json!(report)))
}

pub async fn users(State(state): State<AppState>, SignedIn(p): SignedIn) -> ApiResult<Json<Value>> {
    if !territoria_auth::is_admin(&p.user) {
        return Err(ApiError::Forbidden(
            "only an administrator may list accounts".into(),
        ));
    }
    let list = with_accounts(&state, |a| Ok(a.users()?)).await?;
    Ok(Json(json!({ "users": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserForm {
    pub login: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub password: String,
    pub role: Role,
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub strategy: Option<String>,
}

/// Creates an account (administrators only).
pub async fn create_user(
    State(state): State<AppState>,
    Writer(p): Writer,
    body: Result<Json<UserForm>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(form) = body.map_err(|e| ApiError::bad_parameter("body", e.body_text()))?;
    let user = create_account(&state, &p, form).await?;
    Ok((StatusCode::CREATED, Json(json!({ "user": user }))))
}

pub(crate) async fn create_account(
    state: &AppState,
    p: &super::Principal,
    form: UserForm,
) -> ApiResult<territoria_store::User> {
    if !territoria_auth::is_admin(&p.user) {
        return Err(ApiError::Forbidden(
            "only an administrator may create accounts".into(),
        ));
    }
    let actor = p.actor();
    with_accounts(state, move |accounts| {
        let hash = territoria_auth::hash_password(&form.password)
            .map_err(|e| ApiError::bad_parameter("password", e.to_string()))?;
        let empty = |s: Option<String>| s.filter(|v| !v.trim().is_empty());
        accounts
            .create_user(
                &actor,
                &NewUser {
                    display_name: empty(form.display_name).unwrap_or_else(|| form.login.clone()),
                    login: form.login,
                    email: empty(form.email),
                    password_hash: Some(hash),
                    role: form.role,
                    organisation: empty(form.organisation),
                    strategy: empty(form.strategy),
                    oidc_subject: None,
                },
            )
            .map_err(|e| match e {
                territoria_store::StoreError::Unusable(m) => ApiError::bad_parameter("login", m),
                other => other.into(),
            })
    })
    .await
}

fn admin_only(p: &super::Principal, what: &str) -> ApiResult<()> {
    if territoria_auth::is_admin(&p.user) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "only an administrator may {what}"
        )))
    }
}

fn backup_dir(state: &AppState) -> ApiResult<std::path::PathBuf> {
    state.backup_dir.clone().ok_or_else(|| {
        ApiError::Forbidden(
            "this server has no backup directory: backups are made with `territoria backup` on the server".into(),
        )
    })
}

/// The backups of the server's backup directory, newest first.
fn list_backups(dir: &std::path::Path) -> ApiResult<Vec<Value>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(ApiError::internal(format!("{}: {e}", dir.display()))),
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".sqlite") {
            continue;
        }
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        out.push(json!({ "name": name, "bytes": size }));
    }
    out.sort_by(|a, b| b["name"].as_str().cmp(&a["name"].as_str()));
    Ok(out)
}

/// `GET /api/admin/backups`: the backups an administrator may restore.
pub async fn backups(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
) -> ApiResult<Json<Value>> {
    admin_only(&p, "list backups")?;
    let dir = backup_dir(&state)?;
    Ok(Json(json!({ "backups": list_backups(&dir)? })))
}

/// `POST /api/admin/backups`: a consistent copy of the store, taken while it serves,
/// into the backup directory.
pub async fn create_backup(
    State(state): State<AppState>,
    Writer(p): Writer,
) -> ApiResult<(StatusCode, Json<Value>)> {
    admin_only(&p, "make backups")?;
    let dir = backup_dir(&state)?;
    let name = format!(
        "territoria-{}.sqlite",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    );
    let path = dir.join(&name);
    let bytes = with_store(&state, move |s| {
        std::fs::create_dir_all(&dir)
            .map_err(|e| ApiError::internal(format!("{}: {e}", dir.display())))?;
        s.backup(&path, &mut |_, _| {})?;
        Ok(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0))
    })
    .await?;
    tracing::info!(backup = %name, by = %p.user.login, "backup made");
    Ok((
        StatusCode::CREATED,
        Json(json!({ "name": name, "bytes": bytes })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreForm {
    /// A backup's name in the backup directory (as `GET /api/admin/backups` lists it).
    pub backup: String,
}

/// `POST /api/admin/restore`: replaces the store's content with a backup of the backup
/// directory, after verifying it; then checks the store. The restore is audited.
pub async fn restore(
    State(state): State<AppState>,
    Writer(p): Writer,
    body: Result<Json<RestoreForm>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    admin_only(&p, "restore a backup")?;
    let Json(form) = body.map_err(|e| ApiError::bad_parameter("body", e.body_text()))?;
    let dir = backup_dir(&state)?;
    let name = form.backup;
    if name.is_empty()
        || name.starts_with('.')
        || !name.ends_with(".sqlite")
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(ApiError::bad_parameter(
            "backup",
            format!("`{name}`: give the name of a backup as GET /api/admin/backups lists it"),
        ));
    }
    let path = dir.join(&name);
    if !path.is_file() {
        return Err(ApiError::not_found(format!(
            "no backup `{name}` in the backup directory"
        )));
    }
    let actor = format!("{} ({})", p.user.login, p.user.role.as_str());
    let (restored, problems) = with_store(&state, move |s| {
        let r = s.restore(&path, &actor).map_err(|e| match e {
            territoria_store::StoreError::Unusable(m) => ApiError::bad_parameter("backup", m),
            e => e.into(),
        })?;
        Ok((r, s.check()?))
    })
    .await?;
    state.refresh_soon();
    Ok(Json(json!({
        "restored": name,
        "audit_id": restored.audit_id,
        "backup_schema_version": restored.backup_schema_version,
        "check": if problems.is_empty() { json!("ok") } else { json!(problems) },
    })))
}

fn json_body<T>(body: Result<Json<T>, axum::extract::rejection::JsonRejection>) -> ApiResult<T> {
    body.map(|Json(b)| b)
        .map_err(|e| ApiError::bad_parameter("body", e.body_text()))
}

/// `POST /api/strategies`: a new strategy and its first, empty version.
pub async fn create_strategy(
    State(state): State<AppState>,
    Writer(p): Writer,
    body: Result<Json<super::structure::NewStrategy>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let new = json_body(body)?;
    let done = with_store(&state, move |s| {
        super::structure::create_strategy(s, &p, &new)
    })
    .await?;
    state.refresh_soon();
    Ok((StatusCode::CREATED, Json(json!(done))))
}

/// `POST /api/strategies/{id}/elements`: a new element (or an existing entity) under
/// a parent in one version.
pub async fn add_element(
    State(state): State<AppState>,
    Writer(p): Writer,
    Path(strategy): Path<String>,
    body: Result<Json<super::structure::NewChild>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let new = json_body(body)?;
    let done = with_store(&state, move |s| {
        super::structure::add_child(s, &p, &strategy, &new)
    })
    .await?;
    state.refresh_soon();
    Ok((StatusCode::CREATED, Json(json!(done))))
}

/// `DELETE /api/strategies/{id}/elements?version=…&parent=…&child=…`: detaches an
/// element (a leaf) from its parent in one version; the entity stays.
pub async fn remove_element(
    State(state): State<AppState>,
    Writer(p): Writer,
    Path(strategy): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let params = Params::parse(raw.as_deref(), &["version", "parent", "child"])?;
    let need = |name: &str| -> ApiResult<String> {
        params
            .one(name)?
            .map(str::to_owned)
            .ok_or_else(|| ApiError::bad_parameter(name, format!("`{name}` is required")))
    };
    let (version, parent, child) = (need("version")?, need("parent")?, need("child")?);
    let done = with_store(&state, move |s| {
        super::structure::remove_child(s, &p, &strategy, &version, &parent, &child)
    })
    .await?;
    state.refresh_soon();
    Ok(Json(json!(done)))
}
