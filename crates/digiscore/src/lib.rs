//! Digiscore: a company's (or a public body's) digital-maturity self-assessment.
//!
//! Plain data in, plain data out — no store, no HTTP, no clock, no randomness except the
//! seeded generator of synthetic demo assessments. The pieces:
//!
//! * [`questionnaire`] — questionnaires as versioned data files (`data/digiscore/*.toml`,
//!   French and English): axes, questions, options with scores, maturity bands. The three
//!   built-in ones ([`questionnaire::builtin`]) are a Digiscore-style questionnaire on four axes
//!   and the EU DMAT's six dimensions for SMEs and for public-sector organisations.
//! * [`answers`] — answers validated against the exact questionnaire version, with errors
//!   naming the question and option.
//! * [`scoring`] — the scoring formula (0–100 per axis and overall) and the band.
//! * [`profile`] — NACE section, size class, province; [`kbo`] — KBO/BCE number check (mod 97).
//! * [`peers`] — percentile among peers, hidden below [`peers::MIN_PEERS`].
//! * [`support`] — operators, aids and programmes with conditions (`data/digiscore/support.toml`)
//!   and the next steps for the weakest axes.
//! * [`aggregate`] — anonymised aggregates with primary and secondary suppression.
//! * [`synthetic`] — seeded synthetic assessments for the demo, always flagged synthetic.

pub mod aggregate;
pub mod answers;
pub mod kbo;
pub mod peers;
pub mod profile;
pub mod questionnaire;
pub mod scoring;
pub mod support;
pub mod synthetic;

pub use answers::{AnswerError, Answers};
pub use profile::{Audience, Profile, SizeClass};
pub use questionnaire::{Questionnaire, QuestionnaireError, Text};
pub use scoring::{AxisScore, Scores};
