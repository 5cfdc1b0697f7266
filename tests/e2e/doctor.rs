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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run_exit(&["doctor", &format!(":{port}/e"), "--color", "never"], 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL  response  no response:"), "{text}");
}

/// Peak resident memory of a running process, from /proc (Linux), in KiB.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn memory_stays_bounded_on_a_fast_stream_of_tiny_events() {
    // As fast as serve can write: hundreds of thousands of events a second. Keeping
    // every event (as doctor once did) grew by ~0.5 GB per watched second.
    let path = script("flood", "id: 1\ndata: x\n\n");
    let (_server, url) = serve(&[path.to_str().unwrap(), "--loop", "--interval", "0s"]);
    let mut cmd = sse();
    cmd.args(["doctor", &url, "--duration", "4s", "--json"]);
    let mut doctor = Spawned::new(cmd);
    let pid = doctor.child.id();
    let mut peak = 0;
    // Peak memory is a high-water mark: sampling it while the process lives, and
    // keeping the largest, sees the watch's peak however the samples fall.
    while doctor.child.try_wait().unwrap().is_none() {
        if let Some(kib) = peak_kib(pid) {
            peak = peak.max(kib);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let report: serde_json::Value = serde_json::from_str(&doctor.rest(LIVE).join("\n")).unwrap();
    let events = report["events"].as_u64().unwrap();
    assert!(events > 10_000, "the stream was not fast: {events} events");
    assert!(peak > 0, "no /proc sample");
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
    // The same two events as two zstd frames (`printf ... | zstd -c`, twice).
    let zstd: Vec<u8> = [b"id: 1\ndata: one\n\n".as_slice(), b"id: 2\ndata: two\n\n"]
        .iter()
        .flat_map(|part| {
            let mut child = std::process::Command::new("zstd")
                .arg("-c")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn();
            match child.as_mut() {
                Ok(c) => {
                    use std::io::Write as _;
                    c.stdin.take().unwrap().write_all(part).unwrap();
                }
                Err(_) => return Vec::new(),
            }
            child.unwrap().wait_with_output().unwrap().stdout
        })
        .collect();
    for (encoding, body) in [("br", br), ("zstd", zstd)] {
        if body.is_empty() {
            missing("zstd not found on PATH", "apt-get install -y zstd");
            continue;
        }
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
