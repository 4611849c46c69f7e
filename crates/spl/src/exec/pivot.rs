//! `chart … BY row split` and `timechart … BY split`: the aggregations per row value
//! and per value of the split-by field, one column per split value (Search Reference,
//! chart and timechart).
//!
//! - The `limit` (default 10) series with the largest totals of the first aggregation
//!   are kept (ties by name); the others become one `otherstr` ("OTHER") series,
//!   aggregated anew from their rows, unless `useother=f` drops them.
//! - A where-clause (`WHERE count > 10`, `WHERE max(delay) in top5`) keeps instead the
//!   series whose total of the named aggregation passes its test; it replaces `limit`.
//! - Rows without the split-by field form the `nullstr` ("NULL") series, unless
//!   `usenull=f` drops them.
//! - With one aggregation the columns are named by the split values, with several
//!   `alias: value`; a value that starts with `_` is prefixed `VALUE`; a cell with no
//!   rows is 0 (the pages' tables show 0).

use crate::aggs::{self, StatsSpec};
use crate::ast::SeriesTest;
use crate::expr::EvalError;
use firedrill_value::{Row, Value};
use std::collections::HashMap;

/// The split-by field and its options.
#[derive(Clone, Debug)]
pub(crate) struct Split {
    pub field: String,
    pub limit: usize,
    pub useother: bool,
    pub otherstr: String,
    pub usenull: bool,
    pub nullstr: String,
    /// The where-clause: the aggregation (its index) that scores the series, and the
    /// test.
    pub filter: Option<(usize, SeriesTest)>,
}

/// The series that `test` keeps, of `totals` (highest first, ties by name).
fn kept(test: SeriesTest, totals: &[(String, f64)]) -> Vec<String> {
    let names = |it: &mut dyn Iterator<Item = &(String, f64)>| it.map(|(k, _)| k.clone()).collect();
    match test {
        SeriesTest::Above(n) => names(&mut totals.iter().filter(|(_, t)| *t > n)),
        SeriesTest::Below(n) => names(&mut totals.iter().filter(|(_, t)| *t < n)),
        SeriesTest::Rank { top, n, inside } => {
            let mut order: Vec<&(String, f64)> = totals.iter().collect();
            if !top {
                order.sort_by(|a, b| {
                    a.1.partial_cmp(&b.1)
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then(a.0.cmp(&b.0))
                });
            }
            let cut = n.min(order.len());
            let (ranked, rest) = order.split_at(cut);
            names(&mut if inside { ranked } else { rest }.iter().copied())
        }
    }
}

fn text(v: Option<&Value>) -> String {
    v.map(Value::to_string).unwrap_or_default()
}

/// Pivots `rows` grouped by `spec` (whose by-fields are the row field, if any, then
/// the split field).
pub(crate) fn pivot(
    rows: Vec<Row>,
    spec: &StatsSpec,
    row_field: Option<&str>,
    split: &Split,
) -> Result<Vec<Row>, EvalError> {
    let mut rows: Vec<Row> = rows
        .into_iter()
        .filter_map(|mut r| {
            if r.get(&split.field).is_none_or(Value::is_null) {
                if !split.usenull {
                    return None;
                }
                r.insert(split.field.clone(), Value::str(&split.nullstr));
            }
            Some(r)
        })
        .collect();
    let mut grouped = aggs::stats(&rows, spec)?;
    let scored = split.filter.map_or(0, |(i, _)| i);
    let Some(score) = spec.aggs.get(scored).map(|a| a.alias.clone()) else {
        return Ok(Vec::new());
    };
    let mut totals: Vec<(String, f64)> = Vec::new();
    for g in &grouped {
        let name = text(g.get(&split.field));
        let n = g.get(&score).and_then(Value::as_num).unwrap_or(0.0);
        match totals.iter_mut().find(|(k, _)| *k == name) {
            Some((_, t)) => *t += n,
            None => totals.push((name, n)),
        }
    }
    totals.sort_by(|a, b| {
        b.1.partial_cmp(&a.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.0.cmp(&b.0))
    });
    let keep: Option<Vec<String>> = match split.filter {
        Some((_, test)) => Some(kept(test, &totals)),
        None if split.limit > 0 && totals.len() > split.limit => Some(
            totals[..split.limit]
                .iter()
                .map(|(k, _)| k.clone())
                .collect(),
        ),
        None => None,
    };
    if let Some(keep) = keep.filter(|k| k.len() < totals.len()) {
        if split.useother {
            for r in rows.iter_mut() {
                let v = text(r.get(&split.field));
                if !keep.contains(&v) {
                    r.insert(split.field.clone(), Value::str(&split.otherstr));
                }
            }
            grouped = aggs::stats(&rows, spec)?;
        } else {
            grouped.retain(|g| keep.contains(&text(g.get(&split.field))));
        }
    }
    let several = spec.aggs.len() > 1;
    let mut out: Vec<Row> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut columns: Vec<String> = Vec::new();
    for g in grouped {
        let key = row_field.map(|f| text(g.get(f))).unwrap_or_default();
        let i = *index.entry(key).or_insert_with(|| {
            let mut r = Row::new();
            if let Some(f) = row_field {
                if let Some(v) = g.get(f) {
                    r.insert(f.to_string(), v.clone());
                }
            }
            out.push(r);
            out.len() - 1
        });
        // A series named like an internal field gets `VALUE` before it (`_audit` is
        // `VALUE_audit`), so that it shows as a column.
        let series = text(g.get(&split.field));
        let series = if series.starts_with('_') {
            format!("VALUE{series}")
        } else {
            series
        };
        for a in &spec.aggs {
            let name = if several {
                format!("{}: {series}", a.alias)
            } else {
                series.clone()
            };
            if let Some(v) = g.get(&a.alias) {
                out[i].insert(name.clone(), v.clone());
            }
            if !columns.contains(&name) {
                columns.push(name);
            }
        }
    }
    for r in out.iter_mut() {
        for c in &columns {
            r.entry(c.clone()).or_insert(Value::Num(0.0));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_clause_tests() {
        let t = |v: &[(&str, f64)]| -> Vec<(String, f64)> {
            v.iter().map(|(k, n)| (k.to_string(), *n)).collect()
        };
        let totals = t(&[("a", 11.0), ("b", 5.0), ("c", 2.0)]);
        assert_eq!(kept(SeriesTest::Above(10.0), &totals), ["a"]);
        assert_eq!(kept(SeriesTest::Below(5.0), &totals), ["c"]);
        let rank = |top, n, inside| kept(SeriesTest::Rank { top, n, inside }, &totals);
        assert_eq!(rank(true, 2, true), ["a", "b"]);
        assert_eq!(rank(false, 1, true), ["c"]);
        assert_eq!(rank(false, 1, false), ["b", "a"]);
    }
}
