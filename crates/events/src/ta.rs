//! Add-on field extraction driven by `data/windows_ta.yml` (the other built-in
//! add-ons are `.conf` files in `crates/addons/builtin/`),
//! compiled once into rules over [`FieldRef`]s and applied over any [`FieldsMut`]
//! (a streaming [`Record`](firedrill_value::Record) or a full
//! [`Row`](firedrill_value::Row)), so both paths compute the same values.

use crate::rules::{Op, When};
use crate::table::{self, TableError};
use firedrill_value::{FieldRef, FieldsMut, Want};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    when: When,
    set: Vec<BTreeMap<String, Op>>,
}

struct Rule {
    when: When,
    /// (field set, how), in table order.
    ops: Vec<(FieldRef, Op)>,
}

const WINDOWS_TA: &str = include_str!("../data/windows_ta.yml");

/// The tables, in the order their rules apply.
pub(crate) const TABLES: &[(&str, &str)] = &[("data/windows_ta.yml", WINDOWS_TA)];

/// The compiled add-on rules.
pub struct AddOn {
    rules: Vec<Rule>,
}

/// The operations of an [`AddOn`] that produce wanted fields.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    /// (rule, its operations to run), in table order.
    steps: Vec<(usize, Vec<usize>)>,
}

impl AddOn {
    /// Compiles the embedded tables; the error names the table, line and column.
    pub fn load() -> Result<AddOn, TableError> {
        let mut rules = Vec::new();
        for (name, text) in TABLES {
            let specs: Vec<RuleSpec> = table::parse(name, text)?;
            for s in specs {
                rules.push(Rule {
                    when: s.when,
                    ops: s
                        .set
                        .into_iter()
                        .flat_map(|entry| entry.into_iter().map(|(k, op)| (FieldRef::new(&k), op)))
                        .collect(),
                });
            }
        }
        Ok(AddOn { rules })
    }

    /// The embedded tables, compiled on first use. Panics naming the table, line and
    /// column if one is broken (a unit test loads them, so that is a build defect).
    pub fn get() -> &'static AddOn {
        static A: OnceLock<AddOn> = OnceLock::new();
        A.get_or_init(|| table::expect(AddOn::load()))
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Adds every add-on field to `ev`.
    pub fn apply<F: FieldsMut + ?Sized>(&self, ev: &mut F) {
        for rule in &self.rules {
            if !rule.when.matches(ev) {
                continue;
            }
            for (field, op) in &rule.ops {
                if let Some(v) = op.compute(ev) {
                    ev.set(field, v);
                }
            }
        }
    }

    /// Runs only the operations of `plan`.
    pub(crate) fn apply_plan<F: FieldsMut + ?Sized>(&self, plan: &Plan, ev: &mut F) {
        for (r, ops) in &plan.steps {
            let rule = &self.rules[*r];
            if !rule.when.matches(ev) {
                continue;
            }
            for &i in ops {
                let (field, op) = &rule.ops[i];
                if let Some(v) = op.compute(ev) {
                    ev.set(field, v);
                }
            }
        }
    }

    /// The operations that produce fields `want` names.
    pub(crate) fn plan(&self, want: &Want) -> Plan {
        let mut steps = Vec::new();
        for (r, rule) in self.rules.iter().enumerate() {
            let ops: Vec<usize> = rule
                .ops
                .iter()
                .enumerate()
                .filter(|(_, (f, _))| want.wants(&f.name))
                .map(|(i, _)| i)
                .collect();
            if !ops.is_empty() {
                steps.push((r, ops));
            }
        }
        Plan { steps }
    }

    /// Adds to `want` what computing its add-on fields reads: the inputs of every
    /// operation that sets a wanted field and the fields its rule's condition reads,
    /// transitively (an input may itself be set by an earlier operation).
    pub fn expand(&self, want: &mut Want) {
        if want.all {
            return;
        }
        loop {
            let mut added = false;
            for rule in &self.rules {
                let mut hit = false;
                for (f, op) in &rule.ops {
                    if want.get(&f.name).is_none() {
                        continue;
                    }
                    hit = true;
                    for i in op.inputs() {
                        if want.get(&i.name).is_none() {
                            want.add(&i.name);
                            added = true;
                        }
                    }
                }
                if hit {
                    for i in rule.when.reads() {
                        if want.get(&i.name).is_none() {
                            want.add(&i.name);
                            added = true;
                        }
                    }
                }
            }
            if !added {
                return;
            }
        }
    }

    /// Every field the rules read or set.
    pub(crate) fn names(&self) -> Vec<&FieldRef> {
        let mut out: Vec<&FieldRef> = Vec::new();
        for r in &self.rules {
            out.extend(r.when.reads());
            for (f, op) in &r.ops {
                out.push(f);
                out.extend(op.inputs());
            }
        }
        out.sort_by_key(|f| f.sym);
        out.dedup_by_key(|f| f.sym);
        out
    }

    /// Every field some rule sets.
    pub fn outputs(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .rules
            .iter()
            .flat_map(|r| r.ops.iter().map(|(f, _)| f.as_str()))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_compile() {
        let a = AddOn::load().unwrap();
        assert!(a.len() > 10);
        assert!(a.outputs().contains(&"process_name"));
    }

    #[test]
    fn broken_tables_name_the_table_and_position() {
        let bad = "- when: {channel: Security}\n  set:\n    - dest: {copy: [Computer], lower: x}\n";
        let err = table::parse::<Vec<RuleSpec>>("data/x.yml", bad).unwrap_err();
        assert_eq!(err.table, "data/x.yml");
        assert_eq!(err.at.map(|a| a.0), Some(3), "{err}");
        assert!(err.message.contains("more than one"), "{err}");
    }

    #[test]
    fn expand_is_transitive_and_adds_conditions() {
        let a = AddOn::get();
        let mut w = Want::of(["registry_hive"]);
        a.expand(&mut w);
        // registry_hive maps registry_root, which a regex takes from TargetObject.
        for f in ["registry_root", "TargetObject", "Channel", "EventCode"] {
            assert!(w.get(f).is_some(), "{f} not added");
        }
        assert!(w.get("Image").is_none());
    }
}
