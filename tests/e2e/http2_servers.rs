//! HTTP/2 with real servers in front of `sse serve --stamp` (Caddy, Apache's mod_http2,
//! HAProxy) or serving an ASGI app themselves (hypercorn), each on a free loopback port
//! with its own config and a certificate for `localhost` made here. Each test asserts on
//! the wire that sse spoke HTTP/2 (`< HTTP/2 200` from `tail -v`, doctor's
//! `http_version`) and got the events, and what stream limit the server's SETTINGS
//! announce, as doctor reports it.

use std::path::Path;
use std::process::Command;

use crate::real::*;
use crate::support::*;

/// Six stamped events 400 ms apart (as in nginx_h2.rs): over before doctor's 5 s watch.
const STREAM: &str = "retry: 1000\n\nid: 1\ndata: {\"n\":1}\n\n@sleep 400ms\nid: 2\ndata: {\"n\":2}\n\n@sleep 400ms\nid: 3\ndata: {\"n\":3}\n\n@sleep 400ms\nid: 4\ndata: {\"n\":4}\n\n@sleep 400ms\nid: 5\ndata: {\"n\":5}\n\n@sleep 400ms\nid: 6\ndata: {\"n\":6}\n\n";

/// `sse tail -v URL -n 3 --json` with `flags`: asserts the first three events of
/// [`STREAM`] came, and that `-v` shows an HTTP/2 response.
fn assert_tail_over_h2(url: &str, flags: &[&str]) {
    let mut args = vec!["tail", "-v", url, "-n", "3", "--json"];
    args.extend_from_slice(flags);
    let out = run_ok(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        data_of(&json_lines(&out)),
        ["{\"n\":1}", "{\"n\":2}", "{\"n\":3}"],
        "{err}"
    );
    assert!(
        err.contains("< HTTP/2 200")
            && err.contains("* HTTP/2 SETTINGS from the server: ")
            && err.contains(&format!("connected to {url} (HTTP/2 200 OK)")),
        "{err}"
    );
}

/// `sse doctor URL -k --json --duration 5s`.
fn doctor_k(url: &str) -> Report {
    doctor_with(url, &["-k", "--duration", "5s"])
}

/// Asserts doctor watched over HTTP/2 and saw the server's SETTINGS allow `streams`
/// concurrent streams.
fn assert_doctor_h2(report: &Report, streams: u32) {
    assert_eq!(report.json["http_version"], "HTTP/2", "{report}");
    assert_eq!(report.status("http2"), "PASS", "{report}");
    let seen = report.check("http2")["seen"].as_str().unwrap().to_string();
    assert!(
        seen.starts_with(&format!("works over HTTP/2 (ALPN h2), as a browser connects: room for {streams} streams at once on one connection; initial window ")),
        "{report}"
    );
    assert_eq!(
        report.json["http2_settings"]["MAX_CONCURRENT_STREAMS"], streams,
        "{report}"
    );
}

fn https(port: u16, path: &str) -> String {
    format!("https://localhost:{port}{path}")
}

/// Caddy on a free port with `site` as its site address (`PORT` in it replaced) and
/// `global` lines in its global options, `reverse_proxy` to `upstream` (host:port) and
/// `site_lines` before that.
fn caddy(
    name: &str,
    global: &str,
    site: &str,
    site_lines: &str,
    upstream: &str,
) -> Option<Listening> {
    let binary = require_program(&["caddy"], "apt-get install -y caddy")?;
    let dir = temp_dir(&format!("h2-caddy-{name}"));
    let conf = |port: u16| {
        let site = site.replace("PORT", &port.to_string());
        format!(
            "{{\n\tadmin off\n\tauto_https off\n{global}}}\n{site} {{\n\tbind 127.0.0.1\n{site_lines}\treverse_proxy {upstream}\n}}\n"
        )
    };
    Some(start_with_config(
        "caddy",
        (Out::Stderr, "serving initial configuration"),
        &dir,
        "Caddyfile",
        conf,
        |path| {
            let mut cmd = Command::new(&binary);
            cmd.args(["run", "--adapter", "caddyfile", "--config"])
                .arg(path)
                .env("HOME", &dir)
                .env("XDG_DATA_HOME", dir.join("data"))
                .env("XDG_CONFIG_HOME", dir.join("config"));
            cmd
        },
    ))
}

#[test]
fn caddy_speaks_h2_over_tls_by_default_and_announces_250_streams() {
    let (_server, upstream) = sse_upstream("h2-caddy-tls", STREAM, &["--stamp"]);
    let dir = temp_dir("h2-caddy-tls-cert");
    let (cert, key) = localhost_cert(&dir);
    let tls = format!("\ttls {} {}\n", cert.display(), key.display());
    let Some(proxy) = caddy("tls", "", "https://localhost:PORT", &tls, &upstream) else {
        return;
    };
    let url = https(proxy.port, "/events");
    assert_tail_over_h2(&url, &["-k"]);
    let report = doctor_k(&url);
    report.assert_no_fail_with(6);
    // Caddy 2.6 serves h2 with Go's net/http, whose bundled HTTP/2 server announces
    // http2defaultMaxStreams (250, net/http/h2_bundle.go) when MaxConcurrentStreams is
    // not set, and Caddy 2.6 does not set it.
    assert_doctor_h2(&report, 250);
}

/// Caddy's `encode zstd` over HTTP/2: events above its minimum_length (512 bytes) come
/// zstd-encoded in DATA frames, and tail decodes them.
#[test]
fn caddy_encode_zstd_over_h2_is_decoded() {
    let big = "x".repeat(1000);
    let stream: String = (1..=3)
        .map(|n| format!("id: {n}\ndata: {big}{n}\n\n@sleep 100ms\n"))
        .collect();
    let (_server, upstream) = sse_upstream("h2-caddy-zstd", &stream, &[]);
    let dir = temp_dir("h2-caddy-zstd-cert");
    let (cert, key) = localhost_cert(&dir);
    let lines = format!(
        "\ttls {} {}\n\tencode zstd\n",
        cert.display(),
        key.display()
    );
    let Some(proxy) = caddy("zstd", "", "https://localhost:PORT", &lines, &upstream) else {
        return;
    };
    let url = https(proxy.port, "/events");
    let out = run_ok(&[
        "tail",
        "-k",
        "-v",
        &url,
        "-H",
        "Accept-Encoding: zstd",
        "-n",
        "3",
        "--json",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("< HTTP/2 200") && err.contains("< content-encoding: zstd"),
        "{err}"
    );
    let want: Vec<String> = (1..=3).map(|n| format!("{big}{n}")).collect();
    assert_eq!(data_of(&json_lines(&out)), want, "{err}");
}

#[test]
fn caddy_h2c_listener_is_spoken_to_with_prior_knowledge() {
    let (_server, upstream) = sse_upstream("h2-caddy-h2c", STREAM, &["--stamp"]);
    // Caddy 2.6's global `servers { protocols h1 h2 h2c h3 }` option (caddyserver/caddy
    // PR 4707, caddyconfig/httpcaddyfile/serveroptions.go); h2c is off unless listed,
    // and Go's h2c handler needs h1 listed with it.
    let global = "\tservers {\n\t\tprotocols h1 h2c\n\t}\n";
    let Some(proxy) = caddy("h2c", global, "http://127.0.0.1:PORT", "", &upstream) else {
        return;
    };
    let url = proxy.url("/events");
    assert_tail_over_h2(&url, &["--http2-prior-knowledge"]);
    // Without the flag the same listener answers in HTTP/1.1.
    let out = run_ok(&["tail", "-v", &url, "-n", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("(HTTP/1.1 200 OK)"), "{err}");
}

/// Apache (one process, `-X`) with mod_ssl and mod_http2 (`Protocols h2 http/1.1`) on a
/// free port, proxying /events to `upstream` with mod_proxy_http.
fn apache_h2(name: &str, upstream: &str, extra: &str) -> Option<Listening> {
    let install = "apt-get install -y apache2";
    let binary = require_program(&["apache2", "httpd"], install)?;
    let modules = Path::new("/usr/lib/apache2/modules");
    if !modules.join("mod_http2.so").is_file() {
        missing(
            "Apache's mod_http2.so not found in /usr/lib/apache2/modules",
            install,
        );
        return None;
    }
    let dir = temp_dir(&format!("h2-apache-{name}"));
    let (cert, key) = localhost_cert(&dir);
    let conf = |port| {
        let (d, m) = (dir.display(), modules.display());
        format!(
            "ServerRoot {d}\nListen 127.0.0.1:{port}\nServerName localhost\nPidFile {d}/httpd.pid\nErrorLog /dev/stderr\nLogLevel warn mpm_event:debug\nLoadModule mpm_event_module {m}/mod_mpm_event.so\nLoadModule authz_core_module {m}/mod_authz_core.so\nLoadModule proxy_module {m}/mod_proxy.so\nLoadModule proxy_http_module {m}/mod_proxy_http.so\nLoadModule ssl_module {m}/mod_ssl.so\nLoadModule http2_module {m}/mod_http2.so\nProtocols h2 http/1.1\nSSLEngine on\nSSLCertificateFile {}\nSSLCertificateKeyFile {}\nProxyPass /events http://{upstream}/events\n{extra}\n",
            cert.display(),
            key.display()
        )
    };
    Some(start_with_config(
        "apache",
        // As in apache.rs: mpm_event's debug line once the child runs, after listen(2).
        (Out::Stderr, "Child 0 started"),
        &dir,
        "httpd.conf",
        conf,
        |path| {
            let mut cmd = Command::new(&binary);
            cmd.arg("-X").arg("-f").arg(path);
            cmd
        },
    ))
}

#[test]
fn apache_mod_http2_passes_events_over_h2_and_announces_100_streams() {
    let (_server, upstream) = sse_upstream("h2-apache", STREAM, &["--stamp"]);
    let Some(proxy) = apache_h2("default", &upstream, "") else {
        return;
    };
    let url = https(proxy.port, "/events");
    assert_tail_over_h2(&url, &["-k"]);
    let report = doctor_k(&url);
    report.assert_no_fail_with(6);
    // H2MaxSessionStreams, 100 by default (mod_http2's documentation).
    assert_doctor_h2(&report, 100);
    // Debian's Apache 2.4 mod_http2 passes a proxied stream on as its HTTP/1.1 does: not
    // the h2-only buffering of icing/mod_h2#147 (a handler that never flushed).
    let arrival = report.check("arrival");
    assert_eq!(arrival["status"], "PASS", "{report}");
    let seen = arrival["seen"].as_str().unwrap();
    assert!(
        seen.starts_with("events over HTTP/2 on time (delay max ")
            && seen.contains(", over HTTP/1.1 on time (delay max ")
            && seen.ends_with("the same on both protocols"),
        "{report}"
    );
}

/// HAProxy (master-worker, as in haproxy.rs) with an h2 frontend over TLS on a free port
/// in front of `upstream`.
fn haproxy_h2(name: &str, upstream: &str, timeout_server: &str) -> Option<Listening> {
    let binary = require_program(&["haproxy"], "apt-get install -y haproxy")?;
    let dir = temp_dir(&format!("h2-haproxy-{name}"));
    let (cert, key) = localhost_cert(&dir);
    // `crt` takes the certificate and its key in one file.
    let pem = dir.join("localhost.pem");
    let both = [std::fs::read(cert).unwrap(), std::fs::read(key).unwrap()].concat();
    std::fs::write(&pem, both).unwrap();
    let conf = |port| {
        format!(
            "global\n  log stderr format raw local0\ndefaults\n  mode http\n  log global\n  option httplog\n  timeout connect 3s\n  timeout client 30s\n  timeout server {timeout_server}\nfrontend fe\n  bind 127.0.0.1:{port} ssl crt {} alpn h2,http/1.1\n  default_backend be\nbackend be\n  server up {upstream}\n",
            pem.display()
        )
    };
    Some(start_with_config(
        "haproxy",
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
fn haproxy_h2_frontend_passes_events_over_h2_and_announces_100_streams() {
    let (_server, upstream) = sse_upstream("h2-haproxy", STREAM, &["--stamp"]);
    let Some(proxy) = haproxy_h2("default", &upstream, "30s") else {
        return;
    };
    let url = https(proxy.port, "/events");
    assert_tail_over_h2(&url, &["-k"]);
    let report = doctor_k(&url);
    report.assert_no_fail_with(6);
    // tune.h2.max-concurrent-streams, 100 by default (HAProxy 2.6's configuration.txt).
    assert_doctor_h2(&report, 100);
}

/// hypercorn serving the ASGI app in fixtures/h2servers on a port it picks itself, over
/// TLS (h2 offered by ALPN) when `tls`, else in cleartext (HTTP/1.1, and h2c by prior
/// knowledge or upgrade).
fn hypercorn(name: &str, tls: bool) -> Option<Listening> {
    let binary = require_program(&["hypercorn"], "apt-get install -y python3-hypercorn")?;
    let mut cmd = Command::new(binary);
    cmd.current_dir(fixture("h2servers"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .args(["--bind", "127.0.0.1:0"]);
    let scheme = if tls {
        let (cert, key) = localhost_cert(&temp_dir(&format!("h2-hypercorn-{name}")));
        cmd.arg("--certfile").arg(cert).arg("--keyfile").arg(key);
        "https"
    } else {
        "http"
    };
    cmd.arg("app:app");
    // Logged after asyncio's start_server has listened (hypercorn/asyncio/run.py), with
    // the port the socket was given.
    let prefix = format!("Running on {scheme}://127.0.0.1:");
    Some(start_printing_port("hypercorn", Out::Stderr, &prefix, cmd))
}

/// The fixture's three events, as a server that parsed the request as `version` says.
fn app_events(version: &str) -> Vec<String> {
    (1..=3)
        .map(|n| format!("event {n} over HTTP/{version}"))
        .collect()
}

#[test]
fn hypercorn_serves_an_asgi_stream_over_h2_with_tls_and_announces_100_streams() {
    let Some(server) = hypercorn("tls", true) else {
        return;
    };
    let url = https(server.port, "/events");
    let out = run_ok(&["tail", "-k", "-v", &url, "--no-reconnect", "--json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    // The app writes the HTTP version hypercorn gave it in the ASGI scope.
    assert_eq!(data_of(&json_lines(&out)), app_events("2"), "{err}");
    assert!(
        err.contains("< HTTP/2 200") && err.contains("(HTTP/2 200 OK)"),
        "{err}"
    );
    let report = doctor_k(&url);
    assert_eq!(report.events(), 3, "{report}");
    // hypercorn's Config.h2_max_concurrent_streams = 100 (hypercorn/config.py), sent
    // in its first SETTINGS (hypercorn/protocol/h2.py).
    assert_doctor_h2(&report, 100);
}

#[test]
fn hypercorn_h2c_with_prior_knowledge_and_http1_without() {
    let Some(server) = hypercorn("h2c", false) else {
        return;
    };
    let url = server.url("/events");
    // hypercorn's HTTP/1.1 parser hands a connection that opens with the h2 preface to
    // its h2 protocol (H2ProtocolAssumedError in hypercorn/protocol/h11.py).
    let out = run_ok(&[
        "tail",
        "--http2-prior-knowledge",
        "-v",
        &url,
        "--no-reconnect",
        "--json",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(data_of(&json_lines(&out)), app_events("2"), "{err}");
    assert!(err.contains("(HTTP/2 200 OK)"), "{err}");
    let out = run_ok(&["tail", "-v", &url, "--no-reconnect", "--json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(data_of(&json_lines(&out)), app_events("1.1"), "{err}");
    assert!(err.contains("(HTTP/1.1 200 OK)"), "{err}");
}

/// One event, then silence far longer than the proxies' timeouts below.
const SILENT: &str = "id: 1\ndata: one\n\n@sleep 30s\nid: 2\ndata: two\n\n";

/// Asserts doctor failed the connection as an idle cut of about 2 s that came over
/// HTTP/2 as `came`, with `fix` among the fixes.
fn assert_cut_over_h2(report: &Report, came: &str, fix: &str) {
    let connection = report.check("connection");
    assert_eq!(connection["status"], "FAIL", "{report}");
    let why = connection["why"].as_str().unwrap();
    assert!(
        why.contains("an idle timeout of about 2 s") && why.contains(came),
        "{report}"
    );
    assert!(
        connection["fix"].as_str().unwrap().contains(fix),
        "{report}"
    );
}

#[test]
fn apache_mod_http2_resets_a_stream_its_proxy_timeout_cuts() {
    let (_server, upstream) = sse_upstream("h2-apache-cut", SILENT, &[]);
    let Some(proxy) = apache_h2("cut", &upstream, "ProxyTimeout 2") else {
        return;
    };
    let url = https(proxy.port, "/events");
    let (end, err) = tail_end(&url);
    assert!(
        end.starts_with("* stream reset by the server after 2.")
            && end.ends_with(" s: INTERNAL_ERROR"),
        "{err}"
    );
    let report = doctor_with(&url, &["-k", "--duration", "4s"]);
    assert_cut_over_h2(
        &report,
        "likely Apache (named by the headers), with its timeout set to about that; over HTTP/2 it came as RST_STREAM INTERNAL_ERROR, which is how Apache 2.4 was seen to end a stream its timeout cuts",
        "ProxyTimeout",
    );
    assert_eq!(report.json["reset"]["code"], "INTERNAL_ERROR", "{report}");
}

/// HAProxy 2.6's h2 frontend ends a stream its `timeout server` cuts as a clean end
/// (END_STREAM), with no reset: doctor says so, and that HAProxy ends one that way.
#[test]
fn haproxy_h2_frontend_ends_a_stream_its_timeout_server_cuts_cleanly() {
    let (_server, upstream) = sse_upstream("h2-haproxy-cut", SILENT, &[]);
    let Some(proxy) = haproxy_h2("cut", &upstream, "2s") else {
        return;
    };
    let url = https(proxy.port, "/events");
    let (end, err) = tail_end(&url);
    assert_eq!(end, "* the server closed the stream", "{err}");
    let report = doctor_with(&url, &["-k", "--duration", "4s"]);
    assert_cut_over_h2(
        &report,
        "over HTTP/2 it came as a clean end (END_STREAM), which is how HAProxy 2.6 was seen to end a stream its timeout cuts",
        "heartbeat",
    );
    assert!(report.json["reset"].is_null(), "{report}");
}
