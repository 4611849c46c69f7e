//! Add-on field extraction driven by `data/windows_ta.yml`.

use crate::rules::{Op, When};
use firedrill_value::Event;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    when: When,
    set: Vec<BTreeMap<String, Op>>,
}

const WINDOWS_TA: &str = include_str!("../data/windows_ta.yml");
const NETWORK_TA: &str = include_str!("../data/network_ta.yml");

fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    // The tables are part of the binary and checked by a unit test; a broken table
    // would make every event plain rather than crash.
    RULES.get_or_init(|| {
        [WINDOWS_TA, NETWORK_TA]
            .iter()
            .flat_map(|t| serde_yaml_ng::from_str::<Vec<Rule>>(t).unwrap_or_default())
            .collect()
    })
}

/// Adds the add-on's search-time fields to `event`.
pub fn apply(event: &mut Event) {
    for rule in rules() {
        if !rule.when.matches(&event.fields) {
            continue;
        }
        for entry in &rule.set {
            for (field, op) in entry {
                if let Some(v) = op.compute(&event.fields) {
                    event.fields.insert(field.clone(), v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses() {
        for table in [WINDOWS_TA, NETWORK_TA] {
            let parsed: Result<Vec<Rule>, _> = serde_yaml_ng::from_str(table);
            assert!(parsed.is_ok(), "{:?}", parsed.err());
        }
        assert!(rules().len() > 10);
    }
}
