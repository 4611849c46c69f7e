//! Commands over the series of results, each a field list with an optional `AS
//! alias` and options: `reverse`, `uniq`, `filldown`, `accum`, `delta`,
//! `autoregress`, `mvcombine`, `nomv`, `addcoltotals`; and `strcat`.

use super::*;

/// The commands this module parses.
pub(super) const PARSERS: &[(&str, ParseFn)] = &[
    ("reverse", series),
    ("uniq", series),
    ("filldown", series),
    ("accum", series),
    ("delta", series),
    ("autoregress", series),
    ("mvcombine", series),
    ("nomv", series),
    ("addcoltotals", series),
    ("strcat", strcat),
    ("return", parse_return),
];

/// `return [N] (field | alias=field | $field)...`.
fn parse_return(_: &str, c: &mut Cursor<'_>, _: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    let count = count(c)?;
    let mut items = Vec::new();
    loop {
        c.skip_ws();
        if c.at_end() {
            break;
        }
        if c.eat(',') {
            continue;
        }
        let bare = c.eat('$');
        let (name, _) = c
            .field_name()
            .ok_or_else(|| c.error("expected a field, alias=field or $field"))?;
        if !bare && c.eat('=') {
            let (field, _) = c
                .field_name()
                .ok_or_else(|| c.error("expected a field after `alias=`"))?;
            items.push((name, field, false));
        } else {
            items.push((name.clone(), name, bare));
        }
    }
    if items.is_empty() {
        return Err(c.error("`return` needs a field"));
    }
    Ok(CommandKind::Return { count, items })
}

fn series(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    let mut fields = Vec::new();
    let mut alias = None;
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
        if !fields.is_empty() && (c.eat_keyword("as") || c.eat_keyword("AS")) {
            alias = Some(
                c.field_name()
                    .ok_or_else(|| c.error("expected a field name after `AS`"))?
                    .0,
            );
            continue;
        }
        match c.field_name() {
            Some((f, _)) => fields.push(f),
            None => return Err(c.error("expected a field name")),
        }
    }
    Ok(CommandKind::Series { fields, alias })
}

/// `strcat [allrequired=bool] (field | "literal")... dest`.
fn strcat(_: &str, c: &mut Cursor<'_>, opts: &mut Vec<Opt>) -> Result<CommandKind, ParseError> {
    let mut parts = Vec::new();
    loop {
        c.skip_ws();
        if c.at_end() {
            break;
        }
        if let Some(o) = c.opt() {
            opts.push(o);
            continue;
        }
        if c.peek() == Some('"') {
            parts.push(crate::ast::StrcatPart::Literal(c.quoted()?.0));
            continue;
        }
        match c.field_name() {
            Some((f, _)) => parts.push(crate::ast::StrcatPart::Field(f)),
            None => return Err(c.error("expected a field, a \"literal\" or an option")),
        }
    }
    let dest = match parts.pop() {
        Some(crate::ast::StrcatPart::Field(f)) if !parts.is_empty() => f,
        _ => {
            return Err(
                c.error("`strcat` needs source fields or literals and then a destination field")
            )
        }
    };
    Ok(CommandKind::Strcat { parts, dest })
}
