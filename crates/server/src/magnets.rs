//! Saved smart magnets: `GET|POST /api/magnets`, `GET /api/magnets/{id}`,
//! `GET /api/magnets/{id}/members` (JSON or `?format=csv`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use territoria_magnet::query::{Query, parse};
use territoria_model::{EntityKind, Labels};
use territoria_store::{MagnetRecord, Op, SavedMagnet, StoreError, WriteOptions};

use crate::AppState;
use crate::api::{Noticed, with_store};
use crate::error::ApiError;
use crate::params::Params;

/// The body of `POST /api/magnets`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveRequest {
    id: String,
    name: Labels,
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: Option<String>,
}

/// A saved magnet with its current membership count.
#[derive(Debug, Serialize)]
pub struct MagnetView {
    #[serde(flatten)]
    record: MagnetRecord,
    /// Members now, with the latest version.
    total: u64,
    /// Members on the date asked with `?at=` (how the cluster grew).
    #[serde(skip_serializing_if = "Option::is_none")]
    total_at: Option<TotalAt>,
}

#[derive(Debug, Serialize)]
struct TotalAt {
    date: String,
    total: u64,
}

fn latest_query(record: &MagnetRecord) -> Result<Query, ApiError> {
    let text = record.versions.last().map_or("", |v| v.query.as_str());
    parse(text)
        .map_err(|e| ApiError::internal(format!("stored magnet {} does not parse: {e}", record.id)))
}

fn eval_error(e: territoria_magnet::EvalError) -> ApiError {
    match e {
        territoria_magnet::EvalError::UnknownConcept {
            ref suggestions, ..
        } => ApiError::bad_parameter_suggesting("q", e.to_string(), suggestions.clone()),
        other => ApiError::bad_parameter("q", other.to_string()),
    }
}

async fn load(state: &AppState, id: String) -> Result<MagnetRecord, ApiError> {
    with_store(state, move |s| {
        s.magnet(&id)?
            .ok_or_else(|| ApiError::not_found(format!("no saved magnet `{id}`")))
    })
    .await
}

fn view(state: &AppState, record: MagnetRecord) -> Result<MagnetView, ApiError> {
    let q = latest_query(&record)?;
    let total = state
        .magnets
        .read()
        .eval_in(&q, record.kind)
        .map_err(eval_error)?
        .len();
    Ok(MagnetView {
        record,
        total,
        total_at: None,
    })
}

pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<MagnetView>>, ApiError> {
    Params::parse(raw.as_deref(), &[])?;
    let records = with_store(&state, |s| Ok(s.magnets()?)).await?;
    Ok(Json(
        records
            .into_iter()
            .map(|r| view(&state, r))
            .collect::<Result<_, _>>()?,
    ))
}

pub async fn save(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !state.may_write(&headers) {
        return Err(ApiError::Unauthorized(
            "saving a magnet on this instance takes its write token: send `Authorization: Bearer <token>` (the `write_token` of the server's configuration)".into(),
        ));
    }
    let req: SaveRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_parameter(
            "body",
            format!("{e} — send {{\"id\": \"my-magnet\", \"name\": {{\"fr\": \"…\"}}, \"q\": \"…\", \"kind\": \"organisation\"}}"),
        )
    })?;
    let query = parse(&req.q).map_err(|e| ApiError::bad_parameter("q", e.to_string()))?;
    let kind = match req.kind.as_deref() {
        None => EntityKind::Organisation,
        Some(k) => EntityKind::parse(k)
            .ok_or_else(|| ApiError::bad_parameter("kind", format!("unknown kind `{k}`")))?,
    };
    // Unknown codes are refused before anything is saved.
    state
        .magnets
        .read()
        .eval_in(&query, kind)
        .map_err(eval_error)?;
    let op = Op::Magnet(SavedMagnet {
        id: req.id.clone(),
        name: req.name,
        kind,
        query: query.to_string(),
        source: "saved through the API".into(),
    });
    let id = req.id;
    let record = with_store(&state, move |s| {
        let mut records = std::iter::once(Ok(op.into()));
        match s.apply(
            "api",
            &format!("save magnet {id}"),
            &mut records,
            &WriteOptions::default(),
            &mut |_| {},
        ) {
            Ok(_) => {}
            Err(StoreError::Invalid(errors)) => {
                let e = &errors[0].errors.0[0];
                return Err(ApiError::bad_parameter(e.field.clone(), e.message.clone()));
            }
            Err(other) => return Err(other.into()),
        }
        s.magnet(&id)?
            .ok_or_else(|| ApiError::internal("saved magnet not found"))
    })
    .await?;
    let v = view(&state, record)?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Json<MagnetView>, ApiError> {
    let params = Params::parse(raw.as_deref(), &["at"])?;
    let at = params
        .one("at")?
        .map(|d| {
            territoria_model::parse_date("at", d)
                .map(|d| d.to_string())
                .map_err(|e| ApiError::bad_parameter("at", e.message))
        })
        .transpose()?;
    let Path(id) = id.map_err(|e| ApiError::bad_parameter("path", e.body_text()))?;
    let record = load(&state, id).await?;
    let kind = record.kind;
    let q = latest_query(&record)?;
    let mut v = view(&state, record)?;
    if let Some(date) = at {
        let total = state
            .magnets
            .read()
            .members_at(&q, kind, &date)
            .map_err(eval_error)?
            .len();
        v.total_at = Some(TotalAt { date, total });
    }
    Ok(Json(v))
}

pub async fn members(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.as_deref(), &["format", "limit", "offset"])?;
    let Path(id) = id.map_err(|e| ApiError::bad_parameter("path", e.body_text()))?;
    let format = params.one("format")?.unwrap_or("json");
    if !matches!(format, "json" | "csv") {
        return Err(ApiError::bad_parameter(
            "format",
            format!("`{format}`: use json or csv"),
        ));
    }
    let record = load(&state, id).await?;
    let q = latest_query(&record)?;
    if format == "csv" {
        // Every member: CSV with `;` and a BOM, as Belgian spreadsheets expect.
        let result = state
            .magnets
            .read()
            .search(&q, record.kind, &[], usize::MAX, 0, 0)
            .map_err(eval_error)?;
        let mut out = String::from("\u{feff}id;name;demo\r\n");
        for m in result.members {
            let name = m.name.replace('"', "\"\"");
            out.push_str(&format!("{};\"{}\";{}\r\n", m.id, name, m.demo));
        }
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}.csv\"", record.id),
                ),
            ],
            out,
        )
            .into_response());
    }
    let limit: usize = params.integer("limit", 100, 0, 10_000)?;
    let offset: usize = params.integer("offset", 0, 0, 10_000_000)?;
    let result = state
        .magnets
        .read()
        .search(&q, record.kind, &[], limit, offset, 0)
        .map_err(eval_error)?;
    let demo = result.members.iter().any(|m| m.demo);
    Ok(Json(Noticed::new(result, demo)).into_response())
}
