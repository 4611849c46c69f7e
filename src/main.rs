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

fn main() -> ExitCode {
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
