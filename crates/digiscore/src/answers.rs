//! Answers to one exact questionnaire version, and their validation.
//!
//! An [`Answers`] names the questionnaire `id` and `version` it was given and maps question
//! ids to option ids (one option per question). [`Answers::check`] accepts a partial set (a
//! stopped assessment); [`Answers::check_complete`] also requires every question. Errors name
//! the question and the option.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::questionnaire::Questionnaire;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Answers {
    pub questionnaire: String,
    pub version: u32,
    /// Question id → chosen option id.
    pub choices: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("these answers are for questionnaire {given}, not {expected}")]
    WrongQuestionnaire { given: String, expected: String },
    #[error("question {question:?} is not in questionnaire {questionnaire}")]
    UnknownQuestion {
        questionnaire: String,
        question: String,
    },
    #[error(
        "option {option:?} is not an answer to question {question:?} (questionnaire {questionnaire})"
    )]
    UnknownOption {
        questionnaire: String,
        question: String,
        option: String,
    },
    #[error("{} question(s) still unanswered, first {first:?} ({answered} of {total} answered)", .missing.len())]
    Incomplete {
        first: String,
        missing: Vec<String>,
        answered: usize,
        total: usize,
    },
}

impl Answers {
    pub fn new(q: &Questionnaire) -> Answers {
        Answers {
            questionnaire: q.id.clone(),
            version: q.version,
            choices: BTreeMap::new(),
        }
    }

    /// Checks the answers against `q`: same id and version, known questions and options.
    pub fn check(&self, q: &Questionnaire) -> Result<(), AnswerError> {
        if self.questionnaire != q.id || self.version != q.version {
            return Err(AnswerError::WrongQuestionnaire {
                given: format!("{}@{}", self.questionnaire, self.version),
                expected: q.key(),
            });
        }
        for (qid, oid) in &self.choices {
            let Some((_, question)) = q.question(qid) else {
                return Err(AnswerError::UnknownQuestion {
                    questionnaire: q.key(),
                    question: qid.clone(),
                });
            };
            if question.option(oid).is_none() {
                return Err(AnswerError::UnknownOption {
                    questionnaire: q.key(),
                    question: qid.clone(),
                    option: oid.clone(),
                });
            }
        }
        Ok(())
    }

    /// [`Answers::check`], and every question answered.
    pub fn check_complete(&self, q: &Questionnaire) -> Result<(), AnswerError> {
        self.check(q)?;
        let missing = self.missing(q);
        if let Some(first) = missing.first() {
            return Err(AnswerError::Incomplete {
                first: first.clone(),
                answered: self.choices.len(),
                total: q.question_count(),
                missing,
            });
        }
        Ok(())
    }

    /// Unanswered question ids, in questionnaire order.
    pub fn missing(&self, q: &Questionnaire) -> Vec<String> {
        q.axes
            .iter()
            .flat_map(|a| &a.questions)
            .filter(|qu| !self.choices.contains_key(&qu.id))
            .map(|qu| qu.id.clone())
            .collect()
    }

    /// Sets an answer after checking it; the answers are unchanged on error.
    pub fn answer(
        &mut self,
        q: &Questionnaire,
        question: &str,
        option: &str,
    ) -> Result<(), AnswerError> {
        let mut next = self.clone();
        next.choices.insert(question.to_owned(), option.to_owned());
        next.check(q)?;
        *self = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::{builtin, latest};

    fn ds() -> Questionnaire {
        latest(&builtin(), "digiscore").unwrap().clone()
    }

    #[test]
    fn errors_name_the_question_and_option() {
        let q = ds();
        let mut a = Answers::new(&q);
        assert_eq!(
            a.answer(&q, "infra-connexion", "wifi")
                .unwrap_err()
                .to_string(),
            "option \"wifi\" is not an answer to question \"infra-connexion\" (questionnaire digiscore@1)"
        );
        assert_eq!(
            a.answer(&q, "infra-wifi", "rapide")
                .unwrap_err()
                .to_string(),
            "question \"infra-wifi\" is not in questionnaire digiscore@1"
        );
        assert!(
            a.choices.is_empty(),
            "a refused answer leaves the answers unchanged"
        );
        a.answer(&q, "infra-connexion", "rapide").unwrap();
        let err = a.check_complete(&q).unwrap_err();
        assert_eq!(
            err.to_string(),
            "19 question(s) still unanswered, first \"infra-equipement\" (1 of 20 answered)"
        );
    }

    #[test]
    fn answers_are_bound_to_their_version() {
        let q = ds();
        let mut a = Answers::new(&q);
        a.version = 2;
        assert_eq!(
            a.check(&q).unwrap_err().to_string(),
            "these answers are for questionnaire digiscore@2, not digiscore@1"
        );
    }
}
