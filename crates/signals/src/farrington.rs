//! The Farrington family: the classic algorithm (`surveillance::farrington`, Farrington et al.
//! 1996) and `farringtonFlexible` (Noufaily et al. 2013), one implementation with the
//! choices that tell them apart in [`FarringtonParams`].
//!
//! For week k, with frequency f, b years back and half-window w:
//!
//! ```text
//!  k−bf−w … k−bf+w     …      k−f−w … k−f+w            k−w … k
//!  └ window (b) ┘ gap (b−1) … └ window (1) ┘ gap (0) … └ current ┘
//! ```
//!
//! 1. Baseline: with one period, the b windows of 2w+1 weeks around k − i·f; with p > 1
//!    periods, every week from k − bf − w on, the windows forming one level of a seasonal
//!    factor and each gap between windows cut into p − 1 consecutive blocks (the other
//!    levels, the same in every year; an uneven split gives the first blocks a week more).
//!    Weeks from k − pastWeeksNotIncluded on are left out.
//! 2. A quasi-Poisson log-linear model (intercepts per level, a linear trend in the week
//!    number) is fitted ([`crate::glm`]); dispersion φ = max(1, Pearson φ̂).
//! 3. Reweighting: standardised Anscombe residuals sᵢ; weights ∝ sᵢ⁻² where sᵢ > threshold,
//!    ∝ 1 elsewhere, scaled to sum to n; the model is refitted with them and φ taken again.
//! 4. The trend is kept only if b ≥ 3, its t test's p-value is below the threshold and the
//!    prediction at k does not exceed the largest baseline count; otherwise steps 2–3 are done
//!    again without it.
//! 5. Upper bound: "delta" — the (1 − α) quantile (the classic: 1 − α/2) of a normal
//!    approximation on the 2/3-power scale, (μ₀^(2/3) + z · √(4/9 · μ₀^(1/3) · τ))^(3/2) with
//!    τ = φ + se(μ₀)²/μ₀; "nbPlugin" — the (1 − α) quantile of a negative binomial of mean μ₀
//!    and variance φμ₀ (Poisson when φ = 1).
//!
//!    Which dispersion the trend test (4) and se(μ₀) use differs, and matters (found against
//!    the reference outputs): the classic tests with the Pearson dispersion of the fit and
//!    predicts with φ; `farringtonFlexible` stores the reweighting weights ωᵢ as the model's
//!    weights before summarising it, so both its t test and its prediction use
//!    Σ ωᵢ ((yᵢ − μᵢ)/μᵢ)² / df — see [`FarringtonParams::flexible_summary`].
//! 6. Alarm when x_k exceeds the bound and the last 4 weeks (k included) hold at least 5
//!    cases; with fewer, the flexible version gives no bound and the classic a bound of 0.

use crate::dist::{qnbinom_mu, qnorm, qpois};
use crate::glm::{self, Design, Fit};
use crate::{Detection, Range};

/// How the upper bound is derived from the prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// Normal approximation on the 2/3-power scale (Farrington's).
    Delta,
    /// Negative-binomial quantile with the estimated mean and dispersion (Noufaily's).
    NbPlugin,
}

/// What a week with too few recent cases gets as its upper bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TooFewCases {
    /// The classic algorithm: 0 (and no alarm).
    Zero,
    /// farringtonFlexible: none (and no alarm).
    None,
}

/// Parameters of [`farrington`].
#[derive(Debug, Clone, Copy)]
pub struct FarringtonParams {
    /// Years back.
    pub b: usize,
    /// Half-window.
    pub w: usize,
    pub reweight: bool,
    pub weights_threshold: f64,
    pub alpha: f64,
    /// Quantile 1 − α (farringtonFlexible) or 1 − α/2 (classic, a two-sided interval).
    pub one_sided: bool,
    /// farringtonFlexible's summary of its fit: the model's `weights` are replaced by the
    /// reweighting weights ωᵢ before the trend test and the prediction, so both use the
    /// dispersion Σ ωᵢ ((yᵢ − μᵢ)/μᵢ)² / df (the prediction's standard error is computed
    /// with it, not with φ). The classic algorithm tests the trend with R's Pearson
    /// dispersion and predicts with φ.
    pub flexible_summary: bool,
    pub trend: bool,
    pub p_threshold_trend: f64,
    pub no_periods: usize,
    pub past_weeks_not_included: usize,
    pub threshold: Threshold,
    /// At least `limit54.0` cases in the last `limit54.1` weeks for an alarm.
    pub limit54: (f64, usize),
    pub too_few: TooFewCases,
}

impl FarringtonParams {
    /// `farrington(sts, control = list(b, w))`: reweighting, trend, α = 0.05 two-sided.
    pub fn classic(b: usize, w: usize) -> Self {
        FarringtonParams {
            b,
            w,
            reweight: true,
            weights_threshold: 1.0,
            alpha: 0.05,
            one_sided: false,
            flexible_summary: false,
            trend: true,
            p_threshold_trend: 0.05,
            no_periods: 1,
            past_weeks_not_included: w,
            threshold: Threshold::Delta,
            limit54: (5.0, 4),
            too_few: TooFewCases::Zero,
        }
    }

    /// `farringtonFlexible(sts, control = list(b))` with the package's other defaults.
    pub fn flexible(b: usize) -> Self {
        FarringtonParams {
            b,
            w: 3,
            reweight: true,
            weights_threshold: 2.58,
            alpha: 0.05,
            one_sided: true,
            flexible_summary: true,
            trend: true,
            p_threshold_trend: 0.05,
            no_periods: 1,
            past_weeks_not_included: 3,
            threshold: Threshold::Delta,
            limit54: (5.0, 4),
            too_few: TooFewCases::None,
        }
    }

    /// `farringtonFlexible` with Noufaily et al.'s settings (w = 3, 10 periods, 26 past weeks
    /// left out, trend always tested with p < 1, negative-binomial threshold).
    pub fn noufaily(b: usize) -> Self {
        FarringtonParams {
            no_periods: 10,
            past_weeks_not_included: 26,
            p_threshold_trend: 1.0,
            threshold: Threshold::NbPlugin,
            ..Self::flexible(b)
        }
    }

    /// Weeks needed before the first evaluated one.
    pub fn history(&self, freq: usize) -> usize {
        self.b * freq + self.w
    }
}

/// The baseline of one week: counts, week numbers, levels.
#[derive(Debug, Default)]
struct Baseline {
    y: Vec<f64>,
    t: Vec<f64>,
    group: Vec<usize>,
}

impl Baseline {
    /// Level of the windows is 0; gap blocks are 1..p.
    fn build(&mut self, x: &[f64], k: usize, freq: usize, p: &FarringtonParams) {
        self.y.clear();
        self.t.clear();
        self.group.clear();
        let (b, w) = (p.b, p.w);
        let last = k - p.past_weeks_not_included; // first week left out
        let gap_len = freq - 2 * w - 1;
        let blocks = p.no_periods.saturating_sub(1);
        for i in (1..=b).rev() {
            let centre = k - i * freq;
            for week in centre - w..=centre + w {
                self.push(x, week, 0, last);
            }
            // the gap after this window, up to the next window (or the current week's)
            if let Some(base) = gap_len.checked_div(blocks) {
                let rest = gap_len % blocks;
                let mut week = centre + w + 1;
                for level in 1..=blocks {
                    let len = base + usize::from(level <= rest);
                    for _ in 0..len {
                        self.push(x, week, level, last);
                        week += 1;
                    }
                }
            }
        }
    }

    /// Renumbers the levels that have observations 0, 1, …; `None` when the windows'
    /// level 0 has none (or too few observations for a fit remain).
    fn drop_empty_levels(&mut self, levels: usize) -> Option<usize> {
        let mut count = vec![0usize; levels];
        for &g in &self.group {
            count[g] += 1;
        }
        if count[0] == 0 {
            return None;
        }
        let mut map = vec![0usize; levels];
        let mut used = 0;
        for (l, &c) in count.iter().enumerate() {
            if c > 0 {
                map[l] = used;
                used += 1;
            }
        }
        if used < levels {
            self.group.iter_mut().for_each(|g| *g = map[*g]);
        }
        (self.y.len() > used + 1).then_some(used)
    }

    fn push(&mut self, x: &[f64], week: usize, level: usize, last: usize) {
        if week >= last {
            return;
        }
        let v = x[week - 1];
        if v.is_nan() {
            return;
        }
        self.y.push(v);
        self.t.push(week as f64);
        self.group.push(level);
    }
}

/// A fitted model with φ and the reweighting weights (`None` without reweighting).
struct Model {
    fit: Fit,
    phi: f64,
    omega: Option<Vec<f64>>,
}

impl Model {
    /// The dispersion the trend test and the prediction use.
    fn summary_dispersion(&self, d: &Design<'_>, p: &FarringtonParams) -> f64 {
        match (&self.omega, p.flexible_summary) {
            (Some(omega), true) => self.fit.dispersion_with_weights(d, omega),
            _ => self.fit.dispersion,
        }
    }
}

/// Steps 2–3 for one design; `None` when no fit converges.
fn fit_model(d: &Design<'_>, p: &FarringtonParams) -> Option<(Model, bool)> {
    let mut d = *d;
    let mut fit = glm::fit(&d, None);
    if !fit.converged && d.trend {
        d.trend = false;
        fit = glm::fit(&d, None);
    }
    if !fit.converged {
        return None;
    }
    let mut phi = fit.dispersion.max(1.0);
    let mut omega = None;
    if p.reweight {
        let s = glm::anscombe_residuals(&d, &fit, phi);
        let raw: Vec<f64> = s
            .iter()
            .map(|&s| {
                if s > p.weights_threshold {
                    s.powi(-2)
                } else {
                    1.0
                }
            })
            .collect();
        let gamma = raw.len() as f64 / raw.iter().sum::<f64>();
        let w: Vec<f64> = raw.iter().map(|r| gamma * r).collect();
        // No residual over the threshold: all weights are exactly 1 and R's refit gives
        // the same fit again, which is skipped.
        if w.iter().any(|&v| v != 1.0) {
            fit = glm::fit(&d, Some(&w));
            phi = fit.dispersion.max(1.0);
        }
        omega = Some(w);
    }
    Some((Model { fit, phi, omega }, d.trend))
}

/// Runs the detector on `x` (index 0 is week 1) for the weeks of `range` (1-based, checked
/// by the caller against [`FarringtonParams::history`]).
pub fn farrington(x: &[f64], range: Range, freq: usize, p: &FarringtonParams) -> Vec<Detection> {
    let z = qnorm(if p.one_sided {
        1.0 - p.alpha
    } else {
        1.0 - p.alpha / 2.0
    });
    let mut base = Baseline::default();
    range
        .map(|k| {
            base.build(x, k, freq, p);
            let levels = if p.no_periods > 1 { p.no_periods } else { 1 };
            // levels left without an observation (missing counts) are dropped, as R drops
            // unused factor levels; without the windows' level there is nothing to predict
            let Some(n_groups) = base.drop_empty_levels(levels) else {
                return Detection {
                    upperbound: None,
                    alarm: false,
                };
            };
            let mut d = Design {
                y: &base.y,
                t: &base.t,
                group: &base.group,
                n_groups,
                trend: p.trend,
            };
            let Some((mut model, with_trend)) = fit_model(&d, p) else {
                return Detection {
                    upperbound: None,
                    alarm: false,
                };
            };
            if with_trend {
                d.trend = true;
                let disp = model.summary_dispersion(&d, p);
                let pval = model.fit.trend_p_value_with(disp).unwrap_or(f64::NAN);
                let max_y = base.y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mu0 = model.fit.predict(0, k as f64, 1.0).0;
                let keep = p.b >= 3 && pval < p.p_threshold_trend && mu0 <= max_y;
                if !keep {
                    d.trend = false;
                    match fit_model(&d, p) {
                        Some((m, _)) => model = m,
                        None => {
                            return Detection {
                                upperbound: None,
                                alarm: false,
                            };
                        }
                    }
                }
            } else {
                d.trend = false;
            }
            let phi = model.phi;
            let ub = match p.threshold {
                Threshold::Delta => {
                    // the classic predicts with dispersion φ, farringtonFlexible with its
                    // summary's dispersion
                    let disp = if p.flexible_summary {
                        model.summary_dispersion(&d, p)
                    } else {
                        phi
                    };
                    let (mu0, se) = model.fit.predict(0, k as f64, disp);
                    let tau = phi + se * se / mu0;
                    let sd = (4.0 / 9.0 * mu0.powf(1.0 / 3.0) * tau).sqrt();
                    (mu0.powf(2.0 / 3.0) + z * sd).powf(1.5)
                }
                Threshold::NbPlugin => {
                    let mu0 = model.fit.predict(0, k as f64, phi).0;
                    if phi == 1.0 {
                        qpois(1.0 - p.alpha, mu0)
                    } else {
                        qnbinom_mu(1.0 - p.alpha, mu0 / (phi - 1.0), mu0)
                    }
                }
            };
            let recent: f64 = x[k - p.limit54.1..k].iter().filter(|v| !v.is_nan()).sum();
            if recent < p.limit54.0 {
                return Detection {
                    upperbound: match p.too_few {
                        TooFewCases::Zero => Some(0.0),
                        TooFewCases::None => None,
                    },
                    alarm: false,
                };
            }
            Detection::compare(x[k - 1], ub)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_windows_and_blocks() {
        let x: Vec<f64> = (1..=300).map(f64::from).collect();
        let mut base = Baseline::default();
        // one period: 4 windows of 7 weeks around k - 52 i
        base.build(&x, 260, 52, &FarringtonParams::classic(4, 3));
        assert_eq!(base.y.len(), 28);
        assert_eq!(base.t[0], 49.0); // 260 - 208 - 3
        assert!(base.group.iter().all(|&g| g == 0));
        // Noufaily: every week from k - 211 to k - 27, gaps of 45 weeks in 9 blocks of 5
        base.build(&x, 260, 52, &FarringtonParams::noufaily(4));
        assert_eq!(base.t.first(), Some(&49.0));
        assert_eq!(base.t.last(), Some(&233.0));
        assert_eq!(base.y.len(), 233 - 49 + 1);
        let level_of = |week: f64| base.group[base.t.iter().position(|&t| t == week).unwrap()];
        assert_eq!(level_of(52.0 + 3.0), 0);
        assert_eq!(level_of(52.0 + 4.0), 1);
        assert_eq!(level_of(52.0 + 8.0), 1);
        assert_eq!(level_of(52.0 + 9.0), 2);
        assert_eq!(level_of(104.0 - 4.0), 9);
        assert_eq!(level_of(104.0 - 3.0), 0);
        for level in 1..10 {
            // 5 weeks in each of the 3 full gaps, and some in the current year's
            assert!(base.group.iter().filter(|&&g| g == level).count() >= 15);
        }
    }

    /// A constant series: μ₀ = c, φ = 1, no trend, no reweighting, so the bounds are
    /// closed forms.
    #[test]
    fn constant_series_bounds_by_hand() {
        let c = 4.0;
        let x = vec![c; 300];
        let k = 290;
        let n = 28.0;
        // classic: τ = 1 + se²/μ₀ with se² = μ₀²/(n μ₀) → 1 + 1/n, z = Φ⁻¹(0.975)
        let d = farrington(&x, k..=k, 52, &FarringtonParams::classic(4, 3));
        let z = 1.959_963_984_540_054;
        let sd = (4.0 / 9.0 * c.powf(1.0 / 3.0) * (1.0 + 1.0 / n)).sqrt();
        let ub = (c.powf(2.0 / 3.0) + z * sd).powf(1.5);
        assert!((d[0].upperbound.unwrap() - ub).abs() < 1e-9 * ub);
        assert!(!d[0].alarm);
        // flexible: the summary's dispersion is 0, so se = 0 and τ = φ = 1; z = Φ⁻¹(0.95)
        let d = farrington(&x, k..=k, 52, &FarringtonParams::flexible(4));
        let z = 1.644_853_626_951_472_7;
        let ub = (c.powf(2.0 / 3.0) + z * (4.0 / 9.0 * c.powf(1.0 / 3.0)).sqrt()).powf(1.5);
        assert!((d[0].upperbound.unwrap() - ub).abs() < 1e-9 * ub);
        // Noufaily: φ = 1, so the Poisson quantile
        let d = farrington(&x, k..=k, 52, &FarringtonParams::noufaily(4));
        assert_eq!(d[0].upperbound, Some(qpois(0.95, c)));
        assert_eq!(d[0].upperbound, Some(8.0));
    }

    #[test]
    fn spike_alarms_unless_too_few_cases() {
        let mut x = vec![1.0; 300];
        x[289] = 9.0; // week 290
        let d = farrington(&x, 290..=290, 52, &FarringtonParams::flexible(4));
        assert!(d[0].alarm, "{d:?}");
        // 0 + 0 + 0 + 4 < 5 cases in the last 4 weeks: no bound, no alarm
        let mut y = vec![1.0; 300];
        y[286..289].fill(0.0);
        y[289] = 4.0;
        let d = farrington(&y, 290..=290, 52, &FarringtonParams::flexible(4));
        assert_eq!(
            d[0],
            Detection {
                upperbound: None,
                alarm: false
            }
        );
        let d = farrington(&y, 290..=290, 52, &FarringtonParams::classic(4, 3));
        assert_eq!(
            d[0],
            Detection {
                upperbound: Some(0.0),
                alarm: false
            }
        );
    }
}
