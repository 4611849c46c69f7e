//! Argument parsers for each command.

mod extract;
mod flow;
mod shape;
mod stats;

use super::expr::parse_expr;
use super::search::parse_search;
use crate::ast::{Agg, CommandKind, Convert, SortKey, Stats, Tstats};
use crate::cursor::Cursor;
use crate::span::{ParseError, Span};

/// Commands firedrill recognises but does not execute, with the reason it gives.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "iplocation",
        "needs a GeoIP database, which firedrill does not have offline",
    ),
    (
        "map",
        "runs arbitrary searches per row, which firedrill does not support",
    ),
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
    (
        "from",
        "`from` (SPL2 or datamodel) is not supported in SPL searches yet",
    ),
];

/// Parses the arguments of command `name` (lower-cased) at the cursor.
pub fn parse_args(name: &str, c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
    let kind = match name {
        "search" => CommandKind::Search(parse_search(c, &[])?),
        "where" => CommandKind::Where(parse_expr(c, false)?),
        "eval" => CommandKind::Eval(parse_assignments(c)?),
        n if stats::NAMES.contains(&n) => stats::parse(n, c)?,
        n if shape::NAMES.contains(&n) => shape::parse(n, c)?,
        n if extract::NAMES.contains(&n) => extract::parse(n, c)?,
        n if flow::NAMES.contains(&n) => flow::parse(n, c)?,
        _ => {
            let reason = match UNSUPPORTED.iter().find(|(n, _)| *n == name) {
                Some((_, r)) => format!("command `{name}` is not supported: {r}"),
                None => format!("command `{name}` is not supported by firedrill yet"),
            };
            c.pos = c.end;
            return Ok(CommandKind::Unsupported { reason });
        }
    };
    // An unsupported command's arguments are not parsed, so not checked either.
    if !c.at_end() && !matches!(kind, CommandKind::Unsupported { .. }) {
        return Err(c.error(format!("unexpected text after the arguments of `{name}`")));
    }
    Ok(kind)
}

/// Skips `name=value` options (stats has a few, e.g. `allnum=t`).
fn skip_options(c: &mut Cursor<'_>) {
    while c.option().is_some() {}
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

use crate::ast::Expr;

/// Field names separated by spaces or commas (quoted names allowed).
fn field_list(c: &mut Cursor<'_>) -> Result<Vec<String>, ParseError> {
    let mut out = Vec::new();
    loop {
        c.skip_ws();
        if c.at_end() {
            break;
        }
        if c.eat(',') {
            continue;
        }
        match c.field_name() {
            Some((f, _)) => out.push(f),
            None => return Err(c.error("expected a field name")),
        }
    }
    Ok(out)
}
