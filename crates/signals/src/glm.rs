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
    /// Slope, and Σ w (t − t̄_g)² (the slope's information); 0 and ∞ without trend.
    slope: f64,
    sxx: f64,
    /// Pearson dispersion as `summary.glm` computes it, and its degrees of freedom.
    pub dispersion: f64,
    pub df_residual: f64,
}

const MAXIT: usize = 25;
const EPSILON: f64 = 1e-8;

fn dev_resid(y: f64, mu: f64, w: f64) -> f64 {
    if y > 0.0 {
        2.0 * w * (y * (y / mu).ln() - (y - mu))
    } else {
        2.0 * w * mu
    }
}

fn linkinv(eta: f64) -> f64 {
    eta.exp().max(f64::EPSILON)
}

/// Fits the model with prior weights `prior` (all ones when `None`).
pub fn fit(d: &Design<'_>, prior: Option<&[f64]>) -> Fit {
    let n = d.y.len();
    debug_assert_eq!(d.t.len(), n);
    debug_assert_eq!(d.group.len(), n);
    let g = d.n_groups;
    let pw = |i: usize| prior.map_or(1.0, |p| p[i]);

    let mut eta: Vec<f64> = d.y.iter().map(|&y| (y + 0.1).ln()).collect();
    let mut mu: Vec<f64> = eta.iter().map(|&e| linkinv(e)).collect();
    let mut devold: f64 = (0..n).map(|i| dev_resid(d.y[i], mu[i], pw(i))).sum();
    let mut w = vec![0.0; n];
    let mut z = vec![0.0; n];
    let mut gw = vec![0.0; g];
    let mut gt = vec![0.0; g];
    let mut gz = vec![0.0; g];
    let mut slope = 0.0;
    let mut sxx = f64::INFINITY;
    let mut converged = false;
    let mut iterations = 0;

    for iter in 1..=MAXIT {
        iterations = iter;
        // working response and weights from the current μ (mu.eta = μ for the log link,
        // both floored at machine epsilon as R's poisson()$linkinv and mu.eta are)
        for i in 0..n {
            let me = linkinv(eta[i]);
            z[i] = eta[i] + (d.y[i] - mu[i]) / me;
            w[i] = pw(i) * me * me / mu[i];
        }
        // weighted least squares of z on (group dummies, t)
        gw.iter_mut().for_each(|v| *v = 0.0);
        gt.iter_mut().for_each(|v| *v = 0.0);
        gz.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..n {
            let k = d.group[i];
            gw[k] += w[i];
            gt[k] += w[i] * d.t[i];
            gz[k] += w[i] * z[i];
        }
        for k in 0..g {
            gt[k] /= gw[k];
            gz[k] /= gw[k];
        }
        if d.trend {
            let (mut sxy, mut sx) = (0.0, 0.0);
            for i in 0..n {
                let k = d.group[i];
                let dt = d.t[i] - gt[k];
                sx += w[i] * dt * dt;
                sxy += w[i] * dt * (z[i] - gz[k]);
            }
            sxx = sx;
            slope = sxy / sx;
        }
        for i in 0..n {
            let k = d.group[i];
            eta[i] = if d.trend {
                gz[k] + slope * (d.t[i] - gt[k])
            } else {
                gz[k]
            };
            mu[i] = linkinv(eta[i]);
        }
        let dev: f64 = (0..n).map(|i| dev_resid(d.y[i], mu[i], pw(i))).sum();
        if (dev - devold).abs() / (dev.abs() + 0.1) < EPSILON {
            converged = true;
            break;
        }
        devold = dev;
    }

    // summary.glm's dispersion: Σ w_work · ((y − μ)/mu.eta)² / df over positive weights
    let p = g + usize::from(d.trend);
    let n_ok = (0..n).filter(|&i| pw(i) != 0.0).count();
    let df_residual = n_ok as f64 - p as f64;
    let mut pearson = 0.0;
    for i in 0..n {
        if w[i] > 0.0 {
            let r = (d.y[i] - mu[i]) / linkinv(eta[i]);
            pearson += w[i] * r * r;
        }
    }
    let dispersion = if df_residual > 0.0 {
        pearson / df_residual
    } else {
        f64::NAN
    };
    Fit {
        converged,
        iterations,
        trend: d.trend,
        mu,
        working_weights: w,
        group_w: gw,
        group_tbar: gt,
        group_eta: gz,
        slope,
        sxx,
        dispersion,
        df_residual,
    }
}

impl Fit {
    /// x' (X'WX)⁻¹ x for an observation of group `g` at time `t`.
    fn unscaled_variance(&self, g: usize, t: f64) -> f64 {
        let dt = t - self.group_tbar[g];
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
            self.group_eta[g] + self.slope * (t - self.group_tbar[g])
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
    let hat = fit.hat_values(d);
    (0..d.y.len())
        .map(|i| {
            let (y, mu) = (d.y[i], fit.mu[i]);
            1.5 * (y.powf(2.0 / 3.0) * mu.powf(-1.0 / 6.0) - mu.sqrt())
                / (phi * (1.0 - hat[i])).sqrt()
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
