//! A bound on nesting while parsing: parentheses, `NOT`, unary minus, function calls
//! and subsearches each take stack in the parser and in every later stage that walks
//! the tree, so a search nested deeper than any real one is refused with an error at
//! the place it goes too deep, instead of exhausting the stack and killing the run.

use crate::cursor::Cursor;
use crate::span::ParseError;
use std::cell::Cell;

/// The deepest nesting accepted (security_content's deepest search nests 5 levels before
/// its macros expand).
pub const MAX_DEPTH: usize = 100;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// One level of nesting, held while it is parsed.
pub struct Level(());

impl Level {
    /// Enters one level at the cursor's position, or fails past [`MAX_DEPTH`].
    pub fn enter(c: &Cursor<'_>) -> Result<Level, ParseError> {
        let depth = DEPTH.with(|d| {
            d.set(d.get() + 1);
            d.get()
        });
        let level = Level(());
        if depth > MAX_DEPTH {
            return Err(c.error(format!(
                "nested more than {MAX_DEPTH} levels deep (parentheses, NOT, function calls, subsearches)"
            )));
        }
        Ok(level)
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}
