//! Order-dependent commands: `streamstats`, `transaction` and `timechart`.

use crate::aggs::{Acc, StatsSpec};
use crate::expr::EvalError;
use crate::program::{Resets, Transaction};
use firedrill_value::{Row, Value};
use std::collections::{HashMap, VecDeque};

fn time(r: &Row) -> f64 {
    r.get("_time").and_then(Value::as_num).unwrap_or(0.0)
}

/// Sorts by `_time`, oldest first (ties keep their order).
fn oldest_first(rows: &mut [Row]) {
    rows.sort_by(|a, b| {
        time(a)
            .partial_cmp(&time(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
}

/// Sorts by `_time`, newest first (ties keep their order).
fn newest_first(rows: &mut [Row]) {
    rows.sort_by(|a, b| {
        time(b)
            .partial_cmp(&time(a))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
}

fn key(r: &Row, fields: &[String]) -> Option<Vec<String>> {
    fields
        .iter()
        .map(|f| r.get(f).and_then(Value::as_text))
        .collect()
}

fn by_key(r: &Row, spec: &StatsSpec) -> Option<Vec<String>> {
    spec.by
        .iter()
        .map(|f| r.get(&*f.name).and_then(Value::as_text))
        .collect()
}

/// Running aggregations of one `streamstats` group.
struct Running {
    rows: usize,
    accs: Vec<Box<dyn Acc>>,
    window: VecDeque<Row>,
}

fn put(row: &mut Row, spec: &StatsSpec, accs: &[Box<dyn Acc>], rows: usize) {
    for (agg, acc) in spec.aggs.iter().zip(accs) {
        if agg.is_glob() {
            acc.finish_into(rows, &agg.alias, row);
            continue;
        }
        let v = acc.finish(rows);
        if v.is_null() {
            row.remove(&agg.alias);
        } else {
            row.insert(agg.alias.clone(), v);
        }
    }
}

/// `streamstats`: each row gets the aggregations over the rows before it in its group
/// (and itself, unless `current=f`), or over the last `window` of them. A reset
/// (`reset_before`, `reset_after`, `reset_on_change`) forgets every group.
pub fn streamstats(
    rows: Vec<Row>,
    spec: &StatsSpec,
    window: usize,
    current: bool,
    resets: &Resets,
) -> Result<Vec<Row>, EvalError> {
    let mut groups: HashMap<Vec<String>, Running> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    let mut previous: Option<Vec<String>> = None;
    // The previous row with by-fields, as it came out (reset_after tests it).
    let mut last: Option<usize> = None;
    for mut row in rows {
        let Some(k) = by_key(&row, spec) else {
            out.push(row);
            continue;
        };
        let after = match (&resets.after, last) {
            (Some(e), Some(i)) => e.is_true(&out[i])?,
            _ => false,
        };
        let changed = resets.on_change && previous.as_ref().is_some_and(|p| *p != k);
        let before = match &resets.before {
            Some(e) => e.is_true(&row)?,
            None => false,
        };
        if after || changed || before {
            groups.clear();
        }
        previous = Some(k.clone());
        last = Some(out.len());
        let g = groups.entry(k).or_insert_with(|| Running {
            rows: 0,
            accs: spec.aggs.iter().map(|a| a.start()).collect(),
            window: VecDeque::new(),
        });
        if window == 0 {
            if current {
                g.rows += 1;
                for (a, acc) in spec.aggs.iter().zip(g.accs.iter_mut()) {
                    a.feed(acc.as_mut(), &row, time(&row))?;
                }
                put(&mut row, spec, &g.accs, g.rows);
            } else {
                put(&mut row, spec, &g.accs, g.rows);
                g.rows += 1;
                for (a, acc) in spec.aggs.iter().zip(g.accs.iter_mut()) {
                    a.feed(acc.as_mut(), &row, time(&row))?;
                }
            }
            out.push(row);
            continue;
        }
        // A sliding window: recompute over the rows it holds.
        let mut win: Vec<&Row> = g.window.iter().collect();
        if current {
            win.push(&row);
            if win.len() > window {
                win.remove(0);
            }
        }
        let mut accs: Vec<Box<dyn Acc>> = spec.aggs.iter().map(|a| a.start()).collect();
        for r in &win {
            for (a, acc) in spec.aggs.iter().zip(accs.iter_mut()) {
                a.feed(acc.as_mut(), *r, time(r))?;
            }
        }
        let n = win.len();
        put(&mut row, spec, &accs, n);
        g.window.push_back(row.clone());
        if g.window.len() > window {
            g.window.pop_front();
        }
        out.push(row);
    }
    Ok(out)
}

/// `transaction`: groups rows by the fields' values, in time order, closing a group at
/// `endswith`, after `maxspan`/`maxpause`, at `maxevents`, or when `startswith` opens
/// a new one; newest transaction first.
pub fn transaction(rows: Vec<Row>, t: &Transaction) -> Vec<Row> {
    if t.starts.is_none() && t.ends.is_none() {
        return transaction_newest_first(rows, t);
    }
    let mut rows = rows;
    oldest_first(&mut rows);
    let mut open: HashMap<Vec<String>, Vec<Row>> = HashMap::new();
    let mut done: Vec<Vec<Row>> = Vec::new();
    for row in rows {
        let Some(k) = key(&row, &t.fields) else {
            continue;
        };
        let is_start = t.starts.as_ref().is_some_and(|m| m.matches(&row));
        let is_end = t.ends.as_ref().is_some_and(|m| m.matches(&row));
        let expired = open.get(&k).is_some_and(|txn| {
            let first = txn.first().map(time).unwrap_or(0.0);
            let last = txn.last().map(time).unwrap_or(0.0);
            t.maxspan.is_some_and(|s| time(&row) - first > s)
                || t.maxpause.is_some_and(|p| time(&row) - last > p)
        });
        if expired || (is_start && open.contains_key(&k)) {
            if let Some(txn) = open.remove(&k) {
                if t.ends.is_none() {
                    done.push(txn);
                }
            }
        }
        if !open.contains_key(&k) && t.starts.is_some() && !is_start {
            continue;
        }
        let txn = open.entry(k.clone()).or_default();
        txn.push(row);
        if is_end || txn.len() >= t.maxevents {
            if let Some(txn) = open.remove(&k) {
                if is_end || t.ends.is_none() {
                    done.push(txn);
                }
            }
        }
    }
    if t.ends.is_none() {
        done.extend(open.into_values());
    }
    let mut out: Vec<Row> = done.into_iter().map(merge).collect();
    newest_first(&mut out);
    out
}

/// `transaction` without `startswith`/`endswith`: Splunk groups events in the order a
/// search returns them, newest first, so `maxspan`/`maxpause`/`maxevents` close a
/// group going back in time (events at 100, 110, 125, 150 with `maxspan=30s` are
/// {125, 150} and {100, 110}).
fn transaction_newest_first(rows: Vec<Row>, t: &Transaction) -> Vec<Row> {
    let mut rows = rows;
    newest_first(&mut rows);
    let mut open: HashMap<Vec<String>, Vec<Row>> = HashMap::new();
    let mut done: Vec<Vec<Row>> = Vec::new();
    for row in rows {
        let Some(k) = key(&row, &t.fields) else {
            continue;
        };
        let expired = open.get(&k).is_some_and(|txn| {
            let latest = txn.first().map(time).unwrap_or(0.0);
            let earliest = txn.last().map(time).unwrap_or(0.0);
            t.maxspan.is_some_and(|s| latest - time(&row) > s)
                || t.maxpause.is_some_and(|p| earliest - time(&row) > p)
        });
        if expired {
            done.extend(open.remove(&k));
        }
        let txn = open.entry(k.clone()).or_default();
        txn.push(row);
        if txn.len() >= t.maxevents {
            done.extend(open.remove(&k));
        }
    }
    done.extend(open.into_values());
    let mut out: Vec<Row> = done
        .into_iter()
        .map(|mut txn| {
            txn.reverse();
            merge(txn)
        })
        .collect();
    newest_first(&mut out);
    out
}

/// One transaction's events (oldest first) as one row: `_raw` joined in time order,
/// every other field the set of its values in alphabetical order (Splunk's default,
/// `mvlist=false`).
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
        .map(|(k, mut vs)| {
            vs.sort_by_key(|v| v.to_string());
            (k, Value::multi(vs))
        })
        .collect();
    row.insert("_raw".into(), Value::Str(raws.join("\n")));
    row.insert("_time".into(), Value::Num(first));
    row.insert("duration".into(), Value::Num(last - first));
    row.insert("eventcount".into(), Value::Num(events.len() as f64));
    row
}

/// `timechart span=X aggs`: one row per time bucket from the first to the last, empty
/// buckets included (counts 0).
/// `timechart span=X aggs`: the aggregations per time bucket; empty buckets between
/// the first and last are filled unless `cont=false`.
pub fn timechart(
    rows: &[Row],
    spec: &StatsSpec,
    span: f64,
    cont: bool,
) -> Result<Vec<Row>, EvalError> {
    let mut buckets: std::collections::BTreeMap<i64, Vec<&Row>> = std::collections::BTreeMap::new();
    for r in rows {
        let b = (time(r) / span).floor() as i64;
        buckets.entry(b).or_default().push(r);
    }
    let (Some(&lo), Some(&hi)) = (buckets.keys().next(), buckets.keys().last()) else {
        return Ok(Vec::new());
    };
    let bucket = |b: i64, group: &[&Row]| -> Result<Row, EvalError> {
        let mut g = spec.start();
        for r in group {
            g.add(spec, *r)?;
        }
        let mut row = g.finish(spec).into_iter().next().unwrap_or_default();
        row.insert("_time".into(), Value::Num(b as f64 * span));
        Ok(row)
    };
    let mut out = Vec::new();
    if cont {
        for b in lo..=hi.min(lo + 1_000_000) {
            out.push(bucket(
                b,
                buckets.get(&b).map(Vec::as_slice).unwrap_or(&[]),
            )?);
        }
    } else {
        for (b, group) in &buckets {
            out.push(bucket(*b, group)?);
        }
    }
    Ok(out)
}

/// `timechart span=X aggs BY field`: the columns of [`super::pivot`] per time bucket;
/// every bucket between the first and last is there (0 in each column) unless
/// `cont=false`.
pub fn timechart_by(
    rows: Vec<Row>,
    spec: &StatsSpec,
    span: f64,
    cont: bool,
    split: &super::pivot::Split,
) -> Result<Vec<Row>, EvalError> {
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|mut r| {
            let b = (time(&r) / span).floor() * span;
            r.insert("_time".into(), Value::Num(b));
            r
        })
        .collect();
    let mut out = super::pivot::pivot(rows, spec, Some("_time"), split)?;
    out.sort_by(|a, b| {
        time(a)
            .partial_cmp(&time(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let columns: Vec<String> = out
        .iter()
        .flat_map(|r| r.keys().filter(|k| *k != "_time").cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !cont || out.is_empty() {
        return Ok(out);
    }
    let (lo, hi) = (time(&out[0]) / span, time(&out[out.len() - 1]) / span);
    let mut filled = Vec::new();
    let mut have = out.into_iter().peekable();
    let mut b = lo.round() as i64;
    while b <= (hi.round() as i64).min(lo.round() as i64 + 1_000_000) {
        let t = b as f64 * span;
        match have.peek() {
            Some(r) if (time(r) - t).abs() < 1e-6 => filled.push(have.next().unwrap_or_default()),
            _ => {
                let mut r = Row::from([("_time".to_string(), Value::Num(t))]);
                for c in &columns {
                    r.insert(c.clone(), Value::Num(0.0));
                }
                filled.push(r);
            }
        }
        b += 1;
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use firedrill_value::{Row, Value};

    fn ev(t: f64, user: &str, code: &str) -> Row {
        Row::from([
            ("_raw".to_string(), Value::Str(format!("{code} {user}"))),
            ("_time".to_string(), Value::Num(t)),
            ("user".to_string(), Value::str(user)),
            ("EventCode".to_string(), Value::str(code)),
        ])
    }

    fn q(events: &[Row], s: &str) -> Vec<Row> {
        crate::search_rows(s, events).unwrap()
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
        // Search Reference, "transaction": `startswith=EventCode=4698` unquoted is one term.
        let rows = q(
            &events,
            "* | transaction user startswith=EventCode=4698 endswith=EventCode=4699",
        );
        assert_eq!(rows.len(), 1);
        let rows = q(&events, "* | transaction user maxevents=1");
        assert_eq!(rows.len(), 4);
    }

    #[test]
    fn streamstats_counts_running() {
        let events = vec![ev(0.0, "a", "1"), ev(1.0, "a", "1"), ev(2.0, "b", "1")];
        // Events reach streamstats newest first, as Splunk returns them: b@2, a@1, a@0.
        let rows = q(&events, "* | streamstats count by user");
        let counts: Vec<Value> = rows.iter().map(|r| r["count"].clone()).collect();
        assert_eq!(
            counts,
            vec![Value::Num(1.0), Value::Num(1.0), Value::Num(2.0)]
        );
        let users: Vec<String> = rows.iter().map(|r| r["user"].to_string()).collect();
        assert_eq!(users, ["b", "a", "a"]);
        let rows = q(&events, "* | streamstats current=f count");
        let counts: Vec<Value> = rows.iter().map(|r| r["count"].clone()).collect();
        assert_eq!(
            counts,
            vec![Value::Num(0.0), Value::Num(1.0), Value::Num(2.0)]
        );
        let rows = q(&events, "* | streamstats window=2 count");
        let counts: Vec<Value> = rows.iter().map(|r| r["count"].clone()).collect();
        assert_eq!(
            counts,
            vec![Value::Num(1.0), Value::Num(2.0), Value::Num(2.0)]
        );
    }

    #[test]
    fn timechart_fills_empty_buckets() {
        let events = vec![ev(0.0, "a", "1"), ev(650.0, "a", "1")];
        let rows = q(&events, "* | timechart span=5m count");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1]["count"], Value::Num(0.0));
        let rows = q(&events, "* | timechart span=5m cont=false count");
        assert_eq!(rows.len(), 2);
    }
}
