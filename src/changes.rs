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
//! - a local dataset file one of its tests reads changed (read from the data
//!   directory, as the run reads it);
//! - a macro or lookup it names was deleted (its file, named after it, is gone).
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

#[cfg(unix)]
fn path_of(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_of(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    Ok(String::from_utf8_lossy(&git_bytes(dir, args)?).to_string())
}

fn git_bytes(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
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
    Ok(out.stdout)
}

/// The files changed in the repository holding `dir` since `rev` (working tree
/// included) and the untracked ones, as absolute paths.
pub fn changed_files(dir: &Path, rev: &str) -> Result<Vec<PathBuf>, String> {
    if rev.starts_with('-') {
        return Err(format!("--changed-since {rev}: not a revision"));
    }
    let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?.trim());
    let mut files = BTreeSet::new();
    // NUL-separated: names with spaces, quotes or non-ASCII characters come as they are.
    for out in [
        git_bytes(&top, &["diff", "--name-only", "-z", rev, "--"])?,
        git_bytes(&top, &["ls-files", "-z", "--others", "--exclude-standard"])?,
    ] {
        for name in out.split(|&b| b == 0).filter(|n| !n.is_empty()) {
            files.insert(top.join(path_of(name)));
        }
    }
    Ok(files.into_iter().collect())
}

fn same(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    a == b || canon(a) == canon(b)
}

/// Macro or lookup files the change deleted: (name, file), the name being the file's
/// stem (security_content names each file after its macro or lookup).
fn deleted_in(changed: &[PathBuf], dir: &str, exts: &[&str]) -> Vec<(String, String)> {
    changed
        .iter()
        .filter(|f| !f.exists())
        .filter(|f| {
            f.parent()
                .and_then(|p| p.file_name())
                .is_some_and(|n| n == dir)
                && f.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| exts.contains(&e))
        })
        .filter_map(|f| {
            let stem = f.file_stem()?.to_str()?.to_string();
            Some((stem, f.display().to_string()))
        })
        .collect()
}

/// The detections of `loaded` that `changed` touches, in load order. A relative
/// local dataset reference is read from `data_dir`, as the run reads it.
pub fn select(loaded: &Loaded, changed: &[PathBuf], data_dir: &Path) -> Vec<Selected> {
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
    let gone = Deleted {
        macros: deleted_in(changed, "macros", &["yml", "yaml"]),
        lookups: deleted_in(changed, "lookups", &["yml", "yaml", "csv"]),
    };
    let data_dir = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    loaded
        .detections
        .iter()
        .enumerate()
        .filter_map(|(index, d)| {
            let why = reasons(
                d,
                loaded,
                changed,
                &changed_macros,
                &changed_lookups,
                &gone,
                &data_dir,
            );
            (!why.is_empty()).then_some(Selected { index, why })
        })
        .collect()
}

/// What the change deleted: (name, file) of macros and of lookups.
struct Deleted {
    macros: Vec<(String, String)>,
    lookups: Vec<(String, String)>,
}

fn reasons(
    d: &Detection,
    loaded: &Loaded,
    changed: &[PathBuf],
    macros: &[(String, String)],
    lookups: &[String],
    gone: &Deleted,
    data_dir: &Path,
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
    // A deleted macro no longer expands: its name is still in the search.
    for (name, file) in &gone.macros {
        if d.search.contains(&format!("`{name}`")) || d.search.contains(&format!("`{name}(")) {
            why.push(format!(
                "it uses macro `{name}`, whose file {file} was deleted"
            ));
        }
    }
    for (name, file) in &gone.lookups {
        if names_lookup(text, name) {
            why.push(format!(
                "it uses lookup `{name}`, whose file {file} was deleted"
            ));
        }
    }
    for t in &d.tests {
        for a in &t.attack_data {
            let local = match a.data.strip_prefix("file://") {
                Some(p) => Path::new(p),
                None if a.data.contains("://") => continue,
                None => Path::new(&a.data),
            };
            // As the fetcher reads it: inside the data directory (an absolute path
            // stays as it is).
            let path = data_dir.join(local);
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
