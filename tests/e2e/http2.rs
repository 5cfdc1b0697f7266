//! HTTP/2: `sse tail` and `sse doctor` against a server that speaks nothing else
//! (Node's http2 module, as Debian's nodejs installs it), over TLS with ALPN and as h2c.

use std::process::Command;
use std::time::Duration;

use crate::real::*;
use crate::support::*;

/// The fixture server, with a certificate for `localhost` made here (rcgen).
struct H2Server {
    process: Spawned,
    port: u16,
}

impl H2Server {
    fn start(name: &str, tls: bool) -> Option<H2Server> {
        H2Server::start_as(name, if tls { "tls" } else { "h2c" })
    }

    /// The fixture in `mode`: `tls` (h2 only), `h2c`, or `both` (HTTP/2 and HTTP/1.1
    /// by ALPN, through Node's compatibility API).
    fn start_as(name: &str, mode: &str) -> Option<H2Server> {
        let node = require_program(&["node", "nodejs"], "apt-get install -y nodejs")?;
        let mut cmd = Command::new(node);
        cmd.arg(fixture("h2/server.js"));
        if mode != "h2c" {
            let dir = temp_dir(name);
            let (cert, key) = localhost_cert(&dir);
            cmd.arg(mode).arg(cert).arg(key);
        } else {
            cmd.arg("h2c");
        }
        let (process, port) = listening_on(cmd);
        Some(H2Server { process, port })
    }

    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }

    fn h2c(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_h2_only_server_is_tailed_without_a_flag_and_resumed_with_last_event_id() {
    let Some(server) = H2Server::start("h2-tail", true) else {
        return;
    };
    let out = run_ok(&["tail", "-k", &server.url("/events"), "-n", "5", "--json"]);
    let lines = json_lines(&out);
    assert_eq!(
        data_of(&lines),
        ["tick 1", "tick 2", "tick 3", "tick 4", "tick 5"],
        "{}",
        stderr(&out)
    );
    // The server ends each stream after three events: the fourth came on a second
    // connection that sent Last-Event-ID 3.
    let connections: Vec<u64> = lines
        .iter()
        .map(|l| l["connection"].as_u64().unwrap())
        .collect();
    assert_eq!(connections, [1, 1, 1, 2, 2]);
    assert!(
        stderr(&out).contains("reconnecting in 50 ms with Last-Event-ID 3"),
        "{}",
        stderr(&out)
    );
    drop(server.process);
}

#[test]
fn verbose_shows_the_h2_request_and_response() {
    let Some(server) = H2Server::start("h2-verbose", true) else {
        return;
    };
    let out = run_ok(&["tail", "-k", "-v", &server.url("/events"), "-n", "1"]);
    let err = stderr(&out);
    for shown in [
        "> :method: GET",
        "> :scheme: https",
        &format!("> :authority: localhost:{}", server.port),
        "> :path: /events",
        "> accept: text/event-stream",
        "< HTTP/2 200",
        "< content-type: text/event-stream",
        "(HTTP/2 200 OK)",
    ] {
        assert!(err.contains(shown), "{shown:?} in\n{err}");
    }
}

#[test]
fn a_reset_and_a_goaway_are_told_with_their_code_and_when() {
    let Some(server) = H2Server::start("h2-reset", true) else {
        return;
    };
    let out = run_ok(&["tail", "-k", &server.url("/reset"), "--no-reconnect"]);
    let err = stderr(&out);
    assert!(
        err.contains("stream reset by the server after 0.") && err.contains("s: INTERNAL_ERROR"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("before the reset"));
    let out = run_ok(&["tail", "-k", &server.url("/goaway"), "--no-reconnect"]);
    let err = stderr(&out);
    assert!(err.contains("ENHANCE_YOUR_CALM"), "{err}");
}

#[test]
fn a_reset_stream_is_reconnected_like_a_lost_connection() {
    let Some(server) = H2Server::start("h2-reset-again", true) else {
        return;
    };
    let out = run_ok(&["tail", "-k", &server.url("/reset"), "-n", "2", "--json"]);
    let lines = json_lines(&out);
    assert_eq!(data_of(&lines), ["before the reset", "before the reset"]);
    assert_eq!(lines[1]["connection"], 2, "{}", stderr(&out));
}

#[test]
fn bodies_methods_encodings_and_errors_work_over_h2() {
    let Some(server) = H2Server::start("h2-request", true) else {
        return;
    };
    let url = server.url("/echo");
    let out = run_ok(&["tail", "-k", &url, "-d", "{\"a\":1}", "--json"]);
    assert_eq!(
        data_of(&json_lines(&out)),
        ["POST length=7 body={\"a\":1} accept=text/event-stream"]
    );
    // A POST without a body says so with Content-Length: 0, as over HTTP/1.1.
    let out = run_ok(&["tail", "-k", &url, "-X", "POST", "--json"]);
    assert_eq!(
        data_of(&json_lines(&out)),
        ["POST length=0 body= accept=text/event-stream"]
    );
    let out = run_ok(&[
        "tail",
        "-k",
        &server.url("/gzip"),
        "-H",
        "Accept-Encoding: gzip",
        "--no-reconnect",
        "--json",
    ]);
    assert_eq!(data_of(&json_lines(&out)), ["one", "two"]);
    let out = run_ok(&[
        "tail",
        "-k",
        &server.url("/br"),
        "-H",
        "Accept-Encoding: br",
        "--no-reconnect",
        "--json",
    ]);
    assert_eq!(data_of(&json_lines(&out)), ["one", "two"]);
    let out = run_ok(&["tail", "-k", &server.url("/gone")]);
    assert!(stderr(&out).contains("204 No Content"), "{}", stderr(&out));
    let out = run_exit(&["tail", "-k", &server.url("/denied")], 1);
    let err = stderr(&out);
    assert!(err.contains("401") && err.contains("no key"), "{err}");
}

#[test]
fn flags_choose_the_protocol() {
    let Some(server) = H2Server::start("h2-flags", true) else {
        return;
    };
    // --http1.1 to a server without HTTP/1.1: Node answers such a connection with a
    // 403 and says why, and sse shows it.
    let out = run_exit(&["tail", "-k", "--http1.1", &server.url("/events")], 1);
    let err = stderr(&out);
    assert!(
        err.contains("403 Forbidden") && err.contains("Missing ALPN Protocol, expected `h2`"),
        "{err}"
    );
    let out = run_ok(&["tail", "-k", "--http2", &server.url("/events"), "-n", "1"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("tick 1"));
    // --http2 to a server without h2.
    let (port, _https1) = tls_server(
        &[b"http/1.1"],
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: a\n\n",
        None,
    );
    let out = run_exit(
        &[
            "tail",
            "-k",
            "--http2",
            &format!("https://localhost:{port}/e"),
        ],
        1,
    );
    assert!(
        stderr(&out).contains("the server does not offer HTTP/2 (it refused h2 by ALPN)"),
        "{}",
        stderr(&out)
    );
    // Without a flag, the same server is spoken to in HTTP/1.1.
    let out = run_ok(&[
        "tail",
        "-k",
        "-n",
        "1",
        &format!("https://localhost:{port}/e"),
    ]);
    assert!(
        stderr(&out).contains("(HTTP/1.1 200 OK)"),
        "{}",
        stderr(&out)
    );
    let out = run_exit(&["tail", "--http2", "http://127.0.0.1:1/e"], 2);
    assert!(
        stderr(&out).contains("--http2-prior-knowledge"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn h2c_with_prior_knowledge() {
    let Some(server) = H2Server::start("h2c", false) else {
        return;
    };
    let url = server.h2c("/events");
    let out = run_ok(&["tail", "--http2-prior-knowledge", &url, "-n", "4", "--json"]);
    assert_eq!(
        data_of(&json_lines(&out)),
        ["tick 1", "tick 2", "tick 3", "tick 4"]
    );
    // Without the flag, an HTTP/1.1 request gets HTTP/2 frames back: the error says
    // what to try.
    let out = run_exit(&["tail", &url, "--no-reconnect"], 1);
    assert!(
        stderr(&out).contains("--http2-prior-knowledge speaks h2c"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn doctor_watches_over_h2_and_says_so() {
    let Some(server) = H2Server::start("h2-doctor", true) else {
        return;
    };
    let url = server.url("/events");
    let out = sse()
        .args(["doctor", &url, "-k", "--json", "--duration", "2s"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["http_version"], "HTTP/2", "{report:#}");
    let http2 = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "http2")
        .unwrap_or_else(|| panic!("no http2 check in {report:#}"));
    assert_eq!(http2["status"], "PASS", "{report:#}");
    // Node 20's first SETTINGS frame is empty (nghttp -v shows `length=0`): no limit.
    assert_eq!(
        http2["seen"],
        "works over HTTP/2 (ALPN h2), as a browser connects: room for any number of streams at once (the server's SETTINGS set no limit); initial window 65535 bytes (the default) for request bodies",
        "{report:#}"
    );
    assert_eq!(
        report["http2_settings"],
        serde_json::json!({}),
        "{report:#}"
    );
}

#[test]
fn a_stream_far_larger_than_the_window_arrives_whole() {
    // 20 MB through a 1 MiB window: the window must be released as frames are read.
    let Some(server) = H2Server::start("h2-bulk", true) else {
        return;
    };
    let out = run_ok(&[
        "tail",
        "-k",
        "--no-reconnect",
        "--jq",
        "length",
        &server.url("/bulk?n=200000"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 200_000);
    assert!(stdout.lines().all(|l| l == "92"), "{}", &stdout[..200]);
}

/// A CONNECT proxy on a free loopback port (std only): each connection is tunnelled to
/// the host and port it asks for; the request lines are kept for the test to read.
fn connect_proxy() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = std::sync::Arc::clone(&seen);
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let kept = std::sync::Arc::clone(&kept);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut first = String::new();
                reader.read_line(&mut first).unwrap();
                kept.lock().unwrap().push(first.trim_end().to_string());
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap() > 2 {
                    kept.lock().unwrap().push(line.trim_end().to_string());
                    line.clear();
                }
                let target = first.split(' ').nth(1).unwrap().to_string();
                let upstream =
                    TcpStream::connect(target.replace("localhost", "127.0.0.1")).unwrap();
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .unwrap();
                let (mut up_read, mut up_write) = (upstream.try_clone().unwrap(), upstream);
                let mut down = client.try_clone().unwrap();
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut up_read, &mut down);
                });
                let _ = std::io::copy(&mut reader, &mut up_write);
            });
        }
    });
    (port, seen)
}

#[test]
fn h2_goes_through_an_https_proxy_by_connect() {
    let Some(server) = H2Server::start("h2-proxy", true) else {
        return;
    };
    let (proxy, seen) = connect_proxy();
    let out = sse()
        .args([
            "tail",
            "-k",
            "-v",
            &server.url("/events"),
            "-n",
            "2",
            "--json",
        ])
        .env(
            "HTTPS_PROXY",
            format!("http://user:secret@127.0.0.1:{proxy}"),
        )
        .env_remove("https_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(data_of(&json_lines(&out)), ["tick 1", "tick 2"]);
    let err = stderr(&out);
    assert!(err.contains("< HTTP/2 200"), "{err}");
    let seen = seen.lock().unwrap().clone();
    let target = format!("localhost:{}", server.port);
    assert_eq!(seen[0], format!("CONNECT {target} HTTP/1.1"), "{seen:?}");
    // user:secret, as Basic credentials.
    assert!(
        seen.contains(&"Proxy-Authorization: Basic dXNlcjpzZWNyZXQ=".to_string()),
        "{seen:?}"
    );
}

#[test]
fn record_stats_and_text_work_over_h2() {
    let Some(server) = H2Server::start("h2-record", true) else {
        return;
    };
    let recording = temp_dir("h2-record-file").join("recorded.txt");
    let out = run_ok(&[
        "tail",
        "-k",
        &server.url("/events"),
        "-n",
        "3",
        "--stats",
        "--record",
        recording.to_str().unwrap(),
        "--jq",
        ".",
    ]);
    // Strings print raw, as jq -r prints them.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "tick 1\ntick 2\ntick 3\n"
    );
    assert!(stderr(&out).contains("* 3 events in "), "{}", stderr(&out));
    let text = std::fs::read_to_string(&recording).unwrap();
    for id in 1..=3 {
        assert!(
            text.contains(&format!("id: {id}\ndata: tick {id}\n")),
            "{text}"
        );
    }
    // The recording replays.
    let (_replay, url) = serve(&[recording.to_str().unwrap()]);
    let out = run_ok(&["tail", &url, "-n", "3", "--json"]);
    assert_eq!(data_of(&json_lines(&out)), ["tick 1", "tick 2", "tick 3"]);
}

/// `sse check` over h2: a contract of two connections (the second resumed with
/// Last-Event-ID after `@close`) passes against the h2-only server, and a stream reset
/// where the contract wants a clean end fails naming the reset.
#[test]
fn sse_check_runs_over_h2_with_resumption_and_names_a_reset() {
    let Some(server) = H2Server::start("h2-check", true) else {
        return;
    };
    let contract = script(
        "h2-contract",
        "retry: 50\n\nid: 1\ndata: tick 1\n\nid: 2\ndata: tick 2\n\nid: 3\ndata: tick 3\n\n@close\nid: 4\ndata: tick 4\n\nid: 5\ndata: tick 5\n\nid: 6\ndata: tick 6\n\n@close\n",
    );
    let out = run_ok(&[
        "check",
        "-k",
        &server.url("/events"),
        contract.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("✓ response: 200 OK, text/event-stream over HTTP/2"),
        "{text}"
    );
    assert!(
        text.contains("✓ response 2: 200 OK, text/event-stream over HTTP/2"),
        "{text}"
    );
    assert!(
        text.contains("✓ event 4 (line 13): message id \"4\" \"tick 4\" (event 1 of connection 2"),
        "{text}"
    );
    assert!(text.contains("PASS: 10 expectations met"), "{text}");
    let reset = script(
        "h2-reset-contract",
        "id: 1\ndata: before the reset\n\n@end\n",
    );
    let out = run_exit(
        &[
            "check",
            "-k",
            &server.url("/reset"),
            reset.to_str().unwrap(),
        ],
        1,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("✗ end of stream (line 4): the stream was to end cleanly; it failed "),
        "{text}"
    );
    assert!(
        text.contains("stream reset by the server: INTERNAL_ERROR"),
        "{text}"
    );
}

/// Node's HTTP/1.1 keeps a response's head until the first write (its docs of
/// `response.flushHeaders()`); its HTTP/2 sends HEADERS at `writeHead`. Doctor watches
/// over h2, again over HTTP/1.1, and says which protocol held the head, with the fix.
#[test]
fn node_holds_the_http1_head_until_the_first_write_and_doctor_says_which_protocol() {
    let Some(server) = H2Server::start_as("h2-quiet", "both") else {
        return;
    };
    let report = doctor_with(&server.url("/quiet"), &["-k", "--duration", "5s"]);
    assert_eq!(report.json["http_version"], "HTTP/2", "{report}");
    let head = report.check("head");
    assert_eq!(head["status"], "WARN", "{report}");
    let seen = head["seen"].as_str().unwrap();
    assert!(
        seen.contains("over HTTP/1.1 only with the first data, after 1.5"),
        "{report}"
    );
    assert!(
        head["why"].as_str().unwrap().contains("the HTTP/1.1 path"),
        "{report}"
    );
    assert!(
        head["fix"].as_str().unwrap().contains("`: ok` comment"),
        "{report}"
    );
    assert!(head["ms"]["head_h2"].as_u64().unwrap() < 500, "{report}");
    assert!(
        head["ms"]["head_http1"].as_u64().unwrap() >= 1400,
        "{report}"
    );
    assert_eq!(report.status("arrival"), "PASS", "{report}");
}

/// The `: ok` fix, on the same server: the head leaves at once on both protocols.
#[test]
fn node_writing_a_comment_at_once_sends_the_head_on_both_protocols() {
    assert_head_at_once("/quiet-ok");
}

/// `res.flushHeaders()`, the other half of the fix for Node.
#[test]
fn node_flush_headers_sends_the_head_on_both_protocols() {
    assert_head_at_once("/quiet-flushed");
}

fn assert_head_at_once(path: &str) {
    let Some(server) = H2Server::start_as("h2-quiet-fixed", "both") else {
        return;
    };
    let report = doctor_with(&server.url(path), &["-k", "--duration", "5s"]);
    let head = report.check("head");
    assert_eq!(head["status"], "PASS", "{report}");
    assert!(head["ms"]["head_http1"].as_u64().unwrap() < 500, "{report}");
    assert!(head["ms"]["head_h2"].as_u64().unwrap() < 500, "{report}");
    assert_eq!(report.json["events"], 3, "{report}");
}

/// fixtures/h2/keepalive.py (Debian's python3-h2, the HTTP/2 library hypercorn uses)
/// on a port it picks, over TLS with ALPN h2 and http/1.1; `clean` serves the stream
/// without `Connection: keep-alive` and `Keep-Alive`.
fn keepalive_server(name: &str, clean: bool) -> Option<(Spawned, u16)> {
    let install = "apt-get install -y python3-h2";
    let python = python(install)?;
    let probe = Command::new(&python)
        .args(["-c", "import h2"])
        .output()
        .unwrap();
    if !probe.status.success() {
        missing("python3 with the h2 module is needed", install);
        return None;
    }
    let (cert, key) = localhost_cert(&temp_dir(name));
    let mut cmd = Command::new(python);
    cmd.arg(fixture("h2/keepalive.py")).arg(cert).arg(key);
    if clean {
        cmd.arg("clean");
    }
    Some(listening_on(cmd))
}

/// A fixture started from `cmd`, and the port of its first line, `listening on PORT`.
fn listening_on(cmd: Command) -> (Spawned, u16) {
    let process = Spawned::new(cmd);
    let line = process.next_line(Duration::from_secs(20));
    let port = line
        .strip_prefix("listening on ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("the fixture said {line:?}"));
    (process, port)
}

/// A stream whose HTTP/2 response carries `Connection: keep-alive` never opens over h2
/// (curl exits 92, browsers show ERR_HTTP2_PROTOCOL_ERROR): tail says why, and doctor
/// fails `http2`, watches over HTTP/1.1 instead and names the headers; without them the
/// same server's stream works over h2.
#[test]
fn a_connection_specific_header_fails_h2_and_doctor_watches_over_http1() {
    let Some((_server, port)) = keepalive_server("h2-keepalive", false) else {
        return;
    };
    let url = format!("https://localhost:{port}/events");
    let out = run_exit(&["tail", "-k", &url], 1);
    assert!(
        stderr(&out).contains("malformed (PROTOCOL_ERROR): a connection-specific header such as `Connection: keep-alive`"),
        "{}",
        stderr(&out)
    );
    let report = doctor_with(&url, &["-k", "--duration", "2s"]);
    assert_eq!(report.json["http_version"], "HTTP/1.1", "{report}");
    assert_eq!(report.json["events"], 3, "{report}");
    let http2 = report.check("http2");
    assert_eq!(http2["status"], "FAIL", "{report}");
    assert_eq!(
        http2["seen"],
        "the HTTP/2 response is malformed (PROTOCOL_ERROR), so this watch was over HTTP/1.1; over HTTP/1.1 it carries `connection: keep-alive`, `keep-alive: timeout=5`",
        "{report}"
    );
    assert!(
        http2["fix"]
            .as_str()
            .unwrap()
            .contains("stop sending `Connection` and `Keep-Alive`"),
        "{report}"
    );

    // Watched over HTTP/1.1 by choice, the stream is opened over h2 once, as a
    // browser would, and fails the same way.
    let report = doctor_with(&url, &["-k", "--http1.1", "--duration", "2s"]);
    assert_eq!(report.status("http2"), "FAIL", "{report}");

    // The fix: the same stream without them opens over h2.
    let Some((_clean, port)) = keepalive_server("h2-keepalive-clean", true) else {
        return;
    };
    let url = format!("https://localhost:{port}/events");
    let out = run_ok(&["tail", "-k", &url, "--no-reconnect", "--json"]);
    assert_eq!(data_of(&json_lines(&out)), ["tick 1", "tick 2", "tick 3"]);
    let report = doctor_with(&url, &["-k", "--duration", "2s"]);
    assert_eq!(report.json["http_version"], "HTTP/2", "{report}");
    assert_eq!(report.status("http2"), "PASS", "{report}");
    let report = doctor_with(&url, &["-k", "--http1.1", "--duration", "2s"]);
    assert_eq!(report.status("http2"), "PASS", "{report}");
    assert!(
        report.check("http2")["seen"]
            .as_str()
            .unwrap()
            .ends_with("; this watch was over HTTP/1.1 (--http1.1)"),
        "{report}"
    );
}
