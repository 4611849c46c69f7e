//! `top`, `rare`, `addtotals` and `replace`.

use super::rows::field_glob;
use super::wildcard::Wildcard;
use crate::program::Top;
use firedrill_value::{format_number, Row, Value};
use std::collections::HashMap;

/// One `by` group of `top`: its key, the counts per value combination, its row total.
type TopGroup = (Vec<String>, Vec<(Vec<String>, usize)>, usize);

/// `top`/`rare`: counts each combination of `fields` (per `by` group), keeps the
/// `limit` most (or least) common, with `count` and `percent`.
pub fn top(rows: &[Row], t: &Top) -> Vec<Row> {
    let (fields, by, limit, rare) = (&t.fields, &t.by, t.limit, t.rare);
    let mut groups: Vec<TopGroup> = Vec::new();
    let mut gidx: HashMap<Vec<String>, usize> = HashMap::new();
    for r in rows {
        let key: Option<Vec<String>> = fields
            .iter()
            .map(|f| r.get(f).and_then(Value::as_text))
            .collect();
        let gkey: Option<Vec<String>> = by
            .iter()
            .map(|f| r.get(f).and_then(Value::as_text))
            .collect();
        let (Some(key), Some(gkey)) = (key, gkey) else {
            continue;
        };
        let gi = *gidx.entry(gkey.clone()).or_insert_with(|| {
            groups.push((gkey, Vec::new(), 0));
            groups.len() - 1
        });
        let g = &mut groups[gi];
        g.2 += 1;
        match g.1.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => g.1.push((key, 1)),
        }
    }
    let mut out = Vec::new();
    for (gkey, mut counts, total) in groups {
        counts.sort_by(|a, b| if rare { a.1.cmp(&b.1) } else { b.1.cmp(&a.1) });
        let keep = if limit == 0 {
            counts.len()
        } else {
            limit.min(counts.len())
        };
        let rest: usize = counts[keep..].iter().map(|(_, n)| n).sum();
        counts.truncate(keep);
        if let (Some(label), true) = (&t.other, rest > 0) {
            // `useother`: one more row, counting the values past the limit.
            counts.push((vec![label.clone(); fields.len()], rest));
        }
        for (key, n) in counts {
            let mut row = Row::new();
            for (f, v) in by.iter().zip(&gkey) {
                row.insert(f.clone(), Value::str(v));
            }
            for (f, v) in fields.iter().zip(key) {
                row.insert(f.clone(), Value::Str(v));
            }
            if let Some(f) = &t.countfield {
                row.insert(f.clone(), Value::Num(n as f64));
            }
            if let Some(f) = &t.percentfield {
                let pct = 100.0 * n as f64 / total.max(1) as f64;
                row.insert(f.clone(), Value::Str(format!("{pct:.6}")));
            }
            out.push(row);
        }
    }
    out
}

/// `addtotals [fieldname=Total] [fields]`: the sum of each row's numeric fields.
pub fn addtotals(rows: &mut [Row], fields: &[String], name: &str) {
    for row in rows.iter_mut() {
        let sum: f64 = row
            .iter()
            .filter(|(k, _)| {
                !k.starts_with('_')
                    && (fields.is_empty() || fields.iter().any(|f| field_glob(f, k).is_some()))
            })
            .filter_map(|(_, v)| match v {
                Value::Num(n) => Some(*n),
                Value::Dec(d) => Some(d.value()),
                Value::Str(s) => firedrill_value::parse_number(s),
                _ => None,
            })
            .sum();
        row.insert(name.to_string(), Value::Str(format_number(sum)));
    }
}

/// `replace "old" WITH "new" IN fields` (wildcards; `*` in the new value takes what
/// the wildcard matched).
pub fn replace(rows: &mut [Row], pairs: &[(String, String)], fields: &[String]) {
    for row in rows.iter_mut() {
        let names: Vec<String> = row
            .keys()
            .filter(|k| fields.is_empty() || fields.iter().any(|f| field_glob(f, k).is_some()))
            .cloned()
            .collect();
        for name in names {
            let Some(v) = row.get(&name).cloned() else {
                continue;
            };
            let mapped: Vec<Value> = v
                .values()
                .iter()
                .map(|x| {
                    let text = x.to_string();
                    for (old, new) in pairs {
                        if Wildcard::new(old).matches(&text) && !old.contains('*') {
                            return Value::Str(new.clone());
                        }
                        if let Some(caps) = field_glob(old, &text) {
                            let mut caps = caps.into_iter();
                            let mut out = String::new();
                            for (i, piece) in new.split('*').enumerate() {
                                if i > 0 {
                                    out.push_str(&caps.next().unwrap_or_default());
                                }
                                out.push_str(piece);
                            }
                            return Value::Str(out);
                        }
                    }
                    x.clone()
                })
                .collect();
            row.insert(name, Value::multi(mapped));
        }
    }
}

/// `format`'s strings: each row is `col_prefix field="value" col_sep … col_end`, the
/// rows joined by `row_sep` inside `row_prefix … row_end`; a multivalue field is
/// `( field="a" mv_sep field="b" )`; no fields at all is `empty`.
#[derive(Clone, Debug)]
pub struct Format {
    pub row_prefix: String,
    pub col_prefix: String,
    pub col_sep: String,
    pub col_end: String,
    pub row_sep: String,
    pub row_end: String,
    pub mv_sep: String,
    /// Rows used, 0 for all.
    pub max_results: usize,
    pub empty: String,
}

impl Default for Format {
    fn default() -> Format {
        let s = |x: &str| x.to_string();
        Format {
            row_prefix: s("("),
            col_prefix: s("("),
            col_sep: s("AND"),
            col_end: s(")"),
            row_sep: s("OR"),
            row_end: s(")"),
            mv_sep: s("OR"),
            max_results: 0,
            empty: s("NOT ( )"),
        }
    }
}

/// `field="value"`, the value's `\` and `"` escaped.
fn term(field: &str, v: &Value) -> String {
    let text = v.to_string().replace('\\', "\\\\").replace('"', "\\\"");
    format!("{field}=\"{text}\"")
}

/// `format`: the rows (their fields that do not start with `_`, in name order) as one
/// row whose `search` field is the search they stand for.
pub fn format(rows: &[Row], f: &Format) -> Row {
    let take = if f.max_results == 0 {
        rows.len()
    } else {
        f.max_results
    };
    let mut out_rows = Vec::new();
    for r in rows.iter().take(take) {
        let cols: Vec<String> = r
            .iter()
            .filter(|(k, v)| !k.starts_with('_') && !v.is_null())
            .map(|(k, v)| match v.values() {
                [one] => term(k, one),
                vs => {
                    let parts: Vec<String> = vs.iter().map(|x| term(k, x)).collect();
                    format!("( {} )", parts.join(&format!(" {} ", f.mv_sep)))
                }
            })
            .collect();
        if !cols.is_empty() {
            out_rows.push(format!(
                "{} {} {}",
                f.col_prefix,
                cols.join(&format!(" {} ", f.col_sep)),
                f.col_end
            ));
        }
    }
    let search = if out_rows.is_empty() {
        f.empty.clone()
    } else {
        format!(
            "{} {} {}",
            f.row_prefix,
            out_rows.join(&format!(" {} ", f.row_sep)),
            f.row_end
        )
    };
    Row::from([("search".to_string(), Value::Str(search))])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_counts_and_limits() {
        let rows: Vec<Row> = ["a", "b", "a", "c", "a", "b"]
            .iter()
            .map(|v| Row::from([("x".to_string(), Value::str(*v))]))
            .collect();
        let spec = |limit, rare| Top {
            fields: vec!["x".into()],
            by: vec![],
            limit,
            rare,
            countfield: Some("count".into()),
            percentfield: None,
            other: None,
        };
        let t = top(&rows, &spec(2, false));
        assert_eq!(t.len(), 2);
        assert_eq!(t[0]["x"], Value::str("a"));
        assert_eq!(t[0]["count"], Value::Num(3.0));
        assert!(!t[0].contains_key("percent"));
        let r = top(&rows, &spec(1, true));
        assert_eq!(r[0]["x"], Value::str("c"));
        // useother: the values past the limit in one row; none when nothing is past it.
        let o = top(
            &rows,
            &Top {
                other: Some("OTHER".into()),
                ..spec(1, false)
            },
        );
        assert_eq!(o.len(), 2);
        assert_eq!(
            (o[1]["x"].clone(), o[1]["count"].clone()),
            (Value::str("OTHER"), Value::Num(3.0))
        );
        let all = top(
            &rows,
            &Top {
                other: Some("OTHER".into()),
                ..spec(3, false)
            },
        );
        assert_eq!(all.len(), 3);
    }

    #[test]
    fn replace_with_wildcards() {
        let mut rows = vec![Row::from([("host".to_string(), Value::str("localhost"))])];
        replace(
            &mut rows,
            &[("*localhost".into(), "localhost".into())],
            &["host".into()],
        );
        assert_eq!(rows[0]["host"], Value::str("localhost"));
        let mut rows = vec![Row::from([("a".to_string(), Value::str("0"))])];
        replace(&mut rows, &[("0".into(), "zero".into())], &[]);
        assert_eq!(rows[0]["a"], Value::str("zero"));
    }
}
