use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{FieldError, Labels, Provenance};

/// A SKOS-like concept scheme: a taxonomy such as NACE-BEL 2008 or the territory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scheme {
    /// Stable slug, e.g. `nace-bel-2008`, `territory`, `target-audience`.
    pub id: String,
    pub title: Labels,
    #[serde(default)]
    pub description: Labels,
    pub provenance: Provenance,
}

/// A concept of a scheme. `notation` is the code people use (`62.010`, a REFNIS
/// code, a slug); `broader` the notation of its parent in the same scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concept {
    pub scheme: String,
    pub notation: String,
    pub labels: Labels,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broader: Option<String>,
    /// Extra facts: coordinates and population of a municipality, validity dates of
    /// a NACE code, …
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    pub provenance: Provenance,
}

/// A reference to a concept, written `scheme:notation` (`nace-bel-2008:62.010`,
/// `territory:62063`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConceptRef {
    pub scheme: String,
    pub notation: String,
}

impl ConceptRef {
    pub fn new(scheme: impl Into<String>, notation: impl Into<String>) -> Self {
        Self {
            scheme: scheme.into(),
            notation: notation.into(),
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        match s.trim().split_once(':') {
            Some((scheme, notation)) if !scheme.is_empty() && !notation.is_empty() => {
                Ok(Self::new(scheme.trim(), notation.trim()))
            }
            _ => Err(FieldError::new(
                field,
                format!(
                    "`{s}` is not a concept reference: write scheme:notation, e.g. nace-bel-2008:62.010"
                ),
            )),
        }
    }
}

impl fmt::Display for ConceptRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scheme, self.notation)
    }
}

impl FromStr for ConceptRef {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("concept", s)
    }
}

impl Serialize for ConceptRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ConceptRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse("concept", &s).map_err(|e| serde::de::Error::custom(e.message))
    }
}
