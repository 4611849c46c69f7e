//! Order-dependent commands: `streamstats`, `transaction` and `timechart`.

use super::eval::EvalError;
use super::search::compile;
use super::stats::stats;
use crate::ast::{Stats, Transaction};
use firedrill_value::{Row, Value};
use std::collections::{HashMap, VecDeque};

fn time(r: &Row) -> f64 {
    r.get("_time").and_then(Value::as_num).unwrap_or(0.0)
}

fn key(r: &Row, fields: &[String]) -> Option<Vec<String>> {
    fields
        .iter()
        .map(|f| r.get(f).and_then(Value::as_text))
        .collect()
}

/// `streamstats`: each row gets the aggregations over the rows before it in its group
/// (the last `window` of them when set), and itself when `current`.
pub fn streamstats(
    rows: Vec<Row>,
    s: &Stats,
    window: usize,
    current: bool,
) -> Result<Vec<Row>, EvalError> {
    let plain = Stats {
        aggs: s.aggs.clone(),
        by: Vec::new(),
        span: None,
    };
    let mut seen: HashMap<Vec<String>, VecDeque<Row>> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for mut row in rows {
        let Some(k) = key(&row, &s.by) else {
            out.push(row);
            continue;
        };
        let hist = seen.entry(k).or_default();
        let mut win: Vec<Row> = hist.iter().cloned().collect();
        if current {
            win.push(row.clone());
            if window > 0 && win.len() > window {
                win.remove(0);
            }
        }
        if let Some(agg) = stats(&win, &plain, None)?.into_iter().next() {
            for (k, v) in agg {
                row.insert(k, v);
            }
        }
        hist.push_back(row.clone());
        if window > 0 && hist.len() > window {
            hist.pop_front();
        }
        out.push(row);
    }
    Ok(out)
}

/// `transaction`: groups events by the fields' values into transactions (bounded by
/// `maxspan`, `maxpause`, `startswith`, `endswith`) and merges each into one row with
/// `duration` and `eventcount`. Events outside a transaction (an orphan before a
/// `startswith`, or a transaction never closed by its `endswith`) are dropped, as
/// Splunk does by default.
pub fn transaction(rows: Vec<Row>, t: &Transaction) -> Vec<Row> {
    let starts = t.startswith.as_ref().map(compile);
    let ends = t.endswith.as_ref().map(compile);
    let mut rows = rows;
    rows.sort_by(|a, b| {
        time(a)
            .partial_cmp(&time(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut open: HashMap<Vec<String>, Vec<Row>> = HashMap::new();
    let mut done: Vec<Vec<Row>> = Vec::new();
    for row in rows {
        let Some(k) = key(&row, &t.fields) else {
            continue;
        };
        let is_start = starts.as_ref().is_some_and(|m| m.matches(&row));
        let is_end = ends.as_ref().is_some_and(|m| m.matches(&row));
        let expired = open.get(&k).is_some_and(|txn| {
            let first = txn.first().map(time).unwrap_or(0.0);
            let last = txn.last().map(time).unwrap_or(0.0);
            t.maxspan.is_some_and(|s| time(&row) - first > s)
                || t.maxpause.is_some_and(|p| time(&row) - last > p)
        });
        if expired || (is_start && open.contains_key(&k)) {
            if let Some(txn) = open.remove(&k) {
                if ends.is_none() {
                    done.push(txn);
                }
            }
        }
        if !open.contains_key(&k) && starts.is_some() && !is_start {
            continue;
        }
        open.entry(k.clone()).or_default().push(row);
        if is_end {
            if let Some(txn) = open.remove(&k) {
                done.push(txn);
            }
        }
    }
    if ends.is_none() {
        done.extend(open.into_values());
    }
    let mut out: Vec<Row> = done.into_iter().map(merge).collect();
    out.sort_by(|a, b| {
        time(b)
            .partial_cmp(&time(a))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    out
}

fn merge(events: Vec<Row>) -> Row {
    let first = events.first().map(time).unwrap_or(0.0);
    let last = events.last().map(time).unwrap_or(0.0);
    let mut fields: Vec<(String, Vec<Value>)> = Vec::new();
    let mut raws = Vec::new();
    for e in &events {
        for (k, v) in e {
            if k == "_raw" {
                raws.push(v.to_string());
                continue;
            }
            let slot = match fields.iter_mut().find(|(f, _)| f == k) {
                Some(s) => s,
                None => {
                    fields.push((k.clone(), Vec::new()));
                    let n = fields.len() - 1;
                    &mut fields[n]
                }
            };
            for x in v.values() {
                if !slot.1.contains(x) {
                    slot.1.push(x.clone());
                }
            }
        }
    }
    let mut row: Row = fields
        .into_iter()
        .map(|(k, vs)| (k, Value::multi(vs)))
        .collect();
    row.insert("_raw".into(), Value::Str(raws.join("\n")));
    row.insert("_time".into(), Value::Num(first));
    row.insert("duration".into(), Value::Num(last - first));
    row.insert("eventcount".into(), Value::Num(events.len() as f64));
    row
}

/// `timechart span=X aggs`: one row per time bucket from the first to the last, empty
/// buckets included (counts 0).
pub fn timechart(rows: &[Row], s: &Stats, span: f64) -> Result<Vec<Row>, EvalError> {
    let mut buckets: std::collections::BTreeMap<i64, Vec<Row>> = std::collections::BTreeMap::new();
    for r in rows {
        let b = (time(r) / span).floor() as i64;
        buckets.entry(b).or_default().push(r.clone());
    }
    let (Some(&lo), Some(&hi)) = (buckets.keys().next(), buckets.keys().last()) else {
        return Ok(Vec::new());
    };
    let plain = Stats {
        aggs: s.aggs.clone(),
        by: Vec::new(),
        span: None,
    };
    let mut out = Vec::new();
    for b in lo..=hi.min(lo + 1_000_000) {
        let group = buckets.get(&b).map(Vec::as_slice).unwrap_or(&[]);
        let mut row = stats(group, &plain, None)?
            .into_iter()
            .next()
            .unwrap_or_default();
        row.insert("_time".into(), Value::Num(b as f64 * span));
        out.push(row);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Source;
    use crate::parse;
    use firedrill_value::Event;

    fn ev(t: f64, user: &str, code: &str) -> Event {
        let mut e = Event::new(format!("{code} {user}"), t, "h", "s", "t");
        e.set("user", Value::str(user));
        e.set("EventCode", Value::str(code));
        e
    }

    fn q(events: &[Event], s: &str) -> Vec<Row> {
        crate::run(&parse(s).unwrap(), &Source::events(events)).unwrap()
    }

    #[test]
    fn transactions_by_field_and_boundaries() {
        let events = vec![
            ev(0.0, "a", "4698"),
            ev(10.0, "a", "4699"),
            ev(20.0, "b", "4698"),
            ev(1000.0, "a", "1"),
        ];
        let rows = q(&events, "* | transaction user maxspan=5m");
        assert_eq!(rows.len(), 3);
        let rows = q(
            &events,
            "* | transaction user startswith=(EventCode=4698) endswith=(EventCode=4699)",
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["duration"], Value::Num(10.0));
        assert_eq!(rows[0]["eventcount"], Value::Num(2.0));
    }

    #[test]
    fn streamstats_counts_running() {
        let events = vec![ev(0.0, "a", "1"), ev(1.0, "a", "1"), ev(2.0, "b", "1")];
        let rows = q(&events, "* | streamstats count by user");
        let counts: Vec<Value> = rows.iter().map(|r| r["count"].clone()).collect();
        assert_eq!(
            counts,
            vec![Value::Num(1.0), Value::Num(2.0), Value::Num(1.0)]
        );
    }

    #[test]
    fn timechart_fills_empty_buckets() {
        let events = vec![ev(0.0, "a", "1"), ev(650.0, "a", "1")];
        let rows = q(&events, "* | timechart span=5m count");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1]["count"], Value::Num(0.0));
    }
}
