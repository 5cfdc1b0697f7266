//! What `sse tail` sends and shows of the exchange: a body from a file or stdin, both
//! heads with `-v`, and proxies taken from the environment, seen from raw servers.

use std::io::Write;
use std::process::Stdio;

use crate::support::*;

fn one_event_server(path: &str) -> RawServer {
    RawServer::new(
        path,
        vec![vec![send(SSE_HEAD), send(b"data: ok\n\n"), Step::Close]],
    )
}

#[test]
fn data_from_a_file_is_the_request_body() {
    let server = one_event_server("/form");
    let body = "name=panda&note=caf%C3%A9\nsecond line\n";
    let file = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("body.txt");
    std::fs::write(&file, body).unwrap();
    let arg = format!("@{}", file.display());
    let out = run_ok(&["tail", &server.url, "-d", &arg, "--json"]);
    assert_eq!(data_of(&json_lines(&out)), ["ok"]);
    assert!(server.requests()[0].starts_with("POST /form HTTP/1.1"));
    assert_eq!(String::from_utf8(server.body(0)).unwrap(), body);
    assert_eq!(
        server.header(0, "Content-Length"),
        Some(body.len().to_string())
    );
    assert_eq!(
        server.header(0, "Content-Type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    server.join();
}

#[test]
fn data_from_stdin_is_the_request_body() {
    let server = one_event_server("/v1/chat");
    let body = br#"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let mut child = sse()
        .args(["tail", &server.url, "-d", "@-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 0);
    assert_eq!(data_of(&json_lines(&out)), ["ok"]);
    assert!(server.requests()[0].starts_with("POST /v1/chat HTTP/1.1"));
    assert_eq!(server.body(0), body);
    assert_eq!(
        server.header(0, "Content-Type").as_deref(),
        Some("application/json")
    );
    server.join();
}

#[test]
fn a_missing_data_file_is_one_line_and_no_request() {
    let server = one_event_server("/e");
    let out = run_exit(&["tail", &server.url, "-d", "@/no/such/body.json"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("sse: ") && stderr.contains("/no/such/body.json"),
        "{stderr}"
    );
    server.unused();
}

#[test]
fn verbose_shows_both_heads_comments_and_retry_on_stderr() {
    let head =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Served-By: raw-test\r\n\r\n";
    let server = RawServer::new(
        "/e",
        vec![
            vec![
                send(head),
                send(b": hello\nretry: 500\ndata: x\n\n"),
                Step::Close,
            ],
            vec![
                send(head),
                send(b": hello\nretry: 500\ndata: x\n\n"),
                Step::Close,
            ],
        ],
    );
    let args = [
        "tail",
        &server.url,
        "--no-reconnect",
        "--json",
        "-H",
        "X-Mine: 1",
    ];
    let quiet = run_ok(&args);
    let out = run_ok(&[&args[..], &["-v"]].concat());
    // stdout has the same events either way: -v only adds to stderr.
    assert_eq!(data_of(&json_lines(&quiet)), ["x"]);
    assert_eq!(data_of(&json_lines(&out)), ["x"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let has = |want: &str| lines.iter().any(|l| l.eq_ignore_ascii_case(want));
    for want in [
        format!("> GET {} HTTP/1.1", server.url),
        "> Accept: text/event-stream".into(),
        "> X-Mine: 1".into(),
        "< HTTP/1.1 200 OK".into(),
        "< Content-Type: text/event-stream".into(),
        "< X-Served-By: raw-test".into(),
        ": hello".into(),
    ] {
        assert!(has(&want), "no line {want:?} in:\n{stderr}");
    }
    assert!(
        stderr.contains("reconnection time set to 500 ms"),
        "{stderr}"
    );
    // What -v says was sent is what the server received.
    assert_eq!(server.header(1, "X-Mine").as_deref(), Some("1"));
    let quiet_err = String::from_utf8_lossy(&quiet.stderr);
    assert!(
        !quiet_err.contains("> GET")
            && !quiet_err.contains("< HTTP/1.1")
            && !quiet_err.contains("hello"),
        "without -v: {quiet_err}"
    );
    server.join();
}

#[test]
fn http_proxy_from_the_environment_carries_the_stream() {
    // The target's name does not resolve: only the proxy can reach it. ureq asks an
    // HTTP proxy for a tunnel (CONNECT), then sends the request through it.
    let proxy = RawServer::new(
        "/",
        vec![vec![
            send(b"HTTP/1.1 200 Connection established\r\n\r\n"),
            Step::Read,
            send(SSE_HEAD),
            send(b"data: via the proxy\n\n"),
            Step::Close,
        ]],
    );
    let target = "http://sse-test.invalid:8080/events";
    let out = sse()
        .args(["tail", target, "--no-reconnect", "--json"])
        .env("http_proxy", format!("http://127.0.0.1:{}", proxy.port))
        .env_remove("no_proxy")
        .env_remove("NO_PROXY")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(data_of(&json_lines(&out)), ["via the proxy"]);
    let requests = proxy.requests();
    assert!(
        requests[0].starts_with("CONNECT sse-test.invalid:8080 HTTP/1.1"),
        "{requests:?}"
    );
    assert!(
        requests[1].starts_with("GET /events HTTP/1.1"),
        "{requests:?}"
    );
    assert_eq!(
        header_in(&requests[1], "Host").as_deref(),
        Some("sse-test.invalid:8080")
    );
    proxy.join();
}

#[test]
fn no_proxy_sends_a_matching_host_around_the_proxy() {
    let target = one_event_server("/events");
    // A proxy that is never there: going through it would fail to connect.
    let dead = RefusedPort::new();
    let dead_port = dead.port;
    let out = sse()
        .args(["tail", &target.url, "--no-reconnect", "--json"])
        .env("HTTP_PROXY", format!("http://127.0.0.1:{dead_port}"))
        .env("NO_PROXY", "localhost,127.0.0.1")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(data_of(&json_lines(&out)), ["ok"]);
    assert!(target.requests()[0].starts_with("GET /events HTTP/1.1"));
    target.join();
}

/// A listener that answers every connection with `answer` once the request arrives
/// (or at once, as an SSH server greets), then closes it; for `connections` connections.
fn answering(answer: &'static [u8], connections: usize) -> (String, std::thread::JoinHandle<()>) {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        for tcp in listener.incoming().take(connections) {
            let mut tcp = tcp.unwrap();
            let _ = tcp.write_all(answer);
            tcp.set_read_timeout(Some(std::time::Duration::from_millis(200)))
                .unwrap();
            let _ = tcp.read(&mut [0; 4096]);
        }
    });
    (format!("http://127.0.0.1:{port}/events"), handle)
}

/// OpenSSL's s_server (Debian's openssl) closes on plain text without sending a byte:
/// sse's own TLS ClientHello, on a second connection, finds it speaks TLS.
#[test]
fn an_openssl_server_that_closes_without_a_byte_is_named_as_tls() {
    let Some(openssl) = require_program(&["openssl"], "apt-get install -y openssl") else {
        return;
    };
    let dir = crate::real::temp_dir("openssl-s-server");
    let (cert, key) = crate::real::localhost_cert(&dir);
    let mut cmd = std::process::Command::new(openssl);
    cmd.args(["s_server", "-accept", "127.0.0.1:0", "-www", "-cert"])
        .arg(cert)
        .arg("-key")
        .arg(key);
    let server =
        crate::real::start_printing_port("openssl s_server", Out::Stdout, "ACCEPT 127.0.0.1:", cmd);
    let url = server.url("/events");
    let out = run_exit(&["tail", &url, "--no-reconnect"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "the server speaks TLS: try https://127.0.0.1:{}/events",
            server.port
        )),
        "{stderr}"
    );
}

#[test]
fn a_tls_port_on_an_http_url_says_to_use_https() {
    // A TLS alert record (fatal, protocol_version), as a TLS server answers plain bytes.
    let (url, server) = answering(b"\x15\x03\x03\x00\x02\x02\x46", 2);
    let out = run_exit(&["tail", &url, "--no-reconnect"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rest = url.strip_prefix("http://").unwrap();
    assert!(
        stderr.contains(&format!("the server speaks TLS: try https://{rest}")),
        "{stderr}"
    );
    server.join().unwrap();

    // A real TLS server (rustls), on both connections: sse's and its second look.
    let (port, server) = tls_server(&[], b"", Some(2));
    let url = format!("http://127.0.0.1:{port}/e");
    let out = run_exit(&["tail", &url, "--no-reconnect"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "the server speaks TLS: try https://127.0.0.1:{port}/e"
        )),
        "{stderr}"
    );
    server.join().unwrap();
}

#[test]
fn an_answer_that_is_not_http_is_shown_not_taken_for_http2() {
    let (url, server) = answering(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n", 2);
    let out = run_exit(&["tail", &url, "--no-reconnect"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(r#"the server's answer is not HTTP: it sent "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n""#),
        "{stderr}"
    );
    assert!(!stderr.contains("HTTP/2"), "{stderr}");
    server.join().unwrap();

    // An HTTP/2 SETTINGS frame (as an h2c-only server answers): the HTTP/2 hint stays.
    let (url, server) = answering(
        b"\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64\x00\x00\x00\x08\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01",
        2,
    );
    let out = run_exit(&["tail", &url, "--no-reconnect"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the server answered with an HTTP/2 frame: it speaks only HTTP/2"),
        "{stderr}"
    );
    assert!(stderr.contains("--http2-prior-knowledge"), "{stderr}");
    server.join().unwrap();
}
