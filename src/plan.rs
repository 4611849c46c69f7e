//! From paths on the command line to detections ready to run: loads content, resolves
//! risk objects, expands macros and parses each search once.

use firedrill_content::{
    expand_macros, load_content, load_detection_file, Content, Detection, LoadError, MacroError,
    MacroSet, SearchLanguage,
};
use firedrill_spl::ast::Pipeline;
use firedrill_spl::{check_supported, parse, spl2};
use std::path::{Path, PathBuf};

/// A detection with its search prepared.
pub struct Planned {
    /// The detection as loaded (risk objects resolved).
    pub detection: Detection,
    /// The search after macro expansion (what spans point into).
    pub expanded: String,
    /// The parsed search, or why it could not be prepared.
    pub pipeline: Result<Pipeline, Prepared>,
    /// How the risk objects were decided, for the report.
    pub risk_rule: String,
}

/// Why a search cannot run, and whether that is an error or a skip.
#[derive(Clone, Debug)]
pub enum Prepared {
    /// Macro expansion or parsing failed.
    Error(String),
    /// The search uses something firedrill does not support.
    Unsupported(String),
}

/// Everything loaded from the command line's paths.
pub struct Loaded {
    /// Detections to run, in a stable order.
    pub detections: Vec<Detection>,
    /// Macros from every content tree involved.
    pub macros: MacroSet,
    /// The content used to resolve risk objects of detection pages.
    pub content: Vec<Content>,
    /// Files that could not be loaded.
    pub errors: Vec<LoadError>,
}

/// The nearest ancestor of `path` (or itself) that holds a `macros/` folder.
pub fn content_root(path: &Path) -> Option<PathBuf> {
    let start = if path.is_dir() { path } else { path.parent()? };
    start
        .ancestors()
        .take(6)
        .find(|p| p.join("macros").is_dir())
        .map(Path::to_path_buf)
}

/// Loads the detections named by `paths`, with macros and lookups from `content` or
/// from the content tree each path lives in.
pub fn load(paths: &[PathBuf], content: Option<&Path>) -> Result<Loaded, String> {
    let mut loaded = Loaded {
        detections: Vec::new(),
        macros: MacroSet::default(),
        content: Vec::new(),
        errors: Vec::new(),
    };
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Some(c) = content {
        if !c.exists() {
            return Err(format!("--content {}: no such directory", c.display()));
        }
        roots.push(c.to_path_buf());
    }
    for p in paths {
        if !p.exists() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
        if p.is_dir() {
            let c = load_content(p);
            loaded.errors.extend(c.errors.iter().cloned());
            loaded.detections.extend(c.detections.iter().cloned());
            add_macros(&mut loaded.macros, &c);
            loaded.content.push(c);
        } else {
            match load_detection_file(p) {
                Ok(ds) => loaded.detections.extend(ds),
                Err(e) => loaded.errors.push(e),
            }
            if content.is_none() {
                if let Some(root) = content_root(p) {
                    if !roots.contains(&root) {
                        roots.push(root);
                    }
                }
            }
        }
    }
    for root in roots {
        let c = load_content(&root);
        add_macros(&mut loaded.macros, &c);
        loaded.content.push(c);
    }
    if paths.is_empty() {
        if let Some(c) = loaded.content.first() {
            loaded.detections = c.detections.clone();
            loaded.errors.extend(c.errors.iter().cloned());
        }
    }
    loaded
        .detections
        .sort_by(|a, b| a.name.cmp(&b.name).then(a.file.cmp(&b.file)));
    loaded
        .detections
        .dedup_by(|a, b| a.name == b.name && a.file == b.file);
    Ok(loaded)
}

fn add_macros(set: &mut MacroSet, c: &Content) {
    for m in c.macros.iter() {
        set.insert(m.clone());
    }
}

/// Resolves risk objects and prepares the search of every detection.
pub fn plan(loaded: &Loaded) -> Vec<Planned> {
    loaded
        .detections
        .iter()
        .map(|d| {
            let mut d = d.clone();
            let content = loaded.content.first();
            d.resolve_risk(content);
            let risk_rule = d.risk.origin.describe();
            let (expanded, pipeline) = prepare(&d, &loaded.macros);
            Planned {
                detection: d,
                expanded,
                pipeline,
                risk_rule,
            }
        })
        .collect()
}

/// Expands macros and parses the search; checks it uses only supported features.
pub fn prepare(d: &Detection, macros: &MacroSet) -> (String, Result<Pipeline, Prepared>) {
    if d.language == SearchLanguage::Spl2Ssa || spl2::is_spl2(&d.search) {
        let text = d.search.clone();
        let p = spl2::parse_spl2(&text).map_err(|e| Prepared::Error(e.render()));
        let p = p.and_then(|p| match check_supported(&p) {
            Ok(()) => Ok(p),
            Err(u) => Err(Prepared::Unsupported(u.render(&text))),
        });
        return (text, p);
    }
    let expanded = match expand_macros(&d.search, macros) {
        Ok(e) => e.text,
        // A macro the content does not define (Enterprise Security ships several) is
        // something firedrill cannot run, not a broken search.
        Err(e @ MacroError::Undefined { .. }) => {
            return (d.search.clone(), Err(Prepared::Unsupported(e.to_string())))
        }
        Err(e) => {
            return (
                d.search.clone(),
                Err(Prepared::Error(format!("macro expansion failed: {e}"))),
            )
        }
    };
    let p = match parse(&expanded) {
        Ok(p) => p,
        Err(e) => {
            return (
                expanded.clone(),
                Err(Prepared::Error(format!(
                    "search does not parse: {}",
                    e.render()
                ))),
            )
        }
    };
    let p = match check_supported(&p) {
        Ok(()) => Ok(p),
        Err(u) => Err(Prepared::Unsupported(u.render(&expanded))),
    };
    (expanded, p)
}
