//! Time functions: `strftime`, `strptime`, `relative_time`, and `convert ctime`.
//! firedrill runs in UTC (a Splunk user's time zone is not known offline).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use std::fmt::Write;

/// The current time in epoch seconds.
pub fn now() -> f64 {
    Utc::now().timestamp_millis() as f64 / 1000.0
}

/// Splunk's extra format codes mapped to chrono's (`%Q` milliseconds, `%N` nanos...).
fn chrono_format(fmt: &str) -> String {
    fmt.replace("%3Q", "%3f")
        .replace("%6Q", "%6f")
        .replace("%9Q", "%9f")
        .replace("%Q", "%3f")
        .replace("%9N", "%9f")
        .replace("%N", "%9f")
        .replace("%6N", "%6f")
        .replace("%3N", "%3f")
}

/// A strftime format for parsing: a subsecond code after a dot (`.%N`, `.%3N`, `.%Q`…)
/// takes however many digits the text has, as chrono's `%.f` does.
fn parse_format(fmt: &str) -> String {
    let mut f = fmt.to_string();
    for code in ["%3N", "%6N", "%9N", "%N", "%3Q", "%6Q", "%9Q", "%Q"] {
        f = f.replace(&format!(".{code}"), "%.f");
    }
    chrono_format(&f)
}

/// Seconds with microseconds, as Splunk keeps `_time`.
fn seconds<Tz: TimeZone>(dt: &DateTime<Tz>) -> f64 {
    dt.timestamp_micros() as f64 / 1e6
}

/// Formats epoch seconds with a strftime format; `None` for a bad format or time.
pub fn strftime(t: f64, fmt: &str) -> Option<String> {
    let secs = t.floor() as i64;
    let nanos = ((t - t.floor()) * 1e9) as u32;
    let dt = Utc.timestamp_opt(secs, nanos).single()?;
    let mut out = String::new();
    write!(out, "{}", dt.format(&chrono_format(fmt))).ok()?;
    Some(out)
}

/// Parses a time string with a strftime format into epoch seconds.
pub fn strptime(s: &str, fmt: &str) -> Option<f64> {
    let f = parse_format(fmt);
    if let Ok(dt) = DateTime::parse_from_str(s, &f) {
        return Some(seconds(&dt));
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, &f) {
        return Some(seconds(&dt.and_utc()));
    }
    NaiveDate::parse_from_str(s, &f)
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp() as f64)
}

/// Parses a time at the start of `s` with a strftime format, ignoring what follows
/// (a timestamp inside an event: `TIME_FORMAT`); a time without an offset is UTC, a
/// date without a time is midnight, and a format without a year (syslog's
/// `%b %d %H:%M:%S`) takes the current year, as Splunk does.
pub fn strptime_prefix(s: &str, fmt: &str) -> Option<f64> {
    let f = parse_format(fmt);
    if let Ok((dt, _)) = DateTime::parse_and_remainder(s, &f) {
        return Some(seconds(&dt));
    }
    if let Ok((dt, _)) = NaiveDateTime::parse_and_remainder(s, &f) {
        return Some(seconds(&dt.and_utc()));
    }
    if let Ok((d, _)) = NaiveDate::parse_and_remainder(s, &f) {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|dt| dt.and_utc().timestamp() as f64);
    }
    if !f.contains("%Y") && !f.contains("%y") && !f.contains("%s") && !f.contains("%G") {
        let year = Utc::now().year();
        return strptime_prefix(&format!("{year} {s}"), &format!("%Y {fmt}"));
    }
    None
}

/// Whether chrono can use a strftime format (Splunk's `%N`/`%Q` codes included).
pub fn check_format(fmt: &str) -> Result<(), String> {
    if fmt.trim().is_empty() {
        return Err("an empty format".into());
    }
    let f = chrono_format(fmt);
    if chrono::format::StrftimeItems::new(&f).any(|i| matches!(i, chrono::format::Item::Error)) {
        return Err(format!(
            "`{fmt}` is not a strftime format firedrill can read"
        ));
    }
    Ok(())
}

/// `relative_time(t, "-1d@d")`: offsets (`+N`/`-N` with s, m, h, d, w, mon, y) and an
/// optional snap (`@d`, `@h`, `@w0`...).
pub fn relative_time(t: f64, spec: &str) -> Option<f64> {
    let spec = spec.trim();
    if spec == "now" {
        return Some(t);
    }
    let (offsets, snap) = match spec.split_once('@') {
        Some((o, s)) => (o, Some(s)),
        None => (spec, None),
    };
    let mut dt = Utc.timestamp_opt(t.floor() as i64, 0).single()?;
    let mut rest = offsets;
    while !rest.is_empty() {
        let sign = match rest.chars().next()? {
            '+' => 1,
            '-' => -1,
            _ => return None,
        };
        rest = &rest[1..];
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        rest = &rest[digits.len()..];
        let n: i64 = if digits.is_empty() {
            1
        } else {
            digits.parse().ok()?
        };
        let unit: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        rest = &rest[unit.len()..];
        dt = shift(dt, sign * n, &unit)?;
    }
    if let Some(s) = snap {
        dt = snap_to(dt, s)?;
    }
    Some(dt.timestamp() as f64)
}

fn shift(dt: DateTime<Utc>, n: i64, unit: &str) -> Option<DateTime<Utc>> {
    Some(match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => dt + Duration::seconds(n),
        "m" | "min" | "mins" | "minute" | "minutes" => dt + Duration::minutes(n),
        "h" | "hr" | "hrs" | "hour" | "hours" => dt + Duration::hours(n),
        "d" | "day" | "days" => dt + Duration::days(n),
        "w" | "week" | "weeks" => dt + Duration::weeks(n),
        "mon" | "month" | "months" => {
            let total = dt.year() as i64 * 12 + dt.month0() as i64 + n;
            let (y, m) = (total.div_euclid(12) as i32, total.rem_euclid(12) as u32 + 1);
            dt.with_day(1)?.with_year(y)?.with_month(m)?
        }
        "y" | "yr" | "year" | "years" => dt.with_year(dt.year() + n as i32)?,
        _ => return None,
    })
}

fn snap_to(dt: DateTime<Utc>, unit: &str) -> Option<DateTime<Utc>> {
    let day = dt.with_hour(0)?.with_minute(0)?.with_second(0)?;
    Some(match unit {
        "s" => dt,
        "m" => dt.with_second(0)?,
        "h" => dt.with_minute(0)?.with_second(0)?,
        "d" => day,
        "w" | "w0" => day - Duration::days(dt.weekday().num_days_from_sunday() as i64),
        "mon" => day.with_day(1)?,
        "y" => day.with_day(1)?.with_month(1)?,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctime_format_used_by_security_content() {
        assert_eq!(
            strftime(1_600_000_000.5, "%Y-%m-%dT%H:%M:%S").as_deref(),
            Some("2020-09-13T12:26:40")
        );
        assert_eq!(strftime(0.0, "%Q"), Some("000".into()));
        assert_eq!(
            strftime(0.0, "%Y-%m-%dT%H:%M:%S.%Q"),
            Some("1970-01-01T00:00:00.000".into())
        );
        assert!(strftime(0.0, "%!").is_none());
    }

    #[test]
    fn relative_time_offsets_and_snaps() {
        let t = 1_600_000_000.0; // 2020-09-13T12:26:40Z
        assert_eq!(relative_time(t, "-1d@d"), Some(1_599_868_800.0));
        assert_eq!(relative_time(t, "+1h"), Some(t + 3600.0));
        assert_eq!(relative_time(t, "bogus"), None);
    }

    #[test]
    fn strptime_round_trips() {
        assert_eq!(
            strptime("2020-09-13T12:26:40", "%Y-%m-%dT%H:%M:%S"),
            Some(1_600_000_000.0)
        );
    }
}
