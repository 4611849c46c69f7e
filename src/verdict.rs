//! The pass rule (compatible with Splunk's content tests) and expectations, turned
//! into a status with a reason.
//!
//! A test passes when the search returns at least one row, every risk-object field is
//! present and not the string `null` in every row, and no threat-object field is null in
//! every row; then any expectation file for the detection must hold too.

use crate::expectations::Expectation;
use crate::rba::RiskEvent;
use firedrill_content::Detection;
use firedrill_spl::expr::field;
use firedrill_value::Row;
use serde::Serialize;

pub use crate::report::model::Status;

/// A status and the reason for it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Judgement {
    /// The status.
    pub status: Status,
    /// Why, in one line.
    pub reason: String,
}

impl Judgement {
    /// A judgement.
    pub fn new(status: Status, reason: impl Into<String>) -> Judgement {
        Judgement {
            status,
            reason: reason.into(),
        }
    }
}

/// True when a result field is missing, null, or the string `null` (what
/// `fillnull_value=null` leaves for a missing by-field).
fn is_null_text(row: &Row, name: &str) -> bool {
    let v = field(row, name);
    v.is_null() || v.values().iter().all(|x| x.to_string() == "null")
}

/// Applies the pass rule and the expectations to a test's results.
pub fn judge(
    det: &Detection,
    rows: &[Row],
    risk: &[RiskEvent],
    expect: &[&Expectation],
) -> Judgement {
    let raw = rule(det, rows, risk, expect);
    match expect.iter().find_map(|e| e.known_failure.as_ref()) {
        None => raw,
        Some(why) if raw.status == Status::Fail => Judgement::new(
            Status::Skip,
            format!("known failure ({why}): {}", raw.reason),
        ),
        Some(why) if raw.status == Status::Pass => Judgement::new(
            Status::Fail,
            format!("marked as a known failure ({why}) but it passes now; remove the mark"),
        ),
        Some(_) => raw,
    }
}

fn rule(det: &Detection, rows: &[Row], risk: &[RiskEvent], expect: &[&Expectation]) -> Judgement {
    let fail = |r: String| Judgement::new(Status::Fail, r);
    match expect.iter().find_map(|e| e.results.as_ref()) {
        Some(count) if !count.admits(rows.len()) => {
            return fail(format!("{} results, expected {count:?}", rows.len()));
        }
        Some(_) => {}
        None if rows.is_empty() => return fail("the search returned no results".into()),
        None => {}
    }
    for obj in &det.risk.objects {
        let missing = rows.iter().filter(|r| is_null_text(r, &obj.field)).count();
        if missing > 0 {
            return fail(format!(
                "risk object field `{}` is missing or null in {missing} of {} results",
                obj.field,
                rows.len()
            ));
        }
    }
    for t in &det.risk.threat_objects {
        if !rows.is_empty() && rows.iter().all(|r| is_null_text(r, &t.field)) {
            return fail(format!(
                "threat object field `{}` is null in every result",
                t.field
            ));
        }
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
                return fail(format!(
                    "expected risk event {want:?} (from {}) was not raised",
                    e.file.display()
                ));
            }
        }
        if let Some(text) = &e.message_contains {
            if let Some(r) = risk
                .iter()
                .find(|r| !r.message.as_deref().unwrap_or("").contains(text.as_str()))
            {
                return fail(format!(
                    "risk message {:?} does not contain {text:?} (from {})",
                    r.message.as_deref().unwrap_or(""),
                    e.file.display()
                ));
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
    Judgement::new(
        Status::Pass,
        format!(
            "{} result{}, {} risk event{}{}",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" },
            risk.len(),
            if risk.len() == 1 { "" } else { "s" },
            if shown.is_empty() {
                String::new()
            } else {
                format!(" ({shown})")
            }
        ),
    )
}
