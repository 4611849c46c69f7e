//! Which files a corpus holds: every dataset file that a tested detection of the
//! content names (not deprecated, with a test that has attack_data), at its real size
//! from attack_data's index, where firedrill's cache would keep it.

use firedrill_content::load_content;
use firedrill_dataset::{DatasetMeta, UPSTREAM_PREFIX};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What kind of events a file is made of.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// XmlWinEventLog text; the lower-case channel the test's source names, if any.
    Windows(Option<String>),
    /// JSON lines.
    Json,
}

/// One file to generate.
#[derive(Clone, Debug)]
pub struct PlannedFile {
    /// Where it goes, relative to the output directory (`/`-separated, no empty parts).
    pub path: String,
    /// The lock keys (paths as firedrill spells them, which keep a reference's `//`)
    /// with the reference each came from.
    pub keys: BTreeMap<String, String>,
    /// Its real size in attack_data.
    pub real_size: u64,
    /// The size to aim at.
    pub target: u64,
    /// The source and sourcetype the file is generated for.
    pub source: Option<String>,
    /// See `source`.
    pub sourcetype: Option<String>,
    /// Every (source, sourcetype) the tests give this file.
    pub uses: BTreeSet<(Option<String>, Option<String>)>,
    /// What its events are.
    pub kind: Kind,
    /// How many tested detections read it.
    pub detections: usize,
}

/// The whole plan.
#[derive(Debug, Default)]
pub struct Plan {
    /// Detections loaded.
    pub detections: usize,
    /// Tested detections (not deprecated unless asked, with attack_data).
    pub tested: usize,
    /// Distinct references the tested detections name.
    pub references: usize,
    /// Files to generate, sorted by path.
    pub files: Vec<PlannedFile>,
    /// References not in the index (not generated): the reference and why.
    pub not_in_index: Vec<(String, String)>,
}

/// attack_data's index: path (under the repository root) → size.
pub fn read_index(path: &Path) -> Result<BTreeMap<String, u64>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.starts_with("path\t") || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let size = cols
            .get(3)
            .and_then(|s| s.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                format!(
                    "{}:{}: expected path, kind, oid, size",
                    path.display(),
                    i + 1
                )
            })?;
        out.insert(cols[0].to_string(), size);
    }
    Ok(out)
}

/// The lock key firedrill gives a reference (`cache_rel` in firedrill-dataset: the
/// path after the upstream prefix, or `external/<host>/<path>`), or `None` for
/// references that are not http(s) URLs.
pub fn lock_key(reference: &str) -> Option<String> {
    if let Some(rest) = reference.strip_prefix(UPSTREAM_PREFIX) {
        return Some(rest.trim_start_matches('/').to_string());
    }
    for scheme in ["https://", "http://"] {
        if let Some(rest) = reference.strip_prefix(scheme) {
            let rest = rest.split(['?', '#']).next().unwrap_or(rest);
            return Some(format!("external/{rest}"));
        }
    }
    None
}

/// `a//b/./c` → `a/b/c` (what the file system makes of a key).
pub fn normalise(key: &str) -> String {
    key.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn is_windows(sourcetype: Option<&str>) -> bool {
    let st = sourcetype.unwrap_or("").to_ascii_lowercase();
    st.starts_with("xmlwineventlog")
        || st == "wineventlog"
        || st.starts_with("wineventlog:")
        || st == "sysmon:linux"
}

/// The channel a test's source names: `XmlWinEventLog:Security` → `security`.
/// Linux Sysmon (no sample exists) takes Windows Sysmon events.
fn channel(source: Option<&str>, sourcetype: Option<&str>) -> Option<String> {
    if sourcetype.is_some_and(|s| s.eq_ignore_ascii_case("sysmon:linux")) {
        return Some("microsoft-windows-sysmon/operational".into());
    }
    let s = source?.trim();
    let lower = s.to_ascii_lowercase();
    let rest = ["xmlwineventlog:", "wineventlog:"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .unwrap_or(&lower);
    (!rest.is_empty() && rest != "xmlwineventlog" && rest != "wineventlog")
        .then(|| rest.to_string())
}

#[derive(serde::Deserialize)]
struct MetaFile {
    #[serde(default)]
    datasets: Vec<DatasetMeta>,
}

/// attack_data's metadata for the file at `path` (`datasets/…`): the entry for it in
/// `<folder>/<folder>.yml` under `metadata` (which is laid out as `datasets/` is), as
/// firedrill finds it.
pub fn metadata_for(metadata: &Path, path: &str) -> Option<DatasetMeta> {
    let rel = path.strip_prefix("datasets/")?;
    let (dir, _) = rel.rsplit_once('/')?;
    let folder = dir.rsplit('/').next()?;
    let yml = dir
        .split('/')
        .fold(metadata.to_path_buf(), |p, s| p.join(s))
        .join(format!("{folder}.yml"));
    let parsed: MetaFile = serde_yaml_ng::from_str(&std::fs::read_to_string(yml).ok()?).ok()?;
    parsed
        .datasets
        .into_iter()
        .find(|d| d.path.as_deref().map(normalise).as_deref() == Some(path))
}

/// Builds the plan for `content` (a security_content tree) with the index at `index`;
/// a file whose tests give no sourcetype takes the one attack_data's metadata YAML
/// (under `metadata`) gives it; `include_deprecated` also takes the datasets of
/// deprecated detections (which `firedrill run` over a whole tree runs too).
pub fn plan(
    content: &Path,
    index: &Path,
    metadata: Option<&Path>,
    scale: f64,
    include_deprecated: bool,
) -> Result<Plan, String> {
    let index = read_index(index)?;
    let c = load_content(content);
    let mut plan = Plan {
        detections: c.detections.len(),
        ..Plan::default()
    };
    struct Acc {
        keys: BTreeMap<String, String>,
        uses: BTreeMap<(Option<String>, Option<String>), usize>,
        detections: BTreeSet<usize>,
        size: u64,
    }
    let mut files: BTreeMap<String, Acc> = BTreeMap::new();
    let mut refs: BTreeSet<String> = BTreeSet::new();
    let mut missing: BTreeMap<String, String> = BTreeMap::new();
    for (i, d) in c.detections.iter().enumerate() {
        let deprecated = d
            .status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("deprecated"))
            || d.file.components().any(|p| p.as_os_str() == "deprecated");
        let data: Vec<_> = d.tests.iter().flat_map(|t| &t.attack_data).collect();
        if (deprecated && !include_deprecated) || data.is_empty() {
            continue;
        }
        plan.tested += 1;
        for a in data {
            refs.insert(a.data.clone());
            let Some(key) = lock_key(&a.data) else {
                missing.insert(a.data.clone(), "not an http(s) URL".into());
                continue;
            };
            let path = normalise(&key);
            let size = if key.starts_with("external/") {
                None
            } else {
                index.get(&path).copied()
            };
            let Some(size) = size else {
                let why = if key.starts_with("external/") {
                    "not in attack_data (another host)"
                } else {
                    "not in attack_data's index"
                };
                missing.insert(a.data.clone(), why.into());
                continue;
            };
            let acc = files.entry(path).or_insert_with(|| Acc {
                keys: BTreeMap::new(),
                uses: BTreeMap::new(),
                detections: BTreeSet::new(),
                size,
            });
            acc.keys.insert(key, a.data.clone());
            *acc.uses
                .entry((a.source.clone(), a.sourcetype.clone()))
                .or_default() += 1;
            acc.detections.insert(i);
        }
    }
    plan.references = refs.len();
    plan.not_in_index = missing.into_iter().collect();
    for (path, acc) in files {
        // Several tests may read one file with different metadata: prefer a Windows
        // sourcetype, then the most used, then the first in order.
        let (source, sourcetype) = acc
            .uses
            .iter()
            .max_by(|a, b| {
                let wa = is_windows(a.0 .1.as_deref());
                let wb = is_windows(b.0 .1.as_deref());
                wa.cmp(&wb).then(a.1.cmp(b.1)).then(b.0.cmp(a.0))
            })
            .map(|(k, _)| k.clone())
            .unwrap_or_default();
        let (source, sourcetype) = match (sourcetype, metadata) {
            (None, Some(m)) => match metadata_for(m, &path) {
                Some(meta) => (source.or(meta.source), meta.sourcetype),
                None => (source, None),
            },
            (st, _) => (source, st),
        };
        let kind = if is_windows(sourcetype.as_deref()) {
            Kind::Windows(channel(source.as_deref(), sourcetype.as_deref()))
        } else {
            Kind::Json
        };
        plan.files.push(PlannedFile {
            path,
            keys: acc.keys,
            real_size: acc.size,
            // Every real file, however small, gets a target of at least one byte.
            target: ((acc.size as f64 * scale).round() as u64).max(acc.size.min(1)),
            source,
            sourcetype,
            uses: acc.uses.into_keys().collect(),
            kind,
            detections: acc.detections.len(),
        });
    }
    Ok(plan)
}

/// The output path of a planned file.
pub fn out_path(out: &Path, f: &PlannedFile) -> PathBuf {
    f.path.split('/').fold(out.to_path_buf(), |p, s| p.join(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_as_firedrill_spells_them() {
        assert_eq!(
            lock_key(&format!("{UPSTREAM_PREFIX}/datasets//malware/x.log")).as_deref(),
            Some("datasets//malware/x.log")
        );
        assert_eq!(
            normalise("datasets//malware/x.log"),
            "datasets/malware/x.log"
        );
        assert_eq!(
            lock_key("https://raw.githubusercontent.com/a/b.txt?x=1").as_deref(),
            Some("external/raw.githubusercontent.com/a/b.txt")
        );
        assert_eq!(lock_key("local/file.log"), None);
    }

    #[test]
    fn channels_from_sources() {
        let ch = |s: &str, st: &str| channel(Some(s), Some(st));
        assert_eq!(
            ch(
                "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational",
                "xmlwineventlog"
            )
            .as_deref(),
            Some("microsoft-windows-sysmon/operational")
        );
        assert_eq!(
            ch("WinEventLog:Security", "WinEventLog").as_deref(),
            Some("security")
        );
        assert_eq!(ch("XmlWinEventLog", "XmlWinEventLog"), None);
        assert_eq!(
            ch("Syslog:Linux-Sysmon/Operational", "sysmon:linux").as_deref(),
            Some("microsoft-windows-sysmon/operational")
        );
    }
}
