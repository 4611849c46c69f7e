//! Field extraction from structured text: `spath` and `fromjson` (JSON, flattened the
//! way Splunk names JSON fields: `a.b`, arrays as `a{}`), and `xmlkv`.

use firedrill_value::json::{flatten, path_values, scalar_value};
use firedrill_value::{Row, Value};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// `spath [input=f] [output=o] [path=p]` over JSON or XML text (anything else
/// extracts nothing, as in Splunk).
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
        if text.trim_start().starts_with('<') {
            xml_spath(row, &text, path, output);
            continue;
        }
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

/// `spath` over XML: each element's text is named by its path from the root element
/// (`RuleAndFileData.PolicyName`), each attribute as `path{@name}`; repeated paths
/// are multivalue, in document order. A `path=` picks one of those names; `{N}` in it
/// picks the Nth value (from 1).
fn xml_spath(row: &mut Row, text: &str, path: Option<&str>, output: Option<&str>) {
    match path {
        Some(p) => {
            let vals = xml_path_values(text, p);
            if !vals.is_empty() {
                row.insert(output.unwrap_or(p).to_string(), Value::multi(vals));
            }
        }
        None => {
            for (k, vals) in xml_flatten(text) {
                let name = match output {
                    Some(o) => format!("{o}.{k}"),
                    None => k,
                };
                row.insert(name, Value::multi(vals));
            }
        }
    }
}

/// The values at `path` in XML text (`{N}` picks the Nth, from 1).
fn xml_path_values(text: &str, path: &str) -> Vec<Value> {
    let flat = xml_flatten(text);
    let (name, nth) = split_index(path);
    match flat.into_iter().find(|(k, _)| *k == name).map(|(_, v)| v) {
        Some(vals) => match nth {
            Some(n) => vals.get(n.wrapping_sub(1)).cloned().into_iter().collect(),
            None => vals,
        },
        None => Vec::new(),
    }
}

/// The eval function `spath(value, path)`: the value (or values) at `path` in JSON
/// or XML text, as the `spath` command finds them; null when there is none.
pub fn spath_value(text: &str, path: &str) -> Value {
    let vals = if text.trim_start().starts_with('<') {
        xml_path_values(text, path)
    } else {
        match serde_json::from_str::<Json>(text.trim()) {
            Ok(j) => path_values(&j, path),
            Err(_) => Vec::new(),
        }
    };
    Value::multi(vals)
}

/// `a.b{2}` → (`a.b`, Some(2)); `a{@id}` is a name, not an index.
fn split_index(p: &str) -> (String, Option<usize>) {
    let mut name = String::new();
    let mut nth = None;
    let mut rest = p;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map(|c| open + c);
        let Some(close) = close else { break };
        let inner = &rest[open + 1..close];
        name.push_str(&rest[..open]);
        match inner.parse::<usize>() {
            Ok(n) => nth = Some(n),
            Err(_) => name.push_str(&rest[open..=close]),
        }
        rest = &rest[close + 1..];
    }
    name.push_str(rest);
    (name, nth)
}

/// The text after a leading `<?xml …>` declaration, also one that ends without `?>`
/// (`<?xml version="1.0">`, as the Search Reference's spath example writes it).
fn skip_declaration(text: &str) -> &str {
    let t = text.trim_start();
    match t.strip_prefix("<?xml") {
        Some(rest) if rest.starts_with(|c: char| c.is_whitespace()) => {
            let end = rest.find("?>").map(|i| i + 2);
            let end = end.filter(|&e| rest[..e].find('>') == Some(e - 1));
            match end.or_else(|| rest.find('>').map(|i| i + 1)) {
                Some(e) => &rest[e..],
                None => text,
            }
        }
        _ => text,
    }
}

/// Fields by name, in first-seen order, each with its values.
type Flat = Vec<(String, Vec<Value>)>;

/// Every element text and attribute of an XML document, by path, in document order.
/// Text that stops being well-formed keeps what was read before the fault.
fn xml_flatten(text: &str) -> Vec<(String, Vec<Value>)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(skip_declaration(text));
    let mut stack: Vec<String> = Vec::new();
    let mut out: Vec<(String, Vec<Value>)> = Vec::new();
    let mut push = |out: &mut Vec<(String, Vec<Value>)>, key: String, v: String| match out
        .iter_mut()
        .find(|(k, _)| *k == key)
    {
        Some((_, vals)) => vals.push(Value::Str(v)),
        None => out.push((key, vec![Value::Str(v)])),
    };
    let attrs = |out: &mut Flat,
                 push: &mut dyn FnMut(&mut Flat, String, String),
                 e: &quick_xml::events::BytesStart<'_>,
                 at: &str| {
        // Unquoted values (`<title yearPublished=1996>`, as the Search Reference's own
        // example has them) are read as HTML would.
        for a in e.html_attributes().flatten() {
            let key = String::from_utf8_lossy(a.key.local_name().as_ref()).to_string();
            let value = a
                .unescape_value()
                .map(|v| v.to_string())
                .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).to_string());
            push(out, format!("{at}{{@{key}}}"), value);
        }
    };
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                stack.push(String::from_utf8_lossy(e.local_name().as_ref()).to_string());
                attrs(&mut out, &mut push, &e, &stack.join("."));
            }
            Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
                let at = if stack.is_empty() {
                    name
                } else {
                    format!("{}.{name}", stack.join("."))
                };
                attrs(&mut out, &mut push, &e, &at);
            }
            Ok(Event::End(_)) => {
                stack.pop();
            }
            Ok(Event::Text(t)) => {
                let v = t
                    .xml_content()
                    .map(|c| c.to_string())
                    .unwrap_or_else(|_| String::from_utf8_lossy(&t).to_string());
                if !stack.is_empty() && !v.trim().is_empty() {
                    push(&mut out, stack.join("."), v.trim().to_string());
                }
            }
            Ok(Event::CData(t)) => {
                if !stack.is_empty() {
                    push(
                        &mut out,
                        stack.join("."),
                        String::from_utf8_lossy(&t).to_string(),
                    );
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
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

/// `iplocation`: City, Country, Region, lat and lon (with `allfields`, also Continent,
/// MetroCode and Timezone) of the address in `field`, each prefixed. As the Search
/// Reference says, a located address gets every field, empty where the database has
/// no value; an address it has no location for (an internal one) gets none.
pub fn iplocation(
    rows: &mut [Row],
    field: &str,
    prefix: &str,
    allfields: bool,
    lang: &str,
    db: &dyn crate::geo::GeoIp,
) {
    let text = |v: Option<String>| Value::Str(v.unwrap_or_default());
    let num = |v: Option<f64>| v.map_or_else(|| Value::Str(String::new()), Value::Num);
    for row in rows {
        let Some(ip) = row
            .get(field)
            .and_then(|v| v.values().first().map(|x| x.to_string()))
            .and_then(|t| crate::geo::address(&t))
        else {
            continue;
        };
        let Some(loc) = db.locate(ip, lang) else {
            continue;
        };
        let mut set = |name: &str, v: Value| {
            row.insert(format!("{prefix}{name}"), v);
        };
        set("City", text(loc.city));
        set("Country", text(loc.country));
        set("Region", text(loc.region));
        set("lat", num(loc.lat));
        set("lon", num(loc.lon));
        if allfields {
            set("Continent", text(loc.continent));
            set("MetroCode", num(loc.metro_code.map(f64::from)));
            set("Timezone", text(loc.timezone));
        }
    }
}

/// `extract`/`kv`: the pairs in the first `maxchars` characters of `_raw` — Splunk's
/// automatic `key=value` pairs, or, with `delims`, parts split by the pair delimiters
/// and each at its first key-value delimiter — at most `limit` of them, keys cleaned
/// as `CLEAN_KEYS` cleans them when `clean_keys`. As transforms.conf's `MV_ADD`
/// documents: a field the row has keeps its value (with `mv_add`, the new value is
/// added to it), and so does the first of repeated keys.
pub fn extract(
    rows: &mut [Row],
    delims: Option<&(Vec<char>, Vec<char>)>,
    clean_keys: bool,
    mv_add: bool,
    limit: usize,
    maxchars: usize,
) {
    for row in rows {
        let Some(raw) = row
            .get("_raw")
            .and_then(|v| v.values().first().map(|x| x.to_string()))
        else {
            continue;
        };
        let text = match raw.char_indices().nth(maxchars) {
            Some((at, _)) => &raw[..at],
            None => raw.as_str(),
        };
        let pairs: Vec<(String, String)> = match delims {
            Some((pair, kv)) => firedrill_value::kv::delimited(text, pair, kv),
            None => firedrill_value::kv::pairs(text)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        for (k, v) in pairs.into_iter().take(limit) {
            let k = if clean_keys {
                firedrill_value::kv::clean_key(&k)
            } else {
                k
            };
            if k.is_empty() {
                continue;
            }
            match row.get_mut(&k) {
                None => {
                    row.insert(k, Value::Str(v));
                }
                Some(old) if mv_add => {
                    let mut vs = old.values().to_vec();
                    vs.push(Value::Str(v));
                    *old = Value::multi(vs);
                }
                Some(_) => {}
            }
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
        // Zero-based in JSON.
        assert_eq!(path_values(&j, "items{1}.id"), vec![Value::str("i-2")]);
        assert!(path_values(&j, "items{2}.id").is_empty());
    }

    #[test]
    fn spath_reads_xml_by_element_path() {
        // Search Reference, spath: XML fields are named by their path from the root,
        // attributes as `{@name}`.
        let xml = r#"<RuleAndFileData xmlns="http://x"><PolicyName>EXE</PolicyName><FilePath>%OSDRIVE%\t.exe</FilePath><Rule id="7"/><Rule id="8"/></RuleAndFileData>"#;
        let mut rows = vec![Row::from([("UserData_Xml".to_string(), Value::str(xml))])];
        spath(&mut rows, "UserData_Xml", None, None);
        assert_eq!(rows[0]["RuleAndFileData.PolicyName"], Value::str("EXE"));
        assert_eq!(
            rows[0]["RuleAndFileData.FilePath"],
            Value::str(r"%OSDRIVE%\t.exe")
        );
        assert_eq!(
            rows[0]["RuleAndFileData.Rule{@id}"],
            Value::Multi(vec![Value::str("7"), Value::str("8")])
        );
        let mut rows = vec![Row::from([("_raw".to_string(), Value::str(xml))])];
        spath(
            &mut rows,
            "_raw",
            Some("RuleAndFileData.Rule{@id}{2}"),
            Some("id"),
        );
        assert_eq!(rows[0]["id"], Value::str("8"));
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
