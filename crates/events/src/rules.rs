//! The small language of the data files, compiled: which events a rule applies to
//! (`when` / `from`) and how a field is computed from others (`set`). Field names are
//! resolved to [`FieldRef`]s when a table loads, so evaluating a rule looks fields up
//! by symbol on a [`Record`](firedrill_value::Record) (or by name on a
//! [`Row`](firedrill_value::Row)) and never builds a name per event.

use firedrill_value::{FieldRef, Fields, Value};
use regex::Regex;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// One name or several, as the tables write them.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(x) => vec![x],
            OneOrMany::Many(xs) => xs,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WhenSpec {
    #[serde(default)]
    channel: Option<OneOrMany>,
    #[serde(default)]
    sourcetype: Option<OneOrMany>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
    #[serde(default, rename = "EventCode")]
    event_code: Option<Vec<String>>,
}

/// The fields conditions read.
pub(crate) struct Known {
    pub(crate) channel: FieldRef,
    pub(crate) sourcetype: FieldRef,
    pub(crate) event_code: FieldRef,
}

pub(crate) fn known() -> &'static Known {
    static K: OnceLock<Known> = OnceLock::new();
    K.get_or_init(|| Known {
        channel: FieldRef::new("Channel"),
        sourcetype: FieldRef::new("sourcetype"),
        event_code: FieldRef::new("EventCode"),
    })
}

/// Which events a rule or dataset takes: a channel (or several) and, optionally,
/// EventCodes; or a sourcetype and field values. Every condition given must hold.
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "WhenSpec")]
pub struct When {
    /// The event's `Channel`, any of these (case-insensitive).
    channel: Option<Vec<String>>,
    /// The event's sourcetype, any of these (case-insensitive).
    sourcetype: Option<Vec<String>>,
    /// Fields that must have these values (case-insensitive; a value ending in `*`
    /// is a prefix).
    fields: Vec<(FieldRef, String)>,
    /// EventCodes; any when absent.
    event_code: Option<Vec<String>>,
}

impl From<WhenSpec> for When {
    fn from(w: WhenSpec) -> When {
        When {
            channel: w.channel.map(OneOrMany::into_vec),
            sourcetype: w.sourcetype.map(OneOrMany::into_vec),
            fields: w
                .fields
                .into_iter()
                .map(|(k, v)| (FieldRef::new(&k), v))
                .collect(),
            event_code: w.event_code,
        }
    }
}

/// The first value of a field as a string slice, without allocating.
#[inline]
pub(crate) fn first_str(v: Option<&Value>) -> Option<&str> {
    match v? {
        Value::Str(s) => Some(s),
        Value::Multi(vs) => match vs.first()? {
            Value::Str(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// `want` (case-insensitive; `prefix*` for any value that starts so) against `x`.
fn value_matches(want: &str, x: &str) -> bool {
    match want.strip_suffix('*') {
        Some(prefix) => x
            .get(..prefix.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(prefix)),
        None => x.eq_ignore_ascii_case(want),
    }
}

fn any_ci(xs: &[String], c: &str) -> bool {
    xs.iter().any(|x| x.eq_ignore_ascii_case(c))
}

impl When {
    /// The EventCodes the condition requires, if it requires some.
    pub fn event_codes(&self) -> Option<&[String]> {
        self.event_code.as_deref()
    }

    /// True if events of this sourcetype (lower-case; `windows` when it carries
    /// Windows event logs) can satisfy the condition.
    pub fn could_take(&self, sourcetype: &str, windows: bool) -> bool {
        match (&self.sourcetype, &self.channel) {
            (Some(st), _) => any_ci(st, sourcetype),
            (None, Some(_)) => windows,
            (None, None) => true,
        }
    }

    /// True if `ev` is such an event.
    #[inline]
    pub fn matches<F: Fields + ?Sized>(&self, ev: &F) -> bool {
        let k = known();
        if let Some(ch) = &self.channel {
            if !first_str(ev.get(&k.channel)).is_some_and(|c| any_ci(ch, c)) {
                return false;
            }
        }
        if let Some(codes) = &self.event_code {
            if !first_str(ev.get(&k.event_code)).is_some_and(|c| codes.iter().any(|x| x == c)) {
                return false;
            }
        }
        if let Some(st) = &self.sourcetype {
            if !first_str(ev.get(&k.sourcetype)).is_some_and(|c| any_ci(st, c)) {
                return false;
            }
        }
        self.fields
            .iter()
            .all(|(f, v)| first_str(ev.get(f)).is_some_and(|x| value_matches(v, x)))
    }

    /// The fields the condition reads.
    pub fn reads(&self) -> Vec<&FieldRef> {
        let k = known();
        let mut out = Vec::new();
        if self.channel.is_some() {
            out.push(&k.channel);
        }
        if self.event_code.is_some() {
            out.push(&k.event_code);
        }
        if self.sourcetype.is_some() {
            out.push(&k.sourcetype);
        }
        out.extend(self.fields.iter().map(|(f, _)| f));
        out
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpSpec {
    #[serde(default)]
    copy: Option<Vec<String>>,
    #[serde(default)]
    basename: Option<String>,
    #[serde(default)]
    dirname: Option<String>,
    #[serde(default, rename = "const")]
    constant: Option<String>,
    #[serde(default)]
    hash: Option<(String, String)>,
    #[serde(default)]
    map: Option<String>,
    #[serde(default)]
    values: Option<BTreeMap<String, String>>,
    #[serde(default)]
    lower: Option<String>,
    #[serde(default)]
    regex: Option<(String, String)>,
    #[serde(default)]
    len: Option<String>,
}

/// How one field is computed (see the operations listed in `data/windows_ta.yml`).
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "OpSpec")]
pub enum Op {
    /// First present field (not empty and not `-`), its whole value.
    Copy(Vec<FieldRef>),
    /// Last path component of a field.
    Basename(FieldRef),
    /// A field without its last path component.
    Dirname(FieldRef),
    /// A constant.
    Const(String),
    /// `NAME=value` from a comma-separated hash list.
    Hash(FieldRef, String),
    /// A field's value looked up in a table (kept as is when not listed).
    Map(FieldRef, HashMap<String, String>),
    /// A field lower-cased.
    Lower(FieldRef),
    /// The length in characters of a field.
    Len(FieldRef),
    /// The first capture group of a pattern; nothing when it does not match.
    Regex(FieldRef, Regex),
}

impl TryFrom<OpSpec> for Op {
    type Error = String;
    fn try_from(s: OpSpec) -> Result<Op, String> {
        let f = |n: String| FieldRef::new(&n);
        let mut ops = Vec::new();
        if let Some(c) = s.copy {
            if c.is_empty() {
                return Err("copy needs at least one field".into());
            }
            ops.push(Op::Copy(c.into_iter().map(f).collect()));
        }
        if let Some(x) = s.basename {
            ops.push(Op::Basename(f(x)));
        }
        if let Some(x) = s.dirname {
            ops.push(Op::Dirname(f(x)));
        }
        if let Some(x) = s.constant {
            ops.push(Op::Const(x));
        }
        if let Some((x, name)) = s.hash {
            ops.push(Op::Hash(f(x), name));
        }
        match (s.map, s.values) {
            (Some(x), values) => ops.push(Op::Map(
                f(x),
                values.unwrap_or_default().into_iter().collect(),
            )),
            (None, Some(_)) => return Err("`values` belongs to a `map` operation".into()),
            (None, None) => {}
        }
        if let Some(x) = s.lower {
            ops.push(Op::Lower(f(x)));
        }
        if let Some(x) = s.len {
            ops.push(Op::Len(f(x)));
        }
        if let Some((x, pattern)) = s.regex {
            let re = Regex::new(&pattern).map_err(|e| format!("regex {pattern:?}: {e}"))?;
            if re.captures_len() < 2 {
                return Err(format!("regex {pattern:?} has no capture group"));
            }
            ops.push(Op::Regex(f(x), re));
        }
        match ops.len() {
            1 => Ok(ops.remove(0)),
            0 => Err(
                "no operation (copy, basename, dirname, const, hash, map, lower, len or regex)"
                    .into(),
            ),
            _ => Err("more than one operation in one entry".into()),
        }
    }
}

/// The first value of a field as text when it is present: not null, not empty and
/// not `-` (Windows' "none").
#[inline]
pub(crate) fn present<'a, F: Fields + ?Sized>(ev: &'a F, f: &FieldRef) -> Option<Cow<'a, str>> {
    let first = ev.get(f)?.values().first()?;
    let s = match first {
        Value::Str(s) => Cow::Borrowed(s.as_str()),
        other => Cow::Owned(other.to_string()),
    };
    (!s.is_empty() && s != "-").then_some(s)
}

fn last_component(p: &str) -> &str {
    p.rsplit(['\\', '/']).next().unwrap_or(p)
}

impl Op {
    /// The fields the operation reads.
    pub fn inputs(&self) -> Vec<&FieldRef> {
        match self {
            Op::Copy(fs) => fs.iter().collect(),
            Op::Const(_) => Vec::new(),
            Op::Basename(f)
            | Op::Dirname(f)
            | Op::Hash(f, _)
            | Op::Map(f, _)
            | Op::Lower(f)
            | Op::Len(f)
            | Op::Regex(f, _) => vec![f],
        }
    }

    /// The computed value, or `None` when its inputs are missing.
    #[inline]
    pub fn compute<F: Fields + ?Sized>(&self, ev: &F) -> Option<Value> {
        match self {
            Op::Copy(fields) => fields
                .iter()
                .find_map(|f| present(ev, f).and_then(|_| ev.get(f)).cloned()),
            Op::Basename(f) => present(ev, f).map(|p| Value::str(last_component(&p))),
            Op::Dirname(f) => present(ev, f).and_then(|p| {
                let cut = p.rfind(['\\', '/'])?;
                Some(Value::str(&p[..cut]))
            }),
            Op::Const(c) => Some(Value::str(c.as_str())),
            Op::Hash(f, name) => {
                let list = present(ev, f)?;
                list.split(',').find_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| Value::str(v.trim()))
                })
            }
            Op::Map(f, values) => {
                let v = present(ev, f)?;
                Some(Value::Str(match values.get(v.as_ref()) {
                    Some(m) => m.clone(),
                    None => v.into_owned(),
                }))
            }
            Op::Lower(f) => present(ev, f).map(|v| Value::Str(v.to_lowercase())),
            Op::Len(f) => present(ev, f).map(|v| Value::Num(v.chars().count() as f64)),
            Op::Regex(f, re) => {
                let v = present(ev, f)?;
                re.captures(&v)?.get(1).map(|m| Value::str(m.as_str()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use firedrill_value::Row;

    #[test]
    fn field_values_and_prefixes() {
        assert!(value_matches("http", "HTTP"));
        assert!(!value_matches("http", "https"));
        assert!(value_matches("user.mfa.*", "user.mfa.factor.deactivate"));
        assert!(value_matches("user.mfa.*", "USER.MFA."));
        assert!(!value_matches("user.mfa.*", "user.mf"));
        assert!(!value_matches("user.mfa.*", "user.session.start"));
        // A multi-byte character where the prefix would end.
        assert!(!value_matches("ab*", "aé"));
    }

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
        assert_eq!(op(r"regex: [U, '^(x)']"), None);
        assert_eq!(op("len: U"), Some(Value::Num(5.0)));
    }

    #[test]
    fn broken_operations_are_errors_with_a_position() {
        for (y, want) in [
            ("{}", "no operation"),
            ("{copy: [a], lower: b}", "more than one"),
            ("{regex: [a, '(']}", "regex"),
            ("{regex: [a, 'x']}", "no capture group"),
            ("{values: {a: b}}", "belongs to a `map`"),
            ("{cpy: [a]}", "unknown field"),
        ] {
            let err = crate::table::parse::<Op>("t.yml", y).unwrap_err();
            assert!(err.message.contains(want), "{y}: {err}");
            assert!(err.to_string().starts_with("t.yml"), "{err}");
        }
    }
}
