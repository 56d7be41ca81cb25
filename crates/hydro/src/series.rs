//! Input series: a CSV file with a `date` column (`dd/mm/yyyy`, `dd/mm/yyyy HH:MM`, or ISO
//! `yyyy-mm-dd[ HH:MM[:SS]]`), precipitation `P` (mm), potential evapotranspiration `E` (mm)
//! and, optionally, the observed flow `Qmm` (mm per time step). Other columns (`T`, `Q`,
//! `Qls`, …) are ignored. Missing values are empty cells or `NA`/`NaN`: a missing
//! observation is skipped by the scores; a missing forcing inside the simulated period is an
//! error. The delimiter is `,` or `;` (whichever the header uses); a UTF-8 BOM is skipped.

use std::ops::Range;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::{HydroError, Model};

/// A time series read from a file.
#[derive(Clone, Debug)]
pub struct Series {
    /// The name used in error messages (usually the file's path).
    pub source: String,
    pub times: Vec<NaiveDateTime>,
    pub p: Vec<f64>,
    pub e: Vec<f64>,
    /// Observed flow (mm per time step), NaN where missing; `None` without a `Qmm` column.
    pub qobs: Option<Vec<f64>>,
    /// The file line of every row (the header is line 1).
    pub lines: Vec<u64>,
}

/// Parses a date or date-time as the input files and the periods write them. Returns the
/// time and whether only a date was given.
pub fn parse_time(text: &str) -> Option<(NaiveDateTime, bool)> {
    let t = text.trim();
    for f in ["%d/%m/%Y", "%Y-%m-%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Some((d.and_time(NaiveTime::MIN), true));
        }
    }
    for f in [
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return Some((d, false));
        }
    }
    None
}

/// A time as people write it: the date alone at midnight, else with hours and minutes.
pub fn show_time(t: NaiveDateTime) -> String {
    if t.time() == NaiveTime::MIN {
        t.format("%Y-%m-%d").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M").to_string()
    }
}

fn missing(cell: &str) -> bool {
    let c = cell.trim();
    c.is_empty() || c.eq_ignore_ascii_case("na") || c.eq_ignore_ascii_case("nan")
}

/// An inclusive period `FROM..TO`. A `TO` given as a date alone includes that whole day
/// (all the hours of an hourly series).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDateTime,
    /// `TO` as written (a date alone: its midnight).
    pub to: NaiveDateTime,
    /// Whether `TO` was a date alone.
    pub to_whole_day: bool,
    text: String,
}

impl Period {
    /// Parses `FROM..TO`, e.g. `1990-01-01..1999-12-31` or `2004-03-01..2008-12-31 23:00`.
    pub fn parse(text: &str) -> Result<Period, HydroError> {
        let bad = |reason: &str| HydroError::Period {
            what: "period".into(),
            period: format!("`{text}`"),
            reason: reason.into(),
        };
        let (a, b) = text.split_once("..").ok_or_else(|| {
            bad("write FROM..TO, e.g. 1990-01-01..1999-12-31 or 2004-03-01 00:00..2008-12-31")
        })?;
        let (from, _) = parse_time(a).ok_or_else(|| {
            bad(&format!(
                "`{a}` is not a date (yyyy-mm-dd, dd/mm/yyyy, optionally HH:MM)"
            ))
        })?;
        let (to, whole) = parse_time(b).ok_or_else(|| {
            bad(&format!(
                "`{b}` is not a date (yyyy-mm-dd, dd/mm/yyyy, optionally HH:MM)"
            ))
        })?;
        if to < from {
            return Err(bad("ends before it starts"));
        }
        Ok(Period {
            from,
            to,
            to_whole_day: whole,
            text: text.trim().to_owned(),
        })
    }

    /// The last instant the period includes.
    pub fn end(&self) -> NaiveDateTime {
        if self.to_whole_day {
            self.to + chrono::TimeDelta::days(1) - chrono::TimeDelta::nanoseconds(1)
        } else {
            self.to
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Series {
    /// Reads a series from a file.
    pub fn from_path(path: &Path) -> Result<Series, HydroError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| HydroError::Io {
            source_name: name.clone(),
            error,
        })?;
        Series::parse(&name, &text)
    }

    /// Parses CSV text; `source_name` names it in errors.
    pub fn parse(source_name: &str, text: &str) -> Result<Series, HydroError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let first = text.lines().next().unwrap_or("");
        let delimiter = if !first.contains(',') && first.contains(';') {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let csv_error = |e: csv::Error| {
            let line = e.position().map_or(0, |p| p.line());
            HydroError::Input {
                source_name: source_name.to_owned(),
                line,
                column: 1,
                field: "row".into(),
                message: e.to_string(),
            }
        };
        let headers = reader.headers().map_err(csv_error)?.clone();
        let find = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let need = |name: &str| {
            find(name).ok_or_else(|| HydroError::MissingColumn {
                source_name: source_name.to_owned(),
                column: name.to_owned(),
                found: headers.iter().collect::<Vec<_>>().join(", "),
            })
        };
        let (cd, cp, ce) = (need("date")?, need("P")?, need("E")?);
        let cq = find("Qmm");
        let mut s = Series {
            source: source_name.to_owned(),
            times: Vec::new(),
            p: Vec::new(),
            e: Vec::new(),
            qobs: cq.map(|_| Vec::new()),
            lines: Vec::new(),
        };
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).map_err(csv_error)? {
            let line = record.position().map_or(0, |p| p.line());
            let err = |col: usize, message: String| HydroError::Input {
                source_name: source_name.to_owned(),
                line,
                column: col + 1,
                field: headers[col].to_owned(),
                message,
            };
            let cell = |col: usize| record.get(col).unwrap_or("");
            let (time, _) = parse_time(cell(cd)).ok_or_else(|| {
                err(
                    cd,
                    format!(
                        "`{}` is not a date (dd/mm/yyyy[ HH:MM] or yyyy-mm-dd[ HH:MM])",
                        cell(cd)
                    ),
                )
            })?;
            if let Some(&prev) = s.times.last() {
                if time <= prev {
                    return Err(err(
                        cd,
                        format!(
                            "{} does not follow the previous row's {}",
                            show_time(time),
                            show_time(prev)
                        ),
                    ));
                }
            }
            let number = |col: usize| -> Result<f64, HydroError> {
                let c = cell(col);
                if missing(c) {
                    return Ok(f64::NAN);
                }
                c.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| err(col, format!("`{c}` is not a number")))
            };
            s.times.push(time);
            s.p.push(number(cp)?);
            s.e.push(number(ce)?);
            if let (Some(q), Some(cq)) = (s.qobs.as_mut(), cq) {
                q.push(number(cq)?);
            }
            s.lines.push(line);
        }
        if s.times.is_empty() {
            return Err(HydroError::Series(format!("{source_name}: no data rows")));
        }
        Ok(s)
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// The rows of `period` (`what` names it in errors, e.g. "--run"): the period must lie
    /// inside the series.
    pub fn range(&self, period: &Period, what: &str) -> Result<Range<usize>, HydroError> {
        let (first, last) = (self.times[0], self.times[self.len() - 1]);
        let bad = |reason: String| HydroError::Period {
            what: what.to_owned(),
            period: period.to_string(),
            reason,
        };
        if period.from < first || period.to > last {
            return Err(bad(format!(
                "outside the data of {} ({} to {})",
                self.source,
                show_time(first),
                show_time(last)
            )));
        }
        let start = self.times.partition_point(|t| *t < period.from);
        let end = self.times.partition_point(|t| *t <= period.end());
        if start >= end {
            return Err(bad(format!("no rows of {} fall in it", self.source)));
        }
        Ok(start..end)
    }

    /// Checks that the rows of `range` are one model time step apart and have both
    /// forcings.
    pub fn check(&self, range: Range<usize>, model: Model) -> Result<(), HydroError> {
        let step = model.time_step();
        for i in range.clone() {
            if i > range.start && self.times[i] - self.times[i - 1] != step {
                return Err(HydroError::Series(format!(
                    "{}:{}: {} is not one {} after the previous row ({}): {} needs a regular \
                     {}ly series",
                    self.source,
                    self.lines[i],
                    show_time(self.times[i]),
                    model.step_unit(),
                    show_time(self.times[i - 1]),
                    model.name().to_uppercase(),
                    model.step_unit()
                )));
            }
            for (name, v) in [("P", self.p[i]), ("E", self.e[i])] {
                if v.is_nan() || v < 0.0 {
                    return Err(HydroError::Series(format!(
                        "{}:{}: {name} is {} at {}: the model needs P and E at every step \
                         it simulates",
                        self.source,
                        self.lines[i],
                        if v.is_nan() {
                            "missing".to_owned()
                        } else {
                            format!("negative ({v})")
                        },
                        show_time(self.times[i])
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_locates_errors() {
        let s = Series::parse(
            "t.csv",
            "date,P,T,E,Q,Qmm\n01/01/1989,1.5,NA,0.2,NA,NA\n02/01/1989,0,3,0.4,1,\n",
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.p, [1.5, 0.0]);
        assert!(s.qobs.as_ref().unwrap().iter().all(|q| q.is_nan()));
        assert_eq!(s.lines, [2, 3]);

        let e = Series::parse("t.csv", "date,P,E\n01/01/1989,1,1\n02/01/1989,x,1\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "t.csv:3:2: P: `x` is not a number");
        let e = Series::parse("t.csv", "date,P,E\n31/02/1989,1,1\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.csv:2:1: date: `31/02/1989` is not a date"),
            "{e}"
        );
        let e = Series::parse("t.csv", "date,P,Q\n01/01/1989,1,1\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "t.csv: no column `E` (columns found: date, P, Q)");
        let e = Series::parse("t.csv", "date;P;E\n02/01/1989;1;1\n01/01/1989;1;1\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.csv:3:1: date:"), "{e}");
    }

    #[test]
    fn periods() {
        let text: String = std::iter::once("date,P,E\n".to_owned())
            .chain((0..48).map(|h| format!("2004-01-01 00:00,{},0\n", h)))
            .collect();
        // Same time on every row: refused as not increasing.
        assert!(Series::parse("h", &text).is_err());
        let text: String = std::iter::once("date,P,E\n".to_owned())
            .chain((0..48).map(|h| format!("{:02}/01/2004 {:02}:00,1,0\n", 1 + h / 24, h % 24)))
            .collect();
        let s = Series::parse("h", &text).unwrap();
        let r = s.range(&Period::parse("2004-01-01..2004-01-01").unwrap(), "--run");
        assert_eq!(r.unwrap(), 0..24);
        let r = s.range(&Period::parse("2004-01-01 12:00..2004-01-02").unwrap(), "x");
        assert_eq!(r.unwrap(), 12..48);
        let e = s
            .range(&Period::parse("2004-01-01..2004-01-03").unwrap(), "--run")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--run 2004-01-01..2004-01-03: outside")
        );
        assert!(Period::parse("2004-01-02..2004-01-01").is_err());
        assert!(Period::parse("2004-01-02").is_err());
        assert!(s.check(0..48, Model::Gr4h).is_ok());
        assert!(s.check(0..48, Model::Gr4j).is_err());
    }
}
