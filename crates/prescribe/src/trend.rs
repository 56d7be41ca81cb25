//! The Theil–Sen slope and Sen's confidence interval.
//!
//! The slope is the median of the slopes of every pair of points with different
//! times (Theil 1950, Sen 1968); the line's intercept is the median of `y − b·t`. The
//! interval is Sen's, from the variance of Kendall's S (Gilbert 1987, § 16.5):
//! with `N` pairwise slopes sorted in ascending order and
//! `C = z(1 − α/2) · √Var(S)`, where
//! `Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18` (the sum over groups of tied
//! values), the lower limit is the slope of rank `(N − C)/2` and the upper limit the
//! slope of rank `(N + C)/2 + 1`, ranks interpolated and clamped to `1..=N`.

use serde::Serialize;

/// The normal quantile of the interval: 90 % two-sided (`z(0.95)`).
pub const Z_90: f64 = 1.644_853_626_951_472_2;

/// A straight line `y = intercept + slope · t`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Line {
    pub slope: f64,
    pub intercept: f64,
}

impl Line {
    pub fn at(&self, t: f64) -> f64 {
        self.intercept + self.slope * t
    }
}

/// A Theil–Sen fit: the central line and the lines of the interval's slopes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fit {
    pub central: Line,
    /// The line of the lower slope of the interval.
    pub low: Line,
    /// The line of the upper slope of the interval.
    pub high: Line,
    /// Points used.
    pub n: usize,
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn sort(v: &mut [f64]) {
    v.sort_by(|a, b| a.total_cmp(b));
}

/// The value of 1-based rank `r` (fractional ranks interpolated) in an ascending list.
fn at_rank(sorted: &[f64], r: f64) -> f64 {
    let n = sorted.len();
    let r = r.clamp(1.0, n as f64);
    let lo = r.floor() as usize;
    let frac = r - lo as f64;
    if lo >= n {
        sorted[n - 1]
    } else {
        sorted[lo - 1] + frac * (sorted[lo] - sorted[lo - 1])
    }
}

fn intercept(points: &[(f64, f64)], slope: f64) -> f64 {
    let mut r: Vec<f64> = points.iter().map(|(t, y)| y - slope * t).collect();
    sort(&mut r);
    median(&r)
}

/// Var(S) of Kendall's S with the correction for tied values.
pub fn kendall_variance(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mut sorted = values.to_vec();
    sort(&mut sorted);
    let mut ties = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[i] {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
        i = j + 1;
    }
    (n * (n - 1.0) * (2.0 * n + 5.0) - ties) / 18.0
}

/// Fits a Theil–Sen line with Sen's interval at `z` (e.g. [`Z_90`]). `None` when no
/// two points have different times.
pub fn theil_sen(points: &[(f64, f64)], z: f64) -> Option<Fit> {
    let mut slopes = Vec::with_capacity(points.len() * points.len().saturating_sub(1) / 2);
    for (i, (ti, yi)) in points.iter().enumerate() {
        for (tj, yj) in &points[i + 1..] {
            if tj != ti {
                slopes.push((yj - yi) / (tj - ti));
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    sort(&mut slopes);
    let n_slopes = slopes.len() as f64;
    let b = median(&slopes);
    let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    let c = z * kendall_variance(&ys).max(0.0).sqrt();
    let lo = at_rank(&slopes, (n_slopes - c) / 2.0);
    let hi = at_rank(&slopes, (n_slopes + c) / 2.0 + 1.0);
    Some(Fit {
        central: Line {
            slope: b,
            intercept: intercept(points, b),
        },
        low: Line {
            slope: lo,
            intercept: intercept(points, lo),
        },
        high: Line {
            slope: hi,
            intercept: intercept(points, hi),
        },
        n: points.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_is_the_median_of_pairwise_slopes() {
        // Slopes: (0,1)=3, (0,2)=1, (0,3)=5/3, (1,2)=-1, (1,3)=1, (2,3)=3.
        let pts = [(0.0, 0.0), (1.0, 3.0), (2.0, 2.0), (3.0, 5.0)];
        let f = theil_sen(&pts, Z_90).unwrap();
        assert!((f.central.slope - 4.0 / 3.0).abs() < 1e-12);
        // Residuals 0, 5/3, -2/3, 1 → median 0.5.
        assert!((f.central.intercept - 0.5).abs() < 1e-12);
        // n = 4: Var(S) = 4·3·13/18, C = 1.645·2.94 = 4.84; ranks 0.58 → 1 and 6.42 → 6.
        assert_eq!((f.low.slope, f.high.slope), (-1.0, 3.0));
        assert_eq!((f.low.intercept, f.high.intercept), (4.0, -2.0));
    }

    #[test]
    fn an_outlier_barely_moves_the_slope() {
        let mut pts: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 2.0 * i as f64)).collect();
        pts[5].1 = 1000.0;
        let f = theil_sen(&pts, Z_90).unwrap();
        assert!((f.central.slope - 2.0).abs() < 1e-9, "{f:?}");
        assert!(f.low.slope <= 2.0 && f.high.slope >= 2.0);
    }

    #[test]
    fn the_interval_narrows_with_more_points() {
        // Irregular noise of -2..=2 around y = t: for n = 30 the interval excludes the extreme
        // pairwise slopes (±4 from neighbours) and contains the central one.
        let pts: Vec<(f64, f64)> = (0..30)
            .map(|i| {
                (
                    i as f64,
                    i as f64 + ((i * i * 13 + 7) % 17) as f64 / 4.0 - 2.0,
                )
            })
            .collect();
        let f = theil_sen(&pts, Z_90).unwrap();
        assert!(
            f.low.slope < f.central.slope && f.central.slope < f.high.slope,
            "{f:?}"
        );
        assert!(f.low.slope > 0.5 && f.high.slope < 1.5, "{f:?}");
    }

    #[test]
    fn ties_reduce_the_variance() {
        assert_eq!(kendall_variance(&[1.0, 2.0, 3.0]), 3.0 * 2.0 * 11.0 / 18.0);
        // One group of 2 ties: subtract 2·1·9.
        assert_eq!(
            kendall_variance(&[1.0, 1.0, 3.0]),
            (3.0 * 2.0 * 11.0 - 18.0) / 18.0
        );
    }

    #[test]
    fn no_fit_without_two_times() {
        assert!(theil_sen(&[(1.0, 2.0)], Z_90).is_none());
        assert!(theil_sen(&[(1.0, 2.0), (1.0, 3.0)], Z_90).is_none());
    }
}
