//! Streams that are not SSE: Ollama's NDJSON, Gemini's JSON array (without `?alt=sse`)
//! and RFC 7464 JSON text sequences, read by Content-Type or `--format`, each JSON
//! value one event, with `--text`, `--jq`, `--json`, `--stats` and `--record` on them.

use std::path::PathBuf;

use crate::support::*;

fn example(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/llm")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn ollama_ndjson_is_read_by_its_content_type_and_done_true_ends_it() {
    let (server, url) = serve(&[&example("ollama-chat.txt"), "--path", "/api/chat"]);
    // A mock of another type is served as its lines, not counted as events.
    let serving = server.stderr_line_with("serving ", LIVE);
    assert!(
        serving.contains("ollama-chat.txt (its lines as application/x-ndjson); "),
        "{serving}"
    );
    assert!(
        !server.stderr().contains("is not a field"),
        "{}",
        server.stderr()
    );
    let out = run_ok(&["tail", &url, "-d", "{}", "--text", "--stats"]);
    assert_eq!(stdout(&out), "The answer is 42.\n");
    let err = stderr(&out);
    assert!(
        err.contains("(HTTP/1.1 200 OK), read as NDJSON: each value an event"),
        "{err}"
    );
    assert!(err.contains("* 4 events in "), "{err}");
    // Each line is one message event, its data the object's JSON, no id.
    let out = run_ok(&["tail", &url, "-d", "{}", "--json", "-q"]);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4);
    assert!(lines
        .iter()
        .all(|v| v["event"] == "message" && v["id"] == ""));
    let first: serde_json::Value = serde_json::from_str(&data_of(&lines)[0]).unwrap();
    assert_eq!(first["message"]["content"], "The");
    let out = run_ok(&["tail", &url, "-d", "{}", "-q", "--jq", ".done"]);
    assert_eq!(stdout(&out), "false\nfalse\nfalse\ntrue\n");
}

#[test]
fn an_ollama_stream_cut_before_done_true_exits_1_even_quiet() {
    let (_server, url) = serve(&[&example("ollama-cut.txt"), "--path", "/api/chat"]);
    let out = run_exit(&["tail", &url, "-d", "{}", "--text", "-q"], 1);
    assert_eq!(stdout(&out), "The answer is\n");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("the stream was cut before its end: an Ollama stream ends with `\"done\": true`, and the last event was `message` {\"model\""),
        "{err}"
    );
}

/// Gemini's `streamGenerateContent` without `?alt=sse`: one JSON array, pretty-printed
/// elements, a CRLF before each comma, arriving over time.
const GEMINI_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n";

fn gemini_steps(gate: Option<Step>) -> Vec<Step> {
    let mut steps = vec![
        send(GEMINI_HEAD),
        // The first element, cut inside a string and inside the object.
        send(&chunk(
            b"[{\r\n  \"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hel",
        )),
        send(&chunk(b"lo\"}], \"role\": \"model\"}}]\r\n}")),
    ];
    steps.extend(gate);
    steps.extend([
        send(&chunk(
            b"\r\n,{\r\n  \"candidates\": [{\"content\": {\"parts\": [{\"text\": \" [world] {\\\"x\\\"}\"}]}, \"finishReason\": \"STOP\"}]\r\n}\r\n]",
        )),
        send(b"0\r\n\r\n"),
        Step::Close,
    ]);
    steps
}

#[test]
fn a_gemini_json_array_gives_each_element_as_it_completes() {
    let (open, wait) = gate();
    let server = RawServer::new(
        "/v1beta/models/gemini:streamGenerateContent",
        vec![gemini_steps(Some(wait)), gemini_steps(None)],
    );
    let mut cmd = sse();
    cmd.args([
        "tail",
        &server.url,
        "--no-reconnect",
        "--jq",
        ".candidates[0].content.parts[0].text",
    ]);
    let mut tail = Spawned::new(cmd);
    // Shown while the server holds the rest: the element is complete at its `}`, not
    // at the comma that follows it.
    assert_eq!(tail.next_line(LIVE), "Hello");
    open.send(()).unwrap();
    assert_eq!(tail.next_line(LIVE), " [world] {\"x\"}");
    tail.assert_exit(0);
    // --text knows the shape; finishReason is its end.
    let out = run_ok(&["tail", &server.url, "--no-reconnect", "--text"]);
    assert_eq!(stdout(&out), "Hello [world] {\"x\"}\n");
    server.join();
}

#[test]
fn json_text_sequences_are_read_by_content_type() {
    let script = script(
        "formats-json-seq",
        "@header Content-Type: application/json-seq\n\u{1e}{\"n\": 1}\n@sleep 10ms\n\u{1e}{\"n\": [2, \"]\"]}\n\u{1e}3\n",
    );
    let (_server, url) = serve(&[script.to_str().unwrap()]);
    let out = run_ok(&["tail", &url, "--no-reconnect", "--json", "-q"]);
    assert_eq!(
        data_of(&json_lines(&out)),
        [r#"{"n":1}"#, r#"{"n":[2,"]"]}"#, "3"]
    );
}

#[test]
fn stdin_is_read_as_ndjson_with_format_and_a_bad_line_ends_it() {
    let chat = |content: &str, done: bool| {
        format!(
            "{{\"model\":\"m\",\"message\":{{\"role\":\"assistant\",\"content\":\"{content}\"}},\"done\":{done}}}\n"
        )
    };
    let input = [chat("Hi", false), chat(" there", false), chat("", true)].concat();
    let mut cmd = sse();
    cmd.args(["tail", "-", "--format", "ndjson", "--text"]);
    let out = run_with_stdin(cmd, input.clone().into_bytes());
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "Hi there\n");
    // The same bytes read as SSE (stdin's default) are lines no field takes: no events.
    let mut cmd = sse();
    cmd.args(["tail", "-", "--json"]);
    let out = run_with_stdin(cmd, input.into_bytes());
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "");

    // A line that is not JSON: the objects before it are shown, then one line on
    // stderr names it (escaped), exit 1.
    let mut cmd = sse();
    cmd.args(["tail", "-", "--format", "ndjson", "--jq", ".n"]);
    let out = run_with_stdin(
        cmd,
        b"{\"n\":1}\n<html>\x1b]0;owned\x07</html>\n{\"n\":2}\n".to_vec(),
    );
    assert_exit(&out, 1);
    assert_eq!(stdout(&out), "1\n");
    assert_eq!(
        stderr(&out),
        "sse: stdin: line 2 of the NDJSON stream is not JSON (expected value at line 1 column 1): <html>\\x1b]0;owned\\x07</html>\n"
    );

    // A last line without its LF is a line all the same; one cut short is not JSON.
    let mut cmd = sse();
    cmd.args(["tail", "-", "--format", "ndjson", "--jq", ".n"]);
    let out = run_with_stdin(cmd, b"{\"n\":1}\n{\"n\":2}".to_vec());
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "1\n2\n");
    let mut cmd = sse();
    cmd.args(["tail", "-", "--format", "ndjson", "--jq", ".n"]);
    let out = run_with_stdin(cmd, b"{\"n\":1}\n{\"n\":".to_vec());
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("line 2 of the NDJSON stream is not JSON (EOF while parsing"),
        "{}",
        stderr(&out)
    );

    // A line over --max-event-size ends the stream the same way, without holding it.
    let mut cmd = sse();
    cmd.args([
        "tail",
        "-",
        "--format",
        "ndjson",
        "--json",
        "--max-event-size",
        "1KiB",
    ]);
    let big = format!("{{\"n\":1}}\n{{\"s\":\"{}\"}}\n", "x".repeat(4096));
    let out = run_with_stdin(cmd, big.into_bytes());
    assert_exit(&out, 1);
    assert_eq!(json_lines(&out).len(), 1);
    assert!(
        stderr(&out).contains("larger than the 1 KiB limit"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_forced_format_reads_any_content_type_and_auto_refuses_others_as_before() {
    let script = script(
        "formats-text-plain",
        "@header Content-Type: text/plain\n{\"n\": 1}\n{\"n\": 2}\n",
    );
    let (_server, url) = serve(&[script.to_str().unwrap()]);
    let out = run_ok(&[
        "tail",
        &url,
        "--no-reconnect",
        "--format",
        "ndjson",
        "--jq",
        ".n",
    ]);
    assert_eq!(stdout(&out), "1\n2\n");
    let out = run_exit(&["tail", &url, "--no-reconnect", "--jq", ".n"], 1);
    assert!(stderr(&out).contains("text/plain"), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
}

#[test]
fn a_recording_of_an_ndjson_stream_replays_as_sse() {
    let (_server, url) = serve(&[&example("ollama-chat.txt"), "--path", "/api/chat"]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("formats");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ollama.rec");
    let rec = file.to_str().unwrap();
    let out = run_ok(&["tail", &url, "-d", "{}", "--text", "-q", "--record", rec]);
    assert_eq!(stdout(&out), "The answer is 42.\n");
    let recording = std::fs::read_to_string(&file).unwrap();
    assert!(
        recording.contains("# the response was Content-Type: application/x-ndjson; this recording replays its events as text/event-stream\n"),
        "{recording}"
    );
    let (_replay, replay_url) = serve(&[rec, "--path", "/api/chat"]);
    let out = run_ok(&["tail", &replay_url, "-d", "{}", "--text", "-v"]);
    assert_eq!(stdout(&out), "The answer is 42.\n");
    let err = stderr(&out).to_ascii_lowercase();
    assert!(err.contains("< content-type: text/event-stream"), "{err}");
}

#[test]
fn an_ollama_error_line_inside_the_200_is_an_error() {
    let mut cmd = sse();
    cmd.args(["tail", "-", "--format", "ndjson", "--text", "-q"]);
    let input = b"{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n\
        {\"error\":\"an error was encountered while running the model\"}\n";
    let out = run_with_stdin(cmd, input.to_vec());
    assert_exit(&out, 1);
    assert_eq!(stdout(&out), "Hi\n");
    assert_eq!(
        stderr(&out),
        "sse: stdin: the stream reported an error: an error was encountered while running the model\n"
    );
}

#[test]
fn a_json_array_that_ends_before_its_closing_bracket_is_cut() {
    let server = RawServer::new(
        "/a",
        vec![vec![
            send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"),
            send(b"[{\"n\": 1},\r\n{\"n\": 2}"),
            Step::Close,
        ]],
    );
    let out = run_exit(&["tail", &server.url, "--no-reconnect", "--jq", ".n"], 1);
    assert_eq!(stdout(&out), "1\n2\n");
    let err = stderr(&out);
    assert!(
        err.contains(": the server closed the stream before the JSON array's closing `]`"),
        "{err}"
    );
    server.join();
}

#[test]
fn ollama_thinking_and_tool_calls_go_to_stderr_and_usage_to_the_summary() {
    let input = [
        r#"{"model":"m","message":{"role":"assistant","content":"","thinking":"Let me see."},"done":false}"#,
        r#"{"model":"m","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},"done":false}"#,
        r#"{"model":"m","message":{"role":"assistant","content":"Sunny."},"done":false}"#,
        r#"{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":12,"eval_count":5}"#,
    ]
    .map(|line| format!("{line}\n"))
    .concat();
    let mut cmd = sse();
    cmd.args(["tail", "-", "--format", "ndjson", "--text", "--stats"]);
    let out = run_with_stdin(cmd, input.into_bytes());
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "Sunny.\n");
    let err = stderr(&out);
    assert!(err.contains("Let me see."), "{err}");
    assert!(
        err.contains("tool call get_weather {\"city\":\"Paris\"}"),
        "{err}"
    );
    assert!(
        err.contains("* LLM: finish reason stop; tokens 12 in, 5 out; "),
        "{err}"
    );
}
