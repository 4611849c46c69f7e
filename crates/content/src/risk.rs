//! Risk objects for detection pages, which document a score but no objects. Nothing
//! here applies to YAML detections: their builders decide (see `builders.rs`).

use crate::text::{message_fields, search_names};
use crate::{Content, Detection, RiskObject, RiskOrigin, Schema};

/// Which fields named in a message are entities, and of what type.
fn entity_kind(field: &str) -> Option<&'static str> {
    let f = field.to_ascii_lowercase();
    if f.contains("user") {
        return Some("user");
    }
    let system = [
        "dest", "src", "host", "dvc", "computer", "device", "machine", "system", "ip",
    ];
    system.iter().any(|s| f.contains(s)).then_some("system")
}

/// The same detection in the content: by id, then by name; only ones that have risk
/// objects, and never the page itself.
fn same_in<'a>(d: &Detection, c: &'a Content) -> Option<&'a Detection> {
    let candidates = || {
        c.detections
            .iter()
            .filter(|o| o.file != d.file && o.schema != Schema::DocPage)
            .filter(|o| !o.risk.objects.is_empty())
    };
    let id = d.id.as_deref().map(str::to_ascii_lowercase);
    candidates()
        .find(|o| id.is_some() && o.id.as_deref().map(str::to_ascii_lowercase) == id)
        .or_else(|| candidates().find(|o| o.name.eq_ignore_ascii_case(&d.name)))
}

pub fn resolve(d: &mut Detection, content: Option<&Content>) {
    if d.schema != Schema::DocPage || !d.risk.objects.is_empty() {
        return;
    }
    let score = d.risk.score.unwrap_or(0.0);
    if let Some(o) = content.and_then(|c| same_in(d, c)) {
        // The content's detection may be a later version whose search outputs fields
        // the page's does not: keep only what the page's own search names.
        let mut dropped = Vec::new();
        let objects: Vec<RiskObject> = o
            .risk
            .objects
            .iter()
            .filter(|r| {
                let keep = search_names(&d.search, &r.field);
                if !keep {
                    dropped.push(r.field.clone());
                }
                keep
            })
            .map(|r| RiskObject {
                score: if d.risk.score.is_some() {
                    score
                } else {
                    r.score
                },
                ..r.clone()
            })
            .collect();
        let threats: Vec<_> = o
            .risk
            .threat_objects
            .iter()
            .filter(|t| {
                let keep = search_names(&d.search, &t.field);
                if !keep {
                    dropped.push(t.field.clone());
                }
                keep
            })
            .cloned()
            .collect();
        if !objects.is_empty() {
            d.risk.objects = objects;
            if d.risk.threat_objects.is_empty() {
                d.risk.threat_objects = threats;
            }
            if d.risk.message.is_none() {
                d.risk.message = o.risk.message.clone();
            }
            d.risk.origin = RiskOrigin::FromContent {
                file: o.file.clone(),
                dropped,
            };
            d.risk.test_fields = d.risk.fields_of_objects();
            return;
        }
    }
    let from_message: Vec<RiskObject> = d
        .risk
        .message
        .as_deref()
        .map(message_fields)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| {
            entity_kind(&f).map(|k| RiskObject {
                field: f,
                kind: k.to_string(),
                score,
                message: None,
            })
        })
        .collect();
    if !from_message.is_empty() {
        d.risk.objects = from_message;
        d.risk.origin = RiskOrigin::FromMessage;
    } else {
        d.risk.objects = ["dest", "user"]
            .iter()
            .map(|f| RiskObject {
                field: f.to_string(),
                kind: if *f == "dest" { "system" } else { "user" }.into(),
                score,
                message: None,
            })
            .collect();
        d.risk.origin = RiskOrigin::Default;
    }
    d.risk.test_fields = d.risk.fields_of_objects();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_kinds() {
        assert_eq!(entity_kind("dest_device_user"), Some("user"));
        assert_eq!(entity_kind("dest_device_id"), Some("system"));
        assert_eq!(entity_kind("process_name"), None);
    }
}
