//! `sse doctor` through a real Apache httpd (Debian's apache2) with mod_proxy_http, on a
//! free loopback port with its own ServerRoot and config, in front of `sse serve`.
//! mod_proxy_http passes a flush down the filter chain whenever the upstream has nothing
//! more to read, so events go out as they come, even through mod_deflate or mod_brotli.
//! `ProxyTimeout` (default: the core `Timeout`) ends a response whose upstream is silent
//! that long (error log AH01110).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::real::*;
use crate::support::*;

const INSTALL: &str = "apt-get install -y apache2";

/// Five stamped events a second apart.
const TICKS: &str = "id: 1\ndata: a\n\n@sleep 1s\nid: 2\ndata: b\n\n@sleep 1s\nid: 3\ndata: c\n\n@sleep 1s\nid: 4\ndata: d\n\n@sleep 1s\nid: 5\ndata: e\n\n";

/// Where the distribution keeps Apache's modules (Debian first).
fn modules() -> Option<PathBuf> {
    [
        "/usr/lib/apache2/modules",
        "/usr/lib/httpd/modules",
        "/usr/lib64/httpd/modules",
        "/usr/libexec/apache2",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|dir| dir.join("mod_proxy_http.so").is_file())
}

/// Apache in one foreground process (`-X`) on a free port, proxying /events to
/// `upstream` (host:port), with `extra` lines at the end of its config.
fn apache(name: &str, upstream: &str, extra: &str) -> Option<Listening> {
    apache_with(name, upstream, "", extra)
}

/// The same, with `params` (`key=value ...`) on the ProxyPass line.
fn apache_with(name: &str, upstream: &str, params: &str, extra: &str) -> Option<Listening> {
    let binary = require_program(&["apache2", "httpd"], INSTALL)?;
    let Some(modules) = modules() else {
        missing("Apache's mod_proxy_http.so not found", INSTALL);
        return None;
    };
    let dir = temp_dir(&format!("apache-{name}"));
    let target = format!("{upstream}/events {params}");
    let conf = |port| config(&dir, &modules, port, &target, extra);
    Some(start_with_config(
        "apache",
        // mpm_event's debug line once the child runs, after listen(2): in one process
        // (-X) Apache has nothing to say then at a quieter level.
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

/// `target` is the ProxyPass line's `host:port/path [params]`.
fn config(dir: &Path, modules: &Path, port: u16, target: &str, extra: &str) -> String {
    let d = dir.display();
    let m = modules.display();
    let extra = extra.replace("$MODULES", &m.to_string());
    format!(
        "ServerRoot {d}\nListen 127.0.0.1:{port}\nServerName 127.0.0.1\nPidFile {d}/httpd.pid\nErrorLog /dev/stderr\nLogLevel warn mpm_event:debug\nLoadModule mpm_event_module {m}/mod_mpm_event.so\nLoadModule authz_core_module {m}/mod_authz_core.so\nLoadModule proxy_module {m}/mod_proxy.so\nLoadModule proxy_http_module {m}/mod_proxy_http.so\nProxyPass /events http://{target}\n{extra}\n"
    )
}

#[test]
fn apache_mod_proxy_http_passes_stamped_events_as_they_are_sent() {
    let (_server, upstream) = sse_upstream("apache-ticks", TICKS, &["--stamp"]);
    let Some(proxy) = apache("default", &upstream, "") else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "7s");
    report.assert_live(5);
}

#[test]
fn apache_mod_deflate_on_event_streams_still_flushes_each_event() {
    let (_server, upstream) = sse_upstream("apache-deflate", TICKS, &["--stamp"]);
    let extra = "LoadModule filter_module $MODULES/mod_filter.so\nLoadModule deflate_module $MODULES/mod_deflate.so\nAddOutputFilterByType DEFLATE text/event-stream";
    let Some(proxy) = apache("deflate", &upstream, extra) else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "7s");
    assert!(report.encoding().contains("gzip"), "{report}");
    report.assert_no_fail_with(5);
}

#[test]
fn apache_mod_brotli_on_event_streams_still_flushes_each_event() {
    let (_server, upstream) = sse_upstream("apache-brotli", TICKS, &["--stamp"]);
    let extra = "LoadModule filter_module $MODULES/mod_filter.so\nLoadModule brotli_module $MODULES/mod_brotli.so\nAddOutputFilterByType BROTLI_COMPRESS text/event-stream";
    let Some(proxy) = apache("brotli", &upstream, extra) else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "7s");
    // A browser's Accept-Encoding offers br; doctor decodes what it offers.
    assert!(report.encoding().contains("br"), "{report}");
    report.assert_no_fail_with(5);
}

#[test]
fn apache_proxy_timeout_cuts_a_silent_stream_and_doctor_names_it() {
    let (_server, upstream) = sse_upstream("apache-silent", SILENT, &[]);
    let Some(proxy) = apache("silent", &upstream, "ProxyTimeout 3") else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "8s");
    report.assert_idle_cut_about_3s();
    // `Server: Apache` names the layer, so the fix names its setting.
    let fixes = report.fail_fixes();
    assert!(fixes.contains("ProxyTimeout"), "{report}");
    assert!(fixes.contains("heartbeat"), "{report}");
    assert_ne!(report.status("heartbeat"), "PASS", "{report}");
    assert_eq!(report.events(), 1, "{report}");
    // Apache says why it ended the response (its error log is its stderr).
    proxy.process.stderr_line_with("AH01110", LIVE);
}

#[test]
fn apache_heartbeats_more_often_than_proxy_timeout_keep_the_stream_open() {
    let (_server, upstream) = sse_upstream("apache-heartbeat", HEARTBEAT, &[]);
    let Some(proxy) = apache("heartbeat", &upstream, "ProxyTimeout 3") else {
        return;
    };
    // Past the first 5 s silence: without heartbeats the cut comes at 3 s.
    let report = doctor(&proxy.url("/events"), "6s");
    report.assert_no_fail_with(2);
}

#[test]
fn apache_proxy_timeout_above_the_silences_keeps_the_stream_open() {
    let (_server, upstream) = sse_upstream("apache-raised", SILENT, &[]);
    let Some(proxy) = apache("raised", &upstream, "ProxyTimeout 8") else {
        return;
    };
    // Past the first 5 s silence: with `ProxyTimeout 3` the cut comes at 3 s.
    let report = doctor(&proxy.url("/events"), "6s");
    report.assert_no_fail_with(2);
}

#[test]
fn apache_proxypass_timeout_overrides_a_short_proxy_timeout() {
    let (_server, upstream) = sse_upstream("apache-worker", SILENT, &[]);
    let Some(proxy) = apache_with("worker", &upstream, "timeout=8", "ProxyTimeout 3") else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "6s");
    report.assert_no_fail_with(2);
}
