//! Row-shaping commands: `rename`, `convert`, `table`, `fields`, `fillnull`, `dedup`,
//! `head`/`tail`, `sort`.

use super::time;
use crate::expr::compare;
use crate::program::{Dedup, SortAs, SortKey};
use firedrill_value::{parse_number, Row, Value};
use std::cmp::Ordering;

/// `to` with each `*` replaced by the next of `caps` (what a [`field_glob`] matched).
pub fn glob_target(to: &str, caps: Vec<String>) -> String {
    let mut target = String::new();
    let mut caps = caps.into_iter();
    for (i, piece) in to.split('*').enumerate() {
        if i > 0 {
            target.push_str(&caps.next().unwrap_or_default());
        }
        target.push_str(piece);
    }
    target
}

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
            if !from.contains('*') {
                // Search Reference, rename: the new name takes the old field's value,
                // and is removed where the old field does not exist (no merging).
                if from != to {
                    match row.remove(from) {
                        Some(v) => row.insert(to.clone(), v),
                        None => row.remove(to),
                    };
                }
                continue;
            }
            let names: Vec<(String, Vec<String>)> = row
                .keys()
                .filter_map(|k| Some((k.clone(), field_glob(from, k)?)))
                .collect();
            for (name, caps) in names {
                let target = glob_target(to, caps);
                if target != name {
                    if let Some(v) = row.remove(&name) {
                        row.insert(target, v);
                    }
                }
            }
        }
    }
}

/// The `convert` functions firedrill implements.
pub const CONVERSIONS: &[&str] = &[
    "ctime", "mktime", "num", "auto", "rmcomma", "rmunit", "dur2sec", "memk",
];

/// `convert [timeformat=…] fn(field) [AS new] …` (fields may be wildcards).
pub fn convert(rows: &mut [Row], timeformat: &str, items: &[(String, String, Option<String>)]) {
    for row in rows.iter_mut() {
        for (func, field, alias) in items {
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
                let out = map_values(&v, |x| convert_one(func, x, timeformat));
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
        // Search Reference, convert: `rmcomma(1,000,000.00)` is `1000000.00` (the
        // text without its commas, decimals kept).
        "rmcomma" => {
            let t = v.to_string().replace(',', "");
            match parse_number(&t) {
                Some(_) => Value::Str(t),
                None => Value::Null,
            }
        }
        // `memk`: a number with an optional k, m or g, in kilobytes.
        "memk" => {
            let t = v.to_string();
            let t = t.trim();
            let (n, unit) = match t.char_indices().last() {
                Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_lowercase()),
                _ => (t, 'k'),
            };
            let scale = match unit {
                'k' => Some(1.0),
                'm' => Some(1024.0),
                'g' => Some(1024.0 * 1024.0),
                _ => None,
            };
            match (parse_number(n), scale) {
                (Some(n), Some(s)) if n >= 0.0 => Value::Num(n * s),
                _ => Value::Null,
            }
        }
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
/// `dedup`: keeps the first `count` rows of each combination of the fields; rows
/// missing a field are dropped (kept with `keepempty=true`); with `consecutive=true`
/// only runs of duplicates are removed; `sortby` sorts what is left.
/// `dedup`; with `sortby`, the rows are sorted first and the top-most of each set of
/// duplicates is kept (Search Reference, dedup: "the top-most event, of the duplicate
/// events in the sorted list, is retained").
pub fn dedup(rows: Vec<Row>, d: &Dedup) -> Vec<Row> {
    let rows = if d.sortby.is_empty() {
        rows
    } else {
        sort(rows, &d.sortby, 0)
    };
    let mut seen: std::collections::HashMap<Vec<String>, usize> = std::collections::HashMap::new();
    let mut last: Option<Vec<String>> = None;
    let mut run = 0;
    let mut out = Vec::new();
    for row in rows {
        let key: Option<Vec<String>> = d
            .fields
            .iter()
            .map(|f| row.get(f).and_then(Value::as_text))
            .collect();
        let Some(key) = key else {
            if d.keepempty {
                out.push(row);
            }
            continue;
        };
        let first = if d.consecutive {
            if last.as_ref() == Some(&key) {
                run += 1;
            } else {
                run = 1;
                last = Some(key);
            }
            run <= d.count
        } else {
            let n = seen.entry(key).or_insert(0);
            *n += 1;
            *n <= d.count
        };
        if first {
            out.push(row);
        } else if d.keepevents {
            // Search Reference: keeps all events, but removes the selected fields from
            // events after the first event containing a particular combination.
            let mut row = row;
            for f in &d.fields {
                row.remove(f);
            }
            out.push(row);
        }
    }
    out
}

/// `sort`: stable, by each key in turn; rows missing a key sort first ascending.
pub fn sort(mut rows: Vec<Row>, keys: &[SortKey], limit: usize) -> Vec<Row> {
    rows.sort_by(|a, b| {
        for k in keys {
            let (x, y) = (a.get(&k.field), b.get(&k.field));
            let o = match (x, y) {
                (None, None) => Ordering::Equal,
                // Search Reference, sort: results without the field come last, in
                // either order.
                (None, Some(_)) => return Ordering::Greater,
                (Some(_), None) => return Ordering::Less,
                (Some(x), Some(y)) => sort_cmp(x, y, k.how),
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

fn sort_cmp(x: &Value, y: &Value, how: SortAs) -> Ordering {
    match how {
        SortAs::Auto => compare(x, y).unwrap_or(Ordering::Equal),
        SortAs::Str => x.to_string().cmp(&y.to_string()),
        SortAs::Num => match (x.as_num(), y.as_num()) {
            (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => x.to_string().cmp(&y.to_string()),
        },
        SortAs::Ip => {
            let ip = |v: &Value| v.to_string().trim().parse::<std::net::IpAddr>().ok();
            match (ip(x), ip(y)) {
                (Some(a), Some(b)) => a.cmp(&b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => x.to_string().cmp(&y.to_string()),
            }
        }
    }
}

/// `join`: adds to each row the fields of the first `max` subsearch rows that agree on
/// every join field (0: all); unmatched rows are dropped unless `left`.
/// `overwrite=false` keeps the main result's value where both have a field.
pub fn join(
    rows: Vec<Row>,
    right: &[Row],
    fields: &[String],
    left: bool,
    max: usize,
    overwrite: bool,
) -> Vec<Row> {
    let key = |r: &Row| -> Option<Vec<String>> {
        fields
            .iter()
            .map(|f| r.get(f).and_then(Value::as_text))
            .collect()
    };
    let mut index: std::collections::HashMap<Vec<String>, Vec<&Row>> =
        std::collections::HashMap::new();
    for r in right {
        if let Some(k) = key(r) {
            index.entry(k).or_default().push(r);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let matches = key(&row).and_then(|k| index.get(&k));
        match matches {
            Some(ms) => {
                let take = if max == 0 {
                    ms.len()
                } else {
                    max.min(ms.len())
                };
                for m in ms.iter().take(take) {
                    let mut r = row.clone();
                    for (k, v) in m.iter() {
                        if overwrite || !r.contains_key(k) {
                            r.insert(k.clone(), v.clone());
                        }
                    }
                    out.push(r);
                }
            }
            None if left => out.push(row),
            None => {}
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
        let items = vec![("ctime".to_string(), "firstTime".to_string(), None)];
        convert(&mut rows, "%Y-%m-%dT%H:%M:%S", &items);
        assert_eq!(rows[0]["firstTime"], Value::str("1970-01-01T00:00:00"));
    }

    #[test]
    fn glob_captures() {
        assert_eq!(field_glob("a.*", "a.b"), Some(vec!["b".to_string()]));
        assert_eq!(field_glob("a.*", "b.b"), None);
        assert_eq!(field_glob("x", "x"), Some(vec![]));
    }
}

/// Seconds (or plain units) in a span such as `1h`, `10m`, `30s`, `1d`, `300`.
pub fn span_size(span: &str) -> Option<f64> {
    let digits: String = span
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let n: f64 = if digits.is_empty() {
        1.0
    } else {
        digits.parse().ok()?
    };
    let unit = &span[digits.len()..];
    let factor = match unit {
        "" => 1.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86400.0,
        "w" | "week" | "weeks" => 604800.0,
        _ => return None,
    };
    let size = n * factor;
    (size > 0.0).then_some(size)
}

/// `bin field span=X [AS new]`: rounds numeric values down to a multiple of the span.
pub fn bin(rows: &mut [Row], field: &str, size: f64, alias: Option<&str>) {
    for row in rows.iter_mut() {
        if let Some(t) = row.get(field).and_then(Value::as_num) {
            let v = Value::Num((t / size).floor() * size);
            row.insert(alias.unwrap_or(field).to_string(), v);
        }
    }
}

/// `mvexpand`: one row per value of `field` (rows without it are dropped, as Splunk does).
pub fn mvexpand(rows: Vec<Row>, field: &str, limit: usize) -> Vec<Row> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let values: Vec<Value> = match row.get(field) {
            Some(v) if !v.is_null() => v.values().to_vec(),
            _ => continue,
        };
        let take = if limit == 0 {
            values.len()
        } else {
            limit.min(values.len())
        };
        for v in values.into_iter().take(take) {
            let mut r = row.clone();
            r.insert(field.to_string(), v);
            out.push(r);
        }
    }
    out
}

/// `makemv delim=d field`.
pub fn makemv(
    rows: &mut [Row],
    field: &str,
    delim: &str,
    allow_empty: bool,
    tokenizer: Option<&super::re::Re>,
) {
    for row in rows.iter_mut() {
        if let Some(Value::Str(s)) = row.get(field) {
            let parts: Vec<Value> = match tokenizer {
                // Search Reference, makemv: "For each match, the first capturing group
                // is used as a value".
                Some(re) => re
                    .spans(s)
                    .iter()
                    .filter_map(|m| m.get(1).copied().flatten())
                    .map(|(a, b)| Value::str(&s[a..b]))
                    .collect(),
                None => s
                    .split(delim)
                    .filter(|p| allow_empty || !p.is_empty())
                    .map(Value::str)
                    .collect(),
            };
            row.insert(field.to_string(), Value::multi(parts));
        }
    }
}

/// `rex`: named capture groups of `re` become fields, one value per match up to
/// `max_match` (0: all).
pub fn rex(
    rows: &mut [Row],
    field: &str,
    re: &super::re::Re,
    max_match: usize,
    offset_field: Option<&str>,
) {
    let names: Vec<String> = re.names();
    if let Some(o) = offset_field {
        offsets(rows, field, re, &names, o);
    }
    for row in rows.iter_mut() {
        let texts: Vec<String> = match row.get(field) {
            Some(v) => v.values().iter().map(|x| x.to_string()).collect(),
            None => continue,
        };
        let mut found: Vec<Vec<Value>> = vec![Vec::new(); names.len()];
        let mut matches = 0;
        'outer: for t in &texts {
            for caps in re.named_captures(t, &names) {
                if max_match != 0 && matches >= max_match {
                    break 'outer;
                }
                matches += 1;
                for (i, m) in caps.into_iter().enumerate() {
                    if let Some(m) = m {
                        found[i].push(Value::Str(m));
                    }
                }
            }
        }
        for (n, vals) in names.iter().zip(found) {
            if !vals.is_empty() {
                row.insert(n.to_string(), Value::multi(vals));
            }
        }
    }
}

/// `rex offset_field=o`: where each named group of the first match lies in the
/// field's (first) value, as `name=start-end` (end inclusive), joined by `&`.
fn offsets(rows: &mut [Row], field: &str, re: &super::re::Re, names: &[String], out: &str) {
    for row in rows.iter_mut() {
        let Some(text) = row
            .get(field)
            .and_then(|v| v.values().first().map(Value::to_string))
        else {
            continue;
        };
        let Some(m) = re.spans(&text).into_iter().next() else {
            continue;
        };
        let parts: Vec<String> = names
            .iter()
            .filter_map(|n| {
                let (a, b) = m.get(re.name_index(n)?).copied().flatten()?;
                let chars = |i: usize| text[..i].chars().count();
                Some(format!("{n}={}-{}", chars(a), chars(b).saturating_sub(1)))
            })
            .collect();
        if !parts.is_empty() {
            row.insert(out.to_string(), Value::Str(parts.join("&")));
        }
    }
}

/// `rex mode=sed "y/abc/xyz/"`.
pub fn translit(rows: &mut [Row], field: &str, from: &[char], to: &[char]) {
    let map = |t: &str| -> String {
        t.chars()
            .map(|c| match from.iter().position(|f| *f == c) {
                Some(i) => to.get(i).copied().unwrap_or(c),
                None => c,
            })
            .collect()
    };
    for row in rows.iter_mut() {
        if let Some(v) = row.get(field) {
            let out = super::super::expr::funcs::map_text(v, map);
            row.insert(field.to_string(), out);
        }
    }
}

/// `rex mode=sed "s/re/replacement/flags"` on `field`.
pub fn sed(rows: &mut [Row], field: &str, re: &super::re::Re, replacement: &str, which: usize) {
    for row in rows.iter_mut() {
        if let Some(v) = row.get(field) {
            let out = match v {
                Value::Multi(vs) => Value::Multi(
                    vs.iter()
                        .map(|x| Value::Str(sub(re, &x.to_string(), replacement, which)))
                        .collect(),
                ),
                other => Value::Str(sub(re, &other.to_string(), replacement, which)),
            };
            row.insert(field.to_string(), out);
        }
    }
}

fn sub(re: &super::re::Re, text: &str, rep: &str, which: usize) -> String {
    match which {
        0 => re.replace(text, rep, true).into_owned(),
        1 => re.replace(text, rep, false).into_owned(),
        n => re.replace_nth(text, rep, n),
    }
}

/// Splits a sed expression `s/re/rep/flags` into its parts (the regex crate's `${1}`
/// replaces sed's `\1`). `None` if it is not an `s` expression.
pub fn parse_sed(expr: &str) -> Option<(String, String, usize)> {
    let rest = expr.strip_prefix('s')?;
    let delim = rest.chars().next()?;
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = rest[delim.len_utf8()..].chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '\\' {
            if let Some(&n) = chars.peek() {
                if n == delim {
                    cur.push(n);
                    chars.next();
                    continue;
                }
            }
            cur.push(ch);
        } else if ch == delim {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(ch);
        }
    }
    parts.push(cur);
    if parts.len() < 2 {
        return None;
    }
    let flags = parts.get(2).cloned().unwrap_or_default();
    let mut rep = String::new();
    let mut it = parts[1].chars().peekable();
    while let Some(ch) = it.next() {
        match ch {
            '\\' if it.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let d = it.next().unwrap_or('0');
                rep.push_str(&format!("${{{d}}}"));
            }
            '$' => rep.push_str("$$"),
            '&' => rep.push_str("${0}"),
            _ => rep.push(ch),
        }
    }
    // Search Reference, rex: the flags are `g` (every match) or a number (that match).
    let which = if flags.contains('g') {
        0
    } else {
        flags.trim().parse().unwrap_or(1).max(1)
    };
    Some((parts[0].clone(), rep, which))
}

#[cfg(test)]
mod more_tests {
    use super::*;

    #[test]
    fn rex_named_groups_and_max_match() {
        let mut rows = vec![Row::from([("_raw".to_string(), Value::str("a=1 a=2 a=3"))])];
        let re = super::super::re::Re::new(r"a=(?<n>\d)").unwrap();
        rex(&mut rows, "_raw", &re, 2, None);
        assert_eq!(
            rows[0]["n"],
            Value::Multi(vec![Value::str("1"), Value::str("2")])
        );
    }

    #[test]
    fn sed_expressions() {
        // Splunk docs (rex, sed mode): s/(\d{4}-){3}/XXXX-XXXX-XXXX-/g masks card numbers.
        let (re, rep, which) = parse_sed(r"s/(\d{4}-){3}/XXXX-XXXX-XXXX-/g").unwrap();
        assert_eq!(which, 0);
        let mut rows = vec![Row::from([(
            "_raw".to_string(),
            Value::str("cc=1234-5678-1234-5678"),
        )])];
        sed(
            &mut rows,
            "_raw",
            &super::super::re::Re::new(&re).unwrap(),
            &rep,
            which,
        );
        assert_eq!(rows[0]["_raw"], Value::str("cc=XXXX-XXXX-XXXX-5678"));
        // A number flag replaces that match only; y/// transliterates.
        let (re, rep, which) = parse_sed("s/o/0/3").unwrap();
        let mut rows = vec![Row::from([("m".to_string(), Value::str("foo boo"))])];
        sed(
            &mut rows,
            "m",
            &super::super::re::Re::new(&re).unwrap(),
            &rep,
            which,
        );
        assert_eq!(rows[0]["m"], Value::str("foo b0o"));
        translit(&mut rows, "m", &['f', 'b'], &['F', 'B']);
        assert_eq!(rows[0]["m"], Value::str("Foo B0o"));
    }

    #[test]
    fn bin_and_mvexpand() {
        let mut rows = vec![Row::from([("_time".to_string(), Value::Num(3725.0))])];
        bin(&mut rows, "_time", span_size("1h").unwrap(), None);
        assert_eq!(rows[0]["_time"], Value::Num(3600.0));
        let rows = vec![Row::from([(
            "m".to_string(),
            Value::Multi(vec![Value::str("a"), Value::str("b")]),
        )])];
        assert_eq!(mvexpand(rows, "m", 0).len(), 2);
    }
}
