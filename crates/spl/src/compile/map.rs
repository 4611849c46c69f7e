//! `map search="… $field$ …" [maxsearches=N]`: runs a search once per input row, each
//! `$field$` replaced by that row's value, and returns all their results in row order
//! (Search Reference, map; `maxsearches` defaults to 10).
//!
//! The searches exist only at run time, but the events they read stream past once: the
//! template's first command, with every `$field$` as `*`, is compiled as a sub-search
//! that gathers the candidate events (a superset of what any row's search admits), and
//! each row's search then runs over those. So the template must start with a `search`
//! whose `$field$` tokens stand for values, and read no other events (no subsearch);
//! anything else is unsupported at compile time, as is `map savedsearch=`.
//!
//! Undocumented, chosen here: a row without one of the template's fields runs no search
//! (Splunk would search for the token text itself). Each row's search is compiled
//! when it runs, without lookups (the template's own compile, with them, has checked
//! it).

use super::opts::Opts;
use super::{unsupported, Compiler};
use crate::ast::{Command, CommandKind, Pipeline};
use crate::error::{CompileError, ExecError};
use crate::program::Stage;
use crate::span::Span;
use firedrill_value::{Row, Value};

/// Splunk's default `maxsearches`.
const MAXSEARCHES: usize = 10;

/// The `$name$` tokens of a template, in order, without repeats.
fn tokens(template: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('$') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('$') else { break };
        let name = &after[..close];
        if !name.is_empty() && !name.contains(char::is_whitespace) && !out.iter().any(|t| t == name)
        {
            out.push(name.to_string());
        }
        rest = &after[close + 1..];
    }
    out
}

/// The template with every token replaced by `with(name)`.
fn substitute(template: &str, with: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('$') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('$') else { break };
        let name = &after[..close];
        out.push_str(&rest[..open]);
        if name.is_empty() || name.contains(char::is_whitespace) {
            out.push('$');
            rest = after;
            continue;
        }
        out.push_str(&with(name)?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

impl Compiler<'_> {
    pub(super) fn map(
        &mut self,
        cmd: &Command,
        opts: &mut Opts<'_>,
    ) -> Result<Stage, CompileError> {
        let span = cmd.span;
        if opts.take("savedsearch").is_some() {
            return Err(unsupported(
                "`map savedsearch=` is not supported by firedrill yet",
                span,
            ));
        }
        let template = opts.str("search").ok_or_else(|| CompileError::Invalid {
            message: "`map` needs `search=\"…\"`".into(),
            span,
        })?;
        let max = opts.count("maxsearches")?.unwrap_or(MAXSEARCHES);
        let tokens = tokens(&template);
        let wild = substitute(&template, &|_| Some("*".into())).unwrap_or_default();
        let parsed = crate::parse::parse(&wild).map_err(|e| {
            unsupported(
                format!("the `map` search does not parse: {}", e.message),
                span,
            )
        })?;
        let first = parsed
            .commands
            .first()
            .filter(|c| matches!(c.kind, CommandKind::Search(_)));
        let Some(first) = first else {
            return Err(unsupported(
                "a `map` search must start with `search` for firedrill to gather its events",
                span,
            ));
        };
        if let CommandKind::Search(s) = &first.kind {
            if crate::search::has_subsearch(s) {
                return Err(unsupported(
                    "a subsearch in a `map` search is not supported by firedrill yet",
                    span,
                ));
            }
        }
        // The whole search must compile here, so what it uses is checked now.
        let whole = super::compile(&parsed, self.env)?;
        if whole.inputs().count() != 1 {
            return Err(unsupported(
                "a `map` search that reads events more than once is not supported by firedrill yet",
                span,
            ));
        }
        let candidates = self.pipe(
            &Pipeline {
                commands: vec![first.clone()],
            },
            true,
        )?;
        Ok(Stage::Map {
            template,
            tokens,
            candidates,
            max,
            span,
        })
    }
}

/// Runs the template once for each of the first `max` rows over `events`.
pub(crate) fn run(
    rows: &[Row],
    template: &str,
    tokens: &[String],
    events: &[Row],
    max: usize,
    span: Span,
) -> Result<Vec<Row>, ExecError> {
    let error = |message: String| ExecError::Data { message, span };
    let mut out = Vec::new();
    for row in rows.iter().take(max) {
        let value = |name: &str| -> Option<String> {
            row.get(name)
                .filter(|v| !v.is_null())
                .and_then(|v| v.values().first().map(Value::to_string))
        };
        debug_assert!(tokens.iter().all(|t| template.contains(&format!("${t}$"))));
        let Some(text) = substitute(template, &value) else {
            continue;
        };
        let parsed = crate::parse::parse(&text)
            .map_err(|e| error(format!("`map` search `{text}`: {}", e.message)))?;
        let program = super::compile(&parsed, &super::NoLookups)
            .map_err(|e| error(format!("`map` search: {}", e.render(&text))))?;
        let mut state = program.start();
        let inputs: Vec<_> = program.inputs().map(|(id, _)| id).collect();
        for id in inputs {
            for e in events {
                state.offer(id, e)?;
            }
        }
        out.extend(state.finish()?);
    }
    Ok(out)
}
