//! Hydrological models for Territoria (HydroNum): the GR4J (daily) and GR4H (hourly)
//! rainfall–runoff models as airGR (INRAE) computes them, Muskingum routing between reaches,
//! goodness-of-fit scores and automatic calibration. A pure engine: no HTTP, no store; the
//! only input it reads is a CSV series ([`Series`]).
//!
//! # GR4J and GR4H ([`gr4`])
//!
//! Four parameters: X1 production store capacity (mm), X2 groundwater exchange coefficient
//! (mm per step), X3 routing store capacity (mm), X4 unit-hydrograph time base (steps).
//! At each step, with precipitation P and potential evapotranspiration E (mm), production
//! store level S and routing store level R:
//!
//! - Interception: if P > E, net rainfall Pn = P − E fills the store with
//!   `Ps = X1·(1 − (S/X1)²)·tanh(Pn/X1) / (1 + (S/X1)·tanh(Pn/X1))`; otherwise net
//!   evaporation En = E − P empties it by
//!   `Es = S·(2 − S/X1)·tanh(En/X1) / (1 + (1 − S/X1)·tanh(En/X1))` (airGR caps the tanh
//!   arguments at 13).
//! - Percolation: `Perc = S·(1 − (1 + (S/(B·X1))⁴)^−¼)` with B = 9/4 (GR4J) or 21/4 (GR4H);
//!   the effective rainfall is `Pr = Pn − Ps + Perc`.
//! - Routing: 90 % of Pr goes through UH1 (time base X4), 10 % through UH2 (2·X4), with the
//!   S-curves `SH1(t) = (t/X4)^D` and `SH2(t) = ½(t/X4)^D` up to X4,
//!   `1 − ½(2 − t/X4)^D` up to 2·X4, D = 2.5 (GR4J) or 1.25 (GR4H).
//! - Exchange `F = X2·(R/X3)^3.5` (a loss when X2 < 0) is added to the routing store,
//!   which then releases `Qr = R·(1 − (1 + (R/X3)⁴)^−¼)`, and to UH2's output:
//!   `Qd = max(0, Q2 + F)`. The flow is `Q = Qr + Qd`.
//!
//! Initial states default to airGR's: S = 0.3·X1, R = 0.5·X3, empty unit hydrographs
//! ([`Gr4::initial_states`], [`Gr4::states_at`]); a run returns its final states.
//! References: Perrin, Michel & Andréassian (2003), J. Hydrol. 279, 275–289 (GR4J);
//! Mathevet (2005) and Le Moine (2008), theses, Cemagref/UPMC (GR4H).
//!
//! # The rest
//!
//! - [`muskingum`]: `O(t+1) = C1·I(t+1) + C2·I(t) + C3·O(t)`, refused when a coefficient
//!   would be negative.
//! - [`scores`]: NSE, KGE (2009), RMSE and the persistence index, skipping missing
//!   observations.
//! - [`calibrate`]: DDS (Tolson & Shoemaker, 2007), seeded and deterministic, on KGE or NSE.
//! - [`Plan`]: a warm-up and a run period checked against a [`Series`], simulated or
//!   calibrated.
//!
//! Validated against airGR's published results on its example catchments L0123001 (GR4J)
//! and L0123003 (GR4H): `tests/reference.rs`.

pub mod calibrate;
mod error;
pub mod gr4;
pub mod muskingum;
mod plan;
pub mod scores;
mod series;

pub use calibrate::{Calibration, Objective};
pub use error::HydroError;
pub use gr4::{Gr4, Model, Params, Simulation, States};
pub use muskingum::Muskingum;
pub use plan::{Outcome, Plan};
pub use scores::Scores;
pub use series::{Period, Series, parse_time, show_time};
