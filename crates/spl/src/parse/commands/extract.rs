//! Commands that extract or look up fields: `rex`, `regex`, `spath`, `fromjson`, `xmlkv`, `lookup`, `inputlookup`, `outputlookup`.

use super::*;

/// The commands this module parses.
pub(super) const NAMES: &[&str] = &[
    "rex",
    "regex",
    "spath",
    "fromjson",
    "xmlkv",
    "lookup",
    "inputlookup",
    "outputlookup",
];

/// Parses the arguments of one of [`NAMES`].
pub(super) fn parse(name: &str, c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
    Ok(match name {
        "rex" => parse_rex(c)?,
        "regex" => parse_regex(c)?,
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
        "outputlookup" => {
            c.pos = c.end;
            CommandKind::Passthrough
        }
        other => return Err(c.error(format!("`{other}` is not parsed here"))),
    })
}

pub(super) fn parse_rex(c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
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

pub(super) fn parse_regex(c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
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

pub(super) fn parse_lookup(c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
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
