//! `stats`, `eventstats` and the aggregation half of `tstats`: groups rows by the
//! by-fields (a multivalue by-field puts the row in one group per value; a row whose
//! by-field is null is dropped), aggregates, and returns groups sorted by their keys.

use super::eval::{compare, eval, EvalError};
use crate::ast::{Agg, Stats};
use firedrill_value::{Row, Value};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Aggregation functions firedrill implements (percentiles are `perc<N>`, `p<N>`,
/// `exactperc<N>`, `upperperc<N>`).
pub const AGGREGATIONS: &[&str] = &[
    "count",
    "c",
    "dc",
    "distinct_count",
    "estdc",
    "values",
    "list",
    "min",
    "max",
    "avg",
    "mean",
    "sum",
    "sumsq",
    "first",
    "last",
    "earliest",
    "latest",
    "earliest_time",
    "latest_time",
    "range",
    "median",
    "stdev",
    "stdevp",
    "var",
    "varp",
    "mode",
];

/// True if `func` is an implemented aggregation.
pub fn is_supported(func: &str) -> bool {
    AGGREGATIONS.contains(&func) || percentile(func).is_some()
}

fn percentile(func: &str) -> Option<f64> {
    ["exactperc", "upperperc", "perc", "p"]
        .iter()
        .find_map(|p| func.strip_prefix(p))
        .and_then(|n| n.parse::<f64>().ok())
        .filter(|n| (0.0..=100.0).contains(n))
}

/// One value seen by an aggregation, with the row's time and position.
#[derive(Clone)]
struct Seen {
    value: Value,
    time: f64,
}

struct Group {
    key: Vec<Value>,
    rows: usize,
    seen: Vec<Vec<Seen>>,
}

/// Groups `rows` by `stats.by` (filling null by-fields with `fill` if given).
fn group(rows: &[Row], stats: &Stats, fill: Option<&str>) -> Result<Vec<Group>, EvalError> {
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for row in rows {
        let mut keys: Vec<Vec<Value>> = vec![Vec::new()];
        for f in &stats.by {
            let v = row.get(f).cloned().unwrap_or(Value::Null);
            let vals: Vec<Value> = match (&v, fill) {
                (Value::Null, Some(fill)) => vec![Value::str(fill)],
                (Value::Null, None) => Vec::new(),
                (v, _) => v.values().to_vec(),
            };
            keys = keys
                .into_iter()
                .flat_map(|k| {
                    vals.iter().map(move |x| {
                        let mut k = k.clone();
                        k.push(x.clone());
                        k
                    })
                })
                .collect();
        }
        let time = row.get("_time").and_then(Value::as_num).unwrap_or(0.0);
        let mut inputs: Vec<Value> = Vec::with_capacity(stats.aggs.len());
        for agg in &stats.aggs {
            inputs.push(agg_input(agg, row)?);
        }
        for key in keys {
            let text: Vec<String> = key.iter().map(|v| v.to_string()).collect();
            let gi = *index.entry(text).or_insert_with(|| {
                groups.push(Group {
                    key: key.clone(),
                    rows: 0,
                    seen: vec![Vec::new(); stats.aggs.len()],
                });
                groups.len() - 1
            });
            let g = &mut groups[gi];
            g.rows += 1;
            for (i, v) in inputs.iter().enumerate() {
                for x in v.values() {
                    g.seen[i].push(Seen {
                        value: x.clone(),
                        time,
                    });
                }
            }
        }
    }
    groups.sort_by(|a, b| compare_keys(&a.key, &b.key));
    Ok(groups)
}

fn agg_input(agg: &Agg, row: &Row) -> Result<Value, EvalError> {
    if let Some(e) = &agg.expr {
        return Ok(match eval(e, row)? {
            Value::Bool(false) => Value::Null,
            v => v,
        });
    }
    Ok(match &agg.field {
        Some(f) if f == "*" => Value::Num(1.0),
        Some(f) => row.get(f).cloned().unwrap_or(Value::Null),
        None => Value::Null,
    })
}

fn compare_keys(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match compare(x, y).unwrap_or(Ordering::Equal) {
            Ordering::Equal => continue,
            o => return o,
        }
    }
    Ordering::Equal
}

/// `stats`: one row per group with the by-fields and aggregations. With no by-fields,
/// always one row (so `stats count` over nothing is `count=0`, as in Splunk).
pub fn stats(rows: &[Row], s: &Stats, fill: Option<&str>) -> Result<Vec<Row>, EvalError> {
    let mut groups = group(rows, s, fill)?;
    if s.by.is_empty() && groups.is_empty() {
        groups.push(Group {
            key: Vec::new(),
            rows: 0,
            seen: vec![Vec::new(); s.aggs.len()],
        });
    }
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let mut row = Row::new();
        for (f, v) in s.by.iter().zip(g.key) {
            row.insert(f.clone(), v);
        }
        for (agg, seen) in s.aggs.iter().zip(&g.seen) {
            let v = finish(agg, seen, g.rows);
            if !v.is_null() {
                row.insert(agg.alias.clone(), v);
            }
        }
        out.push(row);
    }
    Ok(out)
}

/// `eventstats`: adds each group's aggregations to every row of the group.
pub fn eventstats(rows: Vec<Row>, s: &Stats) -> Result<Vec<Row>, EvalError> {
    let summary = stats(&rows, s, None)?;
    let mut by_key: HashMap<Vec<String>, Row> = HashMap::new();
    for r in summary {
        let key: Vec<String> =
            s.by.iter()
                .map(|f| r.get(f).map(|v| v.to_string()).unwrap_or_default())
                .collect();
        by_key.insert(key, r);
    }
    let mut out = rows;
    for row in out.iter_mut() {
        if s.by.iter().any(|f| row.get(f).is_none_or(Value::is_null)) {
            continue;
        }
        let key: Vec<String> =
            s.by.iter()
                .map(|f| row.get(f).map(|v| v.to_string()).unwrap_or_default())
                .collect();
        if let Some(agg_row) = by_key.get(&key) {
            for agg in &s.aggs {
                if let Some(v) = agg_row.get(&agg.alias) {
                    row.insert(agg.alias.clone(), v.clone());
                }
            }
        }
    }
    Ok(out)
}

fn nums(seen: &[Seen]) -> Vec<f64> {
    seen.iter().filter_map(|s| s.value.as_num()).collect()
}

fn finish(agg: &Agg, seen: &[Seen], rows: usize) -> Value {
    let f = agg.func.as_str();
    match f {
        "count" | "c" => {
            if agg.field.is_none() && agg.expr.is_none() {
                Value::Num(rows as f64)
            } else {
                Value::Num(seen.len() as f64)
            }
        }
        "dc" | "distinct_count" | "estdc" => {
            let mut set: Vec<String> = seen.iter().map(|s| s.value.to_string()).collect();
            set.sort();
            set.dedup();
            Value::Num(set.len() as f64)
        }
        "values" => {
            let mut set: Vec<String> = seen.iter().map(|s| s.value.to_string()).collect();
            set.sort();
            set.dedup();
            Value::multi(set.into_iter().map(Value::Str).collect())
        }
        "list" => Value::multi(seen.iter().take(100).map(|s| s.value.clone()).collect()),
        "min" | "max" => {
            let all_num = !seen.is_empty() && seen.iter().all(|s| s.value.as_num().is_some());
            let pick = seen.iter().map(|s| &s.value).reduce(|a, b| {
                let o = if all_num {
                    compare(b, a)
                } else {
                    Some(b.to_string().cmp(&a.to_string()))
                };
                let better = if f == "min" {
                    o == Some(Ordering::Less)
                } else {
                    o == Some(Ordering::Greater)
                };
                if better {
                    b
                } else {
                    a
                }
            });
            match pick {
                Some(v) if all_num => v.as_num().map(Value::Num).unwrap_or(Value::Null),
                Some(v) => v.clone(),
                None => Value::Null,
            }
        }
        "sum" => {
            let n = nums(seen);
            if n.is_empty() {
                Value::Null
            } else {
                Value::Num(n.iter().sum())
            }
        }
        "sumsq" => Value::Num(nums(seen).iter().map(|x| x * x).sum()),
        "avg" | "mean" => {
            let n = nums(seen);
            if n.is_empty() {
                Value::Null
            } else {
                Value::Num(n.iter().sum::<f64>() / n.len() as f64)
            }
        }
        "first" => seen.first().map(|s| s.value.clone()).unwrap_or(Value::Null),
        "last" => seen.last().map(|s| s.value.clone()).unwrap_or(Value::Null),
        "earliest" | "latest" | "earliest_time" | "latest_time" => {
            let pick = seen.iter().reduce(|a, b| {
                let better = if f.starts_with("earliest") {
                    b.time < a.time
                } else {
                    b.time >= a.time
                };
                if better {
                    b
                } else {
                    a
                }
            });
            match pick {
                Some(s) if f.ends_with("_time") => Value::Num(s.time),
                Some(s) => s.value.clone(),
                None => Value::Null,
            }
        }
        "range" => {
            let n = nums(seen);
            match (
                n.iter().cloned().reduce(f64::min),
                n.iter().cloned().reduce(f64::max),
            ) {
                (Some(a), Some(b)) => Value::Num(b - a),
                _ => Value::Null,
            }
        }
        "median" => perc(nums(seen), 50.0),
        "stdev" | "stdevp" | "var" | "varp" => {
            let n = nums(seen);
            let sample = f == "stdev" || f == "var";
            let k = n.len() as f64 - if sample { 1.0 } else { 0.0 };
            if k <= 0.0 {
                return Value::Null;
            }
            let mean = n.iter().sum::<f64>() / n.len() as f64;
            let var = n.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / k;
            Value::Num(if f.starts_with("stdev") {
                var.sqrt()
            } else {
                var
            })
        }
        "mode" => {
            let mut counts: Vec<(String, usize)> = Vec::new();
            for s in seen {
                let t = s.value.to_string();
                match counts.iter_mut().find(|(k, _)| *k == t) {
                    Some((_, c)) => *c += 1,
                    None => counts.push((t, 1)),
                }
            }
            counts
                .into_iter()
                .fold(None, |best: Option<(String, usize)>, x| match &best {
                    Some(b) if b.1 >= x.1 => best,
                    _ => Some(x),
                })
                .map(|(k, _)| Value::Str(k))
                .unwrap_or(Value::Null)
        }
        other => match percentile(other) {
            Some(p) => perc(nums(seen), p),
            None => Value::Null,
        },
    }
}

/// Nearest-rank percentile (Splunk's `perc` approximates; this is exact).
fn perc(mut n: Vec<f64>, p: f64) -> Value {
    if n.is_empty() {
        return Value::Null;
    }
    n.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
    let rank = (p / 100.0 * (n.len() - 1) as f64).round() as usize;
    Value::Num(n[rank.min(n.len() - 1)])
}

#[cfg(test)]
mod tests {
    use crate::exec::Source;
    use crate::parse;
    use firedrill_value::{Event, Value};

    fn events() -> Vec<Event> {
        let mk = |host: &str, user: Option<&str>, tags: &[&str]| {
            let mut e = Event::new("x".into(), 0.0, host, "s", "t");
            if let Some(u) = user {
                e.set("user", Value::str(u));
            }
            e.set(
                "tag",
                Value::multi(tags.iter().map(|t| Value::str(*t)).collect()),
            );
            e
        };
        vec![
            mk("h2", Some("bob"), &["b", "a"]),
            mk("h1", Some("Alice"), &["a"]),
            mk("h1", None, &[]),
        ]
    }

    fn q(s: &str) -> Vec<firedrill_value::Row> {
        let ev = events();
        crate::run(&parse(s).unwrap(), &Source::events(&ev)).unwrap()
    }

    #[test]
    fn documented_stats_behaviour() {
        // Search Reference, "Multivalue stats and chart functions": values() returns the
        // distinct values in lexicographical order.
        let r = q("* | stats values(user) as users");
        assert_eq!(
            r[0]["users"],
            Value::Multi(vec![Value::str("Alice"), Value::str("bob")])
        );
        // A row whose by-field is null is left out; groups come sorted by their keys.
        let r = q("* | stats count by user");
        let users: Vec<String> = r.iter().map(|x| x["user"].to_string()).collect();
        assert_eq!(users, ["Alice", "bob"]);
        // A multivalue by-field counts the row once in each of its values' groups.
        let r = q("* | stats count by tag");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0]["tag"], Value::str("a"));
        assert_eq!(r[0]["count"], Value::Num(2.0));
        // `stats count` over no rows is one row with count 0.
        let r = q("nothing_matches_this | stats count");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0]["count"], Value::Num(0.0));
        // Search Manual, "Wildcards": `NOT *` matches no events.
        assert!(q("NOT *").is_empty());
        assert_eq!(
            q("* | stats dc(host) as hosts")[0]["hosts"],
            Value::Num(2.0)
        );
    }
}
