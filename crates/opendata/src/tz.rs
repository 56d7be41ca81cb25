//! The `timezone` parameter: date-times are shown in the asked zone.
//!
//! Without a time-zone database, the zones are UTC (and its aliases) and the zones of the
//! European Union's summer-time rule (CET/CEST: last Sunday of March 01:00 UTC to last
//! Sunday of October 01:00 UTC), which cover Belgium and its neighbours; a fixed offset
//! (`+02:00`) is also accepted.

use territoria_odsql::{Date, DateTime};

/// A time zone the server can convert to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeZone {
    Utc,
    /// Central European Time with EU summer time.
    CentralEurope,
    /// Western European Time with EU summer time (Lisbon, London, Dublin).
    WesternEurope,
    /// A fixed offset in minutes.
    Fixed(i32),
}

const CET_ZONES: [&str; 14] = [
    "Europe/Brussels",
    "Europe/Paris",
    "Europe/Amsterdam",
    "Europe/Luxembourg",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/Copenhagen",
    "Europe/Stockholm",
    "Europe/Oslo",
    "Europe/Prague",
    "Europe/Warsaw",
];

impl TimeZone {
    /// Parses an IANA name (`UTC`, `Europe/Brussels`, …) or a fixed offset (`+02:00`).
    pub fn parse(name: &str) -> Option<TimeZone> {
        let n = name.trim();
        if ["UTC", "GMT", "Etc/UTC", "Etc/GMT", "Z", "Universal", "Zulu"]
            .iter()
            .any(|z| z.eq_ignore_ascii_case(n))
        {
            return Some(TimeZone::Utc);
        }
        if CET_ZONES.iter().any(|z| z.eq_ignore_ascii_case(n)) || n.eq_ignore_ascii_case("CET") {
            return Some(TimeZone::CentralEurope);
        }
        if ["Europe/London", "Europe/Lisbon", "Europe/Dublin", "WET"]
            .iter()
            .any(|z| z.eq_ignore_ascii_case(n))
        {
            return Some(TimeZone::WesternEurope);
        }
        let b = n.as_bytes();
        if b.len() == 6 && (b[0] == b'+' || b[0] == b'-') && b[3] == b':' {
            let h: i32 = n[1..3].parse().ok()?;
            let m: i32 = n[4..6].parse().ok()?;
            if h > 14 || m > 59 {
                return None;
            }
            let o = h * 60 + m;
            return Some(TimeZone::Fixed(if b[0] == b'-' { -o } else { o }));
        }
        None
    }

    /// The offset from UTC at instant `t`, in minutes.
    pub fn offset_minutes(self, t: DateTime) -> i32 {
        let summer = |base: i32| {
            let (y, _, _) = t.date().ymd();
            let start = last_sunday(y, 3);
            let end = last_sunday(y, 10);
            let ms = t.millis();
            let at = |d: Date| d.to_datetime().millis() + 3_600_000;
            if ms >= at(start) && ms < at(end) {
                base + 60
            } else {
                base
            }
        };
        match self {
            TimeZone::Utc => 0,
            TimeZone::Fixed(m) => m,
            TimeZone::CentralEurope => summer(60),
            TimeZone::WesternEurope => summer(0),
        }
    }

    /// `2024-05-07T10:11:12+02:00` (milliseconds when there are some).
    pub fn format(self, t: DateTime) -> String {
        let off = self.offset_minutes(t);
        let local = DateTime::from_millis(t.millis() + i64::from(off) * 60_000);
        let mut s = local.to_string();
        s.pop(); // the `Z`
        let sign = if off < 0 { '-' } else { '+' };
        let a = off.abs();
        s.push_str(&format!("{sign}{:02}:{:02}", a / 60, a % 60));
        s
    }
}

fn last_sunday(y: i32, month: u32) -> Date {
    let last_day = match month {
        3 | 10 => 31,
        _ => 30,
    };
    let d = Date::from_ymd(y, month, last_day)
        .unwrap_or_else(|| Date::from_ymd(1970, 1, 1).expect("1970-01-01 exists"));
    // 1970-01-01 was a Thursday: weekday 0 = Monday.
    let weekday = (d.days_since_epoch() + 3).rem_euclid(7);
    let back = (weekday + 1) % 7; // days since the last Sunday
    let target = d.days_since_epoch() - back;
    let (yy, mm, dd) = date_of(target);
    Date::from_ymd(yy, mm, dd).unwrap_or(d)
}

fn date_of(days: i32) -> (i32, u32, u32) {
    DateTime::from_millis(i64::from(days) * 86_400_000)
        .date()
        .ymd()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brussels_summer_and_winter() {
        let tz = TimeZone::parse("Europe/Brussels").unwrap();
        let t = DateTime::parse("2024-07-01T10:00:00Z").unwrap();
        assert_eq!(tz.format(t), "2024-07-01T12:00:00+02:00");
        let t = DateTime::parse("2024-01-15T10:00:00Z").unwrap();
        assert_eq!(tz.format(t), "2024-01-15T11:00:00+01:00");
        // 2024-03-31 is the last Sunday of March; the change is at 01:00 UTC.
        let t = DateTime::parse("2024-03-31T00:59:00Z").unwrap();
        assert_eq!(tz.offset_minutes(t), 60);
        let t = DateTime::parse("2024-03-31T01:00:00Z").unwrap();
        assert_eq!(tz.offset_minutes(t), 120);
        assert_eq!(
            TimeZone::parse("UTC").unwrap().format(t),
            "2024-03-31T01:00:00+00:00"
        );
        assert_eq!(TimeZone::parse("-03:30"), Some(TimeZone::Fixed(-210)));
        assert_eq!(TimeZone::parse("Mars/Olympus"), None);
    }
}
