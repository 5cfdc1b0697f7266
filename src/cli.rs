//! The command line: one clap definition, from which completions and man pages are made.
//! Only clap lives here; the value types and their parsers are in `value`.

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use crate::manual;
use crate::parser::DEFAULT_MAX_EVENT_SIZE;
use crate::value::{
    fault_help, parse_count, parse_duration, parse_header, parse_method, parse_origin, parse_path,
    parse_retry, parse_size, parse_source, parse_speed, parse_timeout, parse_url, Fault, Header,
    Source, FAULTS,
};

/// See, mock and diagnose Server-Sent Events streams.
///
/// `sse tail` streams and pretty-prints events like a browser's EventSource would see
/// them; `sse serve` replays a scripted stream, faults included; `sse doctor` finds out
/// why a stream arrives late or dies behind a proxy.
#[derive(Debug, Parser)]
#[command(name = "sse", version, about, long_about, propagate_version = true)]
#[command(after_help = manual::examples_help("sse"))]
pub struct Cli {
    /// When to use colour: auto (a terminal without NO_COLOR), always, never
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, value_name = "WHEN")]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect to an event stream and print its events as they arrive
    #[command(after_help = manual::examples_help("tail"))]
    Tail(TailArgs),
    /// Serve a scripted event stream (the built-in demo when no script is given)
    ///
    /// A script is the SSE wire format itself, plus `#` comments and directives: @sleep
    /// DURATION, @close, and before the first event @status CODE, @header 'Name: value'
    /// and @body TEXT. `sse check` reads more directives, which serve ignores: @jq
    /// FILTER, @regex RE, @repeat, @optional, @within DURATION, @max-gap DURATION and
    /// @end [204] (serve ends the connection there, as at @close). All of them are
    /// described under SCRIPT FORMAT in `man sse-serve`.
    #[command(after_help = manual::examples_help("serve"))]
    Serve(ServeArgs),
    /// Watch a stream and report buffering and proxy problems, with fixes
    #[command(after_help = manual::examples_help("doctor"))]
    Doctor(DoctorArgs),
    /// Check a live stream against a script (a recording from `tail --record` as it is)
    ///
    /// The script is one `sse serve` plays: its events are expected in order (type, id and
    /// data exactly, unless a directive says otherwise), each by its time in the script
    /// plus --tolerance; `@close` means the server ends the stream there, and the check
    /// reconnects at once with Last-Event-ID, as a browser would; `@status`, `@header` and
    /// `@body` are expected of each response. The directives only the check reads (@jq,
    /// @regex, @repeat, @optional, @within, @max-gap, @end) are under SCRIPT FORMAT in
    /// `man sse-serve`. Exit status: 0 when every expectation was met, 1 when one was not,
    /// 2 for a usage error or a bad script.
    #[command(after_help = manual::examples_help("check"))]
    Check(CheckArgs),
    /// Serve the built-in script on a free loopback port and tail it
    #[command(after_help = manual::examples_help("demo"))]
    Demo(DemoArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// How `sse tail` reads a stream's bytes (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StreamFormat {
    Auto,
    Sse,
    Ndjson,
    JsonSeq,
    Json,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// The stream: a URL, `host:port/path`, `:port/path` (localhost), or `-` for stdin
    #[arg(value_name = "URL", value_parser = parse_source)]
    pub source: Source,

    // Never set: an argument after the URL, caught to say what it is (`StrayParser`).
    #[arg(value_name = "URL", hide = true, value_parser = StrayParser)]
    pub stray: Option<String>,

    /// Show only events of this type (repeatable)
    #[arg(
        short = 'e',
        long = "event",
        value_name = "TYPE",
        conflicts_with = "raw"
    )]
    pub events: Vec<String>,

    /// Print one JSON object per event (NDJSON): event, data, id, time, gap_ms, connection.
    /// `data: [DONE]` (the end of an LLM stream) ends the stream and is not printed
    #[arg(long, conflicts_with = "raw")]
    pub json: bool,

    /// Print the bytes of the stream as received, like `curl -N`
    #[arg(long)]
    pub raw: bool,

    /// Show arrival times in UTC rather than local time (TZ); --json always uses UTC
    #[arg(long, conflicts_with_all = ["jq", "text", "raw"])]
    pub utc: bool,

    /// Run a jq filter on each event's data (parsed as JSON; a string when it is not),
    /// with $event (the type) and $id bound; print each result on a line, strings raw and
    /// other values as compact JSON. An error names the filter and the first event it
    /// failed on; later failures are only counted
    #[arg(long, value_name = "FILTER", conflicts_with_all = ["raw", "json"])]
    pub jq: Option<String>,

    /// Assemble text live, as a chat shows a reply: the string results of FILTER joined
    /// without newlines. Without FILTER, the answer of OpenAI chat completions
    /// (.choices[0].delta.content), OpenAI Responses (response.output_text.delta),
    /// Anthropic (content_block_delta .delta.text), Gemini (.candidates[0].content.parts)
    /// and Ollama (.message.content, .response) streams, and stdout is the answer alone:
    /// reasoning goes to stderr as it streams (dimmed on a terminal), each tool call to a
    /// stderr line once complete (`tool call NAME ARGUMENTS (id ID)`, the arguments
    /// checked to be JSON)
    #[arg(
        long,
        value_name = "FILTER",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "",
        conflicts_with_all = ["raw", "json", "jq"]
    )]
    pub text: Option<String>,

    /// Print a summary on stderr at the end: time to first byte and first event, events,
    /// events per second, gaps p50/p99/max; for an LLM stream also a line with its finish
    /// reason, the tokens it reports, time to first token, gaps between tokens, output
    /// tokens per second and lost Responses events (also without --stats when stderr is a
    /// terminal, unless --quiet)
    #[arg(long)]
    pub stats: bool,

    /// Add a request header, `Name: value` (repeatable); `Name:` removes a default one
    #[arg(short = 'H', long = "header", value_name = "HEADER", value_parser = parse_header)]
    pub headers: Vec<Header>,

    /// Send this Last-Event-ID on the first request, to resume a stream
    #[arg(long, value_name = "ID")]
    pub last_event_id: Option<String>,

    /// Reconnection time until the server sends `retry:` (e.g. 2s, 500ms; a bare number
    /// is milliseconds) [default: 3s]
    #[arg(long, value_name = "DURATION", value_parser = parse_retry)]
    pub retry: Option<Duration>,

    /// Exit after this many events have been shown
    #[arg(short = 'n', long, value_name = "N", value_parser = parse_count)]
    pub count: Option<u64>,

    /// Give up connecting, or on a stream silent for this long (e.g. 30s, 1m)
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,

    /// Show request and response headers, comments and retry changes on stderr
    #[arg(short, long)]
    pub verbose: bool,

    /// No connection lifecycle lines and no live status line on stderr; errors are still shown
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Exit when the stream ends instead of reconnecting
    #[arg(long, conflicts_with = "reconnect")]
    pub no_reconnect: bool,

    /// Reconnect even a stream opened with a method other than GET (re-sends the body)
    #[arg(long)]
    pub reconnect: bool,

    /// HTTP method [default: GET, or POST with --data]
    #[arg(short = 'X', long, value_name = "METHOD", value_parser = parse_method)]
    pub method: Option<String>,

    /// Request body; `@file` reads a file, `@-` standard input (implies POST)
    #[arg(short = 'd', long, value_name = "DATA")]
    pub data: Option<String>,

    /// Speak MCP's Streamable HTTP (on by itself when the body is a JSON-RPC request):
    /// accept a JSON answer as well as a stream, show each JSON-RPC message with its id,
    /// method, result or error and the answer's latency, end at the answer to the
    /// request, send the Mcp-Session-Id the server assigns on later requests, resume a
    /// stream cut before the answer with a GET carrying Last-Event-ID; a request whose
    /// params._meta names its protocol version (2026-07-28) also gets the
    /// MCP-Protocol-Version, Mcp-Method and Mcp-Name headers
    #[arg(long)]
    pub mcp: bool,

    #[command(flatten)]
    pub transport: TransportArgs,

    /// How the stream is framed: auto (by the Content-Type: text/event-stream is sse,
    /// application/x-ndjson ndjson, application/json-seq json-seq, application/json json,
    /// another type an error; stdin is sse), or one of these whatever the Content-Type:
    /// sse (Server-Sent Events), ndjson (a JSON value per line: Ollama), json-seq (RFC 7464:
    /// 0x1E before each value), json (a JSON array, element by element: Gemini without
    /// ?alt=sse). Each JSON value is an event of type message, its data the value's compact
    /// JSON, no id; a value that is not JSON ends the stream (exit 1)
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = StreamFormat::Auto)]
    pub format: StreamFormat,

    /// Largest line or event accepted (e.g. 16MiB, 512KiB, 1G); for JSON streams, the
    /// largest value
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "16MiB")]
    pub max_event_size: usize,

    /// Also write what arrives to FILE as a script `sse serve` replays with the same gaps
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub record: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The script to serve (`-` for stdin); the built-in demo script when none is given
    #[arg(value_name = "SCRIPT", value_hint = ValueHint::FilePath)]
    pub script: Option<PathBuf>,

    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// Port to listen on; 0 picks a free one (printed on stdout)
    #[arg(short, long, value_name = "PORT", default_value_t = 8080)]
    pub port: u16,

    /// URL path of the stream
    #[arg(long, value_name = "PATH", default_value = "/events", value_parser = parse_path)]
    pub path: String,

    /// Replay the script forever
    #[arg(long = "loop")]
    pub repeat: bool,

    /// Pause between events that have no @sleep of their own (e.g. 1s, 250ms)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub interval: Option<Duration>,

    /// Play every pause FACTOR times faster (`10` replays a recording at 10x, `0.5` at half speed)
    #[arg(long, value_name = "FACTOR", default_value = "1", value_parser = parse_speed)]
    pub speed: f64,

    /// Write `: sent-at <unix-ms>` before each event, so `sse doctor` can measure delays
    #[arg(long)]
    pub stamp: bool,

    // The help lists every fault of `value::FAULTS`, with what it does.
    #[arg(long, value_name = "NAME[=ARG]", value_parser = FaultParser, hide_possible_values = true,
          help = fault_help())]
    pub fault: Vec<Fault>,

    /// Allow pages from this origin (or `*`) to open the stream (CORS)
    #[arg(long, value_name = "ORIGIN", value_parser = parse_origin)]
    pub cors: Option<String>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The stream to examine: a URL, `host:port/path` or `:port/path`
    #[arg(value_name = "URL", value_parser = parse_url)]
    pub url: String,

    /// How long to watch the stream
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub duration: Duration,

    /// Stop watching after this many events
    #[arg(short = 'n', long, value_name = "N", value_parser = parse_count)]
    pub count: Option<u64>,

    /// Fail when an event arrives later than this after it was sent (needs `: sent-at` stamps)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_delay: Option<Duration>,

    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,

    /// Add a request header, `Name: value` (repeatable)
    #[arg(short = 'H', long = "header", value_name = "HEADER", value_parser = parse_header)]
    pub headers: Vec<Header>,

    /// Give up connecting after this long
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,

    #[command(flatten)]
    pub transport: TransportArgs,

    /// HTTP method [default: GET, or POST with --data]
    #[arg(short = 'X', long, value_name = "METHOD", value_parser = parse_method)]
    pub method: Option<String>,

    /// Request body; `@file` reads a file, `@-` standard input (implies POST)
    #[arg(short = 'd', long, value_name = "DATA")]
    pub data: Option<String>,

    /// Let the probes send a request opened with a method other than GET again (the
    /// resume, compression and head probes reconnect; a POST can repeat an action or cost
    /// money)
    #[arg(long)]
    pub reconnect: bool,

    /// Also watch this URL of the same stream (the upstream, without the proxy) side by
    /// side, and report the delay the hops in between add to each event
    #[arg(long, value_name = "URL", value_parser = parse_url)]
    pub compare: Option<String>,

    /// Skip the experiments after the watch (resume, compression, http2, head, arrival)
    #[arg(long)]
    pub no_probes: bool,

    /// Examine an MCP endpoint (Streamable HTTP; also when the body is a JSON-RPC
    /// request) instead of watching a stream: which revision it speaks (the version
    /// initialize negotiates, the versions server/discover lists) and, by experiment,
    /// what that revision requires: for 2025-11-25 the session id honoured (400 without
    /// it, 404 for one never issued), 400 for an unsupported MCP-Protocol-Version and
    /// resumption by GET with Last-Event-ID; for 2026-07-28, 400 and -32020 for a
    /// missing Mcp-Method, 405 for GET and no session id
    #[arg(long, conflicts_with_all = ["compare", "no_probes", "max_delay", "count"])]
    pub mcp: bool,
}

/// `sse check URL SCRIPT`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The stream to check: a URL, `host:port/path` or `:port/path`
    #[arg(value_name = "URL", value_parser = parse_url)]
    pub url: String,

    /// The script that says what must arrive (`-` for stdin)
    #[arg(value_name = "SCRIPT", value_hint = ValueHint::FilePath)]
    pub script: PathBuf,

    /// How much later than the script says an event may come, counted from the request
    /// and from the previous event
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "500ms")]
    pub tolerance: Duration,

    /// Give up connecting after this long, and wait this long past its time for an
    /// event that is late before calling it missing
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,

    /// Print one JSON object per expectation (the summary goes to stderr)
    #[arg(long)]
    pub json: bool,

    /// Also write the results to FILE as JUnit XML, which CI systems show
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub junit: Option<PathBuf>,

    /// Print only what failed, and the summary
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,

    /// Add a request header, `Name: value` (repeatable); `Name:` removes a default one
    /// (the check asks as a browser does, with `Accept-Encoding: gzip, deflate, br, zstd`)
    #[arg(short = 'H', long = "header", value_name = "HEADER", value_parser = parse_header)]
    pub headers: Vec<Header>,

    /// HTTP method [default: GET, or POST with --data]
    #[arg(short = 'X', long, value_name = "METHOD", value_parser = parse_method)]
    pub method: Option<String>,

    /// Request body; `@file` reads a file, `@-` standard input (implies POST)
    #[arg(short = 'd', long, value_name = "DATA")]
    pub data: Option<String>,

    /// Let an `@close` in the script reconnect a request opened with a method other than
    /// GET (it re-sends the body: a POST can repeat an action or cost money)
    #[arg(long)]
    pub reconnect: bool,

    #[command(flatten)]
    pub transport: TransportArgs,
}

/// How tail, doctor and check connect: TLS checks and the HTTP version.
#[derive(Debug, Args)]
pub struct TransportArgs {
    /// Accept any TLS certificate (self-signed development servers)
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// Speak HTTP/1.1 only, even to a server that offers HTTP/2
    #[arg(long = "http1.1", conflicts_with_all = ["http2", "http2_prior_knowledge"])]
    pub http1_1: bool,

    /// Require HTTP/2 (h2 by ALPN on https); fail if the server does not speak it
    #[arg(long, conflicts_with = "http2_prior_knowledge")]
    pub http2: bool,

    /// Speak HTTP/2 on http:// without asking first (h2c), as curl's flag of that name
    #[arg(long)]
    pub http2_prior_knowledge: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Print events as JSON lines instead of the pretty view
    #[arg(long)]
    pub json: bool,
}

/// What shell completion offers for `--fault`: each of `value::FAULTS`, those that
/// take an argument with their `=`. Parsing is `value::parse_fault`'s, so
/// `close-after=3` is accepted though only `close-after=` is listed.
fn fault_completions() -> &'static [&'static str] {
    // clap (without its `string` feature) wants `&'static str`: made once, kept for
    // the life of the process.
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        FAULTS
            .iter()
            .map(|spec| &*Box::leak(spec.completion().into_boxed_str()))
            .collect()
    })
}

/// `--fault NAME[=ARG]`: parsed by `value::parse_fault`, completed from [`fault_completions`].
#[derive(Debug, Clone, Copy)]
struct FaultParser;

impl TypedValueParser for FaultParser {
    type Value = Fault;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Fault, clap::Error> {
        let text = value.to_str().ok_or_else(|| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidUtf8,
                "--fault must be UTF-8\n",
            )
            .with_cmd(cmd)
        })?;
        crate::value::parse_fault(text).map_err(|msg| {
            let name = arg.map_or("--fault".to_string(), |a| a.to_string());
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value '{text}' for '{name}': {msg}\n"),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            fault_completions().iter().map(|n| PossibleValue::new(*n)),
        ))
    }
}

/// A second positional argument to `sse tail`, always refused: a filter that `--text .msg`
/// left behind (`--text` takes its FILTER only after `=`) is named as one, since clap
/// would call it an unexpected argument, or it would be taken for the URL.
#[derive(Debug, Clone, Copy)]
struct StrayParser;

impl TypedValueParser for StrayParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let text = value.to_string_lossy();
        let msg = match parse_source(&text) {
            Err(msg) if text.starts_with('.') => msg,
            _ => format!("unexpected argument '{text}' found"),
        };
        Err(clap::Error::raw(clap::error::ErrorKind::UnknownArgument, msg + "\n").with_cmd(cmd))
    }
}

/// The clap command, for completions, man pages and tests.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

// `--max-event-size` says "16MiB"; keep it in step with the parser's default.
const _: () = assert!(DEFAULT_MAX_EVENT_SIZE == 16 * 1024 * 1024);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_cli() {
        command().debug_assert();
    }

    #[test]
    fn completions_offer_script_files_and_fault_names() {
        use clap_complete::Shell;
        let script = |shell| {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut command(), "sse", &mut buf);
            String::from_utf8(buf).unwrap()
        };
        let faults = fault_completions().join(" ");
        let bash = script(Shell::Bash);
        assert!(
            bash.contains(&format!("compgen -W \"{faults}\"")),
            "bash --fault"
        );
        // bash: SCRIPT falls back to file names (`-o default`) when no option matches.
        assert!(bash.contains("-o default sse"));
        let zsh = script(Shell::Zsh);
        assert!(zsh.contains(&format!("({faults})")), "zsh --fault");
        assert!(
            zsh.lines()
                .any(|l| l.starts_with("'::script -- ") && l.ends_with(":_files' \\")),
            "zsh SCRIPT"
        );
        let fish = script(Shell::Fish);
        assert!(
            fish.contains("-l fault") && fish.contains("\"buffer\\t''"),
            "fish --fault"
        );
    }

    #[test]
    fn fault_completions_are_faults() {
        for name in fault_completions() {
            let sample = match *name {
                "content-type=" => "content-type=text/plain".to_string(),
                "status=" => "status=500".to_string(),
                n if n.ends_with('=') => format!("{n}3"),
                n => n.to_string(),
            };
            assert!(
                crate::value::parse_fault(&sample).is_ok(),
                "{sample} is completed but refused"
            );
            assert!(Cli::try_parse_from(["sse", "serve", "--fault", &sample]).is_ok());
        }
        let err = Cli::try_parse_from(["sse", "serve", "--fault", "nope"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("unknown fault"), "{err}");
    }

    #[test]
    fn tail_parses_like_curl() {
        let cli = Cli::try_parse_from([
            "sse",
            "tail",
            ":9/e",
            "-H",
            "Authorization: Bearer a:b",
            "-e",
            "x",
            "-e",
            "y",
            "-d",
            "{}",
        ])
        .unwrap();
        let Command::Tail(t) = cli.command else {
            panic!("not tail")
        };
        assert_eq!(t.source, Source::Url("http://localhost:9/e".into()));
        assert_eq!(
            t.headers,
            vec![Header {
                name: "Authorization".into(),
                value: "Bearer a:b".into()
            }]
        );
        assert_eq!(t.events, vec!["x", "y"]);
        assert_eq!(t.max_event_size, DEFAULT_MAX_EVENT_SIZE);
        assert!(Cli::try_parse_from(["sse", "tail", "x", "--json", "--raw"]).is_err());
        assert!(
            Cli::try_parse_from(["sse", "tail", "x", "--reconnect", "--no-reconnect"]).is_err()
        );
        assert!(Cli::try_parse_from(["sse", "tail", "x", "-n", "0"]).is_err());
        let err = Cli::try_parse_from(["sse", "tail", ":1/e", "--text", ".msg"]).unwrap_err();
        assert!(err.to_string().contains("write --text=.msg"), "{err}");
        let err = Cli::try_parse_from(["sse", "tail", ":1/e", ":2/e"]).unwrap_err();
        assert!(
            err.to_string().contains("unexpected argument ':2/e'"),
            "{err}"
        );
        assert!(Cli::try_parse_from(["sse", "tail", "x", "--color", "sometimes"]).is_err());
        assert!(Cli::try_parse_from(["sse", "--color", "never", "tail", "x"]).is_ok());
    }
}
