//! `sse doctor` against Express with the `compression` middleware (npm, versions pinned
//! by fixtures/express/package-lock.json; `.ci/run` installs them with `npm ci`).
//! compression 1.8 compresses every `text/*` response, prefers br when the request
//! offers it, and holds what it compressed until the response ends unless the handler
//! calls `res.flush()`.

use std::process::Command;

use crate::real::*;
use crate::support::*;

/// node running fixtures/express/app.js on a free loopback port.
fn express() -> Option<Listening> {
    let node = require_program(&["node", "nodejs"], "apt-get install -y nodejs npm")?;
    let dir = fixture("express");
    if !dir.join("node_modules/compression").is_dir() {
        missing(
            "tests/e2e/fixtures/express/node_modules is not installed",
            "npm ci --prefix tests/e2e/fixtures/express",
        );
        return None;
    }
    let mut cmd = Command::new(node);
    cmd.current_dir(&dir).arg("app.js").env("PORT", "0");
    Some(start_printing_url("node app.js", cmd))
}

/// The filter fixtures/express/app.js's /filtered route uses (and the test below saw
/// work), which doctor's advice must give word for word.
fn advised_filter() -> String {
    let app = std::fs::read_to_string(fixture("express").join("app.js")).unwrap();
    let prefix = "const noEventStream = ";
    let line = app.lines().find(|l| l.starts_with(prefix)).unwrap();
    line[prefix.len()..].trim_end_matches(';').to_string()
}

#[test]
fn express_compression_without_res_flush_fails_naming_compression() {
    let Some(app) = express() else { return };
    let report = doctor(&app.url("/plain"), "8s");
    // A browser's Accept-Encoding offers br, which compression 1.8 prefers.
    assert!(report.encoding().contains("br"), "{report}");
    // The br body was decoded: all four events were counted, late.
    report.assert_fail_naming("compression", "res.flush()", 4);
    assert!(report.fail_fixes().contains(&advised_filter()), "{report}");
}

#[test]
fn express_compression_with_res_flush_after_each_event_passes() {
    let Some(app) = express() else { return };
    let report = doctor(&app.url("/flush"), "8s");
    assert!(report.encoding().contains("br"), "{report}");
    report.assert_no_fail_with(4);
}

#[test]
fn express_compression_with_a_filter_leaving_out_event_streams_passes() {
    let Some(app) = express() else { return };
    let report = doctor(&app.url("/filtered"), "8s");
    report.assert_no_fail_with(4);
}

#[test]
fn express_compression_skips_a_stream_sent_with_no_transform() {
    let Some(app) = express() else { return };
    let report = doctor(&app.url("/no-transform"), "8s");
    report.assert_no_fail_with(4);
}

/// A contract recorded without compression (sse tail sends no Accept-Encoding) catches
/// the compression middleware, since the check asks as a browser does: on /plain the
/// events are held until the end and come late; on /flush (res.flush()) they pass, and
/// so does /plain when the check is told not to offer compression.
#[test]
fn sse_check_asks_like_a_browser_and_catches_express_compression() {
    let Some(app) = express() else { return };
    let dir = temp_dir("express-check");
    let recording = dir.join("contract.txt");
    let recording = recording.to_str().unwrap();
    run_ok(&[
        "tail",
        &app.url("/plain"),
        "--no-reconnect",
        "-q",
        "--record",
        recording,
    ]);
    let plain = app.url("/plain");
    let out = run_exit(&["check", &plain, recording, "--tolerance", "300ms"], 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(", br-encoded over HTTP/1.1"), "{text}");
    assert!(
        text.contains("✗ event 1 (line ") && text.contains(": late by "),
        "{text}"
    );
    let out = run_ok(&[
        "check",
        &app.url("/flush"),
        recording,
        "--tolerance",
        "300ms",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("PASS: 6 expectations met"), "{text}");
    let identity = ["-H", "Accept-Encoding:"];
    let out = run_ok(
        &[
            &["check", &plain, recording, "--tolerance", "300ms"][..],
            &identity,
        ]
        .concat(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("PASS: 6 expectations met"), "{text}");
}
