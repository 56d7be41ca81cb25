//! Taxonomy terms (the concepts of the schemes: NACE codes, audiences, action types,
//! territories…) kept current by administrators: their labels in French, English,
//! Dutch and German, and their source. An edit names the version it started from (the
//! audit entry that last wrote the term) and is refused with 409 when another came
//! first; each edit records the term before and after, so that the term's history
//! shows who changed what and an administrator can revert it (`service::revert`).
//!
//! A term keeps its place in its scheme: moving it under another broader term changes
//! what every entity tagged below it counts for, which is a scheme import, not an edit.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use territoria_auth::is_admin;
use territoria_model::{Concept, LANGS, Labels, Lang as LabelLang, Provenance};
use territoria_store::{ConceptChange, ConceptExpectation, Located, Op, Store, WriteOptions};

use super::{Principal, Writer};
use crate::AppState;
use crate::api::with_store;
use crate::error::ApiError;
use crate::params::Params;

type ApiResult<T> = Result<T, ApiError>;

pub const HISTORY: &str = "/api/schemes/{scheme}/concepts/{notation}/history";

/// The longest label a term takes.
const MAX_LABEL: usize = 300;

/// What `PUT /api/schemes/{scheme}/concepts/{notation}` takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermEdit {
    /// The version the edit started from (`null`: the term is created).
    pub base_version: Option<i64>,
    /// Labels by language (`fr`, `en`, `nl`, `de`); an empty one is left out.
    pub labels: BTreeMap<String, String>,
    /// The broader term (notation) of a new term; an existing term keeps its own.
    #[serde(default)]
    pub broader: Option<String>,
    /// Who states the labels; an existing term keeps its source when it is absent.
    #[serde(default)]
    pub source: Option<String>,
}

/// A written term and its version now.
#[derive(Debug, Serialize)]
pub struct TermEdited {
    pub version: i64,
    pub concept: Concept,
}

fn labels_of(given: &BTreeMap<String, String>) -> Result<Labels, ApiError> {
    let mut labels = Labels::new();
    for (code, text) in given {
        let lang = LabelLang::parse(code).ok_or_else(|| {
            ApiError::bad_parameter_suggesting(
                format!("labels.{code}"),
                format!("`{code}` is not a language of the labels"),
                LANGS.iter().map(|l| l.code().to_owned()).collect(),
            )
        })?;
        let text = text.trim();
        if text.chars().count() > MAX_LABEL {
            return Err(ApiError::bad_parameter(
                format!("labels.{code}"),
                format!("a label has at most {MAX_LABEL} characters"),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(ApiError::bad_parameter(
                format!("labels.{code}"),
                "a label is one line of text",
            ));
        }
        labels.set(lang, text);
    }
    if labels.is_empty() {
        return Err(ApiError::bad_parameter(
            "labels",
            "a term needs at least one label (fr, en, nl or de)",
        ));
    }
    Ok(labels)
}

/// Writes the term `scheme:notation` as `edit` says, if it is still at the version the
/// edit started from. Administrators only.
pub fn edit_term(
    store: &dyn Store,
    p: &Principal,
    scheme: &str,
    notation: &str,
    edit: TermEdit,
) -> Result<TermEdited, ApiError> {
    if !is_admin(&p.user) {
        return Err(ApiError::Forbidden(
            "taxonomies are kept by administrators".into(),
        ));
    }
    let schemes = store.schemes()?;
    if !schemes.iter().any(|s| s.id == scheme) {
        return Err(ApiError::bad_parameter_suggesting(
            "scheme",
            format!("no scheme `{scheme}`"),
            schemes.iter().map(|s| s.id.clone()).collect(),
        ));
    }
    let labels = labels_of(&edit.labels)?;
    let source = edit
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if source.is_some_and(|s| s.chars().count() > 500) {
        return Err(ApiError::bad_parameter(
            "source",
            "a source has at most 500 characters",
        ));
    }
    let current = store.concept_record(scheme, notation)?;
    let concept = match current {
        Some(c) => {
            if edit.broader.is_some() && edit.broader != c.broader {
                return Err(ApiError::bad_parameter(
                    "broader",
                    format!(
                        "`{scheme}:{notation}` stays under {}: moving a term changes what every entity tagged below it counts for; import the scheme instead",
                        c.broader.as_deref().unwrap_or("the top of its scheme")
                    ),
                ));
            }
            Concept {
                labels,
                provenance: match source {
                    Some(s) => Provenance {
                        source: s.to_owned(),
                        date: Some(chrono::Utc::now().date_naive()),
                        inferred: false,
                        demo: c.provenance.demo,
                    },
                    None => c.provenance.clone(),
                },
                ..c
            }
        }
        None if edit.base_version.is_some() => {
            return Err(ApiError::not_found(format!(
                "no term `{scheme}:{notation}`"
            )));
        }
        None => Concept {
            scheme: scheme.to_owned(),
            notation: notation.to_owned(),
            labels,
            broader: edit.broader.clone().filter(|b| !b.trim().is_empty()),
            attributes: serde_json::Map::new(),
            provenance: Provenance {
                source: source
                    .ok_or_else(|| {
                        ApiError::bad_parameter("source", "a new term needs its source")
                    })?
                    .to_owned(),
                date: Some(chrono::Utc::now().date_naive()),
                inferred: false,
                demo: false,
            },
        },
    };
    let mut records = std::iter::once(Ok(Located::from(Op::Concept(concept))));
    let report = store.apply(
        &p.actor(),
        &format!("edit term {scheme}:{notation}"),
        &mut records,
        &WriteOptions {
            expect_concepts: vec![ConceptExpectation {
                scheme: scheme.to_owned(),
                notation: notation.to_owned(),
                version: edit.base_version,
            }],
            record_changes: true,
            ..Default::default()
        },
        &mut |_| {},
    )?;
    let concept = store
        .concept_record(scheme, notation)?
        .ok_or_else(|| ApiError::internal("edited term vanished"))?;
    Ok(TermEdited {
        version: report.audit_id.unwrap_or_default(),
        concept,
    })
}

/// Reverts the term changes of audit entry `audit_id` (newest first): each term gets
/// back its state before, if it is still at the version that change left.
pub fn revert_terms(
    store: &dyn Store,
    p: &Principal,
    audit_id: i64,
    changes: Vec<ConceptChange>,
) -> Result<i64, ApiError> {
    let mut ops = Vec::new();
    let mut expect = Vec::new();
    for c in changes.into_iter().rev() {
        let Some(before) = c.before else {
            return Err(ApiError::Conflict {
                message: format!(
                    "change {audit_id} created the term {}:{}: a creation cannot be reverted (there is no deletion); edit the term instead",
                    c.scheme, c.notation
                ),
                current_version: None,
            });
        };
        let concept: Concept = serde_json::from_value(before)
            .map_err(|e| ApiError::internal(format!("recorded term: {e}")))?;
        expect.push(ConceptExpectation {
            scheme: c.scheme,
            notation: c.notation,
            version: Some(audit_id),
        });
        ops.push(Op::Concept(concept));
    }
    let mut records = ops.into_iter().map(|op| Ok(Located::from(op)));
    let report = store.apply(
        &p.actor(),
        &format!("revert {audit_id}"),
        &mut records,
        &WriteOptions {
            expect_concepts: expect,
            record_changes: true,
            ..Default::default()
        },
        &mut |_| {},
    )?;
    Ok(report.audit_id.unwrap_or_default())
}

/// `PUT /api/schemes/{scheme}/concepts/{notation}`.
pub async fn edit(
    State(state): State<AppState>,
    Writer(p): Writer,
    Path((scheme, notation)): Path<(String, String)>,
    body: Result<Json<TermEdit>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    let Json(edit) = body.map_err(|e| ApiError::bad_parameter("body", e.body_text()))?;
    let edited = with_store(&state, move |s| edit_term(s, &p, &scheme, &notation, edit)).await?;
    state.refresh_soon();
    Ok(Json(json!(edited)))
}

/// `GET /api/schemes/{scheme}/concepts/{notation}/history` (public: transparency).
pub async fn history(
    State(state): State<AppState>,
    Path((scheme, notation)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let params = Params::parse(raw.as_deref(), &["limit"])?;
    let limit: u32 = params.integer("limit", 100, 1, 1000)?;
    let (version, entries) = with_store(&state, move |s| {
        let version = s
            .concept_version(&scheme, &notation)?
            .ok_or_else(|| ApiError::not_found(format!("no term `{scheme}:{notation}`")))?;
        Ok((version, s.concept_history(&scheme, &notation, limit)?))
    })
    .await?;
    Ok(Json(json!({"version": version, "history": entries})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_checked_by_language_and_length() {
        let given = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>()
        };
        let l = labels_of(&given(&[
            ("fr", " Jeunes "),
            ("nl", "Jongeren"),
            ("en", ""),
        ]))
        .unwrap();
        assert_eq!(l.exact(LabelLang::Fr), Some("Jeunes"));
        assert_eq!(l.exact(LabelLang::Nl), Some("Jongeren"));
        assert_eq!(l.exact(LabelLang::En), None);
        let e = labels_of(&given(&[("xx", "?")])).unwrap_err().to_string();
        assert!(e.contains("labels.xx"), "{e}");
        assert!(labels_of(&given(&[("fr", "  ")])).is_err());
        let long = "a".repeat(MAX_LABEL + 1);
        assert!(labels_of(&given(&[("fr", &long)])).is_err());
        assert!(labels_of(&given(&[("fr", "a\nb")])).is_err());
    }
}
