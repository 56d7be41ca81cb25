//! Muskingum routing of a flow series through a river reach (McCarthy, 1938).
//!
//! Storage is linear in a weighted flow, `S = K·(X·I + (1 − X)·O)`; with continuity
//! `dS/dt = I − O` discretised over Δt it gives
//!
//! ```text
//!   O(t+1) = C1·I(t+1) + C2·I(t) + C3·O(t),   D = 2K(1 − X) + Δt
//!   C1 = (Δt − 2KX)/D,   C2 = (Δt + 2KX)/D,   C3 = (2K(1 − X) − Δt)/D,   C1 + C2 + C3 = 1
//! ```
//!
//! The coefficients are all non-negative (no negative outflows, no oscillation) exactly when
//! `0 ≤ X ≤ 0.5` and `2KX ≤ Δt ≤ 2K(1 − X)`; other values are refused. K and Δt are in the
//! same unit (hours, days, …); flows in any unit.

use crate::HydroError;

/// One reach: storage constant K, weighting factor X, time step Δt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Muskingum {
    k: f64,
    x: f64,
    dt: f64,
    c1: f64,
    c2: f64,
    c3: f64,
}

impl Muskingum {
    /// Checks K > 0, Δt > 0 and the stability conditions, and computes the coefficients.
    pub fn new(k: f64, x: f64, dt: f64) -> Result<Muskingum, HydroError> {
        if !(k.is_finite() && k > 0.0) {
            return Err(HydroError::Parameter {
                name: "K",
                value: k,
                reason: "the storage constant must be > 0".into(),
            });
        }
        if !(dt.is_finite() && dt > 0.0) {
            return Err(HydroError::Parameter {
                name: "Δt",
                value: dt,
                reason: "the time step must be > 0".into(),
            });
        }
        let (lo, hi) = (2.0 * k * x, 2.0 * k * (1.0 - x));
        if !(x.is_finite() && (0.0..=0.5).contains(&x)) || dt < lo || dt > hi {
            return Err(HydroError::MuskingumUnstable { k, x, dt, lo, hi });
        }
        let d = hi + dt;
        Ok(Muskingum {
            k,
            x,
            dt,
            c1: (dt - lo) / d,
            c2: (dt + lo) / d,
            c3: (hi - dt) / d,
        })
    }

    pub fn k(&self) -> f64 {
        self.k
    }

    pub fn x(&self) -> f64 {
        self.x
    }

    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// The routing coefficients (C1, C2, C3).
    pub fn coefficients(&self) -> (f64, f64, f64) {
        (self.c1, self.c2, self.c3)
    }

    /// Routes `inflow` (one value per Δt): the outflow series, starting at
    /// `initial_outflow`, same length as `inflow`.
    pub fn route(&self, inflow: &[f64], initial_outflow: f64) -> Vec<f64> {
        let mut out = Vec::with_capacity(inflow.len());
        if inflow.is_empty() {
            return out;
        }
        let mut o = initial_outflow;
        out.push(o);
        for w in inflow.windows(2) {
            o = self.c1 * w[1] + self.c2 * w[0] + self.c3 * o;
            out.push(o);
        }
        out
    }
}

/// Routes `inflow` through reaches in sequence (upstream first), each starting in steady
/// state (outflow = its first inflow). Returns the outflow of the last reach.
pub fn route_reaches(reaches: &[Muskingum], inflow: &[f64]) -> Vec<f64> {
    let mut flow = inflow.to_vec();
    for reach in reaches {
        let start = flow.first().copied().unwrap_or(0.0);
        flow = reach.route(&flow, start);
    }
    flow
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chow, Maidment & Mays (1988), Applied Hydrology, Example 8.4.1: K = 2.3 h, X = 0.15,
    /// Δt = 1 h give C1 = 0.0631, C2 = 0.3442, C3 = 0.5927 (the book's figures). By hand:
    /// 2KX = 0.69, 2K(1 − X) = 3.91, D = 4.91, so C1 = 0.31/4.91, C2 = 1.69/4.91,
    /// C3 = 2.91/4.91.
    #[test]
    fn chow_example_8_4_1_coefficients() {
        let m = Muskingum::new(2.3, 0.15, 1.0).unwrap();
        let (c1, c2, c3) = m.coefficients();
        assert_eq!(
            [c1, c2, c3].map(|c| (c * 1e4).round() / 1e4),
            [0.0631, 0.3442, 0.5927]
        );
        assert!((c1 - 0.31 / 4.91).abs() < 1e-15);
        assert!((c1 + c2 + c3 - 1.0).abs() < 1e-15);
    }

    /// The same reach routing a small flood, every step checkable by hand
    /// (O(t+1) = (0.31·I(t+1) + 1.69·I(t) + 2.91·O(t)) / 4.91):
    /// O2 = (0.31·30 + 1.69·10 + 2.91·10)/4.91 = 55.3/4.91 = 11.2627;
    /// O3 = (15.5 + 50.7 + 2.91·11.2627)/4.91 = 20.1577;
    /// O4 = (9.3 + 84.5 + 2.91·20.1577)/4.91 = 31.0507;
    /// O5 = (3.1 + 50.7 + 2.91·31.0507)/4.91 = 29.3600;
    /// O6 = (3.1 + 16.9 + 2.91·29.3600)/4.91 = 21.4741.
    /// The peak is attenuated (50 → 31.05) and delayed by one step.
    #[test]
    fn hand_routed_flood() {
        let m = Muskingum::new(2.3, 0.15, 1.0).unwrap();
        let out = m.route(&[10.0, 30.0, 50.0, 30.0, 10.0, 10.0], 10.0);
        let expect = [10.0, 11.2627, 20.1577, 31.0507, 29.3600, 21.4741];
        for (o, e) in out.iter().zip(expect) {
            assert!((o - e).abs() < 5e-5, "{out:?}");
        }
    }

    #[test]
    fn volume_is_conserved_and_steady_state_kept() {
        let m = Muskingum::new(12.0, 0.2, 6.0).unwrap();
        let mut inflow = vec![20.0; 200];
        for (i, q) in [(3, 50.0), (4, 120.0), (5, 90.0), (6, 60.0), (7, 35.0)] {
            inflow[i] = q;
        }
        let out = route_reaches(&[m, m, m], &inflow);
        let vin: f64 = inflow.iter().map(|q| q - 20.0).sum();
        let vout: f64 = out.iter().map(|q| q - 20.0).sum();
        assert!((vin - vout).abs() < 1e-6, "{vin} {vout}");
        assert!((out[199] - 20.0).abs() < 1e-9);
        let peak_in = inflow.iter().cloned().fold(0.0, f64::max);
        let peak_out = out.iter().cloned().fold(0.0, f64::max);
        assert!(peak_out < peak_in);
    }

    #[test]
    fn unstable_reaches_are_refused() {
        // Δt = 10 h > 2K(1 − X) = 3.91 h: C3 < 0.
        let e = Muskingum::new(2.3, 0.15, 10.0).unwrap_err();
        assert!(e.to_string().contains("unstable"), "{e}");
        // Δt = 0.5 h < 2KX = 0.69 h: C1 < 0.
        assert!(Muskingum::new(2.3, 0.15, 0.5).is_err());
        assert!(Muskingum::new(2.3, 0.6, 1.0).is_err());
        assert!(Muskingum::new(2.3, -0.1, 1.0).is_err());
        assert!(Muskingum::new(0.0, 0.1, 1.0).is_err());
        assert!(Muskingum::new(2.3, 0.1, -1.0).is_err());
        // The bounds themselves are allowed.
        assert!(Muskingum::new(2.3, 0.15, 2.0 * 2.3 * 0.15).is_ok());
        assert!(Muskingum::new(2.3, 0.15, 2.0 * 2.3 * (1.0 - 0.15)).is_ok());
    }
}
