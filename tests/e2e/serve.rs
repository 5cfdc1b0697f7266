//! `sse serve` seen from the wire: raw sockets and `sse tail` as clients.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::*;

const SCRIPT: &str = "@header X-Accel-Buffering: no\nretry: 100\n\nevent: panda\nid: 1\ndata: one\n\n@sleep 300ms\nid: 2\ndata: two\n\n: note\n\nid: 3\ndata: three\n";

fn get(url: &str, extra: &str) -> Vec<u8> {
    let request = format!("GET /events HTTP/1.1\r\nHost: x\r\n{extra}\r\n");
    raw_exchange(&host_port(url), request.as_bytes(), LIVE)
}

#[test]
fn prints_its_url_and_streams_the_script_chunked() {
    let (_server, url) = serve(&[script("basic", SCRIPT).to_str().unwrap()]);
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/events"),
        "{url}"
    );
    let (head, body) = split(&get(&url, ""));
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("content-type: text/event-stream"));
    assert!(lower.contains("transfer-encoding: chunked"));
    assert!(lower.contains("x-accel-buffering: no"));
    assert!(lower.contains("cache-control: no-cache"));
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "retry: 100\n\nevent: panda\nid: 1\ndata: one\n\nid: 2\ndata: two\n\n: note\n\nid: 3\ndata: three\n\n"
    );
}

#[test]
fn sleeps_hold_events_back_and_tail_sees_them_in_order() {
    let (_server, url) = serve(&[script("timing", SCRIPT).to_str().unwrap()]);
    let out = run_ok(&["tail", &url, "--json", "--no-reconnect"]);
    let lines = json_lines(&out);
    let data = data_of(&lines);
    assert_eq!(data, ["one", "two", "three"]);
    assert_eq!(lines[0]["event"], "panda");
    // Event 2 comes after its @sleep, never before: a lower bound on its arrival since
    // the connection opened (gap 1 + gap 2), which a late first event cannot shorten.
    let since_open: f64 = lines[..2]
        .iter()
        .map(|l| l["gap_ms"].as_f64().unwrap())
        .sum();
    assert!(since_open >= 290.0, "{lines:?}");
}

#[test]
fn last_event_id_resumes_after_that_event() {
    let (server, url) = serve(&[script("resume", SCRIPT).to_str().unwrap()]);
    let (_, body) = split(&get(&url, "Last-Event-ID: 2\r\n"));
    assert_eq!(
        String::from_utf8(body).unwrap(),
        ": note\n\nid: 3\ndata: three\n\n"
    );
    server.stderr_line_with("Last-Event-ID: 2", LIVE);
    // An unknown id replays from the start, with a warning.
    let (_, body) = split(&get(&url, "Last-Event-ID: nope\r\n"));
    assert!(String::from_utf8(body).unwrap().starts_with("retry: 100"));
    server.stderr_line_with("not in the script", LIVE);
}

#[test]
fn http10_request_gets_a_close_delimited_body_and_a_warning() {
    let (server, url) = serve(&[script("h10", SCRIPT).to_str().unwrap()]);
    let response = raw_exchange(&host_port(&url), b"GET /events HTTP/1.0\r\n\r\n", LIVE);
    let (head, body) = split(&response);
    assert!(!head.to_ascii_lowercase().contains("chunked"), "{head}");
    assert!(String::from_utf8(body)
        .unwrap()
        .ends_with("id: 3\ndata: three\n\n"));
    let warning = server.stderr_line_with("HTTP/1.0", LIVE);
    assert!(
        warning.contains("GET /events HTTP/1.0") || warning.contains("proxy_http_version"),
        "{warning}"
    );
    server.stderr_line_with("proxy_http_version 1.1", LIVE);
}

#[test]
fn fault_buffer_and_etag_hold_the_body_and_send_a_length() {
    let slow = script("slow", "data: a\n\n@sleep 400ms\ndata: b\n\n");
    for (fault, header) in [("buffer", "content-length:"), ("etag", "etag: w/\"")] {
        let (_server, url) = serve(&[slow.to_str().unwrap(), "--fault", fault]);
        let mut stream = TcpStream::connect(host_port(&url)).unwrap();
        stream
            .write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let started = Instant::now();
        let mut first = [0u8; 1];
        stream.read_exact(&mut first).unwrap();
        // Nothing, not even the head, before the script has finished.
        assert!(
            started.elapsed() >= Duration::from_millis(380),
            "{fault}: first byte after {:?}",
            started.elapsed()
        );
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).unwrap();
        let mut all = first.to_vec();
        all.extend(rest);
        let (head, body) = split(&all);
        assert!(
            head.to_ascii_lowercase().contains(header),
            "{fault}: {head}"
        );
        assert!(!head.to_ascii_lowercase().contains("chunked"));
        assert_eq!(body, b"data: a\n\ndata: b\n\n");
    }
}

#[test]
fn fault_gzip_compresses_and_sends_nothing_until_the_end() {
    let slow = script("gz", "data: a\n\n@sleep 400ms\ndata: b\n\n");
    let (_server, url) = serve(&[slow.to_str().unwrap(), "--fault", "gzip"]);
    let mut stream = TcpStream::connect(host_port(&url)).unwrap();
    stream
        .write_all(b"GET /events HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    let mut all = Vec::new();
    stream.read_to_end(&mut all).unwrap();
    let (head, body) = split(&all);
    assert!(
        head.to_ascii_lowercase().contains("content-encoding: gzip"),
        "{head}"
    );
    assert!(started.elapsed() >= Duration::from_millis(380));
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(plain, "data: a\n\ndata: b\n\n");
}

#[test]
fn fault_close_after_http10_content_type_and_status() {
    let s = script("faults", SCRIPT);
    let s = s.to_str().unwrap();

    let (_a, url) = serve(&[s, "--fault", "close-after=1"]);
    let response = get(&url, "");
    let text = String::from_utf8_lossy(&response);
    assert!(
        text.contains("data: one") && !text.contains("data: two"),
        "{text}"
    );
    assert!(
        !text.ends_with("0\r\n\r\n"),
        "a dropped connection has no last chunk"
    );

    let (_b, url) = serve(&[s, "--fault", "http10"]);
    let (head, body) = split(&get(&url, ""));
    assert!(head.starts_with("HTTP/1.0 200 OK"), "{head}");
    assert!(String::from_utf8(body)
        .unwrap()
        .ends_with("data: three\n\n"));

    let (_c, url) = serve(&[s, "--fault", "content-type=text/plain"]);
    let (head, _) = split(&get(&url, ""));
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain"),
        "{head}"
    );
    run_exit(&["tail", &url, "--no-reconnect"], 1);

    let (_d, url) = serve(&[s, "--fault", "status=503"]);
    let (head, _) = split(&get(&url, ""));
    assert!(
        head.starts_with("HTTP/1.1 503 Service Unavailable"),
        "{head}"
    );

    // Faults combine: an HTTP/1.0 server that also closes after one event.
    let (_e, url) = serve(&[s, "--fault", "http10", "--fault", "close-after=1"]);
    let (head, body) = split(&get(&url, ""));
    assert!(head.starts_with("HTTP/1.0 200"));
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "retry: 100\n\nevent: panda\nid: 1\ndata: one\n\n"
    );
}

#[test]
fn garbage_oversized_and_unknown_requests_are_answered_and_the_server_lives() {
    let (server, url) = serve(&[script("garbage", SCRIPT).to_str().unwrap()]);
    let addr = host_port(&url);
    let garbage = raw_exchange(
        &addr,
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03garbage\r\n\r\n",
        LIVE,
    );
    assert!(
        garbage.starts_with(b"HTTP/1.1 400 Bad Request"),
        "{}",
        String::from_utf8_lossy(&garbage)
    );
    let mut huge = b"GET /events HTTP/1.1\r\n".to_vec();
    for i in 0..2000 {
        huge.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "y".repeat(20)).as_bytes());
    }
    let big = raw_exchange(&addr, &huge, LIVE);
    assert!(
        big.starts_with(b"HTTP/1.1 431"),
        "{}",
        String::from_utf8_lossy(&big[..big.len().min(100)])
    );
    let missing = raw_exchange(&addr, b"GET /nope HTTP/1.1\r\n\r\n", LIVE);
    assert!(missing.starts_with(b"HTTP/1.1 404"));
    let post = raw_exchange(&addr, b"DELETE /events HTTP/1.1\r\n\r\n", LIVE);
    assert!(post.starts_with(b"HTTP/1.1 405"));
    // A client that connects and leaves at once.
    drop(TcpStream::connect(&addr).unwrap());
    // Still serving.
    let (head, _) = split(&get(&url, ""));
    assert!(head.starts_with("HTTP/1.1 200"));
    server.stderr_line_with("400 Bad Request", LIVE);
}

#[test]
fn the_root_page_opens_an_event_source() {
    let (_server, url) = serve(&[script("page", SCRIPT).to_str().unwrap(), "--cors", "*"]);
    let page = raw_exchange(&host_port(&url), b"GET / HTTP/1.1\r\n\r\n", LIVE);
    let (head, body) = split(&page);
    assert!(head
        .to_ascii_lowercase()
        .contains("content-type: text/html"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("new EventSource(url)") && html.contains("const url = \"/events\""));
    assert!(
        html.contains(r#"["message","panda"]"#),
        "the page listens for the script's event types"
    );
    let (head, _) = split(&get(&url, ""));
    assert!(head.contains("Access-Control-Allow-Origin: *"), "{head}");
}

#[test]
fn a_client_killed_mid_stream_leaves_the_others_alone() {
    let slow = script(
        "many",
        "data: 1\n\n@sleep 200ms\ndata: 2\n\n@sleep 200ms\ndata: 3\n\n@sleep 200ms\ndata: 4\n\n",
    );
    let (server, url) = serve(&[slow.to_str().unwrap()]);
    let mut victim_cmd = sse();
    victim_cmd.args(["tail", &url, "--json", "--no-reconnect"]);
    let mut victim = Spawned::new(victim_cmd);
    let mut keeper_cmd = sse();
    keeper_cmd.args(["tail", &url, "--json", "--no-reconnect"]);
    let mut keeper = Spawned::new(keeper_cmd);
    assert_eq!(json(&victim.next_line(LIVE))["data"], "1");
    assert_eq!(json(&keeper.next_line(LIVE))["data"], "1");
    victim.child.kill().unwrap();
    let _ = victim.child.wait();
    let rest: Vec<String> = keeper
        .rest(LIVE)
        .iter()
        .map(|l| json(l)["data"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rest, ["2", "3", "4"]);
    keeper.assert_exit(0);
    server.stderr_line_with("client left", LIVE);
}

#[test]
fn script_errors_name_file_and_line() {
    let bad = script("bad", "data: a\n\n@sleep forever\n");
    let out = run_exit(&["serve", bad.to_str().unwrap(), "--port", "0"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("sse: ") && stderr.contains("bad.txt:3: @sleep: invalid duration"),
        "{stderr}"
    );
    let missing = run_exit(&["serve", "/no/such/script.txt", "--port", "0"], 1);
    assert!(String::from_utf8_lossy(&missing.stderr)
        .contains("reading /no/such/script.txt: no such file"));
}

#[test]
fn loop_and_interval() {
    let s = script("loop", "id: a\ndata: x\n\nid: b\ndata: y\n\n");
    let (_server, url) = serve(&[
        s.to_str().unwrap(),
        "--loop",
        "--interval",
        "50ms",
        "--stamp",
    ]);
    let out = run_ok(&["tail", &url, "--json", "-n", "5", "-v"]);
    let lines = json_lines(&out);
    let data = data_of(&lines);
    assert_eq!(data, ["x", "y", "x", "y", "x"]);
    // The server's own stamps (comments, shown with -v) are 50 ms apart or more. What
    // the client measures also includes when each event arrived, which a loaded
    // machine can delay, so it only has to show that the interval was there at all.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stamps: Vec<u64> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix(": sent-at "))
        .map(|ms| ms.trim().parse().unwrap())
        .collect();
    assert!(stamps.len() >= 5, "{stderr}");
    assert!(stamps.windows(2).all(|w| w[1] - w[0] >= 50), "{stamps:?}");
    let gaps: f64 = lines[1..]
        .iter()
        .map(|l| l["gap_ms"].as_f64().unwrap())
        .sum();
    assert!(gaps >= 150.0, "four intervals of 50 ms took {gaps} ms");
}

#[test]
fn demo_shows_the_built_in_stream() {
    let out = run_ok(&["demo", "--json"]);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0]["event"], "panda");
    assert_eq!(lines[1]["event"], "elephant");
}

#[test]
fn a_post_opened_stream_can_be_mocked() {
    let (server, url) = serve(&[script("post", SCRIPT).to_str().unwrap()]);
    let out = run_ok(&[
        "tail",
        &url,
        "-d",
        r#"{"model":"m","stream":true}"#,
        "--json",
    ]);
    assert_eq!(data_of(&json_lines(&out)), ["one", "two", "three"]);
    server.stderr_line_with("POST /events HTTP/1.1", LIVE);
}

#[test]
fn head_answers_at_once_even_when_a_fault_holds_the_body() {
    let slow = script("head", "data: a\n\n@sleep 5s\ndata: b\n\n");
    let (_server, url) = serve(&[slow.to_str().unwrap(), "--fault", "buffer"]);
    let started = std::time::Instant::now();
    let response = raw_exchange(&host_port(&url), b"HEAD /events HTTP/1.1\r\n\r\n", LIVE);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "HEAD waited for the script"
    );
    let text = String::from_utf8_lossy(&response);
    assert!(
        text.starts_with("HTTP/1.1 200 OK") && text.ends_with("\r\n\r\n"),
        "{text}"
    );
}

#[test]
fn a_script_read_from_stdin() {
    let mut cmd = sse();
    cmd.args(["serve", "-", "--port", "0"])
        .stdin(std::process::Stdio::piped());
    let mut server = Spawned::new(cmd);
    let mut stdin = server.child.stdin.take().unwrap();
    stdin
        .write_all(b"event: piped\nid: 1\ndata: from stdin\n\ndata: two\n\n")
        .unwrap();
    drop(stdin);
    let line = server.next_line(LIVE);
    let url = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let out = run_ok(&["tail", url, "--json", "--no-reconnect"]);
    let lines = json_lines(&out);
    assert_eq!(data_of(&lines), ["from stdin", "two"]);
    assert_eq!(lines[0]["event"], "piped");
}

#[test]
fn cors_preflight_is_answered_for_the_allowed_origin() {
    let origin = "https://app.example";
    let preflight = format!(
        "OPTIONS /events HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: last-event-id\r\n\r\n"
    );
    let (_server, url) = serve(&[script("cors", SCRIPT).to_str().unwrap(), "--cors", origin]);
    let (head, body) = split(&raw_exchange(&host_port(&url), preflight.as_bytes(), LIVE));
    assert!(head.starts_with("HTTP/1.1 204"), "{head}");
    assert!(body.is_empty());
    let header = |name| header_in(&head, name).unwrap_or_else(|| panic!("no {name}: {head}"));
    assert_eq!(header("Access-Control-Allow-Origin"), origin);
    assert_eq!(header("Access-Control-Allow-Credentials"), "true");
    assert!(
        header("Access-Control-Allow-Methods").contains("GET"),
        "{head}"
    );
    assert!(
        header("Access-Control-Allow-Headers")
            .to_ascii_lowercase()
            .contains("last-event-id"),
        "{head}"
    );
    assert!(header("Vary").contains("Origin"), "{head}");
    // The stream itself carries the origin too.
    let (head, _) = split(&get(&url, &format!("Origin: {origin}\r\n")));
    assert_eq!(
        header_in(&head, "Access-Control-Allow-Origin").as_deref(),
        Some(origin)
    );

    // Without --cors the preflight allows nothing.
    let (_plain, url) = serve(&[script("nocors", SCRIPT).to_str().unwrap()]);
    let (head, _) = split(&raw_exchange(&host_port(&url), preflight.as_bytes(), LIVE));
    assert!(head.starts_with("HTTP/1.1 204"), "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("access-control-allow"),
        "{head}"
    );
}
