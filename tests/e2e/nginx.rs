//! `sse doctor` through a real nginx, with `sse serve --stamp` as the upstream.
//! nginx runs on a free loopback port with its own config and temp dirs.

use crate::doctor::check;
use crate::real::{nginx, NGINX_FIX};
use crate::support::*;

/// Events 400 ms apart: long enough that held-back events are clearly late.
const STREAM: &str = "retry: 1000\n\nid: 1\ndata: {\"n\":1}\n\n@sleep 400ms\nid: 2\ndata: {\"n\":2}\n\n@sleep 400ms\nid: 3\ndata: {\"n\":3}\n\n@sleep 400ms\nid: 4\ndata: {\"n\":4}\n\n@sleep 400ms\nid: 5\ndata: {\"n\":5}\n\n@sleep 400ms\nid: 6\ndata: {\"n\":6}\n\n";

/// doctor's run (`--json`), its report, and the text report of a second run.
fn doctor(url: &str) -> (std::process::Output, serde_json::Value, String) {
    let out = sse()
        .args(["doctor", url, "--duration", "5s", "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json: {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let text = sse()
        .args(["doctor", url, "--duration", "5s", "--color", "never"])
        .output()
        .unwrap();
    (
        out,
        report,
        String::from_utf8_lossy(&text.stdout).into_owned(),
    )
}

fn max_delay_ms(report: &serde_json::Value) -> u64 {
    report["delay"]["max_ms"].as_u64().unwrap_or(0)
}

#[test]
fn default_nginx_buffers_and_doctor_names_nginx_and_the_fix() {
    let (upstream, url) = serve(&[script("nginx-default", STREAM).to_str().unwrap(), "--stamp"]);
    let Some(proxy) = nginx("default", &host_port(&url), "") else {
        return;
    };
    let (out, report, text) = doctor(&proxy.url("/events"));
    assert_exit(&out, 1);
    let delivery = check(&report, "delivery");
    assert_eq!(delivery["status"], "FAIL", "{text}");
    let why = delivery["why"].as_str().unwrap();
    let fix = delivery["fix"].as_str().unwrap();
    assert!(why.contains("nginx"), "{why}");
    assert!(
        fix.contains("proxy_buffering off")
            && fix.contains("X-Accel-Buffering: no")
            && fix.contains("proxy_http_version 1.1"),
        "{fix}"
    );
    assert!(max_delay_ms(&report) > 1000, "{text}");
    // The upstream saw nginx's HTTP/1.0 request and said so.
    upstream.stderr_line_with("proxy_http_version 1.1", LIVE);
    println!("{text}");
}

#[test]
fn fixed_nginx_passes_with_delays_near_zero() {
    let (_upstream, url) = serve(&[script("nginx-fixed", STREAM).to_str().unwrap(), "--stamp"]);
    let Some(proxy) = nginx("fixed", &host_port(&url), NGINX_FIX) else {
        return;
    };
    let (out, report, text) = doctor(&proxy.url("/events"));
    assert_exit(&out, 0);
    assert_ne!(check(&report, "delivery")["status"], "FAIL", "{text}");
    assert_eq!(report["events"], 6);
    // Near zero: buffered events above are ~2 s late; a loaded CI box may add a little.
    assert!(max_delay_ms(&report) < 500, "{text}");
    println!("{text}");
}

#[test]
fn upstream_x_accel_buffering_no_passes_a_default_nginx() {
    let stream = format!("@header X-Accel-Buffering: no\n{STREAM}");
    let (_upstream, url) = serve(&[script("nginx-accel", &stream).to_str().unwrap(), "--stamp"]);
    let Some(proxy) = nginx("accel", &host_port(&url), "") else {
        return;
    };
    let (out, report, text) = doctor(&proxy.url("/events"));
    assert_exit(&out, 0);
    assert_ne!(check(&report, "delivery")["status"], "FAIL", "{text}");
    // Near zero: buffered events above are ~2 s late; a loaded CI box may add a little.
    assert!(max_delay_ms(&report) < 500, "{text}");
}

#[test]
fn nginx_gzip_that_still_flushes_is_a_warning_not_a_failure() {
    let (_upstream, url) = serve(&[script("nginx-gzip", STREAM).to_str().unwrap(), "--stamp"]);
    let extra = format!(
        "{NGINX_FIX}\n      gzip on;\n      gzip_min_length 0;\n      gzip_types text/event-stream;"
    );
    let Some(proxy) = nginx("gzip", &host_port(&url), &extra) else {
        return;
    };
    let (out, report, text) = doctor(&proxy.url("/events"));
    let encoding = check(&report, "content-encoding");
    assert_eq!(encoding["status"], "WARN", "{text}");
    assert!(encoding["seen"].as_str().unwrap().contains("gzip"));
    assert_ne!(check(&report, "delivery")["status"], "FAIL", "{text}");
    assert_exit(&out, 0);
}
