//! Commands that reshape rows: renaming, converting, selecting, sorting, filling, splitting.

use super::*;

/// The commands this module parses.
pub(super) const NAMES: &[&str] = &[
    "rename",
    "convert",
    "table",
    "fields",
    "fillnull",
    "dedup",
    "head",
    "tail",
    "sort",
    "addtotals",
    "replace",
    "bin",
    "bucket",
    "mvexpand",
    "makemv",
];

/// Parses the arguments of one of [`NAMES`].
pub(super) fn parse(name: &str, c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
    Ok(match name {
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
        other => return Err(c.error(format!("`{other}` is not parsed here"))),
    })
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

pub(super) fn parse_convert(c: &mut Cursor<'_>) -> Result<Convert, ParseError> {
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

pub(super) fn parse_sort(c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
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

pub(super) fn parse_bin(c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
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
