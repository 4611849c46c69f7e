//! The SSA enriched-event view for SPL2 detections, driven by `data/ssa.yml`.

use crate::rules::When;
use firedrill_value::{Event, Row, Value};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct View {
    from: Vec<When>,
    fields: BTreeMap<String, Vec<String>>,
}

const SSA: &str = include_str!("../data/ssa.yml");

fn view() -> Option<&'static View> {
    static VIEW: OnceLock<Option<View>> = OnceLock::new();
    VIEW.get_or_init(|| serde_yaml_ng::from_str(SSA).ok())
        .as_ref()
}

/// One row per Windows process event, with the SSA field names; `_time` in epoch
/// milliseconds, `_tenant` set to `firedrill`.
pub fn ssa_enriched(events: &[Event]) -> Vec<Row> {
    let Some(v) = view() else { return Vec::new() };
    events
        .iter()
        .filter(|e| v.from.iter().any(|w| w.matches(&e.fields)))
        .map(|e| {
            let mut row = Row::new();
            for (name, sources) in &v.fields {
                if let Some(val) = sources
                    .iter()
                    .find_map(|s| e.fields.get(s).filter(|x| !x.is_null()))
                {
                    row.insert(name.clone(), val.clone());
                }
            }
            row.insert("_time".into(), Value::Num((e.time() * 1000.0).round()));
            row.insert("_tenant".into(), Value::str("firedrill"));
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_parses() {
        assert!(super::view().is_some());
    }
}
