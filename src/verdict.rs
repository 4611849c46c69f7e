//! The pass rule and expectations, turned into a status with a reason and a typed
//! [`Outcome`] that says which row and field decided.
//!
//! # The default rule: contentctl's unit test, exactly
//!
//! contentctl 4.4 (`DetectionTestingInfrastructure.py`, `retry_search_until_timeout`;
//! contentctl 5 is the same over `rba` fields) fails a test whose search returns no
//! results, then walks the rows in the order the search returned them:
//!
//! 1. a row where a risk-object field is missing (not in the row, or null) fails the
//!    test at once; so does one where it is the string `null`;
//! 2. the first row where every risk- and threat-object field is present and not `null`
//!    passes the test at once, and later rows are not looked at;
//! 3. if no row passes, the test fails when some threat-object field was missing or
//!    `null` in every row, and passes otherwise.
//!
//! Which fields: [`firedrill_content::TestFields`] (contentctl 4: observables with the
//! Victim role are risk-object fields and Attacker ones threat-object fields, whatever
//! their types). contentctl reads the results through Splunk's REST results endpoint
//! with its default page size, so it walks at most the first [`SPLUNK_RESULTS_PAGE`]
//! rows; so does firedrill. A field with several values counts as present.
//!
//! # Row order
//!
//! Splunk returns raw events newest first, and the rows of a transforming command
//! (`stats`, `tstats`, `top`…) in the order of their group-by values. firedrill's engine
//! returns rows in Splunk's order: events reach the first order-dependent command (and
//! the results of a search with none) newest first by `_time`, ties in file order, and
//! transforming commands sort their groups by the group-by values. The rule walks rows
//! in that order, and the reason names the row by its position in it.
//!
//! # Other rules
//!
//! `--pass-rule strict` demands every row complete: every risk- and threat-object field
//! present and not `null` in every row. A 2021 or SSA test file's `pass_condition`
//! (`| stats count | where count > N`, `@count_gt(N)`) is the rule its harness applied,
//! and is applied instead when a test declares one.

use crate::expectations::Expectation;
use crate::rba::RiskEvent;
use firedrill_content::{Detection, Test, TestFields};
use firedrill_spl::expr::field;
use firedrill_value::{Row, Value};
use serde::Serialize;
use std::fmt;

/// How many rows contentctl looks at: Splunk's REST results endpoint returns 100 rows
/// unless asked for more, and contentctl does not ask.
pub const SPLUNK_RESULTS_PAGE: usize = 100;

pub use crate::report::model::Status;

/// Which pass rule judges a test's rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PassRule {
    /// contentctl's unit test (see the module doc).
    #[default]
    Contentctl,
    /// Every row complete.
    Strict,
}

/// What a result field looks like to contentctl's rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldState {
    /// Not in the row, or null (Splunk leaves null fields out of its results).
    Missing,
    /// The string `null` (what `fillnull_value=null` leaves for a missing by-field).
    NullText,
    /// Any other value, including an empty string or several values.
    Present,
}

/// The state of `name` in `row`.
pub fn field_state(row: &Row, name: &str) -> FieldState {
    match field(row, name) {
        Value::Null => FieldState::Missing,
        Value::Multi(v) if v.is_empty() => FieldState::Missing,
        Value::Multi(v) if v.len() == 1 => match &v[0] {
            Value::Null => FieldState::Missing,
            x if x.to_string() == "null" => FieldState::NullText,
            _ => FieldState::Present,
        },
        Value::Multi(_) => FieldState::Present,
        v if v.to_string() == "null" => FieldState::NullText,
        _ => FieldState::Present,
    }
}

/// What decided a test, typed. Rows are numbered from 1 in the engine's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Row `row` was the first with every risk- and threat-object field present.
    Passed {
        /// The deciding row.
        row: usize,
        /// Rows returned.
        rows: usize,
    },
    /// No row had every threat-object field, but each was present in some row.
    PassedAcrossRows {
        /// Rows looked at.
        walked: usize,
        /// Rows returned.
        rows: usize,
    },
    /// Strict: every row complete.
    PassedStrict {
        /// Rows returned.
        rows: usize,
    },
    /// The test's own pass condition held.
    PassedCondition {
        /// The condition as written.
        condition: String,
        /// Rows returned.
        rows: usize,
    },
    /// The search returned nothing.
    NoResults,
    /// Row `row` lacks these risk-object fields.
    RiskFieldMissing {
        /// The deciding row.
        row: usize,
        /// The fields.
        fields: Vec<String>,
    },
    /// Row `row` has the risk-object field `field` as the string `null`.
    RiskFieldNull {
        /// The deciding row.
        row: usize,
        /// The field.
        field: String,
    },
    /// No row passed and these threat-object fields were missing or `null` in every row
    /// looked at.
    ThreatFieldsNull {
        /// The fields.
        fields: Vec<String>,
        /// Rows looked at.
        walked: usize,
    },
    /// Strict: a field is missing or `null` in some rows.
    Incomplete {
        /// The field.
        field: String,
        /// A threat-object field (else a risk-object field).
        threat: bool,
        /// The first row without it.
        first_row: usize,
        /// Rows without it.
        missing: usize,
        /// Rows returned.
        rows: usize,
    },
    /// The test's own pass condition did not hold.
    ConditionFailed {
        /// The condition as written.
        condition: String,
        /// Rows returned.
        rows: usize,
    },
}

impl Outcome {
    /// True for the passing outcomes.
    pub fn passed(&self) -> bool {
        matches!(
            self,
            Outcome::Passed { .. }
                | Outcome::PassedAcrossRows { .. }
                | Outcome::PassedStrict { .. }
                | Outcome::PassedCondition { .. }
        )
    }

    /// The exception text contentctl 4.4 records for this outcome (`summary.yml`), if
    /// it records one.
    pub fn contentctl_exception(&self) -> Option<String> {
        let set = |fields: &[String]| {
            let mut f: Vec<String> = fields.iter().map(|x| format!("'{x}'")).collect();
            f.sort();
            format!("{{{}}}", f.join(", "))
        };
        match self {
            Outcome::RiskFieldMissing { fields, .. } => Some(format!(
                "The observable field(s) {} are missing in the detection results",
                set(fields)
            )),
            Outcome::RiskFieldNull { field, .. } => Some(format!(
                "The risk object field {field} is missing in at least one result."
            )),
            Outcome::ThreatFieldsNull { fields, .. } => Some(format!(
                "One or more required threat object fields {} contained 'null' values in all events. Is the data being parsed correctly or is there an error in the naming of a field?",
                set(fields)
            )),
            Outcome::Incomplete { .. } | Outcome::ConditionFailed { .. } => {
                Some(self.to_string())
            }
            _ => None,
        }
    }
}

fn names(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Passed { row, rows } => write!(
                f,
                "row {row} of {rows} has every risk- and threat-object field"
            ),
            Outcome::PassedAcrossRows { walked, rows } => write!(
                f,
                "no row has every threat-object field, but each is in some of the {walked} rows looked at (of {rows})"
            ),
            Outcome::PassedStrict { rows } => {
                write!(f, "all {rows} rows have every risk- and threat-object field")
            }
            Outcome::PassedCondition { condition, rows } => {
                write!(f, "{rows} rows satisfy the test's pass condition `{condition}`")
            }
            Outcome::NoResults => write!(f, "the search returned no results"),
            Outcome::RiskFieldMissing { row, fields } => write!(
                f,
                "row {row}: risk-object field{} {} missing",
                if fields.len() == 1 { "" } else { "s" },
                names(fields)
            ),
            Outcome::RiskFieldNull { row, field } => {
                write!(f, "row {row}: risk-object field `{field}` is `null`")
            }
            Outcome::ThreatFieldsNull { fields, walked } => write!(
                f,
                "threat-object field{} {} missing or `null` in all {walked} rows looked at",
                if fields.len() == 1 { "" } else { "s" },
                names(fields)
            ),
            Outcome::Incomplete {
                field,
                threat,
                first_row,
                missing,
                rows,
            } => write!(
                f,
                "{}-object field `{field}` is missing or `null` in {missing} of {rows} rows (first: row {first_row}); --pass-rule strict wants every row complete",
                if *threat { "threat" } else { "risk" }
            ),
            Outcome::ConditionFailed { condition, rows } => write!(
                f,
                "{rows} rows do not satisfy the test's pass condition `{condition}`"
            ),
        }
    }
}

/// contentctl's rule over `rows` (see the module doc).
pub fn contentctl_rule(fields: &TestFields, rows: &[Row]) -> Outcome {
    if rows.is_empty() {
        return Outcome::NoResults;
    }
    let mut observable: Vec<&String> = fields.risk.iter().collect();
    observable.extend(fields.threat.iter().filter(|t| !fields.risk.contains(t)));
    let mut present_threats: Vec<&String> = Vec::new();
    let walked = rows.len().min(SPLUNK_RESULTS_PAGE);
    for (i, row) in rows.iter().take(SPLUNK_RESULTS_PAGE).enumerate() {
        let missing: Vec<String> = fields
            .risk
            .iter()
            .filter(|f| field_state(row, f) == FieldState::Missing)
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Outcome::RiskFieldMissing {
                row: i + 1,
                fields: missing,
            };
        }
        let mut empty_threat = false;
        for f in &observable {
            let present = field_state(row, f) == FieldState::Present;
            if !present && fields.risk.contains(f) {
                return Outcome::RiskFieldNull {
                    row: i + 1,
                    field: f.to_string(),
                };
            }
            if fields.threat.contains(f) {
                if present {
                    if !present_threats.contains(f) {
                        present_threats.push(f);
                    }
                } else {
                    empty_threat = true;
                }
            }
        }
        if !empty_threat {
            return Outcome::Passed {
                row: i + 1,
                rows: rows.len(),
            };
        }
    }
    let never: Vec<String> = fields
        .threat
        .iter()
        .filter(|t| !present_threats.contains(t))
        .cloned()
        .collect();
    if never.is_empty() {
        Outcome::PassedAcrossRows {
            walked,
            rows: rows.len(),
        }
    } else {
        Outcome::ThreatFieldsNull {
            fields: never,
            walked,
        }
    }
}

/// Every row complete.
pub fn strict_rule(fields: &TestFields, rows: &[Row]) -> Outcome {
    if rows.is_empty() {
        return Outcome::NoResults;
    }
    let all = fields
        .risk
        .iter()
        .map(|f| (f, false))
        .chain(fields.threat.iter().map(|f| (f, true)));
    for (f, threat) in all {
        let bad: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| field_state(r, f) != FieldState::Present)
            .map(|(i, _)| i + 1)
            .collect();
        if let Some(first) = bad.first() {
            return Outcome::Incomplete {
                field: f.clone(),
                threat,
                first_row: *first,
                missing: bad.len(),
                rows: rows.len(),
            };
        }
    }
    Outcome::PassedStrict { rows: rows.len() }
}

/// A 2021/SSA pass condition firedrill knows: `| stats count | where count > N` or
/// `@count_gt(N)`, as the least number of rows that is more than N.
fn count_condition(condition: &str) -> Option<usize> {
    let c: String = condition.chars().filter(|c| !c.is_whitespace()).collect();
    let n = if let Some(rest) = c.strip_prefix("@count_gt(") {
        rest.strip_suffix(')')?
    } else {
        c.strip_prefix("|statscount|wherecount>")?
    };
    n.parse::<usize>().ok()
}

/// The rule for one test: its own pass condition when it declares one firedrill knows,
/// else `rule`.
pub fn test_outcome(rule: PassRule, det: &Detection, test: Option<&Test>, rows: &[Row]) -> Outcome {
    if let Some(cond) = test.and_then(|t| t.pass_condition.as_deref()) {
        if let Some(n) = count_condition(cond) {
            let condition = cond.trim().to_string();
            return if rows.len() > n {
                Outcome::PassedCondition {
                    condition,
                    rows: rows.len(),
                }
            } else if rows.is_empty() {
                Outcome::NoResults
            } else {
                Outcome::ConditionFailed {
                    condition,
                    rows: rows.len(),
                }
            };
        }
    }
    match rule {
        PassRule::Contentctl => contentctl_rule(&det.risk.test_fields, rows),
        PassRule::Strict => strict_rule(&det.risk.test_fields, rows),
    }
}

/// A status and the reason for it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Judgement {
    /// The status.
    pub status: Status,
    /// Why, in one line.
    pub reason: String,
    /// What the pass rule decided, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

impl Judgement {
    /// A judgement.
    pub fn new(status: Status, reason: impl Into<String>) -> Judgement {
        Judgement {
            status,
            reason: reason.into(),
            outcome: None,
        }
    }
}

/// Applies contentctl's rule and the expectations to a test's results.
pub fn judge(
    det: &Detection,
    rows: &[Row],
    risk: &[RiskEvent],
    expect: &[&Expectation],
) -> Judgement {
    judge_test(PassRule::Contentctl, det, None, rows, risk, expect)
}

/// Applies `rule` (or the test's own pass condition) and the expectations to the
/// results of `test`.
pub fn judge_test(
    rule: PassRule,
    det: &Detection,
    test: Option<&Test>,
    rows: &[Row],
    risk: &[RiskEvent],
    expect: &[&Expectation],
) -> Judgement {
    if let Some(e) = expect.iter().find(|e| e.must_not_fire) {
        return if rows.is_empty() {
            Judgement {
                status: Status::Pass,
                reason: "no results, as it must not fire on this data".into(),
                outcome: None,
            }
        } else {
            Judgement {
                status: Status::Fail,
                reason: format!(
                    "{} results on data it must not fire on ({})",
                    rows.len(),
                    e.file.display()
                ),
                outcome: None,
            }
        };
    }
    let raw = apply(rule, det, test, rows, risk, expect);
    match expect.iter().find_map(|e| e.known_failure.as_ref()) {
        None => raw,
        Some(why) if raw.status == Status::Fail => Judgement {
            status: Status::Skip,
            reason: format!("known failure ({why}): {}", raw.reason),
            outcome: raw.outcome,
        },
        Some(why) if raw.status == Status::Pass => Judgement {
            status: Status::Fail,
            reason: format!("marked as a known failure ({why}) but it passes now; remove the mark"),
            outcome: raw.outcome,
        },
        Some(_) => raw,
    }
}

fn apply(
    rule: PassRule,
    det: &Detection,
    test: Option<&Test>,
    rows: &[Row],
    risk: &[RiskEvent],
    expect: &[&Expectation],
) -> Judgement {
    let fail = |r: String, outcome: Option<Outcome>| Judgement {
        status: Status::Fail,
        reason: r,
        outcome,
    };
    let counted = expect.iter().find_map(|e| e.results.as_ref());
    if let Some(count) = counted {
        if !count.admits(rows.len()) {
            return fail(format!("{} results, expected {count:?}", rows.len()), None);
        }
    }
    // An expectation that admits no results makes an empty answer a pass.
    let outcome = if rows.is_empty() && counted.is_some() {
        None
    } else {
        Some(test_outcome(rule, det, test, rows))
    };
    if let Some(o) = outcome.as_ref().filter(|o| !o.passed()) {
        return fail(o.to_string(), outcome.clone());
    }
    for e in expect {
        for want in &e.risk {
            let found = risk.iter().any(|r| {
                want.object.as_ref().is_none_or(|o| *o == r.object)
                    && want
                        .value
                        .as_ref()
                        .is_none_or(|v| v.eq_ignore_ascii_case(&r.value))
                    && want.score.is_none_or(|s| (s - r.score).abs() < 1e-9)
                    && want
                        .kind
                        .as_ref()
                        .is_none_or(|k| k.eq_ignore_ascii_case(&r.kind))
            });
            if !found {
                return fail(
                    format!(
                        "expected risk event {want:?} (from {}) was not raised",
                        e.file.display()
                    ),
                    outcome,
                );
            }
        }
        if let Some(text) = &e.message_contains {
            if let Some(r) = risk
                .iter()
                .find(|r| !r.message.as_deref().unwrap_or("").contains(text.as_str()))
            {
                return fail(
                    format!(
                        "risk message {:?} does not contain {text:?} (from {})",
                        r.message.as_deref().unwrap_or(""),
                        e.file.display()
                    ),
                    outcome,
                );
            }
        }
    }
    let entities: Vec<String> = {
        let mut v: Vec<String> = risk
            .iter()
            .map(|r| format!("{}={}", r.object, r.value))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let shown = if entities.len() > 3 {
        format!("{}, …", entities[..3].join(", "))
    } else {
        entities.join(", ")
    };
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let decided = match &outcome {
        Some(Outcome::Passed { row, .. }) if rows.len() > 1 => format!("; passed on row {row}"),
        Some(Outcome::PassedAcrossRows { .. }) => {
            "; passed: each threat-object field is in some row".to_string()
        }
        _ => String::new(),
    };
    Judgement {
        status: Status::Pass,
        reason: format!(
            "{} result{}, {} risk event{}{}{}",
            rows.len(),
            plural(rows.len()),
            risk.len(),
            plural(risk.len()),
            if shown.is_empty() {
                String::new()
            } else {
                format!(" ({shown})")
            },
            decided
        ),
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Row {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::str(*v)))
            .collect()
    }

    fn fields(risk: &[&str], threat: &[&str]) -> TestFields {
        TestFields {
            risk: risk.iter().map(|s| s.to_string()).collect(),
            threat: threat.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_first_complete_row_passes_and_later_rows_are_not_looked_at() {
        let f = fields(&["dest"], &["process_name"]);
        let rows = vec![
            row(&[("dest", "a"), ("process_name", "x.exe")]),
            row(&[("process_name", "y.exe")]),
        ];
        assert_eq!(
            contentctl_rule(&f, &rows),
            Outcome::Passed { row: 1, rows: 2 }
        );
        // The old firedrill rule (every row complete) fails it.
        assert_eq!(
            strict_rule(&f, &rows),
            Outcome::Incomplete {
                field: "dest".into(),
                threat: false,
                first_row: 2,
                missing: 1,
                rows: 2
            }
        );
        // The same rows the other way round: the incomplete row decides first.
        let reversed: Vec<Row> = rows.into_iter().rev().collect();
        assert_eq!(
            contentctl_rule(&f, &reversed),
            Outcome::RiskFieldMissing {
                row: 1,
                fields: vec!["dest".into()]
            }
        );
    }

    #[test]
    fn null_text_missing_threats_and_rows_that_each_lack_one() {
        let f = fields(&["dest"], &["a", "b"]);
        let null = vec![row(&[("dest", "null"), ("a", "1"), ("b", "2")])];
        assert_eq!(
            contentctl_rule(&f, &null),
            Outcome::RiskFieldNull {
                row: 1,
                field: "dest".into()
            }
        );
        // Row 1 lacks b, row 2 lacks a: no row passes, yet each threat field was seen.
        let split = vec![
            row(&[("dest", "h"), ("a", "1")]),
            row(&[("dest", "h"), ("b", "null")]),
            row(&[("dest", "h"), ("b", "2")]),
        ];
        assert_eq!(
            contentctl_rule(&f, &split),
            Outcome::PassedAcrossRows { walked: 3, rows: 3 }
        );
        let never = vec![row(&[("dest", "h"), ("a", "1")]), row(&[("dest", "h")])];
        let o = contentctl_rule(&f, &never);
        assert_eq!(
            o,
            Outcome::ThreatFieldsNull {
                fields: vec!["b".into()],
                walked: 2
            }
        );
        assert!(o
            .contentctl_exception()
            .unwrap()
            .starts_with("One or more required threat object fields {'b'} contained 'null'"));
        assert_eq!(contentctl_rule(&f, &[]), Outcome::NoResults);
    }

    #[test]
    fn only_the_first_page_of_results_is_walked() {
        let f = fields(&["dest"], &["t"]);
        let mut rows: Vec<Row> = (0..SPLUNK_RESULTS_PAGE)
            .map(|_| row(&[("dest", "h")]))
            .collect();
        rows.push(row(&[("dest", "h"), ("t", "seen too late")]));
        assert_eq!(
            contentctl_rule(&f, &rows),
            Outcome::ThreatFieldsNull {
                fields: vec!["t".into()],
                walked: 100
            }
        );
    }

    #[test]
    fn multivalues_count_as_present_and_messages_match_contentctl() {
        let f = fields(&["user"], &[]);
        let mut r = Row::new();
        r.insert(
            "user".into(),
            Value::Multi(vec![Value::str("null"), Value::str("null")]),
        );
        assert!(contentctl_rule(&f, &[r]).passed());
        let o = Outcome::RiskFieldMissing {
            row: 2,
            fields: vec!["user".into(), "dest".into()],
        };
        assert_eq!(
            o.contentctl_exception().unwrap(),
            "The observable field(s) {'dest', 'user'} are missing in the detection results"
        );
        assert_eq!(
            o.to_string(),
            "row 2: risk-object fields `user`, `dest` missing"
        );
    }

    #[test]
    fn count_conditions() {
        assert_eq!(count_condition("| stats count | where count > 0"), Some(0));
        assert_eq!(count_condition("@count_gt(2)"), Some(2));
        assert_eq!(count_condition("| stats dc(user) as n | where n > 1"), None);
    }
}
