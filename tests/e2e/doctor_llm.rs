//! `sse doctor -X POST -d '{}'` on LLM streams, played by `sse serve` from the scripts
//! in examples/llm: an answer that ends with its end marker is not told to reconnect or
//! to send ids, one cut before it or carrying an error inside its 200 fails, and the
//! time to the first content token (TTFT) is reported.

use std::path::Path;

use serde_json::Value;

use crate::support::*;

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/llm")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

/// doctor, opened by POST as an LLM client opens it, on `sse serve` playing `script`;
/// its output, and the report when `--json` is among `args`.
fn doctor(script: &str, args: &[&str]) -> (std::process::Output, Option<Value>) {
    doctor_with(script, &[], args)
}

/// [`doctor`] with `serve_args` (a `--fault`) given to `sse serve`.
fn doctor_with(
    script: &str,
    serve_args: &[&str],
    args: &[&str],
) -> (std::process::Output, Option<Value>) {
    let script = example(script);
    let mut serving = vec![script.as_str(), "--path", "/v1/answer"];
    serving.extend_from_slice(serve_args);
    let (_server, url) = serve(&serving);
    let mut cmd = sse();
    cmd.args(["doctor", "-X", "POST", "-d", "{}", &url, "--duration", "5s"])
        .args(args);
    let out = output_within(&mut cmd, RUN);
    let report = args.contains(&"--json").then(|| {
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
    });
    (out, report)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report:#}"))
}

fn not_passed(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] != "PASS")
        .map(|c| format!("{} {}: {}", c["status"], c["check"], c["seen"]))
        .collect()
}

#[test]
fn an_answer_that_ends_with_its_marker_passes_with_no_reconnect_or_id_warning() {
    for (script, shape) in [
        ("openai-done.txt", "openai-chat"),
        ("anthropic-done.txt", "anthropic"),
        ("responses-done.txt", "openai-responses"),
    ] {
        let (out, report) = doctor(script, &["--json"]);
        let report = report.unwrap();
        assert_exit(&out, 0);
        assert_eq!(not_passed(&report), Vec::<String>::new(), "{script}");
        assert_eq!(report["llm"], shape, "{script}");
        assert_eq!(check(&report, "llm-end")["status"], "PASS", "{script}");
        let connection = check(&report, "connection")["seen"].as_str().unwrap();
        assert!(
            connection.contains("ends by design"),
            "{script}: {connection}"
        );
        let ids = check(&report, "event-ids")["seen"].as_str().unwrap();
        assert!(ids.contains("not resumed"), "{script}: {ids}");
        // TTFT beside the text, as the other durations are.
        let ttft = report["first_token_ms"].as_u64().unwrap();
        assert_eq!(check(&report, "first-event")["ms"]["first_token"], ttft);
    }
}

#[test]
fn ttft_is_the_first_content_token_not_the_first_event() {
    // anthropic-done.txt: message_start, content_block_start and a ping at once, the
    // first text delta 50 ms later.
    let (out, report) = doctor("anthropic-done.txt", &["--json"]);
    assert_exit(&out, 0);
    let report = report.unwrap();
    let first_event = report["first_event_ms"].as_u64().unwrap();
    let ttft = report["first_token_ms"].as_u64().unwrap();
    assert!(ttft >= first_event + 40, "{first_event} ms, {ttft} ms");
    // And in the text report.
    let (out, _) = doctor("anthropic-done.txt", &[]);
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("PASS  first-event"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains(", first token "), "{line}");
    assert!(text.contains("0 warned, 0 failed"), "{text}");
}

#[test]
fn an_answer_cut_before_its_marker_fails_with_what_came_last() {
    for (script, marker) in [
        ("openai-cut.txt", "`data: [DONE]`"),
        ("anthropic-cut.txt", "`message_stop`"),
        ("responses-cut.txt", "`response.completed`"),
    ] {
        let (out, report) = doctor(script, &["--json"]);
        assert_exit(&out, 1);
        let report = report.unwrap();
        let end = check(&report, "llm-end");
        assert_eq!(end["status"], "FAIL", "{script}: {report:#}");
        let seen = end["seen"].as_str().unwrap();
        assert!(
            seen.contains("cut before its end")
                && seen.contains(marker)
                && seen.contains("the last event was"),
            "{script}: {seen}"
        );
        assert_eq!(not_passed(&report).len(), 1, "{script}: {report:#}");
    }
    let (out, _) = doctor("openai-cut.txt", &[]);
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL  llm-end"), "{text}");
    assert!(text.trim_end().ends_with("1 failed (llm-end)"), "{text}");
}

#[test]
fn an_error_inside_a_200_fails_naming_the_error() {
    for (script, error) in [
        ("anthropic-overloaded.txt", "overloaded_error: Overloaded"),
        (
            "openai-error-midstream.txt",
            "server_error: The server had an error while processing your request",
        ),
    ] {
        let (out, report) = doctor(script, &["--json"]);
        assert_exit(&out, 1);
        let report = report.unwrap();
        let end = check(&report, "llm-end");
        assert_eq!(end["status"], "FAIL", "{script}: {report:#}");
        let seen = end["seen"].as_str().unwrap();
        assert!(
            seen.contains(&format!("the stream reported an error: {error}")),
            "{script}: {seen}"
        );
        assert!(end["ms"]["error"].is_u64(), "{script}: {end}");
    }
}

#[test]
fn an_answer_is_still_judged_for_compression_buffering_and_refusals() {
    let (out, report) = doctor_with("anthropic-done.txt", &["--fault", "gzip"], &["--json"]);
    assert_exit(&out, 0);
    let report = report.unwrap();
    assert_eq!(
        check(&report, "content-encoding")["status"],
        "WARN",
        "{report:#}"
    );
    assert_eq!(check(&report, "llm-end")["status"], "PASS", "{report:#}");

    let (out, report) = doctor_with("openai-done.txt", &["--fault", "buffer"], &["--json"]);
    assert_exit(&out, 1);
    let report = report.unwrap();
    assert_eq!(
        check(&report, "content-length")["status"],
        "FAIL",
        "{report:#}"
    );
    assert_eq!(check(&report, "llm-end")["status"], "PASS", "{report:#}");

    // The 429 mock: refused, with when to come back and the API's own words.
    let (out, report) = doctor("openai-429.txt", &["--json"]);
    assert_exit(&out, 1);
    let report = report.unwrap();
    let response = check(&report, "response");
    assert_eq!(response["status"], "FAIL", "{report:#}");
    let seen = response["seen"].as_str().unwrap();
    assert!(
        seen.starts_with(
            "429 Too Many Requests (Retry-After: 2): {\"error\":{\"message\":\"Rate limit reached"
        ),
        "{seen}"
    );
}
