//! Risk-based alerting: the risk events a detection's results would raise in Splunk
//! Enterprise Security, one per result row per risk object (and per value of a
//! multivalue risk-object field), with the `$field$`-substituted message.

use firedrill_content::Detection;
use firedrill_spl::expr::field;
use firedrill_value::Row;
use serde::Serialize;

/// One risk event.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct RiskEvent {
    /// The result field that names the entity (`dest`, `user`, ...).
    pub object: String,
    /// The entity type (`system`, `user`, `other`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The risk score.
    pub score: f64,
    /// The entity's value in the row.
    pub value: String,
    /// The risk message with fields substituted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The risk events for `rows`: none when the detection's build writes no risk action
/// (Hunting and Correlation detections, v4 detections without an analytic story).
pub fn risk_events(det: &Detection, rows: &[Row]) -> Vec<RiskEvent> {
    let mut out = Vec::new();
    if !det.risk.action {
        return out;
    }
    for row in rows {
        for obj in &det.risk.objects {
            let template = obj.message.as_ref().or(det.risk.message.as_ref());
            let message = template.map(|m| substitute(m, row));
            let value = field(row, &obj.field);
            for v in value.values() {
                out.push(RiskEvent {
                    object: obj.field.clone(),
                    kind: obj.kind.clone(),
                    score: obj.score,
                    value: v.to_string(),
                    message: message.clone(),
                });
            }
        }
    }
    out
}

/// Replaces each `$field$` in `template` with the row's value (multivalues joined by
/// a comma); a field the row does not have is left as written, as Splunk does.
pub fn substitute(template: &str, row: &Row) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('$') {
            Some(end) if is_field_name(&after[..end]) => {
                let name = &after[..end];
                match Some(field(row, name)) {
                    Some(v) if !v.is_null() => {
                        let parts: Vec<String> = v.values().iter().map(|x| x.to_string()).collect();
                        out.push_str(&parts.join(","));
                    }
                    _ => {
                        out.push('$');
                        out.push_str(name);
                        out.push('$');
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The field names a message template's `$field$` placeholders name.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('$') {
        let after = &rest[start + 1..];
        match after.find('$') {
            Some(end) if is_field_name(&after[..end]) => {
                out.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

fn is_field_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '-' | '{' | '}'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use firedrill_content::{Risk, RiskObject, Schema, SearchLanguage};
    use firedrill_value::Value;

    fn detection(action: bool) -> Detection {
        Detection {
            id: None,
            name: "d".into(),
            file: "d.yml".into(),
            kind: Some(if action { "TTP" } else { "Hunting" }.into()),
            status: Some("production".into()),
            manual_test: None,
            analytic_story: vec!["s".into()],
            inline_rba: None,
            search: String::new(),
            language: SearchLanguage::Spl,
            schema: Schema::V4,
            data_source: Vec::new(),
            required_fields: Vec::new(),
            product: Vec::new(),
            risk: Risk {
                objects: vec![RiskObject {
                    field: "dest".into(),
                    kind: "system".into(),
                    score: 10.0,
                    message: None,
                }],
                message: Some("on $dest$".into()),
                action,
                ..Risk::default()
            },
            tests: Vec::new(),
        }
    }

    #[test]
    fn risk_events_only_when_the_build_writes_a_risk_action() {
        let rows = vec![Row::from([(
            "dest".to_string(),
            Value::Multi(vec![Value::str("a"), Value::str("b")]),
        )])];
        let ev = risk_events(&detection(true), &rows);
        assert_eq!(ev.len(), 2, "one per value of a multivalue field");
        assert_eq!(ev[0].message.as_deref(), Some("on a,b"));
        assert!(risk_events(&detection(false), &rows).is_empty());
    }

    #[test]
    fn substitutes_fields_and_keeps_unknown() {
        let row = Row::from([
            ("dest".to_string(), Value::str("win-01")),
            (
                "user".to_string(),
                Value::Multi(vec![Value::str("a"), Value::str("b")]),
            ),
        ]);
        assert_eq!(
            substitute("on $dest$ by $user$ cost $5 $nope$", &row),
            "on win-01 by a,b cost $5 $nope$"
        );
        assert_eq!(
            placeholders("on $dest$ by $user$ cost $5 $nope$"),
            ["dest", "user", "nope"]
        );
    }
}
