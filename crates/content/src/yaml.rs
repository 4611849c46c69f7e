//! security_content YAML, every schema: 2021, v4 (`tags.observable`), v5 (`rba:`) and
//! v6 (`finding:`), and the older separate `*.test.yml` test files.

use crate::builders;
use crate::{AttackData, Builder, Detection, Schema, SearchLanguage, Test};
use serde_yaml_ng::Value as Y;
use std::path::Path;

pub(crate) fn get<'a>(v: &'a Y, key: &str) -> Option<&'a Y> {
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

pub(crate) fn num(v: Option<&Y>) -> Option<f64> {
    match v? {
        Y::Number(n) => n.as_f64(),
        Y::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(crate) fn list(v: Option<&Y>) -> Vec<String> {
    match v {
        Some(Y::Sequence(items)) => items.iter().filter_map(|i| text(Some(i))).collect(),
        Some(other) => text(Some(other)).into_iter().collect(),
        None => Vec::new(),
    }
}

pub(crate) fn seq(v: Option<&Y>) -> &[Y] {
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
        pass_condition: text(get(t, "pass_condition")),
        attack_data,
    }
}

/// True when every observable role is one contentctl 4 accepts (`Victim`, `Attacker`):
/// other roles (`Parent Process`, `Child Process`, `Actor`…) are from content built by
/// security_content's earlier builders.
fn contentctl4_roles(tags: &Y) -> bool {
    seq(get(tags, "observable")).iter().all(|o| {
        let roles = list(get(o, "role"));
        !roles.is_empty() && roles.iter().all(|r| r == "Victim" || r == "Attacker")
    })
}

/// Reads a detection document.
pub fn detection(doc: &Y, file: &Path) -> Detection {
    let tags = get(doc, "tags").cloned().unwrap_or(Y::Null);
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
    let legacy = get(doc, "tests").is_none() && get(doc, "status").is_none();
    let (schema, risk) = if let Some(finding) = get(doc, "finding") {
        (Schema::V6, builders::finding(doc, finding))
    } else if let Some(rba) = get(doc, "rba") {
        (Schema::V5, builders::contentctl5(rba))
    } else {
        let schema = if legacy {
            Schema::Legacy2021
        } else {
            Schema::V4
        };
        let risk = if language == SearchLanguage::Spl2Ssa {
            builders::ssa(&tags, &search)
        } else if legacy || !contentctl4_roles(&tags) {
            builders::legacy(&tags)
        } else {
            builders::contentctl4(&tags)
        };
        (schema, risk)
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
                pass_condition: None,
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
    let mut required_fields = list(get(&tags, "required_fields"));
    if required_fields.is_empty() {
        required_fields = list(get(doc, "required_fields"));
    }
    let mut analytic_story = list(get(&tags, "analytic_story"));
    if analytic_story.is_empty() {
        analytic_story = list(get(doc, "analytic_story"));
    }
    let mut d = Detection {
        id: text(get(doc, "id")),
        name: text(get(doc, "name")).unwrap_or_default(),
        file: file.to_path_buf(),
        kind: text(get(doc, "type")),
        status: text(get(doc, "status")),
        manual_test: text(get(&tags, "manual_test")),
        analytic_story,
        inline_rba: builders::inline_rba(doc),
        search,
        language,
        schema,
        data_source: list(get(doc, "data_source")),
        required_fields,
        product,
        risk,
        tests,
    };
    match d.risk.builder {
        // Risk whenever there is a score and a story, whatever the type.
        Builder::Legacy => {
            d.risk.action = d.risk.action && !d.analytic_story.is_empty();
        }
        // The Behavioral Analytics risk framework scores every detected event.
        Builder::Ssa => d.risk.action = true,
        _ => builders::apply_deployments(&mut d, &builders::Deployments::default()),
    }
    d
}
