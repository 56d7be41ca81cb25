//! Goodness-of-fit scores of a simulated series against observations. Time steps whose
//! observation is missing (NaN) are skipped, as airGR's criteria skip NA observations.
//!
//! - NSE (Nash & Sutcliffe, 1970): `1 − Σ(Qs − Qo)² / Σ(Qo − mean Qo)²`.
//! - KGE (Gupta et al., 2009): `1 − √((r − 1)² + (α − 1)² + (β − 1)²)`, with r the linear
//!   correlation, α = σs/σo and β = μs/μo.
//! - RMSE: `√(mean (Qs − Qo)²)`.
//! - Persistence index (Kitanidis & Bras, 1980): `1 − Σ(Qs − Qo)² / Σ(Qo(t) − Qo(t − 1))²`,
//!   the skill against the naive forecast "tomorrow's flow is today's" (steps where either
//!   observation is missing are skipped).

/// The scores of one run; a score that is undefined (e.g. constant observations) is NaN.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scores {
    pub nse: f64,
    pub kge: f64,
    pub rmse: f64,
    pub persistence: f64,
    /// Number of time steps with an observation (those the scores use).
    pub n: usize,
}

impl Scores {
    /// All scores of `sim` against `obs` (same length; NaN observations skipped).
    pub fn compute(obs: &[f64], sim: &[f64]) -> Scores {
        Scores {
            nse: nse(obs, sim),
            kge: kge(obs, sim),
            rmse: rmse(obs, sim),
            persistence: persistence_index(obs, sim),
            n: pairs(obs, sim).count(),
        }
    }
}

fn pairs<'a>(obs: &'a [f64], sim: &'a [f64]) -> impl Iterator<Item = (f64, f64)> + 'a {
    assert_eq!(
        obs.len(),
        sim.len(),
        "observed and simulated lengths differ"
    );
    obs.iter()
        .zip(sim)
        .filter(|(o, s)| o.is_finite() && s.is_finite())
        .map(|(&o, &s)| (o, s))
}

/// Root mean square error; NaN without any observation.
pub fn rmse(obs: &[f64], sim: &[f64]) -> f64 {
    let (mut n, mut sse) = (0usize, 0.0);
    for (o, s) in pairs(obs, sim) {
        n += 1;
        sse += (s - o) * (s - o);
    }
    if n == 0 {
        f64::NAN
    } else {
        (sse / n as f64).sqrt()
    }
}

/// Nash–Sutcliffe efficiency; NaN when the observations do not vary.
pub fn nse(obs: &[f64], sim: &[f64]) -> f64 {
    let (mut n, mut sum) = (0usize, 0.0);
    for (o, _) in pairs(obs, sim) {
        n += 1;
        sum += o;
    }
    if n == 0 {
        return f64::NAN;
    }
    let mean = sum / n as f64;
    let (mut sse, mut var) = (0.0, 0.0);
    for (o, s) in pairs(obs, sim) {
        sse += (s - o) * (s - o);
        var += (o - mean) * (o - mean);
    }
    if var == 0.0 {
        f64::NAN
    } else {
        1.0 - sse / var
    }
}

/// Kling–Gupta efficiency (2009); NaN when the observations do not vary or average 0.
pub fn kge(obs: &[f64], sim: &[f64]) -> f64 {
    let (mut n, mut so, mut ss) = (0usize, 0.0, 0.0);
    for (o, s) in pairs(obs, sim) {
        n += 1;
        so += o;
        ss += s;
    }
    if n == 0 {
        return f64::NAN;
    }
    let (mo, ms) = (so / n as f64, ss / n as f64);
    let (mut voo, mut vss, mut vos) = (0.0, 0.0, 0.0);
    for (o, s) in pairs(obs, sim) {
        voo += (o - mo) * (o - mo);
        vss += (s - ms) * (s - ms);
        vos += (o - mo) * (s - ms);
    }
    if voo == 0.0 || mo == 0.0 {
        return f64::NAN;
    }
    // A constant simulation has no correlation; take r = 0 rather than NaN.
    let r = if vss == 0.0 {
        0.0
    } else {
        vos / (voo * vss).sqrt()
    };
    let alpha = (vss / voo).sqrt();
    let beta = ms / mo;
    1.0 - ((r - 1.0).powi(2) + (alpha - 1.0).powi(2) + (beta - 1.0).powi(2)).sqrt()
}

/// Persistence index: skill against the previous observation as forecast; NaN when the
/// observations never change.
pub fn persistence_index(obs: &[f64], sim: &[f64]) -> f64 {
    assert_eq!(
        obs.len(),
        sim.len(),
        "observed and simulated lengths differ"
    );
    let (mut sse, mut naive) = (0.0, 0.0);
    for t in 1..obs.len() {
        let (o, prev, s) = (obs[t], obs[t - 1], sim[t]);
        if o.is_finite() && prev.is_finite() && s.is_finite() {
            sse += (s - o) * (s - o);
            naive += (o - prev) * (o - prev);
        }
    }
    if naive == 0.0 {
        f64::NAN
    } else {
        1.0 - sse / naive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_simulation() {
        let o = [1.0, 2.0, 4.0, 3.0, f64::NAN, 2.0];
        let s = Scores::compute(&o, &o.map(|x| if x.is_nan() { 9.0 } else { x }));
        assert_eq!(
            (s.nse, s.kge, s.rmse, s.persistence, s.n),
            (1.0, 1.0, 0.0, 1.0, 5)
        );
    }

    #[test]
    fn by_hand() {
        // obs 1, 2, 3 (mean 2, Σ(o − mean)² = 2); sim 2, 2, 2 (errors 1, 0, −1, SSE 2).
        let o = [1.0, 2.0, 3.0];
        let s = [2.0, 2.0, 2.0];
        assert_eq!(nse(&o, &s), 0.0);
        assert!((rmse(&o, &s) - (2.0f64 / 3.0).sqrt()).abs() < 1e-15);
        // r = 0 (constant), α = 0, β = 1: KGE = 1 − √2.
        assert!((kge(&o, &s) - (1.0 - 2f64.sqrt())).abs() < 1e-15);
        // Persistence: steps 1 and 2: SSE = 0 + 1 = 1, naive = 1 + 1 = 2 → 0.5.
        assert_eq!(persistence_index(&o, &s), 0.5);
        // sim = 2·obs: r = 1, α = 2, β = 2: KGE = 1 − √2; NSE = 1 − (1+4+9)/2 = −6.
        let s2 = [2.0, 4.0, 6.0];
        assert!((kge(&o, &s2) - (1.0 - 2f64.sqrt())).abs() < 1e-15);
        assert_eq!(nse(&o, &s2), -6.0);
    }

    #[test]
    fn missing_observations_are_skipped() {
        let o = [1.0, f64::NAN, 2.0, 3.0];
        let s = [2.0, 100.0, 2.0, 2.0];
        assert_eq!(nse(&o, &s), 0.0);
        assert_eq!(Scores::compute(&o, &s).n, 3);
        assert!(rmse(&[f64::NAN], &[1.0]).is_nan());
        assert!(nse(&[2.0, 2.0], &[1.0, 2.0]).is_nan());
    }
}
