//! One error type for the crate: the user's mistakes (bad parameters, bad input files,
//! periods outside the data) say what and where; there are no internal failures to report
//! beyond I/O while reading a series.

/// What went wrong, and where when it comes from a file.
#[derive(Debug, thiserror::Error)]
pub enum HydroError {
    /// A model parameter outside its domain (e.g. X1 ≤ 0).
    #[error("parameter {name} = {value}: {reason}")]
    Parameter {
        name: &'static str,
        value: f64,
        reason: String,
    },
    /// Wrong number of parameters, unparsable parameter text, or an invalid option.
    #[error("{0}")]
    Invalid(String),
    /// A Muskingum reach whose coefficients would be negative (unstable, oscillating).
    #[error(
        "Muskingum K = {k}, X = {x}, Δt = {dt}: unstable; the scheme needs 0 ≤ X ≤ 0.5 and \
         2·K·X ≤ Δt ≤ 2·K·(1 − X) (here {lo} ≤ Δt ≤ {hi}); choose a time step in that range \
         or split the reach"
    )]
    MuskingumUnstable {
        k: f64,
        x: f64,
        dt: f64,
        lo: f64,
        hi: f64,
    },
    /// A value in an input file that cannot be read: line and column are 1-based; the
    /// line counts the header as line 1.
    #[error("{source_name}:{line}:{column}: {field}: {message}")]
    Input {
        source_name: String,
        line: u64,
        column: usize,
        field: String,
        message: String,
    },
    /// A required column absent from the header.
    #[error("{source_name}: no column `{column}` (columns found: {found})")]
    MissingColumn {
        source_name: String,
        column: String,
        found: String,
    },
    /// A period not (entirely) inside the series.
    #[error("{what} {period}: {reason}")]
    Period {
        what: String,
        period: String,
        reason: String,
    },
    /// Input series of different lengths, or a missing forcing value inside the simulated
    /// period.
    #[error("{0}")]
    Series(String),
    /// Reading the file failed.
    #[error("{source_name}: {error}")]
    Io {
        source_name: String,
        error: std::io::Error,
    },
}
