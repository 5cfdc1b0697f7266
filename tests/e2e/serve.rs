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
    let missing = raw_exchange(
        &addr,
        b"GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n",
        LIVE,
    );
    assert!(missing.starts_with(b"HTTP/1.1 404"));
    // Any method opens the stream (a recording of a DELETE-opened stream replays);
    // the page answers GET and HEAD only.
    let delete = raw_exchange(
        &addr,
        b"DELETE /events HTTP/1.1\r\nConnection: close\r\n\r\n",
        LIVE,
    );
    assert!(delete.starts_with(b"HTTP/1.1 200"));
    assert!(String::from_utf8_lossy(&delete).contains("text/event-stream"));
    let post = raw_exchange(
        &addr,
        b"POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        LIVE,
    );
    assert!(post.starts_with(b"HTTP/1.1 405"));
    assert!(String::from_utf8_lossy(&post).contains("Allow: GET, HEAD, OPTIONS"));
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
    let page = raw_exchange(
        &host_port(&url),
        b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
        LIVE,
    );
    let (head, body) = split(&page);
    assert!(head
        .to_ascii_lowercase()
        .contains("content-type: text/html"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("new EventSource(url)") && html.contains(r#"const url = "\/events""#));
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
        "OPTIONS /events HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: last-event-id\r\nConnection: close\r\n\r\n"
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

/// A raw client that has asked for the stream.
fn open_stream(url: &str, extra: &str) -> TcpStream {
    let mut stream = TcpStream::connect(host_port(url)).unwrap();
    stream.set_read_timeout(Some(LIVE)).unwrap();
    let request = format!("GET /events HTTP/1.1\r\nHost: x\r\n{extra}\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    stream
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Reads until what arrived contains `needle`; returns it and the number of reads.
fn read_until(stream: &mut TcpStream, needle: &[u8]) -> (Vec<u8>, usize) {
    let mut got = Vec::new();
    let mut reads = 0;
    let mut buf = vec![0u8; 1 << 20];
    while !contains(&got, needle) {
        let n = stream.read(&mut buf).unwrap_or_else(|e| {
            panic!(
                "{e} before {needle:?}; got {:?}",
                String::from_utf8_lossy(&got)
            )
        });
        assert!(
            n > 0,
            "closed before {needle:?}; got {:?}",
            String::from_utf8_lossy(&got)
        );
        reads += 1;
        got.extend_from_slice(&buf[..n]);
    }
    (got, reads)
}

/// The size of each chunk of a chunked response, in order.
fn chunk_sizes(response: &[u8]) -> Vec<usize> {
    let end = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let mut raw = &response[end + 4..];
    let mut sizes = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        sizes.push(size);
        raw = &raw[eol + 2 + size + 2..];
    }
    sizes
}

#[test]
fn events_due_together_leave_in_one_chunk_and_few_reads() {
    let text: String = (0..1000)
        .map(|i| format!("id: {i}\ndata: event {i}\n\n"))
        .collect();
    let (_server, url) = serve(&[script("burst", &text).to_str().unwrap()]);
    let mut stream = open_stream(&url, "");
    let (response, reads) = read_until(&mut stream, b"\r\n0\r\n\r\n");
    assert!(reads <= 20, "1,000 events due at once took {reads} reads");
    let sizes = chunk_sizes(&response);
    assert!(sizes.len() <= 2, "{} chunks: {sizes:?}", sizes.len());
    assert_eq!(split(&response).1, text.as_bytes());
}

#[test]
fn a_due_event_is_not_held_back_for_the_next() {
    // Were event 1 held to go out with event 2, it would come a minute late: the
    // read below would fail after LIVE (10 s).
    let pause = script("pause", "data: 1\n\n@sleep 60s\ndata: 2\n\n");
    let no_sleep = script("no-sleep", "data: 1\n\ndata: 2\n\n");
    for args in [
        vec![pause.to_str().unwrap()],
        vec![no_sleep.to_str().unwrap(), "--interval", "60s"],
    ] {
        let (_server, url) = serve(&args);
        let mut stream = open_stream(&url, "");
        let (got, _) = read_until(&mut stream, b"data: 1\n\n");
        assert!(!contains(&got, b"data: 2"), "{args:?}");
    }
}

#[test]
fn a_finite_script_ends_with_204_and_tail_exits_0() {
    let text = "retry: 50\n\nid: 1\ndata: a\n\nid: 2\ndata: b\n\n";
    let (server, url) = serve(&[script("finite", text).to_str().unwrap()]);
    let mut tail = sse();
    tail.args(["tail", &url, "--json"]);
    let mut tail = Spawned::new(tail);
    let data: Vec<String> = tail
        .rest(LIVE)
        .iter()
        .map(|l| json(l)["data"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(data, ["a", "b"]);
    // It stopped, by itself and successfully: no endless replays of "done after 0 events".
    tail.assert_exit(0);
    let over: Vec<String> = tail
        .stderr()
        .lines()
        .filter(|l| l.contains("the server answered 204 No Content: the stream is over"))
        .map(str::to_string)
        .collect();
    assert_eq!(over.len(), 1, "{}", tail.stderr());
    // The second connection asked to resume after the last event, and got the 204.
    server.stderr_line_with("Last-Event-ID: 2", LIVE);
    server.stderr_line_with("answered 204", LIVE);

    let (head, body) = split(&get(&url, "Last-Event-ID: 2\r\nConnection: close\r\n"));
    assert!(head.starts_with("HTTP/1.1 204 No Content"), "{head}");
    assert!(body.is_empty());
    // With --loop there is no end: the stream goes on from the start.
    let (_looped, url) = serve(&[script("looped", text).to_str().unwrap(), "--loop"]);
    let mut stream = open_stream(&url, "Last-Event-ID: 2\r\n");
    let (got, _) = read_until(&mut stream, b"data: a\n\n");
    assert!(got.starts_with(b"HTTP/1.1 200 OK"));
}

#[test]
fn a_status_with_a_json_body_mocks_an_api_error() {
    let text = "@status 429\n@header Retry-After: 5\n@body {\"error\":\"rate limited\"}\n";
    let (_server, url) = serve(&[script("429", text).to_str().unwrap()]);
    let (head, body) = split(&get(&url, "Connection: close\r\n"));
    assert!(head.starts_with("HTTP/1.1 429 Too Many Requests"), "{head}");
    assert_eq!(
        header_in(&head, "Content-Type").as_deref(),
        Some("application/json")
    );
    assert_eq!(header_in(&head, "Retry-After").as_deref(), Some("5"));
    assert_eq!(body, b"{\"error\":\"rate limited\"}\n");
    let out = run_exit(&["tail", &url], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("429") && stderr.contains(r#"{"error":"rate limited"}"#),
        "{stderr}"
    );
}

#[test]
fn a_chunked_post_is_read_and_answered() {
    let (server, url) = serve(&[script("chunked-post", SCRIPT).to_str().unwrap()]);
    let addr = host_port(&url);
    let post = b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{\"model\":\r\nb;ext=1\r\n\"m\",\"n\":1}\r\n0\r\n\r\n";
    let (head, body) = split(&raw_exchange(&addr, post, LIVE));
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(String::from_utf8(body)
        .unwrap()
        .ends_with("data: three\n\n"));
    server.stderr_line_with("POST /events HTTP/1.1", LIVE);
    // Broken or oversized chunked bodies are refused, and said why.
    let broken = raw_exchange(
        &addr,
        b"POST /events HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        LIVE,
    );
    assert!(broken.starts_with(b"HTTP/1.1 400 Bad Request"));
    let huge = raw_exchange(
        &addr,
        b"POST /events HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\n",
        LIVE,
    );
    // A client that waits for 100 Continue before its body (curl, for large ones).
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(LIVE)).unwrap();
    stream
        .write_all(b"POST /events HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        .unwrap();
    let (got, _) = read_until(&mut stream, b"\r\n\r\n");
    assert_eq!(got, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(b"{}").unwrap();
    let (got, _) = read_until(&mut stream, b"data: one");
    assert!(got.starts_with(b"HTTP/1.1 200 OK"));
    assert!(
        huge.starts_with(b"HTTP/1.1 413"),
        "{}",
        String::from_utf8_lossy(&huge)
    );
}

/// Reads one response with a Content-Length body (or none) from a kept connection.
fn read_response(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let (mut got, _) = read_until(stream, b"\r\n\r\n");
    let end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&got[..end]).into_owned();
    let length: usize = header_in(&head, "Content-Length").map_or(0, |v| v.parse().unwrap());
    let mut buf = [0u8; 4096];
    while got.len() < end + length {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed mid-body");
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got.len(), end + length, "nothing past the answer");
    (head, got[end..].to_vec())
}

#[test]
fn short_answers_keep_the_connection_alive() {
    let (_server, url) = serve(&[script("keep", SCRIPT).to_str().unwrap()]);
    let mut stream = TcpStream::connect(host_port(&url)).unwrap();
    stream.set_read_timeout(Some(LIVE)).unwrap();
    for _ in 0..2 {
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let (head, body) = read_response(&mut stream);
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert!(!head.to_ascii_lowercase().contains("connection: close"));
        assert!(String::from_utf8(body).unwrap().contains("new EventSource"));
    }
    // Two requests in one write (pipelined), then one that asks to close.
    stream
        .write_all(b"GET /nope HTTP/1.1\r\n\r\nHEAD / HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    let rest = String::from_utf8(rest).unwrap();
    let answers: Vec<&str> = rest.split("HTTP/1.1 ").skip(1).collect();
    assert_eq!(answers.len(), 3, "{rest}");
    assert!(
        answers[0].starts_with("404") && answers[0].ends_with("/events\n"),
        "{rest}"
    );
    assert!(
        answers[1].starts_with("200 OK") && answers[1].ends_with("\r\n\r\n"),
        "HEAD: no body: {rest}"
    );
    assert!(
        answers[2].starts_with("404") && answers[2].contains("Connection: close"),
        "{rest}"
    );
}

#[test]
fn stall_after_keeps_the_connection_open_and_silent() {
    let text = "id: 1\ndata: one\n\nid: 2\ndata: two\n\n";
    let (server, url) = serve(&[
        script("stall", text).to_str().unwrap(),
        "--fault",
        "stall-after=1",
    ]);
    let mut stream = open_stream(&url, "");
    let (got, _) = read_until(&mut stream, b"data: one\n\n");
    // Event 2 was due at once: a stalled stream does not send it, nor close.
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 64];
    let err = stream
        .read(&mut buf)
        .map(|n| buf[..n].to_vec())
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err}; got {:?}",
        String::from_utf8_lossy(&got)
    );
    assert!(!contains(&got, b"two"));
    drop(stream);
    server.stderr_line_with("stalled after 1 event", LIVE);
}

#[test]
fn reset_after_sends_a_tcp_reset() {
    let text = "id: 1\ndata: one\n\n@sleep 100ms\nid: 2\ndata: two\n\n";
    let (server, url) = serve(&[
        script("reset", text).to_str().unwrap(),
        "--fault",
        "reset-after=1",
    ]);
    let mut stream = open_stream(&url, "");
    let (got, _) = read_until(&mut stream, b"data: one\n\n");
    let mut buf = [0u8; 64];
    let end = loop {
        match stream.read(&mut buf) {
            Ok(0) => panic!("a clean close, not a reset"),
            Ok(n) => assert!(!contains(&buf[..n], b"two")),
            Err(e) => break e,
        }
    };
    assert_eq!(end.kind(), std::io::ErrorKind::ConnectionReset, "{end}");
    assert!(!contains(&got, b"two"));
    server.stderr_line_with("reset after 1 event", LIVE);
}

#[test]
fn a_cut_after_0_events_comes_before_the_first_event() {
    let s = script("cut0", "id: 1\ndata: one\n\n");
    let s = s.to_str().unwrap();

    let (_a, url) = serve(&[s, "--fault", "close-after=0"]);
    let (head, body) = split(&get(&url, ""));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(body.is_empty(), "{:?}", String::from_utf8_lossy(&body));

    let (b, url) = serve(&[s, "--fault", "stall-after=0"]);
    b.stderr_line_with("(1 event) with --fault stall-after=0", LIVE);
    let mut stream = open_stream(&url, "");
    let (got, _) = read_until(&mut stream, b"\r\n\r\n");
    assert!(
        !contains(&got, b"data:"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    drop(stream);
    b.stderr_line_with("stalled after 0 events", LIVE);

    let (c, url) = serve(&[s, "--fault", "reset-after=0"]);
    let mut stream = open_stream(&url, "");
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let end = loop {
        match stream.read(&mut buf) {
            Ok(0) => panic!("a clean close, not a reset"),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => break e,
        }
    };
    assert_eq!(end.kind(), std::io::ErrorKind::ConnectionReset, "{end}");
    assert!(
        !contains(&got, b"data:"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    c.stderr_line_with("reset after 0 events", LIVE);
}

#[test]
fn drip_sends_every_event_a_few_bytes_at_a_time() {
    let (_server, url) = serve(&[script("drip", SCRIPT).to_str().unwrap(), "--fault", "drip"]);
    let response = get(&url, "");
    let sizes = chunk_sizes(&response);
    assert!(sizes.iter().all(|&n| n <= 3), "{sizes:?}");
    assert!(sizes.len() > 20);
    assert_eq!(
        String::from_utf8(split(&response).1).unwrap(),
        "retry: 100\n\nevent: panda\nid: 1\ndata: one\n\nid: 2\ndata: two\n\n: note\n\nid: 3\ndata: three\n\n"
    );
    // And a client reassembles the lines across its reads.
    let (_server, url) = serve(&[
        script("drip-tail", SCRIPT).to_str().unwrap(),
        "--fault",
        "drip",
    ]);
    let out = run_ok(&["tail", &url, "--json", "--no-reconnect"]);
    assert_eq!(data_of(&json_lines(&out)), ["one", "two", "three"]);
}

#[test]
fn speed_plays_every_pause_faster() {
    let text = "data: a\n\n@sleep 1s\ndata: b\n\n@sleep 1s\ndata: c\n\n";
    let (_server, url) = serve(&[script("speed", text).to_str().unwrap(), "--speed", "10"]);
    let started = Instant::now();
    let (_, body) = split(&get(&url, ""));
    let took = started.elapsed();
    assert_eq!(body, b"data: a\n\ndata: b\n\ndata: c\n\n");
    assert!(
        took >= Duration::from_millis(190),
        "a 2 s script at 10x took {took:?}"
    );
    assert!(
        took < Duration::from_millis(1800),
        "a 2 s script at 10x took {took:?}"
    );
    let out = run_exit(&["serve", "--speed", "0", "--port", "0"], 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid speed"));
}

#[test]
fn invalid_utf8_is_sent_as_it_is_with_a_warning() {
    let path = script("latin1", "");
    std::fs::write(&path, b"data: caf\xe9\n\n").unwrap();
    let (server, url) = serve(&[path.to_str().unwrap()]);
    server.stderr_line_with("latin1.txt:1: not valid UTF-8", LIVE);
    let (_, body) = split(&get(&url, ""));
    assert_eq!(body, b"data: caf\xe9\n\n");
}

#[test]
fn the_request_log_escapes_what_the_client_sent() {
    let (server, url) = serve(&[script("log", SCRIPT).to_str().unwrap()]);
    // httparse refuses C0 controls in a head, but UTF-8 C1 controls (U+009B, CSI) pass.
    let request = "GET /events HTTP/1.1\r\nUser-Agent: evil\u{9b}2J\r\nLast-Event-ID: x\u{9b}31m\r\nConnection: close\r\n\r\n";
    raw_exchange(&host_port(&url), request.as_bytes(), LIVE);
    let line = server.stderr_line_with("User-Agent", LIVE);
    assert!(
        line.contains("evil\\u{9b}2J") && line.contains("x\\u{9b}31m"),
        "{line}"
    );
    server.stderr_line_with("not in the script", LIVE);
    assert!(!server.stderr().contains('\u{9b}'), "{}", server.stderr());
}

#[test]
fn the_page_cannot_be_injected_through_an_event_type() {
    let hostile = "event: </script><script>alert(1)</script>\ndata: x\n\n";
    let (_server, url) = serve(&[script("inject", hostile).to_str().unwrap()]);
    let page = raw_exchange(
        &host_port(&url),
        b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
        LIVE,
    );
    let html = String::from_utf8(split(&page).1).unwrap();
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert_eq!(html.matches("</script").count(), 1, "{html}");
    assert!(
        html.contains(r#""\u003c\/script\u003e\u003cscript\u003ealert(1)\u003c\/script\u003e""#),
        "{html}"
    );
}

#[test]
fn headers_and_origins_with_control_characters_are_refused() {
    let bad = script("esc-header", "@header X-A: a\u{1b}[2Jb\ndata: x\n\n");
    let out = run_exit(&["serve", bad.to_str().unwrap(), "--port", "0"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "esc-header.txt:1: @header: the value of X-A contains the control character \\x1b"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let out = run_exit(
        &[
            "serve",
            "--cors",
            "https://a.example\r\nSet-Cookie: x=1",
            "--port",
            "0",
        ],
        2,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an origin"));
}

#[test]
fn a_looping_buffer_is_capped_and_notices_the_client_leaving() {
    let (server, url) = serve(&[
        script("buffer-loop", "data: x\n\n").to_str().unwrap(),
        "--loop",
        "--fault",
        "buffer",
    ]);
    let mut stream = open_stream(&url, "");
    let (head, _) = read_until(&mut stream, b"\r\n\r\n");
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    assert!(
        head.contains("transfer-encoding: chunked") && !head.contains("content-length"),
        "{head}"
    );
    let mut total = 0;
    let mut buf = vec![0u8; 1 << 20];
    while total < 8 << 20 {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0);
        total += n;
    }
    let pid = server.child.id();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(rss_kib < 64 * 1024, "the server holds {rss_kib} KiB");
    drop(stream);
    server.stderr_line_with("client left", LIVE);
}

#[test]
fn informational_statuses_and_a_204_body_are_refused_with_file_and_line() {
    for (name, text, at) in [
        ("s101", "@status 101\ndata: a\n\n", "s101.txt:1: @status"),
        ("s199", "# x\n@status 199\n", "s199.txt:2: @status"),
        (
            "s204body",
            "@status 204\n@body {\"error\": 1}\n",
            "s204body.txt:2: @body",
        ),
    ] {
        let path = script(name, text);
        let out = run_exit(&["serve", path.to_str().unwrap(), "--port", "0"], 1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(at), "{name}: {stderr}");
    }
    // The same through --fault status=: a usage error.
    let plain = script("s-fault", "data: a\n\n");
    let out = run_exit(
        &["serve", plain.to_str().unwrap(), "--fault", "status=103"],
        2,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("informational"));
    let body = script("s-fault-body", "@status 500\n@body x\n");
    let out = run_exit(
        &["serve", body.to_str().unwrap(), "--fault", "status=204"],
        2,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("a 204 answer has no body"));
}

#[test]
fn cors_preflight_allows_a_json_post_with_the_headers_it_asks_for() {
    let origin = "https://app.example";
    let (_server, url) = serve(&[
        script("cors-post", SCRIPT).to_str().unwrap(),
        "--cors",
        origin,
    ]);
    let preflight = format!(
        "OPTIONS /events HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type,authorization, x-api-key\r\nConnection: close\r\n\r\n"
    );
    let (head, _) = split(&raw_exchange(&host_port(&url), preflight.as_bytes(), LIVE));
    assert!(head.starts_with("HTTP/1.1 204"), "{head}");
    let methods = header_in(&head, "Access-Control-Allow-Methods").unwrap_or_default();
    assert!(methods.contains("POST"), "{head}");
    let allowed = header_in(&head, "Access-Control-Allow-Headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in [
        "content-type",
        "authorization",
        "x-api-key",
        "last-event-id",
    ] {
        assert!(allowed.contains(name), "{name}: {head}");
    }
    // A requested list that is not header names is not echoed.
    let hostile = format!(
        "OPTIONS /events HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nAccess-Control-Request-Headers: a b, x:y, ok\r\nConnection: close\r\n\r\n"
    );
    let (head, _) = split(&raw_exchange(&host_port(&url), hostile.as_bytes(), LIVE));
    assert!(head.starts_with("HTTP/1.1 204"), "{head}");
    let allowed = header_in(&head, "Access-Control-Allow-Headers").unwrap_or_default();
    assert!(
        !allowed.contains("a b") && !allowed.contains("x:y") && allowed.ends_with(", ok"),
        "{head}"
    );
}

#[test]
fn fault_gzip_does_not_compress_for_a_client_that_refuses_it() {
    let (server, url) = serve(&[
        script("gz-no", "data: a\n\n").to_str().unwrap(),
        "--fault",
        "gzip",
    ]);
    for extra in [
        "Accept-Encoding: identity\r\n",
        "",
        "Accept-Encoding: br, gzip;q=0\r\n",
    ] {
        let (head, body) = split(&get(&url, extra));
        assert!(
            !head.to_ascii_lowercase().contains("content-encoding"),
            "{extra:?}: {head}"
        );
        assert_eq!(body, b"data: a\n\n", "{extra:?}");
        server.stderr_line_with("not compressing", LIVE);
    }
    // `gzip` in any case, with a weight, or `*`: compressed.
    for extra in [
        "Accept-Encoding: deflate, GZip;q=0.5\r\n",
        "Accept-Encoding: *\r\n",
    ] {
        let (head, _) = split(&get(&url, extra));
        assert!(
            head.to_ascii_lowercase().contains("content-encoding: gzip"),
            "{extra:?}: {head}"
        );
    }
}

#[test]
fn the_request_log_is_coloured_by_the_color_rule() {
    let s = script("color", "data: a\n\n");
    // (global flag, NO_COLOR, coloured?): stderr is a pipe, so `auto` means none.
    for (choice, no_color, want) in [
        ("always", None, true),
        ("always", Some("1"), true),
        ("never", None, false),
        ("auto", None, false),
    ] {
        let mut cmd = sse();
        cmd.args([
            "--color",
            choice,
            "serve",
            s.to_str().unwrap(),
            "--port",
            "0",
        ]);
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let server = Spawned::new(cmd);
        let url = server.next_line(LIVE);
        let url = url.strip_prefix("listening on ").unwrap().to_string();
        let (head, _) = split(&get(&url, "User-Agent: t\r\n"));
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        server.stderr_line_with("done after", LIVE);
        let stderr = server.stderr();
        assert_eq!(
            stderr.contains("\x1b["),
            want,
            "--color {choice}: {stderr:?}"
        );
    }
}

/// serve never returns on its own: its manual must not promise an exit 0.
#[test]
fn the_manual_says_serve_runs_until_stopped() {
    let sections = sse::manual::man_sections("serve");
    let (_, exit) = sections
        .iter()
        .find(|(heading, _)| *heading == "EXIT STATUS")
        .unwrap();
    let zero = exit.iter().find_map(|b| match b {
        sse::manual::Block::Item("0", text) => Some(*text),
        _ => None,
    });
    assert!(zero.is_some_and(|t| t.starts_with("Never")), "{zero:?}");
}

#[test]
fn a_script_line_with_an_unknown_field_is_warned_about_with_its_line() {
    let path = script("typo", "data: a\n\nevnet: x\ndata: b\n\n");
    let (server, _url) = serve(&[path.to_str().unwrap()]);
    let line = server.stderr_line_with("is not a field the standard reads", LIVE);
    assert!(
        line.contains(
            "typo.txt:3: `evnet` is not a field the standard reads (data, event, id, retry)"
        ),
        "{line}"
    );
}
