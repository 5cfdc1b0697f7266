//! `sse doctor` through a real nginx (Debian's nginx-light 1.22) that is fixed for
//! streaming but closes a proxied stream whose upstream is silent for
//! `proxy_read_timeout` (here 3 s; 60 s by default): error log "upstream timed out ...
//! while reading upstream", and the client sees the connection end mid-body.

use crate::real::*;
use crate::support::*;

#[test]
fn nginx_proxy_read_timeout_cuts_a_silent_stream_and_doctor_names_it() {
    let (_server, upstream) = sse_upstream("nginx-timeout-silent", SILENT, &[]);
    let Some(proxy) = fixed_nginx("timeout-silent", &upstream, "proxy_read_timeout 3s;") else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "8s");
    report.assert_idle_cut_about_3s();
    // `Server: nginx` names the layer, so the advice names its setting.
    let fixes = report.fail_fixes();
    assert!(fixes.contains("proxy_read_timeout"), "{report}");
    assert!(fixes.contains("heartbeat"), "{report}");
    assert_eq!(report.events(), 1, "{report}");
    proxy.process.stderr_line_with("upstream timed out", LIVE);
}

#[test]
fn nginx_proxy_read_timeout_above_the_silences_keeps_the_stream_open() {
    let (_server, upstream) = sse_upstream("nginx-timeout-raised", SILENT, &[]);
    let Some(proxy) = fixed_nginx("timeout-raised", &upstream, "proxy_read_timeout 8s;") else {
        return;
    };
    // Past the first 5 s silence: with `proxy_read_timeout 3s` the cut comes at 3 s.
    let report = doctor(&proxy.url("/events"), "6s");
    report.assert_no_fail_with(2);
}

#[test]
fn nginx_heartbeats_more_often_than_proxy_read_timeout_keep_the_stream_open() {
    let (_server, upstream) = sse_upstream("nginx-timeout-heartbeat", HEARTBEAT, &[]);
    let Some(proxy) = fixed_nginx("timeout-heartbeat", &upstream, "proxy_read_timeout 3s;") else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "6s");
    report.assert_no_fail_with(2);
}
