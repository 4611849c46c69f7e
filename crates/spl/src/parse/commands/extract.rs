//! Commands that extract or look up fields: `rex`, `regex`, `spath`, `fromjson`,
//! `xmlkv`, `iplocation`, `lookup`, `inputlookup`, `outputlookup`.

use super::*;

/// The commands this module parses.
pub(super) const PARSERS: &[(&str, ParseFn)] = &[
    ("rex", parse_rex),
    ("regex", parse_regex),
    ("spath", spath),
    ("fromjson", fromjson),
    ("xmlkv", xmlkv),
    ("iplocation", iplocation),
    ("extract", extract),
    ("kv", extract),
    ("format", format),
    ("lookup", parse_lookup),
    ("inputlookup", inputlookup),
    ("from", parse_from),
    ("makeresults", |_, c, opts| {
        collect_options(c, opts);
        Ok(CommandKind::Makeresults)
    }),
    ("outputlookup", |_, c, _| {
        // Writes the results to a lookup and passes them through unchanged; firedrill
        // does not write lookups, and the results are what the verdict is about.
        c.pos = c.end;
        Ok(CommandKind::Outputlookup)
    }),
];

fn spath(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    let mut path = None;
    loop {
        if let Some(o) = c.opt() {
            opts.push(o);
            continue;
        }
        match c.field_name() {
            Some((p, _)) => path = Some(p),
            None => break,
        }
    }
    Ok(CommandKind::Spath(path))
}

fn fromjson(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    collect_options(c, opts);
    let f = c
        .field_name()
        .ok_or_else(|| c.error("`fromjson` needs a field"))?
        .0;
    collect_options(c, opts);
    Ok(CommandKind::Fromjson(f))
}

fn xmlkv(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    collect_options(c, opts);
    let field = if c.at_end() {
        None
    } else {
        c.field_name().map(|f| f.0)
    };
    collect_options(c, opts);
    Ok(CommandKind::Xmlkv(field))
}

fn iplocation(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    collect_options(c, opts);
    let f = c
        .field_name()
        .ok_or_else(|| c.error("`iplocation` needs the field that holds the IP address"))?
        .0;
    collect_options(c, opts);
    Ok(CommandKind::Iplocation(f))
}

fn extract(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    let mut names = Vec::new();
    loop {
        if let Some(o) = c.opt() {
            opts.push(o);
        } else if c.eat(',') {
            // `pairdelim="|;", kvdelim="=:"`, as the Search Reference writes it.
        } else if let Some((n, _)) = c.field_name() {
            names.push(n);
        } else {
            break;
        }
    }
    Ok(CommandKind::Extract(names))
}

fn format(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    let mut strings = Vec::new();
    loop {
        c.skip_ws();
        if let Some(o) = c.opt() {
            opts.push(o);
        } else if matches!(c.peek(), Some('"' | '\'')) {
            strings.push(c.quoted()?);
        } else if let Some(w) = c.bare_word() {
            strings.push(w);
        } else {
            break;
        }
    }
    Ok(CommandKind::Format(strings))
}

fn inputlookup(
    _: &str,
    c: &mut Cursor<'_>,
    opts: &mut Vec<Opt>,
) -> Result<CommandKind, ParseError> {
    let mut name = None;
    loop {
        if let Some(o) = c.opt() {
            opts.push(o);
            continue;
        }
        if c.peek_keyword("where") {
            c.pos = c.end;
            return Ok(CommandKind::Unsupported {
                reason: "`inputlookup ... where` is not supported by firedrill yet".into(),
            });
        }
        match c.field_name() {
            Some((n, _)) => name = Some(n),
            None => break,
        }
    }
    Ok(CommandKind::Inputlookup(name.ok_or_else(|| {
        c.error("`inputlookup` needs a lookup name")
    })?))
}

/// `from datamodel:"Model.Dataset"`, `from datamodel:Model.Dataset` or `from
/// datamodel Model.Dataset`; the other datasets `from` reads (lookups, saved searches,
/// inputlookup) are reported unsupported.
fn parse_from(_: &str, c: &mut Cursor<'_>, _: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    c.skip_ws();
    let rest = c.rest().to_string();
    let lower = rest.to_ascii_lowercase();
    let Some(after) = lower.strip_prefix("datamodel") else {
        c.pos = c.end;
        let kind = rest.split([':', ' ']).next().unwrap_or("").to_string();
        return Ok(CommandKind::Unsupported {
            reason: format!(
                "`from {kind}` is not supported by firedrill yet (only `from datamodel`)"
            ),
        });
    };
    let skip = rest.len() - after.trim_start_matches([':', ' ', '\t']).len();
    c.pos += skip;
    let name = if c.peek() == Some('"') {
        c.quoted()?.0
    } else {
        match c.field_name() {
            Some((n, _)) => n,
            None => return Err(c.error("`from datamodel` needs a data model dataset name")),
        }
    };
    Ok(CommandKind::FromDataModel(name))
}

fn parse_rex(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
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
        match c.opt() {
            Some(o) => opts.push(o),
            None => return Err(c.error("expected a quoted regular expression or an option")),
        }
    }
    let pattern = pattern.ok_or_else(|| c.error("`rex` needs a quoted regular expression"))?;
    Ok(CommandKind::Rex(pattern))
}

fn parse_regex(_: &str, c: &mut Cursor<'_>, _: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
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

fn parse_lookup(
    _: &str,
    c: &mut Cursor<'_>,
    opts: &mut Vec<Opt>,
) -> Result<CommandKind, ParseError> {
    collect_options(c, opts);
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
