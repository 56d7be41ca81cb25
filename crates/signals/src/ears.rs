//! EARS C1, C2 and C3 (CDC's Early Aberration Reporting System), as `surveillance::earsC`.
//!
//! With a baseline of `n` = 7 weeks and zα = Φ⁻¹(1 − α):
//! - C1: baseline = the `n` weeks before t; upper bound = mean + zα · sd (sd with n − 1).
//! - C2: the same with a lag of two weeks (weeks t − n − 2 … t − 3).
//! - C3: with C2ₛ = (xₛ − meanₛ) / sdₛ the C2 statistic of week s, the package's upper bound is
//!   `x_t + sd_t · (zα − Σ_{s = t−2, t−1} max(0, C2ₛ − 1))`, floored at 0, and an alarm is
//!   x_t > bound — i.e. an alarm when the two previous weeks' excesses of their C2 statistics
//!   over 1 add up to more than zα. This is what the package computes (reproduced as is).

use crate::{Detection, Range};

/// Which EARS variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ears {
    C1,
    C2,
    C3,
}

/// Parameters of [`ears`]: CDC defaults are a baseline of 7 and α = 0.001 (C1, C2) or 0.025 (C3).
#[derive(Debug, Clone, Copy)]
pub struct EarsParams {
    pub method: Ears,
    pub baseline: usize,
    pub alpha: f64,
    pub min_sigma: f64,
}

impl EarsParams {
    pub fn cdc(method: Ears) -> Self {
        let alpha = if method == Ears::C3 { 0.025 } else { 0.001 };
        EarsParams {
            method,
            baseline: 7,
            alpha,
            min_sigma: 0.0,
        }
    }

    /// Weeks needed before the first evaluated one.
    pub fn history(&self) -> usize {
        match self.method {
            Ears::C1 => self.baseline,
            Ears::C2 => self.baseline + 2,
            Ears::C3 => self.baseline + 4,
        }
    }
}

/// Mean and standard deviation (n − 1) of `v`.
pub(crate) fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let ss: f64 = v.iter().map(|x| (x - mean) * (x - mean)).sum();
    (mean, (ss / (n - 1.0)).sqrt())
}

/// Runs EARS on `x` (index 0 is week 1) for the weeks of `range` (1-based, checked by the
/// caller against [`EarsParams::history`]).
pub fn ears(x: &[f64], range: Range, p: &EarsParams) -> Vec<Detection> {
    let z = crate::dist::qnorm(1.0 - p.alpha);
    let n = p.baseline;
    // baseline of week t (1-based) for the given lag: weeks t-lag-n+1 ..= t-lag
    let stats = |t: usize, lag: usize| {
        let end = t - lag; // 1-based last baseline week
        let (m, sd) = mean_sd(&x[end - n..end]);
        (m, sd.max(p.min_sigma))
    };
    let value = |t: usize| x[t - 1];
    range
        .map(|t| match p.method {
            Ears::C1 | Ears::C2 => {
                let lag = if p.method == Ears::C1 { 1 } else { 3 };
                let (m, sd) = stats(t, lag);
                Detection::compare(value(t), m + z * sd)
            }
            Ears::C3 => {
                let c2 = |s: usize| {
                    let (m, sd) = stats(s, 3);
                    (value(s) - m) / sd
                };
                let part = |s: usize| {
                    let c = c2(s);
                    if c.is_nan() {
                        f64::NAN
                    } else {
                        (c - 1.0).max(0.0)
                    }
                };
                let (_, sd) = stats(t, 3);
                let ub = value(t) + sd * (z - (part(t - 2) + part(t - 1)));
                Detection::compare(value(t), if ub.is_nan() { ub } else { ub.max(0.0) })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c1_by_hand() {
        // baseline 1..7: mean 4, sd sqrt(28/6)
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 20.0];
        let d = ears(&x, 8..=8, &EarsParams::cdc(Ears::C1));
        let ub = 4.0 + 3.090_232_306_167_813_5 * (28.0f64 / 6.0).sqrt();
        assert!((d[0].upperbound.unwrap() - ub).abs() < 1e-12);
        assert!(d[0].alarm);
    }

    #[test]
    fn c2_skips_two_weeks() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 100.0, 100.0, 5.0];
        let d = ears(&x, 10..=10, &EarsParams::cdc(Ears::C2));
        let ub = 4.0 + 3.090_232_306_167_813_5 * (28.0f64 / 6.0).sqrt();
        assert!((d[0].upperbound.unwrap() - ub).abs() < 1e-12);
        assert!(!d[0].alarm);
    }

    #[test]
    fn c3_alarms_on_the_two_previous_weeks() {
        // flat baseline with noise, then two high weeks: the week after them alarms
        let mut x = vec![2.0, 3.0, 2.0, 4.0, 3.0, 2.0, 3.0, 2.0, 3.0, 4.0, 2.0, 3.0];
        x.extend([15.0, 15.0, 1.0]);
        let t = x.len();
        let d = ears(&x, t..=t, &EarsParams::cdc(Ears::C3));
        assert!(d[0].alarm);
        assert_eq!(d[0].upperbound, Some(0.0));
        let quiet = ears(&x[..12], 12..=12, &EarsParams::cdc(Ears::C3));
        assert!(!quiet[0].alarm);
    }
}
