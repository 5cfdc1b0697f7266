//! A server whose rhythm is bursts (three events together, then a second of silence)
//! behind an nginx that is already fixed for streaming: the bursts are the server's,
//! not a buffer's release, and doctor must not FAIL the delivery or recommend the
//! settings that are already there. No `: sent-at` stamps: most real servers send none,
//! so doctor judges by the arrival pattern.

use crate::real::*;
use crate::support::*;

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
    let Some(proxy) = fixed_nginx("bursts-loop", &host_port(&url), "") else {
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
    let Some(proxy) = fixed_nginx("bursts-end", &host_port(&url), "") else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "8s");
    report.assert_no_fail();
    assert_eq!(report.events(), 10, "{report}");
}
