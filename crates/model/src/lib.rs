//! Territoria's domain model.
//!
//! Everything the platform *represents* is described here as plain data, with the
//! validation rules that make a value acceptable: entities of every kind (organisations,
//! actions, indicators, …), SKOS-like concept schemes, typed relations between entities,
//! and the provenance that every fact carries.
//!
//! Architecture invariant: this crate does no I/O. It knows nothing about SQL, HTTP or
//! files; the store, the exchange formats and the server depend on it, never the reverse.

mod concept;
mod date;
pub mod entity;
mod error;
mod kbo;
mod labels;
mod provenance;
mod relation;
pub mod suggest;

pub use concept::{Concept, ConceptRef, Scheme};
pub use date::{Period, UNSPECIFIED, parse_date, stated_period_text};
pub use entity::{
    Action, ActionStatus, Aggregation, Baseline, Details, Entity, EntityKind, EntityRef, Event,
    Indicator, IndicatorKind, Observation, Organisation, Place, SizeClass, Target, check_key,
};
pub use error::{FieldError, ValidationErrors};
pub use kbo::Kbo;
pub use labels::{LANGS, Labels, Lang};
pub use provenance::Provenance;
pub use relation::{Relation, RelationKind};

/// Scheme identifiers that the platform itself relies on.
pub mod schemes {
    pub const NACE_2008: &str = "nace-bel-2008";
    pub const NACE_2025: &str = "nace-bel-2025";
    pub const TERRITORY: &str = "territory";
    pub const JUDICIAL: &str = "judicial-territory";
    pub const LEGAL_FORM: &str = "legal-form";
    pub const SIZE_CLASS: &str = "size-class";
    pub const ORGANISATION_KIND: &str = "organisation-kind";
    pub const TARGET_AUDIENCE: &str = "target-audience";
    pub const ACTION_TYPE: &str = "action-type";
    pub const FUNDING_SOURCE: &str = "funding-source";
    pub const DIGITAL_OFFER: &str = "digital-offer";
    pub const INCLUSION_SERVICE: &str = "inclusion-service";
}
