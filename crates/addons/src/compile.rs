//! Layered stanzas to compiled settings: every regular expression, transform and
//! calculated field compiled once; what cannot be applied listed as a [`Finding`]
//! with its file and line; what is broken an [`AddonError`].

use crate::error::{AddonError, ErrorKind};
use crate::extract::{self, Extractor, Names};
use crate::layer::{Layered, Merged, Placed};
use crate::settings::{self, Handling, Phase};
use firedrill_spl::exec::lookup::{LookupSpec, LookupTable};
use firedrill_spl::exec::re::Re;
use firedrill_spl::expr::CExpr;
use firedrill_value::FieldRef;
use regex::Regex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A setting firedrill does not apply, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// The stanza.
    pub stanza: String,
    /// The key (empty when the whole stanza is not applied).
    pub key: String,
    /// Why.
    pub why: String,
}

/// Which events a `props.conf` stanza is for.
#[derive(Clone, Debug)]
pub enum Target {
    /// `[default]`: every event, below everything else.
    Default,
    /// `[<sourcetype>]`, compared exactly (stanza names are case-sensitive).
    Sourcetype(String),
    /// `[(?::){0}<pattern>]`: sourcetypes matching a pattern, ranked as a sourcetype.
    SourcetypePattern(Regex),
    /// `[host::<glob>]`.
    Host(Regex),
    /// `[source::<glob>]`.
    Source(Regex),
}

impl Target {
    /// Splunk's precedence: source over host over sourcetype over default.
    pub fn rank(&self) -> u8 {
        match self {
            Target::Default => 0,
            Target::Sourcetype(_) | Target::SourcetypePattern(_) => 1,
            Target::Host(_) => 2,
            Target::Source(_) => 3,
        }
    }
}

/// A field alias: `src AS dst` (or `ASNEW`, which keeps an existing `dst`).
#[derive(Clone, Debug)]
pub struct Alias {
    /// The original field.
    pub src: FieldRef,
    /// The alias.
    pub dst: FieldRef,
    /// `ASNEW`.
    pub keep_existing: bool,
}

/// A compiled transform (what a `REPORT-` names).
#[derive(Debug)]
pub struct Transform {
    /// Its stanza name.
    pub name: String,
    /// The field it reads (`SOURCE_KEY`, `_raw` by default).
    pub source: FieldRef,
    /// The extraction.
    pub extractor: Extractor,
    /// `MV_ADD`: a field already extracted gains the new value instead of keeping
    /// the first.
    pub mv_add: bool,
    /// `CLEAN_KEYS` (true by default).
    pub clean_keys: bool,
    /// `KEEP_EMPTY_VALS` (false by default).
    pub keep_empty: bool,
}

/// A compiled automatic lookup.
#[derive(Debug)]
pub struct Lookup {
    /// The table, with its definition's matching rules.
    pub table: LookupTable,
    /// Which columns match which fields, and what is written.
    pub spec: LookupSpec,
    /// (column, event field) written.
    pub outputs: Vec<(usize, String)>,
    /// The written fields, resolved once.
    pub fields: Vec<FieldRef>,
}

/// What a compiled setting does.
#[derive(Clone, Debug)]
pub enum Action {
    /// `EXTRACT-`: the first match of a pattern in a field.
    Extract {
        /// The field read (`_raw`, or `<regex> in <field>`).
        source: FieldRef,
        /// The pattern and its names.
        extractor: Arc<Extractor>,
    },
    /// `REPORT-`: transforms, in the order listed.
    Report(Vec<Arc<Transform>>),
    /// `FIELDALIAS-`.
    Alias(Vec<Alias>),
    /// `EVAL-<field>`.
    Eval(FieldRef, CExpr),
    /// `rename`.
    Rename(String),
    /// `KV_MODE` or `INDEXED_EXTRACTIONS`: how the reader takes fields.
    Reader(firedrill_events::KvMode),
    /// `LOOKUP-`: a CSV lookup.
    Lookup(Arc<Lookup>),
    /// `TIME_FORMAT`: `_time` parsed from `_raw`, after `prefix`'s first match,
    /// within `lookahead` characters.
    Time {
        /// `TIME_PREFIX`.
        prefix: Option<Re>,
        /// `TIME_FORMAT`, a strptime format.
        format: String,
        /// `MAX_TIMESTAMP_LOOKAHEAD` (128 by default).
        lookahead: usize,
    },
}

/// One applied setting.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The key (`EXTRACT-user`); with the phase, the order settings run in.
    pub key: String,
    /// The phase.
    pub phase: Phase,
    /// What it does.
    pub action: Action,
    /// Where it was written.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
}

/// A compiled `props.conf` stanza.
#[derive(Clone, Debug)]
pub struct Stanza {
    /// Its name.
    pub name: String,
    /// The events it is for.
    pub target: Target,
    /// Its applied settings, by key.
    pub settings: Vec<Compiled>,
    /// The file whose header wins.
    pub file: PathBuf,
}

/// Everything compiled.
pub struct Output {
    /// The stanzas with something applied.
    pub stanzas: Vec<Stanza>,
    /// `rename`: sourcetype to the sourcetype its events take (whose settings then
    /// apply instead of its own).
    pub renames: BTreeMap<String, String>,
    /// What is not applied.
    pub findings: Vec<Finding>,
}

/// Compiles layered files.
pub fn compile(l: &Layered) -> Result<Output, AddonError> {
    let mut findings = Vec::new();
    let mut cache = Cache::default();
    let mut stanzas = Vec::new();
    let mut renames = BTreeMap::new();
    for (name, m) in &l.props {
        let target = target(name, m)?;
        let Some(target) = target else {
            findings.push(Finding {
                file: m.file.clone(),
                line: m.line,
                stanza: name.clone(),
                key: String::new(),
                why: "`rule::` and `delayedrule::` stanzas (source type classification) are index-time: not applied".into(),
            });
            continue;
        };
        let mut settings = Vec::new();
        for (key, p) in &m.settings {
            let why = match settings::handling(settings::PROPS, key) {
                Some(Handling::Applied(phase)) => {
                    let action = if phase == Phase::Time {
                        time(name, key, p, m, &mut findings)?
                    } else {
                        action(phase, name, key, p, l, &mut cache, &mut findings)?
                    };
                    if let Some(Action::Rename(to)) = action {
                        match &target {
                            Target::Sourcetype(st) => {
                                renames.insert(st.clone(), to);
                            }
                            _ => findings.push(Finding {
                                file: p.file.clone(),
                                line: p.line,
                                stanza: name.clone(),
                                key: key.clone(),
                                why: "rename applies in [<sourcetype>] stanzas only".into(),
                            }),
                        }
                        continue;
                    }
                    if let Some(action) = action {
                        settings.push(Compiled {
                            key: key.clone(),
                            phase,
                            action,
                            file: p.file.clone(),
                            line: p.line,
                        });
                    }
                    continue;
                }
                Some(Handling::Metadata) => continue,
                Some(Handling::NotApplied(why)) => why.to_string(),
                None => "not a props.conf setting firedrill knows".into(),
            };
            findings.push(Finding {
                file: p.file.clone(),
                line: p.line,
                stanza: name.clone(),
                key: key.clone(),
                why,
            });
        }
        if !settings.is_empty() {
            settings.sort_by(|a, b| (a.phase, &a.key).cmp(&(b.phase, &b.key)));
            stanzas.push(Stanza {
                name: name.clone(),
                target,
                settings,
                file: m.file.clone(),
            });
        }
    }
    Ok(Output {
        stanzas,
        renames,
        findings,
    })
}

fn target(name: &str, m: &Merged) -> Result<Option<Target>, AddonError> {
    let bad = |msg: String| AddonError::new(ErrorKind::Syntax, &m.file, m.line, msg);
    Ok(Some(if name == "default" {
        Target::Default
    } else if let Some(g) = name.strip_prefix("source::") {
        Target::Source(glob(g).map_err(bad)?)
    } else if let Some(g) = name.strip_prefix("host::") {
        Target::Host(glob(g).map_err(bad)?)
    } else if name.starts_with("rule::") || name.starts_with("delayedrule::") {
        return Ok(None);
    } else if let Some(g) = name.strip_prefix("(?::){0}") {
        // Splunk's way to write a sourcetype pattern: `[(?::){0}zeek:*]`.
        Target::SourcetypePattern(glob(g).map_err(bad)?)
    } else {
        Target::Sourcetype(name.to_string())
    }))
}

/// A `source::`/`host::` pattern: `...` matches anything, `*` anything but a path
/// separator, `(a|b)` either; `(?i)` at the start ignores case.
pub fn glob(pattern: &str) -> Result<Regex, String> {
    let (ci, p) = match pattern.strip_prefix("(?i)") {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let mut re = String::from(if ci { "(?is)^" } else { "(?s)^" });
    let mut rest = p;
    while let Some(c) = rest.chars().next() {
        if let Some(r) = rest.strip_prefix("...") {
            re.push_str(".*");
            rest = r;
            continue;
        }
        match c {
            '*' => re.push_str(r"[^/\\]*"),
            // Alternatives, as props.conf allows: `source::/var/log/(a|b).log`.
            '|' | '(' | ')' => re.push(c),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
        rest = &rest[c.len_utf8()..];
    }
    re.push('$');
    Regex::new(&re).map_err(|e| format!("stanza pattern {pattern:?}: {e}"))
}

/// What compiling shares between settings: each transform compiled once, each lookup
/// file read once.
#[derive(Default)]
struct Cache {
    transforms: BTreeMap<String, Arc<Transform>>,
    tables: std::collections::HashMap<PathBuf, LookupTable>,
}

fn action(
    phase: Phase,
    stanza: &str,
    key: &str,
    p: &Placed,
    l: &Layered,
    cache: &mut Cache,
    findings: &mut Vec<Finding>,
) -> Result<Option<Action>, AddonError> {
    let transforms = &mut cache.transforms;
    let err = |kind, msg: String| AddonError::new(kind, &p.file, p.line, format!("{key}: {msg}"));
    let suffix = || key.split_once('-').map(|x| x.1).unwrap_or_default();
    Ok(Some(match phase {
        Phase::Extract => {
            let (pattern, source) = split_in(&p.value);
            let re = Re::shared(pattern).map_err(|m| err(ErrorKind::Regex, m))?;
            let names = extract::group_names(&re);
            if matches!(&names, Names::Groups { fixed, pairs } if fixed.is_empty() && pairs.is_empty())
            {
                return Err(err(
                    ErrorKind::Regex,
                    "the pattern has no named group, so it extracts nothing".into(),
                ));
            }
            Action::Extract {
                source: FieldRef::new(source),
                extractor: Arc::new(Extractor::Regex {
                    re,
                    names,
                    repeat: false,
                }),
            }
        }
        Phase::Report => {
            let mut list = Vec::new();
            for name in p.value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                if let Some(t) = transforms.get(name) {
                    list.push(t.clone());
                    continue;
                }
                let Some(m) = l.transforms.get(name) else {
                    return Err(err(
                        ErrorKind::Reference,
                        format!("no transforms.conf stanza [{name}]"),
                    ));
                };
                // A transforms.conf `[default]` gives every transform its settings.
                let mut m = m.clone();
                if let Some(d) = l.transforms.get("default") {
                    for (k, v) in &d.settings {
                        m.settings.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                match transform(name, &m, findings)? {
                    Some(t) => {
                        let t = Arc::new(t);
                        transforms.insert(name.to_string(), t.clone());
                        list.push(t);
                    }
                    None => findings.push(Finding {
                        file: p.file.clone(),
                        line: p.line,
                        stanza: String::new(),
                        key: key.to_string(),
                        why: format!("transform [{name}] is not applied (see its own finding)"),
                    }),
                }
            }
            if list.is_empty() {
                return Ok(None);
            }
            Action::Report(list)
        }
        Phase::Alias => Action::Alias(aliases(&p.value).map_err(|m| err(ErrorKind::Value, m))?),
        Phase::Eval => {
            let field = suffix();
            let e = firedrill_spl::parse::parse_eval_expr(&p.value)
                .map_err(|e| err(ErrorKind::Eval, e.render()))?;
            match firedrill_spl::expr::compile(&e) {
                Ok(c) => Action::Eval(FieldRef::new(field), c),
                Err(u) => {
                    findings.push(Finding {
                        file: p.file.clone(),
                        line: p.line,
                        stanza: String::new(),
                        key: key.to_string(),
                        why: firedrill_spl::span::render_caret(&p.value, u.span, &u.what),
                    });
                    return Ok(None);
                }
            }
        }
        Phase::Time => unreachable!("TIME_* settings compile in `time`"),
        Phase::Lookup => match lookup(stanza, key, p, l, &mut cache.tables, findings)? {
            Some(x) => Action::Lookup(Arc::new(x)),
            None => return Ok(None),
        },
        Phase::Rename => {
            if p.value.is_empty() {
                return Err(err(ErrorKind::Value, "an empty sourcetype".into()));
            }
            Action::Rename(p.value.clone())
        }
        Phase::Reader => match reader_mode(key, &p.value) {
            Ok(Some(m)) => Action::Reader(m),
            Ok(None) => return Ok(None),
            Err(Ok(why)) => {
                findings.push(Finding {
                    file: p.file.clone(),
                    line: p.line,
                    stanza: stanza.to_string(),
                    key: key.to_string(),
                    why: why.to_string(),
                });
                return Ok(None);
            }
            Err(Err(m)) => return Err(err(ErrorKind::Value, m)),
        },
    }))
}

/// What a `KV_MODE` or `INDEXED_EXTRACTIONS` value asks of the reader: `Ok(None)` for
/// nothing (`KV_MODE = auto`, firedrill's default), `Err(Ok(why))` for a value firedrill
/// does not apply, `Err(Err(message))` for one Splunk does not take.
#[allow(clippy::type_complexity)]
fn reader_mode(
    key: &str,
    value: &str,
) -> Result<Option<firedrill_events::KvMode>, Result<&'static str, String>> {
    use firedrill_events::KvMode;
    let v = value.trim().to_ascii_lowercase();
    if key.eq_ignore_ascii_case("INDEXED_EXTRACTIONS") {
        return match v.as_str() {
            "json" => Ok(Some(KvMode::Json)),
            "csv" | "tsv" | "psv" | "w3c" | "hec" => {
                Err(Ok("only INDEXED_EXTRACTIONS = json is applied (firedrill has no reader for delimited files)"))
            }
            _ => Err(Err(format!(
                "INDEXED_EXTRACTIONS is csv, tsv, psv, w3c, json or hec, not `{value}`"
            ))),
        };
    }
    match v.as_str() {
        "auto" => Ok(None),
        "none" => Ok(Some(KvMode::None)),
        "json" => Ok(Some(KvMode::Json)),
        "xml" => Err(Ok(
            "KV_MODE = xml is not applied: firedrill reads XML fields from Windows event logs only",
        )),
        "auto_escaped" | "multi" => Err(Ok(
            "not applied: firedrill's automatic extraction is KV_MODE = auto",
        )),
        _ if v.starts_with("multi:") => Err(Ok(
            "not applied: firedrill's automatic extraction is KV_MODE = auto",
        )),
        _ => Err(Err(format!(
            "KV_MODE is none, auto, auto_escaped, multi, json or xml, not `{value}`"
        ))),
    }
}

/// `TIME_FORMAT` with the stanza's `TIME_PREFIX` and `MAX_TIMESTAMP_LOOKAHEAD` (which
/// compile into it); those two without a `TIME_FORMAT` are findings (firedrill does
/// not guess a timestamp's format).
fn time(
    stanza: &str,
    key: &str,
    p: &Placed,
    m: &Merged,
    findings: &mut Vec<Finding>,
) -> Result<Option<Action>, AddonError> {
    let get = |k: &str| {
        m.settings
            .iter()
            .find(|(x, _)| x.eq_ignore_ascii_case(k))
            .map(|x| x.1)
    };
    if !key.eq_ignore_ascii_case("TIME_FORMAT") {
        if get("TIME_FORMAT").is_none() {
            findings.push(Finding {
                file: p.file.clone(),
                line: p.line,
                stanza: stanza.to_string(),
                key: key.to_string(),
                why: "without a TIME_FORMAT: firedrill does not guess a timestamp's format".into(),
            });
        }
        return Ok(None);
    }
    let prefix = match get("TIME_PREFIX") {
        Some(t) => Some(Re::shared(&t.value).map_err(|msg| {
            AddonError::new(
                ErrorKind::Regex,
                &t.file,
                t.line,
                format!("TIME_PREFIX: {msg}"),
            )
        })?),
        None => None,
    };
    // Splunk: 0 or a negative number turns the limit off.
    let lookahead = match get("MAX_TIMESTAMP_LOOKAHEAD") {
        Some(t) => t
            .value
            .trim()
            .parse::<i64>()
            .map(|n| if n <= 0 { usize::MAX } else { n as usize })
            .map_err(|_| {
                AddonError::new(
                    ErrorKind::Value,
                    &t.file,
                    t.line,
                    format!(
                        "MAX_TIMESTAMP_LOOKAHEAD: `{}` is not a number of characters",
                        t.value
                    ),
                )
            })?,
        None => 128,
    };
    // A format firedrill cannot read is not applied (said so), rather than stopping
    // a run over an add-on that is otherwise fine.
    if let Err(m) = firedrill_spl::exec::time::check_format(&p.value) {
        findings.push(Finding {
            file: p.file.clone(),
            line: p.line,
            stanza: stanza.to_string(),
            key: key.to_string(),
            why: m,
        });
        return Ok(None);
    }
    Ok(Some(Action::Time {
        prefix,
        format: p.value.clone(),
        lookahead,
    }))
}

/// The largest lookup file read.
pub const MAX_LOOKUP_BYTES: u64 = 256 << 20;

/// `LOOKUP-<class> = <name> <column> [AS <field>]… [OUTPUT|OUTPUTNEW <column> [AS
/// <field>]…]` over the transforms.conf stanza `[<name>]`, whose `filename` is a CSV in
/// the `lookups/` directory of the app that defines it.
fn lookup(
    stanza: &str,
    key: &str,
    p: &Placed,
    l: &Layered,
    tables: &mut std::collections::HashMap<PathBuf, LookupTable>,
    findings: &mut Vec<Finding>,
) -> Result<Option<Lookup>, AddonError> {
    let err = |kind, msg: String| AddonError::new(kind, &p.file, p.line, format!("{key}: {msg}"));
    let not = |findings: &mut Vec<Finding>, why: String| {
        findings.push(Finding {
            file: p.file.clone(),
            line: p.line,
            stanza: stanza.to_string(),
            key: key.to_string(),
            why,
        });
        Ok(None)
    };
    // Fields may be separated by commas as well as spaces (`OUTPUT a,b,c`).
    let words: Vec<String> = extract::split_words(&p.value)
        .iter()
        .flat_map(|w| w.split(','))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let Some((name, rest)) = words.split_first() else {
        return Err(err(ErrorKind::Value, "no lookup named".into()));
    };
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    let mut output_new = None;
    let mut i = 0;
    while i < rest.len() {
        let w = &rest[i];
        if output_new.is_none()
            && (w.eq_ignore_ascii_case("OUTPUT") || w.eq_ignore_ascii_case("OUTPUTNEW"))
        {
            output_new = Some(w.eq_ignore_ascii_case("OUTPUTNEW"));
            i += 1;
            continue;
        }
        let (col, field) = match rest.get(i + 1) {
            Some(a) if a.eq_ignore_ascii_case("AS") => {
                let f = rest
                    .get(i + 2)
                    .ok_or_else(|| err(ErrorKind::Value, format!("`{w} AS` needs a field name")))?;
                i += 3;
                (w.clone(), f.clone())
            }
            _ => {
                i += 1;
                (w.clone(), w.clone())
            }
        };
        if output_new.is_some() {
            outputs.push((col, field));
        } else {
            inputs.push((col, field));
        }
    }
    if inputs.is_empty() {
        return Err(err(
            ErrorKind::Value,
            format!("lookup `{name}` names no field to match on"),
        ));
    }
    let Some(def) = l.transforms.get(name.as_str()) else {
        return Err(err(
            ErrorKind::Reference,
            format!("no transforms.conf stanza [{name}]"),
        ));
    };
    for (k, set) in &def.settings {
        if settings::handling(settings::TRANSFORMS, k).is_none() {
            findings.push(Finding {
                file: set.file.clone(),
                line: set.line,
                stanza: name.clone(),
                key: k.clone(),
                why: "not a lookup setting firedrill knows: the lookup runs without it".into(),
            });
        }
        if let Some(Handling::NotApplied(why)) = settings::handling(settings::TRANSFORMS, k) {
            findings.push(Finding {
                file: set.file.clone(),
                line: set.line,
                stanza: name.clone(),
                key: k.clone(),
                why: why.to_string(),
            });
            if !k.starts_with("time") && !k.ends_with("offset_secs") {
                return not(findings, format!("lookup [{name}] is not a CSV lookup"));
            }
        }
    }
    let Some(file) = def.settings.get("filename") else {
        return not(findings, format!("lookup [{name}] has no `filename`"));
    };
    if crate::builtin::is_builtin(&file.file) {
        return not(
            findings,
            format!("lookup [{name}] is defined by a built-in app, which carries no lookup files"),
        );
    }
    // The app that defines the lookup: <app>/{default,local}/transforms.conf.
    let app = file
        .file
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    let dir = app.join("lookups");
    let Some(path) = inside(app, &dir, Path::new(&file.value)) else {
        return not(
            findings,
            format!("lookup file `{}` is not in {}", file.value, dir.display()),
        );
    };
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if size > MAX_LOOKUP_BYTES {
        return not(
            findings,
            format!(
                "{}: {size} bytes, over the {MAX_LOOKUP_BYTES}-byte limit",
                path.display()
            ),
        );
    }
    let mut table = match tables.get(&path) {
        Some(t) => t.clone(),
        None => {
            let t = firedrill_spl::exec::lookup::read_csv(&path)
                .map_err(|m| AddonError::new(ErrorKind::Value, &path, 0, m))?;
            tables.insert(path.clone(), t.clone());
            t
        }
    };
    table.name = name.clone();
    let flag = |k: &str, default: bool| def.settings.get(k).map_or(Ok(default), |p| boolean(p, k));
    table.case_sensitive = flag("case_sensitive_match", true)?;
    let number = |k: &str, default: usize| -> Result<usize, AddonError> {
        match def.settings.get(k) {
            None => Ok(default),
            Some(v) => v.value.trim().parse().map_err(|_| {
                AddonError::new(
                    ErrorKind::Value,
                    &v.file,
                    v.line,
                    format!("{k}: `{}` is not a number", v.value),
                )
            }),
        }
    };
    table.min_matches = number("min_matches", 0)?;
    table.max_matches = number("max_matches", 1000)?;
    table.default_match = def.settings.get("default_match").map(|v| v.value.clone());
    if let Some(mt) = def.settings.get("match_type") {
        for m in mt.value.split(',').map(str::trim).filter(|m| !m.is_empty()) {
            let inner = |f: &str| {
                m.strip_prefix(f)
                    .and_then(|r| r.trim_start().strip_prefix('('))
                    .and_then(|r| r.strip_suffix(')'))
                    .map(|c| c.trim().to_string())
            };
            if let Some(c) = inner("WILDCARD") {
                table.wildcard.push(c);
            } else if let Some(c) = inner("CIDR") {
                table.cidr.push(c);
            } else {
                return Err(AddonError::new(
                    ErrorKind::Value,
                    &mt.file,
                    mt.line,
                    format!("match_type: `{m}` is neither WILDCARD(<column>) nor CIDR(<column>)"),
                ));
            }
        }
    }
    let spec = LookupSpec {
        table: name.clone(),
        inputs,
        outputs,
        output_new: output_new.unwrap_or(false),
    };
    let outputs = firedrill_spl::exec::lookup::output_columns(&table, &spec)
        .map_err(|m| err(ErrorKind::Reference, m))?;
    let fields = outputs.iter().map(|(_, f)| FieldRef::new(f)).collect();
    Ok(Some(Lookup {
        table,
        spec,
        outputs,
        fields,
    }))
}

/// `dir/name` when it is a file inside `dir`, the app's own `lookups/` (not a
/// symbolic link), after following symbolic links and `..`.
fn inside(app: &Path, dir: &Path, name: &Path) -> Option<PathBuf> {
    if name.is_absolute()
        || name
            .components()
            .any(|c| c == std::path::Component::ParentDir)
    {
        return None;
    }
    // `lookups/` itself must be a directory of the app, not a link to elsewhere.
    if !std::fs::symlink_metadata(dir).ok()?.is_dir() {
        return None;
    }
    let root = std::fs::canonicalize(app).ok()?.join("lookups");
    let real = std::fs::canonicalize(dir.join(name)).ok()?;
    (real.starts_with(&root) && real.is_file()).then_some(real)
}

/// `<regex> in <field>` or `<regex>` (reading `_raw`).
fn split_in(v: &str) -> (&str, &str) {
    if let Some(at) = v.rfind(" in ") {
        let field = v[at + 4..].trim();
        if !field.is_empty()
            && field
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
        {
            return (v[..at].trim_end(), field);
        }
    }
    (v, "_raw")
}

/// `a AS b c ASNEW d`, names optionally double-quoted.
fn aliases(v: &str) -> Result<Vec<Alias>, String> {
    let words = extract::split_words(v);
    if words.is_empty() || !words.len().is_multiple_of(3) {
        return Err("expected `<field> AS <alias>` (or ASNEW), repeated".into());
    }
    words
        .chunks(3)
        .map(|w| {
            let keep_existing = if w[1].eq_ignore_ascii_case("as") {
                false
            } else if w[1].eq_ignore_ascii_case("asnew") {
                true
            } else {
                return Err(format!(
                    "expected AS or ASNEW after `{}`, found `{}`",
                    w[0], w[1]
                ));
            };
            Ok(Alias {
                src: FieldRef::new(&w[0]),
                dst: FieldRef::new(&w[2]),
                keep_existing,
            })
        })
        .collect()
}

fn boolean(v: &Placed, key: &str) -> Result<bool, AddonError> {
    match v.value.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" | "yes" | "y" => Ok(true),
        "false" | "f" | "0" | "no" | "n" => Ok(false),
        other => Err(AddonError::new(
            ErrorKind::Value,
            &v.file,
            v.line,
            format!("{key}: `{other}` is not a Boolean (true or false)"),
        )),
    }
}

fn transform(
    name: &str,
    m: &Merged,
    findings: &mut Vec<Finding>,
) -> Result<Option<Transform>, AddonError> {
    let get = |k: &str| m.settings.get(k);
    let mut applies = true;
    for (key, p) in &m.settings {
        let why = match settings::handling(settings::TRANSFORMS, key) {
            Some(Handling::Applied(_)) | Some(Handling::Metadata) => continue,
            Some(Handling::NotApplied(why)) => why.to_string(),
            None => "not a search-time transforms.conf setting firedrill knows (a lookup definition is used by LOOKUP-, which is not applied yet)".into(),
        };
        if matches!(key.as_str(), "DEST_KEY" | "WRITE_META" | "INGEST_EVAL") {
            applies = false;
        }
        findings.push(Finding {
            file: p.file.clone(),
            line: p.line,
            stanza: name.to_string(),
            key: key.clone(),
            why,
        });
    }
    if !applies {
        return Ok(None);
    }
    let source = match get("SOURCE_KEY") {
        None => "_raw".to_string(),
        Some(p) => {
            let v = p.value.strip_prefix("field:").unwrap_or(&p.value);
            if v.contains(':') {
                findings.push(Finding {
                    file: p.file.clone(),
                    line: p.line,
                    stanza: name.to_string(),
                    key: "SOURCE_KEY".into(),
                    why: format!("`{v}` is an index-time key: not applied at search time"),
                });
                return Ok(None);
            }
            v.to_string()
        }
    };
    let flag = |k: &str, default: bool| get(k).map_or(Ok(default), |p| boolean(p, k));
    let extractor = match (get("REGEX"), get("DELIMS")) {
        (Some(r), _) => {
            let re = Re::shared(&r.value).map_err(|msg| {
                AddonError::new(ErrorKind::Regex, &r.file, r.line, format!("REGEX: {msg}"))
            })?;
            let names = match get("FORMAT") {
                Some(f) => Names::Format(extract::parse_format(&f.value).map_err(|msg| {
                    AddonError::new(ErrorKind::Value, &f.file, f.line, format!("FORMAT: {msg}"))
                })?),
                None => extract::group_names(&re),
            };
            Extractor::Regex {
                re,
                names,
                repeat: true,
            }
        }
        (None, Some(d)) => {
            let (pair, kv) = extract::parse_delims(&d.value).map_err(|msg| {
                AddonError::new(ErrorKind::Value, &d.file, d.line, format!("DELIMS: {msg}"))
            })?;
            let fields = get("FIELDS")
                .map(|f| extract::parse_fields(&f.value))
                .unwrap_or_default();
            if kv.is_empty() && fields.is_empty() {
                return Err(AddonError::new(
                    ErrorKind::Value,
                    &d.file,
                    d.line,
                    "DELIMS with one delimiter list needs FIELDS to name the values",
                ));
            }
            Extractor::Delims { pair, kv, fields }
        }
        (None, None) => {
            return Err(AddonError::new(
                ErrorKind::Value,
                &m.file,
                m.line,
                format!("transform [{name}] has neither REGEX nor DELIMS"),
            ))
        }
    };
    Ok(Some(Transform {
        name: name.to_string(),
        source: FieldRef::new(&source),
        extractor,
        mv_add: flag("MV_ADD", false)?,
        clean_keys: flag("CLEAN_KEYS", true)?,
        keep_empty: flag("KEEP_EMPTY_VALS", false)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let g = glob("/var/log/.../*.log").unwrap();
        assert!(g.is_match("/var/log/a/b/x.log"));
        assert!(!g.is_match("/var/log/a/b/x.txt"));
        let g = glob("/tmp/*.log").unwrap();
        assert!(!g.is_match("/tmp/a/x.log"));
        assert!(glob("(?i)WinEventLog:*")
            .unwrap()
            .is_match("wineventlog:Security"));
    }

    #[test]
    fn in_field() {
        assert_eq!(split_in(r"(?<a>\d+) in msg"), (r"(?<a>\d+)", "msg"));
        assert_eq!(split_in(r"(?<a>\d+)"), (r"(?<a>\d+)", "_raw"));
        assert_eq!(split_in(r"x in (?<a>y)"), (r"x in (?<a>y)", "_raw"));
    }

    #[test]
    fn alias_lists() {
        let a = aliases(r#"src_ip AS src "dest ip" ASNEW dest"#).unwrap();
        assert_eq!(
            (a[1].src.as_str(), a[1].dst.as_str(), a[1].keep_existing),
            ("dest ip", "dest", true)
        );
        assert!(aliases("a AS").is_err());
        assert!(aliases("a TO b").is_err());
    }
}
