//! Runs compiled programs. [`State`] is one run of a program: events are offered to
//! each pipe that reads them (`Program::admit` and `Program::project` need only
//! `&Program`, so they can run in parallel), admitted rows are pushed, and
//! [`State::finish`] runs the stateful stages and returns the results. The rest of
//! this module holds the row operations the stages use.

pub(crate) mod cidr;
pub(crate) mod extract;
pub(crate) mod hash;
pub mod lookup;
pub(crate) mod pivot;
pub(crate) mod printf;
pub mod re;
pub(crate) mod reshape;
pub(crate) mod rows;
pub(crate) mod series;
mod stages;
mod state;
pub(crate) mod stream;
pub(crate) mod text;
pub mod time;
pub(crate) mod wildcard;

pub use rows::{field_glob, glob_target};
pub(crate) use stages::regex_hit;
pub use state::{event_time, State};
