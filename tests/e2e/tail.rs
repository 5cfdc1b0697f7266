//! `sse tail` against raw servers that send exact bytes.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;

#[test]
fn events_reach_stdout_one_at_a_time_without_buffering() {
    // The server holds event 2 until the test has read event 1 from the client's stdout:
    // a client that buffers output never shows event 1 and fails the liveness bound.
    let (open2, wait2) = gate();
    let (open3, wait3) = gate();
    let server = RawServer::new(
        "/events",
        vec![vec![
            send(SSE_HEAD),
            send(b"data: one\n\n"),
            wait2,
            send(b"data: two\n\n"),
            wait3,
            send(b"data: three\n\n"),
            Step::Close,
        ]],
    );
    let mut cmd = sse();
    cmd.args(["tail", &server.url, "--no-reconnect", "--json"]);
    let mut tail = Spawned::new(cmd);
    assert_eq!(json(&tail.next_line(LIVE))["data"], "one");
    open2.send(()).unwrap();
    assert_eq!(json(&tail.next_line(LIVE))["data"], "two");
    open3.send(()).unwrap();
    assert_eq!(json(&tail.next_line(LIVE))["data"], "three");
    tail.assert_exit(0);
    server.join();
}

#[test]
fn pretty_and_raw_are_live_too() {
    let (open, wait) = gate();
    let server = RawServer::new(
        "/",
        vec![
            vec![
                send(SSE_HEAD),
                send(b"event: panda\nid: 7\ndata: {\"a\":1}\n\n"),
                wait,
                send(b"data: x\n\n"),
                Step::Close,
            ],
            vec![send(SSE_HEAD), send(b": c\ndata: raw\r\n\r\n"), Step::Close],
        ],
    );
    let mut cmd = sse();
    cmd.args(["tail", &server.url, "--no-reconnect", "--color", "never"]);
    let mut tail = Spawned::new(cmd);
    let first = tail.next_line(LIVE);
    assert!(
        first.contains("panda") && first.ends_with("id 7  {\"a\": 1}"),
        "{first}"
    );
    open.send(()).unwrap();
    let second = tail.next_line(LIVE);
    assert!(
        second.ends_with("message  x"),
        "the id shows only on the event that set it: {second}"
    );
    tail.assert_exit(0);

    let out = run_ok(&["tail", &server.url, "--no-reconnect", "--raw"]);
    assert_eq!(
        out.stdout, b": c\ndata: raw\r\n\r\n",
        "raw mode passes the bytes through"
    );
    server.join();
}

#[test]
fn reconnects_after_the_retry_time_with_last_event_id() {
    let server = RawServer::new(
        "/events",
        vec![
            vec![
                send(SSE_HEAD),
                send(b"retry: 200\nid: 41\ndata: a\n\nid: 42\ndata: b\n\n"),
                Step::Close,
            ],
            vec![send(SSE_HEAD), send(b"data: c\n\n"), Step::Close],
        ],
    );
    let started = Instant::now();
    let out = run_ok(&["tail", &server.url, "--json", "-n", "3"]);
    let elapsed = started.elapsed();
    let lines = json_lines(&out);
    assert_eq!(data_of(&lines), ["a", "b", "c"]);
    // The id carries over to the new connection, as in a browser.
    assert_eq!(lines[2]["id"], "42");
    assert_eq!(lines[2]["connection"], 2);
    assert_eq!(server.header(0, "Last-Event-ID"), None);
    assert_eq!(server.header(1, "Last-Event-ID").as_deref(), Some("42"));
    assert_eq!(
        server.header(0, "Accept").as_deref(),
        Some("text/event-stream")
    );
    // retry: 200 replaced the default 3 s, and was waited: event c came at least 200 ms
    // after event b, which arrived just before the first connection closed.
    assert!(
        elapsed < Duration::from_millis(2500),
        "reconnected after {elapsed:?}"
    );
    let gap = lines[2]["gap_ms"].as_f64().unwrap();
    assert!(gap >= 200.0, "c came {gap} ms after b");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("reconnecting in 200 ms with Last-Event-ID 42"),
        "{stderr}"
    );
    server.join();
}

#[test]
fn last_event_id_flag_is_sent_first() {
    let server = RawServer::new(
        "/e",
        vec![vec![send(SSE_HEAD), send(b"data: x\n\n"), Step::Close]],
    );
    let out = run_ok(&[
        "tail",
        &server.url,
        "--last-event-id",
        "abc",
        "--no-reconnect",
        "--json",
    ]);
    assert_eq!(server.header(0, "Last-Event-ID").as_deref(), Some("abc"));
    assert_eq!(
        json(String::from_utf8_lossy(&out.stdout).lines().next().unwrap())["id"],
        "abc"
    );
    server.join();
}

fn fails_without_reconnecting(head: &[u8], want_in_error: &str) {
    // One connection only: a second attempt would find no server and hang the test.
    let server = RawServer::new(
        "/e",
        vec![vec![send(head), send(b"data: nope\n\n"), Step::Close]],
    );
    let out = run_exit(&["tail", &server.url, "--retry", "10"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error = stderr
        .lines()
        .find(|l| l.starts_with("sse: "))
        .unwrap_or("");
    assert!(error.contains(want_in_error), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(server.requests().len(), 1);
    server.join();
}

#[test]
fn status_204_is_a_normal_end() {
    let server = RawServer::new(
        "/e",
        vec![vec![send(b"HTTP/1.1 204 No Content\r\n\r\n"), Step::Close]],
    );
    let out = run_exit(&["tail", &server.url, "--retry", "10"], 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("204 No Content"), "{stderr}");
    assert!(out.stdout.is_empty());
    // -q: not even that line.
    let server = RawServer::new(
        "/e",
        vec![vec![send(b"HTTP/1.1 204 No Content\r\n\r\n"), Step::Close]],
    );
    let out = run_exit(&["tail", &server.url, "-q"], 0);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.join();
}

#[test]
fn an_error_status_shows_the_start_of_its_body_escaped() {
    let mut body = b"{\"error\": {\"message\": \"Incorrect API key \x1b[31mprovided\x07\"}}\r\nsecond line\r\n".to_vec();
    body.extend(std::iter::repeat_n(b'x', 5000));
    let head = format!(
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let server = RawServer::new(
        "/e",
        vec![vec![send(head.as_bytes()), send(&body), Step::Close]],
    );
    let out = run_exit(&["tail", &server.url], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines[0].starts_with("sse: ") && lines[0].contains("401 Unauthorized"),
        "{stderr}"
    );
    assert_eq!(
        lines[1],
        "  {\"error\": {\"message\": \"Incorrect API key \\x1b[31mprovided\\x07\"}}"
    );
    assert_eq!(lines[2], "  second line");
    assert!(lines[3].ends_with("[... first 2048 bytes]"), "{stderr}");
    assert!(stderr.len() < 2048 + 400, "bounded: {} bytes", stderr.len());
    assert!(!stderr.contains('\x1b') && !stderr.contains('\x07'));
    server.join();
}

#[test]
fn a_post_without_data_is_sent_with_content_length_0() {
    // A raw server, not `sse serve`: serve streams to a POST with or without a length,
    // so only the exact request head shows whether the length was sent.
    let server = RawServer::new(
        "/e",
        vec![vec![send(SSE_HEAD), send(b"data: hello\n\n"), Step::Close]],
    );
    let out = run_ok(&["tail", &server.url, "-X", "POST", "--json", "-n", "1"]);
    assert_eq!(data_of(&json_lines(&out)), ["hello"]);
    let head = &server.requests()[0];
    assert!(head.starts_with("POST /e HTTP/1.1\r\n"), "{head}");
    assert_eq!(
        server.header(0, "Content-Length").as_deref(),
        Some("0"),
        "{head}"
    );
    assert_eq!(server.header(0, "Transfer-Encoding"), None, "{head}");
    assert!(server.body(0).is_empty());
    server.join();
}

#[test]
fn quiet_shows_no_lifecycle_lines_but_errors() {
    let server = RawServer::new(
        "/e",
        vec![vec![send(SSE_HEAD), send(b"data: a\n\n"), Step::Close]],
    );
    let out = run_ok(&["tail", &server.url, "-q", "--no-reconnect", "--json"]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(data_of(&json_lines(&out)), ["a"]);
    server.join();
    let out = run_exit(&["tail", "-q", "--json", ":1/e"], 1);
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("sse: cannot connect"));
}

#[test]
fn timeout_gives_up_on_a_silent_stream_even_when_reconnecting() {
    let (hold, wait) = gate();
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(SSE_HEAD),
            send(b"data: a\n\n"),
            wait,
            Step::Close,
        ]],
    );
    let out = run_exit(&["tail", &server.url, "--timeout", "300ms", "--json"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no data for 300ms (--timeout)"), "{stderr}");
    assert_eq!(data_of(&json_lines(&out)), ["a"]);
    drop(hold);
    server.join();
}

#[test]
fn timeout_gives_up_on_silent_stdin() {
    // stdin stays open and silent after one event.
    let mut cmd = sse();
    cmd.args(["tail", "-", "--timeout", "300ms", "--json"])
        .stdin(Stdio::piped());
    let mut tail = Spawned::new(cmd);
    let mut stdin = tail.child.stdin.take().unwrap();
    stdin.write_all(b"data: a\n\n").unwrap();
    assert_eq!(json(&tail.next_line(LIVE))["data"], "a");
    tail.assert_exit(1);
    assert!(
        tail.stderr()
            .contains("sse: stdin: no data for 300ms (--timeout)"),
        "{}",
        tail.stderr()
    );
    drop(stdin);
}

#[test]
fn timeout_bounds_reconnecting_to_a_server_that_is_gone() {
    // One connection, then nothing listens: reconnection fails until --timeout.
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(SSE_HEAD),
            send(b"retry: 10\ndata: a\n\n"),
            Step::Close,
        ]],
    );
    let out = run_exit(&["tail", &server.url, "--timeout", "300ms", "--json"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error = stderr.lines().last().unwrap_or("");
    assert!(
        error.contains("no data for 300ms (--timeout); the last attempt: cannot connect"),
        "{stderr}"
    );
    server.join();
}

#[test]
fn status_500_ends_without_reconnecting() {
    fails_without_reconnecting(
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/event-stream\r\nContent-Length: 12\r\n\r\n",
        "500",
    );
}

#[test]
fn wrong_content_type_ends_without_reconnecting() {
    fails_without_reconnecting(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n",
        "\"text/html\", not text/event-stream",
    );
}

#[test]
fn raw_takes_any_content_type() {
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"),
            send(b"data: as it is\n\n"),
            Step::Close,
        ]],
    );
    let out = run_ok(&["tail", &server.url, "--raw", "--no-reconnect"]);
    assert_eq!(out.stdout, b"data: as it is\n\n");
    server.join();
}

#[test]
fn redirects_are_followed() {
    let target = RawServer::new(
        "/new",
        vec![vec![send(SSE_HEAD), send(b"data: moved\n\n"), Step::Close]],
    );
    let location = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {}\r\nContent-Length: 0\r\n\r\n",
        target.url
    );
    let origin = RawServer::new("/old", vec![vec![send(location.as_bytes())]]);
    let out = run_ok(&["tail", &origin.url, "--no-reconnect", "--json"]);
    assert_eq!(
        json(String::from_utf8_lossy(&out.stdout).trim())["data"],
        "moved"
    );
    origin.join();
    target.join();
}

#[test]
fn a_connection_dropped_mid_event_loses_only_that_event_and_reconnects() {
    let server = RawServer::new(
        "/e",
        vec![
            vec![
                send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"),
                send(&chunk(b"retry: 50\nid: 1\ndata: whole\n\n")),
                send(&chunk(b"id: 2\ndata: cut in the mid")),
                Step::Close,
            ],
            vec![send(SSE_HEAD), send(b"data: after\n\n"), Step::Close],
        ],
    );
    let out = run_ok(&["tail", &server.url, "--json", "-n", "2"]);
    let data = data_of(&json_lines(&out));
    assert_eq!(data, ["whole", "after"]);
    assert_eq!(
        server.header(1, "Last-Event-ID").as_deref(),
        Some("1"),
        "the unfinished event's id is not used"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("connection lost") || stderr.contains("closed"),
        "{stderr}"
    );
    server.join();
}

#[test]
fn post_with_a_body_is_sent_and_not_reconnected() {
    // The stream ends by the server closing it, not by `[DONE]` (which ends any stream,
    // reconnecting or not): only not reconnecting makes tail exit, 0, after one request.
    // A tail that re-sent the POST would retry every 10 ms and fail the exit bound.
    let server = RawServer::new(
        "/v1/chat",
        vec![vec![
            send(SSE_HEAD),
            send(b"data: {\"delta\":\"hi\"}\n\n"),
            Step::Close,
        ]],
    );
    let mut cmd = sse();
    cmd.args([
        "tail",
        &server.url,
        "-d",
        r#"{"stream":true}"#,
        "-H",
        "Authorization: Bearer t",
        "--json",
        "--retry",
        "10",
    ]);
    let mut tail = Spawned::new(cmd);
    assert_eq!(json(&tail.next_line(LIVE))["data"], "{\"delta\":\"hi\"}");
    tail.assert_exit(0);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].starts_with("POST /v1/chat HTTP/1.1"),
        "{}",
        requests[0]
    );
    assert_eq!(
        server.header(0, "Content-Type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        server.header(0, "Authorization").as_deref(),
        Some("Bearer t")
    );
    assert_eq!(server.header(0, "Content-Length").as_deref(), Some("15"));
    assert_eq!(server.body(0), br#"{"stream":true}"#);
    assert_eq!(tail.rest(LIVE), Vec::<String>::new());
    server.join();
}

#[test]
fn post_reconnects_only_when_asked() {
    let server = RawServer::new(
        "/s",
        vec![
            vec![send(SSE_HEAD), send(b"retry: 10\ndata: 1\n\n"), Step::Close],
            vec![send(SSE_HEAD), send(b"data: 2\n\n"), Step::Close],
        ],
    );
    run_ok(&[
        "tail",
        &server.url,
        "-X",
        "POST",
        "--reconnect",
        "-n",
        "2",
        "--json",
    ]);
    assert_eq!(server.requests().len(), 2);
    assert!(server.requests()[1].starts_with("POST "));
    server.join();
}

#[test]
fn stdin_mode_reads_a_capture() {
    let out = tail_stdin(
        &["--json"],
        b"\xEF\xBB\xBFevent: a\r\ndata: 1\r\n\r\nid: 5\ndata: 2\n\ndata: unfinished\n",
    );
    assert_exit(&out, 0);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0]["event"].as_str(), lines[0]["data"].as_str()),
        (Some("a"), Some("1"))
    );
    assert_eq!(
        (lines[1]["event"].as_str(), lines[1]["id"].as_str()),
        (Some("message"), Some("5"))
    );
}

#[test]
fn event_filter_and_count() {
    let server = RawServer::new(
        "/e",
        vec![vec![send(SSE_HEAD), send(b"event: a\ndata: 1\n\nevent: b\ndata: 2\n\ndata: 3\n\nevent: b\ndata: 4\n\nevent: c\ndata: 5\n\nevent: b\ndata: 6\n\n")]],
    );
    let out = run_ok(&[
        "tail",
        &server.url,
        "-e",
        "b",
        "-e",
        "message",
        "-n",
        "3",
        "--json",
    ]);
    let data = data_of(&json_lines(&out));
    assert_eq!(data, ["2", "3", "4"]);
    server.join();
}

#[test]
fn raw_count_cuts_at_the_event_boundary() {
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(SSE_HEAD),
            send(b"data: 1\n\ndata: 2\n\ndata: 3\n\n"),
        ]],
    );
    let out = run_ok(&["tail", &server.url, "--raw", "-n", "2"]);
    assert_eq!(out.stdout, b"data: 1\n\ndata: 2\n\n");
    server.join();
}

#[test]
fn refused_connection_is_one_line_exit_1() {
    let refused = RefusedPort::new();
    let port = refused.port;
    let out = run_exit(&["tail", &format!(":{port}/events")], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot connect to http://localhost:{port}/events")),
        "{stderr}"
    );
    assert!(stderr.to_lowercase().contains("refused"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["tail"][..],
        &["tail", "ftp://x"],
        &["tail", ":abc/events"],
        &["tail", "localhost:99999/x"],
        &["tail", "x", "-q", "-v"],
        &["tail", "x", "--json", "--raw"],
        &["tail", "x", "-H", "nocolon"],
        &["nope"],
    ] {
        let out = sse().args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn oversized_event_is_a_clear_error() {
    let mut body = b"data: ".to_vec();
    body.extend(std::iter::repeat_n(b'x', 4096));
    body.extend_from_slice(b"\n\n");
    let server = RawServer::new("/e", vec![vec![send(SSE_HEAD), send(&body)]]);
    let out = run_exit(&["tail", &server.url, "--max-event-size", "1KiB"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("larger than the 1 KiB limit"), "{stderr}");
    server.join();
}

#[test]
fn idle_timeout_without_reconnect_is_an_error() {
    let (_keep, wait) = gate();
    let server = RawServer::new("/e", vec![vec![send(SSE_HEAD), send(b"data: 1\n\n"), wait]]);
    let out = run_exit(
        &[
            "tail",
            &server.url,
            "--timeout",
            "300ms",
            "--no-reconnect",
            "--json",
        ],
        1,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no data for 300ms"));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    drop(_keep);
    server.join();
}

#[test]
fn a_compressed_stream_is_decoded() {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"data: packed\n\n").unwrap();
    let body = gz.finish().unwrap();
    let mut response =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\n\r\n"
            .to_vec();
    response.extend_from_slice(&body);
    let server = RawServer::new("/e", vec![vec![send(&response), Step::Close]]);
    let out = run_ok(&["tail", &server.url, "--no-reconnect", "--json"]);
    assert_eq!(
        json(String::from_utf8_lossy(&out.stdout).trim())["data"],
        "packed"
    );
    server.join();
}

/// Runs `sse tail - ARGS` on `input` to the end.
fn tail_stdin(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut cmd = sse();
    cmd.args(["tail", "-"]).args(args);
    run_with_stdin(cmd, input.to_vec())
}

#[test]
fn count_stops_parsing_at_the_event_boundary() {
    // An oversize event after the -n-th is never parsed, so it is no error.
    let mut input = b"data: a\n\ndata: ".to_vec();
    input.extend(std::iter::repeat_n(b'0', 3000));
    input.extend_from_slice(b"\n\n");
    let out = tail_stdin(&["-n", "1", "--max-event-size", "1KiB", "--json"], &input);
    assert_exit(&out, 0);
    assert_eq!(data_of(&json_lines(&out)), ["a"]);
    // Raw output is cut just past the event's blank line, BOM included.
    let out = tail_stdin(
        &["-n", "1", "--raw"],
        b"\xEF\xBB\xBFdata: a\r\n\r\ndata: b\n\n",
    );
    assert_exit(&out, 0);
    assert_eq!(out.stdout, b"\xEF\xBB\xBFdata: a\r\n\r\n");
}

/// An HTTP/2 server's answer to an HTTP/1.1 request: its SETTINGS frame, then GOAWAY
/// with PROTOCOL_ERROR.
const H2_FRAMES: &[u8] = b"\0\0\0\x04\0\0\0\0\0\0\0\x08\x07\0\0\0\0\0\0\0\0\0\0\0\0\x01";

#[test]
fn tls_errors_say_what_to_do() {
    // A self-signed certificate: the error names -k, and -k then works.
    // Three connections: the refused one, then (with -k) the handshake that offers h2
    // by ALPN, which this server does not pick, and HTTP/1.1 on a connection of its own.
    let (port, server) = tls_server(
        &[],
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: secure\n\n",
        Some(3),
    );
    let url = format!("https://localhost:{port}/e");
    let out = run_exit(&["tail", &url, "--no-reconnect"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("self-signed") && stderr.contains("-k accepts it"),
        "{stderr}"
    );
    let out = run_ok(&["tail", &url, "-k", "--no-reconnect", "--json"]);
    assert_eq!(data_of(&json_lines(&out)), ["secure"]);
    server.join().unwrap();

    // https:// to a port that speaks plain HTTP (it answers at once: a TLS hello
    // has no end of head to wait for).
    let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = plain.local_addr().unwrap().port();
    let answer = std::thread::spawn(move || {
        let (mut tcp, _) = plain.accept().unwrap();
        let _ = tcp.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    let url = format!("https://127.0.0.1:{port}/e");
    let out = run_exit(&["tail", &url, "--no-reconnect"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "the server answered plain HTTP: try http://127.0.0.1:{port}/e"
        )),
        "{stderr}"
    );
    answer.join().unwrap();

    // A server that speaks only HTTP/2.
    // ALPN picks nothing (the h2 offer goes unanswered), so sse speaks HTTP/1.1 on a
    // second connection, and gets HTTP/2 frames back.
    let (port, server) = tls_server(&[], H2_FRAMES, Some(2));
    let url = format!("https://localhost:{port}/e");
    let out = run_exit(&["tail", &url, "-k", "--no-reconnect"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("it may speak only HTTP/2"), "{stderr}");
    server.join().unwrap();
}

#[test]
fn no_control_character_from_the_server_reaches_stderr() {
    let server = RawServer::new(
        "/e",
        vec![
            vec![
                send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Evil: a\xc2\x9b31mb\r\n\r\n"),
                send(b": \x1b]0;owned\x07\nid: i\x1b[2Jd\ndata: x\n\n"),
                Step::Close,
            ],
            vec![send(b"HTTP/1.1 204 No Content\r\n\r\n"), Step::Close],
        ],
    );
    let out = run_ok(&[
        "tail",
        &server.url,
        "-v",
        "--retry",
        "10",
        "--color",
        "never",
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains(['\x1b', '\x07', '\u{9b}']),
        "raw control characters on stderr:\n{stderr:?}"
    );
    assert!(stderr.contains("< x-evil: a\\u{9b}31mb"), "{stderr}");
    assert!(stderr.contains(": \\x1b]0;owned\\x07"), "{stderr}");
    assert!(
        stderr.contains("the last event ID \"i\\x1b[2Jd\" has characters"),
        "{stderr}"
    );
    assert!(stderr.contains("with Last-Event-ID i\\x1b[2Jd"), "{stderr}");
    server.join();
}

#[test]
fn a_recording_replays_the_same_events_and_ids_for_a_hostile_stream() {
    // Id-only and retry-only blocks, CR-only line ends, a BOM, invalid UTF-8, NUL, and
    // lines a script would read as its own.
    let stream: &[u8] = b"\xEF\xBB\xBFid: 1\n\nretry: 20\n\ndata: a\rdata: @close\r\rid: 2\r\n\r\nevent: #t\ndata: \xFF\0x\n@sleep 9s\n#c\n\ndata: last\n\nid: 3\n\n";
    let recording =
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hostile-recording.txt");
    let direct = tail_stdin(&["--json", "--record", recording.to_str().unwrap()], stream);
    assert_exit(&direct, 0);
    let want = json_lines(&direct);
    assert_eq!(want.len(), 3, "{want:?}");
    let (_server, url) = serve(&[recording.to_str().unwrap()]);
    let replay = run_ok(&["tail", &url, "--json", "--no-reconnect"]);
    let got = json_lines(&replay);
    let key = |v: &Vec<serde_json::Value>| {
        v.iter()
            .map(|e| (e["event"].clone(), e["data"].clone(), e["id"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        key(&got),
        key(&want),
        "recording:\n{}",
        std::fs::read_to_string(&recording).unwrap()
    );
    assert_eq!(
        want[0]["id"], "1",
        "the id-only block's id carries to the first event"
    );
}

/// Sends SIGINT to a child, as Ctrl-C in a terminal does.
fn interrupt(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// `sse tail URL --json --record PATH`, running.
fn tail_recording(url: &str, recording: &std::path::Path) -> Spawned {
    let mut cmd = sse();
    cmd.args([
        "tail",
        url,
        "--json",
        "--record",
        recording.to_str().unwrap(),
    ]);
    Spawned::new(cmd)
}

#[test]
fn ctrl_c_finishes_the_recording_and_exits_130() {
    let (hold, wait) = gate();
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(SSE_HEAD),
            send(b"id: 1\ndata: kept\n\n"),
            wait,
            Step::Close,
        ]],
    );
    let recording = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("interrupted.txt");
    let mut tail = tail_recording(&server.url, &recording);
    // The event was read, so the recorder has it: now Ctrl-C while tail waits.
    assert_eq!(json(&tail.next_line(LIVE))["data"], "kept");
    interrupt(&tail.child);
    tail.assert_exit(130);
    let text = std::fs::read_to_string(&recording).unwrap();
    assert!(
        text.contains("id: 1\ndata: kept\n\n")
            && text.ends_with("# interrupted (Ctrl-C)\n@close\n"),
        "{text}"
    );
    drop(hold);
    server.join();

    // The same while waiting to reconnect.
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(SSE_HEAD),
            send(b"retry: 60000\ndata: a\n\n"),
            Step::Close,
        ]],
    );
    let mut tail = tail_recording(&server.url, &recording);
    assert_eq!(json(&tail.next_line(LIVE))["data"], "a");
    tail.stderr_line_with("reconnecting in", LIVE);
    interrupt(&tail.child);
    tail.assert_exit(130);
    let text = std::fs::read_to_string(&recording).unwrap();
    assert!(text.ends_with("# interrupted (Ctrl-C)\n@close\n"), "{text}");
    server.join();
}

#[test]
fn verbose_tells_of_lines_that_no_blank_line_ended() {
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"),
            send(b"data: one\ndata: two\n"),
            Step::Close,
        ]],
    );
    let out = run_ok(&["tail", &server.url, "-v", "--no-reconnect"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the stream ended inside an event: lines arrived that no blank line ended"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_429_says_when_to_come_back() {
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 12\r\n\r\nslow down!\r\n"),
            Step::Close,
        ]],
    );
    let out = run_exit(&["tail", &server.url], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("server answered 429 Too Many Requests (Retry-After: 30), not 200")
            && stderr.contains("slow down!"),
        "{stderr}"
    );
}

#[test]
fn a_wrong_content_type_that_keeps_streaming_is_told_at_once() {
    let (gate, wait) = gate();
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"),
            send(b"data: one\n\n"),
            wait,
            Step::Close,
        ]],
    );
    let started = std::time::Instant::now();
    let out = run_exit(&["tail", &server.url], 1);
    let took = started.elapsed();
    drop(gate);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("\"text/plain\", not text/event-stream (--raw reads it anyway, as does `curl -sN URL | sse tail -`; --format sse|ndjson|json-seq|json reads it as that)"),
        "{stderr}"
    );
    // The body keeps coming (the gate holds it open): the answer did not wait for it.
    assert!(took < std::time::Duration::from_secs(4), "{took:?}");
}

#[test]
fn a_server_that_closes_at_once_with_retry_0_is_not_reconnected_in_a_tight_loop() {
    let quick = || {
        vec![
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 19\r\n\r\nretry: 0\n\ndata: x\n\n"),
            Step::Close,
        ]
    };
    let server = RawServer::new("/e", vec![quick(), quick(), quick(), quick()]);
    let out = run_ok(&["tail", &server.url, "-n", "4"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let waits: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.split("reconnecting in ").nth(1))
        .map(|rest| rest.split(' ').next().unwrap())
        .collect();
    // The first reconnection obeys retry: 0; quick ends after it back off as failed
    // attempts do, doubling from 100 ms.
    assert_eq!(waits, ["0", "200", "400"], "{stderr}");
}

#[test]
fn with_a_type_filter_the_gap_is_from_the_previous_event_shown() {
    let text = "event: a\ndata: 1\n\n@sleep 300ms\nevent: b\ndata: 2\n\n@sleep 300ms\nevent: a\ndata: 3\n\n";
    let (_server, url) = serve(&[script("gap-filter", text).to_str().unwrap()]);
    let out = run_ok(&["tail", &url, "-e", "a", "-n", "2", "--json"]);
    let lines = json_lines(&out);
    assert_eq!(data_of(&lines), ["1", "3"]);
    // From the first `a`, over the hidden `b`: both sleeps, not only the last.
    let gap = lines[1]["gap_ms"].as_f64().unwrap();
    assert!(gap >= 590.0, "{gap} ms");
}

#[test]
fn a_port_without_its_colon_is_a_usage_error_that_says_so() {
    let out = run_exit(&["tail", "8001/events"], 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("8001 is not a host name: for port 8001 on this machine, write :8001/events"),
        "{stderr}"
    );
    let out = run_exit(&["tail", ":1/e", "-n", "0"], 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("-n needs at least 1"), "{stderr}");
    assert!(!stderr.contains("18446744073709551615"), "{stderr}");
}

#[test]
fn a_misspelt_fault_gets_a_suggestion() {
    let out = run_exit(&["serve", "--fault", "bufer"], 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown fault \"bufer\": did you mean buffer?"),
        "{stderr}"
    );
    let out = run_exit(&["serve", "--fault", "close-afer=3"], 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean close-after=3?"), "{stderr}");
    // Nothing close: no guess.
    let out = run_exit(&["serve", "--fault", "zzz"], 2);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("did you mean"));
}

#[test]
fn serve_takes_a_path_without_its_slash() {
    let file = script("path-without-slash.txt", "data: here\n");
    let (_server, url) = serve(&["--path", "events", file.to_str().unwrap()]);
    assert!(url.ends_with("/events"), "{url}");
    let out = run_ok(&["tail", &url, "--json", "-n", "1"]);
    assert_eq!(data_of(&json_lines(&out)), ["here"]);
}

#[test]
fn a_text_filter_after_a_space_says_to_write_an_equals_sign() {
    for args in [
        &["tail", "--text", ".msg", ":1/e"][..],
        &["tail", "--text", ".choices[0].delta.content"],
        &["tail", ":1/e", "--text", ".msg"],
    ] {
        let out = run_exit(args, 2);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "looks like a jq filter, not a URL: write --text={}",
                args.iter().find(|a| a.starts_with('.')).unwrap()
            )),
            "{stderr}"
        );
    }
}

#[test]
fn retry_takes_units_and_utc_is_for_the_pretty_view() {
    let server = RawServer::new(
        "/e",
        vec![
            vec![
                send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 9\r\n\r\ndata: a\n\n"),
                Step::Close,
            ],
            vec![
                send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 9\r\n\r\ndata: b\n\n"),
                Step::Close,
            ],
        ],
    );
    let out = run_ok(&["tail", &server.url, "--retry", "0.25s", "-n", "2"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("reconnecting in 250 ms"), "{stderr}");
    for mode in ["--raw", "--text", "--jq=."] {
        let out = run_exit(&["tail", ":1/e", "--utc", mode], 2);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("cannot be used with"), "{mode}: {stderr}");
    }
}

#[test]
fn verbose_shows_the_lines_the_standard_ignores() {
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"),
            send(b"evnet: x\nretry: 2s\ndata: a\n\n"),
            Step::Close,
        ]],
    );
    let out = run_ok(&["tail", &server.url, "-v", "--no-reconnect", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in ["evnet: x", "retry: 2s"] {
        assert!(
            stderr.contains(&format!(
                "ignored (not a field the standard reads, or an invalid value): {line}"
            )),
            "{stderr}"
        );
    }
    assert_eq!(data_of(&json_lines(&out)), ["a"]);
}
