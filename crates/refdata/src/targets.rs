//! Strategy files that state targets by axis (`data/strategy/eu-digital-decade.toml`).
//!
//! Layout: `[strategy]`, `[[versions]]` (one tree each), `[[axes]]` with their
//! `[[axes.targets]]` (value, unit, year `by`, qualifier), and `[[alignments]]`: an
//! ambition of another strategy aligned with an axis, `inferred` when the source does
//! not say which. Each axis becomes an ambition of the strategy (key
//! `{prefix}-{axis}`), each target an indicator measuring it (key `{prefix}-{target}`,
//! a level: the share or count reached) with its target, due at the end of the year
//! `by` (the year as stated is kept in the indicator's `due_as_stated`). Alignments
//! are kept on the axis (`aligned_with`), with their provenance. Unknown keys are
//! refused; errors name the file, line and column, or the item.

use serde::Deserialize;
use territoria_model::entity::EntityRef;
use territoria_model::{
    Aggregation, Details, Entity, EntityKind, FieldError, Indicator, IndicatorKind, Labels,
    Provenance, Target,
};
use territoria_store::{Op, StrategyVersion};

use crate::strategy::FileError;

/// The EU Digital Decade 2030 file shipped with the product.
pub const EU_DIGITAL_DECADE: &str = include_str!("../../../data/strategy/eu-digital-decade.toml");
pub const EU_DIGITAL_DECADE_PATH: &str = "data/strategy/eu-digital-decade.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetsFile {
    pub strategy: Head,
    pub versions: Vec<Version>,
    pub axes: Vec<Axis>,
    #[serde(default)]
    pub alignments: Vec<Alignment>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    pub id: String,
    pub name: Labels,
    pub source: String,
    #[serde(default)]
    pub scope: Option<String>,
    /// Prefix of the axes' and indicators' keys (default: the strategy id).
    #[serde(default)]
    pub prefix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Version {
    pub id: String,
    pub label: Labels,
    pub year: i64,
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    pub id: String,
    pub name: Labels,
    #[serde(default)]
    pub targets: Vec<AxisTarget>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisTarget {
    pub id: String,
    pub name: Labels,
    pub value: f64,
    pub unit: String,
    /// The year the target is for ("by 2030").
    pub by: i32,
    #[serde(default)]
    pub qualifier: Option<String>,
}

#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Alignment {
    pub strategy: String,
    pub ambition: String,
    pub axis: String,
    #[serde(default)]
    pub inferred: bool,
    pub source: String,
    #[serde(default)]
    pub quote: Option<String>,
}

/// Parses a targets file; errors name the file, line and column.
pub fn parse(file: &str, text: &str) -> Result<TargetsFile, FileError> {
    crate::strategy::parse_toml(file, text)
}

/// Whether a strategy file has this layout (it lists `[[axes]]`).
pub fn is_targets_file(text: &str) -> bool {
    text.parse::<toml::Table>()
        .is_ok_and(|t| t.contains_key("axes") && !t.contains_key("ambitions"))
}

impl TargetsFile {
    fn prefix(&self) -> &str {
        self.strategy.prefix.as_deref().unwrap_or(&self.strategy.id)
    }

    pub fn axis_key(&self, axis: &str) -> String {
        format!("{}-{axis}", self.prefix())
    }

    pub fn indicator_key(&self, target: &str) -> String {
        format!("{}-{target}", self.prefix())
    }

    /// The file as store operations: the strategy, its versions, an ambition per axis
    /// and an indicator with its target per target.
    pub fn ops(&self) -> Result<Vec<Op>, FieldError> {
        let s = &self.strategy;
        let stated = || Provenance::stated(&s.source);
        let mut ops = Vec::new();
        let mut head = Entity::new(EntityKind::Strategy, &s.id, s.name.clone(), stated());
        if let Some(sc) = &s.scope {
            head.attributes.insert("scope".into(), sc.clone().into());
        }
        ops.push(Op::Entity(Box::new(head)));
        for (i, v) in self.versions.iter().enumerate() {
            ops.push(Op::StrategyVersion(StrategyVersion {
                strategy: s.id.clone(),
                id: v.id.clone(),
                label: v.label.clone(),
                year: Some(v.year),
                note: None,
                position: i as i64,
                source: v.source.clone(),
            }));
        }
        for al in &self.alignments {
            if !self.axes.iter().any(|a| a.id == al.axis) {
                let ids: Vec<&str> = self.axes.iter().map(|a| a.id.as_str()).collect();
                return Err(FieldError::new(
                    format!("alignments[{}].axis", al.ambition),
                    format!("unknown axis `{}`", al.axis),
                )
                .suggest(territoria_model::suggest::closest(&al.axis, ids, 3)));
            }
        }
        let mut edges = Vec::new();
        let mut figures = Vec::new();
        let sref = EntityRef::new(EntityKind::Strategy, s.id.clone());
        for (ai, a) in self.axes.iter().enumerate() {
            let key = self.axis_key(&a.id);
            let mut e = Entity::new(EntityKind::Ambition, &key, a.name.clone(), stated());
            e.attributes.insert("axis".into(), a.id.clone().into());
            let aligned: Vec<&Alignment> =
                self.alignments.iter().filter(|x| x.axis == a.id).collect();
            if !aligned.is_empty() {
                e.attributes.insert(
                    "aligned_with".into(),
                    serde_json::to_value(&aligned).unwrap_or_default(),
                );
            }
            ops.push(Op::Entity(Box::new(e)));
            let aref = EntityRef::new(EntityKind::Ambition, key);
            for v in &self.versions {
                edges.push(Op::Edge {
                    strategy: s.id.clone(),
                    version: v.id.clone(),
                    parent: sref.clone(),
                    child: aref.clone(),
                    position: ai as i64,
                    provenance: stated(),
                });
            }
            for t in &a.targets {
                let field = |f: &str| format!("axes[{}].targets[{}].{f}", a.id, t.id);
                let due = chrono::NaiveDate::from_ymd_opt(t.by, 12, 31).ok_or_else(|| {
                    FieldError::new(field("by"), format!("`{}` is not a year", t.by))
                })?;
                if !t.value.is_finite() {
                    return Err(FieldError::new(field("value"), "must be a finite number"));
                }
                let ikey = self.indicator_key(&t.id);
                let mut e = Entity::new(EntityKind::Indicator, &ikey, t.name.clone(), stated());
                e.details = Details::Indicator(Indicator {
                    unit: t.unit.clone(),
                    kind: IndicatorKind::Impact,
                    aggregation: Aggregation::Last,
                    measures: aref.clone(),
                });
                e.attributes
                    .insert("due_as_stated".into(), format!("by {}", t.by).into());
                e.attributes.insert(
                    "classification_note".into(),
                    "kind and aggregation are an editorial classification, not stated by the source"
                        .into(),
                );
                ops.push(Op::Entity(Box::new(e)));
                figures.push(Op::ClearStatedFigures {
                    indicator: ikey.clone(),
                });
                figures.push(Op::Target(Target {
                    indicator: ikey,
                    due,
                    value: t.value,
                    qualifier: t.qualifier.clone(),
                    note: None,
                    quote: None,
                    baseline: None,
                    provenance: stated(),
                }));
            }
        }
        ops.extend(edges);
        ops.extend(figures);
        Ok(ops)
    }
}

/// The shipped EU Digital Decade file as operations.
pub fn eu_digital_decade_ops() -> Vec<Op> {
    parse(EU_DIGITAL_DECADE_PATH, EU_DIGITAL_DECADE)
        .expect("the shipped EU Digital Decade file parses")
        .ops()
        .expect("the shipped EU Digital Decade file is consistent")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_file_has_four_axes_and_their_targets() {
        let f = parse(EU_DIGITAL_DECADE_PATH, EU_DIGITAL_DECADE).unwrap();
        let axes: Vec<&str> = f.axes.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            axes,
            ["skills", "infrastructure", "business", "public-services"]
        );
        let skills = &f.axes[0].targets;
        assert_eq!((skills[0].value, skills[0].unit.as_str()), (80.0, "%"));
        assert_eq!(skills[1].value, 20_000_000.0);
        assert!(f.ops().is_ok());
        assert_eq!(f.indicator_key("ict-specialists"), "eu-dd-ict-specialists");
        assert!(is_targets_file(EU_DIGITAL_DECADE));
        assert!(!is_targets_file(crate::strategy::DIGITAL_WALLONIA));
    }

    /// The memorandum says 4 of the 5 ambitions align; which ones it does not say.
    #[test]
    fn four_digital_wallonia_ambitions_are_aligned_and_marked_inferred() {
        let f = parse(EU_DIGITAL_DECADE_PATH, EU_DIGITAL_DECADE).unwrap();
        let dw = crate::strategy::parse(
            crate::strategy::DIGITAL_WALLONIA_PATH,
            crate::strategy::DIGITAL_WALLONIA,
        )
        .unwrap();
        assert_eq!(f.alignments.len(), 4);
        for al in &f.alignments {
            assert!(al.inferred, "{}", al.ambition);
            assert_eq!(al.strategy, dw.strategy.id);
            assert!(
                dw.ambitions.iter().any(|a| a.id == al.ambition),
                "{}",
                al.ambition
            );
        }
        // The sentence that states "4 of 5" is the memorandum's.
        let memo = crate::strategy::normalise_quote_text(include_str!(
            "../../../data/strategy/sources/digital-wallonia-2024-2029-memorandum.md"
        ));
        for al in &f.alignments {
            let q = crate::strategy::normalise_quote_text(al.quote.as_deref().unwrap());
            assert!(memo.contains(&q), "{q}");
        }
    }

    /// The TOML is the YAML it was generated from (`tools/strategy/eu_digital_decade.py`):
    /// each target's key, value, unit and year appear in the YAML's line for it.
    #[test]
    fn every_target_is_in_the_source_yaml() {
        let yaml = include_str!("../../../data/strategy/sources/eu-digital-decade-2030.yaml");
        let f = parse(EU_DIGITAL_DECADE_PATH, EU_DIGITAL_DECADE).unwrap();
        let mut n = 0;
        for a in &f.axes {
            assert!(yaml.contains(&format!("- key: {}", a.id)), "{}", a.id);
            for t in &a.targets {
                let line = yaml
                    .lines()
                    .find(|l| l.contains(&format!("{{key: {},", t.id)))
                    .unwrap_or_else(|| panic!("{} not in the YAML", t.id));
                for part in [
                    format!("value: {}", t.value),
                    format!("unit: \"{}\"", t.unit),
                    format!("by: {}", t.by),
                ] {
                    assert!(line.contains(&part), "{}: {part} not in {line}", t.id);
                }
                n += 1;
            }
        }
        assert_eq!(n, yaml.matches("{key: ").count());
    }

    #[test]
    fn an_alignment_to_an_unknown_axis_is_refused() {
        let text = EU_DIGITAL_DECADE.replacen("axis = \"skills\"", "axis = \"skils\"", 1);
        let e = parse("x.toml", &text).unwrap().ops().err().unwrap();
        assert!(e.to_string().contains("skills"), "{e}");
    }
}
