use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Where a fact comes from. Every stored fact — an entity, a tag, a relation, an
/// observation, an edge of a strategy tree — carries one.
///
/// * `source`: a human-readable citation (document and section, dataset, URL, or
///   `"Territoria demo generator (seed 42)"`);
/// * `date`: when the source stated it, if known;
/// * `inferred`: true when the link was assumed rather than stated by the source
///   (the UI shows such facts as inferred so an editor can confirm them);
/// * `demo`: true for synthetic data — shown as such in the UI, the API and exports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub inferred: bool,
    #[serde(default)]
    pub demo: bool,
}

impl Provenance {
    pub fn stated(source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            date: None,
            inferred: false,
            demo: false,
        }
    }

    pub fn inferred(source: impl Into<String>) -> Self {
        Self {
            inferred: true,
            ..Self::stated(source)
        }
    }

    pub fn demo(source: impl Into<String>) -> Self {
        Self {
            demo: true,
            ..Self::stated(source)
        }
    }

    pub fn dated(mut self, date: Option<NaiveDate>) -> Self {
        self.date = date;
        self
    }
}
