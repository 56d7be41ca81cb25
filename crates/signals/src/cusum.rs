//! CUSUM on standardised counts, as `surveillance::cusum` with its defaults.
//!
//! The reference value m is the mean of all weeks before the first evaluated week. Counts are
//! standardised, zₜ = (xₜ − m)/√m; Sₜ = max(0, Sₜ₋₁ + zₜ − k) from S = 0 before the range, and
//! an alarm is Sₜ ≥ h (no reset). The upper bound is the count that would have raised the
//! alarm, back-transformed and rounded up as the package does:
//! ⌈m + √m (h + k − Sₜ₋₁)⌉, floored at 0.

use crate::{Detection, Range};

/// Parameters of [`cusum`]: the package's defaults are k = 1.04, h = 2.26.
#[derive(Debug, Clone, Copy)]
pub struct CusumParams {
    pub k: f64,
    pub h: f64,
}

impl Default for CusumParams {
    fn default() -> Self {
        CusumParams { k: 1.04, h: 2.26 }
    }
}

/// Runs CUSUM on `x` (index 0 is week 1) for the weeks of `range` (1-based; the first one
/// must be at least 2).
pub fn cusum(x: &[f64], range: Range, p: &CusumParams) -> Vec<Detection> {
    let first = *range.start();
    let m = x[..first - 1].iter().sum::<f64>() / (first - 1) as f64;
    let sm = m.sqrt();
    let mut s = 0.0;
    range
        .map(|t| {
            let xt = x[t - 1];
            let ub = (sm * (p.h - s) + p.k * sm + m).ceil();
            let ub = if ub.is_nan() || ub < 0.0 { 0.0 } else { ub };
            s = (s + (xt - m) / sm - p.k).max(0.0);
            Detection {
                upperbound: Some(ub),
                alarm: s >= p.h,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulates_and_alarms() {
        // m = 4 (sqrt 2): z = (x - 4) / 2
        let x = [4.0, 4.0, 4.0, 4.0, 8.0, 8.0, 4.0];
        let d = cusum(&x, 5..=7, &CusumParams::default());
        // week 5: z = 2, S = 0.96 ; week 6: S = 1.92 ; week 7: z = 0, S = 0.88
        assert_eq!(d[0].upperbound, Some((4.0f64 + 2.0 * 3.3).ceil()));
        assert!(!d[0].alarm && !d[1].alarm && !d[2].alarm);
        assert_eq!(d[1].upperbound, Some((4.0f64 + 2.0 * (3.3 - 0.96)).ceil()));
        let d = cusum(&[4.0, 4.0, 4.0, 4.0, 12.0], 5..=5, &CusumParams::default());
        assert!(d[0].alarm); // z = 4, S = 2.96
    }
}
