//! The scoring formula.
//!
//! For a question `q` of weight `w_q` answered with option `o`:
//! * a scored option adds `w_q × score(o)` to its axis's points and `w_q × max(q)` to the
//!   axis's maximum, where `max(q)` is the highest score among `q`'s options;
//! * a `not_applicable` option adds nothing to either (the question does not count).
//!
//! The **axis score** is `100 × points / maximum` (0–100). An axis whose questions are all
//! "not applicable" has no score and leaves the overall score.
//!
//! The **overall score** is the weighted mean of the scored axes, `Σ w_a × axis_a / Σ w_a`
//! (all axis weights are 1 in the built-in questionnaires: the plain mean). Unlike the
//! Agence du Numérique's Digiscore, which states an adjustment for size and activity, no
//! adjustment is applied: peers are compared within their NACE section and size class instead.
//!
//! Scores are kept unrounded; [`round1`] rounds to one decimal for display. The band is the
//! questionnaire's band of the overall score ([`Questionnaire::band`]).

use serde::{Deserialize, Serialize};

use crate::answers::{AnswerError, Answers};
use crate::questionnaire::Questionnaire;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AxisScore {
    pub axis: String,
    /// 0–100, `None` when every question of the axis was "not applicable".
    pub score: Option<f64>,
    pub points: u32,
    pub maximum: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub questionnaire: String,
    pub version: u32,
    pub axes: Vec<AxisScore>,
    /// 0–100.
    pub overall: f64,
    /// The band id of the overall score.
    pub band: String,
}

impl Scores {
    pub fn axis(&self, id: &str) -> Option<f64> {
        self.axes
            .iter()
            .find(|a| a.axis == id)
            .and_then(|a| a.score)
    }
}

/// Scores complete answers (checked against `q` first).
pub fn score(q: &Questionnaire, answers: &Answers) -> Result<Scores, AnswerError> {
    answers.check_complete(q)?;
    let mut axes = Vec::with_capacity(q.axes.len());
    let (mut weighted, mut weights) = (0.0, 0u32);
    for axis in &q.axes {
        let (mut points, mut maximum) = (0u32, 0u32);
        for question in &axis.questions {
            let option = question
                .option(&answers.choices[&question.id])
                .expect("checked");
            if let Some(s) = option.score {
                points += question.weight * s;
                maximum += question.weight * question.max_score();
            }
        }
        let score = (maximum > 0).then(|| 100.0 * f64::from(points) / f64::from(maximum));
        if let Some(s) = score {
            weighted += f64::from(axis.weight) * s;
            weights += axis.weight;
        }
        axes.push(AxisScore {
            axis: axis.id.clone(),
            score,
            points,
            maximum,
        });
    }
    let overall = if weights == 0 {
        0.0
    } else {
        weighted / f64::from(weights)
    };
    Ok(Scores {
        questionnaire: q.id.clone(),
        version: q.version,
        band: q.band(overall).id.clone(),
        axes,
        overall,
    })
}

/// Rounds to one decimal (half away from zero).
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The axes sorted weakest first (ties in questionnaire order); unscored axes are left out.
pub fn weakest_axes(scores: &Scores) -> Vec<&AxisScore> {
    let mut v: Vec<&AxisScore> = scores.axes.iter().filter(|a| a.score.is_some()).collect();
    v.sort_by(|a, b| a.score.partial_cmp(&b.score).expect("finite scores"));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::{builtin, latest};
    use proptest::prelude::*;

    fn ds() -> Questionnaire {
        latest(&builtin(), "digiscore").unwrap().clone()
    }

    /// Answers every question with the option at `index(question_position)` (clamped).
    fn answer_with(q: &Questionnaire, index: impl Fn(usize) -> usize) -> Answers {
        let mut a = Answers::new(q);
        for (i, qu) in q.axes.iter().flat_map(|a| &a.questions).enumerate() {
            let o = &qu.options[index(i).min(qu.options.len() - 1)];
            a.choices.insert(qu.id.clone(), o.id.clone());
        }
        a
    }

    #[test]
    fn lowest_and_highest_answers_give_0_and_100() {
        let q = ds();
        let s = score(&q, &answer_with(&q, |_| 0)).unwrap();
        assert_eq!(s.overall, 0.0);
        assert_eq!(s.band, "debutant");
        let mut top = answer_with(&q, |_| 3);
        // Options at index 3 are the top scores except org-distance, whose index 3 is N/A.
        top.choices.insert("org-distance".into(), "organise".into());
        let s = score(&q, &top).unwrap();
        assert_eq!(s.overall, 100.0);
        assert_eq!(s.band, "expert");
    }

    #[test]
    fn a_hand_computed_case() {
        let q = ds();
        let mut a = answer_with(&q, |_| 0);
        // Infrastructure (5 questions, max 3 each = 15): 3 + 2 + 1 + 0 + 0 = 6 → 40.
        a.choices.insert("infra-connexion".into(), "rapide".into());
        a.choices.insert("infra-equipement".into(), "adapte".into());
        a.choices
            .insert("infra-sauvegarde".into(), "occasionnel".into());
        // Organisation: org-distance not applicable → max 3+3+3+3 = 12; 2 + 1 = 3 → 25.
        a.choices
            .insert("org-distance".into(), "ne-sapplique-pas".into());
        a.choices.insert("org-responsable".into(), "designe".into());
        a.choices
            .insert("org-formation".into(), "ponctuelle".into());
        // Processes: 1 + 1 + 2 = 4 of 15 → 26.666…
        a.choices
            .insert("proc-facturation".into(), "tableur".into());
        a.choices.insert("proc-clients".into(), "tableur".into());
        a.choices.insert("proc-donnees".into(), "tableaux".into());
        // Strategy: 1 + 1 + 1 = 3 of 15 → 20.
        a.choices.insert("strat-presence".into(), "fiche".into());
        a.choices.insert("strat-plan".into(), "idees".into());
        a.choices.insert("strat-vente".into(), "contact".into());
        let s = score(&q, &a).unwrap();
        assert_eq!(s.axis("infrastructure"), Some(40.0));
        assert_eq!(s.axes[1].maximum, 12);
        assert_eq!(s.axis("organisation"), Some(25.0));
        assert_eq!(round1(s.axis("processus").unwrap()), 26.7);
        assert_eq!(s.axis("strategie"), Some(20.0));
        // (40 + 25 + 26.666… + 20) / 4 = 27.91666…
        assert_eq!(round1(s.overall), 27.9);
        assert_eq!(s.band, "intermediaire");
        let weakest: Vec<_> = weakest_axes(&s).iter().map(|a| a.axis.as_str()).collect();
        assert_eq!(
            weakest,
            ["strategie", "organisation", "processus", "infrastructure"]
        );
    }

    #[test]
    fn weights_count() {
        let mut q = ds();
        q.axes[0].weight = 3; // infrastructure counts three times
        let mut a = answer_with(&q, |_| 0);
        for qu in &q.axes[0].questions {
            a.choices.insert(qu.id.clone(), qu.options[3].id.clone());
        }
        let s = score(&q, &a).unwrap();
        assert_eq!(s.overall, 100.0 * 3.0 / 6.0);
    }

    #[test]
    fn incomplete_answers_are_not_scored() {
        let q = ds();
        let mut a = answer_with(&q, |_| 1);
        a.choices.remove("strat-vente");
        assert!(matches!(score(&q, &a), Err(AnswerError::Incomplete { .. })));
    }

    proptest! {
        #[test]
        fn scores_stay_in_range_and_rise_with_answers(picks in proptest::collection::vec(0usize..3, 20)) {
            let q = ds();
            let a = answer_with(&q, |i| picks[i]);
            let s = score(&q, &a).unwrap();
            prop_assert!((0.0..=100.0).contains(&s.overall));
            for ax in &s.axes {
                let v = ax.score.unwrap();
                prop_assert!((0.0..=100.0).contains(&v));
            }
            // Raising every answer by one option (indices 0..2 → 1..3, none of them N/A
            // except org-distance's index 3) never lowers any axis.
            let b = answer_with(&q, |i| if i == 8 { picks[i].min(1) + 1 } else { picks[i] + 1 });
            let t = score(&q, &b).unwrap();
            for (x, y) in s.axes.iter().zip(&t.axes) {
                prop_assert!(y.score.unwrap() >= x.score.unwrap());
            }
        }
    }
}
