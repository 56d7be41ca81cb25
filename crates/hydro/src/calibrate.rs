//! Automatic calibration by DDS, Dynamically Dimensioned Search (Tolson & Shoemaker, 2007,
//! Water Resources Research 43, W01413): a greedy global search that perturbs every
//! parameter at first and fewer and fewer as the budget is spent (each one with probability
//! `1 − ln i / ln m` at iteration i of m), by a normal step of 0.2 × its range, reflected
//! at the bounds. It is seeded and single-threaded, so a run is reproducible bit for bit.
//!
//! The search works in a normalised space: X1, X3 and X4 on a log scale (their plausible
//! values span orders of magnitude), X2 on a linear one.

use std::ops::Range;

use crate::{Gr4, HydroError, Model, Params, scores};

/// What the calibration maximises over the scored steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Objective {
    /// Kling–Gupta efficiency (2009).
    Kge,
    /// Nash–Sutcliffe efficiency.
    Nse,
}

impl Objective {
    pub fn name(self) -> &'static str {
        match self {
            Objective::Kge => "KGE",
            Objective::Nse => "NSE",
        }
    }

    /// The score of `sim` against `obs` (NaN observations skipped).
    pub fn score(self, obs: &[f64], sim: &[f64]) -> f64 {
        match self {
            Objective::Kge => scores::kge(obs, sim),
            Objective::Nse => scores::nse(obs, sim),
        }
    }
}

/// The search range of one parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    pub lo: f64,
    pub hi: f64,
    /// Searched on a log scale (lo > 0).
    pub log: bool,
}

impl Bound {
    fn to_real(self, u: f64) -> f64 {
        if self.log {
            (self.lo.ln() + u * (self.hi.ln() - self.lo.ln())).exp()
        } else {
            self.lo + u * (self.hi - self.lo)
        }
    }

    fn to_unit(self, v: f64) -> f64 {
        let u = if self.log {
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        u.clamp(0.0, 1.0)
    }
}

/// Default search ranges: X1 10–3000 mm, X2 −10–10 mm per step, X3 1–1000 mm (GR4J) or
/// 1–3000 mm (GR4H), X4 0.5–20 days or 0.5–480 hours.
pub fn default_bounds(model: Model) -> [Bound; 4] {
    let log = |lo, hi| Bound { lo, hi, log: true };
    let x3_hi = match model {
        Model::Gr4j => 1000.0,
        Model::Gr4h => 3000.0,
    };
    [
        log(10.0, 3000.0),
        Bound {
            lo: -10.0,
            hi: 10.0,
            log: false,
        },
        log(1.0, x3_hi),
        log(0.5, model.max_x4()),
    ]
}

/// How to calibrate.
#[derive(Clone, Debug)]
pub struct Options {
    pub objective: Objective,
    pub seed: u64,
    /// Model evaluations after the initial sample (DDS's budget m).
    pub iterations: usize,
    pub bounds: Option<[Bound; 4]>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            objective: Objective::Kge,
            seed: 1,
            iterations: 2000,
            bounds: None,
        }
    }
}

/// The calibration data: forcings over the whole simulated period (warm-up then run),
/// observations over the same steps, and which steps are scored.
#[derive(Clone, Debug)]
pub struct Problem<'a> {
    pub model: Model,
    pub p: &'a [f64],
    pub e: &'a [f64],
    pub obs: &'a [f64],
    pub scored: Range<usize>,
}

/// The outcome of a calibration.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    pub params: Params,
    /// The objective's value with `params`.
    pub score: f64,
    /// Number of model runs.
    pub evaluations: usize,
}

/// Calibrates the four parameters of `problem.model` on `problem` with DDS.
pub fn calibrate(problem: &Problem<'_>, options: &Options) -> Result<Calibration, HydroError> {
    crate::gr4::check_forcing(problem.p, problem.e)?;
    if problem.obs.len() != problem.p.len() {
        return Err(HydroError::Series(format!(
            "{} observations for {} time steps",
            problem.obs.len(),
            problem.p.len()
        )));
    }
    let scored = &problem.obs[problem.scored.clone()];
    if scored.iter().filter(|q| q.is_finite()).count() < 2 {
        return Err(HydroError::Series(
            "fewer than 2 observed flows in the scored period: nothing to calibrate on".into(),
        ));
    }
    if options.iterations == 0 {
        return Err(HydroError::Invalid("iterations must be ≥ 1".into()));
    }
    let bounds = options
        .bounds
        .unwrap_or_else(|| default_bounds(problem.model));
    for (i, b) in bounds.iter().enumerate() {
        if !(b.lo.is_finite() && b.hi.is_finite() && b.hi > b.lo) || (b.log && b.lo <= 0.0) {
            return Err(HydroError::Invalid(format!(
                "search range of X{}: [{}, {}] is empty{}",
                i + 1,
                b.lo,
                b.hi,
                if b.log { " or not > 0" } else { "" }
            )));
        }
    }

    let mut q = vec![0.0; problem.p.len()];
    let evaluations = std::cell::Cell::new(0usize);
    let mut evaluate = |u: &[f64; 4]| -> f64 {
        evaluations.set(evaluations.get() + 1);
        let params = to_params(&bounds, u);
        let Ok(m) = Gr4::new(problem.model, params) else {
            return f64::NEG_INFINITY;
        };
        let mut st = m.initial_states();
        m.run_into(&mut st, problem.p, problem.e, &mut q);
        let s = options.objective.score(scored, &q[problem.scored.clone()]);
        if s.is_nan() { f64::NEG_INFINITY } else { s }
    };

    let mut rng = Rng::new(options.seed);
    let m = options.iterations;
    // Initial solution: the best of a small uniform sample (Tolson & Shoemaker suggest
    // max(5, 0.005·m) points).
    let mut best = [0.5; 4];
    let mut best_f = f64::NEG_INFINITY;
    for _ in 0..(m / 200).max(5) {
        let u = [rng.unit(), rng.unit(), rng.unit(), rng.unit()];
        let f = evaluate(&u);
        if f > best_f {
            best = u;
            best_f = f;
        }
    }
    const R: f64 = 0.2;
    for i in 1..=m {
        let p_select = if m > 1 {
            1.0 - (i as f64).ln() / (m as f64).ln()
        } else {
            0.0
        };
        let mut cand = best;
        let mut changed = false;
        for c in cand.iter_mut() {
            if rng.unit() < p_select {
                *c = perturb(*c, R * rng.normal());
                changed = true;
            }
        }
        if !changed {
            let j = rng.below(4);
            cand[j] = perturb(cand[j], R * rng.normal());
        }
        let f = evaluate(&cand);
        if f >= best_f {
            best = cand;
            best_f = f;
        }
    }
    // Local refinement: a pattern search from DDS's best point, moving one parameter or
    // two at once (the diagonals follow the narrow valleys where X1 trades against X3) by a
    // step that halves when no move improves, down to 1e-6 of the range. DDS's fixed-size
    // random steps find the basin; this walks to its bottom.
    let mut directions: Vec<[f64; 4]> = Vec::new();
    for j in 0..4 {
        for sj in [1.0, -1.0] {
            let mut d = [0.0; 4];
            d[j] = sj;
            directions.push(d);
            for k in j + 1..4 {
                for sk in [1.0, -1.0] {
                    let mut d = d;
                    d[k] = sk;
                    directions.push(d);
                }
            }
        }
    }
    let mut step = 0.02;
    let polish_budget = evaluations.get() + options.iterations / 2;
    while step > 1e-6 && evaluations.get() < polish_budget {
        let mut improved = false;
        for d in &directions {
            let cand = [0, 1, 2, 3].map(|j| (best[j] + d[j] * step).clamp(0.0, 1.0));
            if cand == best {
                continue;
            }
            let f = evaluate(&cand);
            if f > best_f {
                best = cand;
                best_f = f;
                improved = true;
            }
        }
        if !improved {
            step /= 2.0;
        }
    }
    Ok(Calibration {
        params: to_params(&bounds, &best),
        score: best_f,
        evaluations: evaluations.get(),
    })
}

/// The unit-space point of `params` in `bounds` (clamped to them).
pub fn to_unit(bounds: &[Bound; 4], params: Params) -> [f64; 4] {
    let a = params.to_array();
    [0, 1, 2, 3].map(|i| bounds[i].to_unit(a[i]))
}

fn to_params(bounds: &[Bound; 4], u: &[f64; 4]) -> Params {
    Params::from_array([0, 1, 2, 3].map(|i| bounds[i].to_real(u[i])))
}

/// A DDS step in [0, 1], reflected at the bounds (and put on the bound it crossed when the
/// reflection overshoots the other one).
fn perturb(u: f64, step: f64) -> f64 {
    let v = u + step;
    if v < 0.0 {
        let r = -v;
        if r > 1.0 { 0.0 } else { r }
    } else if v > 1.0 {
        let r = 2.0 - v;
        if r < 0.0 { 1.0 } else { r }
    } else {
        v
    }
}

/// xoshiro256** (Blackman & Vigna) seeded through SplitMix64: small, fast and reproducible
/// on every platform.
struct Rng {
    s: [u64; 4],
}

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn below(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n - 1)
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflection_stays_inside() {
        assert_eq!(perturb(0.5, 0.2), 0.7);
        assert!((perturb(0.1, -0.3) - 0.2).abs() < 1e-15);
        assert!((perturb(0.9, 0.3) - 0.8).abs() < 1e-15);
        assert_eq!(perturb(0.1, -1.5), 0.0);
        assert_eq!(perturb(0.9, 1.5), 1.0);
    }

    #[test]
    fn rng_is_reproducible_and_roughly_normal() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<f64> = (0..20000).map(|_| a.normal()).collect();
        let ys: Vec<f64> = (0..20000).map(|_| b.normal()).collect();
        assert_eq!(xs, ys);
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }

    #[test]
    fn bounds_round_trip() {
        let b = default_bounds(Model::Gr4j);
        let p = Params::new(257.238, 1.012, 88.235, 2.208);
        let back = to_params(&b, &to_unit(&b, p));
        for (x, y) in p.to_array().iter().zip(back.to_array()) {
            assert!((x - y).abs() < 1e-9 * x.abs().max(1.0));
        }
    }
}
