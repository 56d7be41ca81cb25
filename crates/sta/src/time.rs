//! ISO 8601 instants as SensorThings writes them, to and from milliseconds since the
//! Unix epoch (UTC).

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// Parses an instant: RFC 3339 (`2024-06-01T10:00:00Z`, `…+02:00`), the basic offset
/// form (`…-0700`), a date-time without offset (taken as UTC) or a date alone (its
/// midnight, UTC). `None` when it is none of these.
pub fn parse(text: &str) -> Option<i64> {
    let s = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.timestamp_millis());
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Utc.from_utc_datetime(&t).timestamp_millis());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(
            Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?)
                .timestamp_millis(),
        );
    }
    None
}

/// Writes an instant as RFC 3339 in UTC (`Z`), with milliseconds only when it has some.
pub fn format(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        None => ms.to_string(),
    }
}

/// The calendar parts of an instant (UTC): year, month, day, hour, minute, second,
/// milliseconds.
pub fn parts(ms: i64) -> Option<[i64; 7]> {
    use chrono::{Datelike, Timelike};
    let t = Utc.timestamp_millis_opt(ms).single()?;
    Some([
        i64::from(t.year()),
        i64::from(t.month()),
        i64::from(t.day()),
        i64::from(t.hour()),
        i64::from(t.minute()),
        i64::from(t.second()),
        i64::from(t.timestamp_subsec_millis()),
    ])
}

/// Now, in milliseconds since the epoch.
pub fn now() -> i64 {
    Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_parse_in_every_offset_form_and_print_back_in_utc() {
        let t = parse("2010-12-23T10:20:00-0700").unwrap();
        assert_eq!(format(t), "2010-12-23T17:20:00Z");
        assert_eq!(parse("2010-12-23T17:20:00Z"), Some(t));
        assert_eq!(parse("2010-12-23T19:20:00+02:00"), Some(t));
        assert_eq!(parse("2010-12-23T17:20:00"), Some(t));
        assert_eq!(
            format(parse("2024-01-01T00:00:00.250Z").unwrap()),
            "2024-01-01T00:00:00.250Z"
        );
        assert_eq!(format(parse("2024-01-01").unwrap()), "2024-01-01T00:00:00Z");
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parts(t).unwrap()[..4], [2010, 12, 23, 17]);
    }
}
