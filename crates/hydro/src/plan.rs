//! A run over a series: the warm-up period (simulated, not scored) and the run period
//! (simulated and scored), checked against the data once.

use std::ops::Range;

use crate::calibrate::{self, Calibration, Problem};
use crate::{Gr4, HydroError, Model, Params, Period, Scores, Series, Simulation, States};

/// Which rows of a series a run simulates and scores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub model: Model,
    /// First simulated row (the warm-up's start, or the run's without warm-up).
    pub start: usize,
    /// The scored rows. Rows between the warm-up's end and the run's start, if any, are
    /// simulated as warm-up.
    pub run: Range<usize>,
}

/// A simulation over a plan's rows and its scores over the run period.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Over `plan.simulated()`.
    pub simulation: Simulation,
    /// Over `plan.run`; `None` when the series has no observed flow.
    pub scores: Option<Scores>,
}

impl Plan {
    /// Checks the periods against the series: both inside the data, the warm-up before the
    /// run, a regular time step of the model's length and both forcings on every simulated
    /// row.
    pub fn new(
        series: &Series,
        model: Model,
        warmup: Option<&Period>,
        run: &Period,
    ) -> Result<Plan, HydroError> {
        let run_rows = series.range(run, "--run")?;
        let start = match warmup {
            Some(w) => {
                let rows = series.range(w, "--warmup")?;
                if w.end() >= run.from {
                    return Err(HydroError::Period {
                        what: "--warmup".into(),
                        period: w.to_string(),
                        reason: format!("must end before the run period {run} starts"),
                    });
                }
                rows.start
            }
            None => run_rows.start,
        };
        series.check(start..run_rows.end, model)?;
        Ok(Plan {
            model,
            start,
            run: run_rows,
        })
    }

    /// All simulated rows (warm-up and run).
    pub fn simulated(&self) -> Range<usize> {
        self.start..self.run.end
    }

    /// The run period's rows as offsets into the simulated rows.
    pub fn scored(&self) -> Range<usize> {
        self.run.start - self.start..self.run.end - self.start
    }

    /// Simulates with `params` from `initial` (airGR's defaults when `None`).
    pub fn simulate(
        &self,
        series: &Series,
        params: Params,
        initial: Option<States>,
    ) -> Result<Outcome, HydroError> {
        let m = Gr4::new(self.model, params)?;
        let rows = self.simulated();
        let simulation = m.simulate(&series.p[rows.clone()], &series.e[rows], initial)?;
        let scores = series
            .qobs
            .as_ref()
            .map(|q| Scores::compute(&q[self.run.clone()], &simulation.q[self.scored()]));
        Ok(Outcome { simulation, scores })
    }

    /// Calibrates the parameters on the run period's observations (from airGR's default
    /// initial states at the warm-up's start).
    pub fn calibrate(
        &self,
        series: &Series,
        options: &calibrate::Options,
    ) -> Result<Calibration, HydroError> {
        let obs = series.qobs.as_ref().ok_or_else(|| {
            HydroError::Series(format!(
                "{}: no `Qmm` column: calibration needs observed flows",
                series.source
            ))
        })?;
        let rows = self.simulated();
        calibrate::calibrate(
            &Problem {
                model: self.model,
                p: &series.p[rows.clone()],
                e: &series.e[rows.clone()],
                obs: &obs[rows],
                scored: self.scored(),
            },
            options,
        )
    }
}
