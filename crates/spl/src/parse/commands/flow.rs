//! Commands that combine searches or events: subsearches, `join`, `append`, `appendpipe`, `foreach`, `transaction`.

use super::*;
use crate::span::Span;

/// The commands this module parses.
pub(super) const PARSERS: &[(&str, ParseFn)] = &[
    ("transaction", parse_transaction),
    ("foreach", foreach),
    ("append", |_, c, opts| {
        collect_options(c, opts);
        Ok(CommandKind::Append(Box::new(bracketed(c, true)?)))
    }),
    ("appendpipe", |_, c, opts| {
        collect_options(c, opts);
        Ok(CommandKind::Appendpipe(Box::new(bracketed(c, false)?)))
    }),
    ("join", join),
    ("map", |_, c, opts| {
        collect_options(c, opts);
        c.skip_ws();
        if c.peek() == Some('[') {
            c.pos = c.end;
            return Ok(CommandKind::Unsupported {
                reason:
                    "`map [subsearch]` is not supported by firedrill yet; use `map search=\"…\"`"
                        .into(),
            });
        }
        Ok(CommandKind::Map)
    }),
];

fn foreach(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    let mut patterns = Vec::new();
    loop {
        c.skip_ws();
        if c.peek() == Some('[') || c.at_end() {
            break;
        }
        if let Some(o) = c.opt() {
            opts.push(o);
            continue;
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
    Ok(CommandKind::Foreach { patterns, template })
}

fn join(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    let mut fields = Vec::new();
    loop {
        c.skip_ws();
        if c.peek() == Some('[') || c.at_end() {
            break;
        }
        if let Some(o) = c.opt() {
            opts.push(o);
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
    let sub = Box::new(bracketed(c, true)?);
    Ok(CommandKind::Join { fields, sub })
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

fn parse_transaction(
    _: &str,
    c: &mut Cursor<'_>,
    opts: &mut Vec<Opt>,
) -> Result<CommandKind, ParseError> {
    let mut t = crate::ast::Transaction {
        fields: Vec::new(),
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
            let lname = name.to_ascii_lowercase();
            if c.rest().starts_with('=') && (lname == "startswith" || lname == "endswith") {
                c.pos += 1;
                let expr = boundary(c)?;
                if lname == "startswith" {
                    t.startswith = Some(expr);
                } else {
                    t.endswith = Some(expr);
                }
                continue;
            }
            c.pos = save;
        }
        if let Some(o) = c.opt() {
            opts.push(o);
            continue;
        }
        match c.field_name() {
            Some((f, _)) => t.fields.push(f),
            None => return Err(c.error("expected transaction fields or options")),
        }
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
        // Unquoted: `startswith=EventCode=4800` is one search term.
        _ => {
            let start = c.pos;
            let (v, span) = c.option_value().ok_or_else(|| {
                c.error("expected (search terms) or \"search terms\" after startswith=/endswith=")
            })?;
            let mut inner = Cursor::new(c.text, start, span.end);
            let _ = v;
            parse_search(&mut inner, &[])
        }
    }
}
