//! Digiscore, the digital-maturity self-assessment: the start page, the questionnaire
//! at its private link and the result.
//!
//! * An assessment is reached only by its private link `/{lang}/digiscore/a/{secret}`;
//!   the store keeps the SHA-256 of the secret ([`territoria_auth::digest`]), never the
//!   secret. An unknown or altered link is a 404 that says so.
//! * Answers are checked against the exact questionnaire version the assessment was
//!   started with; scoring, bands and validation are `territoria-digiscore`'s.
//! * Every write goes through `Store::apply` (`Op::DigiscoreAssessment`).
//! * No account and no session: the link is the capability. The forms therefore carry no
//!   CSRF token — a forged request cannot name an assessment without its secret.

pub mod api;
pub mod barometer;
pub mod offers;
pub(crate) mod offers_page;
pub(crate) mod openapi;
mod result;
mod view;

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Form, Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use territoria_digiscore::questionnaire::{self, Questionnaire};
use territoria_store::{DigiscoreRecord, Op, StoreError, StoredAssessment, WriteOptions};

use crate::AppState;
use crate::api::with_store;
use crate::error::ApiError;
use crate::pages::{Frame, InLang, Lang, PageError, render, render_status};

/// The questionnaires served (the built-in ones, `data/digiscore/*.toml`).
static QUESTIONNAIRES: LazyLock<Vec<Questionnaire>> = LazyLock::new(questionnaire::builtin);

pub fn router() -> Router<AppState> {
    let mut r = Router::new()
        .route(api::QUESTIONNAIRES_PATH, get(api::questionnaires))
        .route(api::BAROMETER, get(barometer_json))
        .route(api::ASSESSMENTS, post(api::start))
        .route(
            api::ASSESSMENT,
            get(api::read).patch(api::answer).delete(api::delete),
        )
        .route(api::REASSESS, post(api::reassess))
        .route(offers::SUPPORT, get(offers::read).put(offers::write));
    for lang in Lang::ALL {
        r = r.route(barometer::path(lang), get(barometer_page)).route(
            offers_page::path(lang),
            get(offers_page::support_page).post(offers_page::save_support),
        );
        let l = lang.code();
        r = r
            .route(&format!("/{l}/digiscore"), get(start_page).post(start))
            .route(
                &format!("/{l}/digiscore/a/{{secret}}"),
                get(assessment).post(save),
            )
            .route(
                &format!("/{l}/digiscore/a/{{secret}}/reassess"),
                post(reassess),
            )
            .route(&format!("/{l}/digiscore/a/{{secret}}/delete"), post(delete));
    }
    r
}

fn frame(lang: Lang, title: &str, path: &str) -> Frame {
    Frame::new(lang, title, path, None).crumb(
        view::words(lang)["title"],
        format!("/{}/digiscore", lang.code()),
    )
}

async fn start_page(lang: Lang, RawQuery(query): RawQuery) -> Response {
    let mut page = view::start_page(
        &QUESTIONNAIRES,
        &view::StartForm::default(),
        Vec::new(),
        lang,
    );
    page.deleted = query.as_deref() == Some("deleted=1");
    render(
        lang,
        "digiscore/start.html",
        frame(lang, page.w["title"], "digiscore"),
        page,
    )
}

/// Creates an assessment with a fresh private link and sends the reader to it.
async fn start(
    State(state): State<AppState>,
    lang: Lang,
    Form(form): Form<view::StartForm>,
) -> Result<Response, PageError> {
    let checked = match view::check_start(&QUESTIONNAIRES, &form, lang) {
        Ok(s) => s,
        Err(errors) => {
            let page = view::start_page(&QUESTIONNAIRES, &form, errors, lang);
            let f = frame(lang, page.w["title"], "digiscore");
            return Ok(render_status(
                StatusCode::BAD_REQUEST,
                lang,
                "digiscore/start.html",
                f,
                page,
            ));
        }
    };
    let secret = territoria_auth::secret()
        .map_err(ApiError::internal)
        .lang(lang)?;
    let record = started(checked, &secret);
    write(&state, record, "start a digiscore assessment")
        .await
        .lang(lang)?;
    Ok(see_other(&format!("/{}/digiscore/a/{secret}", lang.code())))
}

/// The barometer page: every questionnaire's published aggregates.
async fn barometer_page(State(state): State<AppState>, lang: Lang) -> Result<Response, PageError> {
    let all = with_store(&state, |s| Ok(barometer::all(s)?))
        .await
        .lang(lang)?;
    let questionnaires = barometer::view(&all, lang);
    let w = view::words(lang);
    let mut f = Frame::new(
        lang,
        w["barometer"],
        barometer::path(lang).trim_start_matches(&format!("/{}/", lang.code())[..]),
        None,
    )
    .crumb(w["title"], format!("/{}/digiscore", lang.code()));
    f.switch_url = barometer::path(lang.other()).to_owned();
    f.demo = questionnaires.iter().any(|q| q.synthetic);
    Ok(render(
        lang,
        "digiscore/barometer.html",
        f,
        serde_json::json!({
            "w": w,
            "questionnaires": questionnaires,
            "threshold": barometer::THRESHOLD,
            "dataset": format!("/api/explore/v2.1/catalog/datasets/{}/exports/csv", barometer::DATASET),
            "api": "/api/digiscore/barometer",
        }),
    ))
}

/// `GET /api/digiscore/barometer`: every published aggregate (real and synthetic
/// populations apart, each flagged), nothing below the anonymity threshold.
async fn barometer_json(State(state): State<AppState>) -> Result<Response, ApiError> {
    let all = with_store(&state, |s| Ok(barometer::all(s)?)).await?;
    Ok(axum::Json(serde_json::json!({
        "threshold": barometer::THRESHOLD,
        "rule": "No group of fewer than 10 assessments, also not by difference (primary, \
                 secondary and nesting suppression); the latest finished assessment of each \
                 series counts; real and synthetic assessments are never mixed.",
        "barometers": all,
    }))
    .into_response())
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

async fn write(
    state: &AppState,
    record: DigiscoreRecord,
    what: &'static str,
) -> Result<(), ApiError> {
    with_store(state, move |s| {
        let mut records = std::iter::once(Ok(Op::DigiscoreAssessment(Box::new(record)).into()));
        match s.apply(
            "digiscore",
            what,
            &mut records,
            &WriteOptions::default(),
            &mut |_| {},
        ) {
            Ok(_) => Ok(()),
            Err(StoreError::Invalid(errors)) => {
                let e = &errors[0].errors.0[0];
                Err(ApiError::bad_parameter(e.field.clone(), e.message.clone()))
            }
            Err(other) => Err(other.into()),
        }
    })
    .await
}

/// The assessment behind a private link with its questionnaire, or the 404 that says
/// the link is unknown.
async fn find(
    state: &AppState,
    secret: &str,
    lang: Lang,
) -> Result<(StoredAssessment, &'static Questionnaire), PageError> {
    let found = lookup(state, secret).await.lang(lang)?;
    let unknown = || {
        PageError::not_found(
            lang,
            match lang {
                Lang::Fr => {
                    "Ce lien d’évaluation n’existe pas ou plus : vérifiez l'adresse reçue, ou commencez une nouvelle évaluation."
                }
                Lang::En => {
                    "This assessment link does not exist (any more): check the address you were given, or start a new assessment."
                }
            },
        )
    };
    found.ok_or_else(unknown)
}

/// The assessment behind a private link (the store is asked for the secret's digest
/// only) with the exact questionnaire version it was started with.
async fn lookup(
    state: &AppState,
    secret: &str,
) -> Result<Option<(StoredAssessment, &'static Questionnaire)>, ApiError> {
    let hash = territoria_auth::digest(secret);
    let Some(a) = with_store(state, move |s| Ok(s.digiscore_assessment(&hash)?)).await? else {
        return Ok(None);
    };
    let Ok(version) = u32::try_from(a.questionnaire_version) else {
        return Ok(None);
    };
    let q = questionnaire::find(&QUESTIONNAIRES, &a.questionnaire, version).ok_or_else(|| {
        ApiError::internal(format!(
            "assessment's questionnaire {}@{version} is not served",
            a.questionnaire
        ))
    })?;
    Ok(Some((a, q)))
}

/// A new assessment at the private link `secret`: no answer yet.
fn started(checked: view::Start, secret: &str) -> DigiscoreRecord {
    let hash = territoria_auth::digest(secret);
    DigiscoreRecord {
        link_hash: hash.clone(),
        series: hash,
        questionnaire: checked.questionnaire,
        questionnaire_version: i64::from(checked.version),
        kbo: checked.kbo,
        nace_section: checked.nace,
        size_class: checked.size.code().to_owned(),
        municipality: checked.municipality,
        answers: "{}".to_owned(),
        overall: None,
        axes: None,
        completed_at: None,
        demo: false,
    }
}

/// `a` with `answers`, finished now when `scores` are given.
fn answered(
    a: &StoredAssessment,
    answers: &territoria_digiscore::answers::Answers,
    scores: Option<&territoria_digiscore::scoring::Scores>,
) -> Result<DigiscoreRecord, ApiError> {
    Ok(DigiscoreRecord {
        link_hash: a.link_hash.clone(),
        series: a.series.clone(),
        questionnaire: a.questionnaire.clone(),
        questionnaire_version: a.questionnaire_version,
        kbo: a.kbo.clone(),
        nace_section: a.nace_section.clone(),
        size_class: a.size_class.clone(),
        municipality: a.municipality.clone(),
        answers: serde_json::to_string(&answers.choices).map_err(ApiError::internal)?,
        overall: scores.map(|s| s.overall),
        axes: scores
            .map(|s| serde_json::to_string(&s.axes))
            .transpose()
            .map_err(ApiError::internal)?,
        completed_at: scores.map(|_| territoria_auth::now_text()),
        demo: a.demo,
    })
}

/// What the questionnaire page says above the form.
enum Message {
    None,
    Saved,
    Error(String),
}

fn show(
    status: StatusCode,
    lang: Lang,
    mut page: view::AssessmentPage,
    message: Message,
) -> Response {
    match message {
        Message::None => {}
        Message::Saved => page.notice = Some(page.w["saved"].to_owned()),
        Message::Error(e) => page.error = Some(e),
    }
    let f = frame(lang, &page.title.clone(), "digiscore").demo(page.demo);
    let mut res = render_status(status, lang, "digiscore/assessment.html", f, page);
    // The address is a secret: keep it out of caches and of other sites' referrers.
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    h.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    res
}

async fn assessment(
    State(state): State<AppState>,
    lang: Lang,
    Path(secret): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let (a, q) = find(&state, &secret, lang).await?;
    let answers = view::stored_answers(q, &a);
    let message = if query.as_deref() == Some("saved=1") && a.completed_at.is_none() {
        Message::Saved
    } else {
        Message::None
    };
    let ctx = context(&state, &a, lang).await?;
    let res = show(
        StatusCode::OK,
        lang,
        view::assessment_page(q, &a, &answers, &secret, &ctx, lang),
        message,
    );
    Ok(res)
}

/// Saves the answers sent; with `action=finish` and every question answered, scores them.
async fn save(
    State(state): State<AppState>,
    lang: Lang,
    Path(secret): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (a, q) = find(&state, &secret, lang).await?;
    let here = format!("/{}/digiscore/a/{secret}", lang.code());
    if a.completed_at.is_some() {
        // A finished assessment keeps its answers (a new one is a reassessment).
        return Ok(see_other(&here));
    }
    let base = view::stored_answers(q, &a);
    let answers = match view::read_answers(q, base.clone(), &pairs) {
        Ok(x) => x,
        Err(e) => {
            return Ok(show(
                StatusCode::BAD_REQUEST,
                lang,
                view::assessment_page(q, &a, &base, &secret, &view::Context::default(), lang),
                Message::Error(e),
            ));
        }
    };
    let finish = pairs.iter().any(|(k, v)| k == "action" && v == "finish");
    let scores = finish
        .then(|| territoria_digiscore::scoring::score(q, &answers))
        .and_then(Result::ok);
    let record = answered(&a, &answers, scores.as_ref()).lang(lang)?;
    write(&state, record, "save digiscore answers")
        .await
        .lang(lang)?;
    if finish && scores.is_none() {
        let missing = answers.missing(q);
        let first = missing
            .first()
            .and_then(|id| q.question(id))
            .map(|(_, qu)| qu.text.get(lang.code()).to_owned())
            .unwrap_or_default();
        let message = match lang {
            Lang::Fr => format!(
                "Vos réponses sont enregistrées, mais il reste {} question(s) sans réponse, dont « {first} ».",
                missing.len()
            ),
            Lang::En => format!(
                "Your answers are saved, but {} question(s) are still unanswered, among them “{first}”.",
                missing.len()
            ),
        };
        let (a, _) = find(&state, &secret, lang).await?;
        return Ok(show(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang,
            view::assessment_page(q, &a, &answers, &secret, &view::Context::default(), lang),
            Message::Error(message),
        ));
    }
    if finish {
        Ok(see_other(&here))
    } else {
        Ok(see_other(&format!("{here}?saved=1")))
    }
}

/// The comparisons of a finished assessment (none for one in progress).
async fn context(
    state: &AppState,
    a: &StoredAssessment,
    lang: Lang,
) -> Result<view::Context, PageError> {
    if a.completed_at.is_none() {
        return Ok(view::Context::default());
    }
    let (questionnaire, series) = (a.questionnaire.clone(), a.series.clone());
    with_store(state, move |s| {
        Ok(view::Context {
            completed: s.digiscore_completed(&questionnaire)?,
            series: s.digiscore_series(&series)?,
            support: offers::current(s)?.support,
        })
    })
    .await
    .lang(lang)
}

/// Starts a new assessment of the same organisation in the same series (T1 after T0),
/// at a new private link.
async fn reassess(
    State(state): State<AppState>,
    lang: Lang,
    Path(secret): Path<String>,
) -> Result<Response, PageError> {
    let (a, q) = find(&state, &secret, lang).await?;
    // The latest version of the questionnaire: a reassessment answers today's questions.
    let q = questionnaire::latest(&QUESTIONNAIRES, &q.id).unwrap_or(q);
    let next = territoria_auth::secret()
        .map_err(ApiError::internal)
        .lang(lang)?;
    let record = DigiscoreRecord {
        link_hash: territoria_auth::digest(&next),
        series: a.series,
        questionnaire: q.id.clone(),
        questionnaire_version: i64::from(q.version),
        kbo: a.kbo,
        nace_section: a.nace_section,
        size_class: a.size_class,
        municipality: a.municipality,
        answers: "{}".to_owned(),
        overall: None,
        axes: None,
        completed_at: None,
        demo: a.demo,
    };
    write(&state, record, "reassess a digiscore assessment")
        .await
        .lang(lang)?;
    Ok(see_other(&format!("/{}/digiscore/a/{next}", lang.code())))
}

/// Deletes the assessment behind the link (its answers and scores are gone for good).
async fn delete(
    State(state): State<AppState>,
    lang: Lang,
    Path(secret): Path<String>,
) -> Result<Response, PageError> {
    let (a, _) = find(&state, &secret, lang).await?;
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
    .await
    .lang(lang)?;
    Ok(see_other(&format!("/{}/digiscore?deleted=1", lang.code())))
}

/// Retention: deletes every real assessment last updated more than `days` days before
/// `now` (its answers and scores; demo assessments stay). Returns how many went.
pub fn purge(
    store: &dyn territoria_store::Store,
    days: u32,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64, StoreError> {
    let before = (now - chrono::Duration::days(i64::from(days)))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut records = std::iter::once(Ok(Op::DigiscorePurge { before }.into()));
    let report = store.apply(
        "digiscore",
        &format!("digiscore retention ({days} days)"),
        &mut records,
        &WriteOptions::default(),
        &mut |_| {},
    )?;
    Ok(report
        .inserted
        .get("digiscore_assessment_purged")
        .or_else(|| report.updated.get("digiscore_assessment_purged"))
        .copied()
        .unwrap_or(0))
}
