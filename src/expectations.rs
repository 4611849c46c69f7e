//! Expectation files (`expectations/*.yml`): what a detection must produce beyond what
//! its content documents, or that it is a known failure and why.
//!
//! ```yaml
//! detection: Dump LSASS via comsvcs DLL   # name or id
//! results: 1                              # exact row count, or {min: 1, max: 3}
//! risk:                                   # these risk events must be among those raised
//!   - object: dest
//!     value: win-dc-01
//!     score: 80
//! message_contains: comsvcs.dll
//! known_failure: "needs the Splunk_TA_windows 4688 user mapping"
//! ```
//! A negative test: the detection must return nothing on a test's (benign) data —
//! ```yaml
//! detection: Dump LSASS via comsvcs DLL
//! test: Benign Baseline                   # a test of the detection over benign data
//! must_not_fire: true
//! ```
//! A file may hold one such mapping or a list of them.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What one expectation entry pins.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Detection name or id.
    pub detection: String,
    /// Only for this test name (all tests when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
    /// Expected row count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<Count>,
    /// Risk events that must be raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risk: Vec<ExpectedRisk>,
    /// Every risk message must contain this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_contains: Option<String>,
    /// Marks a known failure, with its reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_failure: Option<String>,
    /// A negative test: the detection passes only when it returns no results.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub must_not_fire: bool,
    /// The file it came from.
    #[serde(skip)]
    pub file: PathBuf,
}

/// An exact count or a range.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Count {
    /// Exactly this many.
    Exact(usize),
    /// Within bounds.
    Range {
        /// At least.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<usize>,
        /// At most.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<usize>,
    },
}

impl Count {
    /// True if `n` satisfies the count.
    pub fn admits(&self, n: usize) -> bool {
        match self {
            Count::Exact(e) => n == *e,
            Count::Range { min, max } => min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m),
        }
    }
}

/// A risk event that must be raised (each given part must match).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExpectedRisk {
    /// The risk-object field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The entity value (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The entity type.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<Expectation>),
    One(Box<Expectation>),
}

/// Loads every `*.yml`/`*.yaml` in `dir`. A missing directory is no expectations; a
/// bad file is an error naming the file and line.
pub fn load(dir: &Path) -> Result<Vec<Expectation>, String> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    files.sort();
    for file in files {
        let text =
            firedrill_content::read_text(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let parsed: OneOrMany = serde_yaml_ng::from_str(&text).map_err(|e| {
            let line = e
                .location()
                .map(|l| format!(":{}", l.line()))
                .unwrap_or_default();
            format!(
                "{}{line}: not a valid expectation file: {e}",
                file.display()
            )
        })?;
        let items = match parsed {
            OneOrMany::Many(v) => v,
            OneOrMany::One(e) => vec![*e],
        };
        for mut e in items {
            e.file = file.clone();
            out.push(e);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_one_or_many_and_rejects_typos() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.yml"),
            "detection: A\nresults: {min: 1}\nrisk:\n  - object: dest\n    value: h\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.yml"),
            "- detection: B\n  results: 2\n- detection: C\n  known_failure: why\n",
        )
        .unwrap();
        let all = load(dir.path()).unwrap();
        assert_eq!(all.len(), 3);
        assert!(all[0].results.as_ref().unwrap().admits(5));
        assert!(!all[1].results.as_ref().unwrap().admits(3));
        std::fs::write(dir.path().join("c.yml"), "detection: D\nresutls: 1\n").unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(err.contains("c.yml"), "{err}");
    }
}
