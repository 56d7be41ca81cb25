//! Read models: what the store answers, ready to serialise.

use std::collections::BTreeMap;

use serde::Serialize;
use territoria_model::{ConceptRef, Entity, EntityKind, Labels, Provenance};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Counts {
    pub entities: BTreeMap<String, u64>,
    pub demo_entities: u64,
    pub schemes: u64,
    pub concepts: u64,
    pub relations: u64,
    pub observations: u64,
    pub audit_entries: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VersionSummary {
    pub id: String,
    pub label: Labels,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StrategySummary {
    pub id: String,
    pub name: Labels,
    pub description: Labels,
    pub versions: Vec<VersionSummary>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StrategyTree {
    pub id: String,
    pub name: Labels,
    pub description: Labels,
    pub attributes: serde_json::Map<String, serde_json::Value>,
    pub provenance: Provenance,
    pub version: VersionSummary,
    pub versions: Vec<VersionSummary>,
    /// Entities by kind in this version's tree (ambition: 5, lever: 15, …).
    pub node_counts: BTreeMap<String, u64>,
    pub children: Vec<Node>,
}

/// One node of a strategy tree: an ambition, lever, value, programme or action.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Node {
    pub kind: EntityKind,
    pub id: String,
    pub name: Labels,
    #[serde(skip_serializing_if = "Labels::is_empty")]
    pub description: Labels,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    pub provenance: Provenance,
    /// Provenance of the link to the parent: `inferred` when the source does not
    /// state it.
    pub link: Provenance,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<IndicatorView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IndicatorView {
    pub id: String,
    pub name: Labels,
    pub unit: String,
    pub kind: String,
    pub aggregation: String,
    pub provenance: Provenance,
    pub observations: Vec<ObservationView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<TargetView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ObservationView {
    /// The period as written (`2024`, `2022-2026`); `None` when the source gives none
    /// ("période non précisée").
    pub period: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The source's sentence the figure comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    pub recorded_at: String,
    pub provenance: Provenance,
}

/// An indicator with observations broken down by territory (see
/// [`territoria_model::Observation::territory`]), and the periods they cover.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TerritorialIndicator {
    pub id: String,
    pub name: Labels,
    pub unit: String,
    pub aggregation: String,
    /// Periods with at least one territorial value, latest last.
    pub periods: Vec<TerritorialPeriod>,
}

/// A period of a breakdown, with the figure for the whole when there is one.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TerritorialPeriod {
    #[serde(flatten)]
    pub period: PeriodView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whole: Option<WholeFigure>,
}

/// The observation without territory of a period: what the breakdown breaks down.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WholeFigure {
    pub value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    pub provenance: Provenance,
}

/// A period as stored (ISO dates) and as written (`2024`, `2023-01-01/2023-06-30`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct PeriodView {
    pub start: String,
    pub end: String,
    pub period: String,
}

/// One territory's share of an indicator for a period.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TerritorialObservation {
    /// REFNIS code (notation in the `territory` scheme).
    pub territory: String,
    pub period: PeriodView,
    pub value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetView {
    pub due: String,
    pub value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    /// What kind of figure it is when not a plain target (a projection the source
    /// states in the future tense), in the source's words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    /// The situation the target starts from, when the source gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<territoria_model::Baseline>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SchemeSummary {
    pub id: String,
    pub title: Labels,
    pub description: Labels,
    pub concepts: u64,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConceptBrief {
    pub scheme: String,
    pub notation: String,
    pub labels: Labels,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConceptLinkView {
    pub kind: String,
    /// `out`: this concept → other (a canton covers a municipality); `in`: the reverse.
    pub direction: &'static str,
    pub concept: ConceptBrief,
    pub partial: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConceptDetail {
    pub scheme: String,
    pub notation: String,
    pub labels: Labels,
    pub attributes: serde_json::Map<String, serde_json::Value>,
    pub provenance: Provenance,
    /// From the direct parent up to the top of the scheme.
    pub broader: Vec<ConceptBrief>,
    pub narrower: Vec<ConceptBrief>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<ConceptLinkView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub postal_codes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometry: Option<serde_json::Value>,
    /// Entities tagged with this concept or a narrower one.
    pub tagged_entities: u64,
}

/// A page of entities of one kind, filtered by concepts (each matched with its
/// narrower concepts; several concepts are ANDed) and text.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityQuery {
    pub kind: EntityKind,
    pub concepts: Vec<ConceptRef>,
    pub text: Option<String>,
    pub demo: Option<bool>,
    pub limit: u32,
    pub offset: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Page<T> {
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
    pub items: Vec<T>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EntitySummary {
    pub kind: EntityKind,
    pub id: String,
    pub name: Labels,
    pub demo: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EntityBrief {
    pub kind: EntityKind,
    pub id: String,
    pub name: Labels,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RelationView {
    pub kind: String,
    pub entity: EntityBrief,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_eur: Option<f64>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlacementView {
    pub strategy: String,
    pub version: String,
    pub parent: EntityBrief,
    pub link: Provenance,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EntityDetail {
    #[serde(flatten)]
    pub entity: Entity,
    /// The tags with their labels.
    pub concepts: Vec<ConceptBrief>,
    pub relations: Vec<RelationView>,
    pub inverse_relations: Vec<RelationView>,
    /// Where this entity sits in strategy trees.
    pub placements: Vec<PlacementView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<IndicatorView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub operation: String,
    pub summary: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MagnetVersion {
    pub version: i64,
    pub query: String,
    pub actor: String,
    pub created_at: String,
}

/// A saved version of the Digiscore support catalogue (see `Op::DigiscoreSupport`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SupportVersion {
    pub version: i64,
    /// The catalogue as TOML.
    pub body: String,
    /// Who saved it (an account's login, or the command that did).
    pub actor: String,
    pub created_at: String,
}

/// A digital-maturity self-assessment as read back (see `DigiscoreRecord`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoredAssessment {
    pub link_hash: String,
    pub series: String,
    pub questionnaire: String,
    pub questionnaire_version: i64,
    pub kbo: Option<String>,
    pub nace_section: String,
    pub size_class: String,
    pub municipality: Option<String>,
    pub answers: String,
    pub overall: Option<f64>,
    pub axes: Option<String>,
    pub completed_at: Option<String>,
    pub demo: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A saved smart magnet: name, kind searched, and every version of its query.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MagnetRecord {
    pub id: String,
    pub name: Labels,
    pub kind: EntityKind,
    pub source: String,
    pub created_at: String,
    pub versions: Vec<MagnetVersion>,
}
