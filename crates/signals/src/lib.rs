//! Outbreak detection on weekly (or other regular) count series: the statistical engine of
//! Territoria's early warnings. Pure computation — no I/O, no store, no HTTP.
//!
//! Each detector reproduces the R package `surveillance` 1.20.3 (Höhle, Meyer, Paul; GPL-2),
//! checked to 1e-6 on its example series (`tests/data/`, see its README):
//!
//! | [`Method`] | R call |
//! |---|---|
//! | `EarsC1`, `EarsC2`, `EarsC3` | `earsC(sts, control = list(method = "C1"…))` — [`ears`] |
//! | `FarringtonClassic` | `farrington(sts, control = list(b = 4, w = 3))` — [`farrington`] |
//! | `FarringtonFlexible` | `farringtonFlexible(sts, control = list(b = 4))` |
//! | `FarringtonNoufaily` | `farringtonFlexible` with Noufaily et al. (2013) settings, b = 4 |
//! | `Cusum` | `cusum(sts)` — [`cusum`] |
//!
//! ```text
//! series (f64 per week, 1-based weeks) + Method + range ─► detect ─► Detection per week
//!                                        │
//!      ears · cusum · farrington ── glm (IRLS as R's glm.fit) ── dist (quantiles, cdfs)
//! ```
//!
//! Numerical building blocks are written here: [`dist`] (log-gamma, incomplete gamma and
//! beta, normal, t, Poisson and negative-binomial quantiles) and [`glm`] (the quasi-Poisson
//! log-linear fit the Farrington methods use, step for step as R iterates it, so that results
//! agree to rounding and not only to a convergence tolerance).

pub mod cusum;
pub mod dist;
pub mod ears;
pub mod farrington;
pub mod glm;

use std::ops::RangeInclusive;

/// Weeks to evaluate, 1-based and inclusive as in R (`range = 261:312`).
pub type Range = RangeInclusive<usize>;

/// The outcome for one week.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// The threshold the week's count is compared with; `None` where the method gives none
    /// (R's `NA`).
    pub upperbound: Option<f64>,
    pub alarm: bool,
}

impl Detection {
    /// Alarm when `observed > upperbound`; a NaN bound is no bound and no alarm.
    fn compare(observed: f64, upperbound: f64) -> Self {
        if upperbound.is_nan() {
            Detection {
                upperbound: None,
                alarm: false,
            }
        } else {
            Detection {
                upperbound: Some(upperbound),
                alarm: observed > upperbound,
            }
        }
    }
}

/// The detectors, with the settings named in their identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    EarsC1,
    EarsC2,
    EarsC3,
    FarringtonClassic,
    FarringtonFlexible,
    FarringtonNoufaily,
    Cusum,
}

impl Method {
    pub const ALL: [Method; 7] = [
        Method::EarsC1,
        Method::EarsC2,
        Method::EarsC3,
        Method::FarringtonClassic,
        Method::FarringtonFlexible,
        Method::FarringtonNoufaily,
        Method::Cusum,
    ];

    /// The identifier used in the CLI and the reference outputs.
    pub fn id(self) -> &'static str {
        match self {
            Method::EarsC1 => "earsC_C1",
            Method::EarsC2 => "earsC_C2",
            Method::EarsC3 => "earsC_C3",
            Method::FarringtonClassic => "farrington_classic_b4w3",
            Method::FarringtonFlexible => "farringtonFlexible_default_b4",
            Method::FarringtonNoufaily => "farringtonFlexible_noufaily_b4",
            Method::Cusum => "cusum_default",
        }
    }

    pub fn from_id(id: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.id() == id)
    }

    /// How many weeks before the first evaluated week the method reads.
    pub fn history(self, frequency: usize) -> usize {
        match self {
            Method::EarsC1 => ears::EarsParams::cdc(ears::Ears::C1).history(),
            Method::EarsC2 => ears::EarsParams::cdc(ears::Ears::C2).history(),
            Method::EarsC3 => ears::EarsParams::cdc(ears::Ears::C3).history(),
            Method::FarringtonClassic => {
                farrington::FarringtonParams::classic(4, 3).history(frequency)
            }
            Method::FarringtonFlexible => {
                farrington::FarringtonParams::flexible(4).history(frequency)
            }
            Method::FarringtonNoufaily => {
                farrington::FarringtonParams::noufaily(4).history(frequency)
            }
            Method::Cusum => 1,
        }
    }
}

/// A request the detectors cannot answer — the caller's mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalsError {
    #[error("empty range {from}..{to}")]
    EmptyRange { from: usize, to: usize },
    #[error("range {from}..{to} ends after the series ({len} weeks)")]
    PastEnd { from: usize, to: usize, len: usize },
    #[error(
        "{method} needs {needed} weeks before the first evaluated week: the range must start at week {} or later (it starts at {from})",
        needed + 1
    )]
    TooLittleHistory {
        method: &'static str,
        needed: usize,
        from: usize,
    },
    #[error("frequency must be at least {min} for {method} (got {frequency})")]
    Frequency {
        method: &'static str,
        min: usize,
        frequency: usize,
    },
}

/// Runs `method` on `observed` (index 0 is week 1) for the weeks `range` (1-based,
/// inclusive) with `frequency` weeks per year (52 for weekly data). One [`Detection`] per
/// week of the range.
pub fn detect(
    observed: &[f64],
    method: Method,
    range: Range,
    frequency: usize,
) -> Result<Vec<Detection>, SignalsError> {
    let (from, to) = (*range.start(), *range.end());
    if from == 0 || from > to {
        return Err(SignalsError::EmptyRange { from, to });
    }
    if to > observed.len() {
        return Err(SignalsError::PastEnd {
            from,
            to,
            len: observed.len(),
        });
    }
    if matches!(
        method,
        Method::FarringtonClassic | Method::FarringtonFlexible | Method::FarringtonNoufaily
    ) && frequency < 2 * 3 + 1 + 10
    {
        return Err(SignalsError::Frequency {
            method: method.id(),
            min: 17,
            frequency,
        });
    }
    let needed = method.history(frequency);
    if from <= needed {
        return Err(SignalsError::TooLittleHistory {
            method: method.id(),
            needed,
            from,
        });
    }
    use ears::{Ears, EarsParams};
    use farrington::FarringtonParams;
    Ok(match method {
        Method::EarsC1 => ears::ears(observed, range, &EarsParams::cdc(Ears::C1)),
        Method::EarsC2 => ears::ears(observed, range, &EarsParams::cdc(Ears::C2)),
        Method::EarsC3 => ears::ears(observed, range, &EarsParams::cdc(Ears::C3)),
        Method::FarringtonClassic => {
            farrington::farrington(observed, range, frequency, &FarringtonParams::classic(4, 3))
        }
        Method::FarringtonFlexible => {
            farrington::farrington(observed, range, frequency, &FarringtonParams::flexible(4))
        }
        Method::FarringtonNoufaily => {
            farrington::farrington(observed, range, frequency, &FarringtonParams::noufaily(4))
        }
        Method::Cusum => cusum::cusum(observed, range, &cusum::CusumParams::default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::reversed_empty_ranges)]
    fn ranges_are_checked() {
        let x = vec![1.0; 300];
        assert_eq!(
            detect(&x, Method::EarsC1, 10..=301, 52),
            Err(SignalsError::PastEnd {
                from: 10,
                to: 301,
                len: 300
            })
        );
        assert_eq!(
            detect(&x, Method::FarringtonClassic, 200..=210, 52),
            Err(SignalsError::TooLittleHistory {
                method: "farrington_classic_b4w3",
                needed: 211,
                from: 200
            })
        );
        assert!(detect(&x, Method::FarringtonClassic, 212..=212, 52).is_ok());
        assert_eq!(
            detect(&x, Method::EarsC3, 12..=11, 52),
            Err(SignalsError::EmptyRange { from: 12, to: 11 })
        );
        assert!(matches!(
            detect(&x, Method::EarsC3, 11..=11, 52),
            Err(SignalsError::TooLittleHistory { .. })
        ));
        assert_eq!(detect(&x, Method::EarsC3, 12..=20, 52).unwrap().len(), 9);
        assert!(matches!(
            detect(&x, Method::FarringtonNoufaily, 100..=100, 12),
            Err(SignalsError::Frequency { .. })
        ));
    }

    #[test]
    fn method_ids_round_trip() {
        for m in Method::ALL {
            assert_eq!(Method::from_id(m.id()), Some(m));
        }
        assert_eq!(Method::from_id("earsC_C4"), None);
    }
}
