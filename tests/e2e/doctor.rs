//! `sse doctor` against `sse serve` faults: each diagnosed with its own cause.

use crate::support::*;

const STREAM: &str = "id: 1\ndata: a\n\n@sleep 400ms\nid: 2\ndata: b\n\n@sleep 400ms\nid: 3\ndata: c\n\n@sleep 400ms\nid: 4\ndata: d\n\n";

/// Runs doctor against `sse serve` with a fault; returns how it exited and its report.
fn diagnose(
    name: &str,
    serve_args: &[&str],
    doctor_args: &[&str],
) -> (std::process::Output, serde_json::Value) {
    let path = script(name, STREAM);
    let mut args = vec![path.to_str().unwrap()];
    args.extend_from_slice(serve_args);
    let (_server, url) = serve(&args);
    let out = sse()
        .args(["doctor", &url, "--duration", "4s", "--json"])
        .args(doctor_args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out, report)
}

fn status<'a>(report: &'a serde_json::Value, name: &str) -> &'a str {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .map_or("absent", |c| c["status"].as_str().unwrap())
}

fn failed(report: &serde_json::Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "FAIL")
        .map(|c| c["check"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_healthy_stamped_stream_passes() {
    let (out, report) = diagnose("healthy", &["--stamp"], &[]);
    assert_exit(&out, 0);
    assert_eq!(status(&report, "delivery"), "PASS");
    assert_eq!(report["stamps"], 4);
}

#[test]
fn each_fault_is_diagnosed_with_its_own_cause() {
    let (out, report) = diagnose("buffer", &["--fault", "buffer"], &[]);
    assert_exit(&out, 1);
    assert!(
        failed(&report).contains(&"content-length".to_string()),
        "{report:#}"
    );
    assert_eq!(status(&report, "etag"), "PASS");

    let (_, report) = diagnose("etag", &["--fault", "etag"], &[]);
    assert_eq!(status(&report, "etag"), "FAIL", "{report:#}");
    let etag = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "etag")
        .unwrap();
    assert!(etag["fix"].as_str().unwrap().contains("Rack::ETag"));

    let (out, report) = diagnose("gzip", &["--fault", "gzip"], &[]);
    assert_exit(&out, 1);
    assert_eq!(status(&report, "content-encoding"), "FAIL", "{report:#}");
    assert_eq!(status(&report, "content-length"), "PASS");

    let (out, report) = diagnose("close", &["--fault", "close-after=1"], &[]);
    assert_exit(&out, 1);
    assert_eq!(failed(&report), ["connection"], "{report:#}");

    let (_, report) = diagnose("http10", &["--fault", "http10"], &[]);
    assert_eq!(status(&report, "http-version"), "WARN", "{report:#}");

    let (out, report) = diagnose("status", &["--fault", "status=503"], &[]);
    assert_exit(&out, 1);
    assert_eq!(failed(&report), ["response"]);
}

#[test]
fn max_delay_turns_small_delays_into_a_failure() {
    // Any stamped delay is more than 0 ms... or equal: use a limit no stream can meet.
    let (out, report) = diagnose(
        "maxdelay",
        &["--stamp", "--fault", "buffer"],
        &["--max-delay", "100ms"],
    );
    assert_exit(&out, 1);
    assert_eq!(status(&report, "delivery"), "FAIL", "{report:#}");
}

#[test]
fn missing_ids_warn() {
    let path = script("noids", "data: a\n\n@sleep 100ms\ndata: b\n\n");
    let (_server, url) = serve(&[path.to_str().unwrap()]);
    let out = sse()
        .args(["doctor", &url, "--duration", "2s", "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status(&report, "event-ids"), "WARN");
}

#[test]
fn refused_connection_fails_with_a_report() {
    let refused = RefusedPort::new();
    let out = run_exit(
        &[
            "doctor",
            &format!(":{}/e", refused.port),
            "--color",
            "never",
        ],
        1,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FAIL  response  no response: connection refused"),
        "{text}"
    );
}

#[test]
fn memory_stays_bounded_on_a_fast_stream_of_tiny_events() {
    use std::io::Read;
    // As fast as serve can write: hundreds of thousands of events a second. Keeping
    // every event (as doctor once did) grew by ~0.5 GB per watched second.
    let path = script("flood", "id: 1\ndata: x\n\n");
    let (_server, url) = serve(&[path.to_str().unwrap(), "--loop", "--interval", "0s"]);
    let mut doctor = sse()
        .args(["doctor", &url, "--duration", "4s", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read_all(Box::new(doctor.stdout.take().unwrap()));
    let stderr = read_all(Box::new(doctor.stderr.take().unwrap()));
    // The kernel's own high-water mark for the whole run, given when it is reaped.
    let (status, peak) = wait_with_peak_kib(doctor, LIVE);
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert!(
        status.is_some(),
        "doctor still running after {LIVE:?}: {stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let events = report["events"].as_u64().unwrap();
    assert!(events > 10_000, "the stream was not fast: {events} events");
    assert!(peak > 0, "no ru_maxrss");
    assert!(peak < 100 * 1024, "peak {peak} KiB for {events} events");
    println!("doctor peak {peak} KiB after {events} events");
}

/// A raw server answering one request with a `Content-Encoding: encoding` stream of
/// `body`, then closing.
fn encoded(encoding: &str, body: &[u8]) -> RawServer {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nContent-Encoding: {encoding}\r\nConnection: close\r\n\r\n"
    );
    RawServer::new(
        "/events",
        vec![vec![send(head.as_bytes()), send(body), Step::Close]],
    )
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn brotli_and_zstd_streams_are_decoded() {
    // Two events, brotli-compressed by Node 20's zlib with a flush between them.
    let br =
        hex("0b088069643a20310a646174613a206f6e650a0a80000869643a20320a646174613a2074776f0a0a03");
    // The same two events as two zstd frames, as a server flushing a frame per event sends.
    let zstd: Vec<u8> = [b"id: 1\ndata: one\n\n".as_slice(), b"id: 2\ndata: two\n\n"]
        .iter()
        .flat_map(|part| zstd::encode_all(*part, 3).unwrap())
        .collect();
    for (encoding, body) in [("br", br), ("zstd", zstd)] {
        let server = encoded(encoding, &body);
        let out = sse()
            .args(["doctor", &server.url, "--duration", "3s", "--json"])
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["events"], 2, "{encoding}: {report:#}");
        assert_eq!(status(&report, "event-ids"), "PASS", "{report:#}");
        server.join();
    }
}

#[test]
fn an_encoding_doctor_cannot_read_is_not_counted_as_zero_events() {
    let server = encoded("compress", b"\x1f\x9d\x90some compressed bytes");
    let out = sse()
        .args(["doctor", &server.url, "--duration", "3s", "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["events"], serde_json::Value::Null, "{report:#}");
    assert!(report["bytes"].as_u64().unwrap() > 0, "{report:#}");
    assert_ne!(status(&report, "connection"), "FAIL", "{report:#}");
    server.join();
}

/// The check called `name` in a `--json` report.
pub fn check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report:#}"))
}

fn doctor_json(args: &[&str]) -> (std::process::Output, serde_json::Value) {
    let out = sse()
        .arg("doctor")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, report)
}

#[test]
fn resume_probe_sees_a_server_that_resumes() {
    // sse serve resumes after the request's Last-Event-ID: event 3 comes next.
    let path = script(
        "resumes",
        "id: 1\ndata: a\n\nid: 2\ndata: b\n\n@sleep 1500ms\nid: 3\ndata: c\n\n",
    );
    let (server, url) = serve(&[path.to_str().unwrap()]);
    let (_, report) = doctor_json(&[&url, "--count", "2", "--duration", "5s"]);
    let resume = check(&report, "resume");
    assert_eq!(resume["status"], "PASS", "{report:#}");
    assert!(
        resume["seen"]
            .as_str()
            .unwrap()
            .contains("went on with id 3"),
        "{report:#}"
    );
    server.stderr_line_with("Last-Event-ID: 2", LIVE);
}

#[test]
fn resume_probe_sees_a_server_that_replays_and_never_repeats_a_post_unasked() {
    let events = b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n";
    let answer = || vec![send(SSE_HEAD), send(events), Step::Close];
    let server = RawServer::new("/events", vec![answer(), answer()]);
    let (_, report) = doctor_json(&[&server.url, "--count", "2", "--duration", "5s"]);
    let resume = check(&report, "resume");
    assert_eq!(resume["status"], "WARN", "{report:#}");
    assert!(
        resume["seen"]
            .as_str()
            .unwrap()
            .contains("replayed from the start"),
        "{report:#}"
    );
    assert_eq!(server.header(1, "last-event-id").as_deref(), Some("2"));
    server.join();

    // Opened by POST: the probe does not send it again...
    let server = RawServer::new("/events", vec![answer()]);
    let (_, report) = doctor_json(&[&server.url, "-d", "{}", "--count", "2"]);
    let resume = check(&report, "resume");
    assert!(
        resume["seen"].as_str().unwrap().contains("--reconnect"),
        "{report:#}"
    );
    server.join();
    // ...unless the user says so, and then it is the same POST.
    let server = RawServer::new("/events", vec![answer(), answer()]);
    let (_, report) = doctor_json(&[&server.url, "-d", "{}", "--count", "2", "--reconnect"]);
    assert_eq!(check(&report, "resume")["status"], "WARN", "{report:#}");
    assert!(
        server.requests()[1].starts_with("POST "),
        "{:?}",
        server.requests()
    );
    assert_eq!(server.body(1), b"{}");
    server.join();
}

/// A server that compresses when the request allows it and then holds the compressed
/// events (as a compression middleware that is never flushed), and answers a request
/// that refuses compression with the events at once unless `hold_identity`. Each
/// connection stays open until the client leaves.
fn compressing_server(hold_identity: bool) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut gzip = false;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    gzip |= lower.starts_with("accept-encoding:") && lower.contains("gzip");
                }
                let events = b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n";
                let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n";
                let reply = if gzip {
                    // Written to the compressor, never flushed: only its header leaves.
                    let mut z =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                    z.write_all(events).unwrap();
                    let mut reply = format!("{head}Content-Encoding: gzip\r\n\r\n").into_bytes();
                    reply.extend_from_slice(&z.get_ref()[..10]);
                    reply
                } else if hold_identity {
                    format!("{head}\r\n").into_bytes()
                } else {
                    [format!("{head}\r\n").as_bytes(), events].concat()
                };
                let _ = conn.write_all(&reply);
                // Hold the connection until the client leaves.
                let _ = reader.read_to_end(&mut Vec::new());
            });
        }
    });
    url
}

#[test]
fn compression_probe_proves_the_compressor_or_clears_it() {
    let url = compressing_server(false);
    let (out, report) = doctor_json(&[&url, "--duration", "2s"]);
    assert_exit(&out, 1);
    let probe = check(&report, "compression");
    assert_eq!(probe["status"], "FAIL", "{report:#}");
    assert!(
        probe["why"]
            .as_str()
            .unwrap()
            .contains("without compression arrived on time"),
        "{report:#}"
    );

    let url = compressing_server(true);
    let (_, report) = doctor_json(&[&url, "--duration", "2s"]);
    let probe = check(&report, "compression");
    assert_eq!(probe["status"], "PASS", "{report:#}");
    assert!(
        probe["seen"]
            .as_str()
            .unwrap()
            .contains("not what holds them"),
        "{report:#}"
    );
}

/// One event and a clean end, for the http2 probe's servers.
const ONE_EVENT: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nContent-Length: 16\r\n\r\nid: 1\ndata: a\n\n";

#[test]
fn http2_probe_asks_by_alpn_when_the_watch_was_over_http1() {
    // With --http1.1 the watch cannot tell what a browser's h2 connection would see:
    // the probe asks which protocols the server offers.
    let (port, _) = tls_server(&[b"h2", b"http/1.1"], ONE_EVENT, None);
    let url = format!("https://localhost:{port}/events");
    let (_, report) = doctor_json(&[&url, "-k", "--http1.1", "--duration", "2s"]);
    let http2 = check(&report, "http2");
    assert_eq!(http2["status"], "PASS", "{report:#}");
    assert!(
        http2["seen"]
            .as_str()
            .unwrap()
            .contains("offers HTTP/2 (ALPN h2); this watch was over HTTP/1.1"),
        "{report:#}"
    );

    let (port, _) = tls_server(&[b"http/1.1"], ONE_EVENT, None);
    let url = format!("https://localhost:{port}/events");
    let (_, report) = doctor_json(&[&url, "-k", "--duration", "2s"]);
    assert_eq!(report["http_version"], "HTTP/1.1", "{report:#}");
    let http2 = check(&report, "http2");
    assert_eq!(http2["status"], "WARN", "{report:#}");
    assert!(
        http2["why"]
            .as_str()
            .unwrap()
            .contains("6 HTTP/1.1 connections"),
        "{report:#}"
    );
}

#[test]
fn compare_measures_the_delay_between_two_urls_of_one_stream() {
    let stream = "id: 1\ndata: a\n\n@sleep 300ms\nid: 2\ndata: b\n\n@sleep 300ms\nid: 3\ndata: c\n\n@sleep 300ms\nid: 4\ndata: d\n\n@sleep 300ms\nid: 5\ndata: e\n\n";
    let path = script("compare", stream);
    let (_up, upstream) = serve(&[path.to_str().unwrap()]);
    let (_held, buffered) = serve(&[path.to_str().unwrap(), "--fault", "buffer"]);
    let (_twin, twin) = serve(&[path.to_str().unwrap()]);

    let (_, report) = doctor_json(&[&buffered, "--compare", &upstream, "--duration", "3s"]);
    let compare = check(&report, "compare");
    assert_eq!(compare["status"], "FAIL", "{report:#}");
    assert!(
        compare["seen"]
            .as_str()
            .unwrap()
            .contains("5 events matched by id"),
        "{report:#}"
    );

    let (_, report) = doctor_json(&[&twin, "--compare", &upstream, "--duration", "3s"]);
    assert_eq!(check(&report, "compare")["status"], "PASS", "{report:#}");
}

#[test]
fn ctrl_c_prints_the_report_so_far() {
    let path = script("sigint", "id: 1\ndata: a\n\n@sleep 60s\nid: 2\ndata: b\n\n");
    let (server, url) = serve(&[path.to_str().unwrap()]);
    let mut cmd = sse();
    cmd.args(["doctor", &url, "--duration", "60s", "--color", "never"]);
    let mut doctor = Spawned::new(cmd);
    // The server logs the request once doctor is connected and watching.
    server.stderr_line_with("GET /events", LIVE);
    let killed = std::process::Command::new("kill")
        .args(["-INT", &doctor.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let first = doctor.next_line(LIVE);
    assert!(first.starts_with("sse doctor "), "{first}");
    let rest = doctor.rest(LIVE).join("\n");
    assert!(rest.contains("(interrupted)"), "{rest}");
    assert!(rest.contains("stayed open until interrupted"), "{rest}");
    assert!(rest.contains("passed,"), "{rest}");
    doctor.wait(LIVE);
}

#[test]
fn lines_without_a_blank_line_are_the_servers_bug_not_buffering() {
    // Each message ends with one LF: the bytes arrive on time, no event ever completes.
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"),
            send(b"data: one\n"),
            send(b"data: two\n"),
            send(b"data: three\n"),
            Step::Close,
        ]],
    );
    let (out, report) = doctor_json(&[&server.url, "--duration", "2s", "--no-probes"]);
    assert_exit(&out, 1);
    let first = check(&report, "first-event");
    assert_eq!(first["status"], "FAIL", "{report:#}");
    let seen = first["seen"].as_str().unwrap();
    assert!(
        seen.contains("but no blank line ended an event")
            && seen.contains("data: one\\ndata: two\\ndata: three\\n"),
        "{seen}"
    );
    assert!(
        first["fix"].as_str().unwrap().contains("empty line"),
        "{report:#}"
    );
    // Nothing blames a proxy for it.
    let text = report.to_string();
    assert!(!text.contains("proxy_buffering"), "{report:#}");
}

#[test]
fn a_refusal_shows_its_body_and_when_to_come_back() {
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"error\":\"rate limited\"}\n\x1b["),
            Step::Close,
        ]],
    );
    let (out, report) = doctor_json(&[&server.url, "--duration", "2s", "--no-probes"]);
    assert_exit(&out, 1);
    let seen = check(&report, "response")["seen"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        seen.starts_with("429 Too Many Requests (Retry-After: 30): {\"error\":\"rate limited\"}"),
        "{seen}"
    );
    assert!(!seen.contains('\u{1b}'), "{seen:?}");
}
