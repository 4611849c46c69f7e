//! `stats`, `eventstats`, `streamstats`, `tstats`, `timechart`, `top` and `rare`: aggregations.

use super::*;

/// The commands this module parses.
pub(super) const NAMES: &[&str] = &[
    "stats",
    "eventstats",
    "tstats",
    "streamstats",
    "timechart",
    "top",
    "rare",
];

/// Parses the arguments of one of [`NAMES`].
pub(super) fn parse(name: &str, c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
    Ok(match name {
        "stats" | "eventstats" => {
            skip_options(c);
            let stats = parse_stats(c, &[], &mut Vec::new())?;
            if stats.aggs.is_empty() {
                return Err(c.error(format!("`{name}` needs at least one aggregation")));
            }
            CommandKind::Stats(stats)
        }
        "tstats" => CommandKind::Tstats(parse_tstats(c)?),
        "streamstats" => {
            let (mut window, mut current) = (0usize, true);
            let mut unsupported = None;
            while let Some((k, v)) = c.option() {
                match k.to_ascii_lowercase().as_str() {
                    "window" => {
                        window = v
                            .parse()
                            .map_err(|_| c.error(format!("bad window `{v}`")))?
                    }
                    "current" => {
                        current = !matches!(v.to_ascii_lowercase().as_str(), "f" | "false" | "0")
                    }
                    "global" | "allnum" => {}
                    other => unsupported = Some(other.to_string()),
                }
            }
            if let Some(o) = unsupported {
                c.pos = c.end;
                return Ok(CommandKind::Unsupported {
                    reason: format!("`streamstats {o}=` is not supported by firedrill yet"),
                });
            }
            let stats = parse_stats(c, &[], &mut Vec::new())?;
            CommandKind::Streamstats {
                stats,
                window,
                current,
            }
        }
        "timechart" => {
            let mut opts = Vec::new();
            let stats = parse_stats(c, &[], &mut opts)?;
            let span = opts
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("span"))
                .map(|(_, v)| v.clone())
                .or(stats.span.clone());
            if !stats.by.is_empty() {
                return Ok(CommandKind::Unsupported {
                    reason: "`timechart ... by` (one column per value) is not supported by firedrill yet".into(),
                });
            }
            let size = span.as_deref().and_then(crate::exec::commands::span_size);
            match size {
                Some(span) => CommandKind::Timechart { stats, span },
                None => {
                    return Ok(CommandKind::Unsupported {
                        reason: "`timechart` without a span= is not supported by firedrill yet"
                            .into(),
                    })
                }
            }
        }
        // Writes the results to a lookup and passes them through unchanged; firedrill
        // does not write lookups, and the results are what the verdict is about.
        "top" | "rare" => {
            let mut limit = 10;
            let mut fields = Vec::new();
            let mut by = Vec::new();
            let mut in_by = false;
            loop {
                if let Some((k, v)) = c.option() {
                    if k.eq_ignore_ascii_case("limit") {
                        limit = v.parse().map_err(|_| c.error(format!("bad limit `{v}`")))?;
                    }
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
            CommandKind::Top {
                fields,
                by,
                limit,
                rare: name == "rare",
            }
        }
        other => return Err(c.error(format!("`{other}` is not parsed here"))),
    })
}

/// Aggregations and an optional `by` clause, stopping at any keyword in `stop`.
pub(super) fn parse_stats(
    c: &mut Cursor<'_>,
    stop: &[&str],
    options: &mut Vec<(String, String)>,
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
        if let Some(opt) = c.option() {
            options.push(opt);
            continue;
        }
        aggs.push(parse_agg(c)?);
    }
    let mut by = Vec::new();
    let mut span = None;
    if c.eat_keyword("by") {
        loop {
            c.skip_ws();
            if c.at_end() || stop.iter().any(|k| c.peek_keyword(k)) {
                break;
            }
            if c.eat(',') {
                continue;
            }
            if let Some((k, v)) = c.option() {
                if k.eq_ignore_ascii_case("span") {
                    span = Some(v);
                    continue;
                }
                return Err(c.error(format!("unexpected option `{k}=` in the by clause")));
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
    Ok(Stats { aggs, by, span })
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
        display = format!("{func}({})", c.text[arg_start..arg_end].trim());
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

pub(super) fn parse_tstats(c: &mut Cursor<'_>) -> Result<Tstats, ParseError> {
    let mut options = Vec::new();
    while let Some(opt) = c.option() {
        options.push(opt);
    }
    let mut stats = parse_stats(c, &["from", "where"], &mut options)?;
    let mut datamodel = None;
    if c.eat_keyword("from") {
        if let Some((k, v)) = c.option() {
            if k.eq_ignore_ascii_case("datamodel") {
                datamodel = Some(v);
            } else {
                return Err(c.error(format!("unexpected `{k}=` after FROM in tstats")));
            }
        } else if let Some((v, _)) = c.bare_word() {
            datamodel = Some(v);
        }
        while let Some(opt) = c.option() {
            options.push(opt);
        }
    }
    let filter = if c.eat_keyword("where") {
        Some(parse_search(c, &["by"])?)
    } else {
        None
    };
    let mut span = stats.span.take();
    if c.peek_keyword("by") {
        let tail = parse_stats(c, &[], &mut options)?;
        stats.by = tail.by;
        span = tail.span.or(span);
    }
    while let Some((k, v)) = c.option() {
        if k.eq_ignore_ascii_case("span") {
            span = Some(v);
        } else {
            options.push((k, v));
        }
    }
    if stats.aggs.is_empty() {
        return Err(c.error("`tstats` needs at least one aggregation"));
    }
    Ok(Tstats {
        options,
        stats,
        datamodel,
        filter,
        span,
    })
}
