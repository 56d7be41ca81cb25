use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{ConceptRef, FieldError, Kbo, Labels, Period, Provenance, ValidationErrors};

/// Every kind of entity ("conteneur" in the memorandum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Organisation,
    Person,
    Event,
    Publication,
    Strategy,
    Ambition,
    Value,
    Lever,
    Programme,
    Action,
    Indicator,
    Call,
    Mission,
    Fund,
    Label,
    Dataset,
    Place,
}

pub const ENTITY_KINDS: [EntityKind; 17] = [
    EntityKind::Organisation,
    EntityKind::Person,
    EntityKind::Event,
    EntityKind::Publication,
    EntityKind::Strategy,
    EntityKind::Ambition,
    EntityKind::Value,
    EntityKind::Lever,
    EntityKind::Programme,
    EntityKind::Action,
    EntityKind::Indicator,
    EntityKind::Call,
    EntityKind::Mission,
    EntityKind::Fund,
    EntityKind::Label,
    EntityKind::Dataset,
    EntityKind::Place,
];

impl EntityKind {
    pub fn all() -> &'static [EntityKind] {
        &ENTITY_KINDS
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Organisation => "organisation",
            EntityKind::Person => "person",
            EntityKind::Event => "event",
            EntityKind::Publication => "publication",
            EntityKind::Strategy => "strategy",
            EntityKind::Ambition => "ambition",
            EntityKind::Value => "value",
            EntityKind::Lever => "lever",
            EntityKind::Programme => "programme",
            EntityKind::Action => "action",
            EntityKind::Indicator => "indicator",
            EntityKind::Call => "call",
            EntityKind::Mission => "mission",
            EntityKind::Fund => "fund",
            EntityKind::Label => "label",
            EntityKind::Dataset => "dataset",
            EntityKind::Place => "place",
        }
    }

    /// The plural used in URLs (`/api/entities/organisations`).
    pub fn plural(self) -> &'static str {
        match self {
            EntityKind::Organisation => "organisations",
            EntityKind::Person => "people",
            EntityKind::Event => "events",
            EntityKind::Publication => "publications",
            EntityKind::Strategy => "strategies",
            EntityKind::Ambition => "ambitions",
            EntityKind::Value => "values",
            EntityKind::Lever => "levers",
            EntityKind::Programme => "programmes",
            EntityKind::Action => "actions",
            EntityKind::Indicator => "indicators",
            EntityKind::Call => "calls",
            EntityKind::Mission => "missions",
            EntityKind::Fund => "funds",
            EntityKind::Label => "labels",
            EntityKind::Dataset => "datasets",
            EntityKind::Place => "places",
        }
    }

    /// Accepts the singular or the plural form.
    pub fn parse(s: &str) -> Option<Self> {
        ENTITY_KINDS
            .into_iter()
            .find(|k| k.as_str() == s || k.plural() == s)
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `kind/key`, the stable human-readable identity of an entity
/// (`organisation/demo-000042`, `programme/dw4ai`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityRef {
    pub kind: EntityKind,
    pub key: String,
}

impl EntityRef {
    pub fn new(kind: EntityKind, key: impl Into<String>) -> Self {
        Self {
            kind,
            key: key.into(),
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let bad = || {
            FieldError::new(
                field,
                format!("`{s}` is not an entity reference: write kind/key, e.g. programme/dw4ai"),
            )
        };
        let (kind, key) = s.trim().split_once('/').ok_or_else(bad)?;
        let kind = EntityKind::parse(kind).ok_or_else(|| {
            let kinds: Vec<&str> = ENTITY_KINDS.iter().map(|k| k.as_str()).collect();
            FieldError::new(field, format!("unknown entity kind `{kind}`"))
                .suggest(crate::suggest::closest(kind, kinds, 3))
        })?;
        check_key(field, key)?;
        Ok(Self::new(kind, key))
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.key)
    }
}

impl Serialize for EntityRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EntityRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse("ref", &s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// Keys are stable identifiers: lowercase ASCII letters, digits and `.-_`, at most
/// 120 characters, starting with a letter or digit.
pub fn check_key(field: &str, key: &str) -> Result<(), FieldError> {
    let ok = !key.is_empty()
        && key.len() <= 120
        && key.as_bytes()[0].is_ascii_alphanumeric()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!(
                "`{key}` is not a valid key: use lowercase letters, digits, '-', '.', '_' (e.g. dw4ai)"
            ),
        ))
    }
}

/// An entity of any kind: what every kind shares, plus the typed details of the
/// kinds that have some.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    pub kind: EntityKind,
    pub key: String,
    pub name: Labels,
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub description: Labels,
    /// Concepts this entity is tagged with (any scheme).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<ConceptRef>,
    /// Free-form extra facts (a URL, a theme, a note).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Details::is_none")]
    pub details: Details,
    pub provenance: Provenance,
}

/// Typed facts of the kinds that have them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Details {
    #[default]
    None,
    Organisation(Organisation),
    Action(Action),
    Indicator(Indicator),
    Place(Place),
    Event(Event),
}

impl Details {
    pub fn is_none(&self) -> bool {
        matches!(self, Details::None)
    }
}

impl Entity {
    pub fn new(
        kind: EntityKind,
        key: impl Into<String>,
        name: Labels,
        provenance: Provenance,
    ) -> Self {
        Self {
            kind,
            key: key.into(),
            name,
            description: Labels::default(),
            tags: Vec::new(),
            attributes: serde_json::Map::new(),
            details: Details::None,
            provenance,
        }
    }

    pub fn reference(&self) -> EntityRef {
        EntityRef::new(self.kind, self.key.clone())
    }

    /// Checks what can be checked without the store (concept codes and references
    /// are resolved by the write path).
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errs = ValidationErrors::default();
        if let Err(e) = check_key("key", &self.key) {
            errs.push(e);
        }
        if self.name.is_empty() {
            errs.push(FieldError::new("name", "a name is required"));
        }
        for (field, labels) in [("name", &self.name), ("description", &self.description)] {
            if let Some(l) = labels.unknown_language() {
                errs.push(FieldError::new(
                    field,
                    format!("unknown language `{l}`: use fr, nl, de or en"),
                ));
            }
        }
        if self.provenance.source.trim().is_empty() {
            errs.push(FieldError::new("source", "every fact needs a source"));
        }
        let kind_ok = match &self.details {
            Details::None => true,
            Details::Organisation(o) => {
                o.validate(&mut errs);
                self.kind == EntityKind::Organisation
            }
            Details::Action(a) => {
                a.validate(&mut errs);
                self.kind == EntityKind::Action
            }
            Details::Indicator(i) => {
                i.validate(&mut errs);
                self.kind == EntityKind::Indicator
            }
            Details::Place(p) => {
                p.validate(&mut errs);
                validate_contact(&self.attributes, &mut errs);
                self.kind == EntityKind::Place
            }
            Details::Event(e) => {
                e.validate(&mut errs);
                self.kind == EntityKind::Event
            }
        };
        let needs_details = matches!(
            self.kind,
            EntityKind::Action | EntityKind::Indicator | EntityKind::Place
        );
        if needs_details && self.details.is_none() {
            errs.push(FieldError::new(
                "details",
                format!(
                    "a {} needs its details (see the documentation of its fields)",
                    self.kind
                ),
            ));
        }
        if !kind_ok {
            errs.push(FieldError::new(
                "details",
                format!("these details do not belong to a {}", self.kind),
            ));
        }
        errs.into_result()
    }
}

/// Size classes of the EU SME definition, by head count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeClass {
    Micro,
    Small,
    Medium,
    Large,
}

impl SizeClass {
    pub const ALL: [SizeClass; 4] = [
        SizeClass::Micro,
        SizeClass::Small,
        SizeClass::Medium,
        SizeClass::Large,
    ];

    pub fn notation(self) -> &'static str {
        match self {
            SizeClass::Micro => "micro",
            SizeClass::Small => "small",
            SizeClass::Medium => "medium",
            SizeClass::Large => "large",
        }
    }

    pub fn of_employees(n: u32) -> SizeClass {
        match n {
            0..=9 => SizeClass::Micro,
            10..=49 => SizeClass::Small,
            50..=249 => SizeClass::Medium,
            _ => SizeClass::Large,
        }
    }
}

/// A company or organisation profile. Its legal form, NACE-BEL codes, municipality,
/// size class and kind are concept tags of the entity (schemes `legal-form`,
/// `nace-bel-2008`/`nace-bel-2025`, `territory`, `size-class`, `organisation-kind`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kbo: Option<Kbo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founded: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employees: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
}

impl Organisation {
    fn validate(&self, errs: &mut ValidationErrors) {
        if let Some(f) = self.founded {
            // Reading the clock costs more than the rest of an organisation's checks
            // (a bulk import validates 100,000 of them): only a recent date needs it.
            let surely_past = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date");
            if f >= surely_past && f > chrono::Utc::now().date_naive() {
                errs.push(FieldError::new("founded", format!("{f} is in the future")));
            }
        }
        if let Some(w) = &self.website {
            if !(w.starts_with("https://") || w.starts_with("http://")) {
                errs.push(FieldError::new(
                    "website",
                    format!("`{w}` must start with https:// or http://"),
                ));
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Planned,
    Ongoing,
    Completed,
    Suspended,
    Cancelled,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 5] = [
        ActionStatus::Planned,
        ActionStatus::Ongoing,
        ActionStatus::Completed,
        ActionStatus::Suspended,
        ActionStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Planned => "planned",
            ActionStatus::Ongoing => "ongoing",
            ActionStatus::Completed => "completed",
            ActionStatus::Suspended => "suspended",
            ActionStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// An action of a strategy. Its type, target audiences and funding sources are
/// concept tags (`action-type`, `target-audience`, `funding-source`); its lead
/// organisation and partners are `operates` / `partner_of` relations; the programmes
/// it serves are edges of the strategy trees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub status: ActionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_eur: Option<f64>,
}

impl Action {
    fn validate(&self, errs: &mut ValidationErrors) {
        if let (Some(s), Some(e)) = (self.start, self.end) {
            if e < s {
                errs.push(FieldError::new(
                    "end",
                    format!("{e} is before the start {s}"),
                ));
            }
        }
        if let Some(b) = self.budget_eur {
            if !b.is_finite() || b < 0.0 {
                errs.push(FieldError::new("budget_eur", "must be a positive amount"));
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    Output,
    Outcome,
    Impact,
}

impl IndicatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Output => "output",
            IndicatorKind::Outcome => "outcome",
            IndicatorKind::Impact => "impact",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Output, Self::Outcome, Self::Impact]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// How an indicator rolls up: over time (the value of a period) and over the
/// indicators that contribute to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// flows: contributions and periods add up (money spent, companies supported)
    Sum,
    /// stocks: the latest value holds (number of EPN in the network)
    Last,
    Max,
    Mean,
}

impl Aggregation {
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Sum => "sum",
            Aggregation::Last => "last",
            Aggregation::Max => "max",
            Aggregation::Mean => "mean",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Sum, Self::Last, Self::Max, Self::Mean]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// An indicator measures one entity (a programme, an action, the territory).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    pub unit: String,
    pub kind: IndicatorKind,
    pub aggregation: Aggregation,
    /// The entity it measures, `kind/key`.
    pub measures: crate::entity::EntityRef,
}

impl Indicator {
    fn validate(&self, errs: &mut ValidationErrors) {
        if self.unit.trim().is_empty() {
            errs.push(FieldError::new(
                "unit",
                "a unit is required (EUR, entreprises, %, …)",
            ));
        }
    }
}

/// A place: an EPN, a support actor's office, a venue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub lat: f64,
    pub lon: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
}

/// A place's contact attributes, when present: `opening_hours` (OpenStreetMap's
/// syntax, as text), `phone` (digits, spaces and `+ ( ) . / -`), `email` (one `@`
/// and a dotted domain).
fn validate_contact(
    attributes: &serde_json::Map<String, serde_json::Value>,
    errs: &mut ValidationErrors,
) {
    for key in ["opening_hours", "phone", "email"] {
        let Some(v) = attributes.get(key) else {
            continue;
        };
        let field = format!("attributes.{key}");
        let Some(s) = v.as_str().map(str::trim).filter(|s| !s.is_empty()) else {
            errs.push(FieldError::new(field, "must be a non-empty text"));
            continue;
        };
        let bad = match key {
            "phone" => {
                !s.chars()
                    .all(|c| c.is_ascii_digit() || " +()./-".contains(c))
                    || s.chars().filter(char::is_ascii_digit).count() < 8
            }
            "email" => !matches!(s.split_once('@'), Some((user, domain))
                if !user.is_empty() && !domain.contains('@') && domain.contains('.')
                    && !domain.starts_with('.') && !domain.ends_with('.')),
            _ => false,
        };
        if bad {
            errs.push(FieldError::new(
                field,
                match key {
                    "phone" => format!("`{s}` is not a telephone number (e.g. +32 81 00 12 34)"),
                    _ => format!("`{s}` is not an e-mail address"),
                },
            ));
        }
    }
}

impl Place {
    fn validate(&self, errs: &mut ValidationErrors) {
        if !(-90.0..=90.0).contains(&self.lat) || !self.lat.is_finite() {
            errs.push(FieldError::new("lat", "latitude must be within -90..90"));
        }
        if !(-180.0..=180.0).contains(&self.lon) || !self.lon.is_finite() {
            errs.push(FieldError::new("lon", "longitude must be within -180..180"));
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub start: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDate>,
}

impl Event {
    fn validate(&self, errs: &mut ValidationErrors) {
        if self.end.is_some_and(|e| e < self.start) {
            errs.push(FieldError::new("end", "ends before it starts"));
        }
    }
}

/// One value of an indicator for a period, with the qualifier the source used
/// ("plus de", "près de") and when it was recorded.
///
/// `period` is `None` when the source states the figure without saying which period
/// it covers ("période non précisée"): a first-class value, never replaced by a
/// guess. `quote` is the short sentence of the source the figure comes from, shown as
/// its citation (and checked against the source text for the shipped strategy file).
///
/// Without a `territory` the value is the indicator's figure as a whole (what the
/// strategy pages chart and roll up). With one, it is that figure's share for a
/// territory — a REFNIS code of the `territory` scheme, usually a municipality — and
/// feeds the maps; a breakdown never counts towards the whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub indicator: String,
    pub period: Option<Period>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub territory: Option<String>,
    pub value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    pub provenance: Provenance,
}

pub const QUALIFIERS: [&str; 4] = ["plus de", "près de", "moins de", "environ"];

impl Observation {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errs = ValidationErrors::default();
        if let Err(e) = check_key("indicator", &self.indicator) {
            errs.push(e);
        }
        if !self.value.is_finite() {
            errs.push(FieldError::new("value", "must be a finite number"));
        }
        if let Some(t) = &self.territory {
            if t.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric()) {
                errs.push(FieldError::new(
                    "territory",
                    format!("`{t}` is not a territory code: use a REFNIS code such as 62063"),
                ));
            }
        }
        if let Some(q) = &self.qualifier {
            if !QUALIFIERS.contains(&q.as_str()) {
                errs.push(
                    FieldError::new("qualifier", format!("unknown qualifier `{q}`"))
                        .suggest(crate::suggest::closest(q, QUALIFIERS, 2)),
                );
            }
        }
        if self.provenance.source.trim().is_empty() {
            errs.push(FieldError::new(
                "source",
                "every observation needs a source",
            ));
        }
        errs.into_result()
    }
}

/// A value an indicator should reach by a date: a target, or a projection the source
/// states in the future tense ("58.414 foyers auront bénéficié … (2022-2025)"), which
/// is not an observation. `note` says which and how the source words it; `quote` is
/// the source's sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub indicator: String,
    pub due: NaiveDate,
    pub value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    /// The situation the target starts from, when the source gives it: progress is
    /// measured from it, and a cumulative indicator's running total starts there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
    pub provenance: Provenance,
}

/// A target's starting point: a value on a date, before the target's due date.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub date: NaiveDate,
    pub value: f64,
}

impl Target {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errs = ValidationErrors::default();
        if let Err(e) = check_key("indicator", &self.indicator) {
            errs.push(e);
        }
        if !self.value.is_finite() {
            errs.push(FieldError::new("value", "must be a finite number"));
        }
        if let Some(b) = &self.baseline {
            if !b.value.is_finite() {
                errs.push(FieldError::new("baseline_value", "must be a finite number"));
            }
            if b.date >= self.due {
                errs.push(FieldError::new(
                    "baseline_date",
                    format!(
                        "the baseline ({}) must come before the target's due date ({}): a target starts from an earlier situation",
                        b.date, self.due
                    ),
                ));
            }
        }
        if self.provenance.source.trim().is_empty() {
            errs.push(FieldError::new("source", "every target needs a source"));
        }
        errs.into_result()
    }
}

#[cfg(test)]
mod contact_tests {
    use super::*;

    fn place(attrs: serde_json::Value) -> Entity {
        let mut e = Entity::new(
            EntityKind::Place,
            "epn-namur",
            Labels::fr("EPN de Namur"),
            Provenance::stated("test"),
        );
        e.details = Details::Place(Place {
            lat: 50.46,
            lon: 4.87,
            address: Some("Rue de la Gare 12".into()),
            postal_code: Some("5000".into()),
        });
        if let serde_json::Value::Object(m) = attrs {
            e.attributes = m;
        }
        e
    }

    #[test]
    fn contact_attributes_are_checked_by_name() {
        let ok = serde_json::json!({"phone": "+32 81 00 12 34", "email": "epn@namur.example", "opening_hours": "Mo-Fr 09:00-17:00"});
        assert!(place(ok).validate().is_ok());
        let bad = place(
            serde_json::json!({"phone": "call us", "email": "epn.namur.be", "opening_hours": 9}),
        );
        let errs = bad.validate().unwrap_err();
        let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "attributes.opening_hours",
                "attributes.phone",
                "attributes.email"
            ]
        );
    }
}
