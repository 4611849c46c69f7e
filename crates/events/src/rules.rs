//! Which events an SPL2 view takes (`from` in `data/ssa.yml`), compiled:
//! field names are resolved to [`FieldRef`]s when a table loads, so a condition looks
//! fields up by symbol on a [`Record`](firedrill_value::Record) (or by name on a
//! [`Row`](firedrill_value::Row)) and never builds a name per event.

use firedrill_value::{FieldRef, Fields, Value};
use serde::Deserialize;
use std::collections::BTreeMap;
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

/// Which events a data model dataset takes: a channel (or several) and, optionally,
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
