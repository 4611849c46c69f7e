//! Risk and threat objects as each schema's build tool made them (see [`Builder`]):
//! contentctl 4 for `tags.observable`, contentctl 5 for `rba:`, contentctl 5's rules for
//! `finding:`, security_content's `bin/generate.py` for 2021 YAML, and the Behavioral
//! Analytics pipeline for SSA detections. Each returns the objects, the fields the unit
//! test checks, and whether the build writes a risk action at all.

use crate::yaml::{get, list, num, seq, text};
use crate::{Builder, Detection, Risk, RiskObject, RiskOrigin, ThreatObject};
use serde_yaml_ng::Value as Y;
use std::collections::BTreeMap;

/// Python 3's `round(x)`: halves go to the even neighbour (`round(10.5) == 10`,
/// `round(11.5) == 12`), which is how contentctl rounds `impact * confidence / 100`.
pub fn python_round(x: f64) -> f64 {
    x.round_ties_even()
}

/// Which detection types have risk-based alerting enabled, as the content's
/// `deployments/` folder says (security_content: TTP and Anomaly).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployments {
    /// Detection type (as written, e.g. `TTP`) → `alert_action.rba.enabled`.
    pub rba: BTreeMap<String, bool>,
}

impl Default for Deployments {
    /// security_content's default deployments: TTP and Anomaly raise risk, Hunting and
    /// Correlation do not.
    fn default() -> Self {
        let rba = [
            ("TTP", true),
            ("Anomaly", true),
            ("Hunting", false),
            ("Correlation", false),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Deployments { rba }
    }
}

impl Deployments {
    /// Reads one deployment document (`type:` and `alert_action.rba.enabled`).
    pub(crate) fn add(&mut self, doc: &Y) {
        let Some(kind) = text(get(doc, "type")) else {
            return;
        };
        let enabled = get(doc, "alert_action")
            .and_then(|a| get(a, "rba"))
            .and_then(|r| get(r, "enabled"))
            .and_then(Y::as_bool)
            .unwrap_or(false);
        self.rba.insert(kind, enabled);
    }

    /// True when detections of `kind` have risk-based alerting.
    pub fn rba_enabled(&self, kind: Option<&str>) -> bool {
        kind.and_then(|k| self.rba.get(k)).copied().unwrap_or(false)
    }
}

/// contentctl 4.4's user and system observable types (lower-cased).
const USER_TYPES: [&str; 3] = ["user", "username", "email address"];
const SYSTEM_TYPES: [&str; 4] = ["device", "endpoint", "hostname", "ip address"];

fn score_v4(tags: &Y) -> f64 {
    match (num(get(tags, "impact")), num(get(tags, "confidence"))) {
        (Some(i), Some(c)) => python_round(i * c / 100.0),
        _ => num(get(tags, "risk_score")).unwrap_or(0.0),
    }
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// contentctl 4.4 (`detection_abstract.py`, `risk`; the unit test's field sets in
/// `DetectionTestingInfrastructure.py`).
pub(crate) fn contentctl4(tags: &Y) -> Risk {
    let score = score_v4(tags);
    let mut risk = Risk {
        message: text(get(tags, "message")),
        score: Some(score),
        builder: Builder::Contentctl4,
        ..Risk::default()
    };
    for o in seq(get(tags, "observable")) {
        let Some(field) = text(get(o, "name")) else {
            continue;
        };
        let kind = text(get(o, "type")).unwrap_or_default().to_lowercase();
        let roles = list(get(o, "role"));
        // Python's `'Victim' in entity.role`: exact, case-sensitive.
        let victim = roles.iter().any(|r| r == "Victim");
        let attacker = roles.iter().any(|r| r == "Attacker");
        if victim {
            push_unique(&mut risk.test_fields.risk, &field);
        }
        if attacker {
            push_unique(&mut risk.test_fields.threat, &field);
        }
        let risk_kind = if victim && USER_TYPES.contains(&kind.as_str()) {
            Some("user")
        } else if victim && SYSTEM_TYPES.contains(&kind.as_str()) {
            Some("system")
        } else {
            None
        };
        if let Some(k) = risk_kind {
            risk.objects.push(RiskObject {
                field,
                kind: k.into(),
                score,
                message: None,
            });
        } else if attacker {
            let threat = match kind.as_str() {
                "process name" | "process" => "process".to_string(),
                "file name" | "file" | "file hash" => "file_name".to_string(),
                "ip address" => "ip_address".to_string(),
                "url string" | "url" => "url".to_string(),
                other => other.to_string(),
            };
            risk.threat_objects.push(ThreatObject {
                field,
                kind: threat,
            });
        } else {
            risk.objects.push(RiskObject {
                field,
                kind: "other".into(),
                score,
                message: None,
            });
        }
    }
    risk
}

/// security_content's builders before contentctl 4 (`bin/generate.py` `add_rba`, 2021;
/// `bin/contentctl_project` `addRBA` until April 2023): user and system types need the
/// Victim or Attacker role (any case); other types are threat objects whatever their
/// role; the score is `tags.risk_score` (else `impact * confidence / 100`).
pub(crate) fn legacy(tags: &Y) -> Risk {
    let score = num(get(tags, "risk_score"))
        .or_else(|| Some(score_v4(tags)).filter(|_| get(tags, "impact").is_some()));
    let mut risk = Risk {
        message: text(get(tags, "message")),
        score,
        builder: Builder::Legacy,
        ..Risk::default()
    };
    if score.is_none() {
        // No risk score: these builders write no risk action and build no objects.
        risk.action = false;
        return risk;
    }
    let score = score.unwrap_or(0.0);
    for o in seq(get(tags, "observable")) {
        let (Some(field), Some(kind)) = (text(get(o, "name")), text(get(o, "type"))) else {
            continue;
        };
        let kind = kind.to_lowercase();
        let roles = list(get(o, "role"));
        let scored = roles
            .iter()
            .any(|r| r.eq_ignore_ascii_case("attacker") || r.eq_ignore_ascii_case("victim"));
        let risk_kind = if USER_TYPES.contains(&kind.as_str()) {
            Some("user")
        } else if SYSTEM_TYPES.contains(&kind.as_str()) {
            Some("system")
        } else {
            None
        };
        match risk_kind {
            Some(k) if scored => risk.objects.push(RiskObject {
                field,
                kind: k.into(),
                score,
                message: None,
            }),
            Some(_) => {}
            None => risk.threat_objects.push(ThreatObject { field, kind }),
        }
    }
    risk.test_fields = risk.fields_of_objects();
    risk
}

/// True when an SSA pipeline assigns the `entities` field (`eval … entities = mvappend(…)`).
fn writes_entities(search: &str) -> bool {
    let lower = search.to_ascii_lowercase();
    let b = lower.as_bytes();
    let mut from = 0;
    while let Some(i) = lower[from..].find("entities") {
        let at = from + i;
        from = at + "entities".len();
        let before_ok = at == 0 || !(b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'_');
        let rest = lower[from..].trim_start();
        if before_ok && rest.starts_with('=') && !rest.starts_with("==") {
            return true;
        }
    }
    false
}

/// A Behavioral Analytics (SSA) detection: the risk framework scores the `entities`
/// the pipeline writes with `tags.risk_score` (else `impact * confidence / 100`);
/// without `entities`, the user and system observables.
pub(crate) fn ssa(tags: &Y, search: &str) -> Risk {
    let score = num(get(tags, "risk_score")).unwrap_or_else(|| score_v4(tags));
    let mut risk = Risk {
        message: text(get(tags, "message")),
        score: Some(score),
        builder: Builder::Ssa,
        ..Risk::default()
    };
    if writes_entities(search) {
        risk.objects.push(RiskObject {
            field: "entities".into(),
            kind: "system".into(),
            score,
            message: None,
        });
    } else {
        for o in seq(get(tags, "observable")) {
            let (Some(field), Some(kind)) = (text(get(o, "name")), text(get(o, "type"))) else {
                continue;
            };
            let kind = kind.to_lowercase();
            let k = if USER_TYPES.contains(&kind.as_str()) {
                "user"
            } else if SYSTEM_TYPES.contains(&kind.as_str()) {
                "system"
            } else {
                continue;
            };
            risk.objects.push(RiskObject {
                field,
                kind: k.into(),
                score,
                message: None,
            });
        }
    }
    risk.test_fields = risk.fields_of_objects();
    risk
}

fn entity(v: &Y, message: Option<String>) -> Option<RiskObject> {
    Some(RiskObject {
        field: text(get(v, "field"))?,
        kind: text(get(v, "type"))
            .unwrap_or_else(|| "other".into())
            .to_ascii_lowercase(),
        score: num(get(v, "score")).unwrap_or(0.0),
        message,
    })
}

fn threats(v: Option<&Y>) -> Vec<ThreatObject> {
    seq(v)
        .iter()
        .filter_map(|t| {
            Some(ThreatObject {
                field: text(get(t, "field"))?,
                kind: text(get(t, "type")).unwrap_or_default(),
            })
        })
        .collect()
}

/// contentctl 5 (`rba.py`): risk objects sorted by `field + type + score` as text,
/// threat objects by `field + type`; duplicates dropped (they are sets).
fn sort_rba(risk: &mut Risk) {
    let score_text = |s: f64| {
        if s.fract() == 0.0 {
            format!("{}", s as i64)
        } else {
            format!("{s}")
        }
    };
    risk.objects
        .sort_by_key(|o| format!("{}{}{}", o.field, o.kind, score_text(o.score)));
    risk.objects
        .dedup_by(|a, b| a.field == b.field && a.kind == b.kind && a.score == b.score);
    risk.threat_objects
        .sort_by_key(|o| format!("{}{}", o.field, o.kind));
    risk.threat_objects
        .dedup_by(|a, b| a.field == b.field && a.kind == b.kind);
}

/// contentctl 5's `rba:` block.
pub(crate) fn contentctl5(rba: &Y) -> Risk {
    let mut risk = Risk {
        objects: seq(get(rba, "risk_objects"))
            .iter()
            .filter_map(|e| entity(e, None))
            .collect(),
        threat_objects: threats(get(rba, "threat_objects")),
        message: text(get(rba, "message")),
        score: None,
        origin: RiskOrigin::Documented,
        builder: Builder::Contentctl5,
        ..Risk::default()
    };
    sort_rba(&mut risk);
    risk.test_fields = risk.fields_of_objects();
    risk
}

/// The v6 `finding:` block with `intermediate_findings` and `threat_objects`.
pub(crate) fn finding(doc: &Y, finding: &Y) -> Risk {
    let mut objects: Vec<RiskObject> = get(finding, "entity")
        .and_then(|e| entity(e, None))
        .into_iter()
        .collect();
    if let Some(inter) = get(doc, "intermediate_findings") {
        for e in seq(get(inter, "entities")) {
            if let Some(o) = entity(e, text(get(e, "message"))) {
                objects.push(o);
            }
        }
    }
    let mut risk = Risk {
        objects,
        threat_objects: threats(get(doc, "threat_objects")),
        message: text(get(finding, "title")),
        score: None,
        origin: RiskOrigin::Documented,
        builder: Builder::Finding,
        ..Risk::default()
    };
    risk.test_fields = risk.fields_of_objects();
    risk
}

/// An inline `deployment:` block's `alert_action.rba.enabled`, if the detection has one.
pub(crate) fn inline_rba(doc: &Y) -> Option<bool> {
    let d = get(doc, "deployment")?;
    Some(
        get(d, "alert_action")
            .and_then(|a| get(a, "rba"))
            .and_then(|r| get(r, "enabled"))
            .and_then(Y::as_bool)
            .unwrap_or(false),
    )
}

/// Whether the build writes a risk action. contentctl 4: the detection names an
/// analytic story and its deployment enables RBA; contentctl 5 and v6: the deployment;
/// 2021, SSA and pages decide when they are read.
pub(crate) fn apply_deployments(d: &mut Detection, deployments: &Deployments) {
    let rba = d
        .inline_rba
        .unwrap_or_else(|| deployments.rba_enabled(d.kind.as_deref()));
    match d.risk.builder {
        Builder::Contentctl4 => d.risk.action = rba && !d.analytic_story.is_empty(),
        Builder::Contentctl5 | Builder::Finding => d.risk.action = rba,
        Builder::Legacy | Builder::Ssa | Builder::Page => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_halves_to_even_as_python_does() {
        assert_eq!(python_round(10.5), 10.0);
        assert_eq!(python_round(11.5), 12.0);
        assert_eq!(python_round(22.5), 22.0);
        assert_eq!(python_round(0.5), 0.0);
        assert_eq!(python_round(63.0), 63.0);
        assert_eq!(python_round(2.45), 2.0);
        // impact 70 × confidence 15 / 100 = 10.5 → 10 (firedrill used to say 11).
        assert_eq!(python_round(70.0 * 15.0 / 100.0), 10.0);
    }

    #[test]
    fn ssa_entities_are_recognised() {
        assert!(writes_entities(
            "| eval start_time = timestamp, entities = mvappend(machine), body=x"
        ));
        assert!(writes_entities("| eval entities=mvappend(a)"));
        assert!(!writes_entities(
            "| eval my_entities = 1 | where entities == 2"
        ));
        assert!(!writes_entities("| into write_ssa_detected_events();"));
    }
}
