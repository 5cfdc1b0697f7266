//! `sse demo`: the built-in script served on a free loopback port and tailed, in one
//! process, so one command shows the whole tool.

use std::path::Path;
use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, ColorChoice, Command, DemoArgs};
use crate::error::Error;
use crate::serve::{self, script};

pub fn run(args: DemoArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    let config = serve::Config {
        script: script::parse(script::DEMO.as_bytes(), Path::new("(built-in demo)"))?,
        path: "/events".into(),
        repeat: false,
        interval: None,
        speed: 1.0,
        stamp: false,
        plan: serve::fault::Plan::default(),
        cors: None,
        log: false,
    };
    let addr = serve::spawn(config)?;
    let url = format!("{}/events", serve::base_url(addr));
    // The tail half takes its defaults from the one clap definition.
    let mut argv = vec!["sse", "tail", url.as_str(), "--no-reconnect"];
    if args.json {
        argv.push("--json");
    }
    let cli = Cli::try_parse_from(argv).expect("the demo's own tail arguments are valid");
    let Command::Tail(tail_args) = cli.command else {
        unreachable!("`sse tail ...` parses as the tail command")
    };
    crate::tail::run(tail_args, color, std::io::stdout().lock())
}
