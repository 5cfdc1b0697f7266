//! `sse doctor` against `sse serve` faults: each diagnosed with its own cause.

use crate::support::*;

const STREAM: &str = "id: 1\ndata: a\n\n@sleep 400ms\nid: 2\ndata: b\n\n@sleep 400ms\nid: 3\ndata: c\n\n@sleep 400ms\nid: 4\ndata: d\n\n";

fn diagnose(name: &str, serve_args: &[&str], doctor_args: &[&str]) -> (i32, serde_json::Value) {
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
    (out.status.code().unwrap(), report)
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
    let (code, report) = diagnose("healthy", &["--stamp"], &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(status(&report, "delivery"), "PASS");
    assert_eq!(report["stamps"], 4);
}

#[test]
fn each_fault_is_diagnosed_with_its_own_cause() {
    let (code, report) = diagnose("buffer", &["--fault", "buffer"], &[]);
    assert_eq!(code, 1);
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

    let (code, report) = diagnose("gzip", &["--fault", "gzip"], &[]);
    assert_eq!(code, 1);
    assert_eq!(status(&report, "content-encoding"), "FAIL", "{report:#}");
    assert_eq!(status(&report, "content-length"), "PASS");

    let (code, report) = diagnose("close", &["--fault", "close-after=1"], &[]);
    assert_eq!(code, 1);
    assert_eq!(failed(&report), ["connection"], "{report:#}");

    let (_, report) = diagnose("http10", &["--fault", "http10"], &[]);
    assert_eq!(status(&report, "http-version"), "WARN", "{report:#}");

    let (code, report) = diagnose("status", &["--fault", "status=503"], &[]);
    assert_eq!(code, 1);
    assert_eq!(failed(&report), ["response"]);
}

#[test]
fn max_delay_turns_small_delays_into_a_failure() {
    // Any stamped delay is more than 0 ms... or equal: use a limit no stream can meet.
    let (code, report) = diagnose(
        "maxdelay",
        &["--stamp", "--fault", "buffer"],
        &["--max-delay", "100ms"],
    );
    assert_eq!(code, 1);
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
    let out = sse()
        .args(["doctor", &format!(":{port}/e"), "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL  response  no response:"), "{text}");
}

#[test]
fn record_replays_with_the_original_gaps() {
    let original = script("rec-src", "@header X-Accel-Buffering: no\nevent: a\nid: 1\ndata: one\n\n@sleep 300ms\n: ping\n\n@sleep 200ms\nid: 2\ndata: two\ndata: lines\n\n");
    let (_server, url) = serve(&[original.to_str().unwrap()]);
    let recording = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("recorded.txt");
    let out = sse()
        .args([
            "tail",
            &url,
            "--no-reconnect",
            "--json",
            "--record",
            recording.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let first = json_lines(&out);
    let text = std::fs::read_to_string(&recording).unwrap();
    assert!(text.contains("@header X-Accel-Buffering: no"), "{text}");
    assert!(text.contains("@sleep"), "{text}");

    // Replay the recording and tail it again: same events, same gaps within 50 ms.
    let (_replay, replay_url) = serve(&[recording.to_str().unwrap()]);
    let out = run_ok(&["tail", &replay_url, "--no-reconnect", "--json"]);
    let second = json_lines(&out);
    assert_eq!(first.len(), 2);
    assert_eq!(second.len(), 2);
    for (a, b) in first.iter().zip(&second) {
        for key in ["event", "data", "id"] {
            assert_eq!(a[key], b[key]);
        }
    }
    let gap = |v: &serde_json::Value| v["gap_ms"].as_f64().unwrap();
    assert!(
        (gap(&first[1]) - gap(&second[1])).abs() < 50.0,
        "{} vs {}",
        gap(&first[1]),
        gap(&second[1])
    );
}
