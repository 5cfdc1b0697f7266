//! A server whose rhythm is bursts (three events together, then a second of silence)
//! behind an nginx that is already fixed for streaming: the bursts are the server's,
//! not a buffer's release, and doctor must not FAIL the delivery or recommend the
//! settings that are already there. No `: sent-at` stamps: most real servers send none,
//! so doctor judges by the arrival pattern.

use std::process::Command;

use crate::real::*;
use crate::support::*;

/// nginx with the streaming fix in the location, proxying to `upstream` (host:port).
fn fixed_nginx(name: &str, upstream: &str) -> Option<Listening> {
    let binary = require_program(&["nginx"], "apt-get install -y nginx-light")?;
    let dir = temp_dir(&format!("nginx-bursts-{name}"));
    std::fs::create_dir_all(dir.join("temp")).unwrap();
    Some(start_on_free_port("nginx", |port| {
        let d = dir.display();
        let conf = format!(
            "worker_processes 1;\ndaemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log stderr warn;\nevents {{ worker_connections 128; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/temp/body;\n  proxy_temp_path {d}/temp/proxy;\n  fastcgi_temp_path {d}/temp/fastcgi;\n  uwsgi_temp_path {d}/temp/uwsgi;\n  scgi_temp_path {d}/temp/scgi;\n  server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://{upstream};\n      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n      proxy_buffering off;\n    }}\n  }}\n}}\n"
        );
        let path = dir.join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        let mut cmd = Command::new(&binary);
        cmd.arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&path)
            .arg("-e")
            .arg(dir.join("error.log"));
        cmd
    }))
}

/// `bursts` bursts of three events, each burst followed by a second of silence.
fn bursts(bursts: usize) -> String {
    let mut script = String::from("retry: 1000\n\n");
    for b in 1..=bursts {
        for e in 1..=3 {
            script.push_str(&format!("id: {b}.{e}\ndata: burst {b} event {e}\n\n"));
        }
        script.push_str("@sleep 1s\n");
    }
    script
}

#[test]
fn regular_bursts_behind_a_fixed_nginx_do_not_fail() {
    // Still streaming when the watch ends.
    let text = bursts(4);
    let (_upstream, url) = serve(&[script("bursts-loop", &text).to_str().unwrap(), "--loop"]);
    let Some(proxy) = fixed_nginx("loop", &host_port(&url)) else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "5s");
    report.assert_no_fail();
    assert!(report.events() >= 12, "{report}");
}

#[test]
fn a_stream_ending_after_a_burst_behind_a_fixed_nginx_does_not_fail() {
    let mut text = bursts(3);
    text.push_str("id: end\ndata: last\n\n@close\n");
    let (_upstream, url) = serve(&[script("bursts-end", &text).to_str().unwrap()]);
    let Some(proxy) = fixed_nginx("end", &host_port(&url)) else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "8s");
    report.assert_no_fail();
    assert_eq!(report.events(), 10, "{report}");
}
