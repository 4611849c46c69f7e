//! From paths on the command line to detections ready to run: loads content, selects
//! what to test (contentctl's rule unless flags widen it), resolves risk objects,
//! expands macros, parses and compiles each search once.

use crate::verdict::PassRule;
use firedrill_content::{
    expand_macros, load_content, load_detection_file, load_support, Content, Detection, LoadError,
    MacroError, MacroSet, SearchLanguage, Selection, SelectionOptions,
};
use firedrill_spl::ast::Pipeline;
use firedrill_spl::{compile, parse, spl2, CompileError, Env, FieldSet, Program};
use std::path::{Path, PathBuf};

/// A detection with its search prepared.
#[derive(Clone)]
pub struct Planned {
    /// The detection as loaded (risk objects resolved).
    pub detection: Detection,
    /// The search after macro expansion (what spans point into).
    pub expanded: String,
    /// The parsed search, when it parses.
    pub pipeline: Option<Pipeline>,
    /// The compiled search, or why it could not be prepared.
    pub program: Result<Program, Prepared>,
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
    /// even compiled.
    NotSelected(String),
}

/// How to plan a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct PlanOptions {
    /// What to include beyond contentctl's selection.
    pub selection: SelectionOptions,
    /// Leave detections that are not selected uncompiled ([`Prepared::NotSelected`]).
    pub skip_unselected: bool,
    /// The pass rule.
    pub pass_rule: PassRule,
    /// Keep every field of the results (`--show-results`), not only what the verdict
    /// reads (observables, message fields).
    pub keep_fields: bool,
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
    // A tree's detections are read only when they are run (no paths) or a page's
    // risk objects are looked up among them; otherwise its macros, lookups and
    // deployments are all the named detections need.
    let whole = paths.is_empty()
        || loaded
            .detections
            .iter()
            .any(|d| d.schema == firedrill_content::Schema::DocPage);
    for root in roots {
        let c = if whole {
            load_content(&root)
        } else {
            load_support(&root)
        };
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

/// Resolves risk objects and compiles the search of every detection (lookups from
/// `env`); selection is computed and reported, but every search is compiled (coverage
/// and explain).
pub fn plan(loaded: &Loaded, env: &dyn Env) -> Vec<Planned> {
    plan_with(loaded, env, &PlanOptions::default())
}

/// Like [`plan`], with the run's selection flags and pass rule.
pub fn plan_with(loaded: &Loaded, env: &dyn Env, options: &PlanOptions) -> Vec<Planned> {
    use rayon::prelude::*;
    loaded
        .detections
        .par_iter()
        .map(|d| {
            let mut d = d.clone();
            let content = loaded.content.first();
            d.resolve_risk(content);
            let risk_rule = describe_risk(&d);
            let selection = d.selection(&options.selection);
            let (expanded, pipeline, program, macro_defaults) =
                if options.skip_unselected && !selection.selected {
                    let why = selection.reason.clone().unwrap_or_default();
                    (
                        d.search.clone(),
                        None,
                        Err(Prepared::NotSelected(why)),
                        Vec::new(),
                    )
                } else {
                    // A bug met while compiling one search is that detection's error.
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        prepare(&d, &loaded.macros, env, options.keep_fields)
                    }))
                    .unwrap_or_else(|_| {
                        (
                            d.search.clone(),
                            None,
                            Err(Prepared::Error(
                                "internal error in firedrill while compiling this search (please report it)"
                                    .into(),
                            )),
                            Vec::new(),
                        )
                    })
                };
            Planned {
                detection: d,
                expanded,
                pipeline,
                program,
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

/// What [`prepare`] makes of a detection: the expanded text, the parsed search, the
/// compiled one (or why not), and the standard macros taken from built-in defaults.
pub type Prepared4 = (
    String,
    Option<Pipeline>,
    Result<Program, Prepared>,
    Vec<String>,
);

/// Expands macros, parses and compiles the search: compiling is the support check.
/// With `keep_fields` the results keep every field (else only what the verdict reads).
pub fn prepare(d: &Detection, macros: &MacroSet, env: &dyn Env, keep_fields: bool) -> Prepared4 {
    let spl2 = d.language == SearchLanguage::Spl2Ssa || spl2::is_spl2(&d.search);
    let mut builtin = Vec::new();
    let expanded = if spl2 {
        d.search.clone()
    } else {
        match expand_macros(&d.search, macros) {
            Ok(e) => {
                builtin = e.builtin;
                e.text
            }
            // A macro the content does not define (Enterprise Security ships several)
            // is something firedrill cannot run, not a broken search.
            Err(e @ MacroError::Undefined { .. }) => {
                return (
                    d.search.clone(),
                    None,
                    Err(Prepared::Unsupported(e.to_string())),
                    Vec::new(),
                )
            }
            Err(e) => {
                return (
                    d.search.clone(),
                    None,
                    Err(Prepared::Error(format!("macro expansion failed: {e}"))),
                    Vec::new(),
                )
            }
        }
    };
    let parsed = if spl2 {
        spl2::parse_spl2(&expanded).map_err(|e| Prepared::Error(e.render()))
    } else {
        parse(&expanded)
            .map_err(|e| Prepared::Error(format!("search does not parse: {}", e.render())))
    };
    let pipeline = match parsed {
        Ok(p) => p,
        Err(e) => return (expanded, None, Err(e), builtin),
    };
    let program = match compile(&pipeline, env) {
        Ok(mut program) => {
            if !spl2 && !keep_fields {
                program.restrict_output(&output_fields(d));
            }
            Ok(program)
        }
        Err(e @ CompileError::Unsupported(_)) => Err(Prepared::Unsupported(
            e.render(&expanded)
                .trim_start_matches("unsupported: ")
                .to_string(),
        )),
        Err(e) => Err(Prepared::Error(format!(
            "search is invalid: {}",
            e.render(&expanded)
        ))),
    };
    (expanded, Some(pipeline), program, builtin)
}

/// What the verdict and the risk events read of a detection's results: its risk and
/// threat objects and the fields its messages name (with every dotted prefix, for
/// SPL2 maps).
pub fn output_fields(d: &Detection) -> FieldSet {
    let mut names: Vec<String> = Vec::new();
    names.extend(d.risk.objects.iter().map(|o| o.field.clone()));
    names.extend(d.risk.threat_objects.iter().map(|o| o.field.clone()));
    names.extend(d.risk.test_fields.risk.iter().cloned());
    names.extend(d.risk.test_fields.threat.iter().cloned());
    for m in d
        .risk
        .message
        .iter()
        .chain(d.risk.objects.iter().filter_map(|o| o.message.as_ref()))
    {
        names.extend(crate::rba::placeholders(m));
    }
    let mut set = FieldSet::none();
    for n in &names {
        let mut cut = n.len();
        set.add(n);
        while let Some(dot) = n[..cut].rfind('.') {
            set.add(&n[..dot]);
            cut = dot;
        }
    }
    set
}
