//! LLM streams end truthfully: a stream cut before the end its shape promises, an
//! error inside a 200, and a POST answer lost mid-way are failures (exit 1, one line on
//! stderr, also with -q); the example scripts in examples/llm are the mocks.

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

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_chat_stream_cut_before_done_prints_what_came_and_exits_1_even_quiet() {
    let (_server, url) = serve(&[&example("openai-cut.txt")]);
    let out = run_exit(&["tail", &url, "-d", "{}", "--text", "-q"], 1);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "The answer is\n");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("the stream was cut before its end: an OpenAI-style chat stream ends with `data: [DONE]`, and the last event was `message` {\"object\":\"chat.completion.chunk\""),
        "{err}"
    );
    // --json too: the chunks are printed, the exit says the answer is not whole.
    let out = run_exit(&["tail", &url, "-d", "{}", "--json"], 1);
    assert_eq!(json_lines(&out).len(), 3);
}

#[test]
fn a_chat_stream_that_sends_done_is_a_success() {
    let (_server, url) = serve(&[&example("openai-done.txt")]);
    let out = run_ok(&["tail", &url, "-d", "{}", "--text"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "The answer is 42.\n");
}

#[test]
fn an_error_inside_a_200_is_shown_and_exits_1_in_every_mode() {
    let (_server, url) = serve(&[&example("anthropic-overloaded.txt")]);
    for mode in [&["--text"][..], &["--json"], &["--jq", ".type"], &[]] {
        let args = [&["tail", &url, "-d", "{}", "-q"][..], mode].concat();
        let out = run_exit(&args, 1);
        let err = stderr(&out);
        assert!(
            err.trim_end()
                .ends_with("the stream reported an error: overloaded_error: Overloaded"),
            "{mode:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{mode:?}: {err}");
    }
}

#[test]
fn a_post_answer_lost_mid_way_is_not_exit_0() {
    // The connection ends inside an event, without the chunked terminator.
    let server = RawServer::new(
        "/v1/chat",
        vec![vec![
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"),
            send(b"f\r\ndata: {\"a\":1}\n\n\r\n"),
            send(b"8\r\ndata: {\"\r\n"),
            Step::Close,
        ]],
    );
    let out = run_exit(&["tail", &server.url, "-d", "{}", "--json"], 1);
    let err = stderr(&out);
    assert!(
        err.contains("connection lost") && err.contains("before the stream ended"),
        "{err}"
    );
    // The same bytes for a GET with --no-reconnect: lost mid-event is a failure too.
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"),
            send(b"f\r\ndata: {\"a\":1}\n\n\r\n"),
            send(b"8\r\ndata: {\"\r\n"),
            Step::Close,
        ]],
    );
    let out = run_exit(&["tail", &server.url, "--no-reconnect", "--json"], 1);
    assert_eq!(json_lines(&out).len(), 1);
    // Lost between events, a GET with --no-reconnect ends as the design says: exit 0.
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"),
            send(b"f\r\ndata: {\"a\":1}\n\n\r\n"),
            Step::Close,
        ]],
    );
    run_exit(&["tail", &server.url, "--no-reconnect", "--json"], 0);
}

/// `sse tail URL -d {} ARGS --stats` against `sse serve` playing the example `name`, to
/// its end: (stdout, stderr).
fn tail_example(name: &str, args: &[&str]) -> (String, String) {
    let (_server, url) = serve(&[&example(name)]);
    let argv = [&["tail", &url, "-d", "{}", "--stats"][..], args].concat();
    let out = run_ok(&argv);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr(&out),
    )
}

/// The summary's LLM line.
fn llm_line(err: &str) -> &str {
    err.lines()
        .find(|l| l.starts_with("* LLM: "))
        .unwrap_or_else(|| panic!("no LLM line in the summary:\n{err}"))
}

/// `first token 127 ms` in `line`, in milliseconds.
fn first_token_ms(line: &str) -> f64 {
    let rest = line.split("first token ").nth(1).expect("a first token");
    let mut words = rest.split(' ');
    let n: f64 = words.next().unwrap().parse().unwrap();
    match words.next().unwrap() {
        "µs" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        unit => panic!("unit {unit} in {line}"),
    }
}

#[test]
fn openai_reasoning_and_two_parallel_tool_calls_stay_off_stdout() {
    let (out, err) = tail_example("openai-reasoning-tools.txt", &["--text"]);
    assert_eq!(out, "Checking both cities.\n");
    assert!(
        err.contains(
            "Two cities, so two weather calls.\n\
             tool call get_weather {\"city\":\"Paris\"} (id call_paris)\n\
             tool call get_weather {\"city\":\"Oslo\"} (id call_oslo)\n"
        ),
        "{err}"
    );
    let line = llm_line(&err);
    assert!(
        line.starts_with("* LLM: finish reason tool_calls; tokens 31 in, 58 out; first token ")
            && line.contains(" from the request; token gaps p50 ")
            && line.ends_with(" output tokens/s"),
        "{line}"
    );
    // The role-only chunk comes at once; the first token only after the script's 120 ms.
    assert!(first_token_ms(line) >= 120.0, "{line}");
}

#[test]
fn anthropic_thinking_and_a_tool_use_block_stay_off_stdout() {
    let (out, err) = tail_example("anthropic-thinking-tool.txt", &["--text"]);
    assert_eq!(out, "Let me check the weather.\n");
    assert!(
        err.contains(
            "The user wants the weather in Paris. I have a tool for that.\n\
             tool call get_weather {\"city\":\"Paris\",\"unit\":\"celsius\"} (id toolu_01)\n"
        ),
        "{err}"
    );
    let line = llm_line(&err);
    assert!(
        line.starts_with("* LLM: finish reason tool_use; tokens 412 in, 87 out; first token "),
        "{line}"
    );
    assert!(first_token_ms(line) >= 150.0, "{line}");
}

#[test]
fn responses_reasoning_a_function_call_and_lost_events_in_every_mode() {
    let (out, err) = tail_example("responses-tools.txt", &["--text"]);
    assert_eq!(out, "");
    assert!(
        err.contains(
            "**Looking up the weather**\n\nThe user asks about Paris; the get_weather tool answers that.\n\
             tool call get_weather {\"city\":\"Paris\"} (id call_1)\n"
        ),
        "{err}"
    );
    // The summary is the same whatever prints the events.
    for mode in [&["--text"][..], &["--json"], &["--jq", ".type"], &[]] {
        let (_, err) = tail_example("responses-tools.txt", mode);
        let line = llm_line(&err);
        assert!(
            line.starts_with("* LLM: finish reason completed; tokens 64 in, 145 out; first token ")
                && line.ends_with(
                    "; sequence_number jumped 1 time (2 missing, first after 4): events were lost"
                ),
            "{mode:?}: {line}"
        );
        assert!(first_token_ms(line) >= 150.0, "{mode:?}: {line}");
    }
}

#[test]
fn gemini_thoughts_stay_off_stdout_and_its_last_usage_counts() {
    let (out, err) = tail_example("gemini-thought.txt", &["--text"]);
    assert_eq!(out, "The capital of France is Paris.\n");
    assert!(
        err.contains("**Answering a capital question**\nFrance's capital is well known.\n"),
        "{err}"
    );
    // usageMetadata is cumulative: the last chunk's, thoughts counted as output.
    let line = llm_line(&err);
    assert!(
        line.starts_with("* LLM: finish reason STOP; tokens 8 in, 39 out; first token "),
        "{line}"
    );
}

#[test]
fn a_stream_that_is_not_an_llm_has_no_llm_summary() {
    let path = script("not-llm", "data: tick\n\ndata: {\"n\":1}\n\n");
    let (_server, url) = serve(&[path.to_str().unwrap()]);
    let out = run_ok(&["tail", &url, "--no-reconnect", "--json", "--stats"]);
    let err = stderr(&out);
    assert!(err.contains("* 2 events in "), "{err}");
    assert!(!err.contains("LLM"), "{err}");
}

#[test]
fn tool_call_arguments_that_are_not_json_are_said_to_be_so_escaped() {
    // The arguments end with ESC [31m (sent as \u001b inside the chunk's JSON) and are cut.
    let path = script(
        "bad-arguments",
        concat!(
            r#"data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Par\u001b[31m"}}]}}]}"#,
            "\n\n",
            r#"data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
            "\n\ndata: [DONE]\n\n"
        ),
    );
    let (_server, url) = serve(&[path.to_str().unwrap()]);
    let out = run_ok(&["tail", &url, "-d", "{}", "--text", "-q"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "tool call get_weather (id call_1): the arguments are not valid JSON (control character"
        ) && err.ends_with("): {\"city\":\"Par\\x1b[31m\n"),
        "{err}"
    );
    assert!(!err.contains('\u{1b}'), "{err:?}");
}
