//! Loading content from disk: single files, or a whole content tree (a
//! security_content checkout, its `detections/` folder, or any folder of detections)
//! with its `macros/` and `lookups/`. A file that cannot be read becomes a
//! [`LoadError`] naming it (and the line, for YAML); the rest still load.

use crate::builders::Deployments;
use crate::macros::{Macro, MacroSet};
use crate::{page, yaml, Detection, LookupDef, LookupKind};
use serde_yaml_ng::Value as Y;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A file that could not be loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadError {
    /// The file.
    pub file: PathBuf,
    /// The line, when known.
    pub line: Option<usize>,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Everything loaded from a content tree.
#[derive(Clone, Debug, Default)]
pub struct Content {
    /// The tree's root (the folder holding `detections/`, `macros/`, `lookups/`).
    pub root: PathBuf,
    /// Detections, in file order.
    pub detections: Vec<Detection>,
    /// Macros from `macros/`.
    pub macros: MacroSet,
    /// Lookup definitions from `lookups/`, by name.
    pub lookups: BTreeMap<String, LookupDef>,
    /// Which detection types raise risk, from `deployments/` (security_content's
    /// defaults when the tree has none).
    pub deployments: Deployments,
    /// Files that could not be loaded.
    pub errors: Vec<LoadError>,
}

/// A text file's content, without a leading UTF-8 byte order mark (editors on Windows
/// write one; YAML and Markdown readers would take it for content).
pub fn read_text(path: &Path) -> std::io::Result<String> {
    let text = std::fs::read_to_string(path)?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

fn read_yaml(path: &Path) -> Result<Y, LoadError> {
    let text = read_text(path).map_err(|e| LoadError {
        file: path.to_path_buf(),
        line: None,
        message: e.to_string(),
    })?;
    crate::read_yaml::parse(&text).map_err(|e| LoadError {
        file: path.to_path_buf(),
        line: e.location().map(|l| l.line()),
        message: format!("not valid YAML: {e}"),
    })
}

/// A detection with a key of the wrong type, located at the first line that sets
/// that key.
fn shape_error(path: &Path, key: &str, message: String) -> LoadError {
    let set = format!("{key}:");
    let line = read_text(path).ok().and_then(|text| {
        text.lines()
            .position(|l| {
                let l = l.trim_start().trim_start_matches("- ");
                l.starts_with(&set)
            })
            .map(|i| i + 1)
    });
    LoadError {
        file: path.to_path_buf(),
        line,
        message,
    }
}

/// True for files in a `detections` directory, where every YAML file is a detection.
fn in_detections(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "detections")
}

fn is_test_file(path: &Path) -> bool {
    path.to_string_lossy().ends_with(".test.yml") || path.to_string_lossy().ends_with(".test.yaml")
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml")
    )
}

fn is_page(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("md" | "markdown" | "txt")
    )
}

/// Loads one file: a detection YAML, or a detection page. A `*.test.yml` file alone
/// holds no detection and yields none.
pub fn load_detection_file(path: &Path) -> Result<Vec<Detection>, LoadError> {
    let err = |message: String| LoadError {
        file: path.to_path_buf(),
        line: None,
        message,
    };
    if is_page(path) {
        let text = read_text(path).map_err(|e| err(e.to_string()))?;
        return match page::parse(&text, path) {
            Some(d) => Ok(vec![d]),
            None => Err(err(
                "not a detection page: no `#### Search` code block".into()
            )),
        };
    }
    if !is_yaml(path) {
        return Err(err(
            "not a detection file (expected .yml, .yaml, .md or .txt)".into(),
        ));
    }
    if is_test_file(path) {
        return Ok(Vec::new());
    }
    let doc = read_yaml(path)?;
    if let Some((key, problem)) = crate::shape::problem(&doc) {
        return Err(shape_error(path, &key, problem));
    }
    if !yaml::is_detection(&doc) {
        return Err(err("not a detection: no `name` and `search`".into()));
    }
    Ok(vec![yaml::detection(&doc, path)])
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => return,
    };
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The content root for `path`: the folder itself when it holds `detections/`, the
/// parent of a `detections/` folder, otherwise the nearest ancestor with `macros/`.
fn root_of(path: &Path) -> (PathBuf, PathBuf) {
    if path.join("detections").is_dir() {
        return (path.to_path_buf(), path.join("detections"));
    }
    let root = path
        .ancestors()
        .take(6)
        .find(|p| p.join("macros").is_dir())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| path.to_path_buf());
    (root, path.to_path_buf())
}

/// What a content tree gives the detections named one by one: its macros, lookups
/// and deployments, without its detections (reading every detection of a tree to run
/// one would cost as much as running them all).
pub fn load_support(path: &Path) -> Content {
    let (root, _) = root_of(path);
    let mut c = Content {
        root: root.clone(),
        ..Content::default()
    };
    load_macros(&root.join("macros"), &mut c);
    load_lookups(&root.join("lookups"), &mut c);
    load_deployments(&root.join("deployments"), &mut c);
    c
}

/// Loads a content tree (see the module doc).
pub fn load_content(path: &Path) -> Content {
    let (root, scan) = root_of(path);
    let mut c = load_support(path);
    let mut files = Vec::new();
    walk(&scan, &mut files);
    // 2021-era trees keep `*.test.yml` files in `tests/` beside `detections/`.
    if scan == root.join("detections") {
        let mut tests = Vec::new();
        walk(&root.join("tests"), &mut tests);
        files.extend(tests.into_iter().filter(|f| is_test_file(f)));
    }
    // Parsing YAML is most of loading a content tree: every file in parallel, then
    // gathered in file order.
    use rayon::prelude::*;
    enum Loaded {
        Test(PathBuf, Vec<(String, crate::Test)>),
        Detection(Box<crate::Detection>),
        Error(LoadError),
        Nothing,
    }
    let loaded: Vec<Loaded> = files
        .par_iter()
        .map(|f| {
            if is_test_file(f) {
                match read_yaml(f) {
                    Ok(doc) => Loaded::Test(f.clone(), yaml::test_file(&doc)),
                    Err(e) => Loaded::Error(e),
                }
            } else if is_yaml(f) {
                match read_yaml(f) {
                    Ok(doc) => {
                        let within = root.parent().unwrap_or(&root);
                        let problem = in_detections(f.strip_prefix(within).unwrap_or(f))
                            .then(|| crate::shape::problem(&doc))
                            .flatten();
                        match problem {
                            Some((key, p)) => Loaded::Error(shape_error(f, &key, p)),
                            None if yaml::is_detection(&doc) => {
                                Loaded::Detection(Box::new(yaml::detection(&doc, f)))
                            }
                            None => Loaded::Nothing,
                        }
                    }
                    Err(e) => Loaded::Error(e),
                }
            } else if is_page(f) {
                match read_text(f) {
                    Ok(text) if page::looks_like_page(&text) => match page::parse(&text, f) {
                        Some(d) => Loaded::Detection(Box::new(d)),
                        None => Loaded::Error(LoadError {
                            file: f.clone(),
                            line: None,
                            message: "detection page without a search".into(),
                        }),
                    },
                    _ => Loaded::Nothing,
                }
            } else {
                Loaded::Nothing
            }
        })
        .collect();
    let mut tests: Vec<(PathBuf, Vec<(String, crate::Test)>)> = Vec::new();
    for l in loaded {
        match l {
            Loaded::Test(f, t) => tests.push((f, t)),
            Loaded::Detection(d) => c.detections.push(*d),
            Loaded::Error(e) => c.errors.push(e),
            Loaded::Nothing => {}
        }
    }
    attach_tests(&mut c, tests);
    let deployments = c.deployments.clone();
    for d in &mut c.detections {
        d.apply_deployments(&deployments);
    }
    c
}

/// Reads `deployments/*.yml` over security_content's defaults.
fn load_deployments(dir: &Path, c: &mut Content) {
    for (_, doc) in yaml_docs(dir, &mut c.errors) {
        c.deployments.add(&doc);
    }
}

/// Attaches the tests of `*.test.yml` files to the detection each names (`file:`,
/// relative to `detections/`), else to the detection file of the same stem beside the
/// test file. Tests replace a `tags.dataset` test; duplicates are dropped.
fn attach_tests(c: &mut Content, tests: Vec<(PathBuf, Vec<(String, crate::Test)>)>) {
    for (file, items) in tests {
        let beside = file.to_string_lossy().replace(".test.yml", ".yml");
        let beside = beside.replace(".test.yaml", ".yaml");
        for (target, test) in items {
            let target = target.trim_start_matches("./").to_string();
            let wanted = Path::new(&target);
            let found = c
                .detections
                .iter()
                .position(|d| d.file.ends_with(wanted))
                .or_else(|| {
                    c.detections
                        .iter()
                        .position(|d| d.file == Path::new(&beside))
                });
            match found.and_then(|i| c.detections.get_mut(i)) {
                Some(d) => {
                    if !d.tests.iter().any(|t| t.attack_data == test.attack_data) {
                        d.tests.retain(|t| t.name != "tags.dataset");
                        d.tests.push(test);
                    }
                }
                None => c.errors.push(LoadError {
                    file: file.clone(),
                    line: None,
                    message: format!(
                        "test names `{target}`, which is not in the content (nor is {})",
                        Path::new(&beside)
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    ),
                }),
            }
        }
    }
}

/// Every YAML document below `dir`, with its file, in file order (read in
/// parallel); unreadable ones become errors.
fn yaml_docs(dir: &Path, errors: &mut Vec<LoadError>) -> Vec<(PathBuf, Y)> {
    use rayon::prelude::*;
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.retain(|f| is_yaml(f));
    let read: Vec<Result<Y, LoadError>> = files.par_iter().map(|f| read_yaml(f)).collect();
    files
        .into_iter()
        .zip(read)
        .filter_map(|(f, r)| match r {
            Ok(d) => Some((f, d)),
            Err(e) => {
                errors.push(e);
                None
            }
        })
        .collect()
}

fn load_macros(dir: &Path, c: &mut Content) {
    for (f, doc) in yaml_docs(dir, &mut c.errors) {
        let get = |k: &str| doc.as_mapping().and_then(|m| m.get(k));
        let Some(name) = get("name").and_then(Y::as_str) else {
            continue;
        };
        let args: Vec<String> = match get("arguments") {
            Some(Y::Sequence(items)) => items
                .iter()
                .filter_map(|a| a.as_str().map(String::from))
                .collect(),
            _ => Vec::new(),
        };
        let name = match name.find('(') {
            Some(p) if name.ends_with(')') => name[..p].to_string(),
            _ => name.to_string(),
        };
        let definition = yaml::text(get("definition")).unwrap_or_default();
        c.macros.insert(Macro {
            name,
            args,
            definition,
            file: f,
        });
    }
}

fn load_lookups(dir: &Path, c: &mut Content) {
    for (f, doc) in yaml_docs(dir, &mut c.errors) {
        let s = |k: &str| yaml::text(doc.as_mapping().and_then(|m| m.get(k)));
        let Some(name) = s("name") else { continue };
        let filename = s("filename");
        let collection = s("collection");
        let kind = if collection.is_some() {
            LookupKind::KvStore
        } else if name.starts_with("__mlspl_")
            || filename.as_deref().is_some_and(|f| f.ends_with(".mlmodel"))
        {
            LookupKind::MlModel
        } else if filename.as_deref().is_some_and(|f| f.ends_with(".csv")) {
            LookupKind::Csv
        } else {
            LookupKind::Other
        };
        let boolean =
            |k: &str| s(k).map(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "t"));
        let number = |k: &str| s(k).and_then(|v| v.trim().parse::<u32>().ok());
        let def = LookupDef {
            name: name.clone(),
            filename,
            collection,
            kind,
            match_type: match_types(doc.as_mapping().and_then(|m| m.get("match_type"))),
            case_sensitive_match: boolean("case_sensitive_match"),
            min_matches: number("min_matches"),
            max_matches: number("max_matches"),
            default_match: s("default_match"),
            fields_list: s("fields_list"),
            file: f,
        };
        c.lookups.insert(name, def);
    }
}

/// `WILDCARD(a),WILDCARD(b)` (or a YAML list of them) as one entry per field.
fn match_types(v: Option<&Y>) -> Vec<String> {
    let items: Vec<String> = match v {
        Some(Y::Sequence(items)) => items.iter().filter_map(|i| yaml::text(Some(i))).collect(),
        other => yaml::text(other).into_iter().collect(),
    };
    let mut out = Vec::new();
    for item in items {
        let mut depth = 0i32;
        let mut cur = String::new();
        for ch in item.chars() {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth <= 0 => {
                    out.push(std::mem::take(&mut cur));
                    continue;
                }
                _ => {}
            }
            cur.push(ch);
        }
        out.push(cur);
    }
    out.into_iter()
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect()
}
