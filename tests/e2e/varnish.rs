//! `sse doctor` through a real Varnish (Debian's varnish 7.1) on a free loopback port with
//! its own VCL and work dir, in front of `sse serve --stamp`. Varnish streams a fetch
//! through (`beresp.do_stream`, on by default), so a stream marked `no-cache` is live; a
//! stream that is cacheable is stored, and later clients get the stored copy all at once
//! (`Age`, `X-Varnish` with two ids, a Content-Length): a replay of an old stream, which
//! no proxy setting "unbuffers". `return (pass)` for the stream's URL keeps it out of the
//! cache.

use std::process::Command;
use std::time::Duration;

use crate::real::*;
use crate::support::*;

/// Five stamped events a second apart; `cache_control` is the response's Cache-Control.
fn ticks(cache_control: &str) -> String {
    format!(
        "@header Cache-Control: {cache_control}\nid: 1\ndata: a\n\n@sleep 1s\nid: 2\ndata: b\n\n@sleep 1s\nid: 3\ndata: c\n\n@sleep 1s\nid: 4\ndata: d\n\n@sleep 1s\nid: 5\ndata: e\n\n"
    )
}

/// Varnish on a free port with a VCL whose backend is `upstream` (host:port) and
/// `vcl_recv` is `recv`.
fn varnish(name: &str, upstream: &str, recv: &str) -> Option<Listening> {
    let binary = require_program(&["varnishd"], "apt-get install -y varnish")?;
    let dir = temp_dir(&format!("varnish-{name}"));
    let (host, port) = upstream.rsplit_once(':').unwrap();
    let vcl = dir.join("default.vcl");
    std::fs::write(
        &vcl,
        format!(
            "vcl 4.1;\nbackend default {{ .host = \"{host}\"; .port = \"{port}\"; }}\nsub vcl_recv {{ {recv} }}\n"
        ),
    )
    .unwrap();
    // Port 0, then the CLI's debug.listen_address (run from an -I file once the child
    // has started) prints the port: Varnish answers it only after listen(2), for
    // varnishtest's sake.
    let cli = dir.join("start.cli");
    std::fs::write(&cli, "start\ndebug.listen_address\n").unwrap();
    let mut cmd = Command::new(&binary);
    cmd.arg("-F")
        .args(["-a", "127.0.0.1:0", "-I"])
        .arg(&cli)
        .arg("-f")
        .arg(&vcl)
        .arg("-n")
        .arg(dir.join("work"))
        .args(["-s", "malloc,16m"]);
    let process = Spawned::new(cmd);
    let line = process.stderr_line_with("a0 127.0.0.1 ", LIVE);
    let port = line
        .rsplit(' ')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    Some(Listening { process, port })
}

/// Fetches the stream once to its end, so Varnish has stored it.
fn warm(proxy: &Listening) {
    // The same Host as doctor sends: it is part of Varnish's cache key.
    let addr = format!("127.0.0.1:{}", proxy.port);
    let request = format!("GET /events HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let response = raw_exchange(&addr, request.as_bytes(), Duration::from_secs(20));
    let text = String::from_utf8_lossy(&response);
    assert!(text.contains("data: e"), "{text}");
}

#[test]
fn varnish_streams_a_no_cache_stream_as_it_is_sent() {
    let (_server, upstream) = sse_upstream("varnish-no-cache", &ticks("no-cache"), &["--stamp"]);
    let Some(proxy) = varnish("no-cache", &upstream, "") else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "7s");
    report.assert_live(5);
}

#[test]
fn varnish_replays_a_cached_stream_and_doctor_calls_it_a_replay_not_buffering() {
    let (_server, upstream) = sse_upstream("varnish-cached", &ticks("max-age=60"), &["--stamp"]);
    let Some(proxy) = varnish("cached", &upstream, "") else {
        return;
    };
    warm(&proxy);
    let report = doctor(&proxy.url("/events"), "7s");
    assert_eq!(report.code, 1, "{report}");
    let fails = report.fail_text();
    assert!(fails.contains("replay"), "{report}");
    assert!(!fails.contains("buffered"), "{report}");
    assert!(report.fail_fixes().contains("return (pass)"), "{report}");
    assert_eq!(report.events(), 5, "{report}");
}

#[test]
fn varnish_with_return_pass_for_the_stream_streams_a_cacheable_stream() {
    let (_server, upstream) = sse_upstream("varnish-pass", &ticks("max-age=60"), &["--stamp"]);
    let recv = "if (req.url ~ \"^/events\") { return (pass); }";
    let Some(proxy) = varnish("pass", &upstream, recv) else {
        return;
    };
    warm(&proxy);
    let report = doctor(&proxy.url("/events"), "7s");
    report.assert_live(5);
}
