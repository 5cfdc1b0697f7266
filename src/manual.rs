//! Words for people beside the flags: the examples that end each `--help`, and the man
//! pages' EXAMPLES, EXIT STATUS, ENVIRONMENT and (sse-serve) SCRIPT FORMAT sections.
//! One text for both: `cli.rs` puts the examples in `after_help`, and
//! tests/e2e/generated.rs renders [`man_sections`] into man/.

/// One example: what it does, and the command line.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    pub what: &'static str,
    pub command: &'static str,
}

const fn ex(what: &'static str, command: &'static str) -> Example {
    Example { what, command }
}

const SSE: &[Example] = &[
    ex(
        "See it work: a scripted stream served and tailed in one process",
        "sse demo",
    ),
    ex("Pretty-print a stream", "sse tail localhost:8080/events"),
    ex(
        "Serve a script on a free port (printed)",
        "sse serve script.txt --port 0",
    ),
    ex(
        "Find out why a stream arrives late",
        "sse doctor https://example.com/stream",
    ),
    ex(
        "Check a server against a recorded stream, in CI",
        "sse check :8080/events contract.txt --junit check.xml",
    ),
];

const TAIL: &[Example] = &[
    ex("Pretty-print a stream (`:8080/events` means localhost)", "sse tail :8080/events"),
    ex("One JSON object per event, for jq", "sse tail :8080/events --json | jq -r .data"),
    ex(
        "Only these event types, and stop after 10",
        "sse tail :8080/events -e update -e delete -n 10",
    ),
    ex(
        "Resume after an event, with an API token",
        "sse tail https://api.example.com/stream \\\n    -H 'Authorization: Bearer TOKEN' --last-event-id 42",
    ),
    ex(
        "An LLM's reply as it is written, and how fast it came (POST: not re-sent)",
        "sse tail https://api.openai.com/v1/chat/completions \\\n    -H \"Authorization: Bearer $OPENAI_API_KEY\" \\\n    -d '{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\n    \"content\":\"Hi\"}]}' --text --stats",
    ),
    ex(
        "A field of each event's JSON data, with the event type at hand",
        "sse tail :8080/events --jq 'select($event == \"price\") | \"\\($id) \\(.amount)\"'",
    ),
    ex(
        "Record a stream, then replay it with the same timing",
        "sse tail :8080/events --record capture.txt",
    ),
    ex("Read a stream another program fetched", "curl -sN localhost:8080/events | sse tail -"),
    ex(
        "An MCP server's answer to JSON-RPC, in the session initialize opened",
        "sse tail :8000/mcp -d '{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}' \\\n    -H 'Mcp-Session-Id: SESSION' -H 'MCP-Protocol-Version: 2025-11-25'",
    ),
];

const SERVE: &[Example] = &[
    ex("The built-in demo script on port 8080", "sse serve"),
    ex(
        "A script on a free port (the URL is printed)",
        "sse serve script.txt --port 0",
    ),
    ex(
        "Replay a recording ten times faster, forever",
        "sse serve capture.txt --speed 10 --loop",
    ),
    ex(
        "Behave like a buffering proxy: hold the body, send it at the end",
        "sse serve script.txt --fault buffer",
    ),
    ex(
        "Close each connection after 3 events",
        "sse serve script.txt --fault close-after=3",
    ),
    ex(
        "Go silent after 5 events, the connection kept open",
        "sse serve script.txt --fault stall-after=5",
    ),
    ex(
        "Stamp events so `sse doctor` can measure each one's delay",
        "sse serve script.txt --stamp",
    ),
    ex(
        "A script from standard input",
        "printf 'data: hi\\n\\n' | sse serve - --port 0",
    ),
];

const DOCTOR: &[Example] = &[
    ex(
        "Watch a stream for 10 seconds and report",
        "sse doctor https://example.com/stream",
    ),
    ex(
        "Watch longer, stop after 20 events",
        "sse doctor :8080/events --duration 1m -n 20",
    ),
    ex(
        "Fail when an event is over 200 ms late (by `sse serve --stamp` stamps)",
        "sse doctor :8080/events --max-delay 200ms",
    ),
    ex(
        "What the proxy adds: the stream through it beside the app's own",
        "sse doctor https://example.com/stream --compare http://localhost:3000/stream",
    ),
    ex(
        "A report for scripts",
        "sse doctor :8080/events --json | jq '.checks'",
    ),
    ex(
        "Which MCP revision an endpoint speaks, and whether it keeps its rules",
        "sse doctor --mcp :8000/mcp",
    ),
];

const CHECK: &[Example] = &[
    ex(
        "Check a server against a recording (`sse tail URL --record contract.txt`)",
        "sse check :8080/events contract.txt",
    ),
    ex(
        "Allow events to come a second late, and write JUnit XML for CI",
        "sse check https://api.example.com/stream contract.txt \\\n    --tolerance 1s --junit check.xml",
    ),
    ex(
        "One JSON object per expectation, for scripts",
        "sse check :8080/events contract.txt --json | jq 'select(.ok | not)'",
    ),
];

const DEMO: &[Example] = &[
    ex("The pretty view of a small scripted stream", "sse demo"),
    ex("The same events as JSON lines", "sse demo --json"),
];

/// The examples of `sse` (`"sse"`) or one of its subcommands (`"tail"`, ...).
pub fn examples(command: &str) -> &'static [Example] {
    match command {
        "tail" => TAIL,
        "serve" => SERVE,
        "doctor" => DOCTOR,
        "check" => CHECK,
        "demo" => DEMO,
        _ => SSE,
    }
}

/// The end of `--help`: the examples, each line short enough that no terminal of 80
/// columns wraps it (a long command is written on several lines, with `\\`).
pub fn examples_help(command: &str) -> String {
    let mut s = String::from("Examples:\n");
    for e in examples(command) {
        let command = e.command.replace('\n', "\n  ");
        s.push_str(&format!("  # {}\n  {command}\n\n", e.what));
    }
    s.truncate(s.trim_end().len());
    s
}

/// A piece of a man page section.
#[derive(Debug, Clone)]
pub enum Block {
    /// A paragraph.
    Text(String),
    /// A tagged paragraph: a term (bold), then its text.
    Item(&'static str, &'static str),
    /// Lines shown as they are, indented.
    Code(String),
}

fn text(s: &str) -> Block {
    Block::Text(s.to_string())
}

const EXIT_TAIL: &[(&str, &str)] = &[
    (
        "0",
        "The stream ended normally: the server closed it and --no-reconnect was given (or \
         the stream was opened by POST), -n events were shown, the server answered 204 (the \
         standard's \"stop reconnecting\"), it sent data: [DONE], an MCP request got its \
         result (or a notification 202 Accepted), or stdout was closed (| head).",
    ),
    (
        "1",
        "A runtime failure, said in one line on stderr: the connection failed, a status other \
         than 200 or 204 (the start of the response body follows), a Content-Type other than \
         text/event-stream, --timeout passed, an event larger than --max-event-size, an MCP \
         request answered with a JSON-RPC error or whose stream ended before its answer \
         without being resumed.",
    ),
    (
        "2",
        "A usage error: an unknown flag, a URL with a bad port or scheme, a --jq or --text \
         filter that does not compile.",
    ),
    ("130", "Interrupted (Ctrl-C)."),
];

const EXIT_SERVE: &[(&str, &str)] = &[
    (
        "0",
        "Never: the server does not stop on its own; it serves until interrupted (130) or \
         killed.",
    ),
    (
        "1",
        "A runtime failure: the port is taken, the script cannot be read, or it has an error \
         (named with its file and line).",
    ),
    (
        "2",
        "A usage error: an unknown flag or fault, a bad duration or path.",
    ),
    ("130", "Interrupted (Ctrl-C): the usual way to stop it."),
];

const EXIT_DOCTOR: &[(&str, &str)] = &[
    ("0", "No check FAILed (WARNs may have been reported)."),
    (
        "1",
        "At least one check FAILed, or the stream could not be watched at all. Interrupted \
         early (Ctrl-C), doctor still prints its report of what it saw.",
    ),
    ("2", "A usage error."),
];

const EXIT_CHECK: &[(&str, &str)] = &[
    (
        "0",
        "Every expectation was met: the response, each event in order and in time, and each \
         end of stream the script has.",
    ),
    (
        "1",
        "An expectation failed: an event differed, came late or not at all, the stream ended \
         early or did not end where the script says, the response differed, or the server \
         could not be reached.",
    ),
    (
        "2",
        "A usage error, or a script that cannot be read or has an error (named with its file \
         and line).",
    ),
];

const EXIT_DEMO: &[(&str, &str)] = &[
    ("0", "The demo stream played to its end."),
    ("1", "A runtime failure (no loopback port could be opened)."),
    ("2", "A usage error."),
    ("130", "Interrupted (Ctrl-C)."),
];

const EXIT_SSE: &[(&str, &str)] = &[
    (
        "0",
        "Success: for tail, a stream that ended normally (--no-reconnect, -n, a 204 answer, \
         data: [DONE]); for doctor, no check FAILed.",
    ),
    ("1", "A runtime failure, said in one line on stderr."),
    ("2", "A usage error."),
    (
        "130",
        "Interrupted (Ctrl-C): tail and serve end as the shell expects.",
    ),
];

const ENV_COLOR: &[(&str, &str)] = &[
    (
        "NO_COLOR",
        "When set and not empty, no colour (unless --color always).",
    ),
    ("TERM", "When dumb, no colour (unless --color always)."),
];

const ENV_PROXY: &[(&str, &str)] = &[
    (
        "http_proxy, HTTP_PROXY, https_proxy, HTTPS_PROXY",
        "The proxy for http:// and https:// URLs, as curl reads them.",
    ),
    (
        "all_proxy, ALL_PROXY",
        "The proxy for either scheme when no other is set.",
    ),
    (
        "no_proxy, NO_PROXY",
        "Hosts (comma-separated, * for all) reached without a proxy.",
    ),
];

const ENV_TZ: &[(&str, &str)] = &[(
    "TZ",
    "The time zone of the arrival times in the pretty view (a name such as \
     America/New_York, or a POSIX rule); unset, the system's (/etc/localtime). --utc shows \
     UTC instead; --json always writes UTC.",
)];

const SCRIPT_FORMAT: &str = "\
A script is the SSE wire format itself, plus directive lines that start with @ and script \
comments that start with #. Events are separated by blank lines; lines starting with : are \
SSE comments and are sent.";

const SCRIPT_EXAMPLE: &str = "\
# the seed example
@header X-Accel-Buffering: no
event: panda
data: one

@sleep 1s
event: panda
data: two

@sleep 500ms
: keep-alive comment
@close";

const DIRECTIVES: &[(&str, &str)] = &[
    ("@sleep DURATION", "Pause, e.g. 250ms, 1s, 1.5s."),
    ("@close", "End the connection here."),
    (
        "@status CODE",
        "The response status (before the first event).",
    ),
    (
        "@header Name: value",
        "A response header (before the first event).",
    ),
    (
        "@body TEXT",
        "Repeatable; with a non-200 @status, the lines of the response body, so an API's JSON \
         error for a 401 or 429 can be mocked.",
    ),
];

/// Directives that `sse check` reads and `sse serve` ignores (`@end` ends the connection).
const CHECK_DIRECTIVES: &[(&str, &str)] = &[
    (
        "@jq FILTER",
        "The next event's data (read as --jq reads it, $event and $id bound) must make FILTER \
         true, instead of matching exactly: @jq .choices[0].delta | has(\"content\").",
    ),
    (
        "@regex RE",
        "The next event's data must match RE somewhere (anchor it with ^ and $), instead of \
         matching exactly.",
    ),
    (
        "@repeat",
        "The next event may come more than once in a row.",
    ),
    ("@optional", "The next event may not come at all."),
    (
        "@within DURATION",
        "The next event must come this soon after the request, instead of by its script time.",
    ),
    (
        "@max-gap DURATION",
        "From here on, no event may come longer than this after the one before it.",
    ),
    (
        "@end [204]",
        "The server must end the stream here and send nothing more; with 204, the \
         reconnection after it must be answered 204. Only comments may follow.",
    ),
];

const CHECK_NOTES: &str = "\
sse check reads a script as a contract: each event's type, id (the last event ID in force, as \
a browser sees it) and data must match, in order; each must come by its time in the script (the \
@sleeps since the request) plus --tolerance, and by its gap from the previous event plus \
--tolerance; after an event that repeats, times count from its last arrival. @close means the \
server ends the stream there: the check reconnects at once with Last-Event-ID and expects what \
follows. @status, @header and @body are expected of every response (headers whose value \
differs per response, such as X-Request-Id, only need to be present). A script that does not \
end with @close or @end passes once its last event came, whatever follows.";

const SCRIPT_NOTES: &str = "\
Script bytes that are not valid UTF-8 are sent as they are (to mock a broken server), with a \
warning. --interval DURATION pauses between events that have no @sleep of their own. A script \
error names the file, line and what is wrong. A capture made with sse tail --record FILE is a \
valid script that replays the original timing. Each connection replays the script from the \
start, or from just after the event whose id equals the request's Last-Event-ID; a \
reconnection whose Last-Event-ID is the script's last event gets 204, so clients stop cleanly \
at the end of a finite script.";

fn items(list: &[(&'static str, &'static str)]) -> Vec<Block> {
    list.iter().map(|&(t, d)| Block::Item(t, d)).collect()
}

/// The sections a man page adds after the options, in order: (heading, blocks).
pub fn man_sections(command: &str) -> Vec<(&'static str, Vec<Block>)> {
    let examples = examples(command)
        .iter()
        .flat_map(|e| [text(e.what), Block::Code(e.command.to_string())])
        .collect();
    let exit = match command {
        "tail" => EXIT_TAIL,
        "serve" => EXIT_SERVE,
        "doctor" => EXIT_DOCTOR,
        "check" => EXIT_CHECK,
        "demo" => EXIT_DEMO,
        _ => EXIT_SSE,
    };
    let mut env = items(ENV_COLOR);
    match command {
        "tail" => {
            env.extend(items(ENV_TZ));
            env.extend(items(ENV_PROXY));
        }
        "doctor" | "check" => env.extend(items(ENV_PROXY)),
        "demo" => env.extend(items(ENV_TZ)),
        "serve" => {}
        _ => {
            env.extend(items(ENV_TZ));
            env.extend(items(ENV_PROXY));
        }
    }
    let mut sections = Vec::new();
    if command == "serve" {
        let mut script = vec![text(SCRIPT_FORMAT), Block::Code(SCRIPT_EXAMPLE.into())];
        script.push(text("Directives:"));
        script.extend(items(DIRECTIVES));
        script.push(text(SCRIPT_NOTES));
        script.push(text("Directives for sse check (sse serve ignores them):"));
        script.extend(items(CHECK_DIRECTIVES));
        script.push(text(CHECK_NOTES));
        sections.push(("SCRIPT FORMAT", script));
    }
    sections.push(("EXAMPLES", examples));
    sections.push(("EXIT STATUS", items(exit)));
    sections.push(("ENVIRONMENT", env));
    sections
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    /// Splits a command line as a POSIX shell would (quotes and backslashes; no
    /// expansion), up to the first unquoted `|`.
    fn words(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word = String::new();
        let mut in_word = false;
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\'' => {
                    in_word = true;
                    for c in chars.by_ref() {
                        if c == '\'' {
                            break;
                        }
                        word.push(c);
                    }
                }
                '"' => {
                    in_word = true;
                    while let Some(c) = chars.next() {
                        match c {
                            '"' => break,
                            '\\' => word.push(chars.next().unwrap()),
                            c => word.push(c),
                        }
                    }
                }
                '\\' => {
                    in_word = true;
                    word.push(chars.next().unwrap());
                }
                '|' => break,
                c if c.is_whitespace() => {
                    if in_word {
                        words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                }
                c => {
                    in_word = true;
                    word.push(c);
                }
            }
        }
        if in_word {
            words.push(word);
        }
        words
    }

    #[test]
    fn every_example_parses() {
        for command in ["sse", "tail", "serve", "doctor", "check", "demo"] {
            assert!(!examples(command).is_empty());
            for e in examples(command) {
                // As a shell reads it: a backslash-newline continues the line.
                let joined = e.command.replace("\\\n", "");
                // `curl ... | sse tail -`: the sse part.
                let line = match joined.find("| sse ") {
                    Some(at) => &joined[at + 2..],
                    None => joined.as_str(),
                };
                let argv = words(line);
                assert_eq!(argv[0], "sse", "{line}");
                if command != "sse" {
                    assert_eq!(argv[1], command, "{line}");
                }
                if let Err(err) = crate::cli::Cli::try_parse_from(&argv) {
                    panic!("{line}: {err}");
                }
            }
        }
    }

    #[test]
    fn example_filters_compile() {
        for e in examples("tail") {
            let argv = words(&e.command.replace("\\\n", ""));
            if let Some(at) = argv.iter().position(|w| w == "--jq") {
                crate::jq::Jq::compile(&argv[at + 1]).unwrap();
            }
        }
    }

    #[test]
    fn every_page_has_the_sections() {
        for command in ["sse", "tail", "serve", "doctor", "check", "demo"] {
            let headings: Vec<&str> = man_sections(command).iter().map(|s| s.0).collect();
            for want in ["EXAMPLES", "EXIT STATUS", "ENVIRONMENT"] {
                assert!(headings.contains(&want), "{command}: {headings:?}");
            }
        }
        assert_eq!(man_sections("serve")[0].0, "SCRIPT FORMAT");
        assert!(examples_help("tail").starts_with("Examples:\n  # "));
        for command in ["sse", "tail", "serve", "doctor", "check", "demo"] {
            for line in examples_help(command).lines() {
                assert!(line.chars().count() <= 78, "{command}: {line:?}");
            }
        }
    }
}
