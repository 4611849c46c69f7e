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

/// The longest chain of binary operators (`a OR b OR …`, `1+2+…`) along one path of
/// the tree: each operand lies one level deeper than the one before it.
pub const MAX_CHAIN: usize = 1000;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    static CHAIN: Cell<usize> = const { Cell::new(0) };
}

/// One more operand in a chain of binary operators, held while the chain is parsed.
pub struct Link(());

impl Link {
    /// Adds one operand at the cursor's position, or fails past [`MAX_CHAIN`].
    pub fn add(c: &Cursor<'_>) -> Result<Link, ParseError> {
        let n = CHAIN.with(|d| {
            d.set(d.get() + 1);
            d.get()
        });
        let link = Link(());
        if n > MAX_CHAIN {
            return Err(c.error(format!(
                "more than {MAX_CHAIN} operators in a row: split the expression"
            )));
        }
        Ok(link)
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        CHAIN.with(|d| d.set(d.get().saturating_sub(1)));
    }
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
