//! The SensorThings API v1.1 face (`/api/sta/v1.1/…`) over `territoria-sta`: thin
//! handlers that hand the resource path, query string and body to the model on the
//! blocking pool and map its errors through [`ApiError`]. Reads are open; writes (POST,
//! PATCH, DELETE, `CreateObservations`, `$batch`) take an editor's or administrator's
//! write token or session (the governing face's check, 401/403 otherwise), or the
//! instance's write token when one is configured.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::Value;
use std::sync::Arc;
use territoria_sta::{Sta, StaError};
use territoria_store::Role;

use crate::AppState;
use crate::error::ApiError;

/// Where the service root is.
pub const ROOT: &str = "/api/sta/v1.1";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(ROOT, any(handle))
        .route("/api/sta/v1.1/{*path}", any(handle))
}

impl From<StaError> for ApiError {
    fn from(e: StaError) -> Self {
        match e {
            StaError::Query(q) => ApiError::bad_parameter(
                q.parameter.clone(),
                format!("at character {}: {}", q.position, q.message),
            ),
            StaError::Path { path, message } => {
                ApiError::bad_parameter("path", format!("`{path}`: {message}"))
            }
            StaError::Body { field, message } => {
                ApiError::bad_parameter(format!("body: {field}"), message)
            }
            StaError::NotFound(m) => ApiError::NotFound(m),
            StaError::Method(m) => ApiError::MethodNotAllowed(m),
            StaError::Internal(m) => ApiError::internal(m),
        }
    }
}

fn base(headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if crate::security::behind_tls() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}{ROOT}")
}

/// Refuses a write without an editor's (or administrator's) credentials.
async fn may_write(
    state: &AppState,
    parts: &mut axum::http::request::Parts,
) -> Result<(), ApiError> {
    if let Some(token) = &state.write_token {
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if given.is_some_and(|g| crate::constant_time_eq(g.as_bytes(), token.as_bytes())) {
            return Ok(());
        }
    }
    let crate::account::Writer(p) =
        crate::account::Writer::from_request_parts(parts, state).await?;
    match p.user.role {
        Role::Editor | Role::Admin => Ok(()),
        Role::Partner => Err(ApiError::Forbidden(
            "SensorThings writes are for editors and administrators; this account is a partner's"
                .into(),
        )),
    }
}

async fn handle(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let Some(sta) = state.sta.clone() else {
        return Err(ApiError::NotFound(
            "SensorThings is not served by this instance (it needs the embedded store)".into(),
        ));
    };
    let (mut parts, body) = request.into_parts();
    let path = parts
        .uri
        .path()
        .strip_prefix(ROOT)
        .unwrap_or("")
        .trim_matches('/')
        .to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let base = base(&parts.headers);
    let method = parts.method.clone();
    if matches!(method, Method::GET | Method::HEAD) {
        let v = blocking(move || sta.get(&base, &path, &query)).await?;
        return Ok(Json(v).into_response());
    }
    if !matches!(method, Method::POST | Method::PATCH | Method::DELETE) {
        return Err(ApiError::MethodNotAllowed(format!(
            "{method} is not a SensorThings method (GET, POST, PATCH, DELETE)"
        )));
    }
    may_write(&state, &mut parts).await?;
    let bytes = axum::body::to_bytes(body, crate::security::MAX_BODY_BYTES)
        .await
        .map_err(|e| ApiError::bad_parameter("body", format!("could not be read: {e}")))?;
    let json = parse_body(&method, &bytes)?;
    match method {
        Method::DELETE => {
            blocking(move || sta.delete(&path)).await?;
            Ok(StatusCode::OK.into_response())
        }
        Method::PATCH => {
            let v = blocking(move || sta.patch(&base, &path, &json)).await?;
            Ok(Json(v).into_response())
        }
        _ if path == "CreateObservations" => {
            let v = blocking(move || sta.create_observations(&base, &json)).await?;
            Ok((StatusCode::CREATED, Json(v)).into_response())
        }
        _ if path == "$batch" => {
            let v = blocking(move || sta.batch(&base, &json)).await?;
            Ok(Json(v).into_response())
        }
        _ => {
            let c = blocking(move || sta.post(&base, &path, &json)).await?;
            let mut res = (StatusCode::CREATED, Json(c.body)).into_response();
            if let Ok(v) = c.location.parse() {
                res.headers_mut().insert(header::LOCATION, v);
            }
            Ok(res)
        }
    }
}

fn parse_body(method: &Method, bytes: &Bytes) -> Result<Value, ApiError> {
    if *method == Method::DELETE || bytes.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_parameter(
            "body",
            format!("not JSON: {e} (line {}, column {})", e.line(), e.column()),
        )
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StaError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("SensorThings task failed: {e}")))?
        .map_err(ApiError::from)
}

/// The service for a store file, when it can be opened (the embedded store).
pub fn open(path: &std::path::Path) -> Result<Arc<Sta>, StaError> {
    Sta::open(path).map(Arc::new)
}
