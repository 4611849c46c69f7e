//! The small language of the data files: which events a rule applies to (`when` /
//! `from`) and how a field is computed from others (`set`).

use firedrill_value::{Row, Value};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One channel name or several.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Channels {
    /// One channel.
    One(String),
    /// Any of these channels.
    Many(Vec<String>),
}

impl Channels {
    fn matches(&self, c: &str) -> bool {
        match self {
            Channels::One(x) => x.eq_ignore_ascii_case(c),
            Channels::Many(xs) => xs.iter().any(|x| x.eq_ignore_ascii_case(c)),
        }
    }
}

/// Which events a rule or dataset takes: a channel (or several) and, optionally,
/// EventCodes; or a sourcetype and field values. Every condition given must hold.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// The event's `Channel` (case-insensitive).
    #[serde(default)]
    pub channel: Option<Channels>,
    /// The event's sourcetype (case-insensitive).
    #[serde(default)]
    pub sourcetype: Option<Channels>,
    /// Fields that must have these values.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// EventCodes; any when absent.
    #[serde(default, rename = "EventCode")]
    pub event_code: Option<Vec<String>>,
}

fn text(row: &Row, field: &str) -> Option<String> {
    match row.get(field) {
        Some(Value::Null) | None => None,
        Some(v) => v.values().first().map(|x| x.to_string()),
    }
}

/// The first value of a field as a string slice, without allocating.
fn first_str<'a>(row: &'a Row, field: &str) -> Option<&'a str> {
    match row.get(field)? {
        Value::Str(s) => Some(s),
        Value::Multi(vs) => match vs.first()? {
            Value::Str(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

impl When {
    /// True if events of this sourcetype (lower-case; `windows` when it carries
    /// Windows event logs) can satisfy the condition.
    pub fn could_take(&self, sourcetype: &str, windows: bool) -> bool {
        match (&self.sourcetype, &self.channel) {
            (Some(st), _) => st.matches(sourcetype),
            (None, Some(_)) => windows,
            (None, None) => true,
        }
    }

    /// True if `row` is such an event.
    pub fn matches(&self, row: &Row) -> bool {
        let channel_ok = self
            .channel
            .as_ref()
            .is_none_or(|ch| first_str(row, "Channel").is_some_and(|c| ch.matches(c)));
        let sourcetype_ok = self
            .sourcetype
            .as_ref()
            .is_none_or(|st| first_str(row, "sourcetype").is_some_and(|c| st.matches(c)));
        let code_ok = match &self.event_code {
            None => true,
            Some(codes) => {
                first_str(row, "EventCode").is_some_and(|c| codes.iter().any(|x| x == c))
            }
        };
        let fields_ok = self
            .fields
            .iter()
            .all(|(k, v)| first_str(row, k).is_some_and(|x| x.eq_ignore_ascii_case(v)));
        channel_ok && sourcetype_ok && code_ok && fields_ok
    }
}

/// How one field is computed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Op {
    /// First present field (not empty and not `-`).
    #[serde(default)]
    pub copy: Option<Vec<String>>,
    /// Last path component of a field.
    #[serde(default)]
    pub basename: Option<String>,
    /// A field without its last path component.
    #[serde(default)]
    pub dirname: Option<String>,
    /// A constant.
    #[serde(default, rename = "const")]
    pub constant: Option<String>,
    /// `NAME=value` from a comma-separated hash list: [field, NAME].
    #[serde(default)]
    pub hash: Option<(String, String)>,
    /// A field's value looked up in `values`.
    #[serde(default)]
    pub map: Option<String>,
    /// The lookup table for `map`.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// A field lower-cased.
    #[serde(default)]
    pub lower: Option<String>,
    /// The first capture group of `[field, pattern]`; nothing when it does not match.
    #[serde(default)]
    pub regex: Option<(String, String)>,
    /// `regex`'s pattern, compiled on first use (once, not per event).
    #[serde(skip)]
    compiled: std::sync::OnceLock<Option<regex::Regex>>,
    /// The length in characters of a field.
    #[serde(default)]
    pub len: Option<String>,
}

fn present(row: &Row, field: &str) -> Option<String> {
    text(row, field).filter(|v| !v.is_empty() && v != "-")
}

fn last_component(p: &str) -> &str {
    p.rsplit(['\\', '/']).next().unwrap_or(p)
}

impl Op {
    /// The computed value, or `None` when its inputs are missing.
    pub fn compute(&self, row: &Row) -> Option<Value> {
        if let Some(fields) = &self.copy {
            return fields
                .iter()
                .find_map(|f| row.get(f).filter(|_| present(row, f).is_some()).cloned());
        }
        if let Some(f) = &self.basename {
            return present(row, f).map(|p| Value::str(last_component(&p)));
        }
        if let Some(f) = &self.dirname {
            return present(row, f).and_then(|p| {
                let cut = p.rfind(['\\', '/'])?;
                Some(Value::str(&p[..cut]))
            });
        }
        if let Some(c) = &self.constant {
            return Some(Value::str(c.as_str()));
        }
        if let Some((f, name)) = &self.hash {
            let list = present(row, f)?;
            return list.split(',').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| Value::str(v.trim()))
            });
        }
        if let Some(f) = &self.map {
            let v = present(row, f)?;
            return Some(Value::Str(self.values.get(&v).cloned().unwrap_or(v)));
        }
        if let Some(f) = &self.lower {
            return present(row, f).map(|v| Value::Str(v.to_lowercase()));
        }
        if let Some(f) = &self.len {
            return present(row, f).map(|v| Value::Num(v.chars().count() as f64));
        }
        if let Some((f, pattern)) = &self.regex {
            let re = self
                .compiled
                .get_or_init(|| regex::Regex::new(pattern).ok())
                .as_ref()?;
            let v = present(row, f)?;
            return re.captures(&v)?.get(1).map(|m| Value::str(m.as_str()));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops() {
        let row = Row::from([
            (
                "Image".to_string(),
                Value::str(r"C:\Windows\System32\cmd.exe"),
            ),
            (
                "Hashes".to_string(),
                Value::str("MD5=AA,SHA256=BB,IMPHASH=CC"),
            ),
            ("T".to_string(), Value::str("-")),
            ("U".to_string(), Value::str("alice")),
        ]);
        let op = |y: &str| serde_yaml_ng::from_str::<Op>(y).unwrap().compute(&row);
        assert_eq!(op("basename: Image"), Some(Value::str("cmd.exe")));
        assert_eq!(
            op("dirname: Image"),
            Some(Value::str(r"C:\Windows\System32"))
        );
        assert_eq!(op("hash: [Hashes, SHA256]"), Some(Value::str("BB")));
        assert_eq!(op("copy: [T, U]"), Some(Value::str("alice")));
        assert_eq!(op("copy: [T]"), None);
        assert_eq!(op("{map: U, values: {alice: a}}"), Some(Value::str("a")));
        assert_eq!(op(r"regex: [U, '^a(l+)']"), Some(Value::str("l")));
        assert_eq!(op(r"regex: [U, '^x']"), None);
    }
}
