//! The SensorThings entity types, their navigation properties, and the in-memory graph
//! of every entity but observations (which live in the time-series engine).

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A SensorThings entity type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Thing,
    Location,
    HistoricalLocation,
    Datastream,
    Sensor,
    ObservedProperty,
    Observation,
    FeatureOfInterest,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Thing,
        Kind::Location,
        Kind::HistoricalLocation,
        Kind::Datastream,
        Kind::Sensor,
        Kind::ObservedProperty,
        Kind::Observation,
        Kind::FeatureOfInterest,
    ];

    /// The entity's name (`Thing`), as stored in `sta_entities.kind`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Thing => "Thing",
            Kind::Location => "Location",
            Kind::HistoricalLocation => "HistoricalLocation",
            Kind::Datastream => "Datastream",
            Kind::Sensor => "Sensor",
            Kind::ObservedProperty => "ObservedProperty",
            Kind::Observation => "Observation",
            Kind::FeatureOfInterest => "FeatureOfInterest",
        }
    }

    /// The entity set's name in URLs (`Things`).
    pub fn set(self) -> &'static str {
        match self {
            Kind::Thing => "Things",
            Kind::Location => "Locations",
            Kind::HistoricalLocation => "HistoricalLocations",
            Kind::Datastream => "Datastreams",
            Kind::Sensor => "Sensors",
            Kind::ObservedProperty => "ObservedProperties",
            Kind::Observation => "Observations",
            Kind::FeatureOfInterest => "FeaturesOfInterest",
        }
    }

    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn from_set(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.set() == s)
    }

    /// The properties a new entity must have.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Kind::Thing => &["name", "description"],
            Kind::Location => &["name", "description", "encodingType", "location"],
            Kind::HistoricalLocation => &["time"],
            Kind::Datastream => &[
                "name",
                "description",
                "unitOfMeasurement",
                "observationType",
            ],
            Kind::Sensor => &["name", "description", "encodingType", "metadata"],
            Kind::ObservedProperty => &["name", "definition", "description"],
            Kind::Observation => &["result"],
            Kind::FeatureOfInterest => &["name", "description", "encodingType", "feature"],
        }
    }

    /// Every own property of the type (what `$select` may name besides links).
    pub fn properties(self) -> &'static [&'static str] {
        match self {
            Kind::Thing => &["name", "description", "properties"],
            Kind::Location => &[
                "name",
                "description",
                "encodingType",
                "location",
                "properties",
            ],
            Kind::HistoricalLocation => &["time"],
            Kind::Datastream => &[
                "name",
                "description",
                "unitOfMeasurement",
                "observationType",
                "observedArea",
                "phenomenonTime",
                "resultTime",
                "properties",
            ],
            Kind::Sensor => &[
                "name",
                "description",
                "encodingType",
                "metadata",
                "properties",
            ],
            Kind::ObservedProperty => &["name", "definition", "description", "properties"],
            Kind::Observation => &[
                "phenomenonTime",
                "resultTime",
                "result",
                "resultQuality",
                "validTime",
                "parameters",
            ],
            Kind::FeatureOfInterest => &[
                "name",
                "description",
                "encodingType",
                "feature",
                "properties",
            ],
        }
    }

    /// The navigation properties of the type, in the order entities show their links.
    pub fn navigations(self) -> &'static [&'static str] {
        match self {
            Kind::Thing => &["Datastreams", "Locations", "HistoricalLocations"],
            Kind::Location => &["Things", "HistoricalLocations"],
            Kind::HistoricalLocation => &["Thing", "Locations"],
            Kind::Datastream => &["Thing", "Sensor", "ObservedProperty", "Observations"],
            Kind::Sensor => &["Datastreams"],
            Kind::ObservedProperty => &["Datastreams"],
            Kind::Observation => &["Datastream", "FeatureOfInterest"],
            Kind::FeatureOfInterest => &["Observations"],
        }
    }
}

/// How a navigation property reaches its targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// A link stored on this entity (`from_id = self`, named `rel`).
    Out {
        rel: &'static str,
        target: Kind,
        many: bool,
    },
    /// Links stored on the targets pointing here (`to_id = self`).
    In { rel: &'static str, target: Kind },
    /// A datastream's observations (time-series engine).
    Observations,
    /// A feature's observations: those of the datastreams whose feature it is.
    FeatureObservations,
    /// An observation's datastream.
    ObservationDatastream,
    /// An observation's feature: its datastream's.
    ObservationFeature,
}

impl Nav {
    pub fn target(self) -> Kind {
        match self {
            Nav::Out { target, .. } | Nav::In { target, .. } => target,
            Nav::Observations | Nav::FeatureObservations => Kind::Observation,
            Nav::ObservationDatastream => Kind::Datastream,
            Nav::ObservationFeature => Kind::FeatureOfInterest,
        }
    }

    /// Whether it names one entity (`Thing`) rather than a collection.
    pub fn single(self) -> bool {
        match self {
            Nav::Out { many, .. } => !many,
            Nav::In { .. } | Nav::Observations | Nav::FeatureObservations => false,
            Nav::ObservationDatastream | Nav::ObservationFeature => true,
        }
    }
}

/// The link a datastream keeps to the feature its observations are about.
pub const FEATURE_REL: &str = "FeatureOfInterest";

/// The navigation property `name` of `kind`.
pub fn nav(kind: Kind, name: &str) -> Option<Nav> {
    use Kind::*;
    let out = |rel, target, many| Some(Nav::Out { rel, target, many });
    match (kind, name) {
        (Thing, "Datastreams") => Some(Nav::In {
            rel: "Thing",
            target: Datastream,
        }),
        (Thing, "Locations") => out("Locations", Location, true),
        (Thing, "HistoricalLocations") => Some(Nav::In {
            rel: "Thing",
            target: HistoricalLocation,
        }),
        (Location, "Things") => Some(Nav::In {
            rel: "Locations",
            target: Thing,
        }),
        (Location, "HistoricalLocations") => Some(Nav::In {
            rel: "Locations",
            target: HistoricalLocation,
        }),
        (HistoricalLocation, "Thing") => out("Thing", Thing, false),
        (HistoricalLocation, "Locations") => out("Locations", Location, true),
        (Datastream, "Thing") => out("Thing", Thing, false),
        (Datastream, "Sensor") => out("Sensor", Sensor, false),
        (Datastream, "ObservedProperty") => out("ObservedProperty", ObservedProperty, false),
        (Datastream, "Observations") => Some(Nav::Observations),
        (Sensor, "Datastreams") => Some(Nav::In {
            rel: "Sensor",
            target: Datastream,
        }),
        (ObservedProperty, "Datastreams") => Some(Nav::In {
            rel: "ObservedProperty",
            target: Datastream,
        }),
        (Observation, "Datastream") => Some(Nav::ObservationDatastream),
        (Observation, "FeatureOfInterest") => Some(Nav::ObservationFeature),
        (FeatureOfInterest, "Observations") => Some(Nav::FeatureObservations),
        _ => None,
    }
}

/// One stored entity: its type and own properties.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub kind: Kind,
    pub body: Map<String, Value>,
}

/// Every entity but observations, with the links both ways. Cloned by a write, changed,
/// written, and swapped in once committed.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub entities: BTreeMap<i64, Entity>,
    /// (from, rel, to)
    out: BTreeSet<(i64, &'static str, i64)>,
    /// (to, rel, from)
    inc: BTreeSet<(i64, &'static str, i64)>,
}

/// The `'static` name of a stored link (the store keeps it as text).
pub fn rel_name(s: &str) -> Option<&'static str> {
    [
        "Thing",
        "Locations",
        "Sensor",
        "ObservedProperty",
        FEATURE_REL,
    ]
    .into_iter()
    .find(|r| *r == s)
}

impl Graph {
    pub fn get(&self, id: i64) -> Option<&Entity> {
        self.entities.get(&id)
    }

    /// The entity `id` if it is of `kind`.
    pub fn get_kind(&self, kind: Kind, id: i64) -> Option<&Entity> {
        self.entities.get(&id).filter(|e| e.kind == kind)
    }

    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = (i64, &Entity)> {
        self.entities
            .iter()
            .filter(move |(_, e)| e.kind == kind)
            .map(|(id, e)| (*id, e))
    }

    pub fn link(&mut self, from: i64, rel: &'static str, to: i64) {
        self.out.insert((from, rel, to));
        self.inc.insert((to, rel, from));
    }

    pub fn unlink(&mut self, from: i64, rel: &'static str, to: i64) {
        self.out.remove(&(from, rel, to));
        self.inc.remove(&(to, rel, from));
    }

    /// The targets of `from`'s links named `rel`, ascending.
    pub fn targets(&self, from: i64, rel: &'static str) -> Vec<i64> {
        self.out
            .range((from, rel, i64::MIN)..=(from, rel, i64::MAX))
            .map(|(_, _, t)| *t)
            .collect()
    }

    /// The entities whose link `rel` points to `to`, ascending.
    pub fn sources(&self, to: i64, rel: &'static str) -> Vec<i64> {
        self.inc
            .range((to, rel, i64::MIN)..=(to, rel, i64::MAX))
            .map(|(_, _, f)| *f)
            .collect()
    }

    /// Removes an entity and every link from or to it (not the entities linked).
    pub fn remove(&mut self, id: i64) {
        self.entities.remove(&id);
        let outs: Vec<_> = self
            .out
            .range((id, "", i64::MIN)..)
            .take_while(|(f, _, _)| *f == id)
            .copied()
            .collect();
        for (f, r, t) in outs {
            self.unlink(f, r, t);
        }
        let ins: Vec<_> = self
            .inc
            .range((id, "", i64::MIN)..)
            .take_while(|(t, _, _)| *t == id)
            .copied()
            .collect();
        for (t, r, f) in ins {
            self.unlink(f, r, t);
        }
    }

    /// The ids an entity's navigation property leads to (not for observations).
    pub fn follow(&self, id: i64, nav: Nav) -> Vec<i64> {
        match nav {
            Nav::Out { rel, .. } => self.targets(id, rel),
            Nav::In { rel, target } => self
                .sources(id, rel)
                .into_iter()
                .filter(|s| self.get_kind(target, *s).is_some())
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_navigation_resolves_and_links_are_kept_both_ways() {
        for k in Kind::ALL {
            for n in k.navigations() {
                assert!(nav(k, n).is_some(), "{}/{n}", k.name());
            }
            assert_eq!(Kind::from_set(k.set()), Some(k));
        }
        let mut g = Graph::default();
        for (id, kind) in [
            (1, Kind::Thing),
            (2, Kind::Datastream),
            (3, Kind::Datastream),
        ] {
            g.entities.insert(
                id,
                Entity {
                    kind,
                    body: Map::new(),
                },
            );
        }
        g.link(2, "Thing", 1);
        g.link(3, "Thing", 1);
        assert_eq!(
            g.follow(1, nav(Kind::Thing, "Datastreams").unwrap()),
            [2, 3]
        );
        g.remove(2);
        assert_eq!(g.sources(1, "Thing"), [3]);
        g.remove(1);
        assert!(g.targets(3, "Thing").is_empty());
    }
}
