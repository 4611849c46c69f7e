//! firedrill library.
