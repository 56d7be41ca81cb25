//! Every detector against the outputs of R's `surveillance` 1.20.3 (tests/data/README.md),
//! and on odd series.

mod reference;
mod robustness;
