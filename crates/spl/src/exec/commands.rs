//! Row-shaping commands: `rename`, `convert`, `table`, `fields`, `fillnull`, `dedup`,
//! `head`/`tail`, `sort`.

use super::eval::compare;
use super::time;
use crate::ast::{Convert, SortKey};
use firedrill_value::{parse_number, Row, Value};
use std::cmp::Ordering;
use std::collections::HashSet;

/// Matches a field name against a pattern with at most a few `*`s (case-sensitive, as
/// Splunk field names are); returns the text each `*` matched.
pub fn field_glob(pattern: &str, name: &str) -> Option<Vec<String>> {
    if !pattern.contains('*') {
        return (pattern == name).then(Vec::new);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut caps = Vec::new();
    let first = parts[0];
    if !name.starts_with(first) {
        return None;
    }
    let mut pos = first.len();
    for (i, part) in parts.iter().enumerate().skip(1) {
        let last = i == parts.len() - 1;
        if last {
            if name.len() < pos + part.len() || !name[pos..].ends_with(part) {
                return None;
            }
            caps.push(name[pos..name.len() - part.len()].to_string());
            pos = name.len();
        } else {
            let at = name[pos..].find(part)?;
            caps.push(name[pos..pos + at].to_string());
            pos += at + part.len();
        }
    }
    Some(caps)
}

/// `rename a AS b` with wildcards (`Processes.* AS *`). A renamed field replaces any
/// field already holding the new name.
pub fn rename(rows: &mut [Row], pairs: &[(String, String)]) {
    for row in rows.iter_mut() {
        for (from, to) in pairs {
            let names: Vec<String> = row.keys().cloned().collect();
            for name in names {
                if let Some(caps) = field_glob(from, &name) {
                    let mut target = String::new();
                    let mut caps = caps.into_iter();
                    for (i, piece) in to.split('*').enumerate() {
                        if i > 0 {
                            target.push_str(&caps.next().unwrap_or_default());
                        }
                        target.push_str(piece);
                    }
                    if target != name {
                        if let Some(v) = row.remove(&name) {
                            row.insert(target, v);
                        }
                    }
                }
            }
        }
    }
}

/// `convert`: `ctime` (epoch → text), `mktime` (text → epoch), `num`, `auto`,
/// `rmcomma`, `rmunit`, `dur2sec`, `none`.
pub fn convert(rows: &mut [Row], c: &Convert) {
    let fmt = c
        .timeformat
        .clone()
        .unwrap_or_else(|| "%m/%d/%Y %H:%M:%S".to_string());
    for row in rows.iter_mut() {
        for (func, field, alias) in &c.items {
            let names: Vec<String> = row
                .keys()
                .filter(|k| field_glob(field, k).is_some())
                .cloned()
                .collect();
            for name in names {
                let v = match row.get(&name) {
                    Some(v) => v.clone(),
                    None => continue,
                };
                let out = map_values(&v, |x| convert_one(func, x, &fmt));
                let target = alias.clone().unwrap_or(name);
                row.insert(target, out);
            }
        }
    }
}

fn map_values(v: &Value, f: impl Fn(&Value) -> Value) -> Value {
    match v {
        Value::Multi(vs) => Value::multi(vs.iter().map(f).collect()),
        other => f(other),
    }
}

fn convert_one(func: &str, v: &Value, fmt: &str) -> Value {
    match func {
        "ctime" => match v.as_num() {
            Some(t) => time::strftime(t, fmt)
                .map(Value::Str)
                .unwrap_or_else(|| v.clone()),
            None => v.clone(),
        },
        "mktime" => time::strptime(&v.to_string(), fmt)
            .map(Value::Num)
            .unwrap_or_else(|| v.clone()),
        "num" | "auto" => v.as_num().map(Value::Num).unwrap_or_else(|| {
            if func == "auto" {
                v.clone()
            } else {
                Value::Null
            }
        }),
        "rmcomma" => parse_number(&v.to_string().replace(',', ""))
            .map(Value::Num)
            .unwrap_or(Value::Null),
        "rmunit" => {
            let t = v.to_string();
            let digits: String = t
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
                .collect();
            parse_number(&digits).map(Value::Num).unwrap_or(Value::Null)
        }
        "dur2sec" => {
            let t = v.to_string();
            let (days, hms) = match t.split_once('+') {
                Some((d, r)) => (d.parse::<f64>().unwrap_or(0.0), r.to_string()),
                None => (0.0, t.clone()),
            };
            let parts: Vec<f64> = hms
                .split(':')
                .filter_map(|p| p.parse::<f64>().ok())
                .collect();
            let secs = parts.iter().fold(0.0, |acc, p| acc * 60.0 + p);
            Value::Num(days * 86400.0 + secs)
        }
        _ => v.clone(),
    }
}

/// `table`: keeps the named fields (wildcards allowed).
pub fn table(rows: &mut [Row], fields: &[String]) {
    for row in rows.iter_mut() {
        row.retain(|k, _| fields.iter().any(|f| field_glob(f, k).is_some()));
    }
}

/// `fields [-] list`: keeps (or removes) the named fields; internal fields such as
/// `_raw` and `_time` stay unless named explicitly with `-`.
pub fn fields(rows: &mut [Row], remove: bool, list: &[String]) {
    for row in rows.iter_mut() {
        row.retain(|k, _| {
            let named = list.iter().any(|f| field_glob(f, k).is_some());
            if remove {
                !named
            } else {
                named || k.starts_with('_')
            }
        });
    }
}

/// `fillnull`: gives null fields the value (all fields seen in any row when none named).
pub fn fillnull(rows: &mut [Row], value: &str, list: &[String]) {
    let targets: Vec<String> = if list.is_empty() {
        let mut all: Vec<String> = rows.iter().flat_map(|r| r.keys().cloned()).collect();
        all.sort();
        all.dedup();
        all
    } else {
        list.to_vec()
    };
    for row in rows.iter_mut() {
        for f in &targets {
            if row.get(f).is_none_or(Value::is_null) {
                row.insert(f.clone(), Value::str(value));
            }
        }
    }
}

/// `dedup N fields`: keeps the first N rows per combination; rows missing a field are
/// dropped (Splunk's default `keepempty=false`).
pub fn dedup(rows: Vec<Row>, count: usize, list: &[String]) -> Vec<Row> {
    let mut seen: std::collections::HashMap<Vec<String>, usize> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for row in rows {
        let key: Option<Vec<String>> = list
            .iter()
            .map(|f| row.get(f).and_then(Value::as_text))
            .collect();
        if let Some(key) = key {
            let n = seen.entry(key).or_insert(0);
            if *n < count {
                *n += 1;
                out.push(row);
            }
        }
    }
    out
}

/// `sort`: stable sort by the keys (numbers numerically, text lexically), then limit.
pub fn sort(mut rows: Vec<Row>, keys: &[SortKey], limit: usize) -> Vec<Row> {
    rows.sort_by(|a, b| {
        for k in keys {
            let (x, y) = (a.get(&k.field), b.get(&k.field));
            let o = match (x, y) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => compare(x, y).unwrap_or(Ordering::Equal),
            };
            let o = if k.desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    if limit > 0 {
        rows.truncate(limit);
    }
    rows
}

/// Names of every field in the rows, in first-seen order (for reports).
pub fn field_names(rows: &[Row]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for r in rows {
        for k in r.keys() {
            if seen.insert(k.clone()) {
                out.push(k.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_rename_drops_the_prefix() {
        let mut rows = vec![Row::from([
            ("Processes.dest".to_string(), Value::str("h")),
            ("count".to_string(), Value::Num(1.0)),
        ])];
        rename(&mut rows, &[("Processes.*".into(), "*".into())]);
        assert_eq!(rows[0].get("dest"), Some(&Value::str("h")));
        assert!(!rows[0].contains_key("Processes.dest"));
        assert!(rows[0].contains_key("count"));
    }

    #[test]
    fn ctime_converts_epoch() {
        let mut rows = vec![Row::from([("firstTime".to_string(), Value::Num(0.0))])];
        let c = Convert {
            timeformat: Some("%Y-%m-%dT%H:%M:%S".into()),
            items: vec![("ctime".into(), "firstTime".into(), None)],
        };
        convert(&mut rows, &c);
        assert_eq!(rows[0]["firstTime"], Value::str("1970-01-01T00:00:00"));
    }

    #[test]
    fn glob_captures() {
        assert_eq!(field_glob("a.*", "a.b"), Some(vec!["b".to_string()]));
        assert_eq!(field_glob("a.*", "b.b"), None);
        assert_eq!(field_glob("x", "x"), Some(vec![]));
    }
}
