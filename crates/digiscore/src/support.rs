//! Support offers (operators, aids, programmes) and next steps.
//!
//! The offers are data (`data/digiscore/support.toml`, [`parse`]), each with `topics` and
//! [`Conditions`]. [`next_steps`] takes the weakest scored axes (weakest first, axes at 100
//! left out) and, for each, the best eligible programme, aid and operator whose topics meet
//! the axis's topics. "Best" = the most specific conditions (an operator of the organisation's
//! province before a regional one), then the most topics shared with the axis, then file order. An offer with a
//! territorial condition is eligible only when the organisation's province is known and listed.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::profile::{self, Audience, Profile, SizeClass};
use crate::questionnaire::{Questionnaire, Text};
use crate::scoring::{Scores, weakest_axes};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Vec<Audience>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sizes: Option<Vec<SizeClass>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nace_sections: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_nace_sections: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provinces: Option<Vec<String>>,
}

impl Conditions {
    /// Whether `p` meets every condition.
    pub fn admit(&self, p: &Profile) -> bool {
        self.audience
            .as_ref()
            .is_none_or(|a| a.contains(&p.audience))
            && self.sizes.as_ref().is_none_or(|s| s.contains(&p.size))
            && self
                .nace_sections
                .as_ref()
                .is_none_or(|s| s.contains(&p.nace_section))
            && !self.exclude_nace_sections.contains(&p.nace_section)
            && self
                .provinces
                .as_ref()
                .is_none_or(|ps| p.province().is_some_and(|pr| ps.iter().any(|x| x == pr)))
    }

    fn specificity(&self) -> usize {
        usize::from(self.audience.is_some())
            + usize::from(self.sizes.is_some())
            + usize::from(self.nace_sections.is_some())
            + usize::from(!self.exclude_nace_sections.is_empty())
            + usize::from(self.provinces.is_some())
                * self
                    .provinces
                    .as_ref()
                    .map_or(0, |p| 1 + usize::from(p.len() == 1))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    pub id: String,
    pub name: Text,
    pub url: String,
    pub topics: Vec<String>,
    #[serde(default)]
    pub conditions: Conditions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The conditions (or the link to the topics) are Territoria's summary, not the source's.
    #[serde(default)]
    pub inferred: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Support {
    #[serde(default)]
    pub operators: Vec<Offer>,
    #[serde(default)]
    pub aids: Vec<Offer>,
    #[serde(default)]
    pub programmes: Vec<Offer>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SupportError {
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: {place}: {message}")]
    Invalid {
        file: String,
        place: String,
        message: String,
    },
}

/// Parses and checks a support file; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Support, SupportError> {
    let s: Support = toml::from_str(text).map_err(|e| SupportError::Syntax {
        file: file.to_owned(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    let mut ids = BTreeSet::new();
    for (kind, list) in [
        ("operators", &s.operators),
        ("aids", &s.aids),
        ("programmes", &s.programmes),
    ] {
        for (i, o) in list.iter().enumerate() {
            let bad = |message: String| SupportError::Invalid {
                file: file.to_owned(),
                place: format!("{kind}[{i}] ({})", o.id),
                message,
            };
            if o.id.is_empty() || !ids.insert(o.id.clone()) {
                return Err(bad("id must be non-empty and unique in the file".into()));
            }
            if o.name.fr.trim().is_empty() || o.name.en.trim().is_empty() {
                return Err(bad("name needs both fr and en".into()));
            }
            if !o.url.starts_with("https://") {
                return Err(bad(format!(
                    "url must start with https:// (found {:?})",
                    o.url
                )));
            }
            if o.topics.is_empty() {
                return Err(bad("at least one topic is needed".into()));
            }
            let c = &o.conditions;
            for sec in c
                .nace_sections
                .iter()
                .flatten()
                .chain(&c.exclude_nace_sections)
            {
                if !profile::is_nace_section(sec) {
                    return Err(bad(format!("{sec:?} is not a NACE section (A–U)")));
                }
            }
            for p in c.provinces.iter().flatten() {
                if !profile::PROVINCES.contains(&p.as_str()) {
                    return Err(bad(format!(
                        "{p:?} is not a province code (one of {})",
                        profile::PROVINCES.join(", ")
                    )));
                }
            }
        }
    }
    Ok(s)
}

/// The support file shipped in the repository.
pub const BUILTIN_FILE: (&str, &str) = (
    "support.toml",
    include_str!("../../../data/digiscore/support.toml"),
);

/// Reads and checks a support file.
pub fn load(path: &std::path::Path) -> Result<Support, SupportError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| SupportError::Syntax {
        file: name.clone(),
        message: e.to_string(),
    })?;
    parse(&name, &text)
}

pub fn builtin() -> Support {
    parse(BUILTIN_FILE.0, BUILTIN_FILE.1).expect("the built-in support file is valid (tested)")
}

/// One recommended step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextStep<'a> {
    pub axis: String,
    pub axis_name: Text,
    pub score: f64,
    pub advice: Text,
    pub programme: Option<&'a Offer>,
    pub aid: Option<&'a Offer>,
    pub operator: Option<&'a Offer>,
}

fn best<'a>(offers: &'a [Offer], topics: &[String], p: &Profile) -> Option<&'a Offer> {
    offers
        .iter()
        .enumerate()
        .filter(|(_, o)| o.conditions.admit(p))
        .map(|(i, o)| {
            (
                o.conditions.specificity(),
                o.topics.iter().filter(|t| topics.contains(t)).count(),
                i,
                o,
            )
        })
        .filter(|(_, shared, ..)| *shared > 0)
        .max_by(|a, b| (a.0, a.1, std::cmp::Reverse(a.2)).cmp(&(b.0, b.1, std::cmp::Reverse(b.2))))
        .map(|(.., o)| o)
}

/// Up to `n` next steps for the weakest axes.
pub fn next_steps<'a>(
    q: &Questionnaire,
    scores: &Scores,
    profile: &Profile,
    support: &'a Support,
    n: usize,
) -> Vec<NextStep<'a>> {
    weakest_axes(scores)
        .into_iter()
        .filter(|a| a.score.is_some_and(|s| s < 100.0))
        .take(n)
        .filter_map(|a| {
            let axis = q.axis(&a.axis)?;
            Some(NextStep {
                axis: axis.id.clone(),
                axis_name: axis.name.clone(),
                score: a.score?,
                advice: axis.advice.clone(),
                programme: best(&support.programmes, &axis.topics, profile),
                aid: best(&support.aids, &axis.topics, profile),
                operator: best(&support.operators, &axis.topics, profile),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::Answers;
    use crate::questionnaire::{builtin as questionnaires, latest};
    use crate::scoring::score;

    fn profile(municipality: &str, size: SizeClass) -> Profile {
        Profile {
            audience: Audience::Company,
            nace_section: "G".into(),
            size,
            municipality: Some(municipality.into()),
        }
    }

    fn scores_with(q: &Questionnaire, top_axes: &[&str]) -> Scores {
        let mut a = Answers::new(q);
        for axis in &q.axes {
            for qu in &axis.questions {
                let i = if top_axes.contains(&axis.id.as_str()) {
                    2
                } else {
                    0
                };
                a.choices.insert(qu.id.clone(), qu.options[i].id.clone());
            }
        }
        score(q, &a).unwrap()
    }

    #[test]
    fn builtin_support_parses() {
        let s = builtin();
        assert!(s.aids.iter().any(|a| a.id == "cheque-cybersecurite"));
        assert!(s.operators.len() >= 6);
    }

    #[test]
    fn next_steps_follow_weakest_axes_and_conditions() {
        let all = questionnaires();
        let q = latest(&all, "digiscore").unwrap();
        let support = builtin();
        // Infrastructure and organisation high, processes and strategy at 0: strategy and
        // processes come first (ties in questionnaire order), then organisation.
        let s = scores_with(q, &["infrastructure", "organisation"]);
        let steps = next_steps(q, &s, &profile("92094", SizeClass::Micro), &support, 3);
        let axes: Vec<_> = steps.iter().map(|s| s.axis.as_str()).collect();
        assert_eq!(axes, ["processus", "strategie", "infrastructure"]);
        // A company in Namur gets BEP for processes (provincial operator before the region).
        assert_eq!(steps[0].operator.unwrap().id, "bep");
        assert_eq!(steps[0].aid.unwrap().id, "cheque-transformation-numerique");
        assert_eq!(steps[0].programme.unwrap().id, "dw4business");
        // Infrastructure (with cybersecurity) gets the cybersecurity cheque.
        assert_eq!(steps[2].aid.unwrap().id, "cheque-cybersecurite");
        assert_eq!(steps[2].programme.unwrap().id, "dw4business");
        assert_eq!(steps[2].operator.unwrap().id, "adn");
    }

    #[test]
    fn conditions_exclude_large_companies_and_other_regions() {
        let all = questionnaires();
        let q = latest(&all, "digiscore").unwrap();
        let support = builtin();
        let s = scores_with(q, &[]);
        let large = next_steps(q, &s, &profile("62063", SizeClass::Large), &support, 3);
        assert!(
            large.iter().all(|st| st.aid.is_none()),
            "cheques are for SMEs"
        );
        assert_eq!(large[1].operator.unwrap().id, "spi");
        let brussels = next_steps(q, &s, &profile("21004", SizeClass::Micro), &support, 3);
        assert!(
            brussels
                .iter()
                .all(|st| st.aid.is_none() && st.operator.is_none())
        );
        assert_eq!(brussels[0].programme.unwrap().id, "dw4business");
    }

    #[test]
    fn an_edit_of_the_data_changes_the_recommendation() {
        let all = questionnaires();
        let q = latest(&all, "digiscore").unwrap();
        let mut support = builtin();
        let s = scores_with(q, &[]);
        let p = profile("92094", SizeClass::Micro);
        support
            .aids
            .retain(|a| a.id != "cheque-transformation-numerique");
        let steps = next_steps(q, &s, &p, &support, 3);
        // Infrastructure is first (all tied at 0): only the cybersecurity cheque is left.
        assert_eq!(steps[0].axis, "infrastructure");
        assert_eq!(steps[0].aid.unwrap().id, "cheque-cybersecurite");
        assert!(steps[1].aid.is_none());
    }

    #[test]
    fn bad_support_data_is_named() {
        let text = BUILTIN_FILE
            .1
            .replacen("provinces = [\"WBR\"]", "provinces = [\"XX\"]", 1);
        let err = parse("s.toml", &text).unwrap_err().to_string();
        assert!(
            err.starts_with("s.toml: operators[1] (inbw): \"XX\" is not a province code"),
            "{err}"
        );
        let text = BUILTIN_FILE
            .1
            .replacen("sizes = [\"self-employed\"", "sizes = [\"tiny\"", 1);
        let err = parse("s.toml", &text).unwrap_err().to_string();
        assert!(err.contains("line") && err.contains("tiny"), "{err}");
    }
}
