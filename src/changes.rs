//! `--changed-since REF`: which detections a change to the content touches.
//!
//! From `git diff --name-only REF` in the content repository (the working tree against
//! REF, so uncommitted edits count) and its untracked files, a detection is selected
//! when
//! - its own file changed (its search, its tests and their dataset references);
//! - a macro its search expands, directly or through other macros, is defined in a
//!   changed file;
//! - a lookup its search names (`lookup`, `inputlookup`, `outputlookup`) has a changed
//!   definition (`lookups/NAME.yml`) or a changed file (its CSV);
//! - a local dataset file one of its tests reads changed.
//!
//! Each selected detection carries the reasons, for the run to print.

use crate::plan::Loaded;
use firedrill_content::{expand_macros, Detection};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One selected detection: its index in the loaded detections and why.
pub struct Selected {
    /// Index into [`Loaded::detections`].
    pub index: usize,
    /// Why it was selected, one reason per entry.
    pub why: Vec<String>,
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("--changed-since needs git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "--changed-since: `git {}` in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

/// The files changed in the repository holding `dir` since `rev` (working tree
/// included) and the untracked ones, as absolute paths.
pub fn changed_files(dir: &Path, rev: &str) -> Result<Vec<PathBuf>, String> {
    if rev.starts_with('-') {
        return Err(format!("--changed-since {rev}: not a revision"));
    }
    let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?.trim());
    let mut files = BTreeSet::new();
    for line in git(&top, &["diff", "--name-only", rev, "--"])?
        .lines()
        .chain(git(&top, &["ls-files", "--others", "--exclude-standard"])?.lines())
    {
        if !line.trim().is_empty() {
            files.insert(top.join(line.trim()));
        }
    }
    Ok(files.into_iter().collect())
}

fn same(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    a == b || canon(a) == canon(b)
}

/// The detections of `loaded` that `changed` touches, in load order.
pub fn select(loaded: &Loaded, changed: &[PathBuf]) -> Vec<Selected> {
    let changed_macros: Vec<(String, String)> = loaded
        .macros
        .iter()
        .filter(|m| changed.iter().any(|c| same(c, &m.file)))
        .map(|m| {
            let key = if m.args.is_empty() {
                m.name.clone()
            } else {
                format!("{}({})", m.name, m.args.len())
            };
            (key, m.file.display().to_string())
        })
        .collect();
    let changed_lookups: Vec<String> = loaded
        .content
        .iter()
        .flat_map(|c| {
            let dir = c.root.join("lookups");
            c.lookups.values().filter(move |l| {
                changed.iter().any(|f| {
                    let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                    let name = f.file_name().and_then(|s| s.to_str()).unwrap_or("");
                    f.parent().is_some_and(|p| same(p, &dir))
                        && (stem == l.name || l.filename.as_deref() == Some(name))
                })
            })
        })
        .map(|l| l.name.clone())
        .collect();
    loaded
        .detections
        .iter()
        .enumerate()
        .filter_map(|(index, d)| {
            let why = reasons(d, loaded, changed, &changed_macros, &changed_lookups);
            (!why.is_empty()).then_some(Selected { index, why })
        })
        .collect()
}

fn reasons(
    d: &Detection,
    loaded: &Loaded,
    changed: &[PathBuf],
    macros: &[(String, String)],
    lookups: &[String],
) -> Vec<String> {
    let mut why = Vec::new();
    if changed.iter().any(|c| same(c, &d.file)) {
        why.push("its file changed".to_string());
    }
    let expanded = expand_macros(&d.search, &loaded.macros).ok();
    if let Some(e) = &expanded {
        for (name, file) in macros {
            if e.used.iter().any(|u| u == name) {
                why.push(format!("it uses macro `{name}`, changed in {file}"));
            }
        }
    }
    let text = expanded
        .as_ref()
        .map(|e| e.text.as_str())
        .unwrap_or(&d.search);
    for l in lookups {
        if names_lookup(text, l) {
            why.push(format!(
                "it uses lookup `{l}`, whose definition or file changed"
            ));
        }
    }
    for t in &d.tests {
        for a in &t.attack_data {
            let local = Path::new(&a.data);
            if local.is_absolute() || a.data.contains("://") {
                continue;
            }
            let path = d.file.parent().map(|p| p.join(local)).unwrap_or_default();
            if changed.iter().any(|c| same(c, &path)) {
                why.push(format!("its dataset {} changed", a.data));
            }
        }
    }
    why
}

/// True when `text` names `lookup` after a lookup command.
fn names_lookup(text: &str, lookup: &str) -> bool {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '|' || c == '[' || c == ']')
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(2).any(|w| {
        matches!(
            w[0].to_ascii_lowercase().as_str(),
            "lookup" | "inputlookup" | "outputlookup"
        ) && w[1].trim_matches('"') == lookup
    }) || words.windows(3).any(|w| {
        // `lookup local=true name …`, `inputlookup append=t name`.
        matches!(
            w[0].to_ascii_lowercase().as_str(),
            "lookup" | "inputlookup" | "outputlookup"
        ) && w[1].contains('=')
            && w[2].trim_matches('"') == lookup
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn lookups_are_named_after_their_commands() {
        assert!(super::names_lookup(
            "x | lookup ioc_domains domain",
            "ioc_domains"
        ));
        assert!(super::names_lookup(
            "| inputlookup append=t ioc_domains",
            "ioc_domains"
        ));
        assert!(!super::names_lookup(
            "x | eval ioc_domains=1",
            "ioc_domains"
        ));
    }
}
