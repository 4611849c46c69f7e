//! From paths on the command line to detections ready to run: loads content, selects
//! what to test (contentctl's rule unless flags widen it), resolves risk objects,
//! expands macros and parses each search once.

use crate::verdict::PassRule;
use firedrill_content::{
    expand_macros, load_content, load_detection_file, Content, Detection, LoadError, MacroError,
    MacroSet, SearchLanguage, Selection, SelectionOptions,
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
    /// Whether the detection is tested, and why not.
    pub selection: Selection,
    /// The pass rule its tests are judged by.
    pub pass_rule: PassRule,
    /// Standard macros taken from firedrill's built-in definitions because no content
    /// tree defines them.
    pub macro_defaults: Vec<String>,
}

impl Planned {
    /// True when the detection is deprecated: it never fails a run.
    pub fn deprecated(&self) -> bool {
        self.detection.effective_status() == "deprecated"
    }
}

/// Why a search cannot run, and whether that is an error or a skip.
#[derive(Clone, Debug)]
pub enum Prepared {
    /// Macro expansion or parsing failed.
    Error(String),
    /// The search uses something firedrill does not support.
    Unsupported(String),
    /// The detection is not selected for testing (the reason); its search is not
    /// even parsed.
    NotSelected(String),
}

/// How to plan a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct PlanOptions {
    /// What to include beyond contentctl's selection.
    pub selection: SelectionOptions,
    /// Leave detections that are not selected unprepared ([`Prepared::NotSelected`]).
    pub skip_unselected: bool,
    /// The pass rule.
    pub pass_rule: PassRule,
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
    // Detections named one by one raise risk as their content tree's deployments say.
    if let Some(c) = loaded.content.first() {
        for d in &mut loaded.detections {
            d.apply_deployments(&c.deployments);
        }
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

/// Resolves risk objects and prepares the search of every detection (selection is
/// computed and reported, but every search is prepared: coverage and explain).
pub fn plan(loaded: &Loaded) -> Vec<Planned> {
    plan_with(loaded, &PlanOptions::default())
}

/// Like [`plan`], with the run's selection flags and pass rule.
pub fn plan_with(loaded: &Loaded, options: &PlanOptions) -> Vec<Planned> {
    loaded
        .detections
        .iter()
        .map(|d| {
            let mut d = d.clone();
            let content = loaded.content.first();
            d.resolve_risk(content);
            let risk_rule = describe_risk(&d);
            let selection = d.selection(&options.selection);
            let (expanded, pipeline, macro_defaults) =
                if options.skip_unselected && !selection.selected {
                    let why = selection.reason.clone().unwrap_or_default();
                    (
                        d.search.clone(),
                        Err(Prepared::NotSelected(why)),
                        Vec::new(),
                    )
                } else {
                    prepare_reporting_defaults(&d, &loaded.macros)
                };
            Planned {
                detection: d,
                expanded,
                pipeline,
                risk_rule,
                selection,
                pass_rule: options.pass_rule,
                macro_defaults,
            }
        })
        .collect()
}

/// How the risk objects were decided, and by whose rules, for the report.
fn describe_risk(d: &Detection) -> String {
    let r = &d.risk;
    let base = match r.builder {
        firedrill_content::Builder::Page => r.origin.describe(),
        b => format!("{}; {}", r.origin.describe(), b.describe()),
    };
    if r.action {
        base
    } else {
        format!("{base}; the build writes no risk action, so no risk events")
    }
}

/// Expands macros and parses the search; checks it uses only supported features.
pub fn prepare(d: &Detection, macros: &MacroSet) -> (String, Result<Pipeline, Prepared>) {
    let (text, p, _) = prepare_reporting_defaults(d, macros);
    (text, p)
}

/// [`prepare`], also returning the standard macros taken from the built-in defaults.
pub fn prepare_reporting_defaults(
    d: &Detection,
    macros: &MacroSet,
) -> (String, Result<Pipeline, Prepared>, Vec<String>) {
    if d.language == SearchLanguage::Spl2Ssa || spl2::is_spl2(&d.search) {
        let text = d.search.clone();
        let p = spl2::parse_spl2(&text).map_err(|e| Prepared::Error(e.render()));
        let p = p.and_then(|p| match check_supported(&p) {
            Ok(()) => Ok(p),
            Err(u) => Err(Prepared::Unsupported(u.render(&text))),
        });
        return (text, p, Vec::new());
    }
    let (text, p, builtin) = prepare_spl(d, macros);
    (text, p, builtin)
}

type PreparedSpl = (String, Result<Pipeline, Prepared>, Vec<String>);

fn prepare_spl(d: &Detection, macros: &MacroSet) -> PreparedSpl {
    let (expanded, builtin) = match expand_macros(&d.search, macros) {
        Ok(e) => (e.text, e.builtin),
        // A macro the content does not define (Enterprise Security ships several) is
        // something firedrill cannot run, not a broken search.
        Err(e @ MacroError::Undefined { .. }) => {
            return (
                d.search.clone(),
                Err(Prepared::Unsupported(e.to_string())),
                Vec::new(),
            )
        }
        Err(e) => {
            return (
                d.search.clone(),
                Err(Prepared::Error(format!("macro expansion failed: {e}"))),
                Vec::new(),
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
                builtin,
            )
        }
    };
    let p = match check_supported(&p) {
        Ok(()) => Ok(p),
        Err(u) => Err(Prepared::Unsupported(u.render(&expanded))),
    };
    (expanded, p, builtin)
}
