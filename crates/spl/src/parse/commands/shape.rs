//! Commands that reshape rows: renaming, converting, selecting, sorting, filling, splitting.

use super::*;
use crate::ast::SortKey;
use crate::span::Span;

/// The commands this module parses.
pub(super) const PARSERS: &[(&str, ParseFn)] = &[
    ("rename", |_, c, _| {
        Ok(CommandKind::Rename(parse_rename(c)?))
    }),
    ("convert", parse_convert),
    ("table", |_, c, opts| {
        Ok(CommandKind::Table(field_list(c, opts)?))
    }),
    ("fields", fields),
    ("fillnull", |_, c, opts| {
        Ok(CommandKind::Fillnull(field_list(c, opts)?))
    }),
    ("dedup", dedup),
    ("head", head),
    ("tail", head),
    ("sort", parse_sort),
    ("addtotals", |_, c, opts| {
        Ok(CommandKind::Addtotals(field_list(c, opts)?))
    }),
    ("replace", replace),
    ("bin", parse_bin),
    ("bucket", parse_bin),
    ("mvexpand", |name, c, opts| {
        Ok(CommandKind::Mvexpand(one_field(name, c, opts)?))
    }),
    ("makemv", |name, c, opts| {
        Ok(CommandKind::Makemv(one_field(name, c, opts)?))
    }),
];

fn fields(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    let remove = if c.eat('-') {
        true
    } else {
        c.eat('+');
        false
    };
    Ok(CommandKind::Fields {
        remove,
        fields: field_list(c, opts)?,
    })
}

fn dedup(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    let count = count(c)?;
    let mut fields = Vec::new();
    let mut sortby = Vec::new();
    loop {
        if let Some(o) = c.opt() {
            opts.push(o);
            continue;
        }
        if c.eat_keyword("sortby") {
            sortby = sort_keys(c)?;
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
    Ok(CommandKind::Dedup {
        count,
        fields,
        sortby,
    })
}

fn head(name: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    collect_options(c, opts);
    let n = count(c)?;
    collect_options(c, opts);
    if !c.at_end() && n.is_none() && name == "head" {
        // `head (x<100)`, `head count<5 keeplast=true`: an eval expression, up to the
        // options that may follow it.
        let end = head_options_start(c);
        let mut e = Cursor::new(c.text, c.pos, end);
        let expr = parse_expr(&mut e, false)?;
        e.skip_ws();
        if !e.at_end() {
            return Err(e.error("unexpected text after the `head` expression"));
        }
        c.pos = end;
        collect_options(c, opts);
        return Ok(CommandKind::HeadWhile(expr));
    }
    if !c.at_end() && n.is_none() {
        return Err(c.error(format!("`{name}` expects a number or options")));
    }
    Ok(CommandKind::Head(n))
}

/// Where the trailing `limit=`/`null=`/`keeplast=` options of `head` start (the end of
/// its expression), outside parentheses and quotes.
fn head_options_start(c: &Cursor<'_>) -> usize {
    let text = &c.text[..c.end];
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, c.pos);
    while i < c.end {
        match bytes[i] {
            b'"' => {
                // `skip_quoted` stops on the closing quote.
                i = crate::cursor::skip_quoted(bytes, i, c.end) + 1;
                continue;
            }
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b' ' | b'\t' | b'\n' if depth == 0 => {
                let rest = text[i..].trim_start().to_ascii_lowercase();
                if ["limit=", "null=", "keeplast="]
                    .iter()
                    .any(|o| rest.starts_with(o))
                {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    c.end
}

fn replace(_: &str, c: &mut Cursor<'_>, _: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
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
        field_list(c, &mut Vec::new())?
    } else {
        Vec::new()
    };
    Ok(CommandKind::Replace { pairs, fields })
}

/// Exactly one field, with options around it (`mvexpand f limit=5`, `makemv delim=","
/// f`).
fn one_field(name: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<String, ParseError> {
    let mut field = None;
    loop {
        if let Some(o) = c.opt() {
            opts.push(o);
            continue;
        }
        c.skip_ws();
        if c.at_end() {
            break;
        }
        match c.field_name() {
            Some((f, span)) if field.is_none() => field = Some(f).filter(|_| span.end > span.start),
            Some((f, span)) => {
                return Err(c.error_at(
                    span,
                    format!("`{name}` takes one field, found a second: `{f}`"),
                ))
            }
            None => return Err(c.error(format!("expected a field or an option in `{name}`"))),
        }
    }
    field.ok_or_else(|| c.error(format!("`{name}` needs a field")))
}

pub(super) fn parse_rename(c: &mut Cursor<'_>) -> Result<Vec<(String, String)>, ParseError> {
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

fn parse_convert(
    _: &str,
    c: &mut Cursor<'_>,
    opts: &mut Vec<Opt>,
) -> Result<CommandKind, ParseError> {
    let mut items = Vec::new();
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
    Ok(CommandKind::Convert(items))
}

fn parse_sort(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    collect_options(c, opts);
    let count = count(c)?;
    let keys = sort_keys(c)?;
    Ok(CommandKind::Sort { count, keys })
}

/// `[+|-]f`, `-str(f)`, `f desc` … up to the end of the command.
fn sort_keys(c: &mut Cursor<'_>) -> Result<Vec<SortKey>, ParseError> {
    let mut keys: Vec<SortKey> = Vec::new();
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
                k.desc = !k.desc;
            }
            continue;
        }
        let start = c.pos;
        let word = match c.peek() {
            Some('"' | '\'') => c.field_name(),
            _ => c.bare_word(),
        };
        let (mut f, _) = word.ok_or_else(|| c.error("expected a sort field"))?;
        let mut func = None;
        if c.rest().starts_with('(') {
            c.pos += 1;
            func = Some(f.to_ascii_lowercase());
            f = c.field_name().ok_or_else(|| c.error("expected a field"))?.0;
            if !c.eat(')') {
                return Err(c.error("expected )"));
            }
        }
        keys.push(SortKey {
            field: f,
            desc: pending_desc.take().unwrap_or(false),
            func,
            span: Span::new(start, c.pos),
        });
    }
    Ok(keys)
}

fn parse_bin(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    let mut field = None;
    let mut alias = None;
    loop {
        c.skip_ws();
        if c.at_end() {
            break;
        }
        if let Some(o) = c.opt() {
            opts.push(o);
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
    Ok(CommandKind::Bin { field, alias })
}
