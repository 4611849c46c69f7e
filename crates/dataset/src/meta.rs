//! attack_data's metadata YAML: each dataset folder holds `<folder>.yml` listing its
//! files with their `source` and `sourcetype`.

use crate::Fetcher;
use serde::Deserialize;
use std::path::Path;

/// What the metadata says about one dataset file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct DatasetMeta {
    /// Dataset name.
    #[serde(default)]
    pub name: Option<String>,
    /// Splunk source.
    #[serde(default)]
    pub source: Option<String>,
    /// Splunk sourcetype.
    #[serde(default)]
    pub sourcetype: Option<String>,
    /// Path in the repository (`/datasets/...`).
    #[serde(default)]
    pub path: Option<String>,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    datasets: Vec<DatasetMeta>,
}

/// The largest metadata YAML read.
pub(crate) const MAX_META: u64 = 1 << 20;

/// The metadata entry for the dataset at `rel` (relative to the data directory).
pub fn find(f: &Fetcher, rel: &Path) -> Option<DatasetMeta> {
    let dir = rel.parent()?;
    let folder = dir.file_name()?.to_string_lossy().into_owned();
    let yml = dir.join(format!("{folder}.yml"));
    let path = f.side_file(&yml)?;
    // attack_data's metadata files are a few kilobytes; a larger one is not one.
    if std::fs::metadata(&path).ok()?.len() > MAX_META {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let parsed: File = serde_yaml_ng::from_str(&text).ok()?;
    let want = format!("/{}", rel.to_string_lossy().replace('\\', "/"));
    parsed.datasets.into_iter().find(|d| {
        d.path
            .as_deref()
            .map(|p| format!("/{}", p.trim_start_matches('/')))
            == Some(want.clone())
    })
}
