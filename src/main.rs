//! The `firedrill` command line: parses the arguments and dispatches to the command;
//! the exit code is 0 when everything passed, 1 when something failed or errored, 2 on
//! a usage or content error.

mod cli;
mod commands;

use clap::Parser;
use cli::{Cli, Command};
use std::process::ExitCode;

/// Reading and matching events allocates and frees many small strings: mimalloc does
/// that markedly faster than the system allocator (see README, Performance).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_e`, mimalloc.h; the
/// Rust binding names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory freed after one dataset is wanted again by the next: returned to the system
/// after a second instead of mimalloc's 10 ms, it is not zeroed and faulted in again
/// for every file (`MIMALLOC_PURGE_DELAY` still overrides this default).
fn tune_allocator() {
    // SAFETY: sets a default before any other thread exists; the call has no other
    // precondition.
    unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, 1000) };
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => commands::run::run(a),
        Command::Fetch(a) => commands::fetch(a),
        Command::Coverage(a) => commands::coverage(a),
        Command::Explain(a) => commands::explain::explain(a),
        Command::Search(a) => commands::search::search(a),
        Command::Merge(a) => commands::merge(a),
        Command::Replay(a) => commands::replay::replay(a),
        Command::HecSink(a) => commands::replay::sink(a),
        Command::Addons(cli::AddonsCommand::Check(a)) => commands::addons::check(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("firedrill: {e}");
            ExitCode::from(2)
        }
    }
}
