//! Which detections are tested: contentctl's rule (`detection_abstract.py`,
//! `adjust_tests_and_groups`) by default — production status, not Correlation, no
//! `tags.manual_test` — with flags to include the rest.

use crate::Detection;
use std::path::Component;

/// What to include beyond contentctl's selection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SelectionOptions {
    /// Run every detection, whatever its status, type or manual_test tag.
    pub all: bool,
    /// Also run experimental detections.
    pub include_experimental: bool,
    /// Also run detections tagged `manual_test`.
    pub include_manual: bool,
}

/// Whether a detection is tested, and why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// True when the detection is run.
    pub selected: bool,
    /// Why it is not (contentctl's skip message), when it is not.
    pub reason: Option<String>,
    /// The message contentctl puts on the skipped tests (`TEST SKIPPED: …`), also
    /// when a flag overrode it.
    pub contentctl_skip: Option<String>,
}

/// The status, `production` when the detection has none (2021 content, pages) unless
/// its file is in a `deprecated` or `experimental` folder.
pub fn effective_status(d: &Detection) -> String {
    if let Some(s) = &d.status {
        return s.to_ascii_lowercase();
    }
    for c in d.file.components() {
        if let Component::Normal(n) = c {
            let n = n.to_string_lossy().to_ascii_lowercase();
            if n == "deprecated" || n == "experimental" {
                return n;
            }
        }
    }
    "production".into()
}

/// contentctl's skip message for `d`, if it skips it: the last of its rules that
/// applies wins, as in `adjust_tests_and_groups` (manual, then non-production, then
/// the type).
fn contentctl_skip(d: &Detection) -> Option<String> {
    let mut skip = None;
    if let Some(why) = &d.manual_test {
        skip = Some(format!(
            "TEST SKIPPED (MANUAL): Detection marked as 'manual_test' with explanation: {why}"
        ));
    }
    let status = effective_status(d);
    if status != "production" {
        skip = Some(format!(
            "TEST SKIPPED: Detection is non-production ({status})"
        ));
    }
    if d.kind.as_deref() == Some("Correlation") {
        skip =
            Some("TEST SKIPPED: Detection type Correlation cannot be tested by contentctl".into());
    }
    skip
}

/// Why contentctl does not test `d`, in a few words (same precedence as its message).
fn why_not(d: &Detection) -> Option<String> {
    let status = effective_status(d);
    if d.kind.as_deref() == Some("Correlation") {
        Some("type Correlation (contentctl does not test Correlation searches)".into())
    } else if status != "production" {
        Some(format!(
            "status {status} (contentctl tests production detections only)"
        ))
    } else {
        d.manual_test
            .as_ref()
            .map(|why| format!("manual_test: {why}"))
    }
}

pub fn selection(d: &Detection, o: &SelectionOptions) -> Selection {
    let skip = contentctl_skip(d);
    let status = effective_status(d);
    let overridden = o.all
        || skip.is_none()
        || (o.include_experimental
            && status == "experimental"
            && d.kind.as_deref() != Some("Correlation")
            && (d.manual_test.is_none() || o.include_manual))
        || (o.include_manual
            && d.manual_test.is_some()
            && status == "production"
            && d.kind.as_deref() != Some("Correlation"));
    Selection {
        selected: overridden,
        reason: if overridden { None } else { why_not(d) },
        contentctl_skip: skip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Risk, Schema, SearchLanguage};

    fn det(status: Option<&str>, kind: &str, manual: Option<&str>, file: &str) -> Detection {
        Detection {
            id: None,
            name: "d".into(),
            file: file.into(),
            kind: Some(kind.into()),
            status: status.map(String::from),
            manual_test: manual.map(String::from),
            analytic_story: Vec::new(),
            inline_rba: None,
            search: String::new(),
            language: SearchLanguage::Spl,
            schema: Schema::V4,
            data_source: Vec::new(),
            required_fields: Vec::new(),
            product: Vec::new(),
            risk: Risk::default(),
            tests: Vec::new(),
        }
    }

    #[test]
    fn contentctl_rules_and_flags() {
        let none = SelectionOptions::default();
        let prod = det(Some("production"), "TTP", None, "d/endpoint/a.yml");
        assert!(prod.selection(&none).selected);

        let exp = det(Some("experimental"), "TTP", None, "d/endpoint/a.yml");
        let s = exp.selection(&none);
        assert!(!s.selected);
        assert_eq!(
            s.reason.as_deref(),
            Some("status experimental (contentctl tests production detections only)")
        );
        let with = SelectionOptions {
            include_experimental: true,
            ..none
        };
        assert!(exp.selection(&with).selected);

        let dep = det(Some("deprecated"), "TTP", None, "d/deprecated/a.yml");
        assert!(!dep.selection(&with).selected, "deprecated needs --all");
        assert!(
            dep.selection(&SelectionOptions { all: true, ..none })
                .selected
        );

        let corr = det(Some("production"), "Correlation", None, "a.yml");
        assert_eq!(
            corr.selection(&none).contentctl_skip.as_deref(),
            Some("TEST SKIPPED: Detection type Correlation cannot be tested by contentctl")
        );

        let manual = det(Some("production"), "Hunting", Some("needs ES"), "a.yml");
        assert!(!manual.selection(&none).selected);
        assert!(
            manual
                .selection(&SelectionOptions {
                    include_manual: true,
                    ..none
                })
                .selected
        );
        // Non-production overrides the manual message, as contentctl's order does.
        let both = det(Some("experimental"), "TTP", Some("x"), "a.yml");
        assert!(both
            .selection(&none)
            .contentctl_skip
            .unwrap()
            .contains("non-production"));
    }

    #[test]
    fn status_from_the_folder_when_absent() {
        assert_eq!(
            effective_status(&det(None, "TTP", None, "x/detections/deprecated/a.yml")),
            "deprecated"
        );
        assert_eq!(
            effective_status(&det(None, "TTP", None, "x/detections/endpoint/a.yml")),
            "production"
        );
    }
}
