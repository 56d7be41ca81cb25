//! Validation of incoming observations (issue 17, item 5): range, rate of change, stuck
//! sensor, gaps, duplicates and out-of-order times. Nothing is dropped: each finding is
//! a bit of [`flag`] on the stored observation, and [`reasons`] words it again when the
//! observation is read (its `resultQuality`).
//!
//! The rules are the datastream's `properties` (each optional):
//! `range: [min, max]`, `maxRateOfChange` (units per second), `stuckCount` (that many
//! equal values in a row are a stuck sensor), `maxGap` (seconds between consecutive
//! observations).

use serde_json::{Value, json};
use territoria_timeseries::{Point, flag};

/// A datastream's validation rules, read from its `properties`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rules {
    pub range: Option<(f64, f64)>,
    pub max_rate: Option<f64>,
    pub stuck: Option<u32>,
    pub max_gap_ms: Option<i64>,
}

impl Rules {
    pub fn of(properties: Option<&Value>) -> Rules {
        let Some(p) = properties else {
            return Rules::default();
        };
        let range = p.get("range").and_then(Value::as_array).and_then(|a| {
            match (a.first()?.as_f64(), a.get(1)?.as_f64()) {
                (Some(lo), Some(hi)) if lo <= hi => Some((lo, hi)),
                _ => None,
            }
        });
        Rules {
            range,
            max_rate: p
                .get("maxRateOfChange")
                .and_then(Value::as_f64)
                .filter(|r| *r >= 0.0),
            stuck: p
                .get("stuckCount")
                .and_then(Value::as_u64)
                .filter(|n| *n >= 2)
                .map(|n| n.min(u64::from(u32::MAX)) as u32),
            max_gap_ms: p
                .get("maxGap")
                .and_then(Value::as_f64)
                .filter(|g| *g > 0.0)
                .map(|g| (g * 1000.0) as i64),
        }
    }

    /// Checks the properties a client gives a datastream: a rule that is there but
    /// malformed is refused rather than ignored. Returns the field and the problem.
    pub fn check(properties: &Value) -> Result<(), (String, String)> {
        if let Some(r) = properties.get("range") {
            let ok = r.as_array().is_some_and(|a| {
                a.len() == 2
                    && matches!((a[0].as_f64(), a[1].as_f64()), (Some(lo), Some(hi)) if lo <= hi)
            });
            if !ok {
                return Err((
                    "properties.range".into(),
                    "[min, max] expected, min ≤ max".into(),
                ));
            }
        }
        for (k, what) in [
            ("maxRateOfChange", "a number ≥ 0 (units per second)"),
            ("maxGap", "a number of seconds > 0"),
        ] {
            if let Some(v) = properties.get(k) {
                if v.as_f64()
                    .is_none_or(|x| x < 0.0 || (k == "maxGap" && x == 0.0))
                {
                    return Err((format!("properties.{k}"), format!("{what} expected")));
                }
            }
        }
        if let Some(v) = properties.get("stuckCount") {
            if v.as_u64().is_none_or(|n| n < 2) {
                return Err((
                    "properties.stuckCount".into(),
                    "a whole number ≥ 2 expected".into(),
                ));
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        *self == Rules::default()
    }
}

/// What validation remembers of a datastream: its newest observation and how many equal
/// values end its series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tail {
    pub t: i64,
    pub v: f64,
    pub run: u32,
}

/// Flags one observation against the rules and the datastream's tail (updated when the
/// observation is the newest). `stored_at(t)`: whether an observation with time `t` is
/// already stored or earlier in the batch (asked only for out-of-order times).
pub fn check(
    rules: &Rules,
    tail: &mut Option<Tail>,
    t: i64,
    v: f64,
    stored_at: impl FnOnce(i64) -> bool,
) -> u8 {
    let mut flags = 0u8;
    if let Some((lo, hi)) = rules.range {
        if v < lo || v > hi {
            flags |= flag::RANGE;
        }
    }
    match tail {
        None => *tail = Some(Tail { t, v, run: 1 }),
        Some(last) if t < last.t => {
            flags |= flag::OUT_OF_ORDER;
            if stored_at(t) {
                flags |= flag::DUPLICATE;
            }
        }
        Some(last) => {
            if t == last.t {
                flags |= flag::DUPLICATE;
            } else {
                let dt = (t - last.t) as f64 / 1000.0;
                if rules.max_rate.is_some_and(|r| (v - last.v).abs() / dt > r) {
                    flags |= flag::RATE_OF_CHANGE;
                }
                if rules.max_gap_ms.is_some_and(|g| t - last.t > g) {
                    flags |= flag::GAP_BEFORE;
                }
            }
            let run = if v == last.v {
                last.run.saturating_add(1)
            } else {
                1
            };
            if rules.stuck.is_some_and(|n| run >= n) {
                flags |= flag::STUCK;
            }
            *last = Tail { t, v, run };
        }
    }
    flags
}

/// The tail of a stored series (its points sorted by time, the newest last).
pub fn tail_of(points: &[Point]) -> Option<Tail> {
    let last = points.last()?;
    let run = points.iter().rev().take_while(|p| p.v == last.v).count() as u32;
    Some(Tail {
        t: last.t,
        v: last.v,
        run,
    })
}

/// The observation's `resultQuality`: one `{flag, reason}` per bit set, `null` when none.
pub fn reasons(flags: u8, rules: &Rules) -> Value {
    if flags == 0 {
        return Value::Null;
    }
    let mut out = Vec::new();
    let mut push = |bit: u8, name: &str, reason: String| {
        if flags & bit != 0 {
            out.push(json!({"flag": name, "reason": reason}));
        }
    };
    push(
        flag::RANGE,
        "range",
        match rules.range {
            Some((lo, hi)) => {
                format!("outside the datastream's range [{lo}, {hi}] (properties.range)")
            }
            None => "outside the datastream's range (properties.range)".into(),
        },
    );
    push(
        flag::RATE_OF_CHANGE,
        "rate_of_change",
        match rules.max_rate {
            Some(r) => format!(
                "changed faster than {r} per second since the previous observation (properties.maxRateOfChange)"
            ),
            None => "changed faster than allowed (properties.maxRateOfChange)".into(),
        },
    );
    push(
        flag::STUCK,
        "stuck",
        match rules.stuck {
            Some(n) => format!(
                "the same value {n} or more times in a row: a stuck sensor? (properties.stuckCount)"
            ),
            None => "the same value too many times in a row (properties.stuckCount)".into(),
        },
    );
    push(
        flag::GAP_BEFORE,
        "gap",
        match rules.max_gap_ms {
            Some(g) => format!(
                "more than {} s after the previous observation (properties.maxGap)",
                g as f64 / 1000.0
            ),
            None => "a gap before this observation (properties.maxGap)".into(),
        },
    );
    push(
        flag::DUPLICATE,
        "duplicate",
        "another observation of this datastream has the same phenomenonTime".into(),
    );
    push(
        flag::OUT_OF_ORDER,
        "out_of_order",
        "earlier than the datastream's newest observation when it arrived".into(),
    );
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_sets_its_flag_and_nothing_else() {
        let rules = Rules::of(Some(
            &json!({"range": [0, 10], "maxRateOfChange": 0.1, "stuckCount": 3, "maxGap": 600}),
        ));
        let mut tail = None;
        let mut run = |t: i64, v: f64| check(&rules, &mut tail, t * 1000, v, |_| false);
        assert_eq!(run(0, 5.0), 0);
        assert_eq!(run(60, 20.0), flag::RANGE | flag::RATE_OF_CHANGE);
        assert_eq!(run(120, 20.0), flag::RANGE);
        assert_eq!(run(180, 20.0), flag::RANGE | flag::STUCK);
        assert_eq!(run(180, 5.0), flag::DUPLICATE);
        assert_eq!(run(100, 5.0), flag::OUT_OF_ORDER);
        assert_eq!(run(2000, 5.5), flag::GAP_BEFORE);
        let r = reasons(flag::RANGE | flag::STUCK, &rules);
        assert_eq!(r[0]["flag"], "range");
        assert!(r[0]["reason"].as_str().unwrap().contains("[0, 10]"));
        assert_eq!(r[1]["flag"], "stuck");
        assert_eq!(reasons(0, &rules), Value::Null);
        assert!(Rules::check(&json!({"range": [3, 1]})).is_err());
        assert!(Rules::check(&json!({"stuckCount": 1})).is_err());
        assert!(Rules::check(&json!({"range": [1, 3], "other": "x"})).is_ok());
    }
}
