//! `sse doctor` through a real HAProxy (Debian's haproxy) on a free loopback port with
//! its own config, in front of `sse serve`. In `mode http` HAProxy closes a response
//! whose server has been silent for `timeout server` (log flags `sD`); `timeout tunnel`
//! does not apply to an SSE response (it is not an upgraded connection), so what keeps
//! the stream open is a heartbeat more often than the timeout, or a longer timeout.

use std::process::Command;

use crate::real::*;
use crate::support::*;

/// HAProxy on a free port proxying to `upstream` (host:port), with `timeout client` of
/// 3 s, `timeout server` of `server_timeout` and `extra` lines in `defaults`.
fn haproxy(name: &str, upstream: &str, server_timeout: &str, extra: &str) -> Option<Listening> {
    let binary = require_program(&["haproxy"], "apt-get install -y haproxy")?;
    let dir = temp_dir(&format!("haproxy-{name}"));
    let conf = |port| {
        format!(
            "global\n  log stderr format raw local0\ndefaults\n  mode http\n  log global\n  option httplog\n  timeout connect 3s\n  timeout client 3s\n  timeout server {server_timeout}\n{extra}\nfrontend fe\n  bind 127.0.0.1:{port}\n  default_backend be\nbackend be\n  server up {upstream}\n"
        )
    };
    Some(start_with_config(
        "haproxy",
        // Master-worker mode (-W): the master says this after listen(2); alone, HAProxy
        // says nothing once it listens. Its worker leaves when the master is killed.
        (Out::Stderr, "Loading success"),
        &dir,
        "haproxy.cfg",
        conf,
        |path| {
            let mut cmd = Command::new(&binary);
            cmd.arg("-W").arg("-db").arg("-f").arg(path);
            cmd
        },
    ))
}

#[test]
fn haproxy_timeout_server_cuts_a_silent_stream_and_doctor_names_the_idle_timeout() {
    let (_server, upstream) = sse_upstream("haproxy-silent", SILENT, &[]);
    let Some(proxy) = haproxy("silent", &upstream, "3s", "") else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "8s");
    // Cut 3 s after the last byte HAProxy read; doctor sees the event up to ~200 ms
    // later (HAProxy sends with MSG_MORE), so "about 3 s", however it is written.
    report.assert_idle_cut_about_3s();
    assert!(report.fail_fixes().contains("heartbeat"), "{report}");
    // The heartbeat check agrees with the connection check.
    assert_ne!(report.status("heartbeat"), "PASS", "{report}");
    assert_eq!(report.events(), 1, "{report}");
}

#[test]
fn haproxy_timeout_tunnel_does_not_keep_an_event_stream_open() {
    let (_server, upstream) = sse_upstream("haproxy-tunnel", SILENT, &[]);
    let Some(proxy) = haproxy("tunnel", &upstream, "3s", "  timeout tunnel 1h") else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "8s");
    assert_eq!(report.code, 1, "{report}");
    assert!(report.fail_text().contains("idle"), "{report}");
    assert!(!report.fail_fixes().contains("timeout tunnel"), "{report}");
    assert_eq!(report.events(), 1, "{report}");
    // HAProxy says it was its server-side timeout, in the data phase.
    proxy.process.stderr_line_with(" sD-- ", LIVE);
}

#[test]
fn haproxy_heartbeats_more_often_than_timeout_server_keep_the_stream_open() {
    let (_server, upstream) = sse_upstream("haproxy-heartbeat", HEARTBEAT, &[]);
    let Some(proxy) = haproxy("heartbeat", &upstream, "3s", "") else {
        return;
    };
    // Past the first 5 s silence: without heartbeats the cut comes at 3 s.
    let report = doctor(&proxy.url("/events"), "6s");
    report.assert_no_fail_with(2);
}

/// Four events a second apart, for `sse serve --stamp`.
const TICKS: &str = "id: 1\ndata: a\n\n@sleep 1s\nid: 2\ndata: b\n\n@sleep 1s\nid: 3\ndata: c\n\n@sleep 1s\nid: 4\ndata: d\n\n";

/// The delays doctor measured from the `: sent-at` stamps, in ms.
fn delays(report: &Report) -> Vec<u64> {
    report.json["delays_ms"]
        .as_array()
        .unwrap_or_else(|| panic!("no delays_ms in {report}"))
        .iter()
        .map(|d| d.as_u64().unwrap())
        .collect()
}

#[test]
fn haproxy_holds_each_event_about_200_ms_unless_option_http_no_delay() {
    let (_server, upstream) = sse_upstream("haproxy-ticks", TICKS, &["--stamp"]);
    // HAProxy sends body data with MSG_MORE while more is expected, and Linux holds such
    // data up to 200 ms: every event but the body's last arrives that late. A floor, not
    // a ceiling, so a slow machine cannot break it. Late by a fraction of a second: a
    // WARN at most, not a FAIL.
    let Some(proxy) = haproxy("ticks", &upstream, "30s", "") else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "6s");
    let held = delays(&report);
    assert_eq!(held.len(), 4, "{report}");
    assert!(held[..3].iter().all(|&d| d >= 150), "{report}");
    report.assert_no_fail();
    drop(proxy);
    let Some(proxy) = haproxy("ticks-no-delay", &upstream, "30s", "  option http-no-delay") else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "6s");
    report.assert_no_fail();
    assert_eq!(report.status("delivery"), "PASS", "{report}");
}

#[test]
fn haproxy_timeout_server_above_the_silences_keeps_the_stream_open() {
    let (_server, upstream) = sse_upstream("haproxy-raised", SILENT, &[]);
    // `timeout client` stays 3 s: a client with nothing to send is not cut by it.
    let Some(proxy) = haproxy("raised", &upstream, "8s", "") else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "6s");
    report.assert_no_fail_with(2);
}
