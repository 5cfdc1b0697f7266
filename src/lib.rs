//! `sse`: see, mock and diagnose Server-Sent Events streams.
//!
//! The binary is a thin `main.rs`; everything lives here so tests and benchmarks can
//! call the parser and the clap definition directly.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod cli;
pub mod demo;
pub mod doctor;
pub mod error;
pub mod escape;
pub mod event;
pub mod format;
pub mod histogram;
pub mod http;
pub mod jq;
pub mod manual;
pub mod output;
pub mod parser;
pub mod readahead;
pub mod record;
pub mod serve;
mod simd;
pub mod stats;
pub mod status;
pub mod sync;
pub mod tail;
pub mod term;
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod testing;
pub mod value;

use std::process::ExitCode;

pub use error::Error;

/// Runs one subcommand: the only place that matches on `Command`.
pub fn run(cli: cli::Cli) -> Result<ExitCode, Error> {
    match cli.command {
        cli::Command::Tail(args) => tail::run(args, cli.color, std::io::stdout().lock()),
        cli::Command::Serve(args) => serve::run(args, cli.color),
        cli::Command::Doctor(args) => doctor::run(args, cli.color),
        cli::Command::Demo(args) => demo::run(args, cli.color),
    }
}
