//! Risk objects for detections that document only a score (detection pages).

use crate::{Content, Detection, RiskObject, RiskOrigin};

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

/// `$field$` names in a message, in order, without repeats.
pub fn message_fields(message: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let parts: Vec<&str> = message.split('$').collect();
    for (i, p) in parts.iter().enumerate() {
        if i % 2 == 1
            && i + 1 < parts.len()
            && !p.is_empty()
            && !p.contains(' ')
            && !out.iter().any(|o| o == p)
        {
            out.push(p.to_string());
        }
    }
    out
}

pub fn resolve(d: &mut Detection, content: Option<&Content>) {
    if !d.risk.objects.is_empty() {
        return;
    }
    let score = d.risk.score.unwrap_or(0.0);
    if let Some(c) = content {
        let same = c
            .detections
            .iter()
            .filter(|o| o.file != d.file && !o.risk.objects.is_empty())
            .find(|o| {
                d.id.is_some()
                    && o.id.as_deref().map(str::to_ascii_lowercase)
                        == d.id.as_deref().map(str::to_ascii_lowercase)
            })
            .or_else(|| {
                c.detections
                    .iter()
                    .filter(|o| o.file != d.file && !o.risk.objects.is_empty())
                    .find(|o| o.name.eq_ignore_ascii_case(&d.name))
            });
        if let Some(o) = same {
            d.risk.objects = o
                .risk
                .objects
                .iter()
                .map(|r| RiskObject {
                    score: if d.risk.score.is_some() {
                        score
                    } else {
                        r.score
                    },
                    ..r.clone()
                })
                .collect();
            if d.risk.threat_objects.is_empty() {
                d.risk.threat_objects = o.risk.threat_objects.clone();
            }
            if d.risk.message.is_none() {
                d.risk.message = o.risk.message.clone();
            }
            d.risk.origin = RiskOrigin::FromContent(o.file.clone());
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
        return;
    }
    d.risk.objects = vec![
        RiskObject {
            field: "dest".into(),
            kind: "system".into(),
            score,
            message: None,
        },
        RiskObject {
            field: "user".into(),
            kind: "user".into(),
            score,
            message: None,
        },
    ];
    d.risk.origin = RiskOrigin::Default;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_fields_in_order() {
        assert_eq!(
            message_fields(
                "dump on $dest_device_id$ by $dest_device_user$ ($dest_device_id$) costs $5"
            ),
            vec!["dest_device_id", "dest_device_user"]
        );
        assert_eq!(entity_kind("dest_device_user"), Some("user"));
        assert_eq!(entity_kind("dest_device_id"), Some("system"));
        assert_eq!(entity_kind("process_name"), None);
    }
}
