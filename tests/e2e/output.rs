//! What `sse tail` prints: terminal safety, bounded rendering, layout.

use std::io::{Read, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;

use crate::support::*;

/// Event type, id and data full of terminal controls: ESC sequences (title, colour,
/// clear screen), BEL, DEL, and the C1 CSI U+009B that xterm obeys on its own.
const HOSTILE: &[u8] = b"event: x\x1b]0;owned\x07y\xc2\x9b2J\nid: 1\x1b[31m\xc2\x9b\nretry: 5\ndata: a\x1b[2Jb\x07c\xc2\x9b31m\ndata: \x7f\n\ndata: {\"k\xc2\x9b\":\"v\x7f\xc2\x9b\"}\n\n";

fn tail_hostile(color: &str) -> String {
    let server = RawServer::new("/e", vec![vec![send(SSE_HEAD), send(HOSTILE)]]);
    let out = sse()
        .args(["tail", &server.url, "--no-reconnect", "--color", color])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    server.join();
    String::from_utf8(out.stdout).expect("pretty output is UTF-8")
}

#[test]
fn no_control_character_from_the_network_reaches_the_terminal() {
    let plain = tail_hostile("never");
    assert!(!plain.contains('\x1b'), "{plain:?}");
    assert!(
        plain.chars().all(|c| !c.is_control() || c == '\n'),
        "{plain:?}"
    );
    // Shown, escaped: the type, the id and the data are all there.
    for shown in [
        "x\\x1b]0;owned\\x07y\\u{9b}2J",
        "id 1\\x1b[31m\\u{9b}",
        "a\\x1b[2Jb\\x07c\\u{9b}31m\n  \\x7f",
        "\"k\\u{9b}\": \"v\\x7f\\u{9b}\"",
    ] {
        assert!(plain.contains(shown), "{shown:?} in {plain:?}");
    }

    // With colour, the only ESCs are the colour codes sse writes itself: `ESC [ digits;… m`.
    let colored = tail_hostile("always");
    let mut rest = colored.as_str();
    let mut codes = 0;
    while let Some(at) = rest.find('\x1b') {
        let after = &rest[at + 1..];
        let end = after.find('m').expect("an SGR sequence ends with m");
        let params = &after[..end];
        assert!(
            params.starts_with('[') && params[1..].chars().all(|c| c.is_ascii_digit() || c == ';'),
            "a foreign escape sequence {:?} in {colored:?}",
            &after[..end + 1]
        );
        codes += 1;
        rest = &after[end + 1..];
    }
    assert!(codes > 0, "--color always writes colour");
    assert!(
        colored
            .chars()
            .all(|c| !c.is_control() || c == '\n' || c == '\x1b'),
        "{colored:?}"
    );
}

/// One event of 15 MiB: a JSON array nested 127 deep holding millions of numbers. Laid
/// out with indentation it would be gigabytes; printed as text it is its own size.
#[test]
fn a_huge_deeply_nested_json_event_costs_its_own_size() {
    const DEPTH: usize = 127;
    let mut event = b"data: ".to_vec();
    event.extend(std::iter::repeat_n(b'[', DEPTH));
    while event.len() < 15 << 20 {
        event.extend_from_slice(b"1,");
    }
    event.extend_from_slice(b"1");
    event.extend(std::iter::repeat_n(b']', DEPTH));
    event.extend_from_slice(b"\n\ndata: marker\n\n");
    let input_size = event.len();

    let mut child = sse()
        .args(["tail", "-", "--color", "never"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let writer = thread::spawn(move || {
        stdin.write_all(&event).unwrap();
        stdin
    });
    // Count stdout until the marker event has been printed, then look at the child's
    // peak memory while it is still alive (stdin open).
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        let mut total = 0usize;
        let mut tail = Vec::new();
        let mut buf = vec![0; 1 << 16];
        let mut told = false;
        loop {
            let n = stdout.read(&mut buf).unwrap();
            if n == 0 {
                return total;
            }
            total += n;
            tail.extend_from_slice(&buf[..n]);
            if tail.len() > 64 {
                tail.drain(..tail.len() - 64);
            }
            if !told && tail.ends_with(b"  marker\n") {
                told = true;
                tx.send(total).unwrap();
            }
        }
    });
    let printed = rx
        .recv_timeout(LIVE * 6)
        .expect("the marker event is printed");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    drop(writer.join().unwrap());
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 0);
    assert_eq!(reader.join().unwrap(), printed);

    assert!(
        printed < input_size + 1024,
        "printed {printed} bytes for an input of {input_size}"
    );
    if let Some(kib) = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    {
        // Input, parser buffer and output buffer: a few times 15 MiB, not gigabytes.
        assert!(kib < 160 * 1024, "peak memory {kib} KiB");
    }
}

/// The clock at the start of a pretty line, as seconds of the day (`HH:MM:SS.mmm`).
fn clock_seconds(line: &str) -> f64 {
    let clock = line.split_whitespace().next().unwrap_or_default();
    let clock = clock.trim_end_matches('Z');
    let parts: Vec<f64> = clock.split(':').map(|p| p.parse().unwrap()).collect();
    assert_eq!(parts.len(), 3, "{line:?}");
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}

/// Seconds between two times of day, across midnight.
fn apart(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(86_400.0);
    d.min(86_400.0 - d)
}

fn tail_stdin(args: &[&str], tz: &str) -> String {
    let mut cmd = sse();
    cmd.args(["tail", "-", "--color", "never"])
        .args(args)
        .env("TZ", tz);
    let out = run_with_stdin(cmd, b"data: tick\n\n".to_vec());
    assert_exit(&out, 0);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn pretty_times_are_local_unless_utc_is_asked_for() {
    let now = jiff::Timestamp::now();
    let of_day = |t: jiff::civil::Time| {
        f64::from(t.hour()) * 3600.0 + f64::from(t.minute()) * 60.0 + f64::from(t.second())
    };
    let new_york = of_day(now.in_tz("America/New_York").unwrap().time());
    let utc = of_day(now.in_tz("UTC").unwrap().time());

    let local = tail_stdin(&[], "America/New_York");
    assert!(!local.starts_with(|c: char| !c.is_ascii_digit()), "{local}");
    let shown = clock_seconds(&local);
    assert!(apart(shown, new_york) < 60.0, "New York time: {local}");
    assert!(!local.split_whitespace().next().unwrap().ends_with('Z'));

    // --utc: UTC, marked.
    let marked = tail_stdin(&["--utc"], "America/New_York");
    assert!(
        marked.split_whitespace().next().unwrap().ends_with('Z'),
        "{marked}"
    );
    assert!(
        apart(clock_seconds(&marked), utc) < 60.0,
        "UTC time: {marked}"
    );

    // --json keeps RFC 3339 UTC whatever TZ says.
    let json = tail_stdin(&["--json"], "America/New_York");
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    let time: jiff::Timestamp = v["time"].as_str().unwrap().parse().unwrap();
    assert!(v["time"].as_str().unwrap().ends_with('Z'), "{json}");
    assert!(time.duration_since(now).as_secs().abs() < 60, "{json}");
}

/// An OpenAI chat completions stream: a role chunk, three content deltas, a finish
/// chunk, then `[DONE]`.
const OPENAI: &str = r#"data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}

data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hello"}}]}

@sleep 20ms
data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":", wor"}}]}

data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"ld!"}}]}

data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

data: [DONE]

data: {"after":"done"}

"#;

/// An Anthropic messages stream, as the API sends it (named events, a ping).
const ANTHROPIC: &str = r#"event: message_start
data: {"type":"message_start","message":{"id":"msg_1","role":"assistant","content":[]}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Bonjour"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" tout le monde"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_stop
data: {"type":"message_stop"}

@close
"#;

/// The OpenAI Responses API: typed events with a `delta` string.
const RESPONSES: &str = r#"event: response.created
data: {"type":"response.created","response":{"id":"resp_1"}}

event: response.output_text.delta
data: {"type":"response.output_text.delta","item_id":"m1","output_index":0,"delta":"Hi"}

event: response.output_text.delta
data: {"type":"response.output_text.delta","item_id":"m1","output_index":0,"delta":" there"}

event: response.completed
data: {"type":"response.completed","response":{"id":"resp_1"}}

@close
"#;

/// `sse tail` against `sse serve SCRIPT`, run to its end. Several of these streams end
/// only by `[DONE]` (a GET stream is otherwise reconnected for ever): a tail still
/// running after a generous bound is killed and the test fails, rather than hangs.
fn tail_script(name: &str, script_text: &str, args: &[&str]) -> std::process::Output {
    let path = script(name, script_text);
    let (_server, url) = serve(&[path.to_str().unwrap()]);
    output_within(
        sse().args(["tail", &url, "--color", "never"]).args(args),
        LIVE * 3,
    )
}

#[test]
fn text_assembles_openai_deltas_and_done_ends_the_stream() {
    // No --no-reconnect: only [DONE] can end this GET stream with exit 0 (without it,
    // the tail would reconnect for ever and `wait` fail after its bound).
    let path = script("openai_text", OPENAI);
    let (_server, url) = serve(&[path.to_str().unwrap()]);
    let mut cmd = sse();
    cmd.args(["tail", &url, "--color", "never", "--text"]);
    let mut tail = Spawned::new(cmd);
    assert_eq!(tail.next_line(LIVE), "Hello, world!");
    let status = tail.wait(LIVE);
    assert_eq!(status.code(), Some(0), "{}", tail.stderr());
    assert_eq!(tail.rest(LIVE), Vec::<String>::new());
}

#[test]
fn text_assembles_anthropic_and_responses_streams() {
    let out = tail_script("anthropic_text", ANTHROPIC, &["--text", "--no-reconnect"]);
    assert_exit(&out, 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Bonjour tout le monde\n"
    );

    let out = tail_script("responses_text", RESPONSES, &["--text", "--no-reconnect"]);
    assert_exit(&out, 0);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Hi there\n");

    // A filter of one's own.
    let out = tail_script(
        "anthropic_own_text",
        ANTHROPIC,
        &[
            "--text=select($event == \"content_block_delta\") | .index",
            "--no-reconnect",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "00\n");
}

#[test]
fn done_is_an_end_marker_not_an_event() {
    let pretty = tail_script("openai_pretty", OPENAI, &[]);
    assert_exit(&pretty, 0);
    let text = String::from_utf8_lossy(&pretty.stdout);
    let last = text.lines().last().unwrap();
    assert!(last.ends_with("[DONE] end of stream"), "{text}");
    assert!(
        !text.contains("after"),
        "nothing after [DONE] is read: {text}"
    );

    let json = tail_script("openai_json", OPENAI, &["--json"]);
    assert_exit(&json, 0);
    let lines = json_lines(&json);
    assert_eq!(lines.len(), 5, "[DONE] is not printed as an event");
    assert!(lines.iter().all(|l| l["data"] != "[DONE]"));
}

#[test]
fn jq_runs_on_each_event_with_event_and_id_bound() {
    let script_text = "event: a\nid: 1\ndata: {\"n\":1,\"s\":\"x\"}\n\nevent: b\nid: 2\ndata: {\"n\":2}\n\nevent: a\ndata: plain text\n\n@close\n";
    let out = tail_script(
        "jq_vars",
        script_text,
        &[
            "--jq",
            "select($event == \"a\") | [$id, .n?, .s?, (strings)]",
            "--no-reconnect",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "[\"1\",1,\"x\"]\n[\"2\",\"plain text\"]\n"
    );
    // Strings raw, one result per line.
    let out = tail_script(
        "jq_raw",
        script_text,
        &["--jq", "$event, .s? // empty", "--no-reconnect"],
    );
    assert_exit(&out, 0);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\nx\nb\na\n");
    // With colour, JSON results are coloured as jq colours them, strings stay raw.
    let path = script("jq_colour", script_text);
    let (_server, url) = serve(&[path.to_str().unwrap()]);
    let out = sse()
        .args(["tail", &url, "--no-reconnect", "--color", "always"])
        .args(["--jq", "select($id == \"1\") | ., .s"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "\x1b[1;39m{\x1b[0m\x1b[34;1m\"n\"\x1b[0m\x1b[1;39m:\x1b[0m\x1b[0;39m1\x1b[0m\x1b[1;39m,\x1b[0m\x1b[34;1m\"s\"\x1b[0m\x1b[1;39m:\x1b[0m\x1b[0;32m\"x\"\x1b[0m\x1b[1;39m}\x1b[0m\nx\n"
    );
}

#[test]
fn jq_errors_name_the_filter() {
    // Not a filter: a usage error, before connecting.
    let out = sse()
        .args(["tail", "127.0.0.1:9/never", "--jq", ".a | "])
        .output()
        .unwrap();
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--jq '.a | '") && err.lines().count() == 1,
        "{err}"
    );

    // A filter that fails at run time: said once, naming the event; later failures counted.
    let out = tail_script(
        "jq_runtime",
        "data: {\"a\":1}\n\nid: 7\ndata: 5\n\ndata: 6\n\ndata: 8\n\ndata: {\"a\":2}\n\n@close\n",
        &["--jq", ".a", "--no-reconnect"],
    );
    assert_exit(&out, 0);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n2\n");
    let err = String::from_utf8_lossy(&out.stderr);
    let reports: Vec<&str> = err.lines().filter(|l| l.contains("--jq '.a'")).collect();
    assert_eq!(reports.len(), 2, "{err}");
    assert!(reports[0].contains("event 2 (type message, id 7)"), "{err}");
    assert!(reports[1].contains("2 more events failed"), "{err}");
}

/// `850 µs`, `12.3 ms`, `1.25 s`, `2m03s` as seconds.
fn seconds(text: &str) -> f64 {
    let text = text.trim();
    if let Some(ms) = text.strip_suffix(" ms") {
        ms.parse::<f64>().unwrap() / 1000.0
    } else if let Some(us) = text.strip_suffix(" µs") {
        us.parse::<f64>().unwrap() / 1e6
    } else if let Some(s) = text.strip_suffix(" s") {
        s.parse().unwrap()
    } else {
        let (m, s) = text.trim_end_matches('s').split_once('m').unwrap();
        m.parse::<f64>().unwrap() * 60.0 + s.parse::<f64>().unwrap()
    }
}

/// The duration after `label` in the summary line, up to the next `,`, `;` or `(`.
fn stat(line: &str, label: &str) -> f64 {
    let at = line
        .find(label)
        .unwrap_or_else(|| panic!("{label} in {line}"))
        + label.len();
    let rest = &line[at..];
    let end = rest.find([',', ';', '(']).unwrap_or(rest.len());
    seconds(&rest[..end])
}

#[test]
fn stats_report_the_stream_s_timing() {
    let out = tail_script(
        "stats",
        "@sleep 300ms\ndata: 1\n\n@sleep 200ms\ndata: 2\n\n@sleep 200ms\ndata: 3\n\n@close\n",
        &["--stats", "--json", "--no-reconnect"],
    );
    assert_exit(&out, 0);
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find(|l| l.contains(" events in "))
        .unwrap_or_else(|| panic!("no summary in {err}"));
    assert!(line.starts_with("* 3 events in "), "{line}");
    // Lower bounds only: a loaded machine may be slower, never faster.
    assert!(stat(line, " events in ") >= 0.7, "{line}");
    assert!(line.contains("; from the request: first byte "), "{line}");
    assert!(stat(line, "first event ") >= 0.3, "{line}");
    assert!(
        stat(line, "first byte ") <= stat(line, "first event "),
        "{line}"
    );
    // Quantiles are histogram buckets: within a few percent of the true gap.
    assert!(stat(line, "p50 ") >= 0.19, "{line}");
    assert!(stat(line, "max ") >= 0.2, "{line}");
    let rate: f64 = line
        .split('(')
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rate > 0.0 && rate < 5.0, "{line}");

    // Not asked for and stderr not a terminal: no summary.
    let out = tail_script("no_stats", "data: 1\n\n@close\n", &["--no-reconnect"]);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(" in "),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_is_coloured_as_jq_colours_it_only_when_colour_is_on() {
    let script_text = "id: 1\ndata: {\"a\":1}\n\n@close\n";
    let plain = tail_script("json_plain", script_text, &["--json", "--no-reconnect"]);
    assert_exit(&plain, 0);
    assert!(!plain.stdout.contains(&0x1b));
    assert_eq!(json_lines(&plain)[0]["id"], "1");

    let path = script("json_colour", script_text);
    let (_server, url) = serve(&[path.to_str().unwrap()]);
    let out = sse()
        .args([
            "tail",
            &url,
            "--json",
            "--no-reconnect",
            "--color",
            "always",
        ])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let text = String::from_utf8(out.stdout).unwrap();
    // jq 1.7's colours: keys 34;1, strings 0;32, numbers 0;39, punctuation 1;39.
    for want in [
        "\x1b[34;1m\"event\"\x1b[0m",
        "\x1b[0;32m\"message\"\x1b[0m",
        "\x1b[0;39m1\x1b[0m",
        "\x1b[1;39m{\x1b[0m",
    ] {
        assert!(text.contains(want), "{want:?} in {text:?}");
    }
    // The same object once the colour codes are gone.
    let mut bare = text.clone();
    for code in [
        "\x1b[0m",
        "\x1b[34;1m",
        "\x1b[0;32m",
        "\x1b[0;39m",
        "\x1b[1;39m",
    ] {
        bare = bare.replace(code, "");
    }
    let v: serde_json::Value = serde_json::from_str(bare.trim()).unwrap();
    assert_eq!(
        (v["data"].as_str(), v["id"].as_str()),
        (Some("{\"a\":1}"), Some("1"))
    );
}

#[test]
fn jq_survives_data_nested_a_million_deep() {
    let deep = "[".repeat(1 << 20) + &"]".repeat(1 << 20);
    let mut cmd = sse();
    cmd.args(["tail", "-", "--jq", "length"]);
    let out = run_with_stdin(cmd, format!("data: {deep}\n\ndata: [1,2]\n\n").into_bytes());
    assert_exit(&out, 0);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("event 1") && err.contains("nested deeper"),
        "{err}"
    );
}

/// On a terminal 60 columns wide, a JSON string longer than the line is cut into pieces
/// that fit, each further piece indented one step deeper than its member; into a pipe
/// the same event is not cut.
#[test]
fn on_a_terminal_a_long_json_string_wraps_with_its_indent() {
    let text =
        "the quick brown fox jumps over the lazy dog, and then it runs far away into the woods";
    let event = format!("data: {{\"id\":7,\"text\":\"{text}\"}}\n\n");
    let server = RawServer::new("/e", vec![vec![send(SSE_HEAD), send(event.as_bytes())]]);
    let mut cmd = sse();
    cmd.args(["tail", &server.url, "--no-reconnect"])
        .env("NO_COLOR", "1");
    let (status, screen) = Terminal::start(cmd, 60).finish();
    assert!(status.success(), "{screen}");
    server.join();
    let lines: Vec<&str> = screen.lines().collect();
    assert!(lines.iter().all(|l| l.chars().count() <= 60), "{screen}");
    let at = lines
        .iter()
        .position(|l| l.starts_with("    \"text\": \"the quick"))
        .unwrap_or_else(|| panic!("{screen}"));
    // The continuation line: indented one step (2 columns) past the member's 4.
    assert!(lines[at + 1].starts_with("      and"), "{screen}");
    let joined: String = lines[at..]
        .iter()
        .take_while(|l| !l.trim_start().starts_with('}'))
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(joined.contains(text), "{joined}");

    let server = RawServer::new("/e", vec![vec![send(SSE_HEAD), send(event.as_bytes())]]);
    let out = run_ok(&["tail", &server.url, "--no-reconnect"]);
    server.join();
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("\"{text}\"")));
}

/// After the window is resized, the next event's JSON is laid out for the new width: a
/// value that fit on one line at 200 columns gets a line per member at 40.
#[test]
fn after_a_resize_json_is_laid_out_for_the_new_width() {
    let event = b"data: {\"name\":\"a fairly long string\",\"list\":[1,2,3],\"n\":12345}\n\n";
    let (open, wait) = gate();
    let server = RawServer::new(
        "/e",
        vec![vec![send(SSE_HEAD), send(event), wait, send(event)]],
    );
    let mut cmd = sse();
    cmd.args(["tail", &server.url, "--no-reconnect"])
        .env("NO_COLOR", "1");
    let mut terminal = Terminal::start(cmd, 200);
    terminal.wait_for("\"n\": 12345}");
    terminal.resize(40);
    open.send(()).unwrap();
    let (status, screen) = terminal.finish();
    assert!(status.success(), "{screen}");
    server.join();
    let wide = screen
        .lines()
        .filter(|l| l.contains("{\"name\": \"a fairly long string\", \"list\": [1, 2, 3]"))
        .count();
    assert_eq!(
        wide, 1,
        "the first event on one line at 200 columns\n{screen}"
    );
    assert!(
        screen.contains("\n    \"name\": \"a fairly long string\",\n    \"list\": [1, 2, 3],\n"),
        "{screen}"
    );
}
