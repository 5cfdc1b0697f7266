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
