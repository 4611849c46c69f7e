//! Published detection pages (markdown): title in the front matter, the `Search` code
//! block, the RBA table (Risk Score / Impact / Confidence / Message), `Test Dataset`
//! links, required fields and the `**ID**:` line.

use crate::{AttackData, Builder, Detection, Risk, RiskOrigin, Schema, SearchLanguage, Test};
use std::path::Path;

/// True if a search is an SPL2 SSA pipeline.
pub fn is_ssa(search: &str) -> bool {
    let t = search.trim_start().trim_start_matches('|').trim_start();
    let t = match t.strip_prefix('$') {
        Some(rest) => rest
            .split_once('=')
            .map(|(_, r)| r.trim_start())
            .unwrap_or(rest),
        None => t,
    };
    let lower = t.to_ascii_lowercase();
    lower.starts_with("from read_ssa_enriched_events") || lower.starts_with("from source")
}

/// True if `text` looks like a detection page.
pub fn looks_like_page(text: &str) -> bool {
    text.contains("#### Search") && text.contains("```")
}

/// The body of each `#### Heading` section.
fn sections(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("#### ") {
            out.push((h.trim().to_string(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

fn section<'a>(secs: &'a [(String, String)], prefix: &str) -> Option<&'a str> {
    secs.iter()
        .find(|(h, _)| {
            h.to_ascii_lowercase()
                .starts_with(&prefix.to_ascii_lowercase())
        })
        .map(|(_, b)| b.as_str())
}

fn front_matter(text: &str, key: &str) -> Option<String> {
    let body = text.strip_prefix("---")?;
    let end = body.find("\n---")?;
    body[..end].lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
    })
}

fn bold_field(text: &str, key: &str) -> Option<String> {
    let marker = format!("**{key}**:");
    let line = text.lines().find(|l| l.contains(&marker))?;
    let v = line.split_once(&marker)?.1.trim();
    // `[TTP](https://...)` → `TTP`
    let v = match v.strip_prefix('[') {
        Some(r) => r.split(']').next().unwrap_or(r),
        None => v,
    };
    Some(v.trim().to_string())
}

/// Parses a page; `None` if it has no search block.
pub fn parse(text: &str, file: &Path) -> Option<Detection> {
    let secs = sections(text);
    let search_body = section(&secs, "Search")?;
    let start = search_body.find("```")?;
    let after = &search_body[start + 3..];
    let after = after.split_once('\n').map(|(_, r)| r).unwrap_or(after);
    let end = after.find("```").unwrap_or(after.len());
    let search = after[..end].trim().to_string();
    if search.is_empty() {
        return None;
    }
    let name = front_matter(text, "title")
        .or_else(|| {
            text.lines()
                .find_map(|l| l.strip_prefix("# ").map(|t| t.trim().to_string()))
        })
        .unwrap_or_else(|| {
            file.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    let mut risk = Risk {
        origin: RiskOrigin::Default,
        builder: Builder::Page,
        action: false,
        ..Risk::default()
    };
    if let Some(rba) = section(&secs, "RBA") {
        let rows: Vec<Vec<String>> = rba
            .lines()
            .filter(|l| l.trim_start().starts_with('|'))
            .map(|l| {
                l.trim()
                    .trim_matches('|')
                    .split('|')
                    .map(|c| c.trim().to_string())
                    .collect()
            })
            .collect();
        if let (Some(header), Some(values)) = (
            rows.first(),
            rows.iter()
                .skip(1)
                .find(|r| !r.iter().all(|c| c.starts_with('-'))),
        ) {
            for (h, v) in header.iter().zip(values) {
                match h.to_ascii_lowercase().as_str() {
                    "risk score" => {
                        risk.score = v.parse().ok();
                        // A page with a risk score documents a risk action.
                        risk.action = risk.score.is_some();
                    }
                    "message" if !v.is_empty() => risk.message = Some(v.clone()),
                    _ => {}
                }
            }
        }
    }
    let datasets: Vec<AttackData> = section(&secs, "Test Dataset")
        .map(|body| {
            body.lines()
                .filter_map(|l| {
                    let l = l.trim().strip_prefix("* ")?.trim();
                    let url = match l.strip_prefix('[') {
                        Some(r) => r.split(']').next()?,
                        None => l,
                    };
                    (url.starts_with("http") || url.starts_with('/') || url.starts_with("file:"))
                        .then(|| AttackData {
                            data: url.to_string(),
                            source: None,
                            sourcetype: None,
                        })
                })
                .collect()
        })
        .unwrap_or_default();
    let tests = if datasets.is_empty() {
        Vec::new()
    } else {
        vec![Test {
            name: "Test Dataset".into(),
            test_type: "unit".into(),
            pass_condition: None,
            attack_data: datasets,
        }]
    };
    let required_fields = section(&secs, "Required field")
        .map(|b| {
            b.lines()
                .filter_map(|l| l.trim().strip_prefix("* ").map(|f| f.trim().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let product: Vec<String> = bold_field(text, "Product")
        .map(|p| p.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default();
    let language = if is_ssa(&search) || product.iter().any(|p| p.contains("Behavioral Analytics"))
    {
        SearchLanguage::Spl2Ssa
    } else {
        SearchLanguage::Spl
    };
    Some(Detection {
        id: bold_field(text, "ID"),
        name,
        file: file.to_path_buf(),
        kind: bold_field(text, "Type"),
        status: Some(
            bold_field(text, "Status")
                .filter(|s| !s.is_empty())
                .map(|s| s.to_ascii_lowercase())
                .unwrap_or_else(|| "production".into()),
        ),
        manual_test: None,
        analytic_story: section(&secs, "Associated Analytic Stor")
            .map(|b| {
                b.lines()
                    .filter_map(|l| l.trim().strip_prefix("* "))
                    .map(|l| {
                        let l = l.trim();
                        match l.strip_prefix('[') {
                            Some(r) => r.split(']').next().unwrap_or(r).to_string(),
                            None => l.to_string(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
        inline_rba: None,
        search,
        language,
        schema: Schema::DocPage,
        data_source: Vec::new(),
        required_fields,
        product,
        risk,
        tests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "---\ntitle: \"My Detection\"\n---\n\n- **Type**: [TTP](x)\n- **ID**: abc-1\n\n#### Search\n\n```\n\n| tstats count from datamodel=Endpoint.Processes by Processes.dest\n```\n\n#### Required fields\n* _time\n* dest\n\n#### RBA\n\n| Risk Score  | Impact      | Confidence   | Message      |\n| ----------- | ----------- |--------------|--------------|\n| 42.0 | 60 | 70 | Bad on $dest$ |\n\n#### Test Dataset\nReplay any dataset...\n\n* [https://example.test/a.log](https://example.test/a.log)\n";

    #[test]
    fn reads_every_section() {
        let d = parse(PAGE, Path::new("p.md")).unwrap();
        assert_eq!(d.name, "My Detection");
        assert_eq!(d.id.as_deref(), Some("abc-1"));
        assert_eq!(d.kind.as_deref(), Some("TTP"));
        assert!(d.search.starts_with("| tstats count"));
        assert_eq!(d.risk.score, Some(42.0));
        assert_eq!(d.risk.message.as_deref(), Some("Bad on $dest$"));
        assert_eq!(d.tests[0].attack_data[0].data, "https://example.test/a.log");
        assert_eq!(d.required_fields, vec!["_time", "dest"]);
        assert_eq!(d.language, SearchLanguage::Spl);
    }

    #[test]
    fn ssa_is_recognised() {
        assert!(is_ssa("\n| from read_ssa_enriched_events() | eval x=1"));
        assert!(is_ssa(" $main = from source | eval x=1"));
        assert!(!is_ssa("| tstats count"));
    }
}
