use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::FieldError;

/// Parses an ISO 8601 calendar date (`2024-02-29`), refusing impossible ones
/// (`2023-02-29`, `2024-13-01`) with a message that says why.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate, FieldError> {
    let s = s.trim();
    let parts: Vec<&str> = s.split('-').collect();
    let shaped = parts.len() == 3
        && parts[0].len() == 4
        && parts[1].len() == 2
        && parts[2].len() == 2
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if !shaped {
        return Err(FieldError::new(
            field,
            format!("`{s}` is not a date: write it as YYYY-MM-DD, e.g. 2024-03-31"),
        ));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        FieldError::new(
            field,
            format!("`{s}` is an impossible date (no such day in the calendar)"),
        )
    })
}

/// The period an observation describes: a closed range of days, with the label the
/// source used. Written `2024`, `2024-06`, `2024-06-30`, `2022-2025`,
/// `2024-01-01/2024-06-30` (ISO 8601 interval).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    pub fn day(d: NaiveDate) -> Self {
        Period { start: d, end: d }
    }

    pub fn year(y: i32) -> Option<Self> {
        Some(Period {
            start: NaiveDate::from_ymd_opt(y, 1, 1)?,
            end: NaiveDate::from_ymd_opt(y, 12, 31)?,
        })
    }

    pub fn parse(field: &str, s: &str) -> Result<Period, FieldError> {
        let s = s.trim();
        let bad = || {
            FieldError::new(
                field,
                format!(
                    "`{s}` is not a period: write 2024, 2024-06, 2024-06-30, 2022-2025 or 2024-01-01/2024-06-30"
                ),
            )
        };
        if let Some((a, b)) = s.split_once('/') {
            let p = Period {
                start: Self::parse(field, a)?.start,
                end: Self::parse(field, b)?.end,
            };
            return p.checked(field, s);
        }
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        match s.len() {
            4 if digits(s) => Self::year(s.parse().map_err(|_| bad())?).ok_or_else(bad),
            7 if digits(&s[..4]) && &s[4..5] == "-" && digits(&s[5..]) => {
                let y: i32 = s[..4].parse().map_err(|_| bad())?;
                let m: u32 = s[5..].parse().map_err(|_| bad())?;
                let start = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(|| {
                    FieldError::new(field, format!("`{s}`: there is no month {m}"))
                })?;
                let next = if m == 12 {
                    NaiveDate::from_ymd_opt(y + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(y, m + 1, 1)
                }
                .ok_or_else(bad)?;
                Ok(Period {
                    start,
                    end: next.pred_opt().ok_or_else(bad)?,
                })
            }
            9 if digits(&s[..4]) && &s[4..5] == "-" && digits(&s[5..]) => {
                let a = Self::year(s[..4].parse().map_err(|_| bad())?).ok_or_else(bad)?;
                let b = Self::year(s[5..].parse().map_err(|_| bad())?).ok_or_else(bad)?;
                Period {
                    start: a.start,
                    end: b.end,
                }
                .checked(field, s)
            }
            10 => parse_date(field, s).map(Period::day),
            _ => Err(bad()),
        }
    }

    /// Like [`Period::parse`], and also `unspecified` (or `non précisée`): a figure
    /// whose source gives no period (`None`).
    pub fn parse_stated(field: &str, s: &str) -> Result<Option<Period>, FieldError> {
        if is_unspecified(s) {
            Ok(None)
        } else {
            Self::parse(field, s).map(Some).map_err(|mut e| {
                e.message
                    .push_str(", or `unspecified` when the source gives no period");
                e
            })
        }
    }

    fn checked(self, field: &str, s: &str) -> Result<Period, FieldError> {
        if self.end < self.start {
            Err(FieldError::new(
                field,
                format!("`{s}` ends before it starts"),
            ))
        } else {
            Ok(self)
        }
    }
}

/// The written forms of "the source gives no period".
pub const UNSPECIFIED: &str = "unspecified";

fn is_unspecified(s: &str) -> bool {
    let s = s.trim();
    s.eq_ignore_ascii_case(UNSPECIFIED)
        || s.eq_ignore_ascii_case("non précisée")
        || s.eq_ignore_ascii_case("non precisee")
}

/// A period or [`UNSPECIFIED`], as written in files and the API.
pub fn stated_period_text(p: Option<&Period>) -> String {
    p.map_or_else(|| UNSPECIFIED.to_owned(), Period::to_string)
}

impl fmt::Display for Period {
    /// The shortest text that parses back to the same period.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, e) = (self.start, self.end);
        let year_start = s.month() == 1 && s.day() == 1;
        let year_end = e.month() == 12 && e.day() == 31;
        let month_end = e.succ_opt().is_some_and(|n| n.day() == 1);
        if s == e {
            write!(f, "{s}")
        } else if year_start && year_end && s.year() == e.year() {
            write!(f, "{}", s.year())
        } else if year_start && year_end {
            write!(f, "{}-{}", s.year(), e.year())
        } else if s.day() == 1 && month_end && s.year() == e.year() && s.month() == e.month() {
            write!(f, "{}-{:02}", s.year(), s.month())
        } else {
            write!(f, "{s}/{e}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse("period", s).unwrap()
    }

    #[test]
    fn periods_parse_and_print_back() {
        for s in [
            "2024",
            "2022-2025",
            "2024-02",
            "2024-02-29",
            "2024-01-15/2024-06-30",
        ] {
            assert_eq!(p(s).to_string(), s);
        }
        assert_eq!(
            p("2024-02").end,
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
    }

    #[test]
    fn an_unspecified_period_is_a_value_of_its_own() {
        assert_eq!(Period::parse_stated("period", "unspecified").unwrap(), None);
        assert_eq!(
            Period::parse_stated("period", " Non précisée ").unwrap(),
            None
        );
        assert_eq!(
            Period::parse_stated("period", "2024").unwrap(),
            Some(p("2024"))
        );
        let e = Period::parse_stated("period", "2016-24").unwrap_err();
        assert!(e.message.contains("unspecified"), "{e}");
        assert_eq!(stated_period_text(None), "unspecified");
        assert_eq!(stated_period_text(Some(&p("2022-2026"))), "2022-2026");
        // A bare parse still refuses it: only places that accept no period say so.
        assert!(Period::parse("period", "unspecified").is_err());
    }

    #[test]
    fn impossible_dates_are_refused() {
        let e = parse_date("start", "2023-02-29").unwrap_err();
        assert!(e.message.contains("impossible"), "{e}");
        assert!(parse_date("start", "31/12/2024").is_err());
        assert!(Period::parse("period", "2025-2022").is_err());
        assert!(Period::parse("period", "2024-13").is_err());
    }
}
