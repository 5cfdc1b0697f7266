//! A closed stdout (`sse tail URL | head`) is a quiet, normal end.

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

use crate::support::*;

#[test]
fn closed_stdout_ends_quietly_with_status_0() {
    let (open, wait) = gate();
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(SSE_HEAD),
            send(b"data: 1\n\n"),
            wait,
            send(b"data: 2\n\ndata: 3\n\n"),
            Step::Close,
        ]],
    );
    let mut cmd = sse();
    cmd.args(["tail", &server.url, "--json"]);
    let (mut tail, stdout) = Spawned::with_raw_stdout(cmd);
    let mut reader = BufReader::new(stdout);
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert_eq!(json(&first)["data"], "1");
    drop(reader); // like `head -1` exiting
    open.send(()).unwrap();
    tail.assert_exit(0);
    assert_quiet(&tail.stderr());
    server.join();
}

/// Nothing on stderr about the closed pipe: no error line, no panic.
fn assert_quiet(stderr: &str) {
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe") && !stderr.contains("sse:"),
        "{stderr}"
    );
}

#[test]
fn piped_into_a_real_head() {
    // `sse tail URL --json | head -3`, with both processes started here so the status
    // checked is sse's own (a shell pipeline reports head's).
    let (_server, url) = serve(&["--loop", "--interval", "0s"]);
    let mut head = std::process::Command::new("head")
        .arg("-3")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start head");
    let into_head = Stdio::from(head.stdin.take().unwrap());
    let mut cmd = sse();
    cmd.args(["tail", &url, "--json"]);
    let mut tail = Spawned::with_stdout(cmd, into_head);
    let mut shown = String::new();
    head.stdout
        .take()
        .unwrap()
        .read_to_string(&mut shown)
        .unwrap();
    assert!(head.wait().unwrap().success());
    assert_eq!(shown.lines().map(json).count(), 3, "{shown}");
    tail.assert_exit(0);
    assert_quiet(&tail.stderr());
}
