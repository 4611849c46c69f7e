//! Argument parsers for each command, as one table of (name, parser). A parser reads
//! the command's positional syntax and collects every `name=value` option into the
//! command's option list without interpreting it: compilation decides what each
//! option means, and reports the ones firedrill does not implement.

mod extract;
mod flow;
mod series;
mod shape;
mod stats;

use super::expr::parse_expr;
use super::search::parse_search;
use crate::ast::{CommandKind, Expr, Opt};
use crate::cursor::Cursor;
use crate::span::ParseError;

/// A command's argument parser: the cursor covers the arguments; options go to `opts`.
pub(crate) type ParseFn =
    fn(&str, &mut Cursor<'_>, &mut Vec<Opt>) -> Result<CommandKind, ParseError>;

/// Every command the parser knows, with its argument parser.
pub(crate) fn parsers() -> impl Iterator<Item = &'static (&'static str, ParseFn)> {
    [
        BASIC,
        stats::PARSERS,
        shape::PARSERS,
        extract::PARSERS,
        flow::PARSERS,
        series::PARSERS,
    ]
    .into_iter()
    .flatten()
}

const BASIC: &[(&str, ParseFn)] = &[
    ("search", |_, c, _| {
        Ok(CommandKind::Search(parse_search(c, &[])?))
    }),
    ("where", |_, c, _| {
        Ok(CommandKind::Where(parse_expr(c, false)?))
    }),
    ("eval", |_, c, _| {
        Ok(CommandKind::Eval(parse_assignments(c)?))
    }),
];

/// Commands firedrill recognises but does not execute, with the reason it gives.
pub const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "apply",
        "applies a Machine Learning Toolkit model, which is not available offline",
    ),
    (
        "fit",
        "trains a Machine Learning Toolkit model, which is not available offline",
    ),
    ("rest", "queries a live Splunk REST endpoint"),
    (
        "mstats",
        "reads metrics indexes, which replayed event datasets do not populate",
    ),
    (
        "mcatalog",
        "reads metrics indexes, which replayed event datasets do not populate",
    ),
    ("sendalert", "triggers alert actions"),
    (
        "datamodel",
        "the `datamodel` command is not supported yet; use tstats",
    ),
];

/// Parses the arguments of command `name` (lower-cased) at the cursor, collecting its
/// options into `opts`.
pub fn parse_args(
    name: &str,
    c: &mut Cursor<'_>,
    opts: &mut Vec<Opt>,
) -> Result<CommandKind, ParseError> {
    let Some((_, parser)) = parsers().find(|(n, _)| *n == name) else {
        let reason = match UNSUPPORTED.iter().find(|(n, _)| *n == name) {
            Some((_, r)) => format!("command `{name}` is not supported: {r}"),
            None => format!("command `{name}` is not supported by firedrill yet"),
        };
        c.pos = c.end;
        return Ok(CommandKind::Unsupported { reason });
    };
    let kind = parser(name, c, opts)?;
    // An unsupported command's arguments are not parsed, so not checked either.
    if !c.at_end() && !matches!(kind, CommandKind::Unsupported { .. }) {
        return Err(c.error(format!("unexpected text after the arguments of `{name}`")));
    }
    Ok(kind)
}

/// Collects `name=value` options at the cursor.
fn collect_options(c: &mut Cursor<'_>, opts: &mut Vec<Opt>) {
    while let Some(o) = c.opt() {
        opts.push(o);
    }
}

/// `f=expr, g=expr`.
fn parse_assignments(c: &mut Cursor<'_>) -> Result<Vec<(String, Expr)>, ParseError> {
    let mut out = Vec::new();
    loop {
        let (field, span) = c
            .field_name()
            .ok_or_else(|| c.error("expected `field=expression`"))?;
        if !c.eat('=') {
            return Err(c.error_at(span, format!("expected = after `{field}`")));
        }
        out.push((field, parse_expr(c, false)?));
        if !c.eat(',') {
            break;
        }
    }
    Ok(out)
}

/// Field names separated by spaces or commas (quoted names allowed), with options
/// anywhere among them.
fn field_list(c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<Vec<String>, ParseError> {
    let mut out = Vec::new();
    loop {
        c.skip_ws();
        if c.at_end() {
            break;
        }
        if c.eat(',') {
            continue;
        }
        if let Some(o) = c.opt() {
            opts.push(o);
            continue;
        }
        match c.field_name() {
            Some((f, _)) => out.push(f),
            None => return Err(c.error("expected a field name")),
        }
    }
    Ok(out)
}

/// A positional count (`head 5`, `dedup 2 f`, `top 3 f`), if one is next.
fn count(c: &mut Cursor<'_>) -> Result<Option<usize>, ParseError> {
    c.skip_ws();
    if !c.peek().is_some_and(|d| d.is_ascii_digit()) {
        return Ok(None);
    }
    let save = c.pos;
    match c.bare_word() {
        Some((n, span)) => match n.parse() {
            Ok(v) => Ok(Some(v)),
            // A field whose name starts with a digit.
            Err(_) if n.chars().any(|ch| ch.is_alphabetic()) => {
                c.pos = save;
                Ok(None)
            }
            Err(_) => Err(c.error_at(span, format!("expected a count, found `{n}`"))),
        },
        None => Ok(None),
    }
}
