//! Parsed pipeline → [`Program`]: every command, function and aggregation resolved
//! through its registry, every option consumed or reported, every pattern built. The
//! compile *is* the support check: a search compiles exactly when firedrill can run
//! all of it.

mod commands;
pub(crate) mod makeresults;
pub(crate) mod map;
mod opts;
mod series;

use crate::ast::{Command, CommandKind, Pipeline};
use crate::error::{CompileError, Unsupported};
use crate::exec::lookup::LookupTable;
use crate::geo::GeoIp;
use crate::needs::{self, FieldSet};
use crate::program::{Pipe, PipeId, Program, Source, Stage};
use crate::span::Span;
use std::sync::Arc;

/// What compilation asks of the world: the lookup tables the content defines.
pub trait Env: Sync {
    /// A lookup table by definition or file name; the error says why it is not
    /// available (KV store, ML model, missing file…).
    fn lookup(&self, name: &str) -> Result<Arc<LookupTable>, String>;

    /// The GeoIP database `iplocation` reads; the error says why there is none.
    fn geoip(&self) -> Result<Arc<dyn GeoIp>, String> {
        Err(NO_GEOIP.into())
    }
}

/// Why `iplocation` cannot run without a database.
pub const NO_GEOIP: &str = "command `iplocation` needs a GeoIP database: give one with \
     --geoip FILE (a MaxMind GeoLite2 or GeoIP2 City, or DB-IP City, .mmdb file)";

/// An environment with no lookups.
pub struct NoLookups;

impl Env for NoLookups {
    fn lookup(&self, name: &str) -> Result<Arc<LookupTable>, String> {
        Err(format!(
            "lookup `{name}` is not available: no lookups were loaded"
        ))
    }
}

/// Compiles a parsed search. The program keeps every field its results have; see
/// [`Program::restrict_output`] to keep only what the caller reads.
pub fn compile(p: &Pipeline, env: &dyn Env) -> Result<Program, CompileError> {
    build(p, env, true)
}

/// Compiles without the optimisations that move work between commands (a `rename`
/// folded into `stats`, filters on the group key moved before grouping), so each
/// command's own rows can be counted: what `explain` runs.
pub fn compile_plain(p: &Pipeline, env: &dyn Env) -> Result<Program, CompileError> {
    build(p, env, false)
}

fn build(p: &Pipeline, env: &dyn Env, optimize: bool) -> Result<Program, CompileError> {
    let mut c = Compiler {
        env,
        pipes: Vec::new(),
        optimize,
    };
    c.pipe(p, true)?;
    let mut program = Program {
        pipes: c
            .pipes
            .into_iter()
            .map(|p| p.expect("every reserved pipe is built"))
            .collect(),
    };
    needs::analyze(&mut program, &FieldSet::All);
    Ok(program)
}

/// Compiles a pipeline that runs over rows handed to it (a `foreach` template).
pub(crate) fn compile_over_rows(p: &Pipeline, env: &dyn Env) -> Result<Program, CompileError> {
    let mut c = Compiler {
        env,
        pipes: Vec::new(),
        optimize: true,
    };
    c.pipe(p, false)?;
    let mut program = Program {
        pipes: c
            .pipes
            .into_iter()
            .map(|p| p.expect("every reserved pipe is built"))
            .collect(),
    };
    needs::analyze(&mut program, &FieldSet::All);
    Ok(program)
}

impl Program {
    /// Keeps only `fields` of the main search's results (what the caller reads, e.g.
    /// the observables and message fields of a detection): admitted rows then hold
    /// only what those results need.
    pub fn restrict_output(&mut self, fields: &FieldSet) {
        needs::analyze(self, fields);
    }
}

pub(crate) struct Compiler<'e> {
    env: &'e dyn Env,
    /// Pipes in creation order; a pipe's slot is reserved before its sub-pipes are
    /// built, so sub-pipes always come after the pipes that use them.
    pipes: Vec<Option<Pipe>>,
    /// Fold renames and key filters into `stats`.
    optimize: bool,
}

/// `stats … by X.a | rename X.* AS *` (what `drop_dm_object_name` expands to after
/// every `tstats`): the rename is folded into the names stats gives its rows, so no
/// row is renamed at run time. The stage stays, as a pass, for `explain`.
fn fold_renames(stages: &mut [Stage]) {
    for i in 1..stages.len() {
        let (before, after) = stages.split_at_mut(i);
        if let (Stage::Stats(spec), Stage::Rename(pairs)) = (&mut before[i - 1], &after[0]) {
            if spec.fold_rename(pairs) {
                after[0] = Stage::Pass;
            }
        }
    }
}

/// Filters right after `stats` that read only its by-fields (`tstats … by
/// Processes.process … | regex process="…"`, past `convert`s and `eval`s that write
/// other fields) are moved into the stats as a filter on the group key: a rejected key
/// never becomes a group, so a search that groups every event and keeps a few holds
/// only those few. A multivalue by-field makes one key per value, and the filter sees
/// each, as it would see each group.
fn fold_key_filters(stages: &mut [Stage]) {
    use crate::aggs::KeyTest;
    for i in 0..stages.len() {
        let (head, tail) = stages.split_at_mut(i + 1);
        let Stage::Stats(spec) = &mut head[i] else {
            continue;
        };
        let aliases: Vec<String> = spec.aggs.iter().map(|a| a.alias.clone()).collect();
        let mut written: Vec<String> = Vec::new();
        for stage in tail.iter_mut() {
            let reads = |refs: &[&str]| -> bool {
                refs.iter().all(|r| {
                    // `count*` reads `count` as surely as `count` does.
                    !aliases
                        .iter()
                        .any(|a| crate::exec::rows::field_glob(r, a).is_some())
                        && !written
                            .iter()
                            .any(|w| crate::exec::rows::field_glob(w, r).is_some())
                })
            };
            let test = match stage {
                Stage::Pass => continue,
                Stage::Convert { items, .. } => {
                    for (_, field, alias) in items.iter() {
                        written.push(alias.clone().unwrap_or_else(|| field.clone()));
                    }
                    continue;
                }
                Stage::Eval(assigns) => {
                    written.extend(assigns.iter().map(|(f, _)| f.clone()));
                    continue;
                }
                Stage::Search(m) => {
                    let mut refs = Vec::new();
                    m.fields(&mut refs);
                    reads(&refs).then(|| KeyTest::Search(m.clone()))
                }
                Stage::Where(e) => {
                    let mut refs = Vec::new();
                    e.fields(&mut refs);
                    reads(&refs).then(|| KeyTest::Where(e.clone()))
                }
                Stage::Regex { field, re, negate } => {
                    reads(&[&field.name]).then(|| KeyTest::Regex {
                        field: field.clone(),
                        re: re.clone(),
                        negate: *negate,
                    })
                }
                _ => None,
            };
            match test {
                Some(t) => {
                    spec.key_filter.push(t);
                    *stage = Stage::Pass;
                }
                None => break,
            }
        }
    }
}

pub(crate) fn unsupported(what: impl Into<String>, span: Span) -> CompileError {
    CompileError::Unsupported(Unsupported {
        what: what.into(),
        span,
    })
}

impl Compiler<'_> {
    /// Compiles one pipeline into a pipe; `generating` is false for pipelines over
    /// given rows (`appendpipe`).
    pub(crate) fn pipe(&mut self, p: &Pipeline, generating: bool) -> Result<PipeId, CompileError> {
        let id = PipeId(self.pipes.len());
        self.pipes.push(None);
        let span = p.commands.first().map(|c| c.span).unwrap_or_default();
        let mut stages = Vec::new();
        let mut origin = Vec::new();
        let mut source = Source::Input;
        for (i, cmd) in p.commands.iter().enumerate() {
            origin.resize(stages.len(), i.saturating_sub(1));
            if i == 0 && generating {
                source = self.source(cmd, &mut stages)?;
                continue;
            }
            match &cmd.kind {
                CommandKind::Tstats(_) => {
                    return Err(unsupported("`tstats` must be the first command", cmd.span))
                }
                CommandKind::Spl2Source(_) => {
                    return Err(unsupported("an SPL2 `from` must come first", cmd.span))
                }
                _ => self.command(cmd, &mut stages)?,
            }
        }
        origin.resize(stages.len(), p.commands.len().saturating_sub(1));
        if self.optimize {
            fold_renames(&mut stages);
            fold_key_filters(&mut stages);
        }
        let filters = stages.iter().take_while(|s| s.is_filter()).count();
        let stream = stages
            .iter()
            .position(|s| !s.is_per_row())
            .unwrap_or(stages.len());
        self.pipes[id.0] = Some(Pipe {
            source,
            stages,
            filters,
            stream,
            needs: FieldSet::All,
            keep: Vec::new(),
            origin,
            commands: p.commands.iter().map(|c| c.span).collect(),
            span,
        });
        Ok(id)
    }

    /// The first command of a search decides what it reads.
    fn source(&mut self, cmd: &Command, stages: &mut Vec<Stage>) -> Result<Source, CompileError> {
        match &cmd.kind {
            CommandKind::Search(_) => {
                self.command(cmd, stages)?;
                Ok(Source::Events)
            }
            CommandKind::Tstats(t) => self.tstats(cmd, t, stages),
            CommandKind::Spl2Source(name) => Ok(Source::Spl2(name.clone())),
            CommandKind::Inputlookup(name) => {
                let mut opts = opts::Opts::new(cmd);
                // First in the search, there is nothing to append to.
                opts.no_effect(&["append"]);
                let start = opts.count("start")?.unwrap_or(0);
                let max = opts.count("max")?.unwrap_or(0);
                opts.finish()?;
                let table = self.lookup(name, cmd.span)?;
                if start > 0 || max > 0 {
                    stages.push(Stage::Inputlookup { table, start, max });
                    return Ok(Source::Input);
                }
                Ok(Source::Lookup(table))
            }
            CommandKind::Makeresults => {
                stages.push(makeresults::compile(cmd)?);
                Ok(Source::Input)
            }
            CommandKind::FromDataModel(name) => Ok(Source::DataModelEvents(name.clone())),
            // Any other command first runs over no events (`| stats count` is 0).
            _ => {
                self.command(cmd, stages)?;
                Ok(Source::Input)
            }
        }
    }

    fn lookup(&self, name: &str, span: Span) -> Result<Arc<LookupTable>, CompileError> {
        self.env
            .lookup(name)
            .map_err(|what| unsupported(what, span))
    }

    fn geoip(&self, span: Span) -> Result<Arc<dyn GeoIp>, CompileError> {
        self.env.geoip().map_err(|what| unsupported(what, span))
    }
}
