//! `firedrill replay`: the events of datasets (or of the datasets detections name)
//! into Splunk over HEC; and `--shift-time`, which moves event times so the newest
//! lands at a chosen time.

use firedrill_replay::Outgoing;
use firedrill_value::Event;

/// Metadata overrides from the command line.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--index`.
    pub index: Option<String>,
    /// `--source`.
    pub source: Option<String>,
    /// `--sourcetype`.
    pub sourcetype: Option<String>,
    /// `--host`.
    pub host: Option<String>,
}

/// The events as HEC payloads, with metadata from the event unless overridden.
pub fn outgoing(events: &[Event], o: &Overrides) -> Vec<Outgoing> {
    let text = |e: &Event, k: &str| e.get(k).as_text().filter(|s| !s.is_empty());
    events
        .iter()
        .map(|e| Outgoing {
            raw: e.raw().to_string(),
            time: Some(e.time()),
            host: o.host.clone().or_else(|| text(e, "host")),
            source: o.source.clone().or_else(|| text(e, "source")),
            sourcetype: o.sourcetype.clone().or_else(|| text(e, "sourcetype")),
            index: o.index.clone(),
        })
        .collect()
}

/// Parses `now` or an ISO 8601 time into epoch seconds.
pub fn target_time(spec: &str) -> Result<f64, String> {
    if spec.eq_ignore_ascii_case("now") {
        return Ok(chrono::Utc::now().timestamp_millis() as f64 / 1000.0);
    }
    chrono::DateTime::parse_from_rfc3339(spec)
        .map(|t| t.timestamp_millis() as f64 / 1000.0)
        .map_err(|e| format!("--shift-time {spec}: expected `now` or an ISO 8601 time like 2024-05-01T12:00:00Z ({e})"))
}

/// Moves every event by the same amount so the newest lands at `target`: the `time`
/// sent with the event endpoint, and for the raw endpoint the XmlWinEventLog
/// `SystemTime` attribute Splunk reads the timestamp from. Raw events of other
/// formats cannot be shifted; the error says so.
pub fn shift(out: &mut [Outgoing], target: f64, raw_endpoint: bool) -> Result<f64, String> {
    let newest = out.iter().filter_map(|o| o.time).fold(f64::MIN, f64::max);
    if newest == f64::MIN {
        return Ok(0.0);
    }
    let delta = target - newest;
    for o in out.iter_mut() {
        if let Some(t) = o.time {
            o.time = Some(t + delta);
            if raw_endpoint {
                o.raw = shift_system_time(&o.raw, t + delta).ok_or_else(|| {
                    "--shift-time with the raw endpoint can only rewrite XmlWinEventLog SystemTime; use --endpoint event for other data".to_string()
                })?;
            }
        }
    }
    Ok(delta)
}

fn shift_system_time(raw: &str, t: f64) -> Option<String> {
    let key = "SystemTime=";
    let at = raw.find(key)? + key.len();
    let quote = raw[at..].chars().next()?;
    let end = at + 1 + raw[at + 1..].find(quote)?;
    let secs = t.floor() as i64;
    let nanos = ((t - t.floor()) * 1e9) as u32;
    let dt = chrono::DateTime::from_timestamp(secs, nanos)?;
    let stamp = dt.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string();
    Some(format!("{}{}{}", &raw[..at + 1], stamp, &raw[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_moves_newest_to_target_and_rewrites_system_time() {
        let mut out = vec![
            Outgoing {
                raw: "<Event><System><TimeCreated SystemTime='2020-01-01T00:00:00.000000000Z'/></System></Event>".into(),
                time: Some(1_577_836_800.0),
                ..Outgoing::default()
            },
            Outgoing {
                raw: "<Event><System><TimeCreated SystemTime='2020-01-01T00:01:00.000000000Z'/></System></Event>".into(),
                time: Some(1_577_836_860.0),
                ..Outgoing::default()
            },
        ];
        let target = 1_700_000_000.0;
        shift(&mut out, target, true).unwrap();
        assert_eq!(out[1].time, Some(target));
        assert_eq!(out[0].time, Some(target - 60.0));
        assert!(
            out[1]
                .raw
                .contains("SystemTime='2023-11-14T22:13:20.000000000Z'"),
            "{}",
            out[1].raw
        );
        let mut plain = vec![Outgoing {
            raw: "a=1".into(),
            time: Some(1.0),
            ..Outgoing::default()
        }];
        assert!(shift(&mut plain, target, true).is_err());
        assert!(shift(&mut plain, target, false).is_ok());
        assert!(target_time("now").is_ok());
        assert!(target_time("2024-05-01T12:00:00Z").is_ok());
        assert!(target_time("yesterday").is_err());
    }
}
