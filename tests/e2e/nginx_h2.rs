//! nginx serving HTTP/2 over TLS in front of `sse serve --stamp`: what a browser's
//! connection goes through. Defaults buffer over h2 as over HTTP/1.1, and the same fix
//! works; doctor watches over h2 and says so, with nginx's stream limit.

use crate::doctor::check;
use crate::real::{nginx_h2, nginx_h2_with, NGINX_FIX};
use crate::support::*;

/// Events 400 ms apart: long enough that held-back events are clearly late.
const STREAM: &str = "retry: 1000\n\nid: 1\ndata: {\"n\":1}\n\n@sleep 400ms\nid: 2\ndata: {\"n\":2}\n\n@sleep 400ms\nid: 3\ndata: {\"n\":3}\n\n@sleep 400ms\nid: 4\ndata: {\"n\":4}\n\n@sleep 400ms\nid: 5\ndata: {\"n\":5}\n\n@sleep 400ms\nid: 6\ndata: {\"n\":6}\n\n";

fn doctor_h2(url: &str) -> (std::process::Output, serde_json::Value) {
    doctor_h2_for(url, "5s")
}

fn doctor_h2_for(url: &str, duration: &str) -> (std::process::Output, serde_json::Value) {
    let out = sse()
        .args(["doctor", url, "-k", "--duration", duration, "--json"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json: {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out, report)
}

fn https(port: u16, path: &str) -> String {
    format!("https://localhost:{port}{path}")
}

#[test]
fn default_nginx_over_h2_buffers_and_doctor_names_nginx_and_the_fix() {
    let (_upstream, url) = serve(&[
        script("nginx-h2-default", STREAM).to_str().unwrap(),
        "--stamp",
    ]);
    let Some(proxy) = nginx_h2("h2-default", &host_port(&url), "") else {
        return;
    };
    let (out, report) = doctor_h2(&https(proxy.port, "/events"));
    assert_exit(&out, 1);
    assert_eq!(report["http_version"], "HTTP/2", "{report:#}");
    let delivery = check(&report, "delivery");
    assert_eq!(delivery["status"], "FAIL", "{report:#}");
    assert!(
        delivery["why"].as_str().unwrap().contains("nginx"),
        "{report:#}"
    );
    assert!(
        delivery["fix"]
            .as_str()
            .unwrap()
            .contains("proxy_buffering off"),
        "{report:#}"
    );
    // nginx's http2_max_concurrent_streams is 128 by default.
    assert_eq!(
        check(&report, "http2")["seen"],
        "works over HTTP/2 (ALPN h2), as a browser connects: room for 128 streams at once on one connection; initial window 65536 bytes for request bodies",
        "{report:#}"
    );
    // nginx held the head with the body on both protocols: its fix, not a first comment
    // (which it holds too, see below).
    let head = check(&report, "head");
    assert_eq!(head["status"], "WARN", "{report:#}");
    assert!(
        head["seen"]
            .as_str()
            .unwrap()
            .contains("over HTTP/2 only with the first data, after 2.0"),
        "{report:#}"
    );
    assert!(
        head["why"]
            .as_str()
            .unwrap()
            .contains("the path both protocols take"),
        "{report:#}"
    );
    let fix = head["fix"].as_str().unwrap();
    assert!(
        fix.contains("proxy_buffering off") && !fix.contains(": ok"),
        "{report:#}"
    );
    // The text report, as README's HTTP/2 section shows it.
    let text = sse()
        .args([
            "doctor",
            &https(proxy.port, "/events"),
            "-k",
            "--duration",
            "5s",
            "--color",
            "never",
        ])
        .output()
        .unwrap();
    println!("{}", String::from_utf8_lossy(&text.stdout));
}

#[test]
fn fixed_nginx_over_h2_passes_and_tail_speaks_h2_through_it() {
    let (_upstream, url) = serve(&[
        script("nginx-h2-fixed", STREAM).to_str().unwrap(),
        "--stamp",
    ]);
    let Some(proxy) = nginx_h2("h2-fixed", &host_port(&url), NGINX_FIX) else {
        return;
    };
    let url = https(proxy.port, "/events");
    let (out, report) = doctor_h2(&url);
    assert_exit(&out, 0);
    assert_eq!(report["http_version"], "HTTP/2", "{report:#}");
    assert_ne!(check(&report, "delivery")["status"], "FAIL", "{report:#}");
    assert_eq!(report["events"], 6, "{report:#}");
    assert!(
        report["delay"]["max_ms"].as_u64().unwrap_or(0) < 500,
        "{report:#}"
    );
    assert_eq!(check(&report, "head")["status"], "PASS", "{report:#}");
    let out = run_ok(&["tail", "-k", &url, "-n", "3", "--json", "-v"]);
    assert_eq!(
        data_of(&json_lines(&out)),
        ["{\"n\":1}", "{\"n\":2}", "{\"n\":3}"]
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("< HTTP/2 200") && err.contains("(HTTP/2 200 OK)"),
        "{err}"
    );
}

/// nginx with `proxy_buffering on` keeps even a `: ok` comment the upstream writes at
/// once, and the head with it, until the upstream's body ends: behind it, the first
/// comment is no fix, and doctor does not offer it there.
#[test]
fn a_first_comment_does_not_open_a_stream_behind_a_buffering_nginx() {
    let (_upstream, url) = serve(&[
        script("nginx-h2-comment", &format!(": ok\n\n{STREAM}"))
            .to_str()
            .unwrap(),
        "--stamp",
    ]);
    let Some(proxy) = nginx_h2("h2-comment", &host_port(&url), "") else {
        return;
    };
    let (_, report) = doctor_h2(&https(proxy.port, "/events"));
    let head = check(&report, "head");
    assert_eq!(head["status"], "WARN", "{report:#}");
    assert!(
        head["ms"]["head_h2"].as_u64().unwrap() >= 1500,
        "{report:#}"
    );
    assert!(
        head["ms"]["head_http1"].as_u64().unwrap() >= 1500,
        "{report:#}"
    );
    assert!(
        !head["fix"].as_str().unwrap().contains(": ok"),
        "{report:#}"
    );
}

/// One event, then silence far longer than the timeouts below.
const SILENT: &str = "id: 1\ndata: one\n\n@sleep 30s\nid: 2\ndata: two\n\n";

/// nginx 1.22's HTTP/2 resets a stream that its proxy_read_timeout cuts, or whose
/// upstream body breaks off, with RST_STREAM INTERNAL_ERROR: tail tells the code and
/// when, doctor matches it to nginx and its timeout, and a timeout above the silence
/// keeps the stream open over h2.
#[test]
fn nginx_over_h2_resets_a_stream_its_proxy_read_timeout_cuts() {
    let (_upstream, url) = serve(&[script("nginx-h2-silent", SILENT).to_str().unwrap()]);
    let short = format!("{NGINX_FIX}\n      proxy_read_timeout 2s;");
    let Some(proxy) = nginx_h2("h2-timeout", &host_port(&url), &short) else {
        return;
    };
    let target = https(proxy.port, "/events");
    let (end, err) = tail_end(&target);
    assert!(
        end.starts_with("* stream reset by the server after 2.")
            && end.ends_with(" s: INTERNAL_ERROR"),
        "{err}"
    );
    let (out, report) = doctor_h2_for(&target, "4s");
    assert_exit(&out, 1);
    let connection = check(&report, "connection");
    assert_eq!(connection["status"], "FAIL", "{report:#}");
    assert!(
        connection["why"].as_str().unwrap().contains("idle timeout of about 2 s: likely nginx (named by the headers), with its timeout set to about that; over HTTP/2 it came as RST_STREAM INTERNAL_ERROR, which is how nginx 1.22 was seen to end a stream its timeout cuts"),
        "{report:#}"
    );
    assert!(
        connection["fix"]
            .as_str()
            .unwrap()
            .contains("proxy_read_timeout"),
        "{report:#}"
    );
    assert_eq!(report["reset"]["frame"], "RST_STREAM", "{report:#}");
    assert_eq!(report["reset"]["code"], "INTERNAL_ERROR", "{report:#}");
    assert!(
        report["reset"]["at_ms"].as_u64().unwrap() >= 2000,
        "{report:#}"
    );

    // An upstream whose chunked body breaks off mid-stream: the same reset, at once.
    let (_broken, broken) = serve(&[
        script(
            "nginx-h2-broken",
            "id: 1\ndata: one\n\nid: 2\ndata: two\n\n@sleep 5s\n",
        )
        .to_str()
        .unwrap(),
        "--fault",
        "close-after=1",
    ]);
    let Some(proxy) = nginx_h2("h2-broken", &host_port(&broken), NGINX_FIX) else {
        return;
    };
    let (end, err) = tail_end(&https(proxy.port, "/events"));
    assert!(
        end.starts_with("* stream reset by the server after ")
            && end.ends_with(" s: INTERNAL_ERROR"),
        "{err}"
    );

    // The fix doctor gave: proxy_read_timeout above the silence keeps it open.
    let raised = format!("{NGINX_FIX}\n      proxy_read_timeout 60s;");
    let Some(proxy) = nginx_h2("h2-raised", &host_port(&url), &raised) else {
        return;
    };
    let (_, report) = doctor_h2_for(&https(proxy.port, "/events"), "4s");
    let connection = check(&report, "connection");
    assert_eq!(connection["status"], "PASS", "{report:#}");
    assert!(report["reset"].is_null(), "{report:#}");
}

/// A server that allows fewer streams at once than a browser's six HTTP/1.1
/// connections is warned about, naming the directive that raises it; `tail -v` shows
/// the SETTINGS it came from.
#[test]
fn a_low_concurrent_stream_limit_is_warned_with_its_directive() {
    let (_upstream, url) = serve(&[script("nginx-h2-streams", STREAM).to_str().unwrap()]);
    let Some(proxy) = nginx_h2_with(
        "h2-streams",
        &host_port(&url),
        NGINX_FIX,
        "http2_max_concurrent_streams 4;",
    ) else {
        return;
    };
    let target = https(proxy.port, "/events");
    let (_, report) = doctor_h2(&target);
    let http2 = check(&report, "http2");
    assert_eq!(http2["status"], "WARN", "{report:#}");
    assert!(
        http2["seen"]
            .as_str()
            .unwrap()
            .contains("room for 4 streams at once on one connection"),
        "{report:#}"
    );
    assert!(
        http2["fix"]
            .as_str()
            .unwrap()
            .contains("`http2_max_concurrent_streams`"),
        "{report:#}"
    );
    assert_eq!(
        report["http2_settings"]["MAX_CONCURRENT_STREAMS"], 4,
        "{report:#}"
    );
    let out = run_ok(&["tail", "-k", "-v", &target, "-n", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("* HTTP/2 SETTINGS from the server: MAX_CONCURRENT_STREAMS 4, INITIAL_WINDOW_SIZE 65536, MAX_FRAME_SIZE 16777215"),
        "{err}"
    );
}
