//! Which files a directory of Splunk apps holds, and how they layer: a directory is
//! one app (it has `default/` or `local/`) or a directory of apps (a copy of
//! `etc/apps/`). As in Splunk's global context, every app's `local/` outranks every
//! app's `default/`, and among apps the one whose name sorts first (ASCII) wins.
//! Apps of the same name under two `--addons` directories keep the order given.

use crate::conf::{self, Stanza};
use crate::error::{AddonError, ErrorKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A setting's value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    /// The value.
    pub value: String,
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
}

/// One stanza after layering: each key's winning value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merged {
    /// Key to its value, in key order.
    pub settings: BTreeMap<String, Placed>,
    /// The header's place in the file that wins for the stanza (the highest layer
    /// that has it).
    pub file: PathBuf,
    /// 1-based line of that header.
    pub line: usize,
}

/// A data model definition file (`data/models/<Model>.json`): the highest layer's
/// replaces the others whole, as in Splunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelFile {
    /// Where it was read.
    pub file: PathBuf,
    /// Its text.
    pub text: String,
}

/// The layered configuration of a set of apps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layered {
    /// `props.conf` stanzas by name.
    pub props: BTreeMap<String, Merged>,
    /// `transforms.conf` stanzas by name.
    pub transforms: BTreeMap<String, Merged>,
    /// `eventtypes.conf` stanzas by name.
    pub eventtypes: BTreeMap<String, Merged>,
    /// `tags.conf` stanzas by name (`eventtype=x`, `field=value`).
    pub tags: BTreeMap<String, Merged>,
    /// Data model definitions by model name (the file's stem).
    pub models: BTreeMap<String, ModelFile>,
    /// The files read, highest precedence first.
    pub files: Vec<PathBuf>,
}

/// The apps in `dir`, sorted by name: `dir` itself when it is one.
pub fn apps(dir: &Path) -> Result<Vec<(String, PathBuf)>, AddonError> {
    let io = |m: String| AddonError::new(ErrorKind::Io, dir, 0, m);
    let is_app = |d: &Path| d.join("default").is_dir() || d.join("local").is_dir();
    if !dir.is_dir() {
        return Err(io("not a directory".into()));
    }
    if is_app(dir) {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(vec![(name, dir.to_path_buf())]);
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io(e.to_string()))? {
        let entry = entry.map_err(|e| io(e.to_string()))?;
        let path = entry.path();
        if path.is_dir() && is_app(&path) {
            out.push((entry.file_name().to_string_lossy().into_owned(), path));
        }
    }
    if out.is_empty() {
        return Err(io(
            "no Splunk app here: neither a `default/` or `local/` directory, nor apps that have one"
                .into(),
        ));
    }
    out.sort();
    Ok(out)
}

/// Reads and layers the apps under `dirs` (given order breaks ties between apps of
/// the same name) over `builtin` files: (path as shown, text), lowest first.
pub fn layer(builtin: &[(&str, &str)], dirs: &[PathBuf]) -> Result<Layered, AddonError> {
    let mut all = Vec::new();
    for (i, d) in dirs.iter().enumerate() {
        for (name, path) in apps(d)? {
            all.push((name, i, path));
        }
    }
    all.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    // Highest precedence first: every local/, then every default/.
    let mut files = Vec::new();
    for sub in ["local", "default"] {
        for (_, _, app) in &all {
            files.push(app.join(sub));
        }
    }
    let mut out = Layered::default();
    for (path, text) in builtin {
        let path = Path::new(path);
        if path.extension().is_some_and(|e| e == "json") {
            out.add_model(path, text.to_string());
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Some(into) = out.conf(name) else {
            continue;
        };
        merge(into, path, conf::parse(path, text)?);
        out.files.insert(0, path.to_path_buf());
    }
    // Applied lowest first, so a higher layer overwrites.
    for dir in files.iter().rev() {
        for name in CONF_FILES {
            let path = dir.join(name);
            if !path.is_file() {
                continue;
            }
            let stanzas = conf::read(&path)?;
            if let Some(into) = out.conf(name) {
                merge(into, &path, stanzas);
            }
            out.files.insert(0, path);
        }
        for path in model_files(&dir.join("data/models"))? {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| AddonError::new(ErrorKind::Io, &path, 0, e.to_string()))?;
            out.add_model(&path, text);
        }
    }
    Ok(out)
}

/// The `.conf` files firedrill reads from each layer.
const CONF_FILES: [&str; 4] = [
    "props.conf",
    "transforms.conf",
    "eventtypes.conf",
    "tags.conf",
];

impl Layered {
    fn conf(&mut self, name: &str) -> Option<&mut BTreeMap<String, Merged>> {
        Some(match name {
            "props.conf" => &mut self.props,
            "transforms.conf" => &mut self.transforms,
            "eventtypes.conf" => &mut self.eventtypes,
            "tags.conf" => &mut self.tags,
            _ => return None,
        })
    }

    fn add_model(&mut self, path: &Path, text: String) {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.models.insert(
            stem,
            ModelFile {
                file: path.to_path_buf(),
                text,
            },
        );
        self.files.insert(0, path.to_path_buf());
    }
}

/// The `*.json` files of a layer's `data/models/`, sorted.
fn model_files(dir: &Path) -> Result<Vec<PathBuf>, AddonError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let io = |e: std::io::Error| AddonError::new(ErrorKind::Io, dir, 0, e.to_string());
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn merge(into: &mut BTreeMap<String, Merged>, file: &Path, stanzas: Vec<Stanza>) {
    for s in stanzas {
        if s.line == 0 && s.settings.is_empty() {
            continue;
        }
        let m = into.entry(s.name).or_default();
        m.file = file.to_path_buf();
        m.line = s.line;
        for set in s.settings {
            m.settings.insert(
                set.key,
                Placed {
                    value: set.value,
                    file: file.to_path_buf(),
                    line: set.line,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn local_beats_default_and_a_beats_b() {
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            "B/default/props.conf",
            "[st]\nEVAL-x = \"B default\"\nEVAL-y = \"B\"\n",
        );
        write(
            t.path(),
            "A/default/props.conf",
            "[st]\nEVAL-x = \"A default\"\n",
        );
        write(
            t.path(),
            "B/local/props.conf",
            "[st]\nEVAL-x = \"B local\"\n",
        );
        let l = layer(&[], &[t.path().to_path_buf()]).unwrap();
        let st = &l.props["st"].settings;
        assert_eq!(st["EVAL-x"].value, "\"B local\"");
        assert_eq!(st["EVAL-y"].value, "\"B\"");
        assert!(st["EVAL-x"].file.ends_with("B/local/props.conf"));
        assert_eq!(l.files.len(), 3);
        assert!(l.files[0].ends_with("B/local/props.conf"), "{:?}", l.files);
    }

    #[test]
    fn one_app_or_a_directory_of_apps() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "TA-x/default/props.conf", "[st]\nEVAL-x = 1\n");
        assert_eq!(apps(&t.path().join("TA-x")).unwrap().len(), 1);
        assert_eq!(apps(t.path()).unwrap()[0].0, "TA-x");
        let empty = tempfile::tempdir().unwrap();
        let e = apps(empty.path()).unwrap_err();
        assert!(e.message.contains("no Splunk app"), "{e}");
    }
}
