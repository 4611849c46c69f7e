//! Runs a parsed [`Pipeline`] over in-memory rows. Before running, [`check_supported`]
//! walks the pipeline and names the first command, function or construct firedrill
//! cannot execute, so an unsupported search is reported, never silently empty.

mod cidr;
pub mod commands;
pub mod eval;
pub mod functions;
mod hash;
pub mod search;
pub mod stats;
pub mod time;
pub mod wildcard;

use crate::ast::{Agg, CommandKind, Expr, Pipeline, SearchExpr};
use crate::span::{render_caret, Span};
use firedrill_value::{Event, Row};
use std::fmt;
use std::sync::Arc;

/// Where a search reads its data from: the raw events, CIM data model rows, and SSA
/// enriched events. The caller builds these once per dataset and reuses them.
pub trait Data: Sync {
    /// The events, with their search-time fields.
    fn events(&self) -> &[Event];
    /// The rows of a data model dataset such as `Endpoint.Processes`.
    fn datamodel(&self, name: &str) -> Result<Arc<Vec<Row>>, String>;
    /// The rows an SPL2 source reads (`read_ssa_enriched_events`, `source`).
    fn spl2_source(&self, name: &str) -> Result<Arc<Vec<Row>>, String>;
}

/// The simplest [`Data`]: raw events only.
pub struct Source<'a> {
    events: &'a [Event],
}

impl<'a> Source<'a> {
    /// A source over `events` with no data models.
    pub fn events(events: &'a [Event]) -> Source<'a> {
        Source { events }
    }
}

impl Data for Source<'_> {
    fn events(&self) -> &[Event] {
        self.events
    }
    fn datamodel(&self, name: &str) -> Result<Arc<Vec<Row>>, String> {
        Err(format!("no data model mapping for `{name}` in this source"))
    }
    fn spl2_source(&self, name: &str) -> Result<Arc<Vec<Row>>, String> {
        Err(format!("no SPL2 source `{name}` in this source"))
    }
}

/// Something in a search that firedrill cannot execute.
#[derive(Clone, Debug, PartialEq)]
pub struct Unsupported {
    /// What is missing, e.g. "command `join` is not supported by firedrill yet".
    pub what: String,
    /// Where it is in the search text.
    pub span: Span,
}

impl Unsupported {
    /// The message with the search line and a caret.
    pub fn render(&self, text: &str) -> String {
        render_caret(text, self.span, &self.what)
    }
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

/// Why a run failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ExecError {
    /// The search uses something firedrill cannot execute.
    Unsupported(Unsupported),
    /// An expression failed at run time (bad regex, wrong arguments...).
    Eval {
        /// What went wrong.
        message: String,
        /// Where.
        span: Span,
    },
    /// The data the search asks for is not available (unmapped data model...).
    Data {
        /// What is missing.
        message: String,
        /// Where.
        span: Span,
    },
}

impl ExecError {
    /// The error with the search line and a caret.
    pub fn render(&self, text: &str) -> String {
        match self {
            ExecError::Unsupported(u) => u.render(text),
            ExecError::Eval { message, span } | ExecError::Data { message, span } => {
                render_caret(text, *span, message)
            }
        }
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::Unsupported(u) => write!(f, "unsupported: {u}"),
            ExecError::Eval { message, .. } => write!(f, "{message}"),
            ExecError::Data { message, .. } => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for ExecError {}

fn unsupported(what: impl Into<String>, span: Span) -> Unsupported {
    Unsupported {
        what: what.into(),
        span,
    }
}

/// Returns the first thing in `p` that firedrill cannot execute.
pub fn check_supported(p: &Pipeline) -> Result<(), Unsupported> {
    for (i, cmd) in p.commands.iter().enumerate() {
        let span = cmd.span;
        match &cmd.kind {
            CommandKind::Unsupported { reason } => return Err(unsupported(reason.clone(), span)),
            CommandKind::Rex {
                pattern,
                sed: false,
                ..
            }
            | CommandKind::Regex { pattern, .. } => check_regex(pattern, span)?,
            CommandKind::Search(s) => check_search(s, span)?,
            CommandKind::Where(e) => check_expr(e)?,
            CommandKind::Eval(assigns) => {
                for (_, e) in assigns {
                    check_expr(e)?;
                }
            }
            CommandKind::Stats(s) => {
                if cmd.name == "streamstats" {
                    return Err(unsupported(
                        "command `streamstats` is not supported by firedrill yet",
                        span,
                    ));
                }
                check_aggs(&s.aggs)?;
            }
            CommandKind::Tstats(t) => {
                if i != 0 {
                    return Err(unsupported("`tstats` must be the first command", span));
                }
                check_aggs(&t.stats.aggs)?;
                if let Some(f) = &t.filter {
                    check_search(f, span)?;
                }
                if t.option("prestats").is_some_and(is_true_opt) {
                    return Err(unsupported(
                        "`tstats prestats=true` is not supported by firedrill yet",
                        span,
                    ));
                }
            }
            CommandKind::Spl2Source(_) if i != 0 => {
                return Err(unsupported("an SPL2 `from` must come first", span));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Splunk regexes are PCRE; the few PCRE features the regex crate lacks (look-around,
/// back-references) are reported as unsupported before the search runs.
fn check_regex(pattern: &str, span: Span) -> Result<(), Unsupported> {
    match functions::regex(pattern, span) {
        Ok(_) => Ok(()),
        Err(e) => Err(unsupported(
            format!(
                "regular expression not supported by firedrill's regex engine: {}",
                e.message
            ),
            span,
        )),
    }
}

fn is_true_opt(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "t" | "true" | "1")
}

fn check_aggs(aggs: &[Agg]) -> Result<(), Unsupported> {
    for a in aggs {
        if !stats::is_supported(&a.func) {
            return Err(unsupported(
                format!("aggregation `{}` is not supported by firedrill yet", a.func),
                a.span,
            ));
        }
        if let Some(e) = &a.expr {
            check_expr(e)?;
        }
    }
    Ok(())
}

fn check_search(s: &SearchExpr, span: Span) -> Result<(), Unsupported> {
    match s {
        SearchExpr::Subsearch(_) => Err(unsupported(
            "subsearches `[...]` are not supported by firedrill yet",
            span,
        )),
        SearchExpr::And(items) | SearchExpr::Or(items) => {
            items.iter().try_for_each(|i| check_search(i, span))
        }
        SearchExpr::Not(inner) => check_search(inner, span),
        _ => Ok(()),
    }
}

fn check_expr(e: &Expr) -> Result<(), Unsupported> {
    match e {
        Expr::Call { name, args, span } => {
            if !functions::is_supported(name) {
                return Err(unsupported(
                    format!("eval function `{name}()` is not supported by firedrill yet"),
                    *span,
                ));
            }
            args.iter().try_for_each(check_expr)
        }
        Expr::Unary(_, a) => check_expr(a),
        Expr::Binary(_, a, b) => {
            check_expr(a)?;
            check_expr(b)
        }
        Expr::Array(items) => items.iter().try_for_each(check_expr),
        Expr::Lit(_) | Expr::Field(_) => Ok(()),
    }
}

/// Runs the pipeline over `data` and returns the result rows.
pub fn run(p: &Pipeline, data: &dyn Data) -> Result<Vec<Row>, ExecError> {
    run_observed(p, data, &mut |_, _| {})
}

/// Runs the pipeline, calling `observe(stage_index, rows)` after each command (for
/// `explain`).
pub fn run_observed(
    p: &Pipeline,
    data: &dyn Data,
    observe: &mut dyn FnMut(usize, &[Row]),
) -> Result<Vec<Row>, ExecError> {
    check_supported(p).map_err(ExecError::Unsupported)?;
    let mut rows: Vec<Row> = Vec::new();
    for (i, cmd) in p.commands.iter().enumerate() {
        let eval_err = |e: eval::EvalError| ExecError::Eval {
            message: e.message,
            span: e.span,
        };
        rows = match &cmd.kind {
            CommandKind::Search(s) if i == 0 => data
                .events()
                .iter()
                .filter(|e| search::matches(s, &e.fields))
                .map(|e| e.fields.clone())
                .collect(),
            CommandKind::Search(s) => {
                rows.retain(|r| search::matches(s, r));
                rows
            }
            CommandKind::Tstats(t) => {
                let source: Arc<Vec<Row>> = match &t.datamodel {
                    Some(dm) => {
                        data.datamodel(dm.trim_matches('"'))
                            .map_err(|message| ExecError::Data {
                                message,
                                span: cmd.span,
                            })?
                    }
                    None => Arc::new(data.events().iter().map(indexed_fields).collect()),
                };
                let filtered: Vec<Row> = match &t.filter {
                    Some(f) => source
                        .iter()
                        .filter(|r| search::matches(f, r))
                        .cloned()
                        .collect(),
                    None => source.to_vec(),
                };
                let fill = t.option("fillnull_value").map(|v| v.trim_matches('"'));
                let filtered = match &t.span {
                    Some(span) => bucket_time(filtered, span),
                    None => filtered,
                };
                stats::stats(&filtered, &t.stats, fill).map_err(eval_err)?
            }
            CommandKind::Spl2Source(name) => data
                .spl2_source(name)
                .map_err(|message| ExecError::Data {
                    message,
                    span: cmd.span,
                })?
                .to_vec(),
            CommandKind::SsaSink => rows,
            CommandKind::Where(e) => {
                let mut keep = Vec::with_capacity(rows.len());
                for r in rows {
                    if eval::eval(e, &r).map_err(eval_err)?.is_true() {
                        keep.push(r);
                    }
                }
                keep
            }
            CommandKind::Eval(assigns) => {
                for r in rows.iter_mut() {
                    for (field, e) in assigns {
                        let v = eval::eval(e, r).map_err(eval_err)?;
                        if v.is_null() {
                            r.remove(field);
                        } else {
                            r.insert(field.clone(), v);
                        }
                    }
                }
                rows
            }
            CommandKind::Stats(s) if cmd.name == "eventstats" => {
                stats::eventstats(rows, s).map_err(eval_err)?
            }
            CommandKind::Stats(s) => stats::stats(&rows, s, None).map_err(eval_err)?,
            CommandKind::Rename(pairs) => {
                commands::rename(&mut rows, pairs);
                rows
            }
            CommandKind::Convert(c) => {
                commands::convert(&mut rows, c);
                rows
            }
            CommandKind::Table(f) => {
                commands::table(&mut rows, f);
                rows
            }
            CommandKind::Fields { remove, fields } => {
                commands::fields(&mut rows, *remove, fields);
                rows
            }
            CommandKind::Fillnull { value, fields } => {
                commands::fillnull(&mut rows, value, fields);
                rows
            }
            CommandKind::Dedup { count, fields } => commands::dedup(rows, *count, fields),
            CommandKind::Head { count, from_end } => {
                if *from_end {
                    let skip = rows.len().saturating_sub(*count);
                    rows.into_iter().skip(skip).rev().collect()
                } else {
                    rows.truncate(*count);
                    rows
                }
            }
            CommandKind::Sort { limit, keys } => commands::sort(rows, keys, *limit),
            CommandKind::Rex {
                field,
                pattern,
                max_match,
                sed,
            } => {
                if *sed {
                    let (re, rep, global) = commands::parse_sed(pattern).ok_or_else(|| ExecError::Eval {
                        message: format!("`rex mode=sed` expects s/regex/replacement/flags, found `{pattern}`"),
                        span: cmd.span,
                    })?;
                    let re = functions::regex(&re, cmd.span).map_err(eval_err)?;
                    commands::sed(&mut rows, field, &re, &rep, global);
                } else {
                    let re = functions::regex(pattern, cmd.span).map_err(eval_err)?;
                    commands::rex(&mut rows, field, &re, *max_match);
                }
                rows
            }
            CommandKind::Regex {
                field,
                pattern,
                negate,
            } => {
                let re = functions::regex(pattern, cmd.span).map_err(eval_err)?;
                rows.retain(|r| {
                    let hit = r
                        .get(field)
                        .is_some_and(|v| v.values().iter().any(|x| re.is_match(&x.to_string())));
                    hit != *negate
                });
                rows
            }
            CommandKind::Bin { field, span, alias } => {
                let size = commands::span_size(span).ok_or_else(|| ExecError::Eval {
                    message: format!("`bin span={span}` is not a span firedrill understands"),
                    span: cmd.span,
                })?;
                commands::bin(&mut rows, field, size, alias.as_deref());
                rows
            }
            CommandKind::Mvexpand { field, limit } => commands::mvexpand(rows, field, *limit),
            CommandKind::Makemv { field, delim } => {
                commands::makemv(&mut rows, field, delim);
                rows
            }
            CommandKind::Unsupported { reason } => {
                return Err(ExecError::Unsupported(unsupported(
                    reason.clone(),
                    cmd.span,
                )))
            }
        };
        observe(i, &rows);
    }
    Ok(rows)
}

/// The fields `tstats` can see without a data model: the indexed ones.
fn indexed_fields(e: &Event) -> Row {
    ["_time", "host", "source", "sourcetype", "index", "_raw"]
        .iter()
        .filter_map(|k| e.fields.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect()
}

/// Rounds `_time` down to the `span` (`1h`, `10m`, `1d`, `30s`).
fn bucket_time(mut rows: Vec<Row>, span: &str) -> Vec<Row> {
    if let Some(size) = commands::span_size(span) {
        commands::bin(&mut rows, "_time", size, None);
    }
    rows
}
