//! The SSA enriched-event view for SPL2 detections, driven by `data/ssa.yml`.

use crate::out::meta_refs;
use crate::rules::When;
use crate::table::{self, TableError};
use firedrill_value::{Event, FieldRef, Fields, Row, Value};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewSpec {
    from: Vec<When>,
    fields: BTreeMap<String, Vec<String>>,
}

struct View {
    from: Vec<When>,
    /// SSA name and the event fields that feed it (first present wins).
    fields: Vec<(String, Vec<FieldRef>)>,
}

const SSA: &str = include_str!("../data/ssa.yml");

fn load() -> Result<View, TableError> {
    let s: ViewSpec = table::parse("data/ssa.yml", SSA)?;
    Ok(View {
        from: s.from,
        fields: s
            .fields
            .into_iter()
            .map(|(k, srcs)| (k, srcs.iter().map(|n| FieldRef::new(n)).collect()))
            .collect(),
    })
}

fn view() -> &'static View {
    static VIEW: OnceLock<View> = OnceLock::new();
    VIEW.get_or_init(|| table::expect(load()))
}

/// The SSA row of one event: `None` unless it is a Windows process event; SSA field
/// names, `_time` in epoch milliseconds, `_tenant` set to `firedrill`.
pub fn ssa_row<F: Fields + ?Sized>(ev: &F) -> Option<Row> {
    let v = view();
    if !v.from.iter().any(|w| w.matches(ev)) {
        return None;
    }
    let mut row = Row::new();
    for (name, sources) in &v.fields {
        if let Some(val) = sources
            .iter()
            .find_map(|s| ev.get(s).filter(|x| !x.is_null()))
        {
            row.insert(name.clone(), val.clone());
        }
    }
    let time = ev
        .get(&meta_refs().time)
        .and_then(Value::as_num)
        .unwrap_or(0.0);
    row.insert("_time".into(), Value::Num((time * 1000.0).round()));
    row.insert("_tenant".into(), Value::str("firedrill"));
    Some(row)
}

/// The event fields [`ssa_row`] reads (for a [`Want`](firedrill_value::Want); add-on
/// inputs come from [`expand_want_with`](crate::expand_want_with)).
pub fn ssa_inputs() -> Vec<&'static str> {
    let v = view();
    let mut out: Vec<&str> = v
        .fields
        .iter()
        .flat_map(|(_, s)| s.iter().map(FieldRef::as_str))
        .chain(v.from.iter().flat_map(|w| w.reads()).map(FieldRef::as_str))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// One row per Windows process event, with the SSA field names; `_time` in epoch
/// milliseconds, `_tenant` set to `firedrill`.
pub fn ssa_enriched(events: &[Event]) -> Vec<Row> {
    events.iter().filter_map(|e| ssa_row(&e.fields)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_parses() {
        assert!(super::load().is_ok());
        assert!(super::ssa_inputs().contains(&"process_name"));
    }
}
