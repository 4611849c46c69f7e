//! Bounds on the depth of what is parsed: parentheses, `NOT`, unary minus, function
//! calls and subsearches each take stack in the parser and in every later stage that
//! walks the tree, and so does each operand of a chain of binary operators (`a OR b OR
//! …` builds a tree as deep as it is long). A search deeper than any real one is
//! refused with an error at the place it goes too deep, instead of exhausting the
//! stack and killing the run.

use crate::cursor::Cursor;
use crate::span::ParseError;
use std::cell::Cell;
use std::thread::LocalKey;

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

/// One level of one bound, held while it is parsed; leaving it (or failing) gives it
/// back.
pub struct Guard(&'static LocalKey<Cell<usize>>);

impl Guard {
    fn enter(
        counter: &'static LocalKey<Cell<usize>>,
        max: usize,
        c: &Cursor<'_>,
        message: impl FnOnce() -> String,
    ) -> Result<Guard, ParseError> {
        let depth = counter.with(|d| {
            d.set(d.get() + 1);
            d.get()
        });
        let guard = Guard(counter);
        if depth > max {
            return Err(c.error(message()));
        }
        Ok(guard)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// One level of nesting.
pub struct Level;

impl Level {
    /// Enters one level at the cursor's position, or fails past [`MAX_DEPTH`].
    pub fn enter(c: &Cursor<'_>) -> Result<Guard, ParseError> {
        Guard::enter(&DEPTH, MAX_DEPTH, c, || {
            format!(
                "nested more than {MAX_DEPTH} levels deep (parentheses, NOT, function calls, subsearches)"
            )
        })
    }
}

/// One more operand in a chain of binary operators.
pub struct Link;

impl Link {
    /// Adds one operand at the cursor's position, or fails past [`MAX_CHAIN`].
    pub fn add(c: &Cursor<'_>) -> Result<Guard, ParseError> {
        Guard::enter(&CHAIN, MAX_CHAIN, c, || {
            format!("more than {MAX_CHAIN} operators in a row: split the expression")
        })
    }
}
