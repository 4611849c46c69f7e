//! Byte spans into the search text, and errors that point at them with a caret.

use std::fmt;

/// A byte range in the (macro-expanded) search text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

/// 1-based line and column of a byte offset (columns count characters).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before
        .get(line_start..)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// A syntax error: what was expected, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    /// What went wrong, naming the construct.
    pub message: String,
    /// Where in the search text.
    pub span: Span,
    /// The search text the span refers to (for rendering).
    pub text: String,
}

impl ParseError {
    /// 1-based line and column of the error.
    pub fn line_col(&self) -> (usize, usize) {
        line_col(&self.text, self.span.start)
    }

    /// The error with the offending line and a caret under the position.
    pub fn render(&self) -> String {
        render_caret(&self.text, self.span, &self.message)
    }
}

/// Characters of the line shown around the caret: a long line is cut to a window.
const WINDOW: usize = 120;

/// `message at line L, column C` followed by the line of text (a window of it when it
/// is long, cut ends marked `…`) and a caret line.
pub fn render_caret(text: &str, span: Span, message: &str) -> String {
    let (line, col) = line_col(text, span.start);
    let chars: Vec<char> = text.lines().nth(line - 1).unwrap_or("").chars().collect();
    let width = text
        .get(span.start..span.end.max(span.start))
        .map(|s| s.chars().count())
        .unwrap_or(1)
        .clamp(1, 80);
    let from = if chars.len() > WINDOW {
        (col - 1).saturating_sub(WINDOW / 2)
    } else {
        0
    };
    let to = chars.len().min(from + WINDOW);
    let (open, close) = (
        if from > 0 { "…" } else { "" },
        if to < chars.len() { "…" } else { "" },
    );
    let shown: String = chars[from..to].iter().collect();
    let pad: String = std::iter::repeat_n(' ', open.chars().count())
        .chain(chars[from..(col - 1).min(chars.len())].iter().map(|&c| {
            if c == '\t' {
                '\t'
            } else {
                ' '
            }
        }))
        .collect();
    format!(
        "{message} at line {line}, column {col}\n  {open}{shown}{close}\n  {pad}{}",
        "^".repeat(width)
    )
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, col) = self.line_col();
        write!(f, "{} at line {line}, column {col}", self.message)
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let t = "ab\ncd";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 4), (2, 2));
    }

    #[test]
    fn caret_points_at_span() {
        let r = render_caret("| foo bar", Span::new(6, 9), "unknown thing");
        assert!(r.contains("column 7"));
        assert!(r.ends_with("        ^^^"), "{r}");
    }

    #[test]
    fn a_long_line_is_shown_around_the_caret() {
        let text = format!("{}X{}", "a".repeat(1000), "b".repeat(1000));
        let r = render_caret(&text, Span::new(1000, 1001), "here");
        let lines: Vec<&str> = r.lines().collect();
        assert!(lines[1].chars().count() < 130, "{r}");
        assert!(
            lines[1].starts_with("  …a") && lines[1].ends_with("b…"),
            "{r}"
        );
        let at = lines[1].chars().position(|c| c == 'X').unwrap();
        assert_eq!(lines[2].chars().position(|c| c == '^'), Some(at), "{r}");
    }
}
