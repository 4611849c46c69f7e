//! JSON as Splunk's `KV_MODE=json` and `spath` see it: objects flattened with `.`,
//! arrays marked `{}`, repeated names as multivalues.

use crate::Value;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// Flattens a JSON document into Splunk field names: objects join keys with `.`,
/// arrays append `{}`; repeated names become multivalues.
pub fn flatten(json: &Json) -> BTreeMap<String, Vec<Value>> {
    let mut out = BTreeMap::new();
    walk(json, String::new(), &mut out);
    out
}

fn walk(j: &Json, prefix: String, out: &mut BTreeMap<String, Vec<Value>>) {
    match j {
        Json::Object(m) => {
            for (k, v) in m {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                walk(v, name, out);
            }
        }
        Json::Array(items) => {
            let name = format!("{prefix}{{}}");
            for v in items {
                walk(v, name.clone(), out);
            }
        }
        scalar => {
            if let Some(v) = scalar_value(scalar) {
                out.entry(prefix).or_default().push(v);
            }
        }
    }
}

/// A JSON scalar as Splunk shows it (`true`, `null` and numbers as text).
pub fn scalar_value(j: &Json) -> Option<Value> {
    match j {
        Json::Null => Some(Value::str("null")),
        Json::Bool(b) => Some(Value::str(if *b { "true" } else { "false" })),
        Json::Number(n) => Some(Value::Str(n.to_string())),
        Json::String(s) => Some(Value::Str(s.clone())),
        _ => None,
    }
}

/// The value at an spath `path` (`a.b{}.c`, `a{2}`: array indexes count from 1):
/// scalars as text, objects and arrays as JSON text; `{}` collects every element.
pub fn path_values(json: &Json, path: &str) -> Vec<Value> {
    let mut cur: Vec<&Json> = vec![json];
    for seg in split_path(path) {
        let mut next = Vec::new();
        for node in cur {
            match seg {
                Seg::Key(k) => {
                    if let Some(v) = node.get(k) {
                        next.push(v);
                    }
                }
                Seg::All => {
                    if let Json::Array(items) = node {
                        next.extend(items.iter());
                    }
                }
                // "JSON uses zero-based indexing" (Search Reference, spath), unlike
                // XML's `{N}`, which counts from 1.
                Seg::Index(i) => {
                    if let Some(v) = node.as_array().and_then(|a| a.get(i)) {
                        next.push(v);
                    }
                }
            }
        }
        cur = next;
    }
    cur.into_iter()
        .map(|j| match j {
            Json::Object(_) | Json::Array(_) => Value::Str(j.to_string()),
            other => scalar_value(other).unwrap_or(Value::Null),
        })
        .collect()
}

enum Seg<'a> {
    Key(&'a str),
    All,
    Index(usize),
}

fn split_path(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(b) = rest.find('{') {
            if b > 0 {
                out.push(Seg::Key(&rest[..b]));
            }
            rest = &rest[b..];
            while let Some(r) = rest.strip_prefix('{') {
                let close = r.find('}').unwrap_or(r.len());
                let inner = &r[..close];
                out.push(match inner.parse::<usize>() {
                    Ok(i) => Seg::Index(i),
                    Err(_) => Seg::All,
                });
                rest = r.get(close + 1..).unwrap_or("");
            }
        } else {
            out.push(Seg::Key(rest));
        }
    }
    out
}
