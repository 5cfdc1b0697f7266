//! `sse doctor` through a real nginx, with `sse serve --stamp` as the upstream.
//! nginx runs on a free loopback port with its own config and temp dirs.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::*;

/// Events 400 ms apart: long enough that held-back events are clearly late.
const STREAM: &str = "retry: 1000\n\nid: 1\ndata: {\"n\":1}\n\n@sleep 400ms\nid: 2\ndata: {\"n\":2}\n\n@sleep 400ms\nid: 3\ndata: {\"n\":3}\n\n@sleep 400ms\nid: 4\ndata: {\"n\":4}\n\n@sleep 400ms\nid: 5\ndata: {\"n\":5}\n\n@sleep 400ms\nid: 6\ndata: {\"n\":6}\n\n";

const FIXED: &str =
    "proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n      proxy_buffering off;";

struct Nginx {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx on PATH, or a skip line (a failure with SSE_REAL_TESTS=1).
fn nginx_binary() -> Option<PathBuf> {
    require_program(&["nginx"], "apt-get install -y nginx-light")
}

/// Starts nginx proxying to `upstream` with `extra` directives in the location.
fn nginx(binary: &Path, name: &str, upstream: &str, extra: &str) -> Nginx {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("nginx-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("temp")).unwrap();
    // A free port, then nginx binds it; on the rare clash, try another.
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let d = dir.display();
        let conf = format!(
            "worker_processes 1;\ndaemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\nevents {{ worker_connections 128; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/temp/body;\n  proxy_temp_path {d}/temp/proxy;\n  fastcgi_temp_path {d}/temp/fastcgi;\n  uwsgi_temp_path {d}/temp/uwsgi;\n  scgi_temp_path {d}/temp/scgi;\n  server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://{upstream};\n      {extra}\n    }}\n  }}\n}}\n"
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new(binary)
            .args([
                "-p",
                dir.to_str().unwrap(),
                "-c",
                conf_path.to_str().unwrap(),
                "-e",
                dir.join("error.log").to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let mut nginx = Nginx {
            child,
            url: format!("http://127.0.0.1:{port}/events"),
            dir: dir.clone(),
        };
        let deadline = Instant::now() + LIVE;
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return nginx;
            }
            if nginx.child.try_wait().unwrap().is_some() {
                break;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let log = std::fs::read_to_string(nginx.dir.join("error.log")).unwrap_or_default();
        eprintln!("nginx did not start on {port}, retrying: {log}");
    }
    panic!("nginx would not start; see {}", dir.display());
}

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

fn check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

fn max_delay_ms(report: &serde_json::Value) -> u64 {
    report["delay"]["max_ms"].as_u64().unwrap_or(0)
}

#[test]
fn default_nginx_buffers_and_doctor_names_nginx_and_the_fix() {
    let Some(binary) = nginx_binary() else {
        return;
    };
    let (upstream, url) = serve(&[script("nginx-default", STREAM).to_str().unwrap(), "--stamp"]);
    let proxy = nginx(&binary, "default", &host_port(&url), "");
    let (out, report, text) = doctor(&proxy.url);
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
    let Some(binary) = nginx_binary() else {
        return;
    };
    let (_upstream, url) = serve(&[script("nginx-fixed", STREAM).to_str().unwrap(), "--stamp"]);
    let proxy = nginx(&binary, "fixed", &host_port(&url), FIXED);
    let (out, report, text) = doctor(&proxy.url);
    assert_exit(&out, 0);
    assert_ne!(check(&report, "delivery")["status"], "FAIL", "{text}");
    assert_eq!(report["events"], 6);
    // Near zero: buffered events above are ~2 s late; a loaded CI box may add a little.
    assert!(max_delay_ms(&report) < 500, "{text}");
    println!("{text}");
}

#[test]
fn upstream_x_accel_buffering_no_passes_a_default_nginx() {
    let Some(binary) = nginx_binary() else {
        return;
    };
    let stream = format!("@header X-Accel-Buffering: no\n{STREAM}");
    let (_upstream, url) = serve(&[script("nginx-accel", &stream).to_str().unwrap(), "--stamp"]);
    let proxy = nginx(&binary, "accel", &host_port(&url), "");
    let (out, report, text) = doctor(&proxy.url);
    assert_exit(&out, 0);
    assert_ne!(check(&report, "delivery")["status"], "FAIL", "{text}");
    // Near zero: buffered events above are ~2 s late; a loaded CI box may add a little.
    assert!(max_delay_ms(&report) < 500, "{text}");
}

#[test]
fn nginx_gzip_that_still_flushes_is_a_warning_not_a_failure() {
    let Some(binary) = nginx_binary() else {
        return;
    };
    let (_upstream, url) = serve(&[script("nginx-gzip", STREAM).to_str().unwrap(), "--stamp"]);
    let extra = format!(
        "{FIXED}\n      gzip on;\n      gzip_min_length 0;\n      gzip_types text/event-stream;"
    );
    let proxy = nginx(&binary, "gzip", &host_port(&url), &extra);
    let (out, report, text) = doctor(&proxy.url);
    let encoding = check(&report, "content-encoding");
    assert_eq!(encoding["status"], "WARN", "{text}");
    assert!(encoding["seen"].as_str().unwrap().contains("gzip"));
    assert_ne!(check(&report, "delivery")["status"], "FAIL", "{text}");
    assert_exit(&out, 0);
}
