//! One indicator: its tracked value, trend, projection at the target date and status.

use chrono::NaiveDate;
use serde::Serialize;
use territoria_model::Aggregation;

use crate::PrescribeError;
use crate::trend::{Fit, Z_90, theil_sen};

/// How an indicator's figures add up over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Accumulation {
    /// Each figure is a flow for its period (companies supported in 2023): what is
    /// tracked, and compared with the target, is the running total.
    Cumulative,
    /// Each figure is the level at the end of its period (a stock, a rate): what is
    /// tracked is the figure itself.
    Level,
}

impl Accumulation {
    /// `sum` indicators are cumulative; `last`, `max` and `mean` ones are levels.
    pub fn of(aggregation: Aggregation) -> Self {
        match aggregation {
            Aggregation::Sum => Accumulation::Cumulative,
            Aggregation::Last | Aggregation::Max | Aggregation::Mean => Accumulation::Level,
        }
    }
}

/// A figure of the indicator: its value for the period ending on `date`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub date: NaiveDate,
    pub value: f64,
    /// Synthetic (demo) figure.
    pub demo: bool,
}

/// Where a target starts from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Baseline {
    pub date: NaiveDate,
    pub value: f64,
}

/// A value the indicator should reach by `due`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub due: NaiveDate,
    pub value: f64,
    /// The unit the target is stated in, when stated; it must be the indicator's.
    pub unit: Option<String>,
    pub baseline: Option<Baseline>,
    /// A ceiling ("moins de", "at most"): the indicator should come down to it.
    /// Without it a target is a floor to reach, unless its baseline lies above it.
    pub at_most: bool,
    /// Synthetic (demo) target.
    pub demo: bool,
}

/// An indicator as the engine sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub indicator: String,
    pub unit: String,
    pub accumulation: Accumulation,
    /// The indicator itself is synthetic: its own synthetic figures then count (and
    /// its status is marked synthetic).
    pub demo: bool,
    pub points: Vec<Point>,
    pub targets: Vec<Target>,
}

/// The five statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    OffTrack,
    AtRisk,
    OnTrack,
    NotEnoughData,
    NoTarget,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::OnTrack,
        Status::AtRisk,
        Status::OffTrack,
        Status::NotEnoughData,
        Status::NoTarget,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::OnTrack => "on_track",
            Status::AtRisk => "at_risk",
            Status::OffTrack => "off_track",
            Status::NotEnoughData => "not_enough_data",
            Status::NoTarget => "no_target",
        }
    }

    /// Whether it judges progress (on track, at risk, off track).
    pub fn is_assessed(self) -> bool {
        matches!(self, Status::OnTrack | Status::AtRisk | Status::OffTrack)
    }

    /// The score a parent's roll-up gives it (assessed statuses only).
    pub fn score(self) -> Option<f64> {
        match self {
            Status::OnTrack => Some(1.0),
            Status::AtRisk => Some(0.5),
            Status::OffTrack => Some(0.0),
            Status::NotEnoughData | Status::NoTarget => None,
        }
    }
}

/// Why an indicator has its status: the figures the rule used.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// No real target (or only synthetic ones for a real indicator).
    NoTarget,
    /// The target is already reached by the latest figure.
    Reached { value: f64, target: f64 },
    /// Fewer than [`MIN_POINTS`] dated figures: no trend.
    TooFewPoints { points: usize },
    /// A figure at or after the due date misses the target.
    Missed {
        value: f64,
        target: f64,
        on: NaiveDate,
    },
    /// At the current trend the indicator reaches the target.
    Projected { projected: f64, target: f64 },
    /// The central projection misses; the favourable bound of the interval reaches it.
    WithinBand {
        projected: f64,
        favourable: f64,
        target: f64,
    },
    /// Even the favourable bound of the interval misses the target.
    BelowBand {
        projected: f64,
        favourable: f64,
        target: f64,
    },
}

/// The trend: slope per year with its 90 % interval, over `points` figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Trend {
    pub per_year: f64,
    pub low_per_year: f64,
    pub high_per_year: f64,
    pub points: usize,
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(skip)]
    fit: Fit,
}

impl Trend {
    /// The central, low and high lines at a date.
    pub fn at(&self, date: NaiveDate) -> (f64, f64, f64) {
        let t = days(date);
        (
            self.fit.central.at(t),
            self.fit.low.at(t),
            self.fit.high.at(t),
        )
    }
}

/// The projected value at the target's date, with its band (low ≤ value ≤ high when
/// the slope interval contains the central slope).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Projection {
    pub due: NaiveDate,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// What the engine says of one indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub indicator: String,
    pub status: Status,
    pub reason: Reason,
    /// The tracked value: the latest figure (level) or the running total (cumulative).
    pub current: Option<(NaiveDate, f64)>,
    /// The tracked values the trend was fitted on, oldest first.
    pub tracked: Vec<(NaiveDate, f64)>,
    /// The target the status is judged against.
    pub target: Option<Target>,
    pub trend: Option<Trend>,
    pub projection: Option<Projection>,
    /// Share of the way from the starting point to the target, in percent.
    pub progress: Option<f64>,
    /// The status comes from synthetic figures (a synthetic indicator's own).
    pub synthetic: bool,
}

/// The fewest dated figures a trend is fitted on.
pub const MIN_POINTS: usize = 2;
/// The trend is fitted on the latest figures only.
pub const RECENT_POINTS: usize = 8;

fn days(d: NaiveDate) -> f64 {
    f64::from(chrono::Datelike::num_days_from_ce(&d))
}

/// Checks a series: finite figures, targets in the indicator's unit, due dates after
/// their baselines.
pub fn validate(s: &Series) -> Result<(), PrescribeError> {
    let not_finite = |field: String| PrescribeError::NotFinite {
        indicator: s.indicator.clone(),
        field,
    };
    for p in &s.points {
        if !p.value.is_finite() {
            return Err(not_finite(format!("the figure of {}", p.date)));
        }
    }
    for t in &s.targets {
        if !t.value.is_finite() {
            return Err(not_finite(format!("the target due {}", t.due)));
        }
        if let Some(u) = &t.unit
            && u.trim() != s.unit.trim()
        {
            return Err(PrescribeError::UnitMismatch {
                indicator: s.indicator.clone(),
                due: t.due,
                target_unit: u.clone(),
                indicator_unit: s.unit.clone(),
            });
        }
        if let Some(b) = &t.baseline {
            if !b.value.is_finite() {
                return Err(not_finite(format!(
                    "the baseline of the target due {}",
                    t.due
                )));
            }
            if t.due < b.date {
                return Err(PrescribeError::DueBeforeBaseline {
                    indicator: s.indicator.clone(),
                    due: t.due,
                    baseline: b.date,
                });
            }
        }
    }
    Ok(())
}

/// Assesses an indicator by the rule of [`crate::RULE_EN`]. Only figures and targets
/// that are real count for a real indicator; a synthetic indicator is judged on its
/// own synthetic figures and its assessment is marked `synthetic`.
pub fn assess(s: &Series) -> Result<Assessment, PrescribeError> {
    validate(s)?;
    let counts = |demo: bool| !demo || s.demo;
    let target = pick_target(s, &counts);
    let mut points: Vec<&Point> = s.points.iter().filter(|p| counts(p.demo)).collect();
    points.sort_by_key(|p| p.date);
    // Figures before the baseline are not part of the trajectory towards this target.
    if let Some(b) = target.and_then(|t| t.baseline) {
        points.retain(|p| {
            p.date > b.date || (s.accumulation == Accumulation::Level && p.date == b.date)
        });
    }
    let tracked = tracked_values(s.accumulation, &points, target.and_then(|t| t.baseline));
    let current = tracked.last().copied();
    let mut out = Assessment {
        indicator: s.indicator.clone(),
        status: Status::NoTarget,
        reason: Reason::NoTarget,
        current,
        tracked: tracked.clone(),
        target: target.cloned(),
        trend: None,
        projection: None,
        progress: None,
        synthetic: s.demo,
    };
    let Some(target) = target else {
        return Ok(out);
    };
    let start = match (target.baseline, s.accumulation) {
        (Some(b), _) => Some(b.value),
        (None, Accumulation::Cumulative) => Some(0.0),
        (None, Accumulation::Level) => tracked.first().map(|p| p.1),
    };
    // The direction of progress: down to a ceiling or to a target below its
    // baseline, up otherwise.
    let up = !(target.at_most || target.baseline.is_some_and(|b| target.value < b.value));
    let reaches = |v: f64| {
        if up {
            v >= target.value
        } else {
            v <= target.value
        }
    };
    if let (Some(b), Some((_, c))) = (start, current)
        && target.value != b
    {
        out.progress = Some((c - b) / (target.value - b) * 100.0);
    }
    let recent = &tracked[tracked.len().saturating_sub(RECENT_POINTS)..];
    if recent.len() >= MIN_POINTS {
        let pts: Vec<(f64, f64)> = recent.iter().map(|(d, v)| (days(*d), *v)).collect();
        if let Some(fit) = theil_sen(&pts, Z_90) {
            let trend = Trend {
                per_year: fit.central.slope * 365.25,
                low_per_year: fit.low.slope * 365.25,
                high_per_year: fit.high.slope * 365.25,
                points: recent.len(),
                from: recent[0].0,
                to: recent[recent.len() - 1].0,
                fit,
            };
            let (v, lo, hi) = trend.at(target.due);
            out.projection = Some(Projection {
                due: target.due,
                value: v,
                low: lo.min(hi),
                high: lo.max(hi),
            });
            out.trend = Some(trend);
        }
    }
    let (status, reason) = match current {
        Some((_, c)) if reaches(c) => (
            Status::OnTrack,
            Reason::Reached {
                value: c,
                target: target.value,
            },
        ),
        Some((on, c)) if on >= target.due => (
            Status::OffTrack,
            Reason::Missed {
                value: c,
                target: target.value,
                on,
            },
        ),
        _ => match out.projection {
            None => (
                Status::NotEnoughData,
                Reason::TooFewPoints {
                    points: tracked.len(),
                },
            ),
            Some(p) => {
                let favourable = if up { p.high } else { p.low };
                if reaches(p.value) {
                    (
                        Status::OnTrack,
                        Reason::Projected {
                            projected: p.value,
                            target: target.value,
                        },
                    )
                } else if reaches(favourable) {
                    (
                        Status::AtRisk,
                        Reason::WithinBand {
                            projected: p.value,
                            favourable,
                            target: target.value,
                        },
                    )
                } else {
                    (
                        Status::OffTrack,
                        Reason::BelowBand {
                            projected: p.value,
                            favourable,
                            target: target.value,
                        },
                    )
                }
            }
        },
    };
    out.status = status;
    out.reason = reason;
    Ok(out)
}

/// The target judged: the first (by due date) that no figure has reached the date
/// of yet; when every due date is behind the latest figure, the latest target.
fn pick_target<'a>(s: &'a Series, counts: &dyn Fn(bool) -> bool) -> Option<&'a Target> {
    let mut targets: Vec<&Target> = s.targets.iter().filter(|t| counts(t.demo)).collect();
    targets.sort_by_key(|t| t.due);
    let last = s
        .points
        .iter()
        .filter(|p| counts(p.demo))
        .map(|p| p.date)
        .max();
    targets
        .iter()
        .find(|t| last.is_none_or(|l| t.due > l))
        .or(targets.last())
        .copied()
}

/// Tracked values by date: the figures of a level, the running total of a flow
/// (starting from the baseline's value when there is one). Several figures on one
/// date: a level keeps the last given, a flow adds them.
fn tracked_values(
    acc: Accumulation,
    points: &[&Point],
    baseline: Option<Baseline>,
) -> Vec<(NaiveDate, f64)> {
    let mut out: Vec<(NaiveDate, f64)> = Vec::new();
    let mut running = baseline.map_or(0.0, |b| b.value);
    for p in points {
        let v = match acc {
            Accumulation::Level => p.value,
            Accumulation::Cumulative => {
                running += p.value;
                running
            }
        };
        match out.last_mut() {
            Some(last) if last.0 == p.date => last.1 = v,
            _ => out.push((p.date, v)),
        }
    }
    out
}
