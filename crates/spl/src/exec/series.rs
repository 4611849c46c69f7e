//! Commands over the series of results, in order (Search Reference, each command's
//! page): `reverse`, `uniq` (drops a result identical to the one before it),
//! `filldown`, `accum`, `delta`, `autoregress`, `mvcombine`, `nomv`, `addcoltotals`.

use super::rows::field_glob;
use firedrill_value::{Row, Value};

/// Where `mvcombine` keeps a field's single-value form (its values joined by `delim`),
/// which `nomv` shows; an internal field, so tables do not show it.
fn single_value_name(field: &str) -> String {
    format!("__mv_{field}")
}

/// One series command, compiled.
#[derive(Clone, Debug)]
pub(crate) enum Series {
    Reverse,
    Uniq,
    /// The fields to fill (patterns; every field when empty).
    Filldown(Vec<String>),
    Accum {
        field: String,
        alias: Option<String>,
    },
    Delta {
        field: String,
        alias: Option<String>,
        p: usize,
    },
    Autoregress {
        field: String,
        alias: Option<String>,
        from: usize,
        to: usize,
    },
    Mvcombine {
        field: String,
        delim: String,
    },
    Nomv(String),
    Addcoltotals {
        fields: Vec<String>,
        labelfield: Option<String>,
        label: String,
    },
}

fn num(row: &Row, field: &str) -> Option<f64> {
    row.get(field).and_then(Value::as_num)
}

impl Series {
    /// Runs the command over `rows`.
    pub(crate) fn run(&self, mut rows: Vec<Row>) -> Vec<Row> {
        match self {
            Series::Reverse => {
                rows.reverse();
                rows
            }
            Series::Uniq => {
                rows.dedup();
                rows
            }
            Series::Filldown(patterns) => {
                let mut last: Row = Row::new();
                for row in rows.iter_mut() {
                    for (k, v) in last.iter() {
                        let wanted = patterns.is_empty()
                            || patterns.iter().any(|p| field_glob(p, k).is_some());
                        if wanted && row.get(k).is_none_or(Value::is_null) {
                            row.insert(k.clone(), v.clone());
                        }
                    }
                    for (k, v) in row.iter() {
                        if !v.is_null() && !k.starts_with('_') {
                            last.insert(k.clone(), v.clone());
                        }
                    }
                }
                rows
            }
            Series::Accum { field, alias } => {
                let mut total = 0.0;
                for row in rows.iter_mut() {
                    if let Some(n) = num(row, field) {
                        total += n;
                        row.insert(
                            alias.clone().unwrap_or_else(|| field.clone()),
                            Value::Num(total),
                        );
                    }
                }
                rows
            }
            Series::Delta { field, alias, p } => {
                let name = alias.clone().unwrap_or_else(|| format!("delta({field})"));
                let values: Vec<Option<f64>> = rows.iter().map(|r| num(r, field)).collect();
                for (i, row) in rows.iter_mut().enumerate() {
                    if let (Some(Some(now)), Some(Some(before))) =
                        (values.get(i), i.checked_sub(*p).map(|j| values[j]))
                    {
                        row.insert(name.clone(), Value::Num(now - before));
                    }
                }
                rows
            }
            Series::Autoregress {
                field,
                alias,
                from,
                to,
            } => {
                let values: Vec<Option<Value>> =
                    rows.iter().map(|r| r.get(field).cloned()).collect();
                for (i, row) in rows.iter_mut().enumerate() {
                    for k in *from..=*to {
                        let name = match alias {
                            Some(a) if from == to => a.clone(),
                            _ => format!("{field}_p{k}"),
                        };
                        if let Some(Some(v)) = i.checked_sub(k).map(|j| &values[j]) {
                            row.insert(name, v.clone());
                        }
                    }
                }
                rows
            }
            Series::Mvcombine { field, delim } => mvcombine(rows, field, delim),
            Series::Nomv(field) => {
                for row in rows.iter_mut() {
                    let joined = match row.remove(&single_value_name(field)) {
                        Some(v) => Some(v),
                        None => row.get(field).filter(|v| !v.is_null()).map(|v| {
                            let parts: Vec<String> =
                                v.values().iter().map(Value::to_string).collect();
                            Value::Str(parts.join("\n"))
                        }),
                    };
                    if let Some(v) = joined {
                        row.insert(field.clone(), v);
                    }
                }
                rows
            }
            Series::Addcoltotals {
                fields,
                labelfield,
                label,
            } => {
                let mut totals: Row = Row::new();
                for row in &rows {
                    for (k, v) in row {
                        let wanted = if fields.is_empty() {
                            !k.starts_with('_')
                        } else {
                            fields.iter().any(|p| field_glob(p, k).is_some())
                        };
                        if let (true, Some(n)) = (wanted, v.as_num()) {
                            let t = totals.entry(k.clone()).or_insert(Value::Num(0.0));
                            *t = Value::Num(t.as_num().unwrap_or(0.0) + n);
                        }
                    }
                }
                if let Some(l) = labelfield {
                    totals.insert(l.clone(), Value::str(label));
                }
                rows.push(totals);
                rows
            }
        }
    }
}

/// Results identical but for `field` become one, with `field`'s values merged (in
/// order, without repeats), at the place of the first.
fn mvcombine(rows: Vec<Row>, field: &str, delim: &str) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    let mut merged: Vec<Vec<Value>> = Vec::new();
    for mut row in rows {
        let values: Vec<Value> = row
            .remove(field)
            .map(|v| v.values().to_vec())
            .unwrap_or_default();
        match out.iter().position(|r| *r == row) {
            Some(i) => {
                for v in values {
                    if !merged[i].contains(&v) {
                        merged[i].push(v);
                    }
                }
            }
            None => {
                out.push(row);
                merged.push(values);
            }
        }
    }
    for (row, values) in out.iter_mut().zip(merged) {
        if values.is_empty() {
            continue;
        }
        let parts: Vec<String> = values.iter().map(Value::to_string).collect();
        row.insert(single_value_name(field), Value::Str(parts.join(delim)));
        row.insert(field.to_string(), Value::multi(values));
    }
    out
}
