//! Poisson / quasi-Poisson regression with log link, fitted by iteratively reweighted least
//! squares exactly as R's `glm.fit` does it, for the designs the Farrington detectors use:
//! one intercept per seasonal group (equivalent to an intercept plus a treatment-coded factor)
//! and optionally a common linear time trend:
//!
//! ```text
//! log μᵢ = a_g(i) + b · tᵢ
//! ```
//!
//! Same start (`μ = y + 0.1`), same working response and weights, same convergence rule
//! (|dev − dev_old| / (|dev| + 0.1) < 1e-8, at most 25 iterations), and the same quantities
//! kept at the end: the working weights of the last least-squares step (R keeps those, not the
//! ones of the final μ), from which come the dispersion, the hat values, the covariance of the
//! coefficients and the standard error of a prediction. The design's block structure makes the
//! weighted least-squares step closed-form (group means, then the slope on times centred
//! within groups), so an iteration costs O(n) instead of a QR decomposition.

// Numeric loops here walk several arrays in lockstep by index.
#![allow(clippy::needless_range_loop)]

/// Inputs of one fit. `group[i] < n_groups`; every group must have an observation.
#[derive(Debug, Clone, Copy)]
pub struct Design<'a> {
    /// Counts (non-negative).
    pub y: &'a [f64],
    /// Time of each count (the trend covariate).
    pub t: &'a [f64],
    /// Seasonal group of each count.
    pub group: &'a [usize],
    pub n_groups: usize,
    /// Whether the model has the time trend `b`.
    pub trend: bool,
}

/// A converged (or not) fit, with what the detectors read from it.
#[derive(Debug, Clone)]
pub struct Fit {
    pub converged: bool,
    pub iterations: usize,
    pub trend: bool,
    /// Fitted means μᵢ.
    pub mu: Vec<f64>,
    /// Working weights of the last least-squares step.
    pub working_weights: Vec<f64>,
    /// Per group: sum of working weights and weighted mean time.
    group_w: Vec<f64>,
    group_tbar: Vec<f64>,
    /// Per group: the linear predictor at the group's weighted mean time.
    group_eta: Vec<f64>,
    /// Times are centred on this value inside the fit (`group_tbar` is centred too).
    t_ref: f64,
    /// Slope, and Σ w (t − t̄_g)² (the slope's information); 0 and ∞ without trend.
    slope: f64,
    sxx: f64,
    /// Pearson dispersion as `summary.glm` computes it, and its degrees of freedom.
    pub dispersion: f64,
    pub df_residual: f64,
}

const MAXIT: usize = 25;
const EPSILON: f64 = 1e-8;
/// ln of machine epsilon, the floor of μ.
const LN_EPS: f64 = -36.043_653_389_117_15;

fn linkinv(eta: f64) -> f64 {
    eta.exp().max(f64::EPSILON)
}

/// Fits the model with prior weights `prior` (all ones when `None`).
pub fn fit(d: &Design<'_>, prior: Option<&[f64]>) -> Fit {
    debug_assert_eq!(d.t.len(), d.y.len());
    debug_assert_eq!(d.group.len(), d.y.len());
    if d.trend {
        fit_trend(d, prior)
    } else {
        fit_groups(d, prior)
    }
}

/// Per-group sums of one least-squares step with working weights wᵢ = πᵢ μᵢ (π the prior
/// weight) and working response zᵢ = ηᵢ + (yᵢ − μᵢ)/μᵢ, so wᵢ zᵢ = πᵢ (μᵢ ηᵢ + yᵢ − μᵢ):
/// Σ w, Σ w t, Σ w z, Σ w t², Σ w t z (t centred on the mean time of the fit).
#[derive(Clone)]
struct Sums(Vec<[f64; 5]>);

/// Positions in a group's [`Sums`] entry.
const SW: usize = 0;
const ST: usize = 1;
const SZ: usize = 2;
const STT: usize = 3;
const STZ: usize = 4;

impl Sums {
    fn new(g: usize) -> Self {
        Sums(vec![[0.0; 5]; g])
    }

    fn clear(&mut self) {
        self.0.iter_mut().for_each(|v| *v = [0.0; 5]);
    }
}

/// Sums of a run of observations of one group, kept in registers (the observations come
/// in runs: a window, a block), added to [`Sums`] when the group changes.
struct Acc {
    k: usize,
    w: f64,
    t: f64,
    z: f64,
    tt: f64,
    tz: f64,
}

impl Acc {
    fn new(k: usize) -> Self {
        Acc {
            k,
            w: 0.0,
            t: 0.0,
            z: 0.0,
            tt: 0.0,
            tz: 0.0,
        }
    }

    #[inline]
    fn add(&mut self, prior: f64, y: f64, mu: f64, eta: f64, t: f64) {
        let w = prior * mu;
        let wz = prior * (mu * eta + y - mu);
        self.w += w;
        self.t += w * t;
        self.z += wz;
        self.tt += w * t * t;
        self.tz += wz * t;
    }

    fn flush(&self, s: &mut Sums) {
        let e = &mut s.0[self.k];
        e[SW] += self.w;
        e[ST] += self.t;
        e[SZ] += self.z;
        e[STT] += self.tt;
        e[STZ] += self.tz;
    }
}

/// The model with trend. Each iteration is one pass: the new η and μ (one exp per run of
/// consecutive weeks of a group, then multiplications by exp(slope)), the deviance, and the
/// sums of the next least-squares step.
fn fit_trend(d: &Design<'_>, prior: Option<&[f64]>) -> Fit {
    let n = d.y.len();
    let g = d.n_groups;
    let pw = |i: usize| prior.map_or(1.0, |p| p[i]);
    let t_ref = d.t.iter().sum::<f64>() / n as f64;
    let tc: Vec<f64> = d.t.iter().map(|t| t - t_ref).collect();
    let ylny: Vec<f64> = d.y.iter().map(|&y| y_ln_y(y)).collect();

    // start: μ = y + 0.1, η = log μ
    let mut mu: Vec<f64> = d.y.iter().map(|&y| y + 0.1).collect();
    let mut mu_prev = vec![0.0; n];
    let mut sums = Sums::new(g);
    let mut next = Sums::new(g);
    let mut devold = 0.0;
    for i in 0..n {
        let (y, eta) = (d.y[i], ln_start(d.y[i]));
        devold += pw(i) * (ylny[i] - y * eta - y + mu[i]);
        let mut one = Acc::new(d.group[i]);
        one.add(pw(i), y, mu[i], eta, tc[i]);
        one.flush(&mut sums);
    }
    devold *= 2.0;
    let mut tbar = vec![0.0; g];
    let mut zbar = vec![0.0; g];
    let (mut slope, mut sxx) = (0.0, 0.0);
    let mut converged = false;
    let mut iterations = 0;
    for iter in 1..=MAXIT {
        iterations = iter;
        // weighted least squares of z on (group dummies, t)
        let mut sxy = 0.0;
        sxx = 0.0;
        for k in 0..g {
            let e = &sums.0[k];
            tbar[k] = e[ST] / e[SW];
            zbar[k] = e[SZ] / e[SW];
            sxx += e[STT] - tbar[k] * e[ST];
            sxy += e[STZ] - tbar[k] * e[SZ];
        }
        slope = sxy / sxx;
        let step = slope.exp();
        std::mem::swap(&mut mu, &mut mu_prev);
        next.clear();
        let mut dev = 0.0;
        let mut e = 0.0;
        let mut acc = Acc::new(d.group.first().copied().unwrap_or(0));
        for i in 0..n {
            let k = d.group[i];
            let eta = zbar[k] + slope * (tc[i] - tbar[k]);
            let run = i > 0 && d.group[i - 1] == k && d.t[i] == d.t[i - 1] + 1.0;
            e = if run { e * step } else { eta.exp() };
            let m = e.max(f64::EPSILON);
            mu[i] = m;
            let y = d.y[i];
            dev += pw(i) * (ylny[i] - y * eta.max(LN_EPS) - y + m);
            if k != acc.k {
                acc.flush(&mut next);
                acc = Acc::new(k);
            }
            acc.add(pw(i), y, m, eta, tc[i]);
        }
        acc.flush(&mut next);
        dev *= 2.0;
        std::mem::swap(&mut sums, &mut next);
        if (dev - devold).abs() / (dev.abs() + 0.1) < EPSILON {
            converged = true;
            break;
        }
        devold = dev;
    }
    // what R keeps: the working weights of the last step (from the μ before it)
    let w: Vec<f64> = (0..n).map(|i| pw(i) * mu_prev[i]).collect();
    let n_ok = (0..n).filter(|&i| pw(i) != 0.0).count();
    let df_residual = n_ok as f64 - (g + 1) as f64;
    let mut pearson = 0.0;
    for i in 0..n {
        if w[i] > 0.0 {
            let r = (d.y[i] - mu[i]) / mu[i];
            pearson += w[i] * r * r;
        }
    }
    // the last step's Σ w per group (its sums are in `next` after the swap)
    let group_w: Vec<f64> = next.0.iter().map(|e| e[SW]).collect();
    Fit {
        converged,
        iterations,
        trend: true,
        mu,
        working_weights: w,
        group_w,
        group_tbar: tbar,
        group_eta: zbar,
        t_ref,
        slope,
        sxx,
        dispersion: if df_residual > 0.0 {
            pearson / df_residual
        } else {
            f64::NAN
        },
        df_residual,
    }
}

/// Small counts get their logarithms from a table (the same values, computed once).
const TABLE: usize = 256;

struct LnTable {
    start: [f64; TABLE],
    y_ln_y: [f64; TABLE],
    two_thirds: [f64; TABLE],
}

fn ln_table() -> &'static LnTable {
    static T: std::sync::OnceLock<LnTable> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut t = LnTable {
            start: [0.0; TABLE],
            y_ln_y: [0.0; TABLE],
            two_thirds: [0.0; TABLE],
        };
        for i in 0..TABLE {
            let y = i as f64;
            t.start[i] = (y + 0.1).ln();
            t.y_ln_y[i] = if y > 0.0 { y * y.ln() } else { 0.0 };
            t.two_thirds[i] = y.powf(2.0 / 3.0);
        }
        t
    })
}

fn small_count(y: f64) -> Option<usize> {
    let i = y as usize; // saturating: NaN and negatives give 0, checked below
    (i < TABLE && i as f64 == y).then_some(i)
}

/// log(y + 0.1), the linear predictor glm.fit starts from.
fn ln_start(y: f64) -> f64 {
    small_count(y).map_or_else(|| (y + 0.1).ln(), |i| ln_table().start[i])
}

/// y^(2/3).
fn y_two_thirds(y: f64) -> f64 {
    small_count(y).map_or_else(|| y.powf(2.0 / 3.0), |i| ln_table().two_thirds[i])
}

/// y ln y (0 at 0).
fn y_ln_y(y: f64) -> f64 {
    match small_count(y) {
        Some(i) => ln_table().y_ln_y[i],
        None if y > 0.0 => y * y.ln(),
        None => 0.0,
    }
}

/// The model without trend: after the first step every observation of a group has the
/// group's μ, so later steps work on per-group sums (Σ w y, Σ w, Σ w y ln y) — the same
/// iterates as the general loop, in O(groups) per step.
fn fit_groups(d: &Design<'_>, prior: Option<&[f64]>) -> Fit {
    let n = d.y.len();
    let g = d.n_groups;
    let pw = |i: usize| prior.map_or(1.0, |p| p[i]);
    let mut s_w = vec![0.0; g];
    let mut s_y = vec![0.0; g];
    let mut s_ylny = vec![0.0; g];
    let mut s_t = vec![0.0; g];
    let mut gw = vec![0.0; g];
    let mut gz = vec![0.0; g];
    let mut gwt = vec![0.0; g];
    let mut devold = 0.0;
    for i in 0..n {
        let k = d.group[i];
        let (y, w) = (d.y[i], pw(i));
        s_w[k] += w;
        s_y[k] += w * y;
        s_ylny[k] += w * y_ln_y(y);
        s_t[k] += w * d.t[i];
        // first step, from μ = y + 0.1
        let mu = y + 0.1;
        let eta = ln_start(y);
        let ww = w * mu;
        gw[k] += ww;
        gz[k] += ww * (eta + (y - mu) / mu);
        gwt[k] += ww * d.t[i];
        devold += w * (y_ln_y(y) - y * eta - y + mu);
    }
    devold *= 2.0;
    let mut eta_g: Vec<f64> = (0..g).map(|k| gz[k] / gw[k]).collect();
    let mut mu_g: Vec<f64> = eta_g.iter().map(|&e| linkinv(e)).collect();
    let deviance = |eta_g: &[f64], mu_g: &[f64]| -> f64 {
        2.0 * (0..g)
            .map(|k| s_ylny[k] - eta_g[k].max(LN_EPS) * s_y[k] - s_y[k] + mu_g[k] * s_w[k])
            .sum::<f64>()
    };
    // working weights of the last step: w·(y + 0.1) after the first, w·μ_g(previous) after
    let mut last_mu: Option<Vec<f64>> = None;
    let mut converged = false;
    let mut iterations = 1;
    let mut dev = deviance(&eta_g, &mu_g);
    if (dev - devold).abs() / (dev.abs() + 0.1) < EPSILON {
        converged = true;
    } else {
        for iter in 2..=MAXIT {
            iterations = iter;
            devold = dev;
            let prev = mu_g.clone();
            for k in 0..g {
                // Σ w μ (η + (y − μ)/μ) / Σ w μ with one μ per group
                let m = prev[k];
                gw[k] = m * s_w[k];
                eta_g[k] += (s_y[k] - m * s_w[k]) / gw[k];
                mu_g[k] = linkinv(eta_g[k]);
            }
            last_mu = Some(prev);
            dev = deviance(&eta_g, &mu_g);
            if (dev - devold).abs() / (dev.abs() + 0.1) < EPSILON {
                converged = true;
                break;
            }
        }
    }
    let mut w = vec![0.0; n];
    for i in 0..n {
        let k = d.group[i];
        w[i] = match &last_mu {
            Some(m) => pw(i) * m[k],
            None => pw(i) * (d.y[i] + 0.1),
        };
    }
    let tbar: Vec<f64> = match &last_mu {
        Some(_) => (0..g).map(|k| s_t[k] / s_w[k]).collect(),
        None => (0..g).map(|k| gwt[k] / gw[k]).collect(),
    };
    let mu: Vec<f64> = d.group.iter().map(|&k| mu_g[k]).collect();
    let n_ok = (0..n).filter(|&i| pw(i) != 0.0).count();
    let df_residual = n_ok as f64 - g as f64;
    let mut pearson = 0.0;
    for i in 0..n {
        if w[i] > 0.0 {
            let r = (d.y[i] - mu[i]) / mu[i];
            pearson += w[i] * r * r;
        }
    }
    Fit {
        converged,
        iterations,
        trend: false,
        mu,
        working_weights: w,
        group_w: gw,
        group_tbar: tbar,
        group_eta: eta_g,
        t_ref: 0.0,
        slope: 0.0,
        sxx: f64::INFINITY,
        dispersion: if df_residual > 0.0 {
            pearson / df_residual
        } else {
            f64::NAN
        },
        df_residual,
    }
}

impl Fit {
    /// x' (X'WX)⁻¹ x for an observation of group `g` at time `t`.
    fn unscaled_variance(&self, g: usize, t: f64) -> f64 {
        let dt = t - self.t_ref - self.group_tbar[g];
        let v = 1.0 / self.group_w[g];
        if self.trend {
            v + dt * dt / self.sxx
        } else {
            v
        }
    }

    /// Hat values (leverages) of the observations, from the last step's working weights.
    pub fn hat_values(&self, d: &Design<'_>) -> Vec<f64> {
        (0..d.y.len())
            .map(|i| {
                let h = self.working_weights[i] * self.unscaled_variance(d.group[i], d.t[i]);
                if h > 1.0 - 10.0 * f64::EPSILON {
                    1.0
                } else {
                    h
                }
            })
            .collect()
    }

    /// Linear predictor for group `g` at time `t`.
    pub fn eta(&self, g: usize, t: f64) -> f64 {
        if self.trend {
            self.group_eta[g] + self.slope * (t - self.t_ref - self.group_tbar[g])
        } else {
            self.group_eta[g]
        }
    }

    /// Predicted mean and its standard error on the response scale (R's
    /// `predict.glm(type = "response", se.fit = TRUE, dispersion = dispersion)`).
    pub fn predict(&self, g: usize, t: f64, dispersion: f64) -> (f64, f64) {
        let mu0 = linkinv(self.eta(g, t));
        let se_link = (dispersion * self.unscaled_variance(g, t)).sqrt();
        (mu0, se_link * mu0)
    }

    /// `summary.glm`'s dispersion had the fit's `weights` been replaced by `weights`:
    /// Σ wᵢ ((yᵢ − μᵢ)/μᵢ)² / df over positive weights (farringtonFlexible does this).
    pub fn dispersion_with_weights(&self, d: &Design<'_>, weights: &[f64]) -> f64 {
        let mut s = 0.0;
        for ((&y, &mu), &w) in d.y.iter().zip(&self.mu).zip(weights) {
            if w > 0.0 {
                let r = (y - mu) / mu;
                s += w * r * r;
            }
        }
        if self.df_residual > 0.0 {
            s / self.df_residual
        } else {
            f64::NAN
        }
    }

    /// Two-sided p-value of the trend's t test with a given dispersion.
    pub fn trend_p_value_with(&self, dispersion: f64) -> Option<f64> {
        if !self.trend {
            return None;
        }
        let se = (dispersion / self.sxx).sqrt();
        Some(crate::dist::pt_two_sided(self.slope / se, self.df_residual))
    }

    /// The trend coefficient.
    pub fn slope(&self) -> f64 {
        self.slope
    }

    /// Two-sided p-value of the trend's t test (`summary.glm`'s `Pr(>|t|)` with the
    /// estimated dispersion); `None` without a trend.
    pub fn trend_p_value(&self) -> Option<f64> {
        self.trend_p_value_with(self.dispersion)
    }
}

/// Standardised Anscombe residuals of a Poisson fit:
/// 3/2 (y^(2/3) μ^(−1/6) − μ^(1/2)) / √(φ (1 − hᵢ)).
pub fn anscombe_residuals(d: &Design<'_>, fit: &Fit, phi: f64) -> Vec<f64> {
    // y^(2/3) from a table for small counts; μ^(−1/6) = exp(−η/6), carried along runs of
    // consecutive weeks of a group by multiplying by exp(−slope/6) (powf and cbrt per
    // observation are several times slower)
    let step = (-fit.slope / 6.0).exp();
    let mut root = 1.0;
    let mut prev_eta = f64::NEG_INFINITY;
    (0..d.y.len())
        .map(|i| {
            let (k, t, y, mu) = (d.group[i], d.t[i], d.y[i], fit.mu[i]);
            let eta = fit.eta(k, t);
            let same_group = i > 0 && d.group[i - 1] == k && eta > LN_EPS && prev_eta > LN_EPS;
            root = match (same_group, fit.trend) {
                (true, false) => root,
                (true, true) if t == d.t[i - 1] + 1.0 => root * step,
                _ => (-eta.max(LN_EPS) / 6.0).exp(),
            };
            prev_eta = eta;
            let h = fit.working_weights[i] * fit.unscaled_variance(k, t);
            let h = if h > 1.0 - 10.0 * f64::EPSILON {
                1.0
            } else {
                h
            };
            1.5 * (y_two_thirds(y) * root - mu.sqrt()) / (phi * (1.0 - h)).sqrt()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol * b.abs().max(1e-12), "{a} vs {b}");
    }

    #[test]
    fn intercept_only_is_the_mean() {
        let y = [1.0, 2.0, 3.0, 6.0];
        let t = [1.0, 2.0, 3.0, 4.0];
        let g = [0; 4];
        let d = Design {
            y: &y,
            t: &t,
            group: &g,
            n_groups: 1,
            trend: false,
        };
        let f = fit(&d, None);
        assert!(f.converged);
        for &m in &f.mu {
            close(m, 3.0, 1e-9);
        }
        // Pearson: (4 + 1 + 0 + 9) / 3 / (4 - 1)
        close(f.dispersion, 14.0 / 9.0, 1e-8);
        for h in f.hat_values(&d) {
            close(h, 0.25, 1e-8);
        }
        let (mu0, se) = f.predict(0, 10.0, 2.0);
        close(mu0, 3.0, 1e-9);
        // var(log mean) = φ / (n μ): se on the response scale = μ √(φ / (n μ))
        close(se, 3.0 * (2.0f64 / 12.0).sqrt(), 1e-8);
    }

    #[test]
    fn exact_exponential_trend_is_recovered() {
        let y = [2.0, 4.0, 8.0, 16.0];
        let t = [0.0, 1.0, 2.0, 3.0];
        let g = [0; 4];
        let d = Design {
            y: &y,
            t: &t,
            group: &g,
            n_groups: 1,
            trend: true,
        };
        let f = fit(&d, None);
        assert!(f.converged);
        close(f.slope(), 2f64.ln(), 1e-8);
        close(f.predict(0, 4.0, 1.0).0, 32.0, 1e-7);
        assert!(f.dispersion < 1e-12);
        // a perfect fit: the trend is as significant as can be
        assert!(f.trend_p_value().unwrap() < 1e-6);
    }

    #[test]
    fn groups_are_separate_means() {
        let y = [1.0, 3.0, 10.0, 14.0, 0.0];
        let t = [1.0, 2.0, 3.0, 4.0, 5.0];
        let g = [0, 0, 1, 1, 2];
        let d = Design {
            y: &y,
            t: &t,
            group: &g,
            n_groups: 3,
            trend: false,
        };
        let f = fit(&d, None);
        close(f.mu[0], 2.0, 1e-9);
        close(f.mu[2], 12.0, 1e-9);
        // an all-zero group goes towards 0 and the fit still converges, as in R
        assert!(f.mu[4] < 1e-6);
        assert!(f.converged);
        assert_eq!(f.df_residual, 2.0);
    }

    #[test]
    fn anscombe_residual_by_hand() {
        let y = [1.0, 2.0, 3.0, 6.0];
        let t = [1.0, 2.0, 3.0, 4.0];
        let g = [0; 4];
        let d = Design {
            y: &y,
            t: &t,
            group: &g,
            n_groups: 1,
            trend: false,
        };
        let f = fit(&d, None);
        let r = anscombe_residuals(&d, &f, 1.5);
        let expect = 1.5 * (6f64.powf(2.0 / 3.0) * 3f64.powf(-1.0 / 6.0) - 3f64.sqrt())
            / (1.5f64 * 0.75).sqrt();
        close(r[3], expect, 1e-8);
    }
}
