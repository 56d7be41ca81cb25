//! The Digiscore pages' view models: plain functions of the engine's types and the
//! stored assessment, tested without HTTP.

use std::collections::BTreeMap;

use serde::Serialize;
use territoria_digiscore::answers::Answers;
use territoria_digiscore::kbo;
use territoria_digiscore::profile::{NACE_SECTIONS, SizeClass, province_of_nis};
use territoria_digiscore::questionnaire::Questionnaire;
use territoria_digiscore::scoring::{Scores, round1};
use territoria_store::StoredAssessment;

use super::result;
use crate::pages::{Lang, fmt};

/// The name of NACE section `letter` in `lang` (`fr` or `en`).
pub fn nace_label(letter: &str, lang: &str) -> Option<&'static str> {
    NACE.iter()
        .find(|(s, ..)| *s == letter)
        .map(|(_, fr, en)| if lang == "en" { *en } else { *fr })
}

/// NACE Rev. 2 sections: (letter, French, English).
const NACE: [(&str, &str, &str); 21] = [
    (
        "A",
        "Agriculture, sylviculture et pêche",
        "Agriculture, forestry and fishing",
    ),
    ("B", "Industries extractives", "Mining and quarrying"),
    ("C", "Industrie manufacturière", "Manufacturing"),
    (
        "D",
        "Électricité, gaz, vapeur et air conditionné",
        "Electricity, gas, steam and air conditioning",
    ),
    (
        "E",
        "Eau, assainissement, déchets et dépollution",
        "Water supply, sewerage, waste and remediation",
    ),
    ("F", "Construction", "Construction"),
    (
        "G",
        "Commerce ; réparation d'automobiles et de motocycles",
        "Wholesale and retail trade; repair of motor vehicles",
    ),
    (
        "H",
        "Transports et entreposage",
        "Transportation and storage",
    ),
    (
        "I",
        "Hébergement et restauration",
        "Accommodation and food service",
    ),
    (
        "J",
        "Information et communication",
        "Information and communication",
    ),
    (
        "K",
        "Activités financières et d'assurance",
        "Financial and insurance activities",
    ),
    ("L", "Activités immobilières", "Real estate activities"),
    (
        "M",
        "Activités spécialisées, scientifiques et techniques",
        "Professional, scientific and technical activities",
    ),
    (
        "N",
        "Activités de services administratifs et de soutien",
        "Administrative and support service activities",
    ),
    (
        "O",
        "Administration publique",
        "Public administration and defence",
    ),
    ("P", "Enseignement", "Education"),
    (
        "Q",
        "Santé humaine et action sociale",
        "Human health and social work",
    ),
    (
        "R",
        "Arts, spectacles et activités récréatives",
        "Arts, entertainment and recreation",
    ),
    (
        "S",
        "Autres activités de services",
        "Other service activities",
    ),
    (
        "T",
        "Activités des ménages en tant qu'employeurs",
        "Activities of households as employers",
    ),
    (
        "U",
        "Activités extra-territoriales",
        "Extraterritorial organisations",
    ),
];

/// The interface's words: (key, French, English).
const WORDS: &[(&str, &str, &str)] = &[
    ("sup_title", "Offres d'accompagnement", "Support offers"),
    (
        "sup_intro",
        "Les pistes proposées après un Digiscore viennent de ce catalogue : programmes, aides et opérateurs, chacun avec ses conditions (public, taille, secteur, province). L'Agence le tient à jour ; les recommandations suivent la version enregistrée.",
        "The next steps suggested after a Digiscore come from this catalogue: programmes, aids and operators, each with its conditions (audience, size, sector, province). The agency keeps it current; recommendations follow the saved version.",
    ),
    ("sup_programmes", "Programmes", "Programmes"),
    ("sup_aids", "Aides", "Aids"),
    (
        "sup_operators",
        "Opérateurs d'accompagnement",
        "Support operators",
    ),
    ("sup_name", "Offre", "Offer"),
    ("sup_conditions", "Conditions", "Conditions"),
    ("sup_topics", "Thèmes", "Topics"),
    ("sup_source", "Source", "Source"),
    ("sup_none", "aucune restriction", "no restriction"),
    (
        "sup_inferred",
        "conditions résumées par Territoria, à vérifier auprès de l'opérateur",
        "conditions summarised by Territoria, to be checked with the operator",
    ),
    (
        "sup_builtin",
        "Catalogue en usage : le fichier livré avec Territoria (aucune version enregistrée).",
        "Catalogue in use: the file shipped with Territoria (no version saved).",
    ),
    ("sup_versions", "Versions enregistrées", "Saved versions"),
    ("sup_version", "Version", "Version"),
    ("sup_by", "Enregistrée par", "Saved by"),
    ("sup_at", "Le", "On"),
    ("sup_in_use", "en usage", "in use"),
    ("sup_edit", "Modifier le catalogue", "Edit the catalogue"),
    (
        "sup_edit_intro",
        "Le catalogue entier, au format TOML (voir data/digiscore/support.toml). Il est vérifié avant l'enregistrement : une erreur indique sa ligne et sa colonne, ou l'offre et le champ.",
        "The whole catalogue, as TOML (see data/digiscore/support.toml). It is checked before it is saved: a mistake names its line and column, or the offer and field.",
    ),
    ("sup_text", "Catalogue (TOML)", "Catalogue (TOML)"),
    (
        "sup_save",
        "Enregistrer une nouvelle version",
        "Save a new version",
    ),
    ("sup_saved", "Version enregistrée :", "Version saved:"),
    (
        "sup_sign_in",
        "Se connecter pour modifier le catalogue",
        "Sign in to edit the catalogue",
    ),
    (
        "sup_no_right",
        "Le catalogue est tenu par les éditeurs de toutes les stratégies et les administrateurs.",
        "The catalogue is kept by editors of every strategy and administrators.",
    ),
    (
        "sup_refused",
        "Rien n'a été enregistré :",
        "Nothing was saved:",
    ),
    (
        "sup_conflict",
        "Quelqu'un a enregistré une autre version pendant votre modification : version",
        "Someone saved another version while you were editing: version",
    ),
    (
        "sup_conflict_fix",
        "Votre texte est conservé ci-dessous, avec la version actuelle : reportez vos changements puis enregistrez à nouveau.",
        "Your text is kept below, with the current version: carry your changes over and save again.",
    ),
    ("sup_theirs", "La version actuelle", "The current version"),
    (
        "sup_link",
        "Les offres d'accompagnement vers lesquelles mènent les pistes",
        "The support offers the next steps lead to",
    ),
    (
        "title",
        "Digiscore : votre maturité numérique",
        "Digiscore: your digital maturity",
    ),
    (
        "intro",
        "Un autodiagnostic en quelques minutes : vous recevez un lien privé pour reprendre plus tard, votre score par axe et des pistes concrètes. Votre évaluation n'est visible qu'avec ce lien.",
        "A self-assessment in a few minutes: you get a private link to resume later, your score per axis and concrete next steps. Your assessment can only be seen with that link.",
    ),
    ("choose", "Questionnaire", "Questionnaire"),
    (
        "barometer",
        "Baromètre Digiscore : la maturité numérique des organisations évaluées",
        "Digiscore barometer: the digital maturity of the organisations assessed",
    ),
    (
        "barometer_link",
        "Le baromètre : les moyennes par secteur, taille et province",
        "The barometer: averages by sector, size and province",
    ),
    (
        "barometer_intro",
        "Moyennes des scores (0 à 100) des évaluations terminées : la plus récente de chaque organisation compte, une seule fois. Aucun groupe de moins de",
        "Mean scores (0 to 100) of the finished assessments: the latest of each organisation counts, once. No group of fewer than",
    ),
    (
        "barometer_intro_2",
        "évaluations n'est montré, ni un groupe qui permettrait d'en isoler un par différence : ces lignes sont absentes, pas vides.",
        "assessments is shown, nor a group that would let one be isolated by difference: those rows are absent, not blank.",
    ),
    (
        "barometer_synthetic",
        "Ces moyennes sont calculées sur des évaluations synthétiques de démonstration : elles ne décrivent aucune entreprise réelle. Les évaluations réelles les remplaceront dès qu'il y en aura assez.",
        "These means are computed from synthetic demo assessments: they describe no real company. Real assessments replace them as soon as there are enough.",
    ),
    (
        "barometer_real",
        "Calculé sur les évaluations réelles uniquement.",
        "Computed from real assessments only.",
    ),
    (
        "barometer_none",
        "Pas encore assez d'évaluations terminées pour publier une moyenne.",
        "Not enough finished assessments yet to publish a mean.",
    ),
    ("barometer_group", "Groupe", "Group"),
    ("barometer_n", "Évaluations", "Assessments"),
    ("barometer_overall", "Score global", "Overall score"),
    (
        "barometer_total",
        "évaluations, score global moyen",
        "assessments, mean overall score",
    ),
    (
        "barometer_data",
        "Les mêmes agrégats en données ouvertes (CSV) et en JSON :",
        "The same aggregates as open data (CSV) and as JSON:",
    ),
    ("profile", "Votre organisation", "Your organisation"),
    (
        "kbo",
        "Numéro d'entreprise BCE (facultatif)",
        "KBO/BCE enterprise number (optional)",
    ),
    (
        "kbo_hint",
        "Par exemple 0123.456.749",
        "For example 0123.456.749",
    ),
    (
        "nace",
        "Secteur d'activité (section NACE)",
        "Sector (NACE section)",
    ),
    ("size", "Taille", "Size"),
    (
        "municipality",
        "Code INS de la commune (facultatif, 5 chiffres)",
        "Municipality NIS code (optional, 5 digits)",
    ),
    (
        "municipality_hint",
        "Par exemple 92094 pour Namur",
        "For example 92094 for Namur",
    ),
    ("choose_option", "Choisissez…", "Choose…"),
    ("start", "Commencer l'évaluation", "Start the assessment"),
    (
        "errors",
        "Le formulaire contient des erreurs :",
        "The form has errors:",
    ),
    (
        "link_notice",
        "Gardez l'adresse de cette page : c'est votre lien privé pour reprendre l'évaluation. Personne d'autre ne peut la voir sans lui.",
        "Keep this page's address: it is your private link to resume the assessment. Nobody else can see it without it.",
    ),
    (
        "answered",
        "questions répondues sur",
        "questions answered out of",
    ),
    (
        "save",
        "Enregistrer et continuer plus tard",
        "Save and continue later",
    ),
    (
        "finish",
        "Terminer et voir mon résultat",
        "Finish and see my result",
    ),
    (
        "saved",
        "Vos réponses sont enregistrées.",
        "Your answers are saved.",
    ),
    ("result", "Votre résultat", "Your result"),
    ("overall", "Score global", "Overall score"),
    ("band", "Niveau", "Level"),
    ("axis", "Axe", "Axis"),
    ("score", "Score (sur 100)", "Score (out of 100)"),
    ("not_applicable", "non applicable", "not applicable"),
    (
        "completed_on",
        "Évaluation terminée le",
        "Assessment completed on",
    ),
    ("source", "Source du questionnaire", "Questionnaire source"),
    (
        "radar",
        "Score par axe (sur 100)",
        "Score per axis (out of 100)",
    ),
    ("before", "Évaluation précédente", "Previous assessment"),
    ("now", "Cette évaluation", "This assessment"),
    (
        "previous_of",
        "Évaluation précédente, terminée le",
        "Previous assessment, completed on",
    ),
    ("peers", "Vos pairs", "Your peers"),
    (
        "peers_shown_1",
        "Votre score global dépasse celui de",
        "Your overall score is above that of",
    ),
    ("peers_shown_2", "% des", "% of the"),
    (
        "peers_shown_3",
        "organisations du même secteur et de la même taille ayant terminé ce questionnaire.",
        "organisations of the same sector and size that finished this questionnaire.",
    ),
    (
        "peers_too_few",
        "Moins de 10 organisations du même secteur et de la même taille ont terminé ce questionnaire : pour préserver leur anonymat, aucune comparaison n'est montrée.",
        "Fewer than 10 organisations of the same sector and size have finished this questionnaire: to keep them anonymous, no comparison is shown.",
    ),
    (
        "peers_synthetic",
        "Comparaison avec des évaluations synthétiques de démonstration, pas avec de vraies organisations.",
        "Compared with synthetic demo assessments, not with real organisations.",
    ),
    ("steps", "Trois pistes pour progresser", "Three next steps"),
    ("programme", "Programme", "Programme"),
    ("aid", "Aide", "Aid"),
    ("operator", "Opérateur", "Operator"),
    (
        "inferred",
        "(lien déduit par Territoria)",
        "(link inferred by Territoria)",
    ),
    (
        "no_steps",
        "Tous vos axes sont au maximum : aucune piste à proposer.",
        "Every axis is at its maximum: no next step to suggest.",
    ),
    (
        "reassess",
        "Refaire l'évaluation (nouvelle mesure)",
        "Reassess (a new measurement)",
    ),
    (
        "delete",
        "Supprimer cette évaluation",
        "Delete this assessment",
    ),
    (
        "delete_hint",
        "La suppression est définitive : ce lien ne mènera plus à rien.",
        "Deletion is final: this link will lead nowhere.",
    ),
    (
        "deleted",
        "L'évaluation est supprimée.",
        "The assessment is deleted.",
    ),
    (
        "demo",
        "Évaluation synthétique de démonstration.",
        "Synthetic demo assessment.",
    ),
];

pub fn words(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    WORDS
        .iter()
        .map(|(k, fr, en)| (*k, if lang == Lang::En { *en } else { *fr }))
        .collect()
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// What the start form sends (every field as typed).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct StartForm {
    #[serde(default)]
    pub questionnaire: String,
    #[serde(default)]
    pub kbo: String,
    #[serde(default)]
    pub nace: String,
    #[serde(default)]
    pub size: String,
    #[serde(default)]
    pub municipality: String,
}

/// A checked start form: what a new assessment is created with.
#[derive(Debug, PartialEq)]
pub struct Start {
    pub questionnaire: String,
    pub version: u32,
    pub kbo: Option<String>,
    pub nace: String,
    pub size: SizeClass,
    pub municipality: Option<String>,
}

/// A field's error: (field name, message in the reader's language).
pub type FieldError = (&'static str, String);

/// Checks the start form against the questionnaires; every wrong field is named.
pub fn check_start(
    all: &[Questionnaire],
    form: &StartForm,
    lang: Lang,
) -> Result<Start, Vec<FieldError>> {
    let en = lang == Lang::En;
    let mut errors = Vec::new();
    let q = territoria_digiscore::questionnaire::latest(all, form.questionnaire.trim());
    if q.is_none() {
        errors.push((
            "questionnaire",
            if en {
                "Choose a questionnaire."
            } else {
                "Choisissez un questionnaire."
            }
            .to_owned(),
        ));
    }
    let kbo = match form.kbo.trim() {
        "" => None,
        typed => match kbo::parse(typed) {
            Ok(digits) => Some(digits),
            Err(e) => {
                errors.push((
                    "kbo",
                    if en {
                        format!("KBO/BCE number: {e}.")
                    } else {
                        format!("Numéro BCE : {} ", kbo_error_fr(&e))
                    },
                ));
                None
            }
        },
    };
    let nace = form.nace.trim().to_owned();
    if !territoria_digiscore::profile::is_nace_section(&nace) {
        errors.push((
            "nace",
            if en {
                "Choose a sector."
            } else {
                "Choisissez un secteur d'activité."
            }
            .to_owned(),
        ));
    }
    let size = SizeClass::parse(form.size.trim());
    if size.is_none() {
        errors.push((
            "size",
            if en {
                "Choose a size."
            } else {
                "Choisissez une taille."
            }
            .to_owned(),
        ));
    }
    let municipality = match form.municipality.trim() {
        "" => None,
        nis if province_of_nis(nis).is_some() => Some(nis.to_owned()),
        nis => {
            errors.push((
                "municipality",
                if en {
                    format!("{nis:?} is not a Belgian municipality's NIS code (5 digits, e.g. 92094).")
                } else {
                    format!("« {nis} » n'est pas le code INS d'une commune belge (5 chiffres, par exemple 92094).")
                },
            ));
            None
        }
    };
    match (q, size) {
        (Some(q), Some(size)) if errors.is_empty() => Ok(Start {
            questionnaire: q.id.clone(),
            version: q.version,
            kbo,
            nace,
            size,
            municipality,
        }),
        _ => Err(errors),
    }
}

fn kbo_error_fr(e: &kbo::KboError) -> String {
    use kbo::KboError::*;
    match e {
        Empty => "le numéro est vide.".to_owned(),
        BadCharacter(c) => {
            format!("seuls les chiffres, points et espaces sont admis (trouvé « {c} »).")
        }
        BadLength(n) => format!("un numéro BCE compte 10 chiffres (trouvé {n})."),
        BadFirstDigit(c) => format!("un numéro BCE commence par 0 ou 1 (trouvé {c})."),
        BadCheck {
            number,
            expected,
            found,
        } => format!(
            "les chiffres de contrôle de {number} sont faux : {expected:02} attendu, {found:02} trouvé (une faute de frappe ?)."
        ),
    }
}

#[derive(Debug, Serialize)]
pub struct StartPage {
    pub w: BTreeMap<&'static str, &'static str>,
    pub questionnaires: Vec<Choice>,
    pub nace: Vec<Choice>,
    pub sizes: Vec<Choice>,
    pub kbo: String,
    pub municipality: String,
    pub errors: Vec<FieldError>,
    pub action: String,
    /// An assessment was just deleted.
    pub deleted: bool,
    pub barometer: &'static str,
    pub support: &'static str,
}

pub fn start_page(
    all: &[Questionnaire],
    form: &StartForm,
    errors: Vec<FieldError>,
    lang: Lang,
) -> StartPage {
    let l = lang.code();
    let mut seen = Vec::new();
    let questionnaires = all
        .iter()
        .filter(|q| {
            let first = !seen.contains(&q.id);
            seen.push(q.id.clone());
            first
        })
        .filter_map(|q| territoria_digiscore::questionnaire::latest(all, &q.id))
        .map(|q| Choice {
            value: q.id.clone(),
            label: q.title.get(l).to_owned(),
            selected: form.questionnaire == q.id,
        })
        .collect();
    StartPage {
        w: words(lang),
        questionnaires,
        nace: NACE
            .iter()
            .filter(|(s, ..)| NACE_SECTIONS.contains(s))
            .map(|(s, fr, en)| Choice {
                value: (*s).to_owned(),
                label: format!("{s} — {}", if lang == Lang::En { en } else { fr }),
                selected: form.nace == *s,
            })
            .collect(),
        sizes: SizeClass::ALL
            .iter()
            .map(|s| Choice {
                value: s.code().to_owned(),
                label: s.label(l).to_owned(),
                selected: form.size == s.code(),
            })
            .collect(),
        kbo: form.kbo.clone(),
        municipality: form.municipality.clone(),
        errors,
        action: format!("/{l}/digiscore"),
        deleted: false,
        barometer: super::barometer::path(lang),
        support: super::offers_page::path(lang),
    }
}

/// The stored answers of an assessment (an object of question id → option id).
pub fn stored_answers(q: &Questionnaire, a: &StoredAssessment) -> Answers {
    let mut answers = Answers::new(q);
    answers.choices = serde_json::from_str(&a.answers).unwrap_or_default();
    answers
}

/// Reads a questionnaire form (`q:<question>=<option>` pairs) into answers to `q`,
/// starting from `base`; an unknown question or option is refused by name.
pub fn read_answers(
    q: &Questionnaire,
    base: Answers,
    pairs: &[(String, String)],
) -> Result<Answers, String> {
    let mut answers = base;
    for (k, v) in pairs {
        if let Some(question) = k.strip_prefix("q:") {
            answers
                .answer(q, question, v)
                .map_err(|e| format!("{k}: {e}"))?;
        }
    }
    Ok(answers)
}

#[derive(Debug, Serialize)]
pub struct OptionView {
    pub id: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Debug, Serialize)]
pub struct QuestionView {
    pub id: String,
    pub text: String,
    pub options: Vec<OptionView>,
    pub answered: bool,
}

#[derive(Debug, Serialize)]
pub struct AxisView {
    pub id: String,
    pub name: String,
    pub questions: Vec<QuestionView>,
}

#[derive(Debug, Serialize)]
pub struct AxisScoreView {
    pub name: String,
    /// Belgian-formatted score, or none ("not applicable").
    pub score: Option<String>,
    /// The same axis at the previous assessment of the series.
    pub before: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct PreviousView {
    pub overall: String,
    pub completed_on: String,
}

#[derive(Debug, Serialize)]
pub struct ResultView {
    pub overall: String,
    pub band: String,
    pub interpretation: String,
    pub axes: Vec<AxisScoreView>,
    pub completed_on: String,
    pub radar: String,
    pub peers: result::PeersView,
    pub steps: Vec<result::StepView>,
    pub previous: Option<PreviousView>,
}

/// What the result is compared with: the finished assessments of the questionnaire
/// (for peers) and the assessment's series (for T0 vs T1).
#[derive(Debug, Default)]
pub struct Context {
    pub completed: Vec<StoredAssessment>,
    pub series: Vec<StoredAssessment>,
    /// The support catalogue in use (see `offers.rs`).
    pub support: std::sync::Arc<territoria_digiscore::support::Support>,
}

fn score_text(s: Option<f64>, lang: Lang) -> Option<String> {
    s.map(|s| fmt::decimal(round1(s), 1, lang))
}

/// The result of complete answers, in the reader's language.
pub fn result_view(
    q: &Questionnaire,
    scores: &Scores,
    a: &StoredAssessment,
    ctx: &Context,
    lang: Lang,
) -> ResultView {
    let l = lang.code();
    let band = q.band(scores.overall);
    let prev = result::previous(a, &ctx.series);
    let prev_axes = prev.map(result::stored_axes);
    let before_of = |axis: &str| {
        prev_axes
            .as_ref()
            .and_then(|p| p.iter().find(|x| x.axis == axis))
            .and_then(|x| x.score)
    };
    let names: Vec<String> = scores
        .axes
        .iter()
        .map(|a| {
            q.axis(&a.axis)
                .map_or(a.axis.clone(), |x| x.name.get(l).to_owned())
        })
        .collect();
    let now: Vec<Option<f64>> = scores.axes.iter().map(|a| a.score).collect();
    let before: Option<Vec<Option<f64>>> = prev_axes
        .as_ref()
        .map(|_| scores.axes.iter().map(|a| before_of(&a.axis)).collect());
    let w = words(lang);
    let desc = names
        .iter()
        .zip(&now)
        .map(|(n, s)| {
            format!(
                "{n} : {}",
                score_text(*s, lang).unwrap_or_else(|| w["not_applicable"].to_owned())
            )
        })
        .collect::<Vec<_>>()
        .join(" ; ");
    let completed_at = a.completed_at.as_deref().unwrap_or_default();
    ResultView {
        overall: fmt::decimal(round1(scores.overall), 1, lang),
        band: band.label.get(l).to_owned(),
        interpretation: band.interpretation.get(l).to_owned(),
        axes: scores
            .axes
            .iter()
            .zip(&names)
            .map(|(x, name)| AxisScoreView {
                name: name.clone(),
                score: score_text(x.score, lang),
                before: score_text(before_of(&x.axis), lang),
            })
            .collect(),
        completed_on: fmt::date(completed_at),
        radar: result::radar(&names, &now, before.as_deref(), w["radar"], &desc),
        peers: result::peers_view(
            scores.overall,
            &result::peer_scores(a, &ctx.completed),
            a.demo,
            lang,
        ),
        steps: result::steps(q, scores, a, &ctx.support, lang),
        previous: prev.and_then(|p| {
            Some(PreviousView {
                overall: score_text(p.overall, lang)?,
                completed_on: fmt::date(p.completed_at.as_deref()?),
            })
        }),
    }
}

#[derive(Debug, Serialize)]
pub struct AssessmentPage {
    pub w: BTreeMap<&'static str, &'static str>,
    pub title: String,
    pub intro: String,
    pub source: String,
    pub action: String,
    pub axes: Vec<AxisView>,
    pub answered: String,
    pub total: String,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub result: Option<ResultView>,
    pub demo: bool,
    pub reassess: String,
    pub delete: String,
}

pub fn assessment_page(
    q: &Questionnaire,
    a: &StoredAssessment,
    answers: &Answers,
    secret: &str,
    ctx: &Context,
    lang: Lang,
) -> AssessmentPage {
    let l = lang.code();
    let result = match (
        &a.completed_at,
        territoria_digiscore::scoring::score(q, answers),
    ) {
        (Some(_), Ok(scores)) => Some(result_view(q, &scores, a, ctx, lang)),
        _ => None,
    };
    AssessmentPage {
        w: words(lang),
        title: q.title.get(l).to_owned(),
        intro: q.intro.get(l).to_owned(),
        source: q.source.clone(),
        action: format!("/{l}/digiscore/a/{secret}"),
        axes: q
            .axes
            .iter()
            .map(|axis| AxisView {
                id: axis.id.clone(),
                name: axis.name.get(l).to_owned(),
                questions: axis
                    .questions
                    .iter()
                    .map(|qu| {
                        let chosen = answers.choices.get(&qu.id);
                        QuestionView {
                            id: qu.id.clone(),
                            text: qu.text.get(l).to_owned(),
                            answered: chosen.is_some(),
                            options: qu
                                .options
                                .iter()
                                .map(|o| OptionView {
                                    id: o.id.clone(),
                                    label: o.label.get(l).to_owned(),
                                    checked: chosen == Some(&o.id),
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            })
            .collect(),
        answered: fmt::integer(answers.choices.len() as u64, lang),
        total: fmt::integer(q.question_count() as u64, lang),
        notice: None,
        error: None,
        result,
        demo: a.demo,
        reassess: format!("/{l}/digiscore/a/{secret}/reassess"),
        delete: format!("/{l}/digiscore/a/{secret}/delete"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use territoria_digiscore::questionnaire::{builtin, latest};

    fn form(q: &str, kbo: &str, nace: &str, size: &str, nis: &str) -> StartForm {
        StartForm {
            questionnaire: q.into(),
            kbo: kbo.into(),
            nace: nace.into(),
            size: size.into(),
            municipality: nis.into(),
        }
    }

    #[test]
    fn the_start_form_is_checked_field_by_field() {
        let all = builtin();
        let ok = check_start(
            &all,
            &form("digiscore", "0123.456.749", "G", "micro", "92094"),
            Lang::Fr,
        )
        .unwrap();
        assert_eq!(ok.kbo.as_deref(), Some("0123456749"));
        assert_eq!((ok.questionnaire.as_str(), ok.version), ("digiscore", 1));
        assert_eq!(ok.municipality.as_deref(), Some("92094"));
        let no_kbo = check_start(&all, &form("dmat-sme", "", "C", "small", ""), Lang::Fr).unwrap();
        assert_eq!((no_kbo.kbo, no_kbo.municipality), (None, None));

        let errs = check_start(
            &all,
            &form("nope", "0123.456.748", "Z", "huge", "00000"),
            Lang::Fr,
        )
        .unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.0).collect();
        assert_eq!(
            fields,
            ["questionnaire", "kbo", "nace", "size", "municipality"]
        );
        assert!(errs[1].1.contains("contrôle"), "{}", errs[1].1);
        let en =
            check_start(&all, &form("digiscore", "12", "G", "micro", ""), Lang::En).unwrap_err();
        assert_eq!(en[0].0, "kbo");
        assert!(en[0].1.contains("10 digits"), "{}", en[0].1);
    }

    #[test]
    fn answers_are_read_from_the_form_and_checked_against_the_version() {
        let all = builtin();
        let q = latest(&all, "digiscore").unwrap();
        let qid = q.axes[0].questions[0].id.clone();
        let oid = q.axes[0].questions[0].options[1].id.clone();
        let pairs = vec![
            (format!("q:{qid}"), oid.clone()),
            ("action".to_owned(), "save".to_owned()),
        ];
        let a = read_answers(q, Answers::new(q), &pairs).unwrap();
        assert_eq!(a.choices.get(&qid), Some(&oid));
        let bad = vec![(format!("q:{qid}"), "no-such-option".to_owned())];
        let e = read_answers(q, Answers::new(q), &bad).unwrap_err();
        assert!(e.contains(&qid) && e.contains("no-such-option"), "{e}");
        let unknown = vec![("q:no-such-question".to_owned(), oid)];
        assert!(read_answers(q, Answers::new(q), &unknown).is_err());
    }

    #[test]
    fn the_result_is_in_belgian_format_with_its_band() {
        let all = builtin();
        let q = latest(&all, "digiscore").unwrap();
        let mut a = Answers::new(q);
        for qu in q.axes.iter().flat_map(|x| &x.questions) {
            a.answer(q, &qu.id, &qu.options[1].id).unwrap();
        }
        let scores = territoria_digiscore::scoring::score(q, &a).unwrap();
        let stored = StoredAssessment {
            link_hash: "a".repeat(64),
            series: "a".repeat(64),
            questionnaire: q.id.clone(),
            questionnaire_version: 1,
            kbo: None,
            nace_section: "G".into(),
            size_class: "micro".into(),
            municipality: Some("92094".into()),
            answers: serde_json::to_string(&a.choices).unwrap(),
            overall: Some(scores.overall),
            axes: Some(serde_json::to_string(&scores.axes).unwrap()),
            completed_at: Some("2026-12-03T10:00:00Z".into()),
            demo: false,
            created_at: "2026-12-03T09:00:00Z".into(),
            updated_at: "2026-12-03T10:00:00Z".into(),
        };
        let ctx = Context {
            support: std::sync::Arc::new(territoria_digiscore::support::builtin()),
            ..Context::default()
        };
        let r = result_view(q, &scores, &stored, &ctx, Lang::Fr);
        assert!(r.previous.is_none() && !r.peers.shown);
        assert!(r.radar.starts_with("<svg") && r.radar.contains(&q.axes[0].name.fr));
        assert!(!r.steps.is_empty() && r.steps.len() <= 3);
        assert_eq!(r.overall, fmt::decimal(round1(scores.overall), 1, Lang::Fr));
        assert!(
            r.overall.contains(',') || !r.overall.contains('.'),
            "{}",
            r.overall
        );
        assert_eq!(r.band, q.band(scores.overall).label.fr);
        assert_eq!(r.axes.len(), q.axes.len());
        assert_eq!(r.completed_on, "03/12/2026");
    }
}
