//! The support catalogue next steps are drawn from — operators, aids and programmes with
//! their conditions — kept current by the agency: the latest version saved in the store
//! (`Op::DigiscoreSupport`), else the built-in file (`data/digiscore/support.toml`).
//! `GET /api/digiscore/support` shows it with its versions; `PUT` saves a new version
//! (editors of every strategy and administrators), checked by `territoria-digiscore`
//! (a mistake names its line and column, or the offer and field) and refused when
//! another save came first (409 with the version now).

use std::sync::{Arc, LazyLock};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use territoria_digiscore::support::{self, Support};
use territoria_store::{Op, Role, Store, StoreError, SupportVersion, WriteOptions};

use crate::AppState;
use crate::account::{Principal, Writer};
use crate::api::with_store;
use crate::error::ApiError;

pub const SUPPORT: &str = "/api/digiscore/support";

static BUILTIN: LazyLock<Arc<Support>> = LazyLock::new(|| Arc::new(support::builtin()));

/// The catalogue in use and its versions.
pub struct Catalogue {
    pub support: Arc<Support>,
    /// The saved version in use (`None`: the built-in file).
    pub in_use: Option<i64>,
    /// Its TOML text.
    pub body: String,
    /// Every saved version, oldest first.
    pub versions: Vec<SupportVersion>,
}

impl Catalogue {
    /// The version a new save starts from.
    pub fn latest(&self) -> Option<i64> {
        self.versions.last().map(|v| v.version)
    }
}

pub fn current(store: &dyn Store) -> Result<Catalogue, StoreError> {
    let versions = store.digiscore_support()?;
    if let Some(last) = versions.last() {
        let name = format!("support catalogue version {}", last.version);
        match support::parse(&name, &last.body) {
            Ok(s) => {
                return Ok(Catalogue {
                    support: Arc::new(s),
                    in_use: Some(last.version),
                    body: last.body.clone(),
                    versions,
                });
            }
            // Checked when saved; a later, stricter parser may refuse it: say so, and
            // keep recommending from the built-in file rather than from nothing.
            Err(e) => {
                tracing::error!(error = %e, "the saved support catalogue does not parse; the built-in file is used")
            }
        }
    }
    Ok(Catalogue {
        support: BUILTIN.clone(),
        in_use: None,
        body: support::BUILTIN_FILE.1.to_owned(),
        versions,
    })
}

/// Editors of every strategy and administrators keep the catalogue.
pub(crate) fn may_edit(p: &Principal) -> bool {
    !p.user.disabled
        && match p.user.role {
            Role::Admin => true,
            Role::Editor => p.user.strategy.is_none(),
            Role::Partner => false,
        }
}

/// Checks and saves `body` as the version after `base`; the new version.
pub fn save(
    store: &dyn Store,
    p: &Principal,
    base: Option<i64>,
    body: &str,
) -> Result<i64, ApiError> {
    if !may_edit(p) {
        return Err(ApiError::Forbidden(
            "the support catalogue is kept by editors of every strategy and administrators".into(),
        ));
    }
    support::parse("toml", body).map_err(|e| ApiError::bad_parameter("toml", e.to_string()))?;
    let mut records = std::iter::once(Ok(Op::DigiscoreSupport {
        base,
        body: body.to_owned(),
    }
    .into()));
    store.apply(
        &p.actor(),
        "edit the digiscore support catalogue",
        &mut records,
        &WriteOptions::default(),
        &mut |_| {},
    )?;
    Ok(base.unwrap_or(0) + 1)
}

fn shown(c: &Catalogue) -> Value {
    json!({
        "version": c.in_use,
        "source": if c.in_use.is_some() { "store" } else { "built-in" },
        "toml": c.body,
        "operators": c.support.operators,
        "aids": c.support.aids,
        "programmes": c.support.programmes,
        "versions": c.versions.iter().map(|v| json!({
            "version": v.version, "saved_by": v.actor, "saved_at": v.created_at,
        })).collect::<Vec<_>>(),
    })
}

/// `GET /api/digiscore/support`.
pub async fn read(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let c = with_store(&state, |s| Ok(current(s)?)).await?;
    Ok(Json(shown(&c)))
}

/// What `PUT /api/digiscore/support` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportPut {
    /// The saved version the edit started from (`null`: the built-in file).
    pub base_version: Option<i64>,
    /// The whole catalogue, as TOML (the shape of `data/digiscore/support.toml`).
    pub toml: String,
}

/// `PUT /api/digiscore/support`.
pub async fn write(
    State(state): State<AppState>,
    Writer(p): Writer,
    parsed: Result<Json<SupportPut>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(put) = parsed.map_err(|e| ApiError::bad_parameter("body", e.body_text()))?;
    let c = with_store(&state, move |s| {
        save(s, &p, put.base_version, &put.toml)?;
        Ok(current(s)?)
    })
    .await?;
    Ok((StatusCode::OK, Json(shown(&c))).into_response())
}
