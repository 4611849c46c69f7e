//! Argument parsers for each command.

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
        "stats" | "eventstats" => {
            skip_options(c);
            let stats = parse_stats(c, &[], &mut Vec::new())?;
            if stats.aggs.is_empty() {
                return Err(c.error(format!("`{name}` needs at least one aggregation")));
            }
            CommandKind::Stats(stats)
        }
        "tstats" => CommandKind::Tstats(parse_tstats(c)?),
        "rename" => CommandKind::Rename(parse_rename(c)?),
        "convert" => CommandKind::Convert(parse_convert(c)?),
        "table" => CommandKind::Table(field_list(c)?),
        "fields" => {
            let remove = if c.eat('-') {
                true
            } else {
                c.eat('+');
                false
            };
            CommandKind::Fields {
                remove,
                fields: field_list(c)?,
            }
        }
        "fillnull" => {
            let mut value = "0".to_string();
            while let Some((k, v)) = c.option() {
                if k.eq_ignore_ascii_case("value") {
                    value = v;
                }
            }
            CommandKind::Fillnull {
                value,
                fields: field_list(c)?,
            }
        }
        "dedup" => {
            let mut count = 1;
            c.skip_ws();
            if c.peek().is_some_and(|d| d.is_ascii_digit()) {
                if let Some((n, _)) = c.bare_word() {
                    count = n.parse().unwrap_or(1);
                }
            }
            let mut fields = Vec::new();
            loop {
                if c.option().is_some() {
                    continue;
                }
                if c.eat_keyword("sortby") {
                    while c.field_name().is_some() {}
                    break;
                }
                match c.field_name() {
                    Some((f, _)) => fields.push(f),
                    None if c.eat(',') => continue,
                    None => break,
                }
            }
            if fields.is_empty() {
                return Err(c.error("`dedup` needs at least one field"));
            }
            CommandKind::Dedup { count, fields }
        }
        "head" | "tail" => {
            let mut count = 10;
            if let Some((k, v)) = c.option() {
                if k.eq_ignore_ascii_case("limit") {
                    count = v.parse().map_err(|_| c.error(format!("bad limit `{v}`")))?;
                }
            } else if let Some((n, span)) = c.bare_word() {
                count = n.parse().map_err(|_| {
                    c.error_at(span, format!("`{name}` expects a number, found `{n}`"))
                })?;
            }
            CommandKind::Head {
                count,
                from_end: name == "tail",
            }
        }
        "sort" => parse_sort(c)?,
        "rex" => parse_rex(c)?,
        "transaction" => parse_transaction(c)?,
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
        "outputlookup" => {
            c.pos = c.end;
            CommandKind::Passthrough
        }
        "lookup" => parse_lookup(c)?,
        "inputlookup" => {
            let mut name = None;
            loop {
                if let Some((k, _)) = c.option() {
                    if !matches!(k.to_ascii_lowercase().as_str(), "append" | "start" | "max") {
                        return Ok(CommandKind::Unsupported {
                            reason: format!("`inputlookup {k}=` is not supported by firedrill yet"),
                        });
                    }
                    continue;
                }
                if c.peek_keyword("where") {
                    return Ok(CommandKind::Unsupported {
                        reason: "`inputlookup ... where` is not supported by firedrill yet".into(),
                    });
                }
                match c.field_name() {
                    Some((n, _)) => name = Some(n),
                    None => break,
                }
            }
            CommandKind::Inputlookup(
                name.ok_or_else(|| c.error("`inputlookup` needs a lookup name"))?,
            )
        }
        "spath" => {
            let (mut input, mut path, mut output) = ("_raw".to_string(), None, None);
            loop {
                if let Some((k, v)) = c.option() {
                    match k.to_ascii_lowercase().as_str() {
                        "input" => input = v,
                        "output" => output = Some(v),
                        "path" => path = Some(v),
                        _ => {}
                    }
                    continue;
                }
                match c.field_name() {
                    Some((p, _)) => path = Some(p),
                    None => break,
                }
            }
            CommandKind::Spath {
                input,
                path,
                output,
            }
        }
        "fromjson" => {
            let f = c
                .field_name()
                .ok_or_else(|| c.error("`fromjson` needs a field"))?
                .0;
            skip_options(c);
            CommandKind::Fromjson(f)
        }
        "xmlkv" => {
            skip_options(c);
            if !c.at_end() {
                c.field_name();
            }
            CommandKind::Xmlkv
        }
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
        "addtotals" => {
            let mut field_name = "Total".to_string();
            while let Some((k, v)) = c.option() {
                match k.to_ascii_lowercase().as_str() {
                    "fieldname" => field_name = v,
                    "col" if matches!(v.as_str(), "t" | "true") => {
                        return Ok(CommandKind::Unsupported {
                            reason: "`addtotals col=true` is not supported by firedrill yet".into(),
                        })
                    }
                    _ => {}
                }
            }
            CommandKind::Addtotals {
                fields: field_list(c)?,
                name: field_name,
            }
        }
        "replace" => {
            let mut pairs = Vec::new();
            loop {
                c.skip_ws();
                if c.eat(',') {
                    continue;
                }
                if c.peek_keyword("IN") || c.at_end() {
                    break;
                }
                let old = c
                    .option_value()
                    .ok_or_else(|| c.error("expected a value to replace"))?
                    .0;
                if !c.eat_keyword("WITH") {
                    return Err(c.error("expected WITH in `replace`"));
                }
                let new = c
                    .option_value()
                    .ok_or_else(|| c.error("expected a value after WITH"))?
                    .0;
                pairs.push((old, new));
            }
            let fields = if c.eat_keyword("IN") {
                field_list(c)?
            } else {
                Vec::new()
            };
            CommandKind::Replace { pairs, fields }
        }
        "foreach" => {
            let mut patterns = Vec::new();
            loop {
                c.skip_ws();
                if c.peek() == Some('[') || c.at_end() {
                    break;
                }
                if let Some((k, _)) = c.option() {
                    return Ok(CommandKind::Unsupported {
                        reason: format!("`foreach {k}=` is not supported by firedrill yet"),
                    });
                }
                match c.field_name() {
                    Some((f, _)) => patterns.push(f),
                    None => return Err(c.error("expected field patterns or a [template]")),
                }
            }
            c.skip_ws();
            let open = c.pos;
            let close = super::search::matching_bracket(c.text, open, c.end)
                .ok_or_else(|| c.error("`foreach` needs a [template]"))?;
            let template = c.text[open + 1..close].to_string();
            // Check the template parses with a sample substitution.
            let sample = template
                .replace("<<FIELD>>", "x")
                .replace("<<MATCHSTR>>", "x");
            super::parse_subpipeline(&sample, 0, sample.len()).map_err(|mut e| {
                e.message = format!("in the `foreach` template: {}", e.message);
                e.span = Span::new(open, close + 1);
                e.text = c.text.to_string();
                e
            })?;
            c.pos = close + 1;
            CommandKind::Foreach { patterns, template }
        }
        "append" => {
            skip_options(c);
            CommandKind::Append(Box::new(bracketed(c, true)?))
        }
        "appendpipe" => {
            skip_options(c);
            CommandKind::Appendpipe(Box::new(bracketed(c, false)?))
        }
        "join" => {
            let mut left = false;
            let mut max = 1;
            let mut fields = Vec::new();
            loop {
                c.skip_ws();
                if c.peek() == Some('[') || c.at_end() {
                    break;
                }
                if let Some((k, v)) = c.option() {
                    match k.to_ascii_lowercase().as_str() {
                        "type" => {
                            left = matches!(v.to_ascii_lowercase().as_str(), "left" | "outer")
                        }
                        "max" => max = v.parse().map_err(|_| c.error(format!("bad max `{v}`")))?,
                        _ => {}
                    }
                    continue;
                }
                if c.eat(',') {
                    continue;
                }
                match c.field_name() {
                    Some((f, _)) => fields.push(f),
                    None => return Err(c.error("expected join fields or a [subsearch]")),
                }
            }
            if fields.is_empty() {
                return Ok(CommandKind::Unsupported {
                    reason: "`join` without join fields is not supported by firedrill yet".into(),
                });
            }
            let sub = Box::new(bracketed(c, true)?);
            CommandKind::Join {
                fields,
                left,
                max,
                sub,
            }
        }
        "regex" => parse_regex(c)?,
        "bin" | "bucket" => parse_bin(c)?,
        "mvexpand" => {
            let mut limit = 0;
            let mut field = None;
            loop {
                if let Some((k, v)) = c.option() {
                    if k.eq_ignore_ascii_case("limit") {
                        limit = v.parse().map_err(|_| c.error(format!("bad limit `{v}`")))?;
                    }
                    continue;
                }
                match c.field_name() {
                    Some((f, _)) => field = Some(f),
                    None => break,
                }
            }
            let field = field.ok_or_else(|| c.error("`mvexpand` needs a field"))?;
            CommandKind::Mvexpand { field, limit }
        }
        "makemv" => {
            let mut delim = " ".to_string();
            let mut field = None;
            loop {
                if let Some((k, v)) = c.option() {
                    match k.to_ascii_lowercase().as_str() {
                        "delim" => delim = v,
                        "allowempty" | "setsv" => {}
                        other => {
                            return Ok(CommandKind::Unsupported {
                                reason: format!(
                                    "`makemv {other}=` is not supported by firedrill yet"
                                ),
                            })
                        }
                    }
                    continue;
                }
                match c.field_name() {
                    Some((f, _)) => field = Some(f),
                    None => break,
                }
            }
            let field = field.ok_or_else(|| c.error("`makemv` needs a field"))?;
            CommandKind::Makemv { field, delim }
        }
        _ => {
            let reason = match UNSUPPORTED.iter().find(|(n, _)| *n == name) {
                Some((_, r)) => format!("command `{name}` is not supported: {r}"),
                None => format!("command `{name}` is not supported by firedrill yet"),
            };
            c.pos = c.end;
            return Ok(CommandKind::Unsupported { reason });
        }
    };
    if !c.at_end() {
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

/// Aggregations and an optional `by` clause, stopping at any keyword in `stop`.
fn parse_stats(
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

fn parse_agg(c: &mut Cursor<'_>) -> Result<Agg, ParseError> {
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

fn parse_tstats(c: &mut Cursor<'_>) -> Result<Tstats, ParseError> {
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

fn parse_rename(c: &mut Cursor<'_>) -> Result<Vec<(String, String)>, ParseError> {
    let mut out = Vec::new();
    loop {
        c.skip_ws();
        if c.at_end() {
            break;
        }
        if c.eat(',') {
            continue;
        }
        let (from, span) = c
            .field_name()
            .ok_or_else(|| c.error("expected `field AS newname`"))?;
        if !c.eat_keyword("as") {
            return Err(c.error_at(span, format!("expected AS after `{from}` in rename")));
        }
        let (to, _) = c
            .field_name()
            .ok_or_else(|| c.error("expected a new name after AS"))?;
        out.push((from, to));
    }
    if out.is_empty() {
        return Err(c.error("`rename` needs `field AS newname`"));
    }
    Ok(out)
}

fn parse_convert(c: &mut Cursor<'_>) -> Result<Convert, ParseError> {
    let mut timeformat = None;
    let mut items = Vec::new();
    loop {
        c.skip_ws();
        if c.at_end() {
            break;
        }
        if c.eat(',') {
            continue;
        }
        if let Some((k, v)) = c.option() {
            if k.eq_ignore_ascii_case("timeformat") {
                timeformat = Some(v);
            }
            continue;
        }
        let (func, span) = c
            .bare_word()
            .ok_or_else(|| c.error("expected a conversion such as ctime(field)"))?;
        if !c.eat('(') {
            return Err(c.error_at(span, format!("expected ( after `{func}` in convert")));
        }
        let (field, _) = c
            .field_name()
            .ok_or_else(|| c.error("expected a field name"))?;
        if !c.eat(')') {
            return Err(c.error(format!("expected ) to close {func}(")));
        }
        let alias = if c.eat_keyword("as") {
            Some(
                c.field_name()
                    .ok_or_else(|| c.error("expected a name after AS"))?
                    .0,
            )
        } else {
            None
        };
        items.push((func.to_ascii_lowercase(), field, alias));
    }
    Ok(Convert { timeformat, items })
}

fn parse_sort(c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
    let mut limit = 10000;
    c.skip_ws();
    if let Some((k, v)) = c.option() {
        if k.eq_ignore_ascii_case("limit") {
            limit = v.parse().map_err(|_| c.error(format!("bad limit `{v}`")))?;
        }
    } else if c.peek().is_some_and(|d| d.is_ascii_digit()) {
        if let Some((n, span)) = c.bare_word() {
            limit = n
                .parse()
                .map_err(|_| c.error_at(span, format!("bad sort count `{n}`")))?;
        }
    }
    let mut keys = Vec::new();
    let mut pending_desc = None;
    loop {
        c.skip_ws();
        if c.at_end() {
            break;
        }
        if c.eat(',') {
            continue;
        }
        if c.eat('-') {
            pending_desc = Some(true);
            continue;
        }
        if c.eat('+') {
            pending_desc = Some(false);
            continue;
        }
        if c.eat_keyword("desc") || c.eat_keyword("d") {
            for k in keys.iter_mut() {
                let k: &mut SortKey = k;
                k.desc = !k.desc;
            }
            continue;
        }
        let (mut f, _) = c
            .field_name()
            .ok_or_else(|| c.error("expected a sort field"))?;
        if c.eat('(') {
            f = c.field_name().ok_or_else(|| c.error("expected a field"))?.0;
            if !c.eat(')') {
                return Err(c.error("expected )"));
            }
        }
        keys.push(SortKey {
            field: f,
            desc: pending_desc.take().unwrap_or(false),
        });
    }
    Ok(CommandKind::Sort { limit, keys })
}

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

fn parse_rex(c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
    let mut field = "_raw".to_string();
    let mut max_match = 1;
    let mut sed = false;
    let mut pattern = None;
    loop {
        c.skip_ws();
        if c.at_end() {
            break;
        }
        if c.peek() == Some('"') {
            pattern = Some(c.quoted()?.0);
            continue;
        }
        match c.option() {
            Some((k, v)) => match k.to_ascii_lowercase().as_str() {
                "field" => field = v,
                "max_match" => {
                    max_match = v
                        .parse()
                        .map_err(|_| c.error(format!("bad max_match `{v}`")))?;
                }
                "mode" => sed = v.eq_ignore_ascii_case("sed"),
                "offset_field" => {
                    return Ok(CommandKind::Unsupported {
                        reason: "`rex offset_field=` is not supported by firedrill yet".into(),
                    })
                }
                _ => {}
            },
            None => return Err(c.error("expected a quoted regular expression or an option")),
        }
    }
    let pattern = pattern.ok_or_else(|| c.error("`rex` needs a quoted regular expression"))?;
    Ok(CommandKind::Rex {
        field,
        pattern,
        max_match,
        sed,
    })
}

fn parse_regex(c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
    c.skip_ws();
    if c.peek() == Some('"') {
        let pattern = c.quoted()?.0;
        return Ok(CommandKind::Regex {
            field: "_raw".into(),
            pattern,
            negate: false,
        });
    }
    let (field, span) = c
        .bare_word()
        .ok_or_else(|| c.error("expected `field=\"regex\"` or a quoted regex"))?;
    let negate = if c.eat_str("!=") {
        true
    } else if c.eat('=') {
        false
    } else {
        return Err(c.error_at(span, "expected = or != after the field in `regex`"));
    };
    c.skip_ws();
    let pattern = if c.peek() == Some('"') {
        c.quoted()?.0
    } else {
        c.option_value().map(|v| v.0).unwrap_or_default()
    };
    Ok(CommandKind::Regex {
        field,
        pattern,
        negate,
    })
}

fn parse_bin(c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
    let mut span = None;
    let mut field = None;
    let mut alias = None;
    loop {
        c.skip_ws();
        if c.at_end() {
            break;
        }
        if let Some((k, v)) = c.option() {
            match k.to_ascii_lowercase().as_str() {
                "span" => span = Some(v),
                other => {
                    return Ok(CommandKind::Unsupported {
                        reason: format!(
                            "`bin {other}=` is not supported by firedrill yet (only span=)"
                        ),
                    })
                }
            }
            continue;
        }
        if c.eat_keyword("as") {
            alias = c.field_name().map(|f| f.0);
            continue;
        }
        match c.field_name() {
            Some((f, _)) => field = Some(f),
            None => return Err(c.error("expected a field or span=")),
        }
    }
    let field = field.ok_or_else(|| c.error("`bin` needs a field"))?;
    let span = match span {
        Some(s) => s,
        None => {
            return Ok(CommandKind::Unsupported {
                reason: "`bin` without span= (automatic bins) is not supported by firedrill yet"
                    .into(),
            })
        }
    };
    Ok(CommandKind::Bin { field, span, alias })
}

/// A `[ ... ]` subsearch at the cursor; `generating` is false for `appendpipe`, whose
/// commands run over the current results.
fn bracketed(c: &mut Cursor<'_>, generating: bool) -> Result<crate::ast::Pipeline, ParseError> {
    c.skip_ws();
    if c.peek() != Some('[') {
        return Err(c.error("expected a [subsearch]"));
    }
    let open = c.pos;
    let close = super::search::matching_bracket(c.text, open, c.end)
        .ok_or_else(|| c.error("unterminated subsearch: missing ]"))?;
    let p = if generating {
        super::parse_range(c.text, open + 1, close)?
    } else {
        super::parse_subpipeline(c.text, open + 1, close)?
    };
    c.pos = close + 1;
    Ok(p)
}

fn parse_lookup(c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
    while c.option().is_some() {}
    let table = c
        .field_name()
        .ok_or_else(|| c.error("`lookup` needs a lookup name"))?
        .0;
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    let mut output_new = false;
    let mut in_outputs = false;
    loop {
        c.skip_ws();
        if c.at_end() {
            break;
        }
        if c.eat(',') {
            continue;
        }
        if c.eat_keyword("OUTPUTNEW") {
            output_new = true;
            in_outputs = true;
            continue;
        }
        if c.eat_keyword("OUTPUT") {
            in_outputs = true;
            continue;
        }
        let (col, _) = c
            .field_name()
            .ok_or_else(|| c.error("expected a lookup field"))?;
        let field = if c.eat_keyword("as") {
            c.field_name()
                .ok_or_else(|| c.error("expected a field after AS"))?
                .0
        } else {
            col.clone()
        };
        if in_outputs {
            outputs.push((col, field));
        } else {
            inputs.push((col, field));
        }
    }
    if inputs.is_empty() {
        return Err(c.error("`lookup` needs at least one field to match on"));
    }
    Ok(CommandKind::Lookup(crate::exec::lookup::LookupSpec {
        table,
        inputs,
        outputs,
        output_new,
    }))
}

fn parse_transaction(c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
    let mut t = crate::ast::Transaction {
        fields: Vec::new(),
        maxspan: None,
        maxpause: None,
        startswith: None,
        endswith: None,
    };
    loop {
        c.skip_ws();
        if c.at_end() {
            break;
        }
        if c.eat(',') {
            continue;
        }
        let save = c.pos;
        if let Some((name, _)) = c.bare_word() {
            if c.rest().starts_with('=') {
                c.pos += 1;
                let lname = name.to_ascii_lowercase();
                if lname == "startswith" || lname == "endswith" {
                    let expr = boundary(c)?;
                    if lname == "startswith" {
                        t.startswith = Some(expr);
                    } else {
                        t.endswith = Some(expr);
                    }
                    continue;
                }
                let (v, _) = c
                    .option_value()
                    .ok_or_else(|| c.error(format!("expected a value for {name}=")))?;
                match lname.as_str() {
                    "maxspan" | "maxpause" => {
                        let secs = crate::exec::commands::span_size(&v)
                            .ok_or_else(|| c.error(format!("bad {name} `{v}`")))?;
                        if lname == "maxspan" {
                            t.maxspan = Some(secs);
                        } else {
                            t.maxpause = Some(secs);
                        }
                    }
                    "connected" | "keepevicted" | "mvlist" | "delim" | "keeporphans"
                    | "maxevents" => {}
                    other => {
                        c.pos = c.end;
                        return Ok(CommandKind::Unsupported {
                            reason: format!(
                                "`transaction {other}=` is not supported by firedrill yet"
                            ),
                        });
                    }
                }
                continue;
            }
            c.pos = save;
        }
        match c.field_name() {
            Some((f, _)) => t.fields.push(f),
            None => return Err(c.error("expected transaction fields or options")),
        }
    }
    if t.fields.is_empty() {
        return Ok(CommandKind::Unsupported {
            reason: "`transaction` without fields is not supported by firedrill yet".into(),
        });
    }
    Ok(CommandKind::Transaction(t))
}

/// `startswith=(search terms)` or `startswith="search terms"`.
fn boundary(c: &mut Cursor<'_>) -> Result<crate::ast::SearchExpr, ParseError> {
    c.skip_ws();
    match c.peek() {
        Some('(') => {
            let open = c.pos;
            let mut depth = 0usize;
            let bytes = c.text.as_bytes();
            let mut i = open;
            while i < c.end {
                match bytes[i] {
                    b'"' => i = crate::cursor::skip_quoted(bytes, i, c.end),
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            if i >= c.end {
                return Err(c.error("unclosed ( in startswith/endswith"));
            }
            let mut inner = Cursor::new(c.text, open + 1, i);
            let e = parse_search(&mut inner, &[])?;
            c.pos = i + 1;
            Ok(e)
        }
        Some('"') => {
            let (s, _) = c.quoted()?;
            let mut inner = Cursor::new(&s, 0, s.len());
            parse_search(&mut inner, &[]).map_err(|mut e| {
                e.text = c.text.to_string();
                e.span = Span::new(c.pos, c.pos);
                e
            })
        }
        _ => {
            Err(c.error("expected (search terms) or \"search terms\" after startswith=/endswith="))
        }
    }
}
