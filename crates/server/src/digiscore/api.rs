//! Digiscore's JSON API: the questionnaires, the published barometer, and an assessment's
//! whole life at its private link — start, answer (in as many calls as wanted), finish,
//! read the result with peers and next steps, reassess, delete. The same rules as the
//! pages: the secret is the capability (the store keeps its digest), answers are checked
//! against the questionnaire version the assessment was started with, no comparison
//! below the anonymity threshold leaves the server, every write goes through
//! `Store::apply`. Answers carry `Cache-Control: no-store`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use territoria_digiscore::peers::{self, PeerPosition};
use territoria_digiscore::profile::{Profile, SizeClass};
use territoria_digiscore::questionnaire::{self, Questionnaire};
use territoria_digiscore::scoring::{self, Scores};
use territoria_digiscore::support;
use territoria_store::{Op, StoredAssessment, WriteOptions};

use super::{QUESTIONNAIRES, answered, lookup, started, view, write};
use crate::AppState;
use crate::api::with_store;
use crate::error::ApiError;
use crate::pages::Lang;

pub const QUESTIONNAIRES_PATH: &str = "/api/digiscore/questionnaires";
pub const BAROMETER: &str = "/api/digiscore/barometer";
pub const ASSESSMENTS: &str = "/api/digiscore/assessments";
pub const ASSESSMENT: &str = "/api/digiscore/assessments/{secret}";
pub const REASSESS: &str = "/api/digiscore/assessments/{secret}/reassess";

/// The routes of this face that the OpenAPI document describes.
pub const ROUTES: [&str; 6] = [
    QUESTIONNAIRES_PATH,
    BAROMETER,
    ASSESSMENTS,
    ASSESSMENT,
    REASSESS,
    super::offers::SUPPORT,
];

fn private(status: StatusCode, body: Value) -> Response {
    let mut res = (status, Json(body)).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

fn unknown() -> ApiError {
    ApiError::not_found(
        "no assessment at this private link (it may have been deleted, or the link altered)",
    )
}

async fn assessment_of(
    state: &AppState,
    secret: &str,
) -> Result<(StoredAssessment, &'static Questionnaire), ApiError> {
    lookup(state, secret).await?.ok_or_else(unknown)
}

/// `GET /api/digiscore/questionnaires`: every served version, with options and scores
/// (the scoring formula is in docs/digiscore.md).
pub async fn questionnaires() -> Json<Value> {
    Json(json!({ "questionnaires": *QUESTIONNAIRES }))
}

/// What `POST /api/digiscore/assessments` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAssessment {
    pub questionnaire: String,
    #[serde(default)]
    pub kbo: Option<String>,
    pub nace: String,
    pub size: String,
    #[serde(default)]
    pub municipality: Option<String>,
}

fn body<T: serde::de::DeserializeOwned>(
    parsed: Result<Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, ApiError> {
    parsed
        .map(|Json(x)| x)
        .map_err(|e| ApiError::bad_parameter("body", e.body_text()))
}

/// `POST /api/digiscore/assessments`: a new assessment; its secret is in this answer only.
pub async fn start(
    State(state): State<AppState>,
    parsed: Result<Json<NewAssessment>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let n = body(parsed)?;
    let form = view::StartForm {
        questionnaire: n.questionnaire,
        kbo: n.kbo.unwrap_or_default(),
        nace: n.nace,
        size: n.size,
        municipality: n.municipality.unwrap_or_default(),
    };
    let checked = view::check_start(&QUESTIONNAIRES, &form, Lang::En).map_err(|errors| {
        ApiError::Invalid(vec![json!({
            "location": "body",
            "record": "assessment",
            "errors": errors.iter().map(|(f, m)| json!({"field": f, "message": m})).collect::<Vec<_>>(),
            "message": errors.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join(" "),
        })])
    })?;
    let secret = territoria_auth::secret().map_err(ApiError::internal)?;
    write(
        &state,
        started(checked, &secret),
        "start a digiscore assessment",
    )
    .await?;
    let (a, q) = assessment_of(&state, &secret).await?;
    let mut out = state_of(&state, q, &a).await?;
    out["secret"] = json!(secret);
    out["links"] = links(&secret);
    Ok(private(StatusCode::CREATED, out))
}

/// `GET /api/digiscore/assessments/{secret}`.
pub async fn read(
    State(state): State<AppState>,
    Path(secret): Path<String>,
) -> Result<Response, ApiError> {
    let (a, q) = assessment_of(&state, &secret).await?;
    Ok(private(StatusCode::OK, state_of(&state, q, &a).await?))
}

/// What `PATCH /api/digiscore/assessments/{secret}` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswersPatch {
    /// Question id → option id; merged into the answers already given.
    #[serde(default)]
    pub answers: std::collections::BTreeMap<String, String>,
    /// Score and close the assessment (every question must then be answered).
    #[serde(default)]
    pub finish: bool,
}

/// `PATCH /api/digiscore/assessments/{secret}`: answers, and finishing. Nothing is
/// written when any answer is refused, or when `finish` is asked with questions left.
pub async fn answer(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    parsed: Result<Json<AnswersPatch>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let (a, q) = assessment_of(&state, &secret).await?;
    let patch = body(parsed)?;
    if a.completed_at.is_some() {
        return Err(ApiError::Conflict {
            message: "this assessment is finished and keeps its answers; reassess (POST …/reassess) to answer again".into(),
            current_version: None,
        });
    }
    let mut answers = view::stored_answers(q, &a);
    for (question, option) in &patch.answers {
        answers
            .answer(q, question, option)
            .map_err(|e| ApiError::bad_parameter(format!("answers.{question}"), e.to_string()))?;
    }
    let scores = if patch.finish {
        let missing = answers.missing(q);
        if !missing.is_empty() {
            return Err(ApiError::Invalid(vec![json!({
                "location": "body",
                "record": "answers",
                "errors": missing.iter().map(|id| json!({"field": format!("answers.{id}"), "message": "unanswered"})).collect::<Vec<_>>(),
                "message": format!("{} question(s) unanswered, first {}; nothing was saved", missing.len(), missing[0]),
            })]));
        }
        Some(
            scoring::score(q, &answers)
                .map_err(|e| ApiError::bad_parameter("answers", e.to_string()))?,
        )
    } else {
        None
    };
    write(
        &state,
        answered(&a, &answers, scores.as_ref())?,
        "save digiscore answers",
    )
    .await?;
    let (a, q) = assessment_of(&state, &secret).await?;
    Ok(private(StatusCode::OK, state_of(&state, q, &a).await?))
}

/// `DELETE /api/digiscore/assessments/{secret}`: gone for good.
pub async fn delete(
    State(state): State<AppState>,
    Path(secret): Path<String>,
) -> Result<Response, ApiError> {
    let (a, _) = assessment_of(&state, &secret).await?;
    let link_hash = a.link_hash;
    with_store(&state, move |s| {
        let mut records = std::iter::once(Ok(Op::DigiscoreDelete { link_hash }.into()));
        s.apply(
            "digiscore",
            "delete a digiscore assessment",
            &mut records,
            &WriteOptions::default(),
            &mut |_| {},
        )?;
        Ok(())
    })
    .await?;
    Ok(private(StatusCode::NO_CONTENT, Value::Null).into_response())
}

/// `POST /api/digiscore/assessments/{secret}/reassess`: T1 after T0, in the same
/// series, with today's questionnaire version, at a new private link.
pub async fn reassess(
    State(state): State<AppState>,
    Path(secret): Path<String>,
) -> Result<Response, ApiError> {
    let (a, q) = assessment_of(&state, &secret).await?;
    if a.completed_at.is_none() {
        return Err(ApiError::Conflict {
            message: "this assessment is not finished yet: finish it before reassessing".into(),
            current_version: None,
        });
    }
    let q = questionnaire::latest(&QUESTIONNAIRES, &q.id).unwrap_or(q);
    let next = territoria_auth::secret().map_err(ApiError::internal)?;
    let mut record = started(
        view::Start {
            questionnaire: q.id.clone(),
            version: q.version,
            kbo: a.kbo.clone(),
            nace: a.nace_section.clone(),
            size: SizeClass::parse(&a.size_class).unwrap_or(SizeClass::Micro),
            municipality: a.municipality.clone(),
        },
        &next,
    );
    record.series = a.series.clone();
    record.size_class = a.size_class.clone();
    record.demo = a.demo;
    write(&state, record, "reassess a digiscore assessment").await?;
    let (b, q) = assessment_of(&state, &next).await?;
    let mut out = state_of(&state, q, &b).await?;
    out["secret"] = json!(next);
    out["links"] = links(&next);
    Ok(private(StatusCode::CREATED, out))
}

/// The private link's pages (given once, with the secret).
fn links(secret: &str) -> Value {
    json!({
        "fr": format!("/fr/digiscore/a/{secret}"),
        "en": format!("/en/digiscore/a/{secret}"),
        "api": ASSESSMENT.replace("{secret}", secret),
    })
}

/// An assessment as the API shows it.
async fn state_of(
    state: &AppState,
    q: &'static Questionnaire,
    a: &StoredAssessment,
) -> Result<Value, ApiError> {
    let answers = view::stored_answers(q, a);
    let (completed, series, offers) = if a.completed_at.is_some() {
        let (questionnaire, series) = (a.questionnaire.clone(), a.series.clone());
        with_store(state, move |s| {
            Ok((
                s.digiscore_completed(&questionnaire)?,
                s.digiscore_series(&series)?,
                super::offers::current(s)?.support,
            ))
        })
        .await?
    } else {
        (Vec::new(), Vec::new(), Default::default())
    };
    let result = match (&a.completed_at, scoring::score(q, &answers)) {
        (Some(_), Ok(scores)) => Some(result(q, &scores, a, &completed, &series, &offers)),
        _ => None,
    };
    Ok(json!({
        "questionnaire": q.id,
        "questionnaire_version": q.version,
        "profile": {
            "kbo": a.kbo,
            "nace_section": a.nace_section,
            "size": a.size_class,
            "municipality": a.municipality,
        },
        "answers": answers.choices,
        "missing": answers.missing(q),
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "completed_at": a.completed_at,
        "result": result,
        "demo": a.demo,
    }))
}

fn result(
    q: &Questionnaire,
    scores: &Scores,
    a: &StoredAssessment,
    completed: &[StoredAssessment],
    series: &[StoredAssessment],
    offers: &support::Support,
) -> Value {
    let band = q.band(scores.overall);
    let peers = match peers::position(scores.overall, &super::result::peer_scores(a, completed)) {
        PeerPosition::Shown { percentile, peers } => json!({
            "shown": true, "percentile": percentile, "peers": peers,
            "threshold": peers::MIN_PEERS, "synthetic": a.demo,
        }),
        PeerPosition::TooFew => json!({
            "shown": false, "threshold": peers::MIN_PEERS, "synthetic": a.demo,
        }),
    };
    let steps: Vec<Value> = SizeClass::parse(&a.size_class)
        .map(|size| {
            let profile = Profile {
                audience: q.audience,
                nace_section: a.nace_section.clone(),
                size,
                municipality: a.municipality.clone(),
            };
            support::next_steps(q, scores, &profile, offers, 3)
                .into_iter()
                .map(|s| {
                    json!({
                        "axis": s.axis, "axis_name": s.axis_name, "score": s.score,
                        "advice": s.advice, "programme": s.programme, "aid": s.aid,
                        "operator": s.operator,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let previous = super::result::previous(a, series).map(|p| {
        json!({
            "overall": p.overall,
            "axes": super::result::stored_axes(p),
            "completed_at": p.completed_at,
        })
    });
    json!({
        "overall": scores.overall,
        "axes": scores.axes,
        "band": {"id": band.id, "label": band.label, "interpretation": band.interpretation},
        "peers": peers,
        "next_steps": steps,
        "previous": previous,
    })
}
