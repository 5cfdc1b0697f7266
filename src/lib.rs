//! `sse`: see, mock and diagnose Server-Sent Events streams.
//!
//! The binary is a thin `main.rs`; everything lives here so tests and benchmarks can
//! call the parser and the clap definition directly. Modules are private unless the
//! binary, the benchmarks, the fuzz targets or the tests need them.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![warn(clippy::undocumented_unsafe_blocks)]

mod check;
pub mod cli;
mod demo;
mod doctor;
mod error;
mod escape;
mod event;
mod format;
mod histogram;
mod http;
mod jq;
mod llm;
pub mod manual;
mod mcp;
pub mod output;
pub mod parser;
mod readahead;
mod record;
mod serve;
mod simd;
mod stats;
mod status;
mod sync;
mod tail;
mod term;
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod testing;
mod value;

use std::process::ExitCode;

pub use error::Error;

/// Runs one subcommand: the only place that matches on `Command`.
pub fn run(cli: cli::Cli) -> Result<ExitCode, Error> {
    match cli.command {
        cli::Command::Tail(args) => tail::run(args, cli.color, std::io::stdout().lock()),
        cli::Command::Serve(args) => serve::run(args, cli.color),
        cli::Command::Doctor(args) => doctor::run(args, cli.color),
        cli::Command::Check(args) => check::run(args, cli.color),
        cli::Command::Demo(args) => demo::run(args, cli.color),
    }
}
