//! security_content YAML, every schema: 2021, v4 (`tags.observable`), v5 (`rba:`) and
//! v6 (`finding:`), and the older separate `*.test.yml` test files.

use crate::{
    AttackData, Detection, Risk, RiskObject, RiskOrigin, Schema, SearchLanguage, Test, ThreatObject,
};
use serde_yaml_ng::Value as Y;
use std::path::Path;

fn get<'a>(v: &'a Y, key: &str) -> Option<&'a Y> {
    v.as_mapping().and_then(|m| m.get(key))
}

/// A scalar as text (strings, numbers and booleans).
pub fn text(v: Option<&Y>) -> Option<String> {
    match v? {
        Y::String(s) => Some(s.clone()),
        Y::Number(n) => Some(n.to_string()),
        Y::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn num(v: Option<&Y>) -> Option<f64> {
    match v? {
        Y::Number(n) => n.as_f64(),
        Y::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn list(v: Option<&Y>) -> Vec<String> {
    match v {
        Some(Y::Sequence(items)) => items.iter().filter_map(|i| text(Some(i))).collect(),
        Some(other) => text(Some(other)).into_iter().collect(),
        None => Vec::new(),
    }
}

fn seq(v: Option<&Y>) -> &[Y] {
    match v {
        Some(Y::Sequence(items)) => items,
        _ => &[],
    }
}

/// True if the document is a detection (has a name and a search).
pub fn is_detection(doc: &Y) -> bool {
    get(doc, "name").is_some() && get(doc, "search").is_some()
}

/// Reads the tests of a `*.test.yml` document: the detection file each names (relative
/// to `detections/`) and the tests.
pub fn test_file(doc: &Y) -> Vec<(String, Test)> {
    let mut out = Vec::new();
    let one = |t: &Y| -> Option<(String, Test)> {
        let file = text(get(t, "file"))?;
        Some((file, test_of(t, 0)))
    };
    if let Some(Y::Sequence(tests)) = get(doc, "tests") {
        out.extend(tests.iter().filter_map(one));
    } else if let Some(t) = one(doc) {
        out.push(t);
    }
    out
}

fn test_of(t: &Y, i: usize) -> Test {
    let attack_data = seq(get(t, "attack_data"))
        .iter()
        .filter_map(|a| {
            Some(AttackData {
                data: text(get(a, "data"))?,
                source: text(get(a, "source")),
                sourcetype: text(get(a, "sourcetype")),
            })
        })
        .collect();
    Test {
        name: text(get(t, "name")).unwrap_or_else(|| format!("test {}", i + 1)),
        test_type: text(get(t, "test_type")).unwrap_or_else(|| "unit".into()),
        attack_data,
    }
}

/// The risk object type of a v4 victim observable type (contentctl: User, Username,
/// Email Address → user; Device, Endpoint, Hostname, IP Address → system). `User Name`
/// and `Email` are taken as users too.
fn victim_kind(t: &str) -> Option<&'static str> {
    match t {
        "user" | "username" | "user name" | "email address" | "email" => Some("user"),
        "device" | "endpoint" | "hostname" | "ip address" => Some("system"),
        _ => None,
    }
}

/// The threat object type of a v4 attacker observable type, as contentctl names it.
fn attacker_kind(t: &str) -> String {
    match t {
        "process name" | "process" => "process".into(),
        "file name" | "file" | "file hash" => "file_name".into(),
        "ip address" => "ip_address".into(),
        "url string" | "url" => "url".into(),
        other => other.to_string(),
    }
}

/// v4 risk as contentctl builds it from `tags.observable`: a Victim of a user or system
/// type is a risk object of that type; otherwise an Attacker is a threat object;
/// anything else is a risk object of type `other`. Every risk object scores
/// `round(impact * confidence / 100)` (`tags.risk_score` when those are missing).
fn v4_risk(tags: &Y) -> Risk {
    let impact = num(get(tags, "impact"));
    let confidence = num(get(tags, "confidence"));
    let score = match (impact, confidence) {
        (Some(i), Some(c)) => (i * c / 100.0).round(),
        _ => num(get(tags, "risk_score")).unwrap_or(0.0),
    };
    let mut risk = Risk {
        message: text(get(tags, "message")),
        score: Some(score),
        origin: RiskOrigin::Documented,
        ..Risk::default()
    };
    for o in seq(get(tags, "observable")) {
        let Some(field) = text(get(o, "name")) else {
            continue;
        };
        let kind = text(get(o, "type"))
            .unwrap_or_default()
            .to_ascii_lowercase();
        let roles = list(get(o, "role"));
        let has = |r: &str| roles.iter().any(|x| x.eq_ignore_ascii_case(r));
        let victim = if has("victim") {
            victim_kind(&kind)
        } else {
            None
        };
        if let Some(k) = victim {
            risk.objects.push(RiskObject {
                field,
                kind: k.into(),
                score,
                message: None,
            });
        } else if has("attacker") {
            risk.threat_objects.push(ThreatObject {
                field,
                kind: attacker_kind(&kind),
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

/// Reads a detection document.
pub fn detection(doc: &Y, file: &Path) -> Detection {
    let tags = get(doc, "tags").cloned().unwrap_or(Y::Null);
    let (schema, risk) = if let Some(finding) = get(doc, "finding") {
        let title = text(get(finding, "title"));
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
        let risk = Risk {
            objects,
            threat_objects: threats(get(doc, "threat_objects")),
            message: title,
            score: None,
            origin: RiskOrigin::Documented,
        };
        (Schema::V6, risk)
    } else if let Some(rba) = get(doc, "rba") {
        let risk = Risk {
            objects: seq(get(rba, "risk_objects"))
                .iter()
                .filter_map(|e| entity(e, None))
                .collect(),
            threat_objects: threats(get(rba, "threat_objects")),
            message: text(get(rba, "message")),
            score: None,
            origin: RiskOrigin::Documented,
        };
        (Schema::V5, risk)
    } else {
        let legacy = get(doc, "tests").is_none() && get(doc, "status").is_none();
        (
            if legacy {
                Schema::Legacy2021
            } else {
                Schema::V4
            },
            v4_risk(&tags),
        )
    };
    let mut tests: Vec<Test> = seq(get(doc, "tests"))
        .iter()
        .enumerate()
        .map(|(i, t)| test_of(t, i))
        .collect();
    if tests.is_empty() {
        let urls = list(get(&tags, "dataset"));
        if !urls.is_empty() {
            tests.push(Test {
                name: "tags.dataset".into(),
                test_type: "unit".into(),
                attack_data: urls
                    .into_iter()
                    .map(|data| AttackData {
                        data,
                        source: None,
                        sourcetype: None,
                    })
                    .collect(),
            });
        }
    }
    let search = text(get(doc, "search")).unwrap_or_default();
    let product = {
        let p = list(get(&tags, "product"));
        if p.is_empty() {
            list(get(doc, "product"))
        } else {
            p
        }
    };
    let language = if crate::page::is_ssa(&search)
        || product.iter().any(|p| p.contains("Behavioral Analytics"))
    {
        SearchLanguage::Spl2Ssa
    } else {
        SearchLanguage::Spl
    };
    let mut required_fields = list(get(&tags, "required_fields"));
    if required_fields.is_empty() {
        required_fields = list(get(doc, "required_fields"));
    }
    Detection {
        id: text(get(doc, "id")),
        name: text(get(doc, "name")).unwrap_or_default(),
        file: file.to_path_buf(),
        kind: text(get(doc, "type")),
        status: text(get(doc, "status")),
        search,
        language,
        schema,
        data_source: list(get(doc, "data_source")),
        required_fields,
        product,
        risk,
        tests,
    }
}
