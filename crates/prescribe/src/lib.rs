//! Prescribe: where a strategy stands against its targets.
//!
//! Plain data in, plain data out — no store, no HTTP, no clock. For one indicator
//! ([`assess`]): the tracked value (the latest figure of a *level* indicator, the
//! running total of a *cumulative* one), a robust trend over the recent figures
//! (Theil–Sen slope with Sen's 90 % interval, [`trend`]), the projected value at the
//! target's date with its band, and a [`Status`]. Up a hierarchy ([`rollup`]): the
//! weighted roll-up of statuses to programmes, levers, ambitions and the strategy.
//!
//! # The rule ([`RULE_VERSION`])
//!
//! For an indicator, the target judged is the first one whose date no figure has
//! reached yet (else the latest). Its status is:
//! * **no target** — no real target;
//! * **on track** — the latest tracked value already reaches the target, or the
//!   trend projects it to reach the target by its date;
//! * **off track** — a figure at or after the due date misses the target, or even
//!   the favourable bound of the trend's 90 % interval misses it;
//! * **at risk** — the central projection misses the target but the favourable
//!   bound reaches it;
//! * **not enough data** — fewer than [`MIN_POINTS`] dated figures and the target
//!   not yet reached.
//!
//! "Reaches" follows the direction of the target: down to a ceiling (`at_most`) or
//! to a target below its baseline, up otherwise. Progress is measured from the
//! baseline, else 0 for a cumulative indicator, else the first figure. A parent's status is [`rollup::combine`] of its children's.
//!
//! Data honesty: a real indicator is judged on real figures and real targets only
//! (synthetic ones are ignored), and a real parent counts real children only, so a
//! demo-only figure never yields a real status.

mod assess;
mod error;
pub mod rollup;
pub mod trend;

pub use assess::{
    Accumulation, Assessment, Baseline, MIN_POINTS, Point, Projection, RECENT_POINTS, Reason,
    Series, Status, Target, Trend, assess, validate,
};
pub use error::PrescribeError;
pub use rollup::{Child, Leaf, NodeSpec, Rolled, combine, rollup};

/// The version of the rule; published with every status (pages, exports, datasets).
/// Any change to the rule, its thresholds or its inputs changes it.
pub const RULE_VERSION: &str = "prescribe-1 (2026-12)";

/// The rule in one sentence, in French.
pub const RULE_FR: &str = "Un indicateur est en bonne voie si sa dernière valeur atteint déjà la cible ou si la tendance de ses dernières valeurs (pente de Theil–Sen) l'y mène à l'échéance, à risque si seule la borne favorable de l'intervalle de confiance à 90 % l'atteint, hors trajectoire sinon (ou si l'échéance est passée sans l'atteindre) ; un programme, une ambition ou la stratégie prend le statut de la moyenne pondérée de ses éléments (1, ½, 0 : en bonne voie dès ⅔, hors trajectoire sous ⅓).";

/// The rule in one sentence, in English.
pub const RULE_EN: &str = "An indicator is on track when its latest value already reaches the target or the trend of its recent values (Theil–Sen slope) gets there by the due date, at risk when only the favourable bound of the 90 % confidence interval does, off track otherwise (or when the due date passed without reaching it); a programme, ambition or strategy takes the status of the weighted mean of its parts (1, ½, 0: on track from ⅔, off track below ⅓).";

#[cfg(test)]
mod tests;
