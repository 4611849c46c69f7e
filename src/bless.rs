//! `run --bless`: turns what each passing test produced into its expectation file,
//! for review in the pull request — the result count, every risk event (object,
//! type, value, score) and the risk message when every event has the same one.
//!
//! A detection's entries go to the file that already holds its expectations (the other
//! entries of that file are kept as they are), or to `DIR/<detection>.yml`. Tests that
//! did not pass keep their old entries. A detection marked `known_failure` is never
//! rewritten: that mark is a decision someone made, so it is reported instead.

use crate::expectations::{Count, Expectation, ExpectedRisk};
use crate::report::{DetectionReport, RunReport, Status};
use std::path::{Path, PathBuf};

/// What `--bless` did for one detection, for the run to print.
pub enum Blessed {
    /// These tests' expectations were written to the file.
    Written(PathBuf, Vec<String>),
    /// Not rewritten: the file marks it a known failure.
    KnownFailure(PathBuf),
    /// No test passed: nothing to bless.
    NothingPassed,
}

fn of(e: &Expectation, d: &DetectionReport) -> bool {
    e.detection.eq_ignore_ascii_case(&d.name)
        || d.id
            .as_deref()
            .is_some_and(|id| id.eq_ignore_ascii_case(&e.detection))
}

fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let s = s
        .split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if s.is_empty() {
        "detection".into()
    } else {
        s
    }
}

/// The expectation a passing test's report pins.
fn pinned(d: &DetectionReport, test: &crate::report::TestReport) -> Expectation {
    let mut risk: Vec<ExpectedRisk> = Vec::new();
    for r in &test.risk {
        let e = ExpectedRisk {
            object: Some(r.object.clone()),
            value: Some(r.value.clone()),
            score: Some(r.score),
            kind: Some(r.kind.clone()),
        };
        if !risk.contains(&e) {
            risk.push(e);
        }
    }
    let mut messages = test.risk.iter().filter_map(|r| r.message.as_deref());
    let first = messages.next();
    let message_contains = first
        .filter(|m| messages.all(|o| o == *m))
        .map(String::from);
    Expectation {
        detection: d.name.clone(),
        test: (d.tests.len() > 1).then(|| test.name.clone()),
        results: Some(Count::Exact(test.results)),
        risk,
        message_contains,
        ..Expectation::default()
    }
}

/// The entries of `file` that stay when the `blessed` tests of a detection (whose
/// entries `mine` picks, whose tests are `tests`) are written anew: other detections'
/// entries, entries of its tests not blessed now, and an entry for every test (no
/// `test:`) narrowed to the tests not blessed now, so a failing test keeps what it
/// was held to.
fn kept(
    existing: &[Expectation],
    file: &Path,
    mine: impl Fn(&Expectation) -> bool,
    tests: &[&str],
    blessed: &[String],
) -> Vec<Expectation> {
    let unblessed: Vec<&str> = tests
        .iter()
        .copied()
        .filter(|t| !blessed.iter().any(|b| b == t))
        .collect();
    let mut out = Vec::new();
    for e in existing.iter().filter(|e| e.file == file) {
        if !mine(e) {
            out.push(e.clone());
            continue;
        }
        match &e.test {
            Some(t) if !blessed.contains(t) => out.push(e.clone()),
            Some(_) => {}
            None => out.extend(unblessed.iter().map(|t| Expectation {
                test: Some(t.to_string()),
                ..e.clone()
            })),
        }
    }
    out
}

/// Blesses every detection of `r` into `dir`, given the expectations already there.
pub fn bless(
    dir: &Path,
    r: &RunReport,
    existing: &[Expectation],
) -> Result<Vec<(String, Blessed)>, String> {
    let mut out = Vec::new();
    // What the files hold, kept up to date as they are rewritten.
    let mut current: Vec<Expectation> = existing.to_vec();
    for d in &r.detections {
        let existing = current.as_slice();
        let passing: Vec<_> = d
            .tests
            .iter()
            .filter(|t| t.status == Status::Pass)
            .collect();
        let mine: Vec<&Expectation> = existing.iter().filter(|e| of(e, d)).collect();
        if let Some(k) = mine.iter().find(|e| e.known_failure.is_some()) {
            out.push((d.name.clone(), Blessed::KnownFailure(k.file.clone())));
            continue;
        }
        if passing.is_empty() {
            out.push((d.name.clone(), Blessed::NothingPassed));
            continue;
        }
        let file = mine
            .first()
            .map(|e| e.file.clone())
            .unwrap_or_else(|| dir.join(format!("{}.yml", slug(&d.name))));
        let blessed: Vec<String> = passing.iter().map(|t| t.name.clone()).collect();
        let tests: Vec<&str> = d.tests.iter().map(|t| t.name.as_str()).collect();
        let mut entries = kept(existing, &file, |e| of(e, d), &tests, &blessed);
        entries.extend(passing.iter().map(|t| pinned(d, t)));
        let yaml = serde_yaml_ng::to_string(&entries).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let text = format!(
            "# Written by `firedrill run --bless` from what the tests produced: review it\n# before committing.\n{yaml}"
        );
        std::fs::write(&file, text).map_err(|e| format!("{}: {e}", file.display()))?;
        current.retain(|e| e.file != file);
        current.extend(entries.into_iter().map(|mut e| {
            e.file = file.clone();
            e
        }));
        out.push((d.name.clone(), Blessed::Written(file, blessed)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_for_every_test_stays_for_the_tests_not_blessed() {
        let file = PathBuf::from("e.yml");
        let all = Expectation {
            detection: "D".into(),
            results: Some(Count::Exact(3)),
            file: file.clone(),
            ..Expectation::default()
        };
        let other = Expectation {
            detection: "Other".into(),
            file: file.clone(),
            ..Expectation::default()
        };
        let kept = kept(
            &[all, other],
            &file,
            |e| e.detection == "D",
            &["t1", "t2"],
            &["t1".to_string()],
        );
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].test.as_deref(), Some("t2"));
        assert_eq!(kept[0].results, Some(Count::Exact(3)));
        assert_eq!(kept[1].detection, "Other");
    }
}
