//! Commands that combine searches or events: subsearches, `join`, `append`, `appendpipe`, `foreach`, `transaction`.

use super::*;

/// The commands this module parses.
pub(super) const NAMES: &[&str] = &["transaction", "foreach", "append", "appendpipe", "join"];

/// Parses the arguments of one of [`NAMES`].
pub(super) fn parse(name: &str, c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
    Ok(match name {
        "transaction" => parse_transaction(c)?,
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
            let close = crate::parse::search::matching_bracket(c.text, open, c.end)
                .ok_or_else(|| c.error("`foreach` needs a [template]"))?;
            let template = c.text[open + 1..close].to_string();
            // Check the template parses with a sample substitution.
            let sample = template
                .replace("<<FIELD>>", "x")
                .replace("<<MATCHSTR>>", "x");
            crate::parse::parse_subpipeline(&sample, 0, sample.len()).map_err(|mut e| {
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
        other => return Err(c.error(format!("`{other}` is not parsed here"))),
    })
}

/// A `[ ... ]` subsearch at the cursor; `generating` is false for `appendpipe`, whose
/// commands run over the current results.
pub(super) fn bracketed(
    c: &mut Cursor<'_>,
    generating: bool,
) -> Result<crate::ast::Pipeline, ParseError> {
    c.skip_ws();
    if c.peek() != Some('[') {
        return Err(c.error("expected a [subsearch]"));
    }
    let open = c.pos;
    let close = crate::parse::search::matching_bracket(c.text, open, c.end)
        .ok_or_else(|| c.error("unterminated subsearch: missing ]"))?;
    let p = if generating {
        crate::parse::parse_range(c.text, open + 1, close)?
    } else {
        crate::parse::parse_subpipeline(c.text, open + 1, close)?
    };
    c.pos = close + 1;
    Ok(p)
}

pub(super) fn parse_transaction(c: &mut Cursor<'_>) -> Result<CommandKind, ParseError> {
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
pub(super) fn boundary(c: &mut Cursor<'_>) -> Result<crate::ast::SearchExpr, ParseError> {
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
