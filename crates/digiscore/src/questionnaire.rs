//! Questionnaires as versioned data.
//!
//! A questionnaire file (`data/digiscore/*.toml`) has an `id`, a `version`, an `audience`
//! (`company` or `public`), bilingual `title`/`intro`, maturity `bands` (each with an inclusive
//! upper bound `upto`, increasing, the last one 100) and `axes`, each with `questions`, each
//! with `options`. An option has a `score` (a whole number ≥ 0) or is `not_applicable = true`
//! (the question then leaves the axis's denominator, see [`crate::scoring`]). Every text is
//! given in French and English. [`parse`] checks all of this and names the place of an error.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::profile::Audience;

/// A text in French and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub fr: String,
    pub en: String,
}

impl Text {
    /// The text in `lang` (`"en"` gives English, anything else French).
    pub fn get(&self, lang: &str) -> &str {
        if lang == "en" { &self.en } else { &self.fr }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    pub id: String,
    pub version: u32,
    pub audience: Audience,
    pub title: Text,
    pub intro: Text,
    pub source: String,
    pub bands: Vec<Band>,
    pub axes: Vec<Axis>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub id: String,
    /// Inclusive upper bound of the band on the 0–100 overall score.
    pub upto: f64,
    pub label: Text,
    pub interpretation: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    pub id: String,
    pub name: Text,
    /// Topics matched against the support offers' topics for next steps.
    pub topics: Vec<String>,
    /// A short piece of advice shown with the next step for this axis.
    pub advice: Text,
    /// Weight of the axis in the overall score (default 1).
    #[serde(default = "one")]
    pub weight: u32,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub text: Text,
    /// Weight of the question within its axis (default 1).
    #[serde(default = "one")]
    pub weight: u32,
    pub options: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub id: String,
    pub label: Text,
    #[serde(default)]
    pub score: Option<u32>,
    #[serde(default)]
    pub not_applicable: bool,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuestionnaireError {
    /// Not TOML, or a field of the wrong type; the message names line and column.
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    /// Well-formed TOML that breaks a rule of the format; `place` names the field.
    #[error("{file}: {place}: {message}")]
    Invalid {
        file: String,
        place: String,
        message: String,
    },
}

impl Questionnaire {
    /// Total number of questions.
    pub fn question_count(&self) -> usize {
        self.axes.iter().map(|a| a.questions.len()).sum()
    }

    /// The question `id` with its axis.
    pub fn question(&self, id: &str) -> Option<(&Axis, &Question)> {
        self.axes
            .iter()
            .find_map(|a| a.questions.iter().find(|q| q.id == id).map(|q| (a, q)))
    }

    /// The axis `id`.
    pub fn axis(&self, id: &str) -> Option<&Axis> {
        self.axes.iter().find(|a| a.id == id)
    }

    /// The band of an overall score (0–100): the first band whose `upto` is ≥ the score.
    pub fn band(&self, score: f64) -> &Band {
        self.bands
            .iter()
            .find(|b| score <= b.upto)
            .unwrap_or_else(|| self.bands.last().expect("a parsed questionnaire has bands"))
    }

    /// `id@version`, the key assessments store.
    pub fn key(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }
}

impl Question {
    /// The highest score of an option (the question's maximum).
    pub fn max_score(&self) -> u32 {
        self.options
            .iter()
            .filter_map(|o| o.score)
            .max()
            .unwrap_or(0)
    }

    pub fn option(&self, id: &str) -> Option<&Choice> {
        self.options.iter().find(|o| o.id == id)
    }
}

/// Parses and checks a questionnaire file; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Questionnaire, QuestionnaireError> {
    let q: Questionnaire = toml::from_str(text).map_err(|e| QuestionnaireError::Syntax {
        file: file.to_owned(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    check(file, &q)?;
    Ok(q)
}

fn check(file: &str, q: &Questionnaire) -> Result<(), QuestionnaireError> {
    let bad = |place: String, message: &str| {
        Err(QuestionnaireError::Invalid {
            file: file.to_owned(),
            place,
            message: message.to_owned(),
        })
    };
    let id_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    let text_ok = |t: &Text| !t.fr.trim().is_empty() && !t.en.trim().is_empty();
    if !id_ok(&q.id) {
        return bad("id".into(), "must be lowercase letters, digits and '-'");
    }
    if q.version == 0 {
        return bad("version".into(), "must be 1 or more");
    }
    if !text_ok(&q.title) || !text_ok(&q.intro) {
        return bad("title/intro".into(), "needs both fr and en");
    }
    if q.bands.is_empty() {
        return bad("bands".into(), "at least one band is needed");
    }
    let mut prev = f64::NEG_INFINITY;
    for (i, b) in q.bands.iter().enumerate() {
        let place = format!("bands[{i}] ({})", b.id);
        if !(b.upto > prev && (0.0..=100.0).contains(&b.upto)) {
            return bad(place, "`upto` must increase and lie in 0..=100");
        }
        if !text_ok(&b.label) || !text_ok(&b.interpretation) {
            return bad(place, "label and interpretation need both fr and en");
        }
        prev = b.upto;
    }
    if prev != 100.0 {
        return bad("bands".into(), "the last band must end at `upto = 100`");
    }
    if q.axes.is_empty() {
        return bad("axes".into(), "at least one axis is needed");
    }
    let mut axis_ids = BTreeSet::new();
    let mut question_ids = BTreeSet::new();
    for (ai, a) in q.axes.iter().enumerate() {
        let ap = format!("axes[{ai}] ({})", a.id);
        if !id_ok(&a.id) || !axis_ids.insert(a.id.as_str()) {
            return bad(
                ap,
                "axis id must be unique, lowercase letters, digits and '-'",
            );
        }
        if !text_ok(&a.name) || !text_ok(&a.advice) {
            return bad(ap, "name and advice need both fr and en");
        }
        if a.weight == 0 {
            return bad(ap, "weight must be 1 or more");
        }
        if a.questions.is_empty() {
            return bad(ap, "an axis needs at least one question");
        }
        for (qi, qu) in a.questions.iter().enumerate() {
            let qp = format!("{ap}.questions[{qi}] ({})", qu.id);
            if !id_ok(&qu.id) || !question_ids.insert(qu.id.as_str()) {
                return bad(qp, "question id must be unique in the questionnaire");
            }
            if !text_ok(&qu.text) {
                return bad(qp, "text needs both fr and en");
            }
            if qu.weight == 0 {
                return bad(qp, "weight must be 1 or more");
            }
            if qu.max_score() == 0 {
                return bad(qp, "at least one option must score more than 0");
            }
            let mut option_ids = BTreeSet::new();
            for (oi, o) in qu.options.iter().enumerate() {
                let op = format!("{qp}.options[{oi}] ({})", o.id);
                if !id_ok(&o.id) || !option_ids.insert(o.id.as_str()) {
                    return bad(op, "option id must be unique within its question");
                }
                if !text_ok(&o.label) {
                    return bad(op, "label needs both fr and en");
                }
                match (o.score, o.not_applicable) {
                    (Some(_), true) => {
                        return bad(
                            op,
                            "an option is either scored or `not_applicable`, not both",
                        );
                    }
                    (None, false) => return bad(op, "needs a `score` or `not_applicable = true`"),
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

/// The questionnaire files shipped in the repository (`data/digiscore/`), by file name.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "digiscore-v1.toml",
        include_str!("../../../data/digiscore/digiscore-v1.toml"),
    ),
    (
        "dmat-sme-v1.toml",
        include_str!("../../../data/digiscore/dmat-sme-v1.toml"),
    ),
    (
        "dmat-public-v1.toml",
        include_str!("../../../data/digiscore/dmat-public-v1.toml"),
    ),
];

/// The built-in questionnaires, every version (they are checked by this crate's tests).
pub fn builtin() -> Vec<Questionnaire> {
    BUILTIN_FILES
        .iter()
        .map(|(f, t)| parse(f, t).expect("built-in questionnaires are valid (tested)"))
        .collect()
}

/// Loads every questionnaire file (`*.toml` except `support.toml`) of a directory, sorted by
/// file name. Errors name the file; two files with the same `id` and `version` are refused
/// (a published version is frozen — a change is a new version).
pub fn load_dir(dir: &std::path::Path) -> Result<Vec<Questionnaire>, QuestionnaireError> {
    let io = |file: &std::path::Path, e: std::io::Error| QuestionnaireError::Syntax {
        file: file.display().to_string(),
        message: e.to_string(),
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "toml")
                && p.file_name().is_some_and(|n| n != "support.toml")
        })
        .collect();
    files.sort();
    let mut out: Vec<Questionnaire> = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| io(&f, e))?;
        let name = f.display().to_string();
        let q = parse(&name, &text)?;
        if out.iter().any(|o| o.id == q.id && o.version == q.version) {
            return Err(QuestionnaireError::Invalid {
                file: name,
                place: "version".into(),
                message: format!("{} is already defined by another file", q.key()),
            });
        }
        out.push(q);
    }
    Ok(out)
}

/// Finds `id` at `version` in a list of questionnaires.
pub fn find<'a>(all: &'a [Questionnaire], id: &str, version: u32) -> Option<&'a Questionnaire> {
    all.iter().find(|q| q.id == id && q.version == version)
}

/// The latest version of `id`.
pub fn latest<'a>(all: &'a [Questionnaire], id: &str) -> Option<&'a Questionnaire> {
    all.iter().filter(|q| q.id == id).max_by_key(|q| q.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_questionnaires_parse_with_their_axes() {
        let all = builtin();
        let ds = latest(&all, "digiscore").unwrap();
        let axes: Vec<_> = ds.axes.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            axes,
            ["infrastructure", "organisation", "processus", "strategie"]
        );
        assert_eq!(ds.question_count(), 20);
        let sme = latest(&all, "dmat-sme").unwrap();
        assert_eq!(sme.axes.len(), 6);
        assert_eq!(sme.audience, Audience::Company);
        let public = latest(&all, "dmat-public").unwrap();
        assert_eq!(public.axes.len(), 6);
        assert_eq!(public.audience, Audience::Public);
        assert!(public.axis("interoperability").is_some());
    }

    #[test]
    fn bands_pick_the_first_upper_bound_reached() {
        let all = builtin();
        let ds = latest(&all, "digiscore").unwrap();
        assert_eq!(ds.band(0.0).id, "debutant");
        assert_eq!(ds.band(25.0).id, "debutant");
        assert_eq!(ds.band(25.1).id, "intermediaire");
        assert_eq!(ds.band(100.0).id, "expert");
    }

    #[test]
    fn a_syntax_error_names_file_line_and_column() {
        let err = parse("x.toml", "id = \"a\"\nversion = \"one\"\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("x.toml: "), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn a_rule_error_names_the_option() {
        let text = BUILTIN_FILES[0].1.replacen(
            "{ id = \"instable\", label = { fr = \"Lente ou souvent interrompue\", en = \"Slow or often interrupted\" }, score = 1 }",
            "{ id = \"instable\", label = { fr = \"Lente ou souvent interrompue\", en = \"Slow or often interrupted\" } }",
            1,
        );
        let msg = parse("d.toml", &text).unwrap_err().to_string();
        assert_eq!(
            msg,
            "d.toml: axes[0] (infrastructure).questions[0] (infra-connexion).options[1] (instable): needs a `score` or `not_applicable = true`"
        );
    }

    #[test]
    fn the_repository_directory_loads_and_matches_the_builtin_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/digiscore");
        let mut loaded = load_dir(&dir).unwrap();
        let mut built = builtin();
        loaded.sort_by_key(|q| q.key());
        built.sort_by_key(|q| q.key());
        assert_eq!(loaded, built);
    }

    #[test]
    fn a_second_file_with_the_same_version_is_refused() {
        let dir = std::env::temp_dir().join(format!("digiscore-dup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.toml"), BUILTIN_FILES[0].1).unwrap();
        std::fs::write(dir.join("b.toml"), BUILTIN_FILES[0].1).unwrap();
        let err = load_dir(&dir).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            err.ends_with("b.toml: version: digiscore@1 is already defined by another file"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_question_ids_are_refused() {
        let text =
            BUILTIN_FILES[0]
                .1
                .replacen("id = \"infra-equipement\"", "id = \"infra-connexion\"", 1);
        let msg = parse("d.toml", &text).unwrap_err().to_string();
        assert!(msg.contains("questions[1] (infra-connexion)"), "{msg}");
        assert!(msg.contains("unique"), "{msg}");
    }
}
