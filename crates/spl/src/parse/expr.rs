//! Eval expressions (`eval`, `where`, SPL2): a precedence-climbing parser.
//!
//! Precedence, loosest first: `OR`, `XOR`, `AND`, `NOT`, comparisons (`= == != < <= >
//! >= LIKE IN`, SPL2 `IS [NOT] NULL`), `+ - .`, `* / %`, unary `-`.

use crate::ast::{BinOp, Expr, UnOp};
use crate::cursor::{is_word_char, Cursor};
use crate::parse::depth::{Level, Link};
use crate::span::{ParseError, Span};
use firedrill_value::{Decimal, Value};

/// Parses one expression at the cursor. `spl2` enables SPL2 literals (`true`, `false`,
/// `null`, `/regex/`, `[array]`).
pub fn parse_expr(c: &mut Cursor<'_>, spl2: bool) -> Result<Expr, ParseError> {
    Parser { c, spl2 }.or()
}

struct Parser<'c, 'a> {
    c: &'c mut Cursor<'a>,
    spl2: bool,
}

impl Parser<'_, '_> {
    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.xor()?;
        let mut links = Vec::new();
        while self.c.eat_keyword("OR") || self.c.eat_str("||") {
            links.push(Link::add(self.c)?);
            let right = self.xor()?;
            left = Expr::Binary(BinOp::Or, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn xor(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and()?;
        let mut links = Vec::new();
        while self.c.eat_keyword("XOR") {
            links.push(Link::add(self.c)?);
            let right = self.and()?;
            left = Expr::Binary(BinOp::Xor, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.not()?;
        let mut links = Vec::new();
        while self.c.eat_keyword("AND") || self.c.eat_str("&&") {
            links.push(Link::add(self.c)?);
            let right = self.not()?;
            left = Expr::Binary(BinOp::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        if self.c.eat_keyword("NOT") {
            let _level = Level::enter(self.c)?;
            let inner = self.not()?;
            return Ok(Expr::Unary(UnOp::Not, Box::new(inner)));
        }
        if self.c.rest().trim_start().starts_with('!')
            && !self.c.rest().trim_start().starts_with("!=")
        {
            self.c.eat('!');
            let _level = Level::enter(self.c)?;
            let inner = self.not()?;
            return Ok(Expr::Unary(UnOp::Not, Box::new(inner)));
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Expr, ParseError> {
        let left = self.additive()?;
        self.c.skip_ws();
        let op = if self.c.eat_str("==") {
            Some(BinOp::Eq)
        } else if self.c.eat_str("!=") {
            Some(BinOp::Ne)
        } else if self.c.eat_str("<=") {
            Some(BinOp::Le)
        } else if self.c.eat_str(">=") {
            Some(BinOp::Ge)
        } else if self.c.eat_str("<>") {
            Some(BinOp::Ne)
        } else if self.c.eat('=') {
            Some(BinOp::Eq)
        } else if self.c.eat('<') {
            Some(BinOp::Lt)
        } else if self.c.eat('>') {
            Some(BinOp::Gt)
        } else if self.c.eat_keyword("LIKE") {
            Some(BinOp::Like)
        } else {
            None
        };
        if let Some(op) = op {
            let right = self.additive()?;
            return Ok(Expr::Binary(op, Box::new(left), Box::new(right)));
        }
        let save = self.c.pos;
        if self.c.eat_keyword("NOT") {
            if self.c.eat_keyword("IN") {
                let inlist = self.in_list(left)?;
                return Ok(Expr::Unary(UnOp::Not, Box::new(inlist)));
            }
            if self.c.eat_keyword("LIKE") {
                let right = self.additive()?;
                let like = Expr::Binary(BinOp::Like, Box::new(left), Box::new(right));
                return Ok(Expr::Unary(UnOp::Not, Box::new(like)));
            }
            self.c.pos = save;
        }
        if self.c.eat_keyword("IN") {
            return self.in_list(left);
        }
        if self.c.eat_keyword("IS") {
            let negated = self.c.eat_keyword("NOT");
            if !self.c.eat_keyword("NULL") {
                return Err(self.c.error("expected NULL after IS"));
            }
            let op = if negated {
                UnOp::IsNotNull
            } else {
                UnOp::IsNull
            };
            return Ok(Expr::Unary(op, Box::new(left)));
        }
        Ok(left)
    }

    fn in_list(&mut self, left: Expr) -> Result<Expr, ParseError> {
        let start = self.c.pos;
        if !self.c.eat('(') {
            return Err(self.c.error("expected ( after IN"));
        }
        let mut args = vec![left];
        if !self.c.eat(')') {
            loop {
                args.push(self.or()?);
                if self.c.eat(')') {
                    break;
                }
                if !self.c.eat(',') {
                    return Err(self.c.error("expected , or ) in IN list"));
                }
            }
        }
        Ok(Expr::Call {
            name: "in".into(),
            args,
            span: Span::new(start, self.c.pos),
        })
    }

    fn additive(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.multiplicative()?;
        let mut links = Vec::new();
        loop {
            self.c.skip_ws();
            let op = match self.c.peek() {
                Some('+') => BinOp::Add,
                Some('-') => BinOp::Sub,
                Some('.') if !self.c.peek2().is_some_and(|d| d.is_ascii_digit()) => BinOp::Concat,
                _ => break,
            };
            self.c.pos += 1;
            links.push(Link::add(self.c)?);
            let right = self.multiplicative()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn multiplicative(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        let mut links = Vec::new();
        loop {
            self.c.skip_ws();
            let op = match self.c.peek() {
                Some('*') => BinOp::Mul,
                Some('/') if !self.spl2 || !self.looks_like_regex() => BinOp::Div,
                Some('%') => BinOp::Mod,
                _ => break,
            };
            self.c.pos += 1;
            links.push(Link::add(self.c)?);
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn looks_like_regex(&self) -> bool {
        false
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        self.c.skip_ws();
        // Unary `+` changes nothing (`printf("%d", +4)`).
        if self.c.peek() == Some('+') {
            self.c.pos += 1;
            let _level = Level::enter(self.c)?;
            return self.unary();
        }
        if self.c.peek() == Some('-') && !self.c.peek2().is_some_and(|d| d.is_ascii_digit()) {
            self.c.pos += 1;
            let _level = Level::enter(self.c)?;
            let inner = self.unary()?;
            return Ok(Expr::Unary(UnOp::Neg, Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        self.c.skip_ws();
        let start = self.c.pos;
        match self.c.peek() {
            None => Err(self
                .c
                .error("expected an expression, found the end of the command")),
            Some('"') => {
                let (s, _) = self.c.quoted()?;
                Ok(Expr::Lit(Value::Str(s)))
            }
            Some('\'') => {
                let (s, _) = self.c.quoted()?;
                Ok(Expr::Field(s))
            }
            Some('(') => {
                self.c.pos += 1;
                let _level = Level::enter(self.c)?;
                let e = self.or()?;
                if !self.c.eat(')') {
                    return Err(self.c.error("expected ) to close the parenthesis"));
                }
                Ok(e)
            }
            Some('[') if !self.spl2 => {
                let open = self.c.pos;
                let close = crate::parse::search::matching_bracket(self.c.text, open, self.c.end)
                    .ok_or_else(|| self.c.error("expected ] to close the subsearch"))?;
                let sub = crate::parse::parse_range(self.c.text, open + 1, close)?;
                self.c.pos = close + 1;
                Ok(Expr::Subsearch(Box::new(sub), Span::new(open, close + 1)))
            }
            Some('[') if self.spl2 => {
                self.c.pos += 1;
                let _level = Level::enter(self.c)?;
                let mut items = Vec::new();
                if !self.c.eat(']') {
                    loop {
                        items.push(self.or()?);
                        if self.c.eat(']') {
                            break;
                        }
                        if !self.c.eat(',') {
                            return Err(self.c.error("expected , or ] in array"));
                        }
                    }
                }
                Ok(Expr::Array(items))
            }
            Some('/') if self.spl2 => self.regex_literal(),
            Some(ch) if ch.is_ascii_digit() || ch == '-' || ch == '.' => self.number(),
            Some(ch) if is_word_char(ch) || ch == '@' || ch == '$' => self.ident_or_call(start),
            Some(ch) => Err(self
                .c
                .error(format!("unexpected character '{ch}' in expression"))),
        }
    }

    fn number(&mut self) -> Result<Expr, ParseError> {
        let start = self.c.pos;
        let rest = self.c.rest();
        let mut len = 0;
        let bytes = rest.as_bytes();
        if bytes.first() == Some(&b'-') {
            len += 1;
        }
        while len < bytes.len() && (bytes[len].is_ascii_digit() || bytes[len] == b'.') {
            len += 1;
        }
        if len < bytes.len() && (bytes[len] == b'e' || bytes[len] == b'E') {
            let mut k = len + 1;
            if k < bytes.len() && (bytes[k] == b'+' || bytes[k] == b'-') {
                k += 1;
            }
            if k < bytes.len() && bytes[k].is_ascii_digit() {
                while k < bytes.len() && bytes[k].is_ascii_digit() {
                    k += 1;
                }
                len = k;
            }
        }
        // A number immediately followed by word characters is a field name (e.g. `1st`).
        if len < bytes.len() && (is_word_char(bytes[len] as char)) {
            return self.ident_or_call(start);
        }
        let text = &rest[..len];
        match text.parse::<f64>() {
            Ok(n) => {
                self.c.pos += len;
                // A decimal keeps the precision it is written with (eval, "Rounding").
                Ok(Expr::Lit(
                    Decimal::parse(text).map_or(Value::Num(n), Value::Dec),
                ))
            }
            Err(_) => Err(self
                .c
                .error_at(Span::new(start, start + len.max(1)), "malformed number")),
        }
    }

    fn regex_literal(&mut self) -> Result<Expr, ParseError> {
        let start = self.c.pos;
        let rest = self.c.rest();
        let mut escaped = false;
        for (i, ch) in rest.char_indices().skip(1) {
            if escaped {
                escaped = false;
                continue;
            }
            match ch {
                '\\' => escaped = true,
                '/' => {
                    let body = &rest[1..i];
                    self.c.pos += i + 1;
                    let flags: String = self
                        .c
                        .rest()
                        .chars()
                        .take_while(|c| c.is_ascii_alphabetic())
                        .collect();
                    self.c.pos += flags.len();
                    let pattern = if flags.is_empty() {
                        body.to_string()
                    } else {
                        format!("(?{flags}){body}")
                    };
                    return Ok(Expr::Lit(Value::Str(pattern)));
                }
                _ => {}
            }
        }
        Err(self
            .c
            .error_at(Span::new(start, self.c.end), "unterminated /regex/ literal"))
    }

    fn ident_or_call(&mut self, start: usize) -> Result<Expr, ParseError> {
        let name = self.ident();
        if name.is_empty() {
            return Err(self.c.error("expected a field or function name"));
        }
        let after = self.c.pos;
        if self.c.eat('(') {
            let _level = Level::enter(self.c)?;
            let lname = name.to_ascii_lowercase();
            let mut args = Vec::new();
            if !self.c.eat(')') {
                loop {
                    args.push(self.or()?);
                    if self.c.eat(')') {
                        break;
                    }
                    if !self.c.eat(',') {
                        return Err(self
                            .c
                            .error(format!("expected , or ) in the arguments of {lname}()")));
                    }
                }
            }
            return Ok(Expr::Call {
                name: lname,
                args,
                span: Span::new(start, self.c.pos),
            });
        }
        self.c.pos = after;
        if self.spl2 {
            match name.as_str() {
                "true" | "TRUE" => return Ok(Expr::Lit(Value::Bool(true))),
                "false" | "FALSE" => return Ok(Expr::Lit(Value::Bool(false))),
                "null" | "NULL" => return Ok(Expr::Lit(Value::Null)),
                _ => {}
            }
        }
        Ok(Expr::Field(name))
    }

    /// A field or function name: word characters, with `.`, `:` and `{}` allowed between
    /// them (`Processes.process`, `tag::eventtype`, `a{}.b`).
    fn ident(&mut self) -> String {
        let rest = self.c.rest();
        let chars: Vec<(usize, char)> = rest.char_indices().collect();
        let mut end = 0;
        let mut i = 0;
        while i < chars.len() {
            let (off, ch) = chars[i];
            let next_is_word = chars
                .get(i + 1)
                .is_some_and(|&(_, n)| is_word_char(n) || n == '{' || n == '.');
            let ok = is_word_char(ch)
                || ch == '@'
                || ch == '$'
                || (ch == '{' && chars.get(i + 1).is_some_and(|&(_, n)| n == '}'))
                || (ch == '}' && i > 0 && chars[i - 1].1 == '{')
                || ((ch == '.' || ch == ':') && end > 0 && next_is_word);
            if !ok {
                break;
            }
            end = off + ch.len_utf8();
            i += 1;
        }
        let name = rest[..end].to_string();
        self.c.pos += end;
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Expr {
        let mut c = Cursor::new(s, 0, s.len());
        let e = parse_expr(&mut c, false).unwrap();
        assert!(c.at_end(), "left over: {}", c.rest());
        e
    }

    #[test]
    fn precedence_and_over_or() {
        let e = p("a=1 OR b=2 AND c=3");
        match e {
            Expr::Binary(BinOp::Or, _, r) => assert!(matches!(*r, Expr::Binary(BinOp::And, _, _))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dotted_fields_and_concat() {
        assert_eq!(
            p("Processes.process"),
            Expr::Field("Processes.process".into())
        );
        match p("a . \"x\"") {
            Expr::Binary(BinOp::Concat, _, _) => {}
            other => panic!("{other:?}"),
        }
        match p("a.\"x\".b") {
            Expr::Binary(BinOp::Concat, _, _) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn calls_and_in() {
        match p("if(match(x, \"\\\\.exe$\"), 1, 0)") {
            Expr::Call { name, args, .. } => {
                assert_eq!(name, "if");
                assert_eq!(args.len(), 3);
            }
            other => panic!("{other:?}"),
        }
        match p("x IN (\"a\", \"b\")") {
            Expr::Call { name, args, .. } => {
                assert_eq!(name, "in");
                assert_eq!(args.len(), 3);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn spl2_literals() {
        let s = "match_regex(process, /(?i)minidump\\s+/)=true AND x IS NOT NULL";
        let mut c = Cursor::new(s, 0, s.len());
        let e = parse_expr(&mut c, true).unwrap();
        assert!(c.at_end());
        assert!(matches!(e, Expr::Binary(BinOp::And, _, _)));
    }

    #[test]
    fn negative_numbers_and_minus() {
        assert_eq!(p("-1"), Expr::Lit(Value::Num(-1.0)));
        assert!(matches!(p("a - 1"), Expr::Binary(BinOp::Sub, _, _)));
    }
}
