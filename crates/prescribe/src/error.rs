use chrono::NaiveDate;

/// Input the engine refuses, with what and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PrescribeError {
    #[error(
        "indicator `{indicator}`: the target due {due} is in `{target_unit}` but the indicator counts `{indicator_unit}`; state the target in `{indicator_unit}`"
    )]
    UnitMismatch {
        indicator: String,
        due: NaiveDate,
        target_unit: String,
        indicator_unit: String,
    },
    #[error(
        "indicator `{indicator}`: the target due {due} is dated before its baseline ({baseline}); a target comes after the situation it starts from"
    )]
    DueBeforeBaseline {
        indicator: String,
        due: NaiveDate,
        baseline: NaiveDate,
    },
    #[error("indicator `{indicator}`: {field} must be a finite number")]
    NotFinite { indicator: String, field: String },
    #[error("roll-up cycle: {} (a node cannot feed itself)", path.join(" → "))]
    Cycle { path: Vec<String> },
    #[error("roll-up: `{parent}` lists `{child}`, which is neither a node nor an indicator")]
    UnknownChild { parent: String, child: String },
    #[error(
        "roll-up: the weight of `{child}` under `{parent}` is {weight}; use a finite number ≥ 0"
    )]
    BadWeight {
        parent: String,
        child: String,
        weight: f64,
    },
    #[error("roll-up: `{id}` is defined twice")]
    Duplicate { id: String },
}
