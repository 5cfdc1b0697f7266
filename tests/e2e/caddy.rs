//! `sse doctor` through a real Caddy (Debian's caddy, 2.6) with `encode` in front of
//! `sse serve --stamp`, on a free loopback port with its own Caddyfile. Caddy 2.6's
//! `encode` decides at the first write whether to compress (`minimum_length`, 512 bytes):
//! a stream whose first write is smaller is sent uncompressed and live; one whose first
//! write is larger is compressed and held until the body ends.

use std::process::Command;

use crate::real::*;
use crate::support::*;

/// Four stamped events a second apart, the first one larger than 512 bytes.
fn large_first() -> String {
    format!(
        "id: 1\ndata: {}\n\n@sleep 1s\nid: 2\ndata: b\n\n@sleep 1s\nid: 3\ndata: c\n\n@sleep 1s\nid: 4\ndata: d\n\n",
        "x".repeat(1200)
    )
}

/// The same rhythm with small events only.
const SMALL: &str = "id: 1\ndata: a\n\n@sleep 1s\nid: 2\ndata: b\n\n@sleep 1s\nid: 3\ndata: c\n\n@sleep 1s\nid: 4\ndata: d\n\n";

/// Caddy on a free port: `encode` with `encode_block` as its block, then `reverse_proxy`
/// to `upstream` (host:port). Its data and config dirs live in the test's temp dir.
fn caddy(name: &str, upstream: &str, encode_block: &str) -> Option<Listening> {
    let binary = require_program(&["caddy"], "apt-get install -y caddy")?;
    let dir = temp_dir(&format!("caddy-{name}"));
    let conf = |port| {
        format!(
            "{{\n\tadmin off\n\tauto_https off\n}}\nhttp://127.0.0.1:{port} {{\n\tencode gzip zstd {encode_block}\n\treverse_proxy {upstream}\n}}\n"
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
fn caddy_encode_holds_a_stream_whose_first_event_is_large_and_doctor_names_it() {
    let (_server, upstream) = sse_upstream("caddy-large", &large_first(), &["--stamp"]);
    let Some(proxy) = caddy("large", &upstream, "") else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "8s");
    assert!(report.encoding().contains("gzip"), "{report}");
    report.assert_fail_naming("Caddy", "encode", 4);
    assert!(report.fail_fixes().contains("match"), "{report}");
}

#[test]
fn caddy_encode_with_a_match_block_leaving_out_event_streams_passes() {
    let (_server, upstream) = sse_upstream("caddy-match", &large_first(), &["--stamp"]);
    let block = "{\n\t\tmatch {\n\t\t\theader Content-Type text/html*\n\t\t\theader Content-Type application/json*\n\t\t}\n\t}";
    let Some(proxy) = caddy("match", &upstream, block) else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "8s");
    report.assert_live(4);
}

#[test]
fn caddy_encode_leaves_a_stream_of_small_events_uncompressed_and_live() {
    let (_server, upstream) = sse_upstream("caddy-small", SMALL, &["--stamp"]);
    let Some(proxy) = caddy("small", &upstream, "") else {
        return;
    };
    let report = doctor(&proxy.url("/events"), "8s");
    report.assert_live(4);
}
