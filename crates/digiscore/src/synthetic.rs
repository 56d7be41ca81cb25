//! Synthetic demo assessments, seeded and reproducible, always to be stored flagged synthetic.
//! They carry no KBO/BCE number (a made-up one could be a real company's).
//!
//! Their distribution is set close to the published barometer facts for the Digiscore
//! (regional overall mean about 29/100; 2022 axis values infrastructure 40.4, processes 27.4,
//! strategy 18.3). The organisation axis has no published figure: its target (31) is
//! *inferred* so that the mean of the four axes is about 29. Each organisation gets a level
//! (size effect plus noise) added to its axis targets; each answer is drawn so that its
//! expected normalised score equals that target (between the two options that bracket it).
//! Nothing real may be computed from these assessments.

use crate::answers::Answers;
use crate::profile::{Audience, Profile, SizeClass};
use crate::questionnaire::Questionnaire;

/// Target mean per axis (0–1) of the Digiscore questionnaire, by axis id.
pub const DIGISCORE_TARGETS: [(&str, f64); 4] = [
    ("infrastructure", 0.404),
    ("organisation", 0.31),
    ("processus", 0.274),
    ("strategie", 0.183),
];

/// A seeded SplitMix64 generator (no dependency, reproducible across platforms).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An index drawn with the given weights.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = (self.unit() * f64::from(total)) as u32;
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// One synthetic assessment.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticAssessment {
    pub profile: Profile,
    pub answers: Answers,
}

const SECTIONS: [(&str, u32); 14] = [
    ("G", 20),
    ("F", 14),
    ("M", 12),
    ("I", 9),
    ("C", 8),
    ("S", 7),
    ("N", 6),
    ("Q", 6),
    ("H", 4),
    ("J", 4),
    ("L", 3),
    ("K", 3),
    ("A", 3),
    ("R", 1),
];
const SIZES: [(SizeClass, u32, f64); 5] = [
    (SizeClass::SelfEmployed, 35, -0.04),
    (SizeClass::Micro, 45, -0.01),
    (SizeClass::Small, 13, 0.04),
    (SizeClass::Medium, 5, 0.08),
    (SizeClass::Large, 2, 0.12),
];

/// `n` synthetic company assessments of the Digiscore questionnaire `q` (axis targets from
/// [`DIGISCORE_TARGETS`]; an axis not listed gets 0.3), spread over `municipalities` (NIS
/// codes; none when empty).
pub fn assessments(
    q: &Questionnaire,
    n: usize,
    municipalities: &[String],
    seed: u64,
) -> Vec<SyntheticAssessment> {
    let mut rng = Rng::new(seed);
    let section_w: Vec<u32> = SECTIONS.iter().map(|s| s.1).collect();
    let size_w: Vec<u32> = SIZES.iter().map(|s| s.1).collect();
    let mean_effect = SIZES.iter().map(|s| f64::from(s.1) * s.2).sum::<f64>()
        / f64::from(size_w.iter().sum::<u32>());
    (0..n)
        .map(|_| {
            let section = SECTIONS[rng.weighted(&section_w)].0;
            let (size, _, effect) = SIZES[rng.weighted(&size_w)];
            let municipality = (!municipalities.is_empty()).then(|| {
                municipalities[(rng.next_u64() % municipalities.len() as u64) as usize].clone()
            });
            // Company level: size effect (centred on the size mix) plus a triangular noise.
            let level = effect - mean_effect + 0.12 * (rng.unit() - rng.unit());
            let mut answers = Answers::new(q);
            for axis in &q.axes {
                let target = DIGISCORE_TARGETS
                    .iter()
                    .find(|t| t.0 == axis.id)
                    .map_or(0.3, |t| t.1);
                for question in &axis.questions {
                    let p = (target + level + 0.10 * (rng.unit() - rng.unit())).clamp(0.0, 1.0);
                    let max = f64::from(question.max_score());
                    let mut scored: Vec<(f64, &str)> = question
                        .options
                        .iter()
                        .filter_map(|o| o.score.map(|s| (f64::from(s) / max, o.id.as_str())))
                        .collect();
                    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let upper = scored
                        .iter()
                        .position(|s| s.0 >= p)
                        .unwrap_or(scored.len() - 1);
                    let choice = if upper == 0 {
                        scored[0].1
                    } else {
                        let (lo, hi) = (scored[upper - 1], scored[upper]);
                        if rng.unit() < (p - lo.0) / (hi.0 - lo.0) {
                            hi.1
                        } else {
                            lo.1
                        }
                    };
                    answers
                        .choices
                        .insert(question.id.clone(), choice.to_owned());
                }
            }
            SyntheticAssessment {
                profile: Profile {
                    audience: Audience::Company,
                    nace_section: section.to_owned(),
                    size,
                    municipality,
                },
                answers,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::{builtin, latest};
    use crate::scoring::score;

    #[test]
    fn three_thousand_assessments_match_the_barometer_facts() {
        let all = builtin();
        let q = latest(&all, "digiscore").unwrap();
        let muni = vec!["92094".to_owned(), "62063".to_owned()];
        let v = assessments(q, 3000, &muni, 7);
        assert_eq!(v, assessments(q, 3000, &muni, 7), "seeded: reproducible");
        let scores: Vec<_> = v.iter().map(|a| score(q, &a.answers).unwrap()).collect();
        let mean = |f: &dyn Fn(&crate::Scores) -> f64| {
            scores.iter().map(f).sum::<f64>() / scores.len() as f64
        };
        let overall = mean(&|s| s.overall);
        let infra = mean(&|s| s.axis("infrastructure").unwrap());
        let proc_ = mean(&|s| s.axis("processus").unwrap());
        let strat = mean(&|s| s.axis("strategie").unwrap());
        assert!((overall - 29.0).abs() < 1.5, "overall {overall}");
        assert!((infra - 40.4).abs() < 1.5, "infrastructure {infra}");
        assert!((proc_ - 27.4).abs() < 1.5, "processes {proc_}");
        assert!((strat - 18.3).abs() < 1.5, "strategy {strat}");
        // Spread: not everyone in the same band.
        let bands: std::collections::BTreeSet<_> = scores.iter().map(|s| s.band.clone()).collect();
        assert!(bands.len() >= 3, "{bands:?}");
        println!(
            "3000 synthetic: overall {overall:.1}, infrastructure {infra:.1}, processes {proc_:.1}, strategy {strat:.1}"
        );
    }
}
