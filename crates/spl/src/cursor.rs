//! A scanner over the search text. SPL's lexical rules depend on the command (a search
//! term is not an eval token), so the parsers pull tokens from one cursor in the mode
//! they need instead of lexing the whole text up front.

use crate::span::{ParseError, Span};

/// A position in the search text, bounded by `end` (the end of the current command).
#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    /// The whole (expanded) search text.
    pub text: &'a str,
    /// Current byte offset.
    pub pos: usize,
    /// Scanning stops here.
    pub end: usize,
}

/// Characters that end a search-syntax word.
const SEARCH_STOP: &[char] = &['(', ')', '"', '|', '[', ']', '=', '<', '>', '!', ','];

impl<'a> Cursor<'a> {
    /// A cursor over `text[start..end]`.
    pub fn new(text: &'a str, start: usize, end: usize) -> Cursor<'a> {
        Cursor {
            text,
            pos: start,
            end,
        }
    }

    /// The unread text.
    pub fn rest(&self) -> &'a str {
        self.text.get(self.pos..self.end).unwrap_or("")
    }

    /// The next character, if any.
    pub fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// The character after the next one.
    pub fn peek2(&self) -> Option<char> {
        let mut it = self.rest().chars();
        it.next();
        it.next()
    }

    /// Skips whitespace.
    pub fn skip_ws(&mut self) {
        let rest = self.rest();
        let trimmed = rest.trim_start();
        self.pos += rest.len() - trimmed.len();
    }

    /// True when only whitespace is left.
    pub fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos >= self.end
    }

    /// Consumes `c` (after whitespace) if it is next.
    pub fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// Consumes the literal `s` (after whitespace) if it is next.
    pub fn eat_str(&mut self, s: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// Consumes keyword `kw` (case-insensitive, whole word) if it is next.
    pub fn eat_keyword(&mut self, kw: &str) -> bool {
        self.skip_ws();
        if self.peek_keyword(kw) {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    /// True if keyword `kw` (case-insensitive, whole word) is next; consumes nothing.
    pub fn peek_keyword(&self, kw: &str) -> bool {
        let rest = self.rest().trim_start();
        match rest.get(..kw.len()) {
            Some(head) if head.eq_ignore_ascii_case(kw) => rest[kw.len()..]
                .chars()
                .next()
                .map(|c| !is_word_char(c))
                .unwrap_or(true),
            _ => false,
        }
    }

    /// An error at the current position.
    pub fn error(&self, message: impl Into<String>) -> ParseError {
        let end = self.pos + self.peek().map(char::len_utf8).unwrap_or(0);
        self.error_at(Span::new(self.pos, end), message)
    }

    /// An error at `span`.
    pub fn error_at(&self, span: Span, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            span,
            text: self.text.to_string(),
        }
    }

    /// Reads a double-quoted string starting at the cursor (which must be on `"`),
    /// decoding `\"` and `\\`; other backslashes stay as written (Splunk keeps them).
    pub fn quoted(&mut self) -> Result<(String, Span), ParseError> {
        self.skip_ws();
        let start = self.pos;
        let quote = match self.peek() {
            Some(q @ ('"' | '\'')) => q,
            _ => return Err(self.error("expected a quoted string")),
        };
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some((_, n)) if n == quote || n == '\\' => out.push(n),
                    Some((_, n)) => {
                        out.push('\\');
                        out.push(n);
                    }
                    None => out.push('\\'),
                }
            } else if c == quote {
                self.pos += i + 1;
                return Ok((out, Span::new(start, self.pos)));
            } else {
                out.push(c);
            }
        }
        let span = Span::new(start, self.end);
        Err(self.error_at(span, "unterminated quoted string"))
    }

    /// Reads a search-syntax word (a field name, or a value when `value` is true, which
    /// also allows `=`, `<`, `>` and `!` inside). Backslash escapes `\\` and `\"` are decoded.
    pub fn search_word(&mut self, value: bool) -> Option<(String, Span)> {
        self.skip_ws();
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.rest().char_indices().peekable();
        let mut consumed = 0;
        while let Some(&(i, c)) = chars.peek() {
            let stops = if value {
                c.is_whitespace() || matches!(c, '(' | ')' | '|' | '[' | ']' | ',' | '"')
            } else {
                c.is_whitespace() || SEARCH_STOP.contains(&c)
            };
            if stops {
                break;
            }
            chars.next();
            consumed = i + c.len_utf8();
            if c == '\\' {
                if let Some(&(j, n)) = chars.peek() {
                    if n == '\\' || n == '"' {
                        chars.next();
                        consumed = j + n.len_utf8();
                        out.push(n);
                        continue;
                    }
                }
            }
            out.push(c);
        }
        if consumed == 0 {
            return None;
        }
        self.pos += consumed;
        Some((out, Span::new(start, self.pos)))
    }

    /// Reads a bare word made of word characters plus `.`, `:`, `*`, `{}`, `-`, `@`, `/`
    /// (field names, option values, function names).
    pub fn bare_word(&mut self) -> Option<(String, Span)> {
        self.skip_ws();
        let start = self.pos;
        let len: usize = self
            .rest()
            .chars()
            .take_while(|&c| {
                is_word_char(c) || matches!(c, '.' | ':' | '*' | '{' | '}' | '-' | '@' | '/')
            })
            .map(char::len_utf8)
            .sum();
        if len == 0 {
            return None;
        }
        self.pos += len;
        Some((
            self.text[start..self.pos].to_string(),
            Span::new(start, self.pos),
        ))
    }

    /// Reads a field name: a bare word or a quoted name, with attached text kept
    /// (`"All_Email".*`, `values(user)`, `aceFlags(inheritance)`).
    pub fn field_name(&mut self) -> Option<(String, Span)> {
        self.skip_ws();
        let start = self.pos;
        let mut name = match self.peek() {
            Some('"') | Some('\'') => self.quoted().ok()?.0,
            _ => self.bare_word()?.0,
        };
        loop {
            match self.peek() {
                Some('(') => {
                    let close = self.rest().find(')')?;
                    name.push_str(&self.rest()[..=close]);
                    self.pos += close + 1;
                }
                Some(c)
                    if !c.is_whitespace()
                        && !matches!(
                            c,
                            ',' | '|' | ')' | '=' | '[' | ']' | '"' | '\'' | '!' | '<' | '>'
                        ) =>
                {
                    match self.bare_word() {
                        Some((more, _)) => name.push_str(&more),
                        None => break,
                    }
                }
                _ => break,
            }
        }
        Some((name, Span::new(start, self.pos)))
    }

    /// Reads an option value: a quoted string or a run of non-space characters.
    pub fn option_value(&mut self) -> Option<(String, Span)> {
        self.skip_ws();
        match self.peek() {
            Some('"') => {
                let (mut value, span) = self.quoted().ok()?;
                let start = span.start;
                // Quoted and unquoted parts written together are one value, quotes
                // removed and `\"` read as `"` outside them (the Search Reference's
                // `reset_after="("match(test,\"yes\")")"` is `(match(test,"yes"))`).
                loop {
                    match self.peek() {
                        Some('"') => value.push_str(&self.quoted().ok()?.0),
                        Some(c) if !c.is_whitespace() && !matches!(c, '|' | ')' | ']' | ',') => {
                            let rest = self.rest();
                            let mut len = 0;
                            let mut chars = rest.char_indices().peekable();
                            while let Some((i, c)) = chars.next() {
                                if c == '\\' && rest[i + 1..].starts_with('"') {
                                    value.push('"');
                                    chars.next();
                                    len = i + 2;
                                    continue;
                                }
                                if c.is_whitespace() || c == '"' || c == '|' {
                                    break;
                                }
                                value.push(c);
                                len = i + c.len_utf8();
                            }
                            self.pos += len;
                        }
                        _ => break,
                    }
                }
                Some((value, Span::new(start, self.pos)))
            }
            _ => {
                let start = self.pos;
                let len: usize = self
                    .rest()
                    .chars()
                    .take_while(|&c| {
                        !c.is_whitespace() && !matches!(c, '|' | ')' | '[' | ']' | ',')
                    })
                    .map(char::len_utf8)
                    .sum();
                if len == 0 {
                    return None;
                }
                self.pos += len;
                Some((
                    self.text[start..self.pos].to_string(),
                    Span::new(start, self.pos),
                ))
            }
        }
    }

    /// If the next words are `name=value` (an option), consumes and returns them.
    pub fn option(&mut self) -> Option<(String, String)> {
        self.opt().map(|o| (o.name, o.value))
    }

    /// If the next words are `name=value` (an option), consumes them and returns the
    /// option with its name lower-cased and its span.
    pub fn opt(&mut self) -> Option<crate::ast::Opt> {
        let save = self.pos;
        self.skip_ws();
        let start = self.pos;
        if let Some((name, _)) = self.bare_word() {
            if self.rest().starts_with('=') && !self.rest().starts_with("==") {
                self.pos += 1;
                if let Some((value, _)) = self.option_value() {
                    return Some(crate::ast::Opt {
                        name: name.to_ascii_lowercase(),
                        value,
                        span: Span::new(start, self.pos),
                    });
                }
            }
        }
        self.pos = save;
        None
    }
}

/// Letters, digits and `_`.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Finds the end of the command starting at `start`: the next `|` that is not inside
/// quotes, brackets or a triple-backtick comment. Returns `end` if there is none.
pub fn command_end(text: &str, start: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = start;
    let mut depth = 0usize;
    while i < end {
        match bytes[i] {
            b'\\' => i += 1,
            b'"' => i = skip_quoted(bytes, i, end),
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'|' if depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    end
}

/// Given `i` on a `"`, returns the index of the closing quote (or `end - 1`).
pub fn skip_quoted(bytes: &[u8], i: usize, end: usize) -> usize {
    let mut j = i + 1;
    while j < end {
        match bytes[j] {
            b'\\' => j += 2,
            b'"' => return j,
            _ => j += 1,
        }
    }
    end.saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_decodes_only_quote_and_backslash() {
        let t = r#""C:\\Windows\\x \d \"q\"" rest"#;
        let mut c = Cursor::new(t, 0, t.len());
        let (s, _) = c.quoted().unwrap();
        assert_eq!(s, r#"C:\Windows\x \d "q""#);
        assert_eq!(c.rest(), " rest");
    }

    #[test]
    fn search_words_stop_at_operators() {
        let t = "Processes.process=*comsvcs.dll* x";
        let mut c = Cursor::new(t, 0, t.len());
        assert_eq!(c.search_word(false).unwrap().0, "Processes.process");
        assert!(c.eat('='));
        assert_eq!(c.search_word(true).unwrap().0, "*comsvcs.dll*");
    }

    #[test]
    fn command_end_skips_quotes_and_brackets() {
        let t = r#"search a="x|y" [search b | head 1] | stats count"#;
        let e = command_end(t, 0, t.len());
        assert_eq!(&t[e..], "| stats count");
    }

    #[test]
    fn keywords_are_whole_words() {
        let t = "ORx OR y";
        let c = Cursor::new(t, 0, t.len());
        assert!(!c.peek_keyword("OR"));
    }
}
