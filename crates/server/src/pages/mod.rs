//! The public dashboard: server-rendered HTML pages over the same store and magnet
//! index as the JSON API.
//!
//! * Every page lives under a language prefix, `/fr/…` (the default) or `/en/…`, and
//!   keeps the whole state of the view in its query string (filters, facets, layer):
//!   a URL is a shareable view. The language chosen last is remembered in the
//!   `territoria_lang` cookie, which `/` reads.
//! * Pages are readable without JavaScript: charts and maps are inline SVG drawn on
//!   the server, each with a data table. A small script (`/assets/site.js`) only adds
//!   conveniences (copy a link, submit a filter on change, map tooltips).
//! * Every list, chart and map offers its data with `?format=csv|json|geojson` (CSV
//!   with `;` and a UTF-8 BOM); every figure names its source.
//! * Templates are in `crates/server/templates/`, embedded at compile time
//!   (minijinja); the interface's words are in [`i18n`].
//! * These routes are not part of the API's `ROUTES` (nor of the OpenAPI document):
//!   [`router`] lists them.

mod assets;
mod cache;
mod changes;
pub(crate) mod charts;
mod entity;
mod explorer;
mod export;
pub(crate) mod fmt;
mod geo;
mod i18n;
mod lever;
mod maps;
mod members;
mod near;
mod place;
mod report;
mod status;
pub(crate) mod status_data;
mod strategies;
mod strategy;
mod trend_chart;
mod watch;

use std::sync::LazyLock;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;
use territoria_model::{Labels, Provenance};

use crate::AppState;
use crate::error::ApiError;

pub(crate) use strategy::landing;

/// One word of the interface (for the other faces' pages).
pub(crate) fn i18n_word(lang: Lang, key: &str) -> &'static str {
    i18n::t(lang, key)
}

/// The interface languages. Labels in other languages (nl, de) are shown when the
/// interface language has none, marked with their `lang`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == s)
    }

    pub(crate) fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    fn model(self) -> territoria_model::Lang {
        match self {
            Lang::Fr => territoria_model::Lang::Fr,
            Lang::En => territoria_model::Lang::En,
        }
    }

    /// The language remembered by the cookie, French otherwise.
    pub fn from_cookie(headers: &HeaderMap) -> Lang {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().strip_prefix(COOKIE_NAME)?.strip_prefix('='))
            .find_map(Lang::parse)
            .unwrap_or(Lang::Fr)
    }
}

const COOKIE_NAME: &str = "territoria_lang";

/// The language is the first segment of the path (`/fr/actions`).
impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let first = parts.uri.path().trim_start_matches('/').split('/').next();
        first
            .and_then(Lang::parse)
            .ok_or_else(|| StatusCode::NOT_FOUND.into_response())
    }
}

/// The page routes (all `GET` but saving a magnet), for both languages.
pub fn router() -> Router<AppState> {
    let mut r = Router::new().route("/assets/{file}", get(assets::serve));
    for lang in Lang::ALL {
        let l = lang.code();
        r = r
            .route(&format!("/{l}"), get(strategy::to_home))
            .route(&format!("/{l}/"), get(strategy::home))
            .route(&format!("/{l}/ambitions/{{id}}"), get(strategy::ambition))
            .route(&format!("/{l}/programmes/{{id}}"), get(strategy::programme))
            .route(&format!("/{l}/leviers/{{id}}"), get(lever::page))
            .route(&format!("/{l}/strategies"), get(strategies::page))
            .route(
                &format!("/{l}/strategies/{{key}}/a-surveiller"),
                get(watch::page),
            )
            .route(
                &format!("/{l}/strategies/{{key}}/changements"),
                get(changes::page),
            )
            .route(
                &format!("/{l}/strategies/{{key}}/rapport"),
                get(report::page),
            )
            .route(&format!("/{l}/actions"), get(strategy::actions))
            .route(&format!("/{l}/actions/{{id}}"), get(strategy::action))
            .route(&format!("/{l}/explorer"), get(explorer::page))
            .route(&format!("/{l}/explorer/save"), post(explorer::save))
            .route(&format!("/{l}/map"), get(maps::map))
            .route(&format!("/{l}/near"), get(near::near))
            .route(&format!("/{l}/entities/{{kind}}/{{id}}"), get(entity::page));
    }
    r
}

// ---------------------------------------------------------------------------------
// Templates

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    // HTML escaping of `& < > " '` only: URLs keep their slashes readable.
    env.set_formatter(|out, state, value| {
        if matches!(state.auto_escape(), AutoEscape::Html)
            && !value.is_safe()
            && (value.as_str().is_some() || value.is_number())
        {
            out.write_str(&charts::escape(&value.to_string()))
                .map_err(|e| {
                    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
                })
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    for (name, source) in [
        ("base.html", include_str!("../../templates/base.html")),
        ("macros.html", include_str!("../../templates/macros.html")),
        ("home.html", include_str!("../../templates/home.html")),
        (
            "ambition.html",
            include_str!("../../templates/ambition.html"),
        ),
        ("lever.html", include_str!("../../templates/lever.html")),
        (
            "node_indicators.html",
            include_str!("../../templates/node_indicators.html"),
        ),
        (
            "node_programmes.html",
            include_str!("../../templates/node_programmes.html"),
        ),
        (
            "programme.html",
            include_str!("../../templates/programme.html"),
        ),
        ("actions.html", include_str!("../../templates/actions.html")),
        ("watch.html", include_str!("../../templates/watch.html")),
        ("changes.html", include_str!("../../templates/changes.html")),
        ("report.html", include_str!("../../templates/report.html")),
        ("action.html", include_str!("../../templates/action.html")),
        (
            "explorer.html",
            include_str!("../../templates/explorer.html"),
        ),
        ("map.html", include_str!("../../templates/map.html")),
        ("near.html", include_str!("../../templates/near.html")),
        ("entity.html", include_str!("../../templates/entity.html")),
        ("error.html", include_str!("../../templates/error.html")),
        (
            "account/login.html",
            include_str!("../../templates/account/login.html"),
        ),
        (
            "account/account.html",
            include_str!("../../templates/account/account.html"),
        ),
        (
            "account/bulk.html",
            include_str!("../../templates/account/bulk.html"),
        ),
        (
            "account/history.html",
            include_str!("../../templates/account/history.html"),
        ),
        (
            "account/edit.html",
            include_str!("../../templates/account/edit.html"),
        ),
        (
            "strategies.html",
            include_str!("../../templates/strategies.html"),
        ),
        (
            "account/new_strategy.html",
            include_str!("../../templates/account/new_strategy.html"),
        ),
        (
            "account/structure.html",
            include_str!("../../templates/account/structure.html"),
        ),
        (
            "account/terms.html",
            include_str!("../../templates/account/terms.html"),
        ),
        (
            "account/term.html",
            include_str!("../../templates/account/term.html"),
        ),
        (
            "digiscore/start.html",
            include_str!("../../templates/digiscore/start.html"),
        ),
        (
            "digiscore/assessment.html",
            include_str!("../../templates/digiscore/assessment.html"),
        ),
        (
            "digiscore/barometer.html",
            include_str!("../../templates/digiscore/barometer.html"),
        ),
        (
            "digiscore/support.html",
            include_str!("../../templates/digiscore/support.html"),
        ),
    ] {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("template {name}: {e:#}"));
    }
    // `{{ o.qualifier|qualifier }}`: a source's "plus de" reads "more than" on an English
    // page and "at least" reads "au moins" on a French one.
    env.add_filter(
        "qualifier",
        |state: &minijinja::State, q: String| -> String {
            let en = state
                .lookup("frame")
                .and_then(|f| f.get_attr("lang").ok())
                .is_some_and(|l| l.as_str() == Some("en"));
            fmt::qualifier(&q, if en { Lang::En } else { Lang::Fr })
        },
    );
    env
});

/// What every page shows around its content.
#[derive(Debug, Serialize)]
pub struct Frame {
    pub lang: &'static str,
    pub title: String,
    /// The current path and query without the language prefix (`actions?status=…`).
    pub here: String,
    /// The same view in the other language.
    pub switch_url: String,
    pub switch_lang: &'static str,
    /// Which navigation entry is current.
    pub section: &'static str,
    /// The page shows synthetic records: say so.
    pub demo: bool,
    /// Breadcrumb: (label, URL); the last one is the current page.
    pub crumbs: Vec<(String, String)>,
    /// Download links for the page's data: (format, URL).
    pub downloads: Vec<(&'static str, String)>,
    pub script: bool,
    /// When the data were last written ("mis à jour le"), in Belgian time.
    pub updated: Option<String>,
}

impl Frame {
    /// `path` is the page path after the language (`actions`), `query` the raw query.
    pub fn new(lang: Lang, title: impl Into<String>, path: &str, query: Option<&str>) -> Frame {
        let here = match query.filter(|q| !q.is_empty()) {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        };
        Frame {
            lang: lang.code(),
            title: title.into(),
            switch_url: format!("/{}/{here}", lang.other().code()),
            switch_lang: lang.other().code(),
            here,
            section: "",
            demo: false,
            crumbs: Vec::new(),
            downloads: Vec::new(),
            script: false,
            updated: None,
        }
    }

    /// The time of the last write to the data (an RFC 3339 instant).
    pub fn updated(mut self, at: Option<String>) -> Self {
        self.updated = at.as_deref().map(fmt::datetime);
        self
    }

    pub fn section(mut self, s: &'static str) -> Self {
        self.section = s;
        self
    }

    pub fn demo(mut self, demo: bool) -> Self {
        self.demo = demo;
        self
    }

    /// Download links for `csv`, `json` and optionally `geojson` of this very view.
    pub fn downloads(mut self, lang: Lang, geojson: bool) -> Self {
        let base = format!("/{}/{}", lang.code(), self.here);
        let sep = if base.contains('?') { '&' } else { '?' };
        let mut formats = vec!["csv", "json"];
        if geojson {
            formats.push("geojson");
        }
        self.downloads = formats
            .into_iter()
            .map(|f| (f, format!("{base}{sep}format={f}")))
            .collect();
        self
    }

    pub fn crumb(mut self, label: impl Into<String>, url: impl Into<String>) -> Self {
        self.crumbs.push((label.into(), url.into()));
        self
    }

    pub fn script(mut self) -> Self {
        self.script = true;
        self
    }
}

/// Renders `template` with the frame, the interface words (`t`) and the page's own
/// values (`page`); remembers the language in a cookie.
pub fn render(lang: Lang, template: &str, frame: Frame, page: impl Serialize) -> Response {
    render_status(StatusCode::OK, lang, template, frame, page)
}

pub(crate) fn render_status(
    status: StatusCode,
    lang: Lang,
    template: &str,
    frame: Frame,
    page: impl Serialize,
) -> Response {
    let ctx = minijinja::context! {
        frame => Value::from_serialize(&frame),
        t => Value::from_serialize(i18n::table(lang)),
        page => Value::from_serialize(&page),
    };
    let html = match TEMPLATES.get_template(template).and_then(|t| t.render(ctx)) {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), template, "template failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    )) {
        h.insert(header::SET_COOKIE, v);
    }
    res
}

// ---------------------------------------------------------------------------------
// Errors

/// A page that cannot be shown: an HTML page with the status of the underlying
/// [`ApiError`] (400 for a bad parameter, 404, 500) in the reader's language.
pub struct PageError {
    lang: Lang,
    error: ApiError,
    /// The message is already in the reader's language (else it is English).
    worded: bool,
}

impl PageError {
    pub fn new(lang: Lang, error: ApiError) -> Self {
        PageError {
            lang,
            error,
            worded: false,
        }
    }
    /// A bad parameter whose message is a sentence in the reader's language.
    pub fn said(lang: Lang, parameter: &str, sentence: impl Into<String>) -> Self {
        PageError {
            worded: true,
            ..Self::bad(lang, parameter, sentence)
        }
    }
    pub fn bad(lang: Lang, parameter: &str, message: impl Into<String>) -> Self {
        Self::new(lang, ApiError::bad_parameter(parameter, message))
    }
    pub fn not_found(lang: Lang, message: impl Into<String>) -> Self {
        Self::new(lang, ApiError::not_found(message))
    }
}

/// Attaches the reader's language to an API error.
pub trait InLang<T> {
    fn lang(self, lang: Lang) -> Result<T, PageError>;
}

impl<T> InLang<T> for Result<T, ApiError> {
    fn lang(self, lang: Lang) -> Result<T, PageError> {
        self.map_err(|e| PageError::new(lang, e))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        let message = match &self.error {
            ApiError::BadParameter { message, .. } if self.worded => message.clone(),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "page failed");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let lang = self.lang;
        let frame = Frame::new(lang, i18n::t(lang, "error"), "", None);
        #[derive(Serialize)]
        struct Page {
            status: u16,
            reason: &'static str,
            explain: &'static str,
            message: String,
            /// The detail's language when it is not the page's (details are English).
            message_lang: Option<&'static str>,
        }
        let (reason, explain) = place::error_words(status, lang);
        render_status(
            status,
            lang,
            "error.html",
            frame,
            Page {
                status: status.as_u16(),
                reason,
                explain,
                message_lang: (lang == Lang::Fr && !self.worded).then_some("en"),
                message: place::quoted(&message, lang),
            },
        )
    }
}

// ---------------------------------------------------------------------------------
// Small view models shared by the pages

/// A label in the reader's language, or in another one (then `lang` says which, for
/// screen readers and hyphenation).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Text {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<&'static str>,
}

pub fn text(labels: &Labels, lang: Lang) -> Text {
    if let Some(t) = labels.exact(lang.model()) {
        return Text {
            text: t.to_owned(),
            lang: None,
        };
    }
    for other in territoria_model::LANGS {
        if let Some(t) = labels.exact(other) {
            return Text {
                text: t.to_owned(),
                lang: Some(other.code()),
            };
        }
    }
    Text {
        text: labels.main().to_owned(),
        lang: None,
    }
}

/// The provenance of a fact, as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub source: String,
    pub date: Option<String>,
    pub inferred: bool,
    pub demo: bool,
    /// The source when it is a web address.
    pub url: Option<String>,
}

pub fn source(p: &Provenance) -> Source {
    Source {
        source: p.source.clone(),
        date: p.date.map(|d| fmt::date(&d.to_string())),
        inferred: p.inferred,
        demo: p.demo,
        url: (p.source.starts_with("https://") || p.source.starts_with("http://"))
            .then(|| p.source.clone()),
    }
}

/// `key=value` pairs → a query string (form-encoded).
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        for name in TEMPLATES.templates().map(|(n, _)| n) {
            assert!(TEMPLATES.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn cookie_picks_the_language() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::from_cookie(&h), Lang::Fr);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; territoria_lang=en"),
        );
        assert_eq!(Lang::from_cookie(&h), Lang::En);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("territoria_lang=xx"),
        );
        assert_eq!(Lang::from_cookie(&h), Lang::Fr);
    }

    #[test]
    fn labels_fall_back_with_their_language() {
        let l = Labels::fr("Économie");
        assert_eq!(text(&l, Lang::Fr).lang, None);
        assert_eq!(text(&l, Lang::En).lang, Some("fr"));
        assert_eq!(text(&l, Lang::En).text, "Économie");
    }
}
