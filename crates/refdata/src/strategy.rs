//! The human-editable strategy file (`data/strategy/digital-wallonia.toml`).
//!
//! Layout: `[strategy]`, `[[versions]]` (those with `tree = true` get a hierarchy),
//! `[[ambitions]]` with `[[ambitions.levers]]` and `values`, `[[programmes]]` with
//! `[[programmes.indicators]]` and their `[[programmes.indicators.observations]]`,
//! `[[related_strategies]]`, `[[funds]]`, `[[labels]]`, `[[calls]]`,
//! `[[support_actors]]`, `[[schemes]]` with `[[schemes.concepts]]`, `[[facts]]`.
//!
//! Every figure (`observations`, `targets`) and statement (`facts`) carries the
//! sentence of the source it comes from (`quote`); the 2024-2029 texts of the
//! ambitions (`vision_2024`, `challenges_2024`) and levers (`description`) are the
//! memorandum's own words. [`StrategyFile::quotes`] lists them all, and a test finds
//! each in the memorandum (`data/strategy/sources/`). A figure whose period the source
//! does not give has `period = "unspecified"`; a figure the source states in the
//! future tense is a target (`[[programmes.indicators.targets]]`), not an observation.
//! Unknown keys are refused (a typo must not silently drop a fact); errors name the
//! file, line and column.

use std::collections::BTreeMap;

use serde::Deserialize;
use territoria_model::entity::EntityRef;
use territoria_model::{
    Aggregation, Concept, ConceptRef, Details, Entity, EntityKind, FieldError, Indicator,
    IndicatorKind, Labels, Observation, Period, Provenance, Relation, RelationKind, Scheme, Target,
};
use territoria_store::{Op, StrategyVersion};

/// The Digital Wallonia strategy file shipped with the product.
pub const DIGITAL_WALLONIA: &str = include_str!("../../../data/strategy/digital-wallonia.toml");
pub const DIGITAL_WALLONIA_PATH: &str = "data/strategy/digital-wallonia.toml";

#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct FileError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyFile {
    pub strategy: StrategyHead,
    pub versions: Vec<VersionDef>,
    pub ambitions: Vec<AmbitionDef>,
    pub programmes: Vec<ProgrammeDef>,
    #[serde(default)]
    pub related_strategies: Vec<Named>,
    #[serde(default)]
    pub funds: Vec<Named>,
    #[serde(default)]
    pub labels: Vec<Named>,
    #[serde(default)]
    pub calls: Vec<Named>,
    #[serde(default)]
    pub support_actors: Vec<Named>,
    #[serde(default)]
    pub schemes: Vec<SchemeDef>,
    #[serde(default)]
    pub smart_magnet_examples: Vec<BTreeMap<String, String>>,
    #[serde(default)]
    pub observatory: Vec<toml::Table>,
    #[serde(default)]
    pub facts: Vec<FactDef>,
}

/// A statement of the source about the strategy, with its sentence.
#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FactDef {
    pub id: String,
    pub text: Labels,
    pub quote: String,
    pub section: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Another statement of the source that says otherwise: both are kept, flagged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflicts_with: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyHead {
    pub id: String,
    pub name: Labels,
    #[serde(default)]
    pub description: Labels,
    pub owner: String,
    pub launched: i64,
    pub source: String,
    #[serde(default)]
    pub dashboard: Option<String>,
    #[serde(default)]
    pub open_data: Option<String>,
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub counts_stated: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionDef {
    pub id: String,
    pub label: Labels,
    pub year: i64,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub tree: bool,
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmbitionDef {
    pub id: String,
    pub name: Labels,
    #[serde(default)]
    pub name_2024: Option<Labels>,
    #[serde(default)]
    pub tagline: Labels,
    #[serde(default)]
    pub statement: Labels,
    #[serde(default)]
    pub values: Vec<String>,
    /// The 2024-2029 vision of the ambition, in the memorandum's words.
    #[serde(default)]
    pub vision_2024: Labels,
    /// Its "Défis majeurs", one paragraph each.
    #[serde(default)]
    pub challenges_2024: Vec<String>,
    /// The memorandum's section of the 2024-2029 texts.
    #[serde(default)]
    pub section_2024: Option<String>,
    #[serde(default)]
    pub dashboard_url: Option<String>,
    pub source: String,
    #[serde(default)]
    pub levers: Vec<LeverDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeverDef {
    pub id: String,
    pub name: Labels,
    /// The lever as the memorandum describes it.
    #[serde(default)]
    pub description: Labels,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeDef {
    pub id: String,
    pub name: Labels,
    pub theme: String,
    pub ambition: String,
    #[serde(default)]
    pub ambition_inferred: bool,
    /// The ambition in the 2024-2029 framework when it differs (always inferred: the
    /// memorandum places levers, not programmes, under the 2024-2029 ambitions).
    #[serde(default)]
    pub ambition_2024: Option<String>,
    #[serde(default)]
    pub ambition_2024_note: Option<String>,
    /// The 2024-2029 lever the programme serves (always inferred: the memorandum
    /// names the levers, not the programmes that serve them). In that version the
    /// programme sits under the lever, which sits under its ambition.
    #[serde(default)]
    pub lever_2024: Option<String>,
    /// Why the programme is placed under that lever: the lever's words it serves.
    #[serde(default)]
    pub lever_2024_note: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    pub source: String,
    #[serde(default)]
    pub calls: Vec<String>,
    #[serde(default)]
    pub funds: Vec<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub indicators: Vec<IndicatorDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDef {
    pub id: String,
    pub name: Labels,
    pub unit: String,
    pub kind: String,
    pub aggregation: String,
    #[serde(default)]
    pub funding: Option<FundingDef>,
    #[serde(default)]
    pub observations: Vec<ObservationDef>,
    #[serde(default)]
    pub targets: Vec<TargetDef>,
}

/// What funds what an indicator counts: a strategy or fund entity, `inferred` when
/// the source does not say so.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundingDef {
    pub id: String,
    #[serde(default)]
    pub inferred: bool,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationDef {
    /// A period, or `unspecified` when the source gives none.
    pub period: String,
    pub value: f64,
    #[serde(default)]
    pub qualifier: Option<String>,
    #[serde(default)]
    pub period_label: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub quote: Option<String>,
}

/// A target, or a projection the source states in the future tense.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetDef {
    pub due: String,
    pub value: f64,
    /// The unit the source states the target in, when it does: it must be the
    /// indicator's (checked, then not stored again).
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub qualifier: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub quote: Option<String>,
    /// The situation the target starts from, when the source states it
    /// (`baseline = { date = "2019-12-31", value = 412 }`).
    #[serde(default)]
    pub baseline: Option<BaselineDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineDef {
    pub date: String,
    pub value: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub id: String,
    pub name: Labels,
    pub source: String,
    #[serde(default)]
    pub programme: Option<String>,
    #[serde(default)]
    pub operator: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeDef {
    pub id: String,
    pub title: Labels,
    pub stated: bool,
    pub source: String,
    #[serde(default)]
    pub concepts: Vec<ConceptDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConceptDef {
    pub notation: String,
    pub labels: Labels,
    #[serde(default)]
    pub broader: Option<String>,
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |p| before.len() - p - 1)
        + 1;
    (line, column)
}

/// Parses a strategy file; errors name the file, line and column.
pub fn parse(file: &str, text: &str) -> Result<StrategyFile, FileError> {
    parse_toml(file, text)
}

/// Parses TOML into `T`; errors name the file, line and column.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, FileError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        FileError {
            file: file.into(),
            line,
            column,
            message: e.message().trim().to_owned(),
        }
    })
}

/// The id of the strategy version that lists the 15 levers.
pub const VERSION_2024: &str = "2024-2029";

fn attr(
    map: &mut serde_json::Map<String, serde_json::Value>,
    k: &str,
    v: impl Into<serde_json::Value>,
) {
    map.insert(k.into(), v.into());
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn value_key(ambition: &str, value: &str) -> String {
    let ascii: String = value
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' => 'e',
            'à' | 'â' => 'a',
            'î' | 'ï' => 'i',
            'ô' => 'o',
            'û' | 'ù' => 'u',
            'ç' => 'c',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    format!("{ambition}-{ascii}")
}

impl StrategyFile {
    /// Turns the file into store operations (schemes first, then entities, versions,
    /// edges, relations, observations). Semantic checks (unknown ambition of a programme,
    /// bad period) are reported with the item they concern.
    pub fn ops(&self) -> Result<Vec<Op>, FieldError> {
        let s = &self.strategy;
        let mut ops = Vec::new();
        for sd in &self.schemes {
            let prov = if sd.stated {
                Provenance::stated(&sd.source)
            } else {
                Provenance::inferred(&sd.source)
            };
            ops.push(Op::Scheme(Scheme {
                id: sd.id.clone(),
                title: sd.title.clone(),
                description: Labels::fr(&sd.source),
                provenance: prov.clone(),
            }));
            for c in &sd.concepts {
                ops.push(Op::Concept(Concept {
                    scheme: sd.id.clone(),
                    notation: c.notation.clone(),
                    labels: c.labels.clone(),
                    broader: c.broader.clone(),
                    attributes: serde_json::Map::new(),
                    provenance: prov.clone(),
                }));
            }
        }

        let mut head = Entity::new(
            EntityKind::Strategy,
            &s.id,
            s.name.clone(),
            Provenance::stated(&s.source),
        );
        head.description = s.description.clone();
        attr(&mut head.attributes, "owner", s.owner.clone());
        attr(&mut head.attributes, "launched", s.launched);
        for (k, v) in [
            ("dashboard", &s.dashboard),
            ("open_data", &s.open_data),
            ("platform", &s.platform),
        ] {
            if let Some(v) = v {
                attr(&mut head.attributes, k, v.clone());
            }
        }
        if !s.counts_stated.is_empty() {
            attr(
                &mut head.attributes,
                "counts_stated",
                serde_json::to_value(&s.counts_stated).unwrap_or_default(),
            );
        }
        let history: Vec<serde_json::Value> = self
            .versions
            .iter()
            .map(|v| serde_json::json!({"id": v.id, "year": v.year, "label": v.label, "note": v.note, "source": v.source}))
            .collect();
        attr(&mut head.attributes, "history", history);
        if !self.facts.is_empty() {
            let known: Vec<&str> = self.facts.iter().map(|f| f.id.as_str()).collect();
            for f in &self.facts {
                if let Some(c) = &f.conflicts_with
                    && !known.contains(&c.as_str())
                {
                    return Err(FieldError::new(
                        format!("facts[{}].conflicts_with", f.id),
                        format!("unknown statement `{c}`"),
                    )
                    .suggest(territoria_model::suggest::closest(
                        c,
                        known.clone(),
                        3,
                    )));
                }
            }
            attr(
                &mut head.attributes,
                "facts",
                serde_json::to_value(&self.facts).unwrap_or_default(),
            );
        }
        ops.push(Op::Entity(Box::new(head)));
        for r in &self.related_strategies {
            ops.push(Op::Entity(Box::new(Entity::new(
                EntityKind::Strategy,
                &r.id,
                r.name.clone(),
                Provenance::stated(&r.source),
            ))));
        }

        let tree_versions: Vec<&VersionDef> = self.versions.iter().filter(|v| v.tree).collect();
        for (i, v) in tree_versions.iter().enumerate() {
            ops.push(Op::StrategyVersion(StrategyVersion {
                strategy: s.id.clone(),
                id: v.id.clone(),
                label: v.label.clone(),
                year: Some(v.year),
                note: v.note.clone(),
                position: i as i64,
                source: v.source.clone(),
            }));
        }
        let strategy_ref = EntityRef::new(EntityKind::Strategy, s.id.clone());
        let edge = |version: &str,
                    parent: EntityRef,
                    child: EntityRef,
                    position: usize,
                    provenance: Provenance| Op::Edge {
            strategy: s.id.clone(),
            version: version.to_owned(),
            parent,
            child,
            position: position as i64,
            provenance,
        };

        let mut edges = Vec::new();
        for (ai, a) in self.ambitions.iter().enumerate() {
            let mut e = Entity::new(
                EntityKind::Ambition,
                &a.id,
                a.name.clone(),
                Provenance::stated(&a.source),
            );
            e.description = a.statement.clone();
            if !a.tagline.is_empty() {
                attr(
                    &mut e.attributes,
                    "tagline",
                    serde_json::to_value(&a.tagline).unwrap_or_default(),
                );
            }
            if let Some(n) = &a.name_2024 {
                attr(
                    &mut e.attributes,
                    "names_by_version",
                    serde_json::json!({ VERSION_2024: n }),
                );
            }
            if let Some(u) = &a.dashboard_url {
                attr(&mut e.attributes, "dashboard_url", u.clone());
            }
            if !a.vision_2024.is_empty() {
                attr(
                    &mut e.attributes,
                    "vision_by_version",
                    serde_json::json!({ VERSION_2024: a.vision_2024 }),
                );
            }
            if !a.challenges_2024.is_empty() {
                attr(
                    &mut e.attributes,
                    "challenges_by_version",
                    serde_json::json!({ VERSION_2024: a.challenges_2024 }),
                );
            }
            if let Some(sec) = &a.section_2024 {
                attr(
                    &mut e.attributes,
                    "section_by_version",
                    serde_json::json!({ VERSION_2024: sec }),
                );
            }
            ops.push(Op::Entity(Box::new(e)));
            let aref = EntityRef::new(EntityKind::Ambition, a.id.clone());
            for v in &tree_versions {
                edges.push(edge(
                    &v.id,
                    strategy_ref.clone(),
                    aref.clone(),
                    ai,
                    Provenance::stated(&a.source),
                ));
            }
            for (vi, value) in a.values.iter().enumerate() {
                let key = value_key(&a.id, value);
                ops.push(Op::Entity(Box::new(Entity::new(
                    EntityKind::Value,
                    &key,
                    Labels::fr(capitalised(value)),
                    Provenance::stated(&a.source),
                ))));
                edges.push(edge(
                    VERSION_2024,
                    aref.clone(),
                    EntityRef::new(EntityKind::Value, key),
                    vi,
                    Provenance::stated(&a.source),
                ));
            }
            for (li, l) in a.levers.iter().enumerate() {
                let mut e = Entity::new(
                    EntityKind::Lever,
                    &l.id,
                    l.name.clone(),
                    Provenance::stated(&a.source),
                );
                if !l.description.is_empty() {
                    e.description = l.description.clone();
                } else if let Some(n) = &l.note {
                    e.description = Labels::fr(n);
                }
                if let Some(n) = &l.note {
                    attr(&mut e.attributes, "note", n.clone());
                }
                ops.push(Op::Entity(Box::new(e)));
                edges.push(edge(
                    VERSION_2024,
                    aref.clone(),
                    EntityRef::new(EntityKind::Lever, l.id.clone()),
                    100 + li,
                    Provenance::stated(&a.source),
                ));
            }
        }

        let mut observations = Vec::new();
        let mut funding = Vec::new();
        for (pi, p) in self.programmes.iter().enumerate() {
            if !self.ambitions.iter().any(|a| a.id == p.ambition) {
                let ids: Vec<&str> = self.ambitions.iter().map(|a| a.id.as_str()).collect();
                return Err(FieldError::new(
                    format!("programmes[{}].ambition", p.id),
                    format!("unknown ambition `{}`", p.ambition),
                )
                .suggest(territoria_model::suggest::closest(&p.ambition, ids, 3)));
            }
            let mut e = Entity::new(
                EntityKind::Programme,
                &p.id,
                p.name.clone(),
                Provenance::stated(&p.source),
            );
            attr(&mut e.attributes, "theme", p.theme.clone());
            if let Some(u) = &p.url {
                attr(&mut e.attributes, "url", u.clone());
            }
            ops.push(Op::Entity(Box::new(e)));
            let pref = EntityRef::new(EntityKind::Programme, p.id.clone());
            let link = if p.ambition_inferred {
                Provenance::inferred(format!(
                    "{} — rattachement à l'ambition non précisé par le mémorandum",
                    p.source
                ))
            } else {
                Provenance::stated(&p.source)
            };
            if let Some(a2) = &p.ambition_2024
                && !self.ambitions.iter().any(|a| &a.id == a2)
            {
                let ids: Vec<&str> = self.ambitions.iter().map(|a| a.id.as_str()).collect();
                return Err(FieldError::new(
                    format!("programmes[{}].ambition_2024", p.id),
                    format!("unknown ambition `{a2}`"),
                )
                .suggest(territoria_model::suggest::closest(a2, ids, 3)));
            }
            let lever_2024 = match &p.lever_2024 {
                None => None,
                Some(l) => {
                    let field = format!("programmes[{}].lever_2024", p.id);
                    let Some(owner) = self
                        .ambitions
                        .iter()
                        .find(|a| a.levers.iter().any(|x| &x.id == l))
                    else {
                        let ids: Vec<&str> = self
                            .ambitions
                            .iter()
                            .flat_map(|a| a.levers.iter().map(|x| x.id.as_str()))
                            .collect();
                        return Err(FieldError::new(field, format!("unknown lever `{l}`"))
                            .suggest(territoria_model::suggest::closest(l, ids, 3)));
                    };
                    let placed = p.ambition_2024.as_deref().unwrap_or(&p.ambition);
                    if placed != owner.id {
                        return Err(FieldError::new(
                            field,
                            format!(
                                "lever `{l}` belongs to ambition `{}`, but the programme's \
                                 2024-2029 ambition is `{placed}`: set ambition_2024 = \"{}\"",
                                owner.id, owner.id
                            ),
                        ));
                    }
                    Some(l.clone())
                }
            };
            for v in &tree_versions {
                if v.id == VERSION_2024
                    && let Some(l) = &lever_2024
                {
                    edges.push(edge(
                        &v.id,
                        EntityRef::new(EntityKind::Lever, l.clone()),
                        pref.clone(),
                        200 + pi,
                        Provenance::inferred(format!(
                            "{} — {}",
                            p.source,
                            p.lever_2024_note.as_deref().unwrap_or(
                                "rattachement au levier 2024-2029 non précisé par le mémorandum"
                            )
                        )),
                    ));
                    continue;
                }
                // The memorandum places levers, not programmes, under the 2024-2029
                // ambitions: there every programme's place is inferred.
                let (ambition, link) = match (&p.ambition_2024, v.id == VERSION_2024) {
                    (Some(a2), true) => (
                        a2.clone(),
                        Provenance::inferred(format!(
                            "{} — {}",
                            p.source,
                            p.ambition_2024_note
                                .as_deref()
                                .unwrap_or("rattachement 2024-2029 non précisé par le mémorandum")
                        )),
                    ),
                    (None, true) if !link.inferred => (
                        p.ambition.clone(),
                        Provenance::inferred(format!(
                            "{} — rattachement 2024-2029 non précisé par le mémorandum",
                            p.source
                        )),
                    ),
                    _ => (p.ambition.clone(), link.clone()),
                };
                edges.push(edge(
                    &v.id,
                    EntityRef::new(EntityKind::Ambition, ambition),
                    pref.clone(),
                    200 + pi,
                    link,
                ));
            }
            for ind in &p.indicators {
                let field = |f: &str| format!("programmes[{}].indicators[{}].{f}", p.id, ind.id);
                let kind = IndicatorKind::parse(&ind.kind).ok_or_else(|| {
                    FieldError::new(
                        field("kind"),
                        format!("`{}`: use output, outcome or impact", ind.kind),
                    )
                })?;
                let aggregation = Aggregation::parse(&ind.aggregation).ok_or_else(|| {
                    FieldError::new(
                        field("aggregation"),
                        format!("`{}`: use sum, last, max or mean", ind.aggregation),
                    )
                })?;
                let mut e = Entity::new(
                    EntityKind::Indicator,
                    &ind.id,
                    ind.name.clone(),
                    Provenance::stated(&p.source),
                );
                e.details = Details::Indicator(Indicator {
                    unit: ind.unit.clone(),
                    kind,
                    aggregation,
                    measures: pref.clone(),
                });
                attr(
                    &mut e.attributes,
                    "classification_note",
                    "kind and aggregation are an editorial classification, not stated by the memorandum",
                );
                ops.push(Op::Entity(Box::new(e)));
                if let Some(f) = &ind.funding {
                    let why = f
                        .note
                        .as_deref()
                        .unwrap_or("financement non précisé par la source");
                    funding.push(Op::Relation(Relation {
                        subject: EntityRef::new(EntityKind::Indicator, ind.id.clone()),
                        kind: RelationKind::FundedBy,
                        object: EntityRef::new(EntityKind::Strategy, f.id.clone()),
                        since: None,
                        until: None,
                        amount_eur: None,
                        provenance: if f.inferred {
                            Provenance::inferred(format!("{} — {why}", p.source))
                        } else {
                            Provenance::stated(&p.source)
                        },
                    }));
                }
                // Loaded again, the file replaces the figures it stated before.
                observations.push(Op::ClearStatedFigures {
                    indicator: ind.id.clone(),
                });
                for o in &ind.observations {
                    let period = Period::parse_stated(&field("period"), &o.period)?;
                    observations.push(Op::Observation(Observation {
                        indicator: ind.id.clone(),
                        period,
                        territory: None,
                        value: o.value,
                        qualifier: o.qualifier.clone(),
                        period_label: o.period_label.clone(),
                        note: o.note.clone(),
                        quote: o.quote.clone(),
                        provenance: Provenance::stated(&p.source),
                    }));
                }
                for t in &ind.targets {
                    let due = territoria_model::parse_date(&field("targets.due"), &t.due)?;
                    if let Some(u) = &t.unit {
                        check_target_unit(&ind.id, &ind.unit, due, u, t.value)
                            .map_err(|m| FieldError::new(field("targets.unit"), m))?;
                    }
                    let baseline = match &t.baseline {
                        None => None,
                        Some(b) => Some(territoria_model::Baseline {
                            date: territoria_model::parse_date(
                                &field("targets.baseline.date"),
                                &b.date,
                            )?,
                            value: b.value,
                        }),
                    };
                    observations.push(Op::Target(Target {
                        indicator: ind.id.clone(),
                        due,
                        value: t.value,
                        qualifier: t.qualifier.clone(),
                        note: t.note.clone(),
                        quote: t.quote.clone(),
                        baseline,
                        provenance: Provenance::stated(&p.source),
                    }));
                }
            }
        }

        let mut relations = Vec::new();
        let mut named = |items: &[Named], kind: EntityKind, tag_scheme: Option<&str>| {
            for n in items {
                let mut e = Entity::new(kind, &n.id, n.name.clone(), Provenance::stated(&n.source));
                if let Some(op) = &n.operator {
                    attr(&mut e.attributes, "operator", op.clone());
                }
                if let Some(sch) = tag_scheme {
                    e.tags.push(ConceptRef::new(sch, n.id.clone()));
                }
                ops.push(Op::Entity(Box::new(e)));
                if let Some(p) = &n.programme {
                    relations.push(Op::Relation(Relation {
                        subject: EntityRef::new(kind, n.id.clone()),
                        kind: RelationKind::PartOf,
                        object: EntityRef::new(EntityKind::Programme, p.clone()),
                        since: None,
                        until: None,
                        amount_eur: None,
                        provenance: Provenance::stated(&n.source),
                    }));
                }
            }
        };
        named(&self.funds, EntityKind::Fund, Some("fund"));
        named(&self.labels, EntityKind::Label, Some("label"));
        named(&self.calls, EntityKind::Call, Some("call-for-projects"));
        named(&self.support_actors, EntityKind::Organisation, None);
        ops.extend(edges);
        ops.extend(relations);
        ops.extend(funding);
        ops.extend(observations);
        Ok(ops)
    }

    /// Every text the file takes word for word from its source, with where it sits:
    /// the figures' and statements' `quote`s, the ambitions' 2024-2029 vision and
    /// challenges, the levers' descriptions.
    pub fn quotes(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = Vec::new();
        for a in &self.ambitions {
            if let Some(v) = a.vision_2024.get(territoria_model::Lang::Fr) {
                out.push((format!("ambitions[{}].vision_2024", a.id), v));
            }
            for (i, c) in a.challenges_2024.iter().enumerate() {
                out.push((format!("ambitions[{}].challenges_2024[{i}]", a.id), c));
            }
            for l in &a.levers {
                if let Some(d) = l.description.get(territoria_model::Lang::Fr) {
                    out.push((format!("levers[{}].description", l.id), d));
                }
            }
        }
        for p in &self.programmes {
            for i in &p.indicators {
                for (n, o) in i.observations.iter().enumerate() {
                    if let Some(q) = &o.quote {
                        out.push((format!("indicators[{}].observations[{n}].quote", i.id), q));
                    }
                }
                for (n, t) in i.targets.iter().enumerate() {
                    if let Some(q) = &t.quote {
                        out.push((format!("indicators[{}].targets[{n}].quote", i.id), q));
                    }
                }
            }
        }
        for f in &self.facts {
            out.push((format!("facts[{}].quote", f.id), &f.quote));
        }
        out
    }

    /// The stated figures without the sentence they come from.
    pub fn unquoted_figures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for p in &self.programmes {
            for i in &p.indicators {
                let o = i.observations.iter().map(|o| &o.quote);
                let t = i.targets.iter().map(|t| &t.quote);
                if o.chain(t).any(Option::is_none) {
                    out.push(i.id.clone());
                }
            }
        }
        out
    }
}

/// A target's unit against its indicator's, by the engine's rule.
fn check_target_unit(
    indicator: &str,
    unit: &str,
    due: chrono::NaiveDate,
    target_unit: &str,
    value: f64,
) -> Result<(), String> {
    territoria_prescribe::validate(&territoria_prescribe::Series {
        indicator: indicator.to_owned(),
        unit: unit.to_owned(),
        accumulation: territoria_prescribe::Accumulation::Level,
        demo: false,
        points: Vec::new(),
        targets: vec![territoria_prescribe::Target {
            due,
            value,
            unit: Some(target_unit.to_owned()),
            baseline: None,
            at_most: false,
            demo: false,
        }],
    })
    .map_err(|e| e.to_string())
}

/// Text as compared with quotes: Markdown emphasis (`**`, `*`) dropped and every run of
/// whitespace (line breaks, no-break spaces) one space.
pub fn normalise_quote_text(s: &str) -> String {
    s.replace("**", "")
        .replace('*', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The shipped Digital Wallonia file as operations.
pub fn digital_wallonia_ops() -> Vec<Op> {
    parse(DIGITAL_WALLONIA_PATH, DIGITAL_WALLONIA)
        .expect("the shipped strategy file parses")
        .ops()
        .expect("the shipped strategy file is consistent")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_file_has_the_memorandum_structure() {
        let f = parse(DIGITAL_WALLONIA_PATH, DIGITAL_WALLONIA).unwrap();
        assert_eq!(f.ambitions.len(), 5);
        assert_eq!(
            f.ambitions.iter().map(|a| a.levers.len()).sum::<usize>(),
            15
        );
        assert_eq!(f.programmes.len(), 13);
        // "58.414 foyers auront bénéficié" is a projection: a target, not an observation.
        let giga = f.programmes.iter().find(|p| p.id == "giga-region").unwrap();
        assert!(
            giga.indicators
                .iter()
                .any(|i| i.targets.iter().any(|t| t.value == 58414.0))
        );
        assert!(
            !giga
                .indicators
                .iter()
                .any(|i| i.observations.iter().any(|o| o.value == 58414.0))
        );
        f.ops().unwrap();
    }

    /// The shipped copy of the memorandum, and the seed it was copied from when this
    /// checkout has it beside (CI does): the two must be the same text.
    fn memorandum() -> String {
        let shipped =
            include_str!("../../../data/strategy/sources/digital-wallonia-2024-2029-memorandum.md");
        let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/seeds/digital-wallonia-2024-2029-memorandum.md");
        if let Ok(s) = std::fs::read_to_string(&seed) {
            assert_eq!(
                s,
                shipped,
                "data/strategy/sources/ differs from {}",
                seed.display()
            );
        }
        shipped.to_owned()
    }

    #[test]
    fn every_quote_is_found_in_the_memorandum() {
        let f = parse(DIGITAL_WALLONIA_PATH, DIGITAL_WALLONIA).unwrap();
        let text = normalise_quote_text(&memorandum());
        let quotes = f.quotes();
        assert!(quotes.len() > 60, "{}", quotes.len());
        let missing: Vec<String> = quotes
            .iter()
            .filter(|(_, q)| !text.contains(&normalise_quote_text(q)))
            .map(|(at, q)| format!("{at}: {q}"))
            .collect();
        assert!(
            missing.is_empty(),
            "not in the memorandum:\n{}",
            missing.join("\n")
        );
        // Every stated figure says where it comes from.
        assert_eq!(f.unquoted_figures(), Vec::<String>::new());
        // A quote that is not in the text is caught (the check can fail).
        assert!(!text.contains(&normalise_quote_text("58.414 foyers ont bénéficié")));
    }

    #[test]
    fn no_real_figure_carries_a_period_the_memorandum_does_not_give() {
        let f = parse(DIGITAL_WALLONIA_PATH, DIGITAL_WALLONIA).unwrap();
        let text = normalise_quote_text(&memorandum());
        for p in &f.programmes {
            for i in &p.indicators {
                for o in &i.observations {
                    // A period is "unspecified", or its years are written in the
                    // sentence it comes from.
                    let Some(period) = Period::parse_stated("period", &o.period).unwrap() else {
                        continue;
                    };
                    let quote = o.quote.as_deref().unwrap_or_default();
                    use chrono::Datelike;
                    for year in [period.start.year(), period.end.year()] {
                        assert!(
                            quote.contains(&year.to_string())
                                || o.period_label.as_deref().is_some_and(
                                    |l| text.contains(l) && l.contains(&year.to_string())
                                ),
                            "{}: period {} not in « {quote} »",
                            i.id,
                            o.period
                        );
                    }
                    let note = o.note.as_deref().unwrap_or_default();
                    assert!(!note.contains("supposé"), "{}: a guess: {note}", i.id);
                }
            }
        }
    }

    #[test]
    fn loading_again_replaces_the_stated_figures() {
        let f = parse(DIGITAL_WALLONIA_PATH, DIGITAL_WALLONIA).unwrap();
        let ops = f.ops().unwrap();
        // Each indicator's figures are cleared before they are written again.
        for (i, op) in ops.iter().enumerate() {
            if let Op::Observation(o) = op {
                let cleared = ops[..i].iter().any(|p| {
                    matches!(p, Op::ClearStatedFigures { indicator } if *indicator == o.indicator)
                });
                assert!(cleared, "{}", o.indicator);
            }
        }
    }

    #[test]
    fn errors_name_line_and_column() {
        let text = "[strategy]\nid = \"x\"\nnmae = 3\n";
        let e = parse("s.toml", text).err().unwrap();
        assert_eq!((e.file.as_str(), e.line), ("s.toml", 3), "{e}");
        assert!(e.to_string().starts_with("s.toml:3:1:"), "{e}");
    }

    #[test]
    fn a_target_in_another_unit_is_refused() {
        let mut f = parse(DIGITAL_WALLONIA_PATH, DIGITAL_WALLONIA).unwrap();
        let (p, i) = f
            .programmes
            .iter()
            .enumerate()
            .find_map(|(p, x)| {
                x.indicators
                    .iter()
                    .position(|i| !i.targets.is_empty())
                    .map(|i| (p, i))
            })
            .unwrap();
        let ind = &mut f.programmes[p].indicators[i];
        let unit = ind.unit.clone();
        ind.targets[0].unit = Some(unit);
        assert!(f.ops().is_ok());
        f.programmes[p].indicators[i].targets[0].unit = Some("EUR".into());
        let e = f.ops().err().unwrap();
        assert!(e.field.ends_with("targets.unit"), "{e}");
        assert!(e.to_string().contains("`EUR`"), "{e}");
    }

    #[test]
    fn bad_period_names_the_indicator() {
        let mut f = parse(DIGITAL_WALLONIA_PATH, DIGITAL_WALLONIA).unwrap();
        f.programmes[0].indicators[0].observations[0].period = "2025-2022".into();
        let e = f.ops().err().unwrap();
        assert!(e.field.contains("indicators"), "{e}");
    }

    #[test]
    fn in_2024_programmes_sit_under_their_lever_marked_inferred() {
        let f = parse(DIGITAL_WALLONIA_PATH, DIGITAL_WALLONIA).unwrap();
        let ops = f.ops().unwrap();
        let edges: Vec<(&EntityRef, &EntityRef, &Provenance)> = ops
            .iter()
            .filter_map(|o| match o {
                Op::Edge {
                    version,
                    parent,
                    child,
                    provenance,
                    ..
                } if version == VERSION_2024 => Some((parent, child, provenance)),
                _ => None,
            })
            .collect();
        // Every programme has exactly one place in 2024-2029: under a lever.
        for p in &f.programmes {
            let places: Vec<_> = edges
                .iter()
                .filter(|(_, c, _)| c.kind == EntityKind::Programme && c.key == p.id)
                .collect();
            assert_eq!(places.len(), 1, "{}", p.id);
            let (parent, _, prov) = places[0];
            assert_eq!(parent.kind, EntityKind::Lever, "{}", p.id);
            assert!(prov.inferred, "{}: the memorandum does not state it", p.id);
        }
        let ai = edges
            .iter()
            .find(|(_, c, _)| c.key == "dw4ai")
            .map(|(p, _, _)| p.key.as_str());
        assert_eq!(ai, Some("intelligence-artificielle"));
        // Older versions keep programmes under ambitions.
        assert!(
            ops.iter()
                .any(|o| matches!(o, Op::Edge { version, parent, child, .. }
            if version == "v3" && parent.kind == EntityKind::Ambition && child.key == "dw4ai"))
        );
    }

    #[test]
    fn a_lever_of_another_ambition_or_unknown_is_refused() {
        let mut f = parse(DIGITAL_WALLONIA_PATH, DIGITAL_WALLONIA).unwrap();
        let i = f
            .programmes
            .iter()
            .position(|p| p.id == "giga-region")
            .unwrap();
        f.programmes[i].lever_2024 = Some("education".into());
        let e = f.ops().err().unwrap();
        assert_eq!(e.field, "programmes[giga-region].lever_2024");
        assert!(e.to_string().contains("usages-numeriques"), "{e}");
        f.programmes[i].lever_2024 = Some("infrastructure-numeriques".into());
        let e = f.ops().err().unwrap();
        assert!(e.to_string().contains("unknown lever"), "{e}");
        assert!(
            format!("{e:?}").contains("infrastructures-numeriques"),
            "{e:?}"
        );
    }
}
