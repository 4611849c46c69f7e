//! `search` syntax: terms joined by implicit AND, `OR` binding tighter than the
//! implicit AND (`A OR B C` is `(A OR B) AND C`), `NOT`, parentheses, `field=value`,
//! `field IN (...)` and subsearches.

use crate::ast::{CmpOp, SearchExpr};
use crate::cursor::Cursor;
use crate::parse::depth::Level;
use crate::span::ParseError;

/// Parses search terms until the end of the cursor, or until a top-level keyword in
/// `stop` (such as `by` in `tstats ... where ... by`).
pub fn parse_search(c: &mut Cursor<'_>, stop: &[&str]) -> Result<SearchExpr, ParseError> {
    let e = and_group(c, stop, false)?;
    if !c.at_end() && !stop.iter().any(|k| c.peek_keyword(k)) {
        return Err(c.error("unexpected ')' in search terms"));
    }
    Ok(e)
}

fn and_group(c: &mut Cursor<'_>, stop: &[&str], nested: bool) -> Result<SearchExpr, ParseError> {
    let mut items = Vec::new();
    loop {
        if c.at_end() || stop.iter().any(|k| c.peek_keyword(k)) {
            break;
        }
        if c.peek() == Some(')') {
            if nested {
                break;
            }
            return Err(c.error("unmatched ')' in search terms"));
        }
        if c.eat_keyword("AND") {
            continue;
        }
        items.push(or_group(c, stop)?);
    }
    Ok(match items.len() {
        0 => SearchExpr::All,
        1 => items.pop().unwrap_or(SearchExpr::All),
        _ => SearchExpr::And(items),
    })
}

fn or_group(c: &mut Cursor<'_>, stop: &[&str]) -> Result<SearchExpr, ParseError> {
    let mut items = vec![not_term(c, stop)?];
    while c.eat_keyword("OR") {
        items.push(not_term(c, stop)?);
    }
    Ok(if items.len() == 1 {
        items.pop().unwrap_or(SearchExpr::All)
    } else {
        SearchExpr::Or(items)
    })
}

fn not_term(c: &mut Cursor<'_>, stop: &[&str]) -> Result<SearchExpr, ParseError> {
    if c.eat_keyword("NOT") {
        let _level = Level::enter(c)?;
        return Ok(SearchExpr::Not(Box::new(not_term(c, stop)?)));
    }
    primary(c, stop)
}

fn primary(c: &mut Cursor<'_>, stop: &[&str]) -> Result<SearchExpr, ParseError> {
    c.skip_ws();
    match c.peek() {
        None => Err(c.error("expected a search term, found the end of the command")),
        Some('(') => {
            c.pos += 1;
            let _level = Level::enter(c)?;
            let inner = and_group(c, stop, true)?;
            if !c.eat(')') {
                return Err(c.error("expected ) to close the parenthesis in search terms"));
            }
            Ok(inner)
        }
        Some('[') => {
            let start = c.pos;
            let close = matching_bracket(c.text, start, c.end)
                .ok_or_else(|| c.error("unterminated subsearch: missing ]"))?;
            let inner = crate::parse::parse_range(c.text, start + 1, close)?;
            c.pos = close + 1;
            Ok(SearchExpr::Subsearch(Box::new(inner)))
        }
        Some('"') => {
            let (s, _) = c.quoted()?;
            // A quoted name followed by an operator is a field: `"result.status"=x`.
            match comparison(c, &s)? {
                Some(e) => Ok(e),
                None => Ok(SearchExpr::Term(s)),
            }
        }
        Some(_) => {
            let (word, _) = match c.search_word(false) {
                Some(w) => w,
                None => {
                    return Err(c.error(format!(
                        "unexpected '{}' in search terms",
                        c.peek().unwrap_or(' ')
                    )))
                }
            };
            // `TERM(x)` and `CASE(x)` wrap a literal term; `CASE` keeps its case.
            if c.rest().starts_with('(')
                && (word.eq_ignore_ascii_case("TERM") || word.eq_ignore_ascii_case("CASE"))
            {
                let case = word.eq_ignore_ascii_case("CASE");
                c.pos += 1;
                let inner = match c.peek() {
                    Some('"') => c.quoted()?.0,
                    _ => c.search_word(true).map(|w| w.0).unwrap_or_default(),
                };
                if !c.eat(')') {
                    return Err(c.error(format!("expected ) to close {word}(")));
                }
                return Ok(if case {
                    SearchExpr::CaseTerm(inner)
                } else {
                    SearchExpr::Term(inner)
                });
            }
            match comparison(c, &word)? {
                Some(e) => Ok(e),
                None => Ok(SearchExpr::Term(word)),
            }
        }
    }
}

/// After a field name: `op value` (spaces allowed around the operator, as Splunk
/// accepts) or `IN (values)`. `None` if neither follows, leaving the cursor unmoved.
fn comparison(c: &mut Cursor<'_>, field: &str) -> Result<Option<SearchExpr>, ParseError> {
    let save = c.pos;
    c.skip_ws();
    let rest = c.rest();
    let op = if rest.starts_with("!=") {
        Some((CmpOp::Ne, 2))
    } else if rest.starts_with("<=") {
        Some((CmpOp::Le, 2))
    } else if rest.starts_with(">=") {
        Some((CmpOp::Ge, 2))
    } else if rest.starts_with("==") {
        Some((CmpOp::Eq, 2))
    } else if rest.starts_with('=') {
        Some((CmpOp::Eq, 1))
    } else if rest.starts_with('<') {
        Some((CmpOp::Lt, 1))
    } else if rest.starts_with('>') {
        Some((CmpOp::Gt, 1))
    } else {
        None
    };
    if let Some((op, len)) = op {
        c.pos += len;
        c.skip_ws();
        // Search Manual, "Use CASE() and TERM()": `host=CASE(LOCALHOST)`.
        if matches!(op, CmpOp::Eq | CmpOp::Ne)
            && c.rest()
                .get(..5)
                .is_some_and(|p| p.eq_ignore_ascii_case("CASE("))
        {
            c.pos += 5;
            let value = match c.peek() {
                Some('"') => c.quoted()?.0,
                _ => c.search_word(true).map(|w| w.0).unwrap_or_default(),
            };
            if !c.eat(')') {
                return Err(c.error("expected ) to close CASE("));
            }
            return Ok(Some(SearchExpr::CaseCompare {
                field: field.to_string(),
                negate: op == CmpOp::Ne,
                value,
            }));
        }
        let (value, quoted) = if c.peek() == Some('"') {
            (c.quoted()?.0, true)
        } else {
            match c.search_word(true) {
                Some((v, _)) => (v, false),
                None => (String::new(), false),
            }
        };
        return Ok(Some(SearchExpr::Compare {
            field: field.to_string(),
            op,
            value,
            quoted,
        }));
    }
    if c.eat_keyword("IN") && c.eat('(') {
        let mut values = Vec::new();
        loop {
            c.skip_ws();
            if c.eat(')') {
                break;
            }
            if c.eat(',') {
                continue;
            }
            if c.peek() == Some('"') {
                values.push(c.quoted()?.0);
            } else if let Some((v, _)) = c.search_word(true) {
                values.push(v);
            } else {
                return Err(c.error(format!("expected a value or ) in `{field} IN (...)`")));
            }
        }
        return Ok(Some(SearchExpr::In {
            field: field.to_string(),
            values,
        }));
    }
    c.pos = save;
    Ok(None)
}

/// The index of the `]` matching the `[` at `open`, skipping quoted strings.
pub fn matching_bracket(text: &str, open: usize, end: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < end {
        match bytes[i] {
            b'"' => i = crate::cursor::skip_quoted(bytes, i, end),
            b'[' => depth += 1,
            b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> SearchExpr {
        let mut c = Cursor::new(s, 0, s.len());
        parse_search(&mut c, &[]).unwrap()
    }

    fn cmp(f: &str, v: &str) -> SearchExpr {
        SearchExpr::Compare {
            field: f.into(),
            op: CmpOp::Eq,
            value: v.into(),
            quoted: false,
        }
    }

    #[test]
    fn or_binds_tighter_than_implicit_and() {
        // Splunk docs (Search Reference, "Boolean expressions"): `A OR B C` is `(A OR B) AND C`.
        assert_eq!(
            p("a=1 OR b=2 c=3"),
            SearchExpr::And(vec![
                SearchExpr::Or(vec![cmp("a", "1"), cmp("b", "2")]),
                cmp("c", "3")
            ])
        );
    }

    #[test]
    fn in_lists_and_not() {
        assert_eq!(
            p(r#"NOT x IN ("a", b)"#),
            SearchExpr::Not(Box::new(SearchExpr::In {
                field: "x".into(),
                values: vec!["a".into(), "b".into()]
            }))
        );
    }

    #[test]
    fn stops_at_keyword() {
        let s = "Processes.process_name=cmd.exe by Processes.dest";
        let mut c = Cursor::new(s, 0, s.len());
        let e = parse_search(&mut c, &["by"]).unwrap();
        assert_eq!(e, cmp("Processes.process_name", "cmd.exe"));
        assert!(c.peek_keyword("by"));
    }

    #[test]
    fn backslashes_in_values() {
        assert_eq!(p(r"x=C:\\Windows\\*"), cmp("x", r"C:\Windows\*"));
    }

    #[test]
    fn unbalanced_paren_is_an_error() {
        let s = "(a=1";
        let mut c = Cursor::new(s, 0, s.len());
        assert!(parse_search(&mut c, &[]).is_err());
    }
}
