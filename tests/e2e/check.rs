//! `sse check URL SCRIPT` against `sse serve`: a stream that matches its script, one
//! that differs in data, one that is late, one that ends early, the reconnection after
//! `@close`, the directives only the check reads, and the machine outputs.

use crate::support::*;

const TICKS: &str = "@header X-Accel-Buffering: no\nid: 1\nevent: tick\ndata: one\n\n@sleep 300ms\nid: 2\nevent: tick\ndata: two\n\n@sleep 200ms\nid: 3\ndata: {\"n\":3}\n\n@close\n";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn check(url: &str, script: &std::path::Path, extra: &[&str], code: i32) -> String {
    let mut args = vec!["check", url, script.to_str().unwrap()];
    args.extend_from_slice(extra);
    stdout(&run_exit(&args, code))
}

#[test]
fn a_stream_that_matches_its_script_passes() {
    let path = script("check-ticks", TICKS);
    let (_server, url) = serve(&[path.to_str().unwrap()]);
    let out = check(&url, &path, &[], 0);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("checking http://127.0.0.1:"), "{out}");
    assert!(
        lines[1].starts_with("✓ response: 200 OK, text/event-stream"),
        "{out}"
    );
    assert!(
        lines[2].starts_with(
            "✓ event 1 (line 2): tick id \"1\" \"one\" (event 1 of connection 1, byte 29, at "
        ),
        "{out}"
    );
    assert!(
        lines[4].starts_with("✓ event 3 (line 12): message id \"3\""),
        "{out}"
    );
    assert!(
        lines[5].starts_with("✓ end of stream (line 15): the server ended the stream"),
        "{out}"
    );
    assert!(
        lines[6].starts_with("PASS: 5 expectations met in "),
        "{out}"
    );
}

#[test]
fn a_stream_that_differs_in_data_fails_naming_the_byte_and_the_event() {
    let served = script("check-served", TICKS);
    let expected = script("check-differs", &TICKS.replace("data: two", "data: tow"));
    let (_server, url) = serve(&[served.to_str().unwrap()]);
    let out = check(&url, &expected, &[], 1);
    assert!(
        out.contains("✗ event 2 (line 7): tick id \"2\" \"tow\": data differs at byte 1: expected \"tow\", came \"two\" (event 2 of connection 1, byte 58, at "),
        "{out}"
    );
    // The check goes on: the events after it are compared too.
    assert!(out.contains("✓ event 3 (line 12)"), "{out}");
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("FAIL: 1 of 5 expectations failed, 4 met, in "),
        "{out}"
    );
}

#[test]
fn a_late_event_says_how_late() {
    let served = script("check-late-served", "data: a\n\n@sleep 1500ms\ndata: b\n\n");
    let expected = script("check-late", "data: a\n\n@sleep 200ms\ndata: b\n\n");
    let (_server, url) = serve(&[served.to_str().unwrap()]);
    let out = check(&url, &expected, &["--tolerance", "200ms", "--json"], 1);
    let objects: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let late = &objects[2];
    assert_eq!(late["expectation"], "event");
    assert_eq!(late["ok"], false);
    let late_ms = late["late_ms"].as_u64().unwrap();
    // Due by 200 ms + 200 ms; it came at 1.5 s.
    assert!((1000..1400).contains(&late_ms), "{late}");
    let detail = late["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("late by ")
            && detail.contains("after the request; the script says 200 ms (+200 ms tolerance)"),
        "{detail}"
    );
    assert_eq!(late["got"]["data"], "b");
}

#[test]
fn a_stream_that_ends_early_fails_and_leaves_the_rest_unchecked() {
    let path = script("check-early", TICKS);
    let (_server, url) = serve(&[path.to_str().unwrap(), "--fault", "close-after=1"]);
    let out = check(&url, &path, &[], 1);
    assert!(
        out.contains("✗ event 2 (line 7): tick id \"2\" \"two\": the stream ended "),
        "{out}"
    );
    assert!(out.contains(" before this event came"), "{out}");
    assert!(
        out.contains("- event 3 (line 12): message id \"3\" \"{\"n\":3}\" not checked"),
        "{out}"
    );
    assert!(
        out.contains("- end of stream (line 15) not checked"),
        "{out}"
    );
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("FAIL: 1 of 5 expectations failed, 2 not checked, 2 met"),
        "{out}"
    );
}

#[test]
fn close_reconnects_with_last_event_id_and_end_204_expects_the_stop() {
    let text = "id: 1\ndata: a\n\n@close\n@sleep 100ms\nid: 2\ndata: b\n\n@end 204\n";
    let path = script("check-resume", text);
    let (server, url) = serve(&[path.to_str().unwrap()]);
    let out = check(&url, &path, &[], 0);
    assert!(out.contains("✓ response 2: 200 OK"), "{out}");
    assert!(
        out.contains("✓ event 2 (line 6): message id \"2\" \"b\" (event 1 of connection 2"),
        "{out}"
    );
    assert!(out.contains("✓ 204 on reconnection (line 9): the reconnection with Last-Event-ID \"2\" was answered 204"), "{out}");
    let log = server.stderr_line_with("Last-Event-ID: 2", LIVE);
    assert!(log.contains("GET /events"), "{log}");
    // Served without ids, the reconnection replays from the start: the check says so.
    let replayed = script("check-replay", "data: a\n\n@close\ndata: b\n\n");
    let (_server, url) = serve(&[replayed.to_str().unwrap()]);
    let out = check(&url, &replayed, &[], 1);
    assert!(out.contains("✗ event 2 (line 4): message \"b\": data differs at byte 0: expected \"b\", came \"a\" (event 1 of connection 2"), "{out}");
}

#[test]
fn check_directives_match_data_repeats_and_deadlines() {
    let served = script(
        "check-directives-served",
        "data: {\"id\":\"chatcmpl-81\",\"n\":1}\n\ndata: tok\n\n@sleep 50ms\ndata: tok\n\n@sleep 50ms\ndata: tok\n\ndata: [DONE]\n\n",
    );
    let expected = script(
        "check-directives",
        "@within 1s\n@jq .id | startswith(\"chatcmpl-\")\ndata: {\"id\":\"chatcmpl-1\",\"n\":1}\n\n@max-gap 2s\n@repeat\n@sleep 50ms\ndata: tok\n\n@optional\ndata: usage\n\n@regex ^\\[DONE\\]$\ndata: [DONE]\n\n@end\n",
    );
    let (_server, url) = serve(&[served.to_str().unwrap()]);
    let out = check(&url, &expected, &[], 0);
    assert!(
        out.contains("✓ event 2 (line 8): message \"tok\": 3 times"),
        "{out}"
    );
    assert!(
        out.contains("✓ event 3 (line 11): message \"usage\": optional, and it did not come"),
        "{out}"
    );
    assert!(out.contains("PASS: 6 expectations met"), "{out}");
    // The served stream does not satisfy a stricter jq predicate.
    let strict = script("check-directives-strict", "@jq .n == 2\ndata: {}\n\n");
    let out = check(&url, &strict, &["-q"], 1);
    assert!(
        out.starts_with("✗ event 1 (line 2): message \"{}\": @jq \".n == 2\" gave false for data"),
        "{out}"
    );
    assert_eq!(
        out.lines().count(),
        2,
        "-q: the failure and the summary\n{out}"
    );
}

#[test]
fn response_expectations_status_headers_and_body() {
    let limited = script(
        "check-429",
        "@status 429\n@header Retry-After: 2\n@body {\"error\":{\"type\":\"rate_limit_error\"}}\n",
    );
    let (_server, url) = serve(&[limited.to_str().unwrap()]);
    let out = check(&url, &limited, &[], 0);
    assert!(out.contains("✓ response: 429 Too Many Requests"), "{out}");
    let ticks = script("check-429-ticks", TICKS);
    let (_server, url) = serve(&[ticks.to_str().unwrap()]);
    let out = check(&url, &limited, &[], 1);
    assert!(out.contains("✗ response: status 429 expected, 200 OK came; header Retry-After expected, and it is missing"), "{out}");
    let typed = script(
        "check-type",
        "@header X-Accel-Buffering: yes\ndata: one\n\n",
    );
    let out = check(&url, &typed, &[], 1);
    assert!(
        out.contains("header X-Accel-Buffering: \"yes\" expected, \"no\" came"),
        "{out}"
    );
}

#[test]
fn junit_and_json_for_machines() {
    let served = script("check-junit-served", TICKS);
    let expected = script("check-junit", &TICKS.replace("data: two", "data: 2"));
    let (_server, url) = serve(&[served.to_str().unwrap()]);
    let xml_path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("check-junit.xml");
    let _ = std::fs::remove_file(&xml_path);
    let out = check(
        &url,
        &expected,
        &["--json", "--junit", xml_path.to_str().unwrap()],
        1,
    );
    let objects: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 5, "one object per expectation\n{out}");
    assert_eq!(objects[2]["number"], 2);
    assert_eq!(objects[2]["line"], 7);
    assert_eq!(objects[2]["expected"]["data"], "2");
    assert_eq!(objects[2]["got"]["data"], "two");
    assert_eq!(objects[2]["offset"], 58);
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    assert!(
        xml.contains("tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"0\""),
        "{xml}"
    );
    assert!(xml.contains("<failure message=\"data differs at byte 0: expected &quot;2&quot;, came &quot;two&quot;\""), "{xml}");
}

#[test]
fn a_bad_script_is_a_usage_error_naming_its_line() {
    let bad = script("check-bad", "data: a\n\n@repeat\n");
    let out = run_exit(&["check", ":1/events", bad.to_str().unwrap()], 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "check-bad.txt:3: this directive is about the next event, and no event follows it"
        ),
        "{err}"
    );
    let post = script("check-post", "data: a\n\n@close\ndata: b\n\n");
    let out = run_exit(
        &["check", ":1/events", post.to_str().unwrap(), "-d", "{}"],
        2,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("check-post.txt:3: after this @close the check reconnects, which sends the POST again: add --reconnect"), "{err}");
}

#[test]
fn a_recording_checks_back_against_its_server() {
    let served = script("check-recorded-served", TICKS);
    let (_server, url) = serve(&[served.to_str().unwrap()]);
    let recording =
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("check-recording.txt");
    run_ok(&[
        "tail",
        &url,
        "--no-reconnect",
        "-q",
        "--record",
        recording.to_str().unwrap(),
    ]);
    let out = check(&url, &recording, &[], 0);
    assert!(out.contains("PASS: 5 expectations met"), "{out}");
}

#[test]
fn a_server_that_cannot_be_reached_fails_with_everything_unchecked() {
    let refused = RefusedPort::new();
    let path = script("check-refused", TICKS);
    let url = format!("http://127.0.0.1:{}/events", refused.port);
    let out = check(&url, &path, &[], 1);
    assert!(
        out.contains("✗ response: no response: connection refused"),
        "{out}"
    );
    assert!(
        out.contains("- event 1 (line 2): tick id \"1\" \"one\" not checked"),
        "{out}"
    );
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("FAIL: 1 of 5 expectations failed, 4 not checked, 0 met"),
        "{out}"
    );
}
