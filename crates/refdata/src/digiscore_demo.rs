//! Synthetic Digiscore assessments for the demo (flagged `demo`), so that peer positions and
//! the barometer work at once. Answers come from `territoria_digiscore::synthetic` (seeded,
//! distribution close to the barometer facts), spread over the real Walloon municipalities.
//! They carry no KBO/BCE number and no private link anybody holds: the link hash is a
//! digest of a seed-derived label, whose secret was never given out.

use territoria_digiscore::questionnaire::{self, Questionnaire};
use territoria_digiscore::scoring;
use territoria_digiscore::synthetic;
use territoria_store::{DigiscoreRecord, Op};

use crate::reference;

/// How many synthetic assessments the demo holds.
pub const DEMO_ASSESSMENTS: usize = 3_000;

/// The demo's synthetic assessments of the latest Digiscore questionnaire.
pub fn ops(n: usize, seed: u64) -> Vec<Op> {
    let all = questionnaire::builtin();
    let q: &Questionnaire =
        questionnaire::latest(&all, "digiscore").expect("built-in Digiscore questionnaire");
    let municipalities: Vec<String> = reference::territory()
        .municipalities
        .into_iter()
        .filter(|m| m.region == "03000")
        .map(|m| m.refnis)
        .collect();
    synthetic::assessments(q, n, &municipalities, seed)
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let s = scoring::score(q, &a.answers).expect("synthetic answers are complete");
            let link_hash = format!(
                "{:016x}{:016x}{:016x}{:016x}",
                seed,
                0xd161_5c0e_u64,
                i as u64,
                !(i as u64)
            );
            Op::DigiscoreAssessment(Box::new(DigiscoreRecord {
                series: link_hash.clone(),
                link_hash,
                questionnaire: q.id.clone(),
                questionnaire_version: i64::from(q.version),
                kbo: None,
                nace_section: a.profile.nace_section,
                size_class: a.profile.size.code().to_owned(),
                municipality: a.profile.municipality,
                answers: serde_json::to_string(&a.answers.choices).expect("a map of strings"),
                overall: Some(s.overall),
                axes: Some(
                    serde_json::to_string(&s.axes.iter().map(|x| x.score).collect::<Vec<_>>())
                        .expect("numbers"),
                ),
                completed_at: Some(format!("{}T12:00:00Z", crate::demo::as_of())),
                demo: true,
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_thousand_flagged_assessments_in_walloon_municipalities() {
        let ops = ops(DEMO_ASSESSMENTS, 42);
        assert_eq!(ops.len(), DEMO_ASSESSMENTS);
        let mut sum = 0.0;
        for op in &ops {
            let Op::DigiscoreAssessment(a) = op else {
                panic!("{op:?}")
            };
            assert!(a.demo && a.kbo.is_none());
            let m = a.municipality.as_deref().unwrap();
            assert!(
                territoria_digiscore::profile::WALLOON_PROVINCES
                    .contains(&territoria_digiscore::profile::province_of_nis(m).unwrap()),
                "{m}"
            );
            sum += a.overall.unwrap();
        }
        let mean = sum / DEMO_ASSESSMENTS as f64;
        assert!((mean - 29.0).abs() < 1.5, "{mean}");
    }
}
