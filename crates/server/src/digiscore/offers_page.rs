//! The support catalogue's page, `/fr/digiscore/accompagnement` (`/en/digiscore/support`):
//! every operator, aid and programme next steps may point to, with its conditions, source
//! and whether the conditions are Territoria's summary; the versions saved, by whom and
//! when. Editors of every strategy and administrators get the catalogue as TOML in a form
//! (CSRF-checked, the same checks as `PUT /api/digiscore/support`): a mistake comes back
//! with its line and column and the text kept; a save made by someone else meanwhile
//! comes back as a 409 with both texts, so nothing is overwritten unseen.

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use territoria_digiscore::profile::province_label;
use territoria_digiscore::support::{Conditions, Offer};

use super::offers::{self, Catalogue};
use super::view;
use crate::AppState;
use crate::account::pages::{base_version, csrf_of, require};
use crate::account::{MaybeSignedIn, Principal};
use crate::api::with_store;
use crate::error::ApiError;
use crate::pages::{Frame, InLang, Lang, PageError, fmt, render_status};

pub fn path(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "/fr/digiscore/accompagnement",
        Lang::En => "/en/digiscore/support",
    }
}

/// One offer as the page lists it.
#[derive(Debug, Serialize, PartialEq)]
pub struct OfferRow {
    pub id: String,
    pub name: String,
    pub url: String,
    pub topics: String,
    /// The conditions in words (`None`: no restriction).
    pub conditions: Option<String>,
    pub source: Option<String>,
    pub note: Option<String>,
    pub inferred: bool,
}

#[derive(Debug, Serialize)]
pub struct Group {
    pub key: &'static str,
    pub title: &'static str,
    pub offers: Vec<OfferRow>,
}

#[derive(Debug, Serialize)]
pub struct VersionRow {
    pub version: i64,
    pub saved_by: String,
    pub saved_at: String,
    pub in_use: bool,
}

/// The editing form, when the reader may edit.
#[derive(Debug, Serialize)]
pub struct Editor {
    pub csrf: String,
    /// The version the text started from (empty: the built-in file).
    pub base: String,
    pub toml: String,
    /// The version saved meanwhile by someone else, shown beside the reader's text.
    pub theirs: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Page {
    pub w: std::collections::BTreeMap<&'static str, &'static str>,
    pub action: &'static str,
    pub groups: Vec<Group>,
    pub versions: Vec<VersionRow>,
    /// The catalogue in use is the built-in file.
    pub builtin: bool,
    pub editor: Option<Editor>,
    /// Whether the reader is signed in (without the right to edit, the page says so).
    pub signed_in: bool,
    pub login: String,
    pub saved: Option<i64>,
    pub error: Option<String>,
}

/// The conditions of an offer in words, `None` when it has none.
pub fn conditions_text(c: &Conditions, lang: Lang) -> Option<String> {
    let en = lang == Lang::En;
    let code = lang.code();
    let mut parts = Vec::new();
    if let Some(a) = &c.audience {
        let who: Vec<&str> = a
            .iter()
            .map(|a| match (a, en) {
                (territoria_digiscore::profile::Audience::Company, false) => "entreprises",
                (territoria_digiscore::profile::Audience::Company, true) => "companies",
                (territoria_digiscore::profile::Audience::Public, false) => "secteur public",
                (territoria_digiscore::profile::Audience::Public, true) => "public sector",
            })
            .collect();
        parts.push(format!(
            "{} {}",
            if en { "for" } else { "pour" },
            who.join(", ")
        ));
    }
    if let Some(s) = &c.sizes {
        let sizes: Vec<&str> = s.iter().map(|s| s.label(code)).collect();
        parts.push(format!(
            "{} {}",
            if en { "sizes:" } else { "tailles :" },
            sizes.join(", ")
        ));
    }
    if let Some(n) = &c.nace_sections {
        parts.push(format!(
            "{} {}",
            if en { "NACE sections" } else { "sections NACE" },
            n.join(", ")
        ));
    }
    if !c.exclude_nace_sections.is_empty() {
        parts.push(format!(
            "{} {}",
            if en {
                "except NACE sections"
            } else {
                "sauf sections NACE"
            },
            c.exclude_nace_sections.join(", ")
        ));
    }
    if let Some(p) = &c.provinces {
        let names: Vec<&str> = p
            .iter()
            .map(|p| province_label(p, code).unwrap_or(p))
            .collect();
        parts.push(format!(
            "{} {}",
            if en { "provinces:" } else { "provinces :" },
            names.join(", ")
        ));
    }
    (!parts.is_empty()).then(|| parts.join(if en { "; " } else { " ; " }))
}

fn row(o: &Offer, lang: Lang) -> OfferRow {
    OfferRow {
        id: o.id.clone(),
        name: o.name.get(lang.code()).to_owned(),
        url: o.url.clone(),
        topics: o.topics.join(", "),
        conditions: conditions_text(&o.conditions, lang),
        source: o.source.clone(),
        note: o.note.clone(),
        inferred: o.inferred,
    }
}

/// The page for catalogue `c`, read by `who`.
pub fn page(c: &Catalogue, who: Option<&Principal>, lang: Lang) -> Page {
    let w = view::words(lang);
    let groups = [
        ("programmes", w["sup_programmes"], &c.support.programmes),
        ("aids", w["sup_aids"], &c.support.aids),
        ("operators", w["sup_operators"], &c.support.operators),
    ]
    .into_iter()
    .map(|(key, title, offers)| Group {
        key,
        title,
        offers: offers.iter().map(|o| row(o, lang)).collect(),
    })
    .collect();
    let versions = c
        .versions
        .iter()
        .rev()
        .map(|v| VersionRow {
            version: v.version,
            saved_by: v.actor.clone(),
            saved_at: fmt::datetime(&v.created_at),
            in_use: Some(v.version) == c.in_use,
        })
        .collect();
    let editor = who.filter(|p| offers::may_edit(p)).map(|p| Editor {
        csrf: csrf_of(p),
        base: c.latest().map(|v| v.to_string()).unwrap_or_default(),
        toml: c.body.clone(),
        theirs: None,
    });
    Page {
        w,
        action: path(lang),
        groups,
        versions,
        builtin: c.in_use.is_none(),
        editor,
        signed_in: who.is_some(),
        login: format!(
            "{}?next={}",
            crate::account::words::path(lang, "login"),
            path(lang)
        ),
        saved: None,
        error: None,
    }
}

fn frame(lang: Lang, demo: bool) -> Frame {
    let w = view::words(lang);
    let mut f = Frame::new(
        lang,
        w["sup_title"],
        path(lang).trim_start_matches(&format!("/{}/", lang.code())[..]),
        None,
    )
    .crumb(w["title"], format!("/{}/digiscore", lang.code()));
    f.switch_url = path(lang.other()).to_owned();
    f.demo = demo;
    f
}

fn show(status: StatusCode, lang: Lang, page: Page) -> Response {
    render_status(
        status,
        lang,
        "digiscore/support.html",
        frame(lang, false),
        page,
    )
}

#[derive(Debug, Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<i64>,
}

/// `GET`: the catalogue, and the form for those who keep it.
pub async fn support_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let c = with_store(&state, |s| Ok(offers::current(s)?))
        .await
        .lang(lang)?;
    let mut p = page(&c, who.as_ref(), lang);
    p.saved = q.saved;
    Ok(show(StatusCode::OK, lang, p))
}

#[derive(Debug, Deserialize, Default)]
pub struct SupportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    base: String,
    #[serde(default)]
    toml: String,
}

/// `POST`: saves the text as the version after `base`.
pub async fn save_support(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    headers: HeaderMap,
    Form(f): Form<SupportForm>,
) -> Result<Response, PageError> {
    let p = require(lang, who, &headers, &f.csrf)?;
    let base = base_version(lang, &f.base)?;
    let (pp, body) = (p.clone(), f.toml.clone());
    let saved = with_store(&state, move |s| offers::save(s, &pp, base, &body)).await;
    let c = with_store(&state, |s| Ok(offers::current(s)?))
        .await
        .lang(lang)?;
    let w = view::words(lang);
    let (status, error, theirs, base) = match saved {
        Ok(v) => {
            return Ok(Redirect::to(&format!("{}?saved={v}", path(lang))).into_response());
        }
        Err(ApiError::BadParameter { message, .. }) => (
            StatusCode::BAD_REQUEST,
            format!("{} {message}", w["sup_refused"]),
            None,
            f.base.clone(),
        ),
        Err(ApiError::Conflict { .. }) => {
            let latest = c.versions.last();
            let by = latest.map_or(String::new(), |v| {
                format!(
                    "{} {} ({})",
                    v.version,
                    v.actor,
                    fmt::datetime(&v.created_at)
                )
            });
            (
                StatusCode::CONFLICT,
                format!("{} {by}. {}", w["sup_conflict"], w["sup_conflict_fix"]),
                Some(c.body.clone()),
                c.latest().map(|v| v.to_string()).unwrap_or_default(),
            )
        }
        Err(e) => return Err(PageError::new(lang, e)),
    };
    let mut page = page(&c, Some(&p), lang);
    if let Some(ed) = page.editor.as_mut() {
        ed.toml = f.toml;
        ed.theirs = theirs;
        ed.base = base;
    }
    page.error = Some(error);
    Ok(show(status, lang, page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use territoria_digiscore::profile::{Audience, SizeClass};

    #[test]
    fn conditions_read_as_a_sentence_in_each_language() {
        assert_eq!(conditions_text(&Conditions::default(), Lang::Fr), None);
        let c = Conditions {
            audience: Some(vec![Audience::Company]),
            sizes: Some(vec![SizeClass::Micro]),
            nace_sections: None,
            exclude_nace_sections: vec!["K".into()],
            provinces: Some(vec!["WBR".into(), "WLG".into()]),
        };
        assert_eq!(
            conditions_text(&c, Lang::Fr).unwrap(),
            "pour entreprises ; tailles : Micro-entreprise (1 à 9 salariés) ; sauf sections NACE K ; provinces : Brabant wallon, Liège"
        );
        assert_eq!(
            conditions_text(&c, Lang::En).unwrap(),
            "for companies; sizes: Micro-enterprise (1–9 employees); except NACE sections K; provinces: Walloon Brabant, Liège"
        );
    }
}
