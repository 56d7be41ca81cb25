//! The barometer: anonymised aggregates of finished assessments, per questionnaire —
//! the overall mean and the mean of each axis, in all and by NACE section, size class
//! and province — under the rules of [`territoria_digiscore::aggregate`] (no group of
//! fewer than 10, also not by difference).
//!
//! * Only the **latest finished** assessment of each series counts (a company that
//!   reassesses is counted once, with its latest answers).
//! * Real and synthetic assessments are never mixed: the real barometer is computed from
//!   real assessments only, the demo one from synthetic ones only; pages show the real
//!   one as soon as it has a published total and say so when they show the demo one.
//! * What leaves the server — the page, the lever's block, the JSON API and the
//!   `digiscore-barometer` open dataset — is built from [`Published`] only: suppressed
//!   rows are dropped before anything is formatted, never sent as blanks.

use std::collections::HashMap;

use serde::Serialize;
use territoria_digiscore::aggregate::{self, Barometer, Cell, Dimension, Record};
use territoria_digiscore::peers::MIN_PEERS;
use territoria_digiscore::profile::{SizeClass, province_label, province_of_nis};
use territoria_digiscore::questionnaire::{Questionnaire, latest};
use territoria_digiscore::scoring::AxisScore;
use territoria_store::{Store, StoreError, StoredAssessment};

use super::QUESTIONNAIRES;
use super::view::nace_label;

/// The barometer of one questionnaire and one population (real or synthetic).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Published {
    pub questionnaire: String,
    pub version: u32,
    /// Axis ids of the questionnaire's latest version, in order (`Cell::mean_axes`).
    pub axes: Vec<String>,
    pub synthetic: bool,
    pub threshold: usize,
    /// Every row that may leave the server: the total first (dimension `None`).
    pub rows: Vec<PublishedRow>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PublishedRow {
    /// `None` for the total.
    pub dimension: Option<Dimension>,
    /// The group's code: a NACE section letter, a size class code, a province code;
    /// empty for the total.
    pub group: String,
    pub cell: Cell,
}

impl Published {
    pub fn total(&self) -> Option<&Cell> {
        self.rows
            .iter()
            .find(|r| r.dimension.is_none())
            .map(|r| &r.cell)
    }
}

/// The latest finished assessment of each series, as aggregate records, with axis
/// scores in the order of `q`'s axes.
fn records(q: &Questionnaire, completed: &[StoredAssessment]) -> Vec<Record> {
    let mut latest_of: HashMap<&str, &StoredAssessment> = HashMap::new();
    for a in completed {
        if a.overall.is_none() || a.completed_at.is_none() {
            continue;
        }
        let keep = latest_of
            .get(a.series.as_str())
            .is_none_or(|b| (&a.completed_at, &a.created_at) > (&b.completed_at, &b.created_at));
        if keep {
            latest_of.insert(&a.series, a);
        }
    }
    let mut out: Vec<Record> = latest_of
        .into_values()
        .filter_map(|a| {
            let size = SizeClass::parse(&a.size_class)?;
            let stored: Vec<AxisScore> = a
                .axes
                .as_deref()
                .and_then(|x| serde_json::from_str(x).ok())
                .unwrap_or_default();
            Some(Record {
                nace_section: a.nace_section.clone(),
                size,
                province: a
                    .municipality
                    .as_deref()
                    .and_then(province_of_nis)
                    .map(str::to_owned),
                overall: a.overall?,
                axes: q
                    .axes
                    .iter()
                    .map(|x| stored.iter().find(|s| s.axis == x.id).and_then(|s| s.score))
                    .collect(),
                synthetic: a.demo,
            })
        })
        .collect();
    // A stable order, so that the same assessments always give the same figures.
    out.sort_by(|a, b| {
        (&a.nace_section, a.size, &a.province)
            .cmp(&(&b.nace_section, b.size, &b.province))
            .then(a.overall.total_cmp(&b.overall))
    });
    out
}

fn publish(q: &Questionnaire, b: Barometer, synthetic: bool) -> Published {
    let mut rows = Vec::new();
    if let Some(cell) = b.total {
        rows.push(PublishedRow {
            dimension: None,
            group: String::new(),
            cell,
        });
    }
    for t in b.tables {
        for r in t.rows {
            if let Some(cell) = r.cell {
                rows.push(PublishedRow {
                    dimension: Some(t.dimension),
                    group: r.value,
                    cell,
                });
            }
        }
    }
    Published {
        questionnaire: q.id.clone(),
        version: q.version,
        axes: q.axes.iter().map(|a| a.id.clone()).collect(),
        synthetic,
        threshold: b.threshold,
        rows,
    }
}

/// The barometers of every questionnaire, real first then synthetic, each only when it
/// has at least one published row.
pub fn all(store: &dyn Store) -> Result<Vec<Published>, StoreError> {
    let mut ids: Vec<&str> = QUESTIONNAIRES.iter().map(|q| q.id.as_str()).collect();
    ids.dedup();
    let mut out = Vec::new();
    for id in ids {
        let Some(q) = latest(&QUESTIONNAIRES, id) else {
            continue;
        };
        let recs = records(q, &store.digiscore_completed(id)?);
        for synthetic in [false, true] {
            let part: Vec<Record> = recs
                .iter()
                .filter(|r| r.synthetic == synthetic)
                .cloned()
                .collect();
            let p = publish(q, aggregate::barometer(&part), synthetic);
            if !p.rows.is_empty() {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// The barometer a page shows for a questionnaire: the real one when it has a published
/// total, else the demo one.
pub fn shown<'a>(all: &'a [Published], questionnaire: &str) -> Option<&'a Published> {
    let of = |synthetic: bool| {
        all.iter().find(|p| {
            p.questionnaire == questionnaire && p.synthetic == synthetic && p.total().is_some()
        })
    };
    of(false).or_else(|| of(true))
}

/// The label of a group in `lang` (`fr` or `en`).
pub fn group_label(dimension: Option<Dimension>, group: &str, lang: &str) -> String {
    match dimension {
        None => if lang == "en" { "All" } else { "Ensemble" }.to_owned(),
        Some(Dimension::Section) => {
            nace_label(group, lang).map_or_else(|| group.to_owned(), |l| format!("{group} — {l}"))
        }
        Some(Dimension::Size) => {
            SizeClass::parse(group).map_or_else(|| group.to_owned(), |s| s.label(lang).to_owned())
        }
        Some(Dimension::Province) => province_label(group, lang).unwrap_or(group).to_owned(),
    }
}

/// The dimension's name in `lang`.
pub fn dimension_label(dimension: Option<Dimension>, lang: &str) -> &'static str {
    let en = lang == "en";
    match dimension {
        None => {
            if en {
                "All assessments"
            } else {
                "Toutes les évaluations"
            }
        }
        Some(Dimension::Section) => {
            if en {
                "By sector (NACE section)"
            } else {
                "Par secteur (section NACE)"
            }
        }
        Some(Dimension::Size) => {
            if en {
                "By size"
            } else {
                "Par taille"
            }
        }
        Some(Dimension::Province) => {
            if en {
                "By province"
            } else {
                "Par province"
            }
        }
    }
}

/// The threshold, for the pages' explanation.
pub const THRESHOLD: usize = MIN_PEERS;

#[cfg(test)]
mod tests {
    use super::*;

    fn assessment(
        series: &str,
        done: &str,
        nace: &str,
        overall: f64,
        demo: bool,
    ) -> StoredAssessment {
        StoredAssessment {
            link_hash: format!("{series}-{done}"),
            series: series.into(),
            questionnaire: "digiscore".into(),
            questionnaire_version: 1,
            kbo: None,
            nace_section: nace.into(),
            size_class: "micro".into(),
            municipality: Some("92094".into()),
            answers: "{}".into(),
            overall: Some(overall),
            axes: Some("[]".into()),
            completed_at: Some(done.into()),
            demo,
            created_at: done.into(),
            updated_at: done.into(),
        }
    }

    #[test]
    fn a_series_counts_once_with_its_latest_assessment_and_real_and_demo_never_mix() {
        let q = latest(&QUESTIONNAIRES, "digiscore").unwrap();
        let mut all: Vec<StoredAssessment> = (0..10)
            .map(|i| assessment(&format!("s{i}"), "2026-01-01", "C", 20.0, false))
            .collect();
        // s0 reassessed later with 70: counted once, with 70.
        all.push(assessment("s0", "2026-06-01", "C", 70.0, false));
        // Synthetic ones in another series are not in the real barometer.
        all.extend((0..10).map(|i| assessment(&format!("d{i}"), "2026-01-01", "C", 90.0, true)));
        let recs = records(q, &all);
        assert_eq!(recs.len(), 20);
        let real: Vec<Record> = recs.iter().filter(|r| !r.synthetic).cloned().collect();
        let b = publish(q, aggregate::barometer(&real), false);
        let total = b.total().unwrap();
        assert_eq!(total.n, 10);
        assert!(
            (total.mean_overall - 25.0).abs() < 1e-9,
            "{}",
            total.mean_overall
        );
        assert!(b.rows.iter().all(|r| r.cell.n >= THRESHOLD));
        assert_eq!(group_label(Some(Dimension::Province), "WNA", "fr"), "Namur");
    }
}

/// `/fr/digiscore/barometre`, `/en/digiscore/barometer`.
pub fn path(lang: crate::pages::Lang) -> &'static str {
    match lang {
        crate::pages::Lang::Fr => "/fr/digiscore/barometre",
        crate::pages::Lang::En => "/en/digiscore/barometer",
    }
}

/// One table of the page.
#[derive(Debug, Serialize)]
pub struct TableView {
    pub caption: &'static str,
    pub rows: Vec<RowView>,
}

#[derive(Debug, Serialize)]
pub struct RowView {
    pub label: String,
    pub n: String,
    pub overall: String,
    pub axes: Vec<String>,
}

/// One questionnaire's barometer on the page.
#[derive(Debug, Serialize)]
pub struct QuestionnaireView {
    pub id: String,
    pub title: String,
    pub synthetic: bool,
    pub axes: Vec<String>,
    pub total_n: String,
    pub total_overall: String,
    pub tables: Vec<TableView>,
}

/// The view of `shown` barometers (see [`shown`]) in `lang`.
pub fn view(all: &[Published], lang: crate::pages::Lang) -> Vec<QuestionnaireView> {
    use crate::pages::fmt;
    let l = lang.code();
    let mut ids: Vec<&str> = all.iter().map(|p| p.questionnaire.as_str()).collect();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| {
            let p = shown(all, id)?;
            let q = latest(&QUESTIONNAIRES, id)?;
            let total = p.total()?;
            let row = |r: &PublishedRow| RowView {
                label: group_label(r.dimension, &r.group, l),
                n: fmt::integer(r.cell.n as u64, lang),
                overall: fmt::decimal(r.cell.mean_overall, 1, lang),
                axes: r
                    .cell
                    .mean_axes
                    .iter()
                    .map(|m| m.map_or_else(|| "—".to_owned(), |m| fmt::decimal(m, 1, lang)))
                    .collect(),
            };
            let tables = Dimension::ALL
                .iter()
                .map(|d| TableView {
                    caption: dimension_label(Some(*d), l),
                    rows: p
                        .rows
                        .iter()
                        .filter(|r| r.dimension == Some(*d))
                        .map(row)
                        .collect(),
                })
                .filter(|t| !t.rows.is_empty())
                .collect();
            Some(QuestionnaireView {
                id: id.to_owned(),
                title: q.title.get(l).to_owned(),
                synthetic: p.synthetic,
                axes: q.axes.iter().map(|a| a.name.get(l).to_owned()).collect(),
                total_n: fmt::integer(total.n as u64, lang),
                total_overall: fmt::decimal(total.mean_overall, 1, lang),
                tables,
            })
        })
        .collect()
}

/// The open dataset's id.
pub const DATASET: &str = "digiscore-barometer";

/// The barometer as an open dataset (Explore, CKAN, DCAT): one record per published
/// group and measure (the overall score or an axis) — aggregates only, never an
/// assessment, and nothing that [`all`] suppressed.
pub fn dataset(
    store: &dyn Store,
    modified: Option<territoria_odsql::DateTime>,
) -> Result<territoria_opendata::Dataset, StoreError> {
    use territoria_odsql::FieldType as T;
    use territoria_opendata::table::{Cell as C, FieldSpec, TableBuilder};
    use territoria_opendata::{Bilingual, Dataset, DatasetMeta};

    let specs = vec![
        FieldSpec::new("id", T::Text, "Identifiant", "Identifier").describe(
            "questionnaire:population:dimension:group:measure, unique in the dataset.",
        ),
        FieldSpec::new("questionnaire", T::Text, "Questionnaire", "Questionnaire").facet(),
        FieldSpec::new(
            "questionnaire_version",
            T::Int,
            "Version du questionnaire",
            "Questionnaire version",
        ),
        FieldSpec::new("dimension", T::Text, "Dimension", "Dimension")
            .facet()
            .describe("total, section (NACE), size or province."),
        FieldSpec::new("group", T::Text, "Groupe (code)", "Group (code)")
            .describe("NACE section letter, size class, ISO 3166-2:BE province code without BE-; empty for the total."),
        FieldSpec::new("group_label", T::Text, "Groupe", "Group (French)"),
        FieldSpec::new("group_label_en", T::Text, "Groupe (anglais)", "Group"),
        FieldSpec::new("measure", T::Text, "Mesure", "Measure")
            .facet()
            .describe("overall, or the id of an axis of the questionnaire."),
        FieldSpec::new("measure_label", T::Text, "Mesure (libellé)", "Measure (French)"),
        FieldSpec::new("measure_label_en", T::Text, "Mesure (anglais)", "Measure"),
        FieldSpec::new("assessments", T::Int, "Évaluations", "Assessments")
            .describe("Finished assessments in the group (the latest of each organisation); at least the threshold."),
        FieldSpec::new("mean_score", T::Double, "Score moyen (0-100)", "Mean score (0-100)"),
        FieldSpec::new("threshold", T::Int, "Seuil d'anonymat", "Anonymity threshold"),
        FieldSpec::new(
            "demo",
            T::Boolean,
            "Démonstration (synthétique)",
            "Demo (synthetic)",
        )
        .facet(),
    ];
    let mut table = TableBuilder::new(specs);
    let mut demo_records = 0;
    for p in all(store)? {
        let Some(q) = latest(&QUESTIONNAIRES, &p.questionnaire) else {
            continue;
        };
        let population = if p.synthetic { "demo" } else { "real" };
        for r in &p.rows {
            let dimension = r.dimension.map_or("total", |d| d.code());
            let (fr, en) = (
                group_label(r.dimension, &r.group, "fr"),
                group_label(r.dimension, &r.group, "en"),
            );
            let measures = std::iter::once((
                "overall",
                "Score global",
                "Overall score",
                Some(r.cell.mean_overall),
            ))
            .chain(
                q.axes
                    .iter()
                    .zip(&r.cell.mean_axes)
                    .map(|(a, m)| (a.id.as_str(), a.name.get("fr"), a.name.get("en"), *m)),
            );
            for (measure, mfr, men, mean) in measures {
                let Some(mean) = mean else { continue };
                let id = format!(
                    "{}:{population}:{dimension}:{}:{measure}",
                    p.questionnaire, r.group
                );
                demo_records += u64::from(p.synthetic);
                table.push(&[
                    C::Text(&id),
                    C::Text(&p.questionnaire),
                    C::Int(i64::from(p.version)),
                    C::Text(dimension),
                    C::Text(&r.group),
                    C::Text(&fr),
                    C::Text(&en),
                    C::Text(measure),
                    C::Text(mfr),
                    C::Text(men),
                    C::Int(r.cell.n as i64),
                    C::Float((mean * 10.0).round() / 10.0),
                    C::Int(p.threshold as i64),
                    C::Bool(p.synthetic),
                ]);
            }
        }
    }
    let rule_fr = format!(
        "Aucun groupe de moins de {THRESHOLD} évaluations, ni par différence (suppression \
         primaire, secondaire et entre tableaux emboîtés) ; seule la dernière évaluation \
         terminée de chaque organisation compte ; évaluations réelles et synthétiques jamais \
         mélangées."
    );
    let rule_en = format!(
        "No group of fewer than {THRESHOLD} assessments, also not by difference (primary, \
         secondary and nesting suppression); only the latest finished assessment of each \
         organisation counts; real and synthetic assessments are never mixed."
    );
    let meta = DatasetMeta {
        id: DATASET.into(),
        title: Bilingual::new(
            "Baromètre Digiscore de la maturité numérique",
            "Digiscore digital-maturity barometer",
        ),
        description: Bilingual::new(
            &format!(
                "Scores moyens (0 à 100) des autodiagnostics Digiscore et DMAT terminés, au \
                 total et par secteur (section NACE), taille et province : agrégats seulement, \
                 jamais une réponse individuelle. {rule_fr}"
            ),
            &format!(
                "Mean scores (0 to 100) of finished Digiscore and DMAT self-assessments, in all \
                 and by sector (NACE section), size and province: aggregates only, never an \
                 individual answer. {rule_en}"
            ),
        ),
        themes: vec!["ECON", "TECH"],
        keywords: vec![
            Bilingual::new("maturité numérique", "digital maturity"),
            Bilingual::new("Digiscore", "Digiscore"),
            Bilingual::new("entreprises", "companies"),
        ],
        demo_records,
        issued: None,
        modified,
        temporal: None,
        geo_field: None,
    };
    Ok(Dataset::derived(meta, table, None))
}

/// The lever whose page shows the barometer: the memorandum's « Maturité numérique des
/// entreprises », whose first axis is "l'évaluation de la maturité numérique par le
/// Digiscore".
pub const LEVER: &str = "maturite-numerique-des-entreprises";

/// The barometer's summary on the lever's page: the Digiscore questionnaire's total
/// and axis means (the real barometer when it has a total, else the demo one, flagged).
#[derive(Debug, Serialize)]
pub struct LeverBlock {
    pub title: String,
    pub synthetic: bool,
    pub n: String,
    pub overall: String,
    /// (axis name, mean).
    pub axes: Vec<(String, String)>,
    pub url: &'static str,
}

pub fn lever_block(all: &[Published], lang: crate::pages::Lang) -> Option<LeverBlock> {
    use crate::pages::fmt;
    let l = lang.code();
    let p = shown(all, "digiscore")?;
    let q = latest(&QUESTIONNAIRES, "digiscore")?;
    let total = p.total()?;
    Some(LeverBlock {
        title: q.title.get(l).to_owned(),
        synthetic: p.synthetic,
        n: fmt::integer(total.n as u64, lang),
        overall: fmt::decimal(total.mean_overall, 1, lang),
        axes: q
            .axes
            .iter()
            .zip(&total.mean_axes)
            .filter_map(|(a, m)| Some((a.name.get(l).to_owned(), fmt::decimal((*m)?, 1, lang))))
            .collect(),
        url: path(lang),
    })
}
