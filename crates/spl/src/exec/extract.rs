//! Field extraction from structured text: `spath` and `fromjson` (JSON, flattened the
//! way Splunk names JSON fields: `a.b`, arrays as `a{}`), and `xmlkv`.

use firedrill_value::json::{flatten, path_values, scalar_value};
use firedrill_value::{Row, Value};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// `spath [input=f] [output=o] [path=p]`. Text that is not JSON extracts nothing.
pub fn spath(rows: &mut [Row], input: &str, path: Option<&str>, output: Option<&str>) {
    for row in rows.iter_mut() {
        let text = match row.get(input) {
            Some(v) if !v.is_null() => v
                .values()
                .first()
                .map(|x| x.to_string())
                .unwrap_or_default(),
            _ => continue,
        };
        let json: Json = match serde_json::from_str(text.trim()) {
            Ok(j) => j,
            Err(_) => continue,
        };
        match path {
            Some(p) => {
                let vals = path_values(&json, p);
                if !vals.is_empty() {
                    row.insert(output.unwrap_or(p).to_string(), Value::multi(vals));
                }
            }
            None => {
                for (k, vals) in flatten(&json) {
                    let name = match output {
                        Some(o) => format!("{o}.{k}"),
                        None => k,
                    };
                    row.insert(name, Value::multi(vals));
                }
            }
        }
    }
}

/// `fromjson field`: the top-level keys of the JSON object in `field` become fields
/// (nested values as JSON text).
pub fn fromjson(rows: &mut [Row], field: &str) {
    for row in rows.iter_mut() {
        let text = match row.get(field) {
            Some(Value::Str(s)) => s.clone(),
            _ => continue,
        };
        if let Ok(Json::Object(m)) = serde_json::from_str::<Json>(&text) {
            for (k, v) in m {
                let val = match &v {
                    Json::Array(items) => Value::multi(
                        items
                            .iter()
                            .map(|i| scalar_value(i).unwrap_or_else(|| Value::Str(i.to_string())))
                            .collect(),
                    ),
                    Json::Object(_) => Value::Str(v.to_string()),
                    other => scalar_value(other).unwrap_or(Value::Null),
                };
                row.insert(k, val);
            }
        }
    }
}

/// `xmlkv [field]`: every innermost `<tag>value</tag>` in the field (default `_raw`)
/// becomes field `tag`.
pub fn xmlkv(rows: &mut [Row], field: &str) {
    for row in rows.iter_mut() {
        let raw = match row.get(field) {
            Some(v) => v.to_string(),
            None => continue,
        };
        let mut found: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut rest = raw.as_str();
        while let Some(open) = rest.find('<') {
            rest = &rest[open + 1..];
            let close = match rest.find('>') {
                Some(c) => c,
                None => break,
            };
            let tag = &rest[..close];
            if tag.starts_with('/')
                || tag.starts_with('?')
                || tag.starts_with('!')
                || tag.ends_with('/')
            {
                continue;
            }
            let name = tag.split_whitespace().next().unwrap_or("");
            let body = &rest[close + 1..];
            let end_tag = format!("</{name}>");
            if let Some(end) = body.find(&end_tag) {
                let value = &body[..end];
                if !value.contains('<') && !name.is_empty() {
                    found
                        .entry(name.to_string())
                        .or_default()
                        .push(Value::str(value));
                }
            }
        }
        for (k, v) in found {
            row.insert(k, Value::multi(v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_names_like_splunk() {
        let j: Json =
            serde_json::from_str(r#"{"a":{"b":1},"c":[{"d":"x"},{"d":"y"}],"e":true}"#).unwrap();
        let f = flatten(&j);
        assert_eq!(f["a.b"], vec![Value::str("1")]);
        assert_eq!(f["c{}.d"], vec![Value::str("x"), Value::str("y")]);
        assert_eq!(f["e"], vec![Value::str("true")]);
    }

    #[test]
    fn spath_paths() {
        let j: Json = serde_json::from_str(
            r#"{"userIdentity":{"arn":"arn:x"},"items":[{"id":"i-1"},{"id":"i-2"}]}"#,
        )
        .unwrap();
        assert_eq!(
            path_values(&j, "userIdentity.arn"),
            vec![Value::str("arn:x")]
        );
        assert_eq!(
            path_values(&j, "items{}.id"),
            vec![Value::str("i-1"), Value::str("i-2")]
        );
        assert_eq!(path_values(&j, "items{2}.id"), vec![Value::str("i-2")]);
    }

    #[test]
    fn xmlkv_reads_leaf_elements() {
        let mut rows = vec![Row::from([(
            "_raw".to_string(),
            Value::str("<a><user>bob</user><n>1</n></a>"),
        )])];
        xmlkv(&mut rows, "_raw");
        assert_eq!(rows[0]["user"], Value::str("bob"));
    }
}
