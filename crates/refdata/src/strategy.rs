//! The human-editable strategy file (`data/strategy/digital-wallonia.toml`).
//!
//! Layout: `[strategy]`, `[[versions]]` (those with `tree = true` get a hierarchy),
//! `[[ambitions]]` with `[[ambitions.levers]]` and `values`, `[[programmes]]` with
//! `[[programmes.indicators]]` and their `[[programmes.indicators.observations]]`,
//! `[[related_strategies]]`, `[[funds]]`, `[[labels]]`, `[[calls]]`,
//! `[[support_actors]]`, `[[schemes]]` with `[[schemes.concepts]]`.
//! Unknown keys are refused (a typo must not silently drop a fact); errors name the
//! file, line and column.

use std::collections::BTreeMap;

use serde::Deserialize;
use territoria_model::entity::EntityRef;
use territoria_model::{
    Aggregation, Concept, ConceptRef, Details, Entity, EntityKind, FieldError, Indicator,
    IndicatorKind, Labels, Observation, Period, Provenance, Relation, RelationKind, Scheme,
    schemes,
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
    pub funding: Option<String>,
    #[serde(default)]
    pub observations: Vec<ObservationDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationDef {
    pub period: String,
    pub value: f64,
    #[serde(default)]
    pub qualifier: Option<String>,
    #[serde(default)]
    pub period_label: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
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
                if let Some(n) = &l.note {
                    e.description = Labels::fr(n);
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
            for v in &tree_versions {
                edges.push(edge(
                    &v.id,
                    EntityRef::new(EntityKind::Ambition, p.ambition.clone()),
                    pref.clone(),
                    200 + pi,
                    link.clone(),
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
                if let Some(f) = &ind.funding {
                    e.tags
                        .push(ConceptRef::new(schemes::FUNDING_SOURCE, f.clone()));
                }
                ops.push(Op::Entity(Box::new(e)));
                for o in &ind.observations {
                    let period = Period::parse(&field("period"), &o.period)?;
                    observations.push(Op::Observation(Observation {
                        indicator: ind.id.clone(),
                        period,
                        territory: None,
                        value: o.value,
                        qualifier: o.qualifier.clone(),
                        period_label: o.period_label.clone(),
                        note: o.note.clone(),
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
        ops.extend(observations);
        Ok(ops)
    }
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
        let giga = f.programmes.iter().find(|p| p.id == "giga-region").unwrap();
        assert!(
            giga.indicators
                .iter()
                .any(|i| i.observations.iter().any(|o| o.value == 58414.0))
        );
        f.ops().unwrap();
    }

    #[test]
    fn errors_name_line_and_column() {
        let text = "[strategy]\nid = \"x\"\nnmae = 3\n";
        let e = parse("s.toml", text).err().unwrap();
        assert_eq!((e.file.as_str(), e.line), ("s.toml", 3), "{e}");
        assert!(e.to_string().starts_with("s.toml:3:1:"), "{e}");
    }

    #[test]
    fn bad_period_names_the_indicator() {
        let mut f = parse(DIGITAL_WALLONIA_PATH, DIGITAL_WALLONIA).unwrap();
        f.programmes[0].indicators[0].observations[0].period = "2025-2022".into();
        let e = f.ops().err().unwrap();
        assert!(e.field.contains("indicators"), "{e}");
    }
}
