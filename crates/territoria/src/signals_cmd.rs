//! `territoria signals detect`: the outbreak detectors of `territoria-signals` on a count
//! series read from CSV. Wiring only: reading the file, picking the column, printing the
//! result; the methods are the engine's.
//!
//! Input: a header line, then one row per time point in order. A `week` column (or
//! `year, epochInYear`, as in the `surveillance` package's exports) numbers the rows; every
//! other column is a series. `t` is the 1-based row number, as in R (`range = 261:312`).
//! Cells `NA` or empty are missing values. Output on stdout:
//! `t,observed,upperbound,alarm` (upperbound empty where the method gives none, alarm 0/1).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use territoria_signals::Method;

#[derive(Subcommand)]
pub enum SignalsCommand {
    /// Run an outbreak detector on a weekly count series: `t,observed,upperbound,alarm` as
    /// CSV on stdout.
    Detect(DetectArgs),
}

#[derive(Args)]
pub struct DetectArgs {
    /// CSV with a `week` column (or `year,epochInYear`) and one column per series
    #[arg(long)]
    input: PathBuf,
    /// The series to analyse; `a+b+c` sums several columns
    #[arg(long, default_value = "observed")]
    column: String,
    /// The detector (settings as in R's surveillance 1.20.3)
    #[arg(long, value_enum)]
    method: MethodArg,
    /// Time points to evaluate, 1-based and inclusive: FROM..TO (e.g. 261..312)
    #[arg(long)]
    range: String,
    /// Time points per year (52 for weekly data)
    #[arg(long, default_value_t = 52)]
    frequency: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum MethodArg {
    /// EARS C1: baseline of the 7 previous weeks, α = 0.001
    #[value(name = "earsC_C1")]
    EarsC1,
    /// EARS C2: the same with a 2-week lag
    #[value(name = "earsC_C2")]
    EarsC2,
    /// EARS C3: C2 statistics of the two previous weeks, α = 0.025
    #[value(name = "earsC_C3")]
    EarsC3,
    /// Farrington (1996), b = 4 years, w = 3 weeks
    #[value(name = "farrington_classic_b4w3")]
    FarringtonClassic,
    /// farringtonFlexible, b = 4, the package's other defaults
    #[value(name = "farringtonFlexible_default_b4")]
    FarringtonFlexible,
    /// farringtonFlexible with Noufaily et al. (2013) settings, b = 4
    #[value(name = "farringtonFlexible_noufaily_b4")]
    FarringtonNoufaily,
    /// CUSUM, k = 1.04, h = 2.26
    #[value(name = "cusum_default")]
    Cusum,
}

impl From<MethodArg> for Method {
    fn from(m: MethodArg) -> Method {
        match m {
            MethodArg::EarsC1 => Method::EarsC1,
            MethodArg::EarsC2 => Method::EarsC2,
            MethodArg::EarsC3 => Method::EarsC3,
            MethodArg::FarringtonClassic => Method::FarringtonClassic,
            MethodArg::FarringtonFlexible => Method::FarringtonFlexible,
            MethodArg::FarringtonNoufaily => Method::FarringtonNoufaily,
            MethodArg::Cusum => Method::Cusum,
        }
    }
}

pub fn run(cmd: SignalsCommand) -> anyhow::Result<()> {
    match cmd {
        SignalsCommand::Detect(args) => detect(args),
    }
}

fn detect(args: DetectArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let table = Table::parse(&text, &args.input)?;
    let observed = table.series(&args.column, &args.input)?;
    let (from, to) = parse_range(&args.range)?;
    if from < 1 || to > observed.len() {
        bail!(
            "--range {from}..{to} is outside the series: {} has time points 1..{}",
            args.input.display(),
            observed.len()
        );
    }
    let method = Method::from(args.method);
    let detections = territoria_signals::detect(&observed, method, from..=to, args.frequency)
        .with_context(|| args.input.display().to_string())?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    writeln!(out, "t,observed,upperbound,alarm")?;
    for (t, d) in (from..=to).zip(&detections) {
        let x = observed[t - 1];
        let x = if x.is_nan() {
            String::new()
        } else {
            x.to_string()
        };
        let ub = d.upperbound.map_or_else(String::new, |u| u.to_string());
        writeln!(out, "{t},{x},{ub},{}", u8::from(d.alarm))?;
    }
    out.flush()?;
    Ok(())
}

fn parse_range(s: &str) -> anyhow::Result<(usize, usize)> {
    let bad =
        || format!("--range `{s}`: expected FROM..TO with 1-based time points, e.g. 261..312");
    let (a, b) = s.split_once("..").with_context(bad)?;
    let b = b.strip_prefix('=').unwrap_or(b);
    let from: usize = a.trim().parse().with_context(bad)?;
    let to: usize = b.trim().parse().with_context(bad)?;
    if from > to {
        bail!("--range `{s}`: FROM is after TO");
    }
    Ok((from, to))
}

/// Columns that number the rows rather than hold a series.
const TIME_COLUMNS: [&str; 3] = ["week", "year", "epochInYear"];

/// A CSV file split into cells, with the line number of each row.
struct Table {
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    fn parse(text: &str, path: &Path) -> anyhow::Result<Table> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, first)) = lines.next() else {
            bail!("{} is empty: expected a header line", path.display());
        };
        let sep = if !first.contains(',') && first.contains(';') {
            ';'
        } else {
            ','
        };
        let header = split(first, sep);
        let mut rows = Vec::new();
        for (i, line) in lines {
            let cells = split(line, sep);
            if cells.len() != header.len() {
                bail!(
                    "{}:{}: {} cells, the header has {}",
                    path.display(),
                    i + 1,
                    cells.len(),
                    header.len()
                );
            }
            rows.push((i + 1, cells));
        }
        if rows.is_empty() {
            bail!("{} has a header but no rows", path.display());
        }
        let table = Table { header, rows };
        table.check_weeks(path)?;
        Ok(table)
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// A `week` column, when there is one, must count the rows in steps of 1.
    fn check_weeks(&self, path: &Path) -> anyhow::Result<()> {
        let Some(c) = self.column("week") else {
            return Ok(());
        };
        let mut previous: Option<i64> = None;
        for (line, cells) in &self.rows {
            let cell = cells[c].trim();
            let week: i64 = cell.parse().with_context(|| {
                format!(
                    "{}:{line}: column `week`: `{cell}` is not a whole number",
                    path.display()
                )
            })?;
            if let Some(p) = previous
                && week != p + 1
            {
                bail!(
                    "{}:{line}: column `week`: {week} follows {p}; rows must be consecutive weeks",
                    path.display()
                );
            }
            previous = Some(week);
        }
        Ok(())
    }

    /// The series `spec`: one column, or several joined by `+` and summed.
    fn series(&self, spec: &str, path: &Path) -> anyhow::Result<Vec<f64>> {
        let series_columns: Vec<&str> = self
            .header
            .iter()
            .map(String::as_str)
            .filter(|h| !TIME_COLUMNS.contains(h))
            .collect();
        let mut total = vec![0.0; self.rows.len()];
        for name in spec.split('+').map(str::trim) {
            let Some(c) = self.column(name).filter(|_| !TIME_COLUMNS.contains(&name)) else {
                let near =
                    territoria_model::suggest::closest(name, series_columns.iter().copied(), 3);
                let hint = if near.is_empty() {
                    format!("the columns are: {}", series_columns.join(", "))
                } else {
                    format!("did you mean `{}`?", near.join("`, `"))
                };
                bail!("{}: no column `{name}`: {hint}", path.display());
            };
            for (sum, (line, cells)) in total.iter_mut().zip(&self.rows) {
                let cell = cells[c].trim();
                let v = if cell.is_empty() || cell == "NA" {
                    f64::NAN
                } else {
                    match cell.parse::<f64>() {
                        Ok(v) if v.is_finite() && v >= 0.0 => v,
                        _ => bail!(
                            "{}:{line}: column `{name}`: `{cell}` is not a count (a number ≥ 0, or NA)",
                            path.display()
                        ),
                    }
                };
                *sum += v;
            }
        }
        Ok(total)
    }
}

/// Splits one CSV line; double quotes around a cell are removed (`""` inside is a quote).
fn split(line: &str, sep: char) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => cells.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}
