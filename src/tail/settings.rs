//! `sse tail`'s settings: the command line and the environment, decided once.

use std::ffi::OsString;
use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{ColorChoice, StreamFormat, TailArgs};
use crate::error::Error;
use crate::event::DEFAULT_RETRY;
use crate::http::{self, Protocol, Request};
use crate::jq::Jq;
use crate::output::{Clock, Look, Mode};
use crate::parser::json_stream::Format;
use crate::term;
use crate::value::Source;

use super::mcp::Exchange;

/// `sse tail`'s settings: the command line and the environment, resolved once (as
/// ripgrep turns `LowArgs` into `HiArgs`). Nothing below `run` reads flags, the
/// environment or whether a stream is a terminal.
#[derive(Debug, Clone)]
pub struct Config {
    pub input: Input,
    pub mode: Mode,
    /// Event types to show; all when empty.
    pub filter: Vec<String>,
    pub count: Option<u64>,
    pub verbose: bool,
    /// No lifecycle lines (errors are still shown).
    pub quiet: bool,
    pub max_event_size: usize,
    /// How the stream's bytes are read (`--format`).
    pub framing: Framing,
    pub record: Option<PathBuf>,
    /// Reconnect when a stream ends (a GET, or `--reconnect`; not `--no-reconnect`).
    pub reconnect: bool,
    /// The reconnection time until the server sets one.
    pub retry: Duration,
    /// Give up connecting, or on a stream silent, for this long.
    pub timeout: Option<Duration>,
    /// Draw the live status line on stderr: only when stdout and stderr are both
    /// terminals, so it never lands in another program's output.
    pub status_line: bool,
    /// stderr is a terminal: Ctrl-C takes the status line away before the exit.
    pub stderr_tty: bool,
    /// How printed events look: colour, terminal width, clock.
    pub look: Look,
    /// The filter of `--jq` or `--text`.
    pub jq: Option<Jq>,
    /// Print the summary (`--stats`, or stderr is a terminal) at the end and on Ctrl-C.
    pub summary: bool,
    /// HTTP/1.1, HTTP/2, or whichever the server picks.
    pub protocol: Protocol,
    /// MCP's Streamable HTTP (`--mcp`, or a JSON-RPC request body).
    pub mcp: Option<Exchange>,
}

/// How a stream's bytes become events (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// As the response's Content-Type says; stdin is an event stream.
    ByContentType,
    /// Server-Sent Events.
    Sse,
    /// JSON values, each an event.
    Json(Format),
}

impl Framing {
    fn of(format: StreamFormat) -> Framing {
        match format {
            StreamFormat::Auto => Framing::ByContentType,
            StreamFormat::Sse => Framing::Sse,
            StreamFormat::Ndjson => Framing::Json(Format::Ndjson),
            StreamFormat::JsonSeq => Framing::Json(Format::JsonSeq),
            StreamFormat::Json => Framing::Json(Format::Array),
        }
    }

    /// How a response of this media type (lowercased, no parameters) is read: `None`
    /// when the type is not a stream's and nothing was forced.
    pub fn for_media_type(self, media_type: &str) -> Option<Framing> {
        match self {
            Framing::ByContentType if media_type == "text/event-stream" => Some(Framing::Sse),
            Framing::ByContentType => Format::of_media_type(media_type).map(Framing::Json),
            forced => Some(forced),
        }
    }

    /// How standard input is read.
    pub fn for_stdin(self) -> Framing {
        match self {
            Framing::ByContentType => Framing::Sse,
            forced => forced,
        }
    }
}

/// Where the stream comes from.
#[derive(Debug, Clone)]
pub enum Input {
    Stdin,
    /// The first request; reconnections repeat it with the Last-Event-ID they have.
    Url(Request),
}

/// What `sse tail` takes from its surroundings, read once at the edge.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub stdout_tty: bool,
    pub stderr_tty: bool,
    pub no_color: Option<OsString>,
    pub term: Option<OsString>,
    /// stdout's width when it is a terminal.
    pub width: Option<usize>,
    /// The local time zone (TZ, else the system's).
    pub clock: Clock,
}

impl Env {
    pub fn read() -> Self {
        let stdout_tty = io::stdout().is_terminal();
        Env {
            stdout_tty,
            stderr_tty: io::stderr().is_terminal(),
            no_color: std::env::var_os("NO_COLOR"),
            term: std::env::var_os("TERM"),
            width: term::stdout_width(stdout_tty),
            clock: Clock::local(),
        }
    }
}

impl Config {
    /// Decides everything the flags and the environment decide. Reads a `-d @file`
    /// body, the one thing here that can fail.
    pub fn resolve(mut args: TailArgs, color: ColorChoice, env: &Env) -> Result<Config, Error> {
        let mode = mode_of(&args);
        let jq = filter_of(&args)?;
        let (input, reconnect) = input_of(&mut args)?;
        let stdin = matches!(input, Input::Stdin);
        let mcp = mcp_of(&args, &input);
        let color = term::use_color(
            color,
            env.stdout_tty,
            env.no_color.as_deref(),
            env.term.as_deref(),
        );
        Ok(Config {
            input,
            mode,
            filter: args.events,
            count: args.count,
            verbose: args.verbose,
            quiet: args.quiet,
            max_event_size: args.max_event_size,
            framing: Framing::of(args.format),
            record: args.record,
            reconnect,
            retry: args.retry.unwrap_or(DEFAULT_RETRY),
            timeout: args.timeout,
            // --text leaves its line open between events: a status line drawn on the
            // same terminal would wipe it.
            status_line: env.stderr_tty
                && env.stdout_tty
                && !stdin
                && !args.quiet
                && mode != Mode::Text,
            stderr_tty: env.stderr_tty,
            jq,
            summary: args.stats || (env.stderr_tty && !args.quiet),
            protocol: Protocol::from_flags(
                args.transport.http1_1,
                args.transport.http2,
                args.transport.http2_prior_knowledge,
            ),
            look: Look {
                jsonrpc: mcp.is_some(),
                color,
                terminal: env.stdout_tty,
                width: env.width,
                clock: if args.utc {
                    Clock::utc()
                } else {
                    env.clock.clone()
                },
            },
            mcp,
        })
    }
}

fn mode_of(args: &TailArgs) -> Mode {
    if args.json {
        Mode::Json
    } else if args.raw {
        Mode::Raw
    } else if args.jq.is_some() {
        Mode::Jq
    } else if args.text.is_some() {
        Mode::Text
    } else {
        Mode::Pretty
    }
}

/// The filter of `--jq`, or of `--text` (the built-in LLM text filter when empty).
fn filter_of(args: &TailArgs) -> Result<Option<Jq>, Error> {
    let code = match (&args.jq, &args.text) {
        (Some(code), _) => ("--jq", code.as_str()),
        (None, Some(code)) if code.is_empty() => ("--text", crate::jq::LLM_TEXT),
        (None, Some(code)) => ("--text", code.as_str()),
        (None, None) => return Ok(None),
    };
    let (flag, code) = code;
    Jq::compile(code)
        .map(Some)
        .map_err(|e| Error::Usage(format!("{flag} '{code}': {e}")))
}

/// The MCP exchange, when `--mcp` is given or the request body is a JSON-RPC request
/// (`sse tail -` reads what a server sent: `--mcp` shows it as JSON-RPC).
fn mcp_of(args: &TailArgs, input: &Input) -> Option<Exchange> {
    let body = match input {
        Input::Url(req) => req.body.as_deref(),
        Input::Stdin => None,
    };
    speaks_mcp(args.mcp, body).then(|| Exchange::for_body(body, !args.no_reconnect))
}

/// Whether a run speaks MCP: `--mcp`, or its body is a JSON-RPC request.
fn speaks_mcp(asked: bool, body: Option<&[u8]>) -> bool {
    asked || body.and_then(crate::mcp::request_in).is_some()
}

/// Where the stream comes from, and whether it may be requested again.
fn input_of(args: &mut TailArgs) -> Result<(Input, bool), Error> {
    let url = match &args.source {
        Source::Stdin => {
            // Flags only a request uses mean nothing here: say so rather than ignore them.
            let request_only = [
                ("-H/--header", !args.headers.is_empty()),
                ("-X/--method", args.method.is_some()),
                ("-d/--data", args.data.is_some()),
                ("--last-event-id", args.last_event_id.is_some()),
                ("--retry", args.retry.is_some()),
                ("-k/--insecure", args.transport.insecure),
                ("--http1.1", args.transport.http1_1),
                ("--http2", args.transport.http2),
                (
                    "--http2-prior-knowledge",
                    args.transport.http2_prior_knowledge,
                ),
                ("--reconnect", args.reconnect),
            ];
            if let Some((flag, _)) = request_only.iter().find(|(_, given)| *given) {
                return Err(Error::Usage(format!(
                    "{flag} is for a URL: `sse tail -` reads standard input, with no request"
                )));
            }
            return Ok((Input::Stdin, false));
        }
        Source::Url(url) => url.clone(),
    };
    let body = args.data.as_deref().map(http::read_body).transpose()?;
    let method = http::method_or_default(args.method.take(), body.is_some());
    let reconnect = !args.no_reconnect && http::may_repeat(&method, args.reconnect);
    if speaks_mcp(args.mcp, body.as_deref()) {
        let defaults = crate::mcp::request_headers(body.as_deref().unwrap_or_default());
        crate::mcp::add_defaults(&mut args.headers, defaults);
    }
    let request = Request {
        url,
        method,
        headers: std::mem::take(&mut args.headers),
        body,
        last_event_id: args.last_event_id.take(),
        timeout: args.timeout,
        insecure: args.transport.insecure,
        accept_encoding: None,
    };
    Ok((Input::Url(request), reconnect))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn config(argv: &[&str], env: &Env) -> Config {
        let cli = crate::cli::Cli::try_parse_from([&["sse", "tail"][..], argv].concat()).unwrap();
        let crate::cli::Command::Tail(args) = cli.command else {
            unreachable!()
        };
        Config::resolve(args, cli.color, env).unwrap()
    }

    #[test]
    fn format_decides_how_a_stream_is_read() {
        let env = Env::default();
        let auto = config(&[":1/e"], &env).framing;
        assert_eq!(auto.for_media_type("text/event-stream"), Some(Framing::Sse));
        assert_eq!(
            auto.for_media_type("application/x-ndjson"),
            Some(Framing::Json(Format::Ndjson))
        );
        assert_eq!(auto.for_media_type("text/html"), None);
        assert_eq!(auto.for_stdin(), Framing::Sse);
        // Forced: whatever the Content-Type says.
        let seq = config(&[":1/e", "--format", "json-seq"], &env).framing;
        assert_eq!(
            seq.for_media_type("text/html"),
            Some(Framing::Json(Format::JsonSeq))
        );
        let sse = config(&[":1/e", "--format", "sse"], &env).framing;
        assert_eq!(sse.for_media_type("application/json"), Some(Framing::Sse));
        let json = config(&["-", "--format", "json"], &env).framing;
        assert_eq!(json.for_stdin(), Framing::Json(Format::Array));
    }

    #[test]
    fn settings_are_decided_once_from_flags_and_environment() {
        let tty = Env {
            stdout_tty: true,
            stderr_tty: true,
            ..Env::default()
        };
        let c = config(&[":8080/e"], &tty);
        assert!(c.look.color && c.status_line && c.reconnect);
        // --text keeps a line open on the terminal: no status line to wipe it.
        assert!(!config(&[":8080/e", "--text"], &tty).status_line);
        assert_eq!(c.retry, DEFAULT_RETRY);
        assert_eq!(c.mode, Mode::Pretty);
        let Input::Url(req) = &c.input else {
            panic!("a URL")
        };
        assert_eq!(
            (req.url.as_str(), req.method.as_str()),
            ("http://localhost:8080/e", "GET")
        );

        let no_color = Env {
            no_color: Some("1".into()),
            ..tty.clone()
        };
        assert!(!config(&[":8080/e"], &no_color).look.color);
        assert!(
            config(&["--color", "always", ":8080/e"], &no_color)
                .look
                .color
        );

        // A body implies POST, which is not re-sent unless asked.
        let c = config(&[":1/e", "-d", "{}", "--retry", "10"], &tty);
        assert!(!c.reconnect);
        assert_eq!(c.retry, Duration::from_millis(10));
        assert!(config(&[":1/e", "-d", "{}", "--reconnect"], &tty).reconnect);
        assert!(!config(&[":1/e", "--no-reconnect"], &tty).reconnect);

        // Flags for a request are usage errors with stdin, not ignored.
        for flag in [
            &["-H", "X: y"][..],
            &["-X", "POST"],
            &["-d", "x"],
            &["--last-event-id", "5"],
            &["--retry", "5"],
            &["-k"],
            &["--reconnect"],
        ] {
            let cli = crate::cli::Cli::try_parse_from([&["sse", "tail", "-"][..], flag].concat())
                .unwrap();
            let crate::cli::Command::Tail(args) = cli.command else {
                unreachable!()
            };
            let err = Config::resolve(args, cli.color, &tty).unwrap_err();
            assert!(
                matches!(&err, Error::Usage(msg) if msg.contains(&flag[0][1..]) && msg.contains("sse tail -")),
                "{flag:?}: {err}"
            );
        }

        // stdin has no connection to show a status for.
        let c = config(&["-", "--json"], &tty);
        assert!(matches!(c.input, Input::Stdin) && !c.status_line && c.mode == Mode::Json);
        assert!(!config(&[":1/e"], &Env::default()).status_line);
    }
}
