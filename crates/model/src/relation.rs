use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::entity::EntityRef;
use crate::{EntityKind, FieldError, Provenance, ValidationErrors};

/// The typed links between entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// took part in a mission or an event
    ParticipatedIn,
    /// won a call for projects
    LaureateOf,
    /// received money from a fund, a programme, a call or a plan (a strategy such as
    /// the Plan de Relance)
    FundedBy,
    /// member of a competitiveness pole, a network, a cluster
    MemberOf,
    /// holds a label (Factory of the Future, Made Different)
    Labelled,
    /// sits in a place
    LocatedIn,
    /// leads (operates) an action
    Operates,
    /// partner of an action
    PartnerOf,
    /// an action or a lower-level indicator feeds an indicator
    ContributesTo,
    /// a call, mission or event belongs to a programme or an action
    PartOf,
}

pub const RELATION_KINDS: [RelationKind; 10] = [
    RelationKind::ParticipatedIn,
    RelationKind::LaureateOf,
    RelationKind::FundedBy,
    RelationKind::MemberOf,
    RelationKind::Labelled,
    RelationKind::LocatedIn,
    RelationKind::Operates,
    RelationKind::PartnerOf,
    RelationKind::ContributesTo,
    RelationKind::PartOf,
];

impl RelationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RelationKind::ParticipatedIn => "participated_in",
            RelationKind::LaureateOf => "laureate_of",
            RelationKind::FundedBy => "funded_by",
            RelationKind::MemberOf => "member_of",
            RelationKind::Labelled => "labelled",
            RelationKind::LocatedIn => "located_in",
            RelationKind::Operates => "operates",
            RelationKind::PartnerOf => "partner_of",
            RelationKind::ContributesTo => "contributes_to",
            RelationKind::PartOf => "part_of",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        RELATION_KINDS.into_iter().find(|k| k.as_str() == s)
    }

    pub fn all() -> &'static [RelationKind] {
        &RELATION_KINDS
    }

    /// The kinds of entity a relation of this kind may point to.
    pub fn object_kinds(self) -> &'static [EntityKind] {
        use EntityKind as K;
        match self {
            RelationKind::ParticipatedIn => &[K::Mission, K::Event],
            RelationKind::LaureateOf => &[K::Call],
            RelationKind::FundedBy => &[K::Fund, K::Programme, K::Call, K::Strategy],
            RelationKind::MemberOf => &[K::Organisation],
            RelationKind::Labelled => &[K::Label],
            RelationKind::LocatedIn => &[K::Place],
            RelationKind::Operates | RelationKind::PartnerOf => &[K::Action],
            RelationKind::ContributesTo => &[K::Indicator, K::Programme, K::Action],
            RelationKind::PartOf => &[K::Programme, K::Action, K::Strategy, K::Fund],
        }
    }
}

impl fmt::Display for RelationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `subject --kind--> object`, with optional dates, an amount (an investment, a
/// grant) and its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    pub subject: EntityRef,
    pub kind: RelationKind,
    pub object: EntityRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_eur: Option<f64>,
    pub provenance: Provenance,
}

impl Relation {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errs = ValidationErrors::default();
        if !self.kind.object_kinds().contains(&self.object.kind) {
            let allowed: Vec<&str> = self
                .kind
                .object_kinds()
                .iter()
                .map(|k| k.as_str())
                .collect();
            errs.push(FieldError::new(
                "relation",
                format!(
                    "`{}` cannot point to a {}; it points to: {}",
                    self.kind,
                    self.object.kind,
                    allowed.join(", ")
                ),
            ));
        }
        if let (Some(a), Some(b)) = (self.since, self.until) {
            if b < a {
                errs.push(FieldError::new("until", "ends before it starts"));
            }
        }
        if let Some(x) = self.amount_eur {
            if !x.is_finite() || x < 0.0 {
                errs.push(FieldError::new("amount_eur", "must be a positive amount"));
            }
        }
        errs.into_result()
    }
}
