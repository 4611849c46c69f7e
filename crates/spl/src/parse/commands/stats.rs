//! `stats`, `eventstats`, `streamstats`, `tstats`, `timechart`, `top` and `rare`: aggregations.

use super::*;
use crate::ast::{Agg, SeriesTest, SeriesWhere, Stats, Tstats};
use crate::span::Span;

/// The commands this module parses.
pub(super) const PARSERS: &[(&str, ParseFn)] = &[
    ("stats", aggregating),
    ("eventstats", aggregating),
    ("streamstats", aggregating),
    ("timechart", timechart),
    ("tstats", |_, c, opts| {
        Ok(CommandKind::Tstats(parse_tstats(c, opts)?))
    }),
    ("chart", chart),
    ("top", top),
    ("rare", top),
];

/// `stats`-like commands: options, aggregations, `by` fields (options may appear
/// anywhere, e.g. `streamstats count window=5` or `timechart count by f limit=10`).
fn aggregating(
    name: &str,
    c: &mut Cursor<'_>,
    opts: &mut Vec<Opt>,
) -> Result<CommandKind, ParseError> {
    let stats = parse_stats(c, &[], opts)?;
    if stats.aggs.is_empty() {
        return Err(c.error(format!("`{name}` needs at least one aggregation")));
    }
    Ok(CommandKind::Stats(stats))
}

/// `timechart aggs [BY split [WHERE …]]`, options anywhere.
fn timechart(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    let mut stats = parse_stats(c, &["where"], opts)?;
    if stats.aggs.is_empty() {
        return Err(c.error("`timechart` needs at least one aggregation"));
    }
    stats.series = series_where(c, opts)?;
    Ok(CommandKind::Stats(stats))
}

/// The where-clause of `chart`/`timechart`: `WHERE <agg> (< | >) <number>` or
/// `WHERE <agg> (in | notin) (top | bottom)<int>`, options after it.
fn series_where(
    c: &mut Cursor<'_>,
    opts: &mut Vec<Opt>,
) -> Result<Option<SeriesWhere>, ParseError> {
    c.skip_ws();
    let start = c.pos;
    if !c.eat_keyword("where") {
        return Ok(None);
    }
    let agg = parse_agg(c)?;
    let number = |c: &mut Cursor<'_>| -> Result<f64, ParseError> {
        c.bare_word()
            .and_then(|(w, _)| w.parse().ok())
            .ok_or_else(|| c.error("expected a number"))
    };
    let test = if c.eat('>') {
        SeriesTest::Above(number(c)?)
    } else if c.eat('<') {
        SeriesTest::Below(number(c)?)
    } else {
        let inside = if c.eat_keyword("in") {
            true
        } else if c.eat_keyword("notin") {
            false
        } else {
            return Err(
                c.error("expected `<`, `>`, `in` or `notin` after the where-clause's aggregation")
            );
        };
        let rank = c.bare_word().and_then(|(w, _)| {
            let w = w.to_ascii_lowercase();
            let (top, n) = match w.strip_prefix("top") {
                Some(n) => (true, n.to_string()),
                None => (false, w.strip_prefix("bottom")?.to_string()),
            };
            Some((top, n.parse().ok()?))
        });
        let (top, n) = rank.ok_or_else(|| c.error("expected topN or bottomN"))?;
        SeriesTest::Rank { top, n, inside }
    };
    let span = Span::new(start, c.pos);
    collect_options(c, opts);
    Ok(Some(SeriesWhere { agg, test, span }))
}

/// `chart aggs (OVER row [BY split] | BY row [split]) [WHERE …]`, options anywhere.
fn chart(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    let stats = parse_stats(c, &["over", "where"], opts)?;
    if stats.aggs.is_empty() {
        return Err(c.error("`chart` needs at least one aggregation"));
    }
    if stats.by.len() > 2 {
        return Err(c.error("`chart … BY` takes a row field and at most one split-by field"));
    }
    let mut by = stats.by.into_iter();
    let (row, split) = if c.eat_keyword("over") {
        let row = c
            .field_name()
            .ok_or_else(|| c.error("expected a field after `OVER`"))?
            .0;
        collect_options(c, opts);
        let split = if c.eat_keyword("by") {
            Some(
                c.field_name()
                    .ok_or_else(|| c.error("expected a field after `BY`"))?
                    .0,
            )
        } else {
            None
        };
        collect_options(c, opts);
        (Some(row), split)
    } else {
        (by.next(), by.next())
    };
    let series = series_where(c, opts)?;
    Ok(CommandKind::Chart {
        aggs: stats.aggs,
        row,
        split,
        series,
    })
}

/// `top`/`rare [N] [options] fields [by fields]`.
fn top(name: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    let count = count(c)?;
    let mut fields = Vec::new();
    let mut by = Vec::new();
    let mut in_by = false;
    loop {
        if let Some(o) = c.opt() {
            opts.push(o);
            continue;
        }
        if c.eat(',') {
            continue;
        }
        if c.eat_keyword("by") {
            in_by = true;
            continue;
        }
        match c.field_name() {
            Some((f, _)) if in_by => by.push(f),
            Some((f, _)) => fields.push(f),
            None => break,
        }
    }
    if fields.is_empty() {
        return Err(c.error(format!("`{name}` needs a field")));
    }
    Ok(CommandKind::Top { count, fields, by })
}

/// Aggregations and an optional `by` clause, stopping at any keyword in `stop`;
/// options anywhere go to `opts`.
pub(super) fn parse_stats(
    c: &mut Cursor<'_>,
    stop: &[&str],
    opts: &mut Vec<Opt>,
) -> Result<Stats, ParseError> {
    let mut aggs = Vec::new();
    loop {
        c.skip_ws();
        if c.at_end() || c.peek_keyword("by") || stop.iter().any(|k| c.peek_keyword(k)) {
            break;
        }
        if c.eat(',') {
            continue;
        }
        if let Some(o) = c.opt() {
            opts.push(o);
            continue;
        }
        aggs.push(parse_agg(c)?);
    }
    let mut by = Vec::new();
    if c.eat_keyword("by") {
        loop {
            c.skip_ws();
            if c.at_end() || stop.iter().any(|k| c.peek_keyword(k)) {
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
                Some((f, _)) => by.push(f),
                None => return Err(c.error("expected a field name after `by`")),
            }
        }
        if by.is_empty() {
            return Err(c.error("expected a field name after `by`"));
        }
    }
    Ok(Stats {
        aggs,
        by,
        series: None,
    })
}

pub(super) fn parse_agg(c: &mut Cursor<'_>) -> Result<Agg, ParseError> {
    c.skip_ws();
    let start = c.pos;
    let (func, fspan) = c
        .bare_word()
        .ok_or_else(|| c.error("expected an aggregation such as count or values(field)"))?;
    let func = func.to_ascii_lowercase();
    let mut field = None;
    let mut expr = None;
    let mut display = func.clone();
    if c.rest().starts_with('(') {
        c.pos += 1;
        c.skip_ws();
        let arg_start = c.pos;
        if c.peek_keyword("eval") {
            c.eat_keyword("eval");
            if !c.eat('(') {
                return Err(c.error("expected ( after eval"));
            }
            expr = Some(parse_expr(c, false)?);
            if !c.eat(')') {
                return Err(c.error("expected ) to close eval("));
            }
        } else {
            let (f, _) = c
                .field_name()
                .ok_or_else(|| c.error(format!("expected a field name in {func}(...)")))?;
            field = Some(f);
        }
        let arg_end = c.pos;
        if !c.eat(')') {
            return Err(c.error(format!("expected ) to close {func}(")));
        }
        // A field's output name is its name, unquoted (`perc50('visitors total')` is
        // `perc50(visitors total)`); an eval expression's is its text.
        display = match &field {
            Some(f) => format!("{func}({f})"),
            None => format!("{func}({})", c.text[arg_start..arg_end].trim()),
        };
    } else if fspan.end - fspan.start == 0 {
        return Err(c.error("expected an aggregation"));
    }
    let alias = if c.eat_keyword("as") {
        c.field_name()
            .ok_or_else(|| c.error("expected a name after AS"))?
            .0
    } else {
        display
    };
    Ok(Agg {
        func,
        field,
        expr,
        alias,
        span: Span::new(start, c.pos),
    })
}

/// `tstats [options] aggs [from datamodel=X] [where …] [by … [span=…]]`.
pub(super) fn parse_tstats(c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<Tstats, ParseError> {
    collect_options(c, opts);
    let mut stats = parse_stats(c, &["from", "where", "groupby"], opts)?;
    let mut datamodel = None;
    if c.eat_keyword("from") {
        c.skip_ws();
        let save = c.pos;
        if let Some(o) = c.opt() {
            if o.name == "datamodel" {
                datamodel = Some(o.value);
            } else {
                c.pos = save;
                return Err(c.error(format!("unexpected `{}=` after FROM in tstats", o.name)));
            }
        } else if let Some((v, _)) = c.bare_word() {
            datamodel = Some(v);
        }
        collect_options(c, opts);
    }
    let filter = if c.eat_keyword("where") {
        Some(parse_search(c, &["by", "groupby"])?)
    } else {
        None
    };
    if c.peek_keyword("by") || c.peek_keyword("groupby") {
        if !c.eat_keyword("groupby") {
            c.eat_keyword("by");
        }
        // `groupby` is tstats' synonym of `by`.
        let mut tail = Stats {
            aggs: Vec::new(),
            by: Vec::new(),
            series: None,
        };
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
                Some((f, _)) => tail.by.push(f),
                None => return Err(c.error("expected a field name after `by`")),
            }
        }
        if tail.by.is_empty() {
            return Err(c.error("expected a field name after `by`"));
        }
        stats.by = tail.by;
    }
    collect_options(c, opts);
    if stats.aggs.is_empty() {
        return Err(c.error("`tstats` needs at least one aggregation"));
    }
    Ok(Tstats {
        stats,
        datamodel,
        filter,
    })
}
