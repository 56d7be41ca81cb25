//! Anonymised aggregates (the barometer): mean scores by NACE section, by size class and by
//! province, never a group of fewer than [`MIN_PEERS`] organisations — also not by
//! difference.
//!
//! Only these one-dimension tables and the overall total are published; crossed filters
//! (section *and* size, …) are not, because each crossed cell multiplies the ways of
//! isolating a company by difference. What leaves [`barometer`] obeys:
//! 1. **primary suppression** — every published row holds ≥ [`MIN_PEERS`] organisations;
//! 2. **secondary suppression** — within a table, the suppressed rows together hold 0 or ≥
//!    [`MIN_PEERS`] organisations (else the total minus the published rows would reveal a
//!    small group): the smallest published rows are suppressed until that holds;
//! 3. **nesting across tables** — for any two published groups `A ⊆ B` (the overall total
//!    included), `|B \ A|` is 0 or ≥ [`MIN_PEERS`] (else `B − A` reveals a small group, e.g.
//!    the only large company outside a small sector made of large companies): the larger
//!    group is suppressed.
//!
//! The rules are applied until nothing changes. A suppressed row is reported as suppressed
//! without its count. `synthetic` is true when any record is synthetic: demo aggregates are
//! computed from synthetic data and must be shown as such (compute real ones from real records).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::peers::MIN_PEERS;
use crate::profile::SizeClass;

/// One scored assessment, reduced to what aggregates need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub nace_section: String,
    pub size: SizeClass,
    pub province: Option<String>,
    pub overall: f64,
    /// Axis scores in questionnaire order (unscored axes as `None`).
    pub axes: Vec<Option<f64>>,
    pub synthetic: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dimension {
    Section,
    Size,
    Province,
}

impl Dimension {
    pub const ALL: [Dimension; 3] = [Dimension::Section, Dimension::Size, Dimension::Province];

    pub fn code(self) -> &'static str {
        match self {
            Dimension::Section => "section",
            Dimension::Size => "size",
            Dimension::Province => "province",
        }
    }

    fn value(self, r: &Record) -> Option<String> {
        match self {
            Dimension::Section => Some(r.nace_section.clone()),
            Dimension::Size => Some(r.size.code().to_owned()),
            Dimension::Province => r.province.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub n: usize,
    pub mean_overall: f64,
    /// Mean per axis, over the records where the axis was scored.
    pub mean_axes: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub value: String,
    /// `None` when suppressed.
    pub cell: Option<Cell>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub dimension: Dimension,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Barometer {
    /// `None` when fewer than [`MIN_PEERS`] records in all.
    pub total: Option<Cell>,
    pub tables: Vec<Table>,
    pub synthetic: bool,
    pub threshold: usize,
}

fn cell(records: &[&Record]) -> Cell {
    let n = records.len();
    let width = records.iter().map(|r| r.axes.len()).max().unwrap_or(0);
    let mean_axes = (0..width)
        .map(|i| {
            let v: Vec<f64> = records
                .iter()
                .filter_map(|r| r.axes.get(i).copied().flatten())
                .collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        })
        .collect();
    Cell {
        n,
        mean_overall: records.iter().map(|r| r.overall).sum::<f64>() / n as f64,
        mean_axes,
    }
}

/// Computes the published barometer of `records` (see the module docs for the rules).
pub fn barometer(records: &[Record]) -> Barometer {
    let t = MIN_PEERS;
    // Groups: (table index or usize::MAX for the total, value) → member indices.
    let mut groups: Vec<(Option<Dimension>, String, Vec<usize>)> =
        vec![(None, String::new(), (0..records.len()).collect())];
    for d in Dimension::ALL {
        let mut by: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, r) in records.iter().enumerate() {
            if let Some(v) = d.value(r) {
                by.entry(v).or_default().push(i);
            }
        }
        groups.extend(by.into_iter().map(|(v, m)| (Some(d), v, m)));
    }
    let mut published: Vec<bool> = groups.iter().map(|g| g.2.len() >= t).collect();
    let small = |k: usize| (1..t).contains(&k);
    loop {
        let mut changed = false;
        // Secondary suppression within each table, against the total.
        for d in Dimension::ALL {
            loop {
                let idx: Vec<usize> = (0..groups.len())
                    .filter(|&g| groups[g].0 == Some(d))
                    .collect();
                let hidden: usize = idx
                    .iter()
                    .filter(|&&g| !published[g])
                    .map(|&g| groups[g].2.len())
                    .sum();
                // Records without a value for this dimension also form a hidden remainder.
                let covered: usize = idx.iter().map(|&g| groups[g].2.len()).sum();
                let remainder = hidden + (records.len() - covered);
                if !(published[0] && small(remainder)) {
                    break;
                }
                let Some(&smallest) = idx
                    .iter()
                    .filter(|&&g| published[g])
                    .min_by_key(|&&g| groups[g].2.len())
                else {
                    break;
                };
                published[smallest] = false;
                changed = true;
            }
        }
        // Nesting across tables: A ⊆ B published with a small difference → suppress B.
        for a in 0..groups.len() {
            for b in 0..groups.len() {
                if a == b || !published[a] || !published[b] || groups[a].0 == groups[b].0 {
                    continue;
                }
                let (ma, mb) = (&groups[a].2, &groups[b].2);
                if ma.len() > mb.len() {
                    continue;
                }
                let inside = ma.iter().filter(|i| mb.binary_search(i).is_ok()).count();
                if inside == ma.len() && small(mb.len() - ma.len()) {
                    published[b] = false;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let cell_of = |g: usize| -> Option<Cell> {
        published[g].then(|| cell(&groups[g].2.iter().map(|&i| &records[i]).collect::<Vec<_>>()))
    };
    let tables = Dimension::ALL
        .into_iter()
        .map(|d| Table {
            dimension: d,
            rows: (0..groups.len())
                .filter(|&g| groups[g].0 == Some(d))
                .map(|g| Row {
                    value: groups[g].1.clone(),
                    cell: cell_of(g),
                })
                .collect(),
        })
        .collect();
    Barometer {
        total: cell_of(0),
        tables,
        synthetic: records.iter().any(|r| r.synthetic),
        threshold: t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rec(section: &str, size: SizeClass, province: &str, overall: f64) -> Record {
        Record {
            nace_section: section.into(),
            size,
            province: Some(province.into()),
            overall,
            axes: vec![Some(overall), None],
            synthetic: false,
        }
    }

    fn row<'a>(b: &'a Barometer, d: Dimension, v: &str) -> &'a Row {
        b.tables
            .iter()
            .find(|t| t.dimension == d)
            .unwrap()
            .rows
            .iter()
            .find(|r| r.value == v)
            .unwrap()
    }

    #[test]
    fn hand_computed_means_and_primary_suppression() {
        let mut rs: Vec<Record> = (0..10)
            .map(|i| rec("G", SizeClass::Micro, "WNA", f64::from(i) * 10.0))
            .collect();
        rs.extend((0..10).map(|_| rec("F", SizeClass::Micro, "WNA", 20.0)));
        rs.extend((0..10).map(|_| rec("C", SizeClass::Micro, "WNA", 20.0)));
        rs.push(rec("A", SizeClass::Micro, "WNA", 90.0));
        let b = barometer(&rs);
        let g = row(&b, Dimension::Section, "G").cell.as_ref().unwrap();
        assert_eq!((g.n, g.mean_overall), (10, 45.0));
        assert_eq!(g.mean_axes, vec![Some(45.0), None]);
        // A (1 company) is suppressed, so the smallest other section is too (secondary).
        assert!(row(&b, Dimension::Section, "A").cell.is_none());
        let hidden: Vec<_> = ["C", "F", "G"]
            .iter()
            .filter(|v| row(&b, Dimension::Section, v).cell.is_none())
            .collect();
        assert_eq!(hidden.len(), 1, "exactly one more section suppressed");
        assert_eq!(b.total.as_ref().unwrap().n, 31);
    }

    #[test]
    fn a_company_is_not_isolated_by_combining_tables() {
        // Eleven large mining companies (section B) and one large retailer: "large" minus
        // "B" would be the retailer alone. Other groups make every table otherwise safe.
        let mut rs: Vec<Record> = (0..11)
            .map(|_| rec("B", SizeClass::Large, "WLG", 50.0))
            .collect();
        rs.push(rec("G", SizeClass::Large, "WLG", 77.0));
        rs.extend((0..40).map(|i| {
            rec(
                if i % 2 == 0 { "G" } else { "F" },
                SizeClass::Micro,
                "WLG",
                20.0,
            )
        }));
        let b = barometer(&rs);
        let large = row(&b, Dimension::Size, "large");
        let mining = row(&b, Dimension::Section, "B");
        assert!(
            large.cell.is_none() || mining.cell.is_none(),
            "large and B are not both published"
        );
    }

    #[test]
    fn fewer_than_ten_in_all_publishes_nothing() {
        let rs: Vec<Record> = (0..9)
            .map(|_| rec("G", SizeClass::Micro, "WNA", 20.0))
            .collect();
        let b = barometer(&rs);
        assert!(b.total.is_none());
        assert!(
            b.tables
                .iter()
                .flat_map(|t| &t.rows)
                .all(|r| r.cell.is_none())
        );
    }

    fn members(rs: &[Record], d: Option<Dimension>, v: &str) -> Vec<usize> {
        (0..rs.len())
            .filter(|&i| d.is_none_or(|d| d.value(&rs[i]).as_deref() == Some(v)))
            .collect()
    }

    proptest! {
        #[test]
        fn nothing_small_leaves_directly_or_by_difference(
            spec in proptest::collection::vec((0usize..4, 0usize..3, 0usize..3, 0u8..100), 0..120)
        ) {
            let rs: Vec<Record> = spec.iter().map(|&(s, z, p, score)| rec(
                ["B", "C", "F", "G"][s],
                [SizeClass::Micro, SizeClass::Small, SizeClass::Large][z],
                ["WNA", "WLG", "WHT"][p],
                f64::from(score),
            )).collect();
            let b = barometer(&rs);
            let mut sets: Vec<Vec<usize>> = Vec::new();
            if let Some(t) = &b.total { prop_assert!(t.n >= MIN_PEERS); sets.push(members(&rs, None, "")); }
            for t in &b.tables {
                let mut hidden = rs.len();
                for r in &t.rows {
                    if let Some(c) = &r.cell {
                        prop_assert!(c.n >= MIN_PEERS);
                        hidden -= c.n;
                        sets.push(members(&rs, Some(t.dimension), &r.value));
                    }
                }
                if b.total.is_some() {
                    prop_assert!(hidden == 0 || hidden >= MIN_PEERS, "table {:?} hides {hidden}", t.dimension);
                }
            }
            for a in &sets {
                for c in &sets {
                    if a.len() < c.len() && a.iter().all(|i| c.contains(i)) {
                        prop_assert!(c.len() - a.len() >= MIN_PEERS);
                    }
                }
            }
        }
    }
}
