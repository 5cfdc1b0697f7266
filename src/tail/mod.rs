//! `sse tail`: connect, parse, filter, print; reconnect the way a browser's EventSource
//! does.
//!
//! - `settings`: what the flags and the environment decide, once;
//! - `follow`: the reconnection loop (connect, check, wait, again);
//! - `mcp`: what MCP's Streamable HTTP adds (session id, JSON answers, resumption);
//! - `pump`: one stream's reads through the parser, each item recorded, counted, printed;
//! - `reader`: the parser for a stream's framing (SSE, or JSON values by `--format`);
//! - `sink`: the only writer of stdout (the printer, the flush points, `--raw`'s bytes).

mod follow;
mod mcp;
mod pump;
mod reader;
mod settings;
mod sink;

use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use colored::Colorize;

use crate::cli::{ColorChoice, TailArgs};
use crate::error::Error;
use crate::http::Client;
use crate::llm;
use crate::output;
use crate::record::Recorder;
use crate::stats::Stats;
use crate::status::Console;
use crate::sync::Interrupt;

use reader::Reader;
pub use settings::{Config, Env, Input};
use sink::Sink;

/// Runs `sse tail`, printing events to `out`.
pub fn run<W: Write>(args: TailArgs, color: ColorChoice, out: W) -> Result<ExitCode, Error> {
    let config = Config::resolve(args, color, &Env::read())?;
    colored::control::set_override(config.look.color);
    tail(&config, out)
}

/// `sse tail` with its settings decided.
pub fn tail<W: Write>(config: &Config, out: W) -> Result<ExitCode, Error> {
    let console = Console::new(config.status_line, config.look.terminal);
    // Ctrl-C is caught where there is something to finish (the recording, the summary,
    // the status line to take away); elsewhere it ends the process, as for `tail -f`.
    let interrupt = if config.stderr_tty || config.summary || config.record.is_some() {
        Interrupt::caught().clone()
    } else {
        Interrupt::default()
    };
    let stdin = || Box::new(io::stdin()) as Box<dyn Read + Send>;
    tail_with(config, out, console, interrupt, stdin)
}

/// The run, with its console, its Ctrl-C and (for `sse tail -`) its input given.
fn tail_with<W: Write>(
    config: &Config,
    out: W,
    console: Console,
    interrupt: Interrupt,
    stdin: impl FnOnce() -> Box<dyn Read + Send>,
) -> Result<ExitCode, Error> {
    let recorder = match &config.record {
        Some(path) => {
            // Said, not silent: a recording made before is gone.
            if path.exists() && !config.quiet {
                console.line(&format!(
                    "{} --record: replacing {}",
                    "*".dimmed(),
                    crate::escape::line(&path.display().to_string())
                ));
            }
            Some(Recorder::for_input(path, &config.input)?)
        }
        None => None,
    };
    let printer = output::printer(
        config.mode,
        config.look.clone(),
        config.jq.clone(),
        config.stderr_tty,
    );
    let mut run = Run {
        config,
        sink: Sink::new(printer, out, console.clone()),
        side: Side {
            console: console.clone(),
            recorder,
            stats: config.summary.then(|| Stats::new(Instant::now())),
        },
        progress: Progress {
            shown: 0,
            last_event_at: None,
            reads: 0,
            retry: config.retry,
            heard: Instant::now(),
            llm: llm::Watch::default(),
            reported: None,
            mcp: config.mcp.clone(),
        },
        interrupt,
        client: Client::new(config.protocol),
    };
    let result = match &config.input {
        Input::Stdin => run.read_stdin(stdin()),
        Input::Url(request) => run.follow(request.clone()),
    };
    if let Some(stats) = &run.side.stats {
        let summary = stats.summary(Instant::now());
        if result.is_ok() || summary.events > 0 {
            let interrupted = matches!(&result, Ok(code) if *code == self::interrupted());
            // The terminal echoed ^C where the cursor was: the summary starts below it.
            let after_ctrl_c = if interrupted && config.stderr_tty {
                "\n"
            } else {
                ""
            };
            console.line(&format!(
                "{after_ctrl_c}{} {}",
                "*".dimmed(),
                summary.line()
            ));
            if let Some(llm) = run.progress.llm.summary(stats.origin(), summary.requested) {
                console.line(&format!("{} {llm}", "*".dimmed()));
            }
        }
    }
    console.finish();
    if let Some(recorder) = run.side.recorder.as_mut() {
        recorder.finish()?;
    }
    result
}

/// One run of `sse tail`: its settings, where output goes, and what it has seen.
struct Run<'c, W: Write> {
    config: &'c Config,
    sink: Sink<W>,
    side: Side,
    progress: Progress,
    interrupt: Interrupt,
    /// Every connection of the run goes through it (one proxy environment).
    client: Client,
}

/// What is told besides stdout: stderr, the recording, the summary's numbers.
struct Side {
    console: Console,
    recorder: Option<Recorder>,
    /// What the summary reports (`--stats`, or stderr is a terminal).
    stats: Option<Stats>,
}

/// What the run has seen so far, across connections.
struct Progress {
    /// Events printed (for `-n`).
    shown: u64,
    last_event_at: Option<Instant>,
    /// Reads so far (see `Arrival::read`).
    reads: u64,
    /// The reconnection time, as the server last set it.
    retry: Duration,
    /// When the server last sent anything (or the run started): `--timeout` measures
    /// silence from here, across reconnections.
    heard: Instant,
    /// What the current stream, if an LLM's, promised about its end.
    llm: llm::Watch,
    /// An error the stream reported inside its 200 (it ends the run, exit 1).
    reported: Option<String>,
    /// MCP (`--mcp`, or a JSON-RPC request body): the session and the awaited answer.
    mcp: Option<mcp::Exchange>,
}

/// One stream being read: a connection, or stdin.
struct Conn {
    /// 1 for the first connection, counting reconnections.
    number: u32,
    opened: Instant,
    /// Where it came from after redirects ("stdin" for stdin).
    url: String,
}

/// How one stream (one connection, or stdin) ended.
enum End {
    /// The printer asked to stop: `-n` events were shown, or the stream sent `[DONE]`.
    Stopped,
    /// The body ended normally.
    Eof,
    /// Reading failed: reset, timeout, a broken chunked body.
    Lost(io::Error),
    /// Ctrl-C.
    Interrupted,
}

/// The exit status after Ctrl-C, as a shell reports a process SIGINT ended.
fn interrupted() -> ExitCode {
    ExitCode::from(130)
}

impl<W: Write> Run<'_, W> {
    fn read_stdin(&mut self, input: Box<dyn Read + Send>) -> Result<ExitCode, Error> {
        let mut reader = Reader::new(
            self.config.framing.for_stdin(),
            self.config.max_event_size,
            "",
            self.config.verbose,
        );
        let conn = Conn {
            number: 1,
            opened: Instant::now(),
            url: "stdin".into(),
        };
        let end = self.pump(input, &mut reader, &conn)?;
        self.stream_ended()?;
        self.unfinished(&reader);
        match end {
            End::Lost(e) if pump::is_timeout(&e) => Err(self.silence("stdin", "")),
            End::Lost(e) => Err(Error::io("reading stdin", e)),
            End::Stopped => self.stopped("stdin"),
            End::Eof => match self
                .progress
                .llm
                .cut()
                .or_else(|| reader.cut().map(|at| format!("the input ended {at}")))
            {
                Some(msg) => Err(Error::Stream {
                    url: "stdin".into(),
                    msg,
                }),
                None => Ok(ExitCode::SUCCESS),
            },
            End::Interrupted => self.interrupted(),
        }
    }

    /// The stream stopped as asked (`-n`, `[DONE]`), or at an error it reported.
    fn stopped(&mut self, url: &str) -> Result<ExitCode, Error> {
        match self.progress.reported.take() {
            Some(msg) => Err(Error::Stream {
                url: url.to_string(),
                msg,
            }),
            None => Ok(ExitCode::SUCCESS),
        }
    }

    /// A stream ended: the printer finishes what it has open (`--text`'s line) and says
    /// how many more events its filter failed on.
    fn stream_ended(&mut self) -> Result<(), Error> {
        self.sink.end().map_err(Error::Output)
    }

    /// `-v`: the stream ended inside an event (lines no blank line ended: the most
    /// common server bug is `\n` after each message instead of `\n\n`).
    fn unfinished(&self, reader: &Reader) {
        if let Some(lost) = reader.unfinished().filter(|_| self.config.verbose) {
            self.side.console.line(&format!("{} {lost}", "*".dimmed()));
        }
    }

    /// Ctrl-C: the recording ends as a connection that closed there.
    fn interrupted(&mut self) -> Result<ExitCode, Error> {
        if let Some(recorder) = self.side.recorder.as_mut() {
            recorder.closed("interrupted (Ctrl-C)")?;
        }
        Ok(interrupted())
    }

    /// A connection lifecycle line on stderr, unless `--quiet`.
    fn lifecycle(&self, text: &str) {
        if !self.config.quiet {
            self.side.console.line(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Captured;
    use clap::Parser as _;

    /// `sse tail - ARGS` over `input`, stderr captured: (exit, stdout, stderr).
    fn tail_stdin(argv: &[&str], input: &'static [u8]) -> (ExitCode, String, String) {
        tail_stdin_on(argv, input, false)
    }

    /// As [`tail_stdin`], with the status line live on a terminal when `live`.
    fn tail_stdin_on(
        argv: &[&str],
        input: &'static [u8],
        live: bool,
    ) -> (ExitCode, String, String) {
        let cli =
            crate::cli::Cli::try_parse_from([&["sse", "tail", "-"][..], argv].concat()).unwrap();
        let crate::cli::Command::Tail(args) = cli.command else {
            unreachable!()
        };
        let config = Config::resolve(args, cli.color, &Env::default()).unwrap();
        let err = Captured::default();
        let console = Console::to(Box::new(err.clone()), Box::new(|| Some(120)), live, live);
        if live {
            console.connected();
        }
        let mut out = Vec::new();
        let code = tail_with(&config, &mut out, console, Interrupt::default(), || {
            Box::new(input)
        })
        .unwrap();
        (code, String::from_utf8(out).unwrap(), err.text())
    }

    #[test]
    fn the_status_line_drawn_after_a_read_counts_that_read() {
        let (_, _, err) = tail_stdin_on(&["--json"], b"data: 1\n\ndata: 2\n\n", true);
        // The status line is drawn again right after the read's events are written.
        let drawn: Vec<&str> = err
            .split("\u{1b}[2m")
            .skip(1)
            .map(|d| d.split('\u{1b}').next().unwrap())
            .collect();
        // Every draw (one after the read's write, one at the stream's end) is current:
        // none shows the read's events missing.
        assert!(!drawn.is_empty());
        assert!(
            drawn
                .iter()
                .all(|d| d.contains(" · 2 events · 18 B · last event ")),
            "{drawn:?}"
        );
    }

    #[test]
    fn after_ctrl_c_on_a_terminal_the_summary_starts_on_its_own_line() {
        let cli = crate::cli::Cli::try_parse_from(["sse", "tail", "-"]).unwrap();
        let crate::cli::Command::Tail(args) = cli.command else {
            unreachable!()
        };
        let env = Env {
            stderr_tty: true,
            ..Env::default()
        };
        let config = Config::resolve(args, cli.color, &env).unwrap();
        let err = Captured::default();
        let console = Console::to(Box::new(err.clone()), Box::new(|| Some(80)), false, false);
        let interrupt = Interrupt::default();
        interrupt.trigger();
        let mut out = Vec::new();
        let code = tail_with(&config, &mut out, console, interrupt, || {
            Box::new(&b"data: 1\n\n"[..])
        })
        .unwrap();
        assert_eq!(code, ExitCode::from(130));
        assert!(
            err.text().starts_with("\n* 0 events in "),
            "{:?}",
            err.text()
        );
    }

    #[test]
    fn the_summary_counts_the_events_and_goes_to_stderr() {
        let (code, out, err) = tail_stdin(
            &["--stats", "--json"],
            b"data: 1\n\ndata: 2\n\n: c\n\ndata: 3\n\n",
        );
        assert_eq!(code, ExitCode::SUCCESS);
        assert_eq!(out.lines().count(), 3, "{out}");
        let summary = err.lines().last().unwrap();
        assert!(summary.starts_with("* 3 events in "), "{err}");
        assert!(summary.contains("; from the start: first byte "), "{err}");
        assert!(summary.contains("; gaps p50 "), "{err}");
    }

    #[test]
    fn count_and_done_end_the_stream_and_filter_errors_are_told_on_stderr() {
        let (_, out, err) = tail_stdin(
            &["-n", "2", "--text=."],
            b"data: \"a\"\n\ndata: \"b\"\n\ndata: \"c\"\n\n",
        );
        assert_eq!(out, "ab\n");
        assert_eq!(err, "");
        let (_, out, err) = tail_stdin(
            &["--jq", ".x"],
            b"data: {\"x\":1}\n\ndata: 2\n\ndata: 3\n\ndata: [DONE]\n\ndata: {\"x\":4}\n\n",
        );
        assert_eq!(out, "1\n");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        assert!(lines[0].starts_with("sse: --jq '.x': event 2 (type message): "));
        assert_eq!(lines[1], "sse: --jq '.x': 1 more event failed the filter");
    }
}
