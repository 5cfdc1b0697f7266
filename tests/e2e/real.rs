//! Shared by the tests that run `sse doctor` against real software started by the test
//! (nginx.rs, rack.rs, express.rs, haproxy.rs, apache.rs, bursts.rs and the others): starting a program on a free
//! loopback port, and reading doctor's JSON report.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Instant;

use serde_json::Value;

use crate::support::*;

/// The directory of a fixture app under tests/e2e/fixtures.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/e2e/fixtures")
        .join(name)
}

/// One event, then silences of 5 s: longer than the 3 s idle timeouts the tests set.
pub const SILENT: &str =
    "retry: 1000\n\nid: 1\ndata: one\n\n@sleep 5s\nid: 2\ndata: two\n\n@sleep 5s\nid: 3\ndata: three\n\n";

/// The same events, with a `:` heartbeat comment every 2 s during the silences.
pub const HEARTBEAT: &str = "retry: 1000\n\nid: 1\ndata: one\n\n@sleep 2s\n: ping\n\n@sleep 2s\n: ping\n\n@sleep 1s\nid: 2\ndata: two\n\n@sleep 2s\n: ping\n\n@sleep 2s\n: ping\n\n@sleep 1s\nid: 3\ndata: three\n\n";

/// A fresh temporary directory for one test's config, logs and pid files.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A program listening on a loopback port; killed when dropped.
pub struct Listening {
    pub process: Spawned,
    pub port: u16,
}

impl Listening {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

/// What a program prints once it listens: `needle` in a line on `on`. Each one was read
/// off strace: the line is written after the program's listen(2), so connections made
/// after it wait in the backlog instead of being refused.
pub type Ready = (Out, &'static str);

/// Starts `command(port)` on a port nobody else is given and waits for its [`Ready`]
/// line. These programs cannot pick a port themselves and print it (nginx, HAProxy,
/// Apache, ...), so the port is chosen by [`unassigned_port`]; if it was taken after all
/// (another test's program, or another run on the same machine), the program exits
/// saying "in use" and another port is tried: a loop over attempts, not a wait.
pub fn start_on_free_port(what: &str, ready: Ready, command: impl Fn(u16) -> Command) -> Listening {
    let (on, needle) = ready;
    for _ in 0..5 {
        let port = unassigned_port();
        let mut process = Spawned::new(command(port));
        match process.try_line_with(on, needle, LIVE) {
            Ok(_) => return Listening { process, port },
            Err(RecvTimeoutError::Timeout) => panic!(
                "{what} did not print {needle:?} on {on:?} within {LIVE:?}; stderr:\n{}",
                process.stderr()
            ),
            // It exited: read all it said, then retry only if the port was the reason.
            Err(RecvTimeoutError::Disconnected) => {
                process.wait(LIVE);
                let said = process.stderr();
                assert!(
                    said.to_lowercase().contains("in use"),
                    "{what} exited before listening on port {port}; stderr:\n{said}"
                );
                eprintln!("{what}: port {port} in use, trying another:\n{said}");
            }
        }
    }
    panic!("{what} would not start: five ports in use");
}

/// A loopback port for a program that must be told one. Not a port 0 listener bound and
/// closed (the kernel may give that port to any socket, such as another test's client,
/// before the program binds it), but a random one below the kernel's ephemeral range
/// (ip_local_port_range), which the kernel never hands out by itself: only another
/// program told the same port can take it, and then [`start_on_free_port`] retries.
fn unassigned_port() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    let range =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let mut bounds = range.split_whitespace().map(|n| n.parse::<u32>().ok());
    let low = bounds.next().flatten().unwrap_or(32768);
    let high = bounds.next().flatten().unwrap_or(60999);
    // Above 10000 (clear of well-known and commonly configured ports) and below the
    // ephemeral range, or above it when it starts too low to leave room.
    let (from, to) = if low > 12_000 {
        (10_000, low)
    } else {
        (high + 1, 65_536)
    };
    assert!(from < to, "no port outside the ephemeral range {range:?}");
    // RandomState is seeded afresh per instance: a random number without a crate.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    let pick = from + (hasher.finish() % u64::from(to - from)) as u32;
    u16::try_from(pick).unwrap()
}

/// Starts a program on a free port with its config file `file` in `dir` written anew for
/// each port tried (`conf(port)`); `command(path)` runs the program on that file.
pub fn start_with_config(
    what: &str,
    ready: Ready,
    dir: &Path,
    file: &str,
    conf: impl Fn(u16) -> String,
    command: impl Fn(&Path) -> Command,
) -> Listening {
    let path = dir.join(file);
    start_on_free_port(what, ready, |port| {
        std::fs::write(&path, conf(port)).unwrap();
        command(&path)
    })
}

/// `sse serve` playing `text` (saved as the script `name`) with `args` after it, and the
/// host:port a proxy in front of it is pointed at.
pub fn sse_upstream(name: &str, text: &str, args: &[&str]) -> (Spawned, String) {
    let script = script(name, text);
    let mut all = vec![script.to_str().unwrap()];
    all.extend_from_slice(args);
    let (server, url) = serve(&all);
    (server, host_port(&url))
}

/// Starts a program that picks a free port itself and prints its URL on stdout (Puma's
/// `* Listening on http://127.0.0.1:PORT`, the Express fixture's `listening on ...`).
pub fn start_printing_url(what: &str, command: Command) -> Listening {
    let process = Spawned::new(command);
    let deadline = Instant::now() + LIVE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = process.next_line(left);
        if let Some(at) = line.find("http://127.0.0.1:") {
            let rest = &line[at + "http://127.0.0.1:".len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let port = digits
                .parse()
                .unwrap_or_else(|_| panic!("{what}: no port in {line:?}"));
            return Listening { process, port };
        }
    }
}

/// What `sse doctor --json` reported, with its exit status.
pub struct Report {
    pub code: i32,
    /// What doctor wrote on stderr, shown with the report when a check fails.
    pub stderr: String,
    pub json: Value,
}

/// Runs `sse doctor URL --json --duration DURATION` (a browser's request headers are
/// doctor's default).
pub fn doctor(url: &str, duration: &str) -> Report {
    doctor_with(url, &["--duration", duration])
}

/// Runs `sse doctor URL --json ARGS...`.
pub fn doctor_with(url: &str, args: &[&str]) -> Report {
    let out = output_within(sse().args(["doctor", url, "--json"]).args(args), RUN);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json: {e}: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Report {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        json,
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}, report:\n{}\nstderr:\n{}",
            self.code,
            serde_json::to_string_pretty(&self.json).unwrap(),
            self.stderr
        )
    }
}

impl Report {
    pub fn checks(&self) -> &[Value] {
        self.json["checks"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_else(|| panic!("no checks in {self}"))
    }

    pub fn check(&self, name: &str) -> &Value {
        self.checks()
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("no {name} check in {self}"))
    }

    pub fn status(&self, name: &str) -> &str {
        self.check(name)["status"].as_str().unwrap()
    }

    pub fn failed(&self) -> Vec<&Value> {
        self.checks()
            .iter()
            .filter(|c| c["status"] == "FAIL")
            .collect()
    }

    /// Every text doctor gave for its FAILs (what it saw, why, the fixes).
    pub fn fail_text(&self) -> String {
        let mut out = Vec::new();
        for check in self.failed() {
            strings(check, &mut out);
        }
        out.join("\n")
    }

    /// The fixes doctor gave for its FAILs.
    pub fn fail_fixes(&self) -> String {
        let mut out = Vec::new();
        for check in self.failed() {
            for (key, value) in check.as_object().into_iter().flatten() {
                if key.starts_with("fix") {
                    strings(value, &mut out);
                }
            }
        }
        out.join("\n")
    }

    /// The number of events doctor decoded during the watch.
    pub fn events(&self) -> u64 {
        self.json["events"]
            .as_u64()
            .unwrap_or_else(|| panic!("no event count in {self}"))
    }

    /// The Content-Encoding doctor saw (its request offers what a browser offers).
    pub fn encoding(&self) -> String {
        self.check("content-encoding")["seen"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Asserts the verdict "nothing FAILs" with the whole report as the message.
    pub fn assert_no_fail(&self) {
        assert!(self.failed().is_empty(), "a check FAILed: {self}");
        assert_eq!(self.code, 0, "{self}");
    }

    /// Asserts "nothing FAILs" and that doctor decoded `events` events.
    pub fn assert_no_fail_with(&self, events: u64) {
        self.assert_no_fail();
        assert_eq!(self.events(), events, "{self}");
    }

    /// Asserts "nothing FAILs", the delivery check PASSes (each stamped event came as it
    /// was sent) and doctor decoded `events` events.
    pub fn assert_live(&self, events: u64) {
        self.assert_no_fail();
        assert_eq!(self.status("delivery"), "PASS", "{self}");
        assert_eq!(self.events(), events, "{self}");
    }

    /// Asserts exit 1 with a FAIL naming `layer`, a fix naming `fix`, and `events` events
    /// decoded (late or not).
    pub fn assert_fail_naming(&self, layer: &str, fix: &str, events: u64) {
        assert_eq!(self.code, 1, "{self}");
        assert!(self.fail_text().contains(layer), "{self}");
        assert!(self.fail_fixes().contains(fix), "{self}");
        assert_eq!(self.events(), events, "{self}");
    }

    /// Asserts exit 1 with a FAIL naming an idle cut of about 3 s, in its text ("3 s",
    /// "2.80 s", however written) and in `idle_cut_ms` (2.5 to 3.6 s).
    pub fn assert_idle_cut_about_3s(&self) {
        assert_eq!(self.code, 1, "{self}");
        let fails = self.fail_text();
        assert!(fails.contains("idle"), "{self}");
        assert!(names_seconds_within(&fails, 2.5, 3.6), "{self}");
        let cut = self.json["idle_cut_ms"].as_u64();
        assert!(cut.is_some_and(|ms| (2500..=3600).contains(&ms)), "{self}");
    }
}

/// Every string inside `value`, depth first.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// Whether `text` names a duration in seconds ("3 s", "2.80 s", "3s") within `low..=high`.
pub fn names_seconds_within(text: &str, low: f64, high: f64) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit());
        if !starts {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
            end += 1;
        }
        let unit = text[end..].trim_start_matches(' ');
        let is_seconds =
            unit.starts_with('s') && !unit[1..].starts_with(|c: char| c.is_ascii_alphanumeric());
        if is_seconds
            && text[i..end]
                .parse::<f64>()
                .is_ok_and(|s| (low..=high).contains(&s))
        {
            return true;
        }
        i = end;
    }
    false
}

#[test]
fn durations_are_found_in_text() {
    assert!(names_seconds_within(
        "an idle timeout of about 2.80 s: likely",
        2.5,
        3.6
    ));
    assert!(names_seconds_within("cut at 3s.", 2.5, 3.6));
    assert!(names_seconds_within("after 3 s", 2.5, 3.6));
    assert!(!names_seconds_within("after 30 s", 2.5, 3.6));
    assert!(!names_seconds_within("3 seconds, 3 ms, 13 s", 2.5, 3.6));
}

/// The Python to run the Python fixtures with: `SSE_TEST_PYTHON` when set (`.ci/run` sets
/// Debian's /usr/bin/python3, the one apt installs the packages for, since a PATH may
/// put another Python first), else python3 on PATH.
pub fn python(install: &str) -> Option<PathBuf> {
    match std::env::var_os("SSE_TEST_PYTHON") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => require_program(&["python3"], install),
    }
}

/// The directives that make nginx pass an event stream on as it comes.
pub const NGINX_FIX: &str =
    "proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n      proxy_buffering off;";

/// nginx (Debian's nginx-light) on a free port with its own config and temp dirs,
/// proxying to `upstream` (host:port) with `location` directives in the location.
pub fn nginx(name: &str, upstream: &str, location: &str) -> Option<Listening> {
    nginx_listening(name, upstream, location, "", "")
}

/// nginx serving HTTP/2 over TLS (`listen ... ssl http2`, nginx 1.22's spelling, as
/// Debian bookworm installs it) with a certificate for `localhost` made here (rcgen).
pub fn nginx_h2(name: &str, upstream: &str, location: &str) -> Option<Listening> {
    nginx_h2_with(name, upstream, location, "")
}

/// [`nginx_h2`] with `server` directives in its server block.
pub fn nginx_h2_with(
    name: &str,
    upstream: &str,
    location: &str,
    server: &str,
) -> Option<Listening> {
    let (cert, key) = localhost_cert(&temp_dir(&format!("nginx-{name}-tls")));
    let server = format!(
        "ssl_certificate {};\n    ssl_certificate_key {};\n    {server}",
        cert.display(),
        key.display()
    );
    nginx_listening(name, upstream, location, " ssl http2", &server)
}

fn nginx_listening(
    name: &str,
    upstream: &str,
    location: &str,
    listen: &str,
    server: &str,
) -> Option<Listening> {
    let binary = require_program(&["nginx"], "apt-get install -y nginx-light")?;
    let dir = temp_dir(&format!("nginx-{name}"));
    std::fs::create_dir_all(dir.join("temp")).unwrap();
    let conf = |port| {
        let d = dir.display();
        format!(
            "worker_processes 1;\ndaemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log stderr notice;\nevents {{ worker_connections 128; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/temp/body;\n  proxy_temp_path {d}/temp/proxy;\n  fastcgi_temp_path {d}/temp/fastcgi;\n  uwsgi_temp_path {d}/temp/uwsgi;\n  scgi_temp_path {d}/temp/scgi;\n  server {{\n    listen 127.0.0.1:{port}{listen};\n    {server}\n    location / {{\n      proxy_pass http://{upstream};\n      {location}\n    }}\n  }}\n}}\n"
        )
    };
    Some(start_with_config(
        "nginx",
        // The last of the notices nginx writes once its sockets listen (ngx_os_status).
        (Out::Stderr, "getrlimit(RLIMIT_NOFILE)"),
        &dir,
        "nginx.conf",
        conf,
        |path| {
            let mut cmd = Command::new(&binary);
            cmd.arg("-p")
                .arg(&dir)
                .arg("-c")
                .arg(path)
                .arg("-e")
                .arg(dir.join("error.log"));
            cmd
        },
    ))
}

/// nginx with the streaming fix ([`NGINX_FIX`]) and `extra` directives in the location.
pub fn fixed_nginx(name: &str, upstream: &str, extra: &str) -> Option<Listening> {
    nginx(name, upstream, &format!("{NGINX_FIX}\n      {extra}"))
}

/// A self-signed certificate for `localhost` made here (rcgen), written to `dir` as
/// cert.pem and key.pem; never checked in.
pub fn localhost_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

/// Starts a program that picks a free port itself (port 0) and prints a line on `on`
/// with `prefix` followed by its port (hypercorn's `Running on https://127.0.0.1:PORT`,
/// logged once its socket listens).
pub fn start_printing_port(what: &str, on: Out, prefix: &str, command: Command) -> Listening {
    let process = Spawned::new(command);
    let line = process.try_line_with(on, prefix, LIVE).unwrap_or_else(|e| {
        panic!(
            "{what} did not print {prefix:?} on {on:?} ({e:?}); stderr:\n{}",
            process.stderr()
        )
    });
    let rest = &line[line.find(prefix).unwrap() + prefix.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let port = digits
        .parse()
        .unwrap_or_else(|_| panic!("{what}: no port in {line:?}"));
    Listening { process, port }
}
