//! The reference client: a real browser's EventSource on the page `sse serve` serves at `/`.

use std::process::{Command, Stdio};

use crate::support::*;

/// (type, id, data) of each event row the page shows.
fn event_rows(dom: &str) -> Vec<(String, String, String)> {
    let cell = |row: &str, class: &str| -> String {
        let marker = format!("class=\"{class}\">");
        row.split_once(&marker)
            .and_then(|(_, rest)| rest.split_once("</td>"))
            .map(|(v, _)| v.to_string())
            .unwrap_or_default()
    };
    dom.split("<tr class=\"event\">")
        .skip(1)
        .map(|row| (cell(row, "type"), cell(row, "id"), cell(row, "data")))
        .collect()
}

#[test]
fn a_browser_receives_the_events_resumes_after_close_and_stops_at_the_end() {
    let Some(browser) = require_program(
        &["chromium", "chromium-browser", "google-chrome"],
        "apt-get install -y chromium",
    ) else {
        return;
    };
    let script = script(
        "browser",
        "retry: 300\n\nid: 1\ndata: one\n\n@sleep 100ms\nevent: panda\nid: 2\ndata: two\n\n@close\nid: 3\ndata: three\n\nid: 4\ndata: four\n\n",
    );
    let (server, url) = serve(&[script.to_str().unwrap()]);
    let page = url.trim_end_matches("/events").to_string() + "/";
    let profile = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("chromium-profile");
    let _ = std::fs::remove_dir_all(&profile);
    // Virtual time lets the page run for 3 s of its own clock (reconnection waits
    // included) and then dumps the DOM it built from the events.
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--virtual-time-budget=3000", "--dump-dom", &page])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let rows = event_rows(&dom);
    let want = [
        ("message", "1", "one"),
        ("panda", "2", "two"),
        ("message", "3", "three"),
        ("message", "4", "four"),
    ];
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|(t, i, d)| (t.as_str(), i.as_str(), d.as_str()))
        .collect();
    assert_eq!(
        got,
        want,
        "page DOM:\n{dom}\nchromium stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The browser came back by itself, asking to resume after event 2.
    server.stderr_line_with("Last-Event-ID: 2", LIVE);
    // At the end of the script its reconnection got 204, and it stopped for good.
    server.stderr_line_with("Last-Event-ID: 4", LIVE);
    server.stderr_line_with("answered 204", LIVE);
    assert!(dom.contains("the browser gave up"), "page DOM:\n{dom}");
    // Chromium has exited: a request of ours marks the end of what it asked.
    raw_exchange(
        &host_port(&url),
        b"GET /end-of-test HTTP/1.1\r\nConnection: close\r\n\r\n",
        LIVE,
    );
    server.stderr_line_with("/end-of-test", LIVE);
    let log = server.stderr();
    let after = &log[log.find("answered 204").unwrap()..];
    assert!(
        !after.contains("GET /events"),
        "a request after the 204:\n{log}"
    );
    assert_eq!(log.matches("GET /events").count(), 3, "{log}");
}
